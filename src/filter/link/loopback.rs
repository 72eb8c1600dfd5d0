//! Links without an Ethernet type: BSD loopback (NULL, ENC: an AF_ word in
//! the writer's byte order; LOOP: in network order), and the links whose
//! packets are IP (RAW, SLIP, SLIP_BSDOS: the version nibble of the first
//! byte of the link header, which for SLIP is libpcap's 16- or 24-byte
//! pseudo-header, so `ip` there tests that header as libpcap does; IPV4 and
//! IPV6: nothing to test). Like libpcap, a savefile in the other byte
//! order has its AF_ words swapped, and a savefile's IPv6 may carry any of
//! the BSDs' AF_INET6 values (24, 28, 30) where a live or dead handle
//! checks only this host's.

use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use super::Kind;
use crate::error::Result;

/// AF_INET6 as NetBSD/OpenBSD, FreeBSD and Darwin write it.
const BSD_AF_INET6: [u32; 3] = [24, 28, 30];

impl Gen {
    pub(in crate::filter) fn ip_version_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            ETH_IP => self.mcmp(Rel::LinkHdr, 0, B, 0x40, 0xf0),
            ETH_IPV6 => self.mcmp(Rel::LinkHdr, 0, B, 0x60, 0xf0),
            _ => Ok(Cond::FALSE),
        }
    }

    fn loopback_af(&self, af: u32) -> Result<Cond> {
        let v = if self.kind == Kind::NullAf {
            // The word is in the writer's byte order; BPF loads are
            // big-endian.
            let writer = if self.swapped { af.swap_bytes() } else { af };
            writer.to_be()
        } else {
            af
        };
        self.cmp(Rel::LinkHdr, 0, W, v)
    }

    pub(in crate::filter) fn loopback_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            ETH_IP => self.loopback_af(AF_INET),
            ETH_IPV6 if self.savefile => {
                let [a, b, c] = BSD_AF_INET6;
                Ok(self.or(self.or(self.loopback_af(a)?, self.loopback_af(b)?), self.loopback_af(c)?))
            }
            ETH_IPV6 => self.loopback_af(AF_INET6_LINUX),
            _ => Ok(Cond::FALSE),
        }
    }
}
