//! Links with a rule of their own in libpcap: ARCNET (one-byte protocol
//! ids, old and new numbers), PFLOG (the AF_ byte of its header), IPNET
//! (its own AF_ numbers), LocalTalk (only AppleTalk), and the families
//! where libpcap checks a magic number whatever the protocol (Juniper's
//! "MGC" cookie, BACnet MS/TP's preamble). PFLOG's header is as long as
//! its first byte says, rounded up to 4; that offset is computed first
//! into a scratch register, when something reads it.

use super::super::ast::Dir;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use crate::error::Result;

const IPH_AF_INET: u32 = 2;
const IPH_AF_INET6: u32 = 26;

impl Gen {
    pub(in crate::filter) fn arcnet_linktype(&self, proto: u32) -> Result<Cond> {
        let is = |v: u32| self.cmp(Rel::LinkType, 0, B, v);
        match proto {
            ETH_IPV6 => is(0xc4),
            ETH_IP => Ok(self.or(is(0xd4)?, is(0xf0)?)),
            ETH_ARP => Ok(self.or(is(0xd5)?, is(0xf1)?)),
            ETH_RARP => is(0xd6),
            ETH_ATALK => is(0xdd),
            _ => Ok(Cond::FALSE),
        }
    }

    /// ARCNET's one-byte addresses: source at 0, destination at 1.
    pub(in crate::filter) fn arcnet_hostop(&self, addr: u8, dir: Dir) -> Result<Cond> {
        Ok(match dir {
            Dir::Src => self.cmp(Rel::LinkHdr, 0, B, u32::from(addr))?,
            Dir::Dst => self.cmp(Rel::LinkHdr, 1, B, u32::from(addr))?,
            Dir::Wlan(w) => return Err(w.only_on("802.11")),
            Dir::And => self.and(self.arcnet_hostop(addr, Dir::Src)?, self.arcnet_hostop(addr, Dir::Dst)?),
            Dir::Default | Dir::Or => self.or(self.arcnet_hostop(addr, Dir::Src)?, self.arcnet_hostop(addr, Dir::Dst)?),
        })
    }

    pub(in crate::filter) fn init_pflog(&mut self) {
        self.reserve_reg(0);
        self.linkpl = Off { k: 0, reg: Some(0) };
    }

    pub(in crate::filter) fn finish_pflog(&self, cond: Cond) -> Cond {
        if !self.reads(&cond, 0) {
            return cond;
        }
        let len = vec![ld(LD | B | ABS, 0), ld(ALU | ADD | K, 3), ld(ALU | AND | K, !3), ld(ST, 0)];
        self.and(self.effects(len, Test::Always, false), cond)
    }

    pub(in crate::filter) fn pflog_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            ETH_IP => self.cmp(Rel::LinkHdr, 1, B, AF_INET),
            ETH_IPV6 => self.cmp(Rel::LinkHdr, 1, B, AF_INET6_LINUX),
            _ => Ok(Cond::FALSE),
        }
    }

    pub(in crate::filter) fn ipnet_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            ETH_IP => self.cmp(Rel::LinkType, 0, B, IPH_AF_INET),
            ETH_IPV6 => self.cmp(Rel::LinkType, 0, B, IPH_AF_INET6),
            _ => Ok(Cond::FALSE),
        }
    }
}
