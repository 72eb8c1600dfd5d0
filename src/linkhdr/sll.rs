//! pcap/sll.h: the LINUX_SLL and LINUX_SLL2 cooked headers ("any" and
//! devices without a link-layer header). Multi-byte fields are big-endian
//! on the wire.

/// Total length of the LINUX_SLL header.
pub const SLL_HDR_LEN: usize = 16;
/// Length of the address field.
pub const SLL_ADDRLEN: usize = 8;

/// The LINUX_SLL header.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct sll_header {
    /// Packet type (LINUX_SLL_HOST ...).
    pub sll_pkttype: u16,
    /// Link-layer address type (ARPHRD_*).
    pub sll_hatype: u16,
    /// Link-layer address length.
    pub sll_halen: u16,
    /// Link-layer address.
    pub sll_addr: [u8; SLL_ADDRLEN],
    /// Protocol.
    pub sll_protocol: u16,
}

/// Total length of the LINUX_SLL2 header.
pub const SLL2_HDR_LEN: usize = 20;

/// The LINUX_SLL2 header.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct sll2_header {
    /// Protocol.
    pub sll2_protocol: u16,
    /// Reserved, must be zero.
    pub sll2_reserved_mbz: u16,
    /// 1-based interface index.
    pub sll2_if_index: u32,
    /// Link-layer address type.
    pub sll2_hatype: u16,
    /// Packet type.
    pub sll2_pkttype: u8,
    /// Link-layer address length.
    pub sll2_halen: u8,
    /// Link-layer address.
    pub sll2_addr: [u8; SLL_ADDRLEN],
}

/// Packet types of the sll_pkttype field.
pub const LINUX_SLL_HOST: u16 = 0;
pub const LINUX_SLL_BROADCAST: u16 = 1;
pub const LINUX_SLL_MULTICAST: u16 = 2;
pub const LINUX_SLL_OTHERHOST: u16 = 3;
pub const LINUX_SLL_OUTGOING: u16 = 4;

/// Novell 802.3 frames without an 802.2 LLC header.
pub const LINUX_SLL_P_802_3: u16 = 0x0001;
/// 802.2 frames (not D/I/X Ethernet).
pub const LINUX_SLL_P_802_2: u16 = 0x0004;
/// CAN frames, with SocketCAN pseudo-headers.
pub const LINUX_SLL_P_CAN: u16 = 0x000C;
/// CAN FD frames, with SocketCAN pseudo-headers.
pub const LINUX_SLL_P_CANFD: u16 = 0x000D;
