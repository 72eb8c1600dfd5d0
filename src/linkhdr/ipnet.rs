//! pcap/ipnet.h: the Solaris DLT_IPNET header's field values.

/// Matches Solaris's AF_INET.
pub const IPH_AF_INET: u8 = 2;
/// Matches Solaris's AF_INET6.
pub const IPH_AF_INET6: u8 = 26;

/// Direction values.
pub const IPNET_OUTBOUND: u8 = 1;
pub const IPNET_INBOUND: u8 = 2;
