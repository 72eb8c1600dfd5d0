//! PPP and its relatives: PPP, PPP_PPPD, PPP_SERIAL and PPP_ETHER carry a
//! PPP protocol number (Ethernet types are mapped as libpcap maps them),
//! BSD/OS PPP also counts VJ-compressed TCP as IP, Frame Relay is matched
//! by NLPID after a 2-byte address, and PPPoE session payloads are PPP.

use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use super::Kind;
use crate::error::Result;

const PPP_IP: u32 = 0x21;
const PPP_VJC: u32 = 0x2d;
const PPP_VJNC: u32 = 0x2f;

/// libpcap's ethertype_to_ppptype.
fn ppp_type(proto: u32) -> u32 {
    match proto {
        ETH_IP => PPP_IP,
        ETH_IPV6 => 0x57,
        ETH_DN => 0x27,
        ETH_ATALK => 0x29,
        ETH_NS => 0x3f,
        LLCSAP_ISONS => 0x23,
        LLCSAP_8021D => 0x31,
        LLCSAP_IPX => 0x2b,
        other => other,
    }
}

impl Gen {
    pub(in crate::filter) fn ppp_linktype(&self, proto: u32) -> Result<Cond> {
        self.cmp(Rel::LinkType, 0, H, ppp_type(proto))
    }

    pub(in crate::filter) fn ppp_bsdos_linktype(&self, proto: u32) -> Result<Cond> {
        if proto != ETH_IP {
            return self.ppp_linktype(proto);
        }
        let ip = self.or(self.cmp(Rel::LinkType, 0, H, PPP_IP)?, self.cmp(Rel::LinkType, 0, H, PPP_VJC)?);
        Ok(self.or(ip, self.cmp(Rel::LinkType, 0, H, PPP_VJNC)?))
    }

    pub(in crate::filter) fn frelay_linktype(&self, proto: u32) -> Result<Cond> {
        let nlpid = |v: u32| self.cmp(Rel::LinkHdr, 2, H, 0x0300 | v);
        match proto {
            ETH_IP => nlpid(0xcc),
            ETH_IPV6 => nlpid(0x8e),
            LLCSAP_ISONS => Ok(self.or(nlpid(ISO8473_CLNP)?, self.or(nlpid(ISO9542_ESIS)?, nlpid(ISO10589_ISIS)?))),
            _ => Ok(Cond::FALSE),
        }
    }

    pub(in crate::filter) fn pppoes(&mut self, session: Option<u32>) -> Result<Cond> {
        let mut c = self.linktype(ETH_PPPOES)?;
        if let Some(s) = session {
            if s > 0xffff {
                return Err(err(format!("PPPoE session number {s} greater than maximum 65535")));
            }
            c = self.and(c, self.mcmp(Rel::LinkPl, 0, W, s, 0xffff)?);
        }
        // The PPP header follows the 6-byte PPPoE header.
        self.linkhdr = Off { k: self.linkpl.k.wrapping_add(self.nl).wrapping_add(6), reg: self.linkpl.reg };
        self.linktype = Some(self.linkhdr);
        self.linkpl = Off { k: self.linkhdr.k.wrapping_add(2), reg: self.linkhdr.reg };
        self.nl = 0;
        self.nl_nosnap = 0;
        self.lane = false;
        self.dlt = DLT_PPP;
        self.kind = Kind::Ppp;
        Ok(c)
    }
}
