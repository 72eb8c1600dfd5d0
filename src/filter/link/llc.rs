//! Links that carry 802.2 LLC (FDDI, token ring, ATM RFC 1483/CLIP, IP
//! over Fibre Channel, SunATM, and 802.11 after its MAC header). As in
//! libpcap an Ethernet type is looked for only where SNAP with OUI 0 would
//! put it (6 bytes into the LLC header), without checking the SNAP header
//! itself; the token ring header is taken as 14 bytes (no source route).
//! SunATM checks the pseudo-header's protocol field for LLC first.

use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

/// SunATM pseudo-header: the protocol nibble of byte 0.
const SUNATM_PT_LLC: u32 = 2;

impl Gen {
    pub(in crate::filter) fn llc_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            p if Self::llc_sap_pair(p) => self.cmp(Rel::Llc, 0, H, (proto << 8) | proto),
            LLCSAP_IPX => self.cmp(Rel::Llc, 0, B, LLCSAP_IPX),
            ETH_ATALK => self.snap(0x080007, ETH_ATALK),
            p if p <= ETHERMTU => self.cmp(Rel::Llc, 0, B, proto),
            _ => self.cmp(Rel::Llc, 6, H, proto),
        }
    }

    pub(in crate::filter) fn sunatm_linktype(&self, proto: u32) -> Result<Cond> {
        let is_llc = self.mcmp(Rel::LinkHdr, 0, B, SUNATM_PT_LLC, 0x0f)?;
        Ok(Cond::and(is_llc, self.llc_linktype(proto)?))
    }
}
