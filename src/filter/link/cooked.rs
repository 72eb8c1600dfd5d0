//! Linux cooked captures (LINUX_SLL, LINUX_SLL2). SLL marks 802.2 frames
//! with the pseudo protocol 4 and raw 802.3 with 1; libpcap 1.10 compares
//! SLL2's protocol field as is, even for SAP values, and so does ringcap.

use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

impl Gen {
    pub(in crate::filter) fn sll_linktype(&self, proto: u32) -> Result<Cond> {
        let is_llc = || self.cmp(Rel::LinkType, 0, H, LINUX_SLL_P_802_2);
        match proto {
            p if Self::llc_sap_pair(p) => Ok(self.and(is_llc()?, self.cmp(Rel::Llc, 0, H, (proto << 8) | proto)?)),
            LLCSAP_IPX => {
                let llc = self.and(is_llc()?, self.or(self.cmp(Rel::Llc, 0, B, LLCSAP_IPX)?, self.snap(0, ETH_IPX)?));
                let raw = self.or(self.cmp(Rel::LinkType, 0, H, LINUX_SLL_P_802_3)?, llc);
                Ok(self.or(self.cmp(Rel::LinkType, 0, H, ETH_IPX)?, raw))
            }
            ETH_ATALK | ETH_AARP => {
                let snap = if proto == ETH_ATALK { self.snap(0x080007, ETH_ATALK)? } else { self.snap(0, ETH_AARP)? };
                Ok(self.or(self.cmp(Rel::LinkType, 0, H, proto)?, self.and(is_llc()?, snap)))
            }
            p if p <= ETHERMTU => Ok(self.and(is_llc()?, self.cmp(Rel::Llc, 0, B, proto)?)),
            _ => self.cmp(Rel::LinkType, 0, H, proto),
        }
    }

    /// An Ethernet type at the protocol offset (SLL2, C_HDLC, HDLC and the
    /// links libpcap handles by its default rule); C_HDLC writes OSI as
    /// 0xfefe.
    pub(in crate::filter) fn ethertype_linktype(&self, proto: u32) -> Result<Cond> {
        let v = if proto == LLCSAP_ISONS && matches!(self.dlt, DLT_C_HDLC | DLT_HDLC) { 0xfefe } else { proto };
        self.cmp(Rel::LinkType, 0, H, v)
    }
}
