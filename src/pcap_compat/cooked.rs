//! Linux "cooked" link-layer headers (DLT_LINUX_SLL and DLT_LINUX_SLL2),
//! which libpcap builds from the sockaddr_ll when capturing on "any" or on
//! devices whose link layer has no DLT of its own.

use crate::filter::Insn;
use crate::rx::PacketMeta;
use crate::sys;

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

/// The kernel's view of a cooked capture starts at the network header, so
/// a program compiled for the cooked link type is rewritten for it, as
/// libpcap does: packet offsets past the cooked header move back by its
/// length, and loads of its protocol, ifindex and packet-type fields
/// become the matching ancillary loads. None when the program reads other
/// parts of the cooked header, which only userspace filtering can serve.
pub fn kernel_program(cooked: Cooked, prog: &[Insn]) -> Option<Vec<Insn>> {
    let ad = |field: u32| (sys::SKF_AD_OFF as u32).wrapping_add(field);
    let hl = cooked.len() as u32;
    prog.iter()
        .map(|i| {
            let class = i.code & 0x07;
            let mode = i.code & 0xe0;
            let loads_packet = (class == sys::BPF_LD as u16 || class == sys::BPF_LDX as u16)
                && (mode == sys::BPF_ABS as u16 || mode == sys::BPF_IND as u16 || mode == sys::BPF_MSH as u16);
            if !loads_packet || i.k >= sys::SKF_AD_OFF as u32 {
                return Some(*i);
            }
            let k = match (cooked, i.k) {
                (_, k) if k >= hl => k - hl,
                (Cooked::Sll, 0) => ad(sys::SKF_AD_PKTTYPE),
                (Cooked::Sll, 14) => ad(sys::SKF_AD_PROTOCOL),
                (Cooked::Sll2, 0) => ad(sys::SKF_AD_PROTOCOL),
                (Cooked::Sll2, 4) => ad(sys::SKF_AD_IFINDEX),
                (Cooked::Sll2, 10) => ad(sys::SKF_AD_PKTTYPE),
                _ => return None,
            };
            Some(Insn { k, ..*i })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooked_programs_move_to_the_network_header() {
        // "udp port 53" on LINUX_SLL: protocol at 14, IP at 16.
        let prog = crate::filter::compile("udp port 53", 113, 262144, 0).unwrap();
        let fixed = kernel_program(Cooked::Sll, prog.instructions()).unwrap();
        assert_eq!(fixed[0].k, (sys::SKF_AD_OFF + sys::SKF_AD_PROTOCOL as i32) as u32);
        assert!(fixed.iter().zip(prog.instructions()).all(|(f, o)| f.k == o.k || f.k + 16 == o.k || f.k >= 0xfffff000));
        // A load of the cooked header's address bytes has no kernel equivalent.
        let addr = [Insn::new(0x30, 0, 0, 8), Insn::new(0x06, 0, 0, 1)];
        assert!(kernel_program(Cooked::Sll, &addr).is_none());
        let prog2 = crate::filter::compile("ip", 276, 262144, 0).unwrap();
        assert_eq!(
            kernel_program(Cooked::Sll2, prog2.instructions()).unwrap()[0].k,
            (sys::SKF_AD_OFF + sys::SKF_AD_PROTOCOL as i32) as u32
        );
    }
}
