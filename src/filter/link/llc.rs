//! Links that carry 802.2 LLC (FDDI, token ring, ATM RFC 1483/CLIP, IP
//! over Fibre Channel, SunATM, and 802.11 after its MAC header). As in
//! libpcap an Ethernet type is looked for only where SNAP with OUI 0 would
//! put it (6 bytes into the LLC header), without checking the SNAP header
//! itself; the token ring header is taken as 14 bytes (no source route).
//! SunATM checks the pseudo-header's protocol field for LLC first.

use super::super::ast::LlcKind;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use super::Kind;
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

    /// `llc`: frames with an 802.2 header, on the links where libpcap can
    /// tell (on FDDI, token ring and RFC 1483 ATM every frame has one).
    fn is_llc(&self) -> Result<Cond> {
        match (self.kind, self.dlt) {
            (_, DLT_EN10MB) => {
                let is_8023 = self.not(self.ncmp(Rel::LinkType, 0, H, 0xffff_ffff, JGT, ETHERMTU)?);
                Ok(self.and(is_8023, self.not(self.cmp(Rel::Llc, 0, H, 0xffff)?)))
            }
            (Kind::SunAtm, _) => self.mcmp(Rel::LinkHdr, 0, B, SUNATM_PT_LLC, 0x0f),
            (_, DLT_IEEE802 | DLT_FDDI | DLT_ATM_RFC1483) => Ok(Cond::TRUE),
            (Kind::Wlan(_), _) => self.wlan_data_frame(),
            _ => Err(err(format!("'llc' not supported for {}", self.link_name()))),
        }
    }

    pub(in crate::filter) fn llc(&self, kind: Option<LlcKind>) -> Result<Cond> {
        let base = self.is_llc()?;
        let control = |v: u32, mask: u32| self.mcmp(Rel::Llc, 2, B, v, mask);
        let test = match kind {
            None => return Ok(base),
            Some(LlcKind::I) => self.not(self.leaf(self.load_a(Rel::Llc, 2, B)?, JSET, 0x01)),
            Some(LlcKind::S) => control(0x01, 0x03)?,
            Some(LlcKind::U) => control(0x03, 0x03)?,
            Some(LlcKind::SType(t)) => control(t, 0x0f)?,
            Some(LlcKind::UType(t)) => control(t, 0xef)?,
        };
        Ok(self.and(base, test))
    }

    pub(in crate::filter) fn sunatm_linktype(&self, proto: u32) -> Result<Cond> {
        let is_llc = self.mcmp(Rel::LinkHdr, 0, B, SUNATM_PT_LLC, 0x0f)?;
        Ok(self.and(is_llc, self.llc_linktype(proto)?))
    }
}
