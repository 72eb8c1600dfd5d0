//! pcap/nflog.h: the DLT_NFLOG layout. A packet is an nflog_hdr followed
//! by TLVs whose length and type fields are in host byte order (unlike
//! netlink attributes, the type carries no flag bits) and whose values are
//! padded to 4 bytes.

/// The header before the TLVs.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nflog_hdr {
    /// Address family.
    pub nflog_family: u8,
    /// Version.
    pub nflog_version: u8,
    /// Resource ID (the NFLOG group), in network order.
    pub nflog_rid: u16,
}
pub type nflog_hdr_t = nflog_hdr;

/// A TLV header; the value follows it.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nflog_tlv {
    /// Length of header and value, without padding.
    pub tlv_length: u16,
    /// One of NFULA_*.
    pub tlv_type: u16,
}
pub type nflog_tlv_t = nflog_tlv;

/// The value of NFULA_PACKET_HDR.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nflog_packet_hdr {
    /// Hardware protocol, in network order.
    pub hw_protocol: u16,
    /// Netfilter hook.
    pub hook: u8,
    /// Padding to 32 bits.
    pub pad: u8,
}
pub type nflog_packet_hdr_t = nflog_packet_hdr;

/// The value of NFULA_HWADDR.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nflog_hwaddr {
    /// Address length.
    pub hw_addrlen: u16,
    /// Padding to a 32-bit boundary.
    pub pad: u16,
    /// Address, up to 8 bytes.
    pub hw_addr: [u8; 8],
}
pub type nflog_hwaddr_t = nflog_hwaddr;

/// The value of NFULA_TIMESTAMP, in network order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct nflog_timestamp {
    pub sec: u64,
    pub usec: u64,
}
pub type nflog_timestamp_t = nflog_timestamp;

/// TLV types.
pub const NFULA_PACKET_HDR: u16 = 1;
pub const NFULA_MARK: u16 = 2;
pub const NFULA_TIMESTAMP: u16 = 3;
pub const NFULA_IFINDEX_INDEV: u16 = 4;
pub const NFULA_IFINDEX_OUTDEV: u16 = 5;
pub const NFULA_IFINDEX_PHYSINDEV: u16 = 6;
pub const NFULA_IFINDEX_PHYSOUTDEV: u16 = 7;
pub const NFULA_HWADDR: u16 = 8;
pub const NFULA_PAYLOAD: u16 = 9;
pub const NFULA_PREFIX: u16 = 10;
pub const NFULA_UID: u16 = 11;
pub const NFULA_SEQ: u16 = 12;
pub const NFULA_SEQ_GLOBAL: u16 = 13;
pub const NFULA_GID: u16 = 14;
pub const NFULA_HWTYPE: u16 = 15;
pub const NFULA_HWHEADER: u16 = 16;
pub const NFULA_HWLEN: u16 = 17;
