//! What a reader hands to the callback for each packet.

use crate::sys;

/// Per-packet metadata, read from the frame header and its sockaddr_ll.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketMeta {
    /// Bytes available at the data pointer (at most the snaplen).
    pub caplen: u32,
    /// Length of the packet on the wire.
    pub len: u32,
    /// Timestamp, seconds since the epoch.
    pub ts_sec: u64,
    /// Timestamp, nanoseconds within the second (V1 rings have microsecond
    /// resolution: multiples of 1000).
    pub ts_nsec: u32,
    /// The raw tp_status bits (TP_STATUS_* from linux/if_packet.h: VLAN_VALID,
    /// VLAN_TPID_VALID, CSUMNOTREADY, CSUM_VALID, LOSING, COPY, TS_*).
    pub status: u32,
    /// VLAN TCI the kernel took out of the packet; valid when status has TP_STATUS_VLAN_VALID (V2/V3).
    pub vlan_tci: u16,
    /// VLAN TPID; valid when status has TP_STATUS_VLAN_TPID_VALID (V2/V3).
    pub vlan_tpid: u16,
    /// The kernel's flow hash (V3 with rx hash requested, else 0).
    pub rxhash: u32,
    /// Index of the interface the packet was seen on.
    pub ifindex: i32,
    /// ARPHRD_* type of that interface.
    pub hatype: u16,
    /// PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST or PACKET_OUTGOING.
    pub pkttype: u8,
    /// Number of valid bytes in `addr`.
    pub halen: u8,
    /// EtherType / protocol in host byte order.
    pub protocol: u16,
    /// Link-layer source address (the sender's MAC on Ethernet).
    pub addr: [u8; 8],
}

impl PacketMeta {
    pub(crate) fn fill_link(&mut self, sll: &sys::sockaddr_ll) {
        self.ifindex = sll.sll_ifindex;
        self.hatype = sll.sll_hatype;
        self.pkttype = sll.sll_pkttype;
        self.halen = sll.sll_halen.min(8);
        self.protocol = u16::from_be(sll.sll_protocol);
        self.addr = sll.sll_addr;
    }
}

/// A packet borrowed from the ring for the duration of the callback.
pub struct Packet<'a> {
    pub data: &'a [u8],
    pub meta: &'a PacketMeta,
}
