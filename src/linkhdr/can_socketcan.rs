//! pcap/can_socketcan.h: the DLT_CAN_SOCKETCAN pseudo-header.

/// CAN ID and flags (network order in the capture), then payload length.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct pcap_can_socketcan_hdr {
    pub can_id: u32,
    pub payload_length: u8,
    pub fd_flags: u8,
    pub reserved1: u8,
    pub reserved2: u8,
}

/// Bit rate switch (second bit rate for payload data).
pub const CANFD_BRS: u8 = 0x01;
/// Error state indicator of the transmitting node.
pub const CANFD_ESI: u8 = 0x02;
/// Marks CAN FD for dual use of the CAN format.
pub const CANFD_FDF: u8 = 0x04;
