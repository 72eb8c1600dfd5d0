//! What a reader hands to the callback for each packet.

use std::cell::Cell;
use std::ptr::NonNull;

use crate::sys;

/// The virtio-net header the kernel writes in front of each packet when the
/// capture asked for it (PACKET_VNET_HDR; struct virtio_net_hdr of
/// linux/virtio_net.h, host byte order): how a GSO/GRO-aggregated packet
/// would be segmented and where its checksum is still to be filled in.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VnetHeader {
    /// VIRTIO_NET_HDR_F_NEEDS_CSUM (1): the checksum at csum_start +
    /// csum_offset is not computed yet; VIRTIO_NET_HDR_F_DATA_VALID (2): the
    /// device verified it.
    pub flags: u8,
    /// VIRTIO_NET_HDR_GSO_NONE (0), _TCPV4 (1), _UDP (3), _TCPV6 (4),
    /// _UDP_L4 (5), ORed with _ECN (0x80).
    pub gso_type: u8,
    /// Bytes of headers (link to transport) each segment repeats.
    pub hdr_len: u16,
    /// Payload bytes per segment (the MSS for TCP), 0 when not aggregated.
    pub gso_size: u16,
    /// Where checksumming starts, counted from the link-layer header.
    pub csum_start: u16,
    /// Where the checksum goes, counted from csum_start.
    pub csum_offset: u16,
}

/// Bytes of struct virtio_net_hdr the kernel puts in front of the packet.
pub const VNET_HDR_LEN: usize = size_of::<sys::virtio_net_hdr>();
const _: () = assert!(VNET_HDR_LEN == 10 && size_of::<VnetHeader>() == VNET_HDR_LEN);

impl VnetHeader {
    /// The header as the kernel reads it in front of a TX packet (native order).
    pub fn to_bytes(&self) -> [u8; VNET_HDR_LEN] {
        let mut b = [0; VNET_HDR_LEN];
        b[0] = self.flags;
        b[1] = self.gso_type;
        for (i, v) in [self.hdr_len, self.gso_size, self.csum_start, self.csum_offset].into_iter().enumerate() {
            b[2 + 2 * i..4 + 2 * i].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    /// Decodes the header from the bytes the kernel wrote (native order).
    pub fn from_bytes(b: &[u8]) -> Option<VnetHeader> {
        let b: &[u8; VNET_HDR_LEN] = b.get(..VNET_HDR_LEN)?.try_into().ok()?;
        let half = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
        Some(VnetHeader {
            flags: b[0],
            gso_type: b[1],
            hdr_len: half(2),
            gso_size: half(4),
            csum_start: half(6),
            csum_offset: half(8),
        })
    }
}

/// Per-packet metadata, read from the frame header and its sockaddr_ll.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The kernel's tp_mac: offset of the link-layer header from the start
    /// of the frame (V1/V2) or of the packet's tpacket3_hdr (V3), as in the
    /// ring. With SOCK_DGRAM it equals net_offset.
    pub mac_offset: u32,
    /// The kernel's tp_net: offset of the network header, counted like
    /// mac_offset. net_offset - mac_offset is the link header's length.
    pub net_offset: u32,
    /// V3: sequence number of the block holding the packet (the kernel
    /// numbers blocks from 1 and never repeats a number; a gap means
    /// nothing, numbers are per ring). 0 with V1/V2.
    pub block_seq: u64,
    /// V3 with a block private area (ringcap_config_set_block_private_size):
    /// the area of the block holding this packet, writable, valid until the
    /// callback returns (ringcap_packet_block_private() reads it). NULL
    /// otherwise.
    pub block_private: *mut u8,
    /// Bytes at block_private (the size configured; 0 when NULL).
    pub block_private_len: u32,
    /// Whether `vnet` holds the packet's virtio-net header (the capture was
    /// opened with ringcap_config_set_vnet_header()).
    pub vnet_valid: bool,
    /// The virtio-net header; zero unless vnet_valid.
    pub vnet: VnetHeader,
}

impl Default for PacketMeta {
    fn default() -> Self {
        PacketMeta {
            caplen: 0,
            len: 0,
            ts_sec: 0,
            ts_nsec: 0,
            status: 0,
            vlan_tci: 0,
            vlan_tpid: 0,
            rxhash: 0,
            ifindex: 0,
            hatype: 0,
            pkttype: 0,
            halen: 0,
            protocol: 0,
            addr: [0; 8],
            mac_offset: 0,
            net_offset: 0,
            block_seq: 0,
            block_private: std::ptr::null_mut(),
            block_private_len: 0,
            vnet_valid: false,
            vnet: VnetHeader::default(),
        }
    }
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
    /// Ring bytes just before `data` that nothing else reads (between the
    /// frame's sockaddr_ll and the packet), taken by the first
    /// `with_header`; None for a packet delivered from a copy.
    pub(crate) headroom: Cell<Option<Headroom>>,
}

/// Where a packet's headroom lies in the ring: the writable span that
/// ends where the packet's data begins.
#[derive(Clone, Copy)]
pub(crate) struct Headroom {
    /// Start of the span, with the mapping's (writable) provenance.
    pub start: NonNull<u8>,
    pub len: usize,
}

impl<'a> Packet<'a> {
    /// The packet with `header` in front of it, written in place into the
    /// ring's headroom, as libpcap builds cooked headers: no copy of the
    /// packet. None when there is no room for it (the caller copies
    /// instead), or when the headroom was already used for this packet.
    pub(crate) fn with_header(&self, header: &[u8]) -> Option<&'a [u8]> {
        let room = self.headroom.take()?;
        if header.len() > room.len {
            self.headroom.set(Some(room));
            return None;
        }
        let skip = room.len - header.len();
        // SAFETY: the reader that made this Packet owns the frame or block
        // until the callback returns (status-word protocol), so the kernel
        // does not write there; no slice covers the headroom (the reader
        // copied what it needed from it), and `take` above lets this run
        // once per packet. [start, start + len) ends where `data` begins,
        // in one mapping, so the result is header + data.
        unsafe {
            let at = room.start.as_ptr().add(skip);
            std::ptr::copy_nonoverlapping(header.as_ptr(), at, header.len());
            debug_assert_eq!(at.add(header.len()).cast_const(), self.data.as_ptr());
            Some(std::slice::from_raw_parts(at, header.len() + self.data.len()))
        }
    }
}
