//! Linux "cooked" link-layer headers (DLT_LINUX_SLL and DLT_LINUX_SLL2),
//! which libpcap builds from the sockaddr_ll when capturing on "any" or on
//! devices whose link layer has no DLT of its own.

use crate::rx::PacketMeta;

/// Which cooked header to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cooked {
    Sll,
    Sll2,
}

impl Cooked {
    pub fn len(self) -> usize {
        match self {
            Cooked::Sll => 16,
            Cooked::Sll2 => 20,
        }
    }

    /// Writes the header for `meta` into `out` (exactly `self.len()` bytes).
    pub fn write(self, meta: &PacketMeta, out: &mut [u8]) {
        let halen = meta.halen.min(8) as usize;
        let mut addr = [0u8; 8];
        addr[..halen].copy_from_slice(&meta.addr[..halen]);
        match self {
            Cooked::Sll => {
                out[0..2].copy_from_slice(&(meta.pkttype as u16).to_be_bytes());
                out[2..4].copy_from_slice(&meta.hatype.to_be_bytes());
                out[4..6].copy_from_slice(&(meta.halen as u16).to_be_bytes());
                out[6..14].copy_from_slice(&addr);
                out[14..16].copy_from_slice(&meta.protocol.to_be_bytes());
            }
            Cooked::Sll2 => {
                out[0..2].copy_from_slice(&meta.protocol.to_be_bytes());
                out[2..4].copy_from_slice(&[0, 0]);
                out[4..8].copy_from_slice(&(meta.ifindex as u32).to_be_bytes());
                out[8..10].copy_from_slice(&meta.hatype.to_be_bytes());
                out[10] = meta.pkttype;
                out[11] = meta.halen;
                out[12..20].copy_from_slice(&addr);
            }
        }
    }
}
