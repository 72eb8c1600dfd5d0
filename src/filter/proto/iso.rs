//! OSI network protocols: `iso` (the 0xfe SAP, or its stand-in on links
//! without 802.2), the NLPIDs `clnp`, `esis` and `isis`, and the IS-IS PDU
//! type groups `l1`, `l2`, `iih`, `lsp`, `snp`, `csnp` and `psnp`. As in
//! libpcap, the NLPID is the byte after a bare 802.2 header (no SNAP) on
//! LLC links and Ethernet, the first payload byte on PPP, the byte after
//! C-HDLC's fudge byte on Cisco HDLC, and the byte after the UI control
//! field on Frame Relay; the IS-IS PDU type is 4 bytes further on. libpcap
//! checks neither the 802.2 control byte nor the IS-IS header length, and
//! neither does ringcap: the verdicts are libpcap's on every link type.

use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

const ISIS_L1_LAN_IIH: u32 = 15;
const ISIS_L2_LAN_IIH: u32 = 16;
const ISIS_PTP_IIH: u32 = 17;
const ISIS_L1_LSP: u32 = 18;
const ISIS_L2_LSP: u32 = 20;
const ISIS_L1_CSNP: u32 = 24;
const ISIS_L2_CSNP: u32 = 25;
const ISIS_L1_PSNP: u32 = 26;
const ISIS_L2_PSNP: u32 = 27;

/// Offset of the PDU type in the IS-IS header.
const ISIS_PDU_TYPE: u32 = 4;

// The PDU types of each IS-IS group, in libpcap's order (which decides
// the layout of its program, not the verdict). libpcap counts
// point-to-point hellos in both levels (it does not read their
// circuit-type bits).
pub(in crate::filter) const ISIS_L1: [u32; 5] =
    [ISIS_L1_LAN_IIH, ISIS_PTP_IIH, ISIS_L1_LSP, ISIS_L1_CSNP, ISIS_L1_PSNP];
pub(in crate::filter) const ISIS_L2: [u32; 5] =
    [ISIS_L2_LAN_IIH, ISIS_PTP_IIH, ISIS_L2_LSP, ISIS_L2_CSNP, ISIS_L2_PSNP];
pub(in crate::filter) const ISIS_IIH: [u32; 3] = [ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH];
pub(in crate::filter) const ISIS_LSP: [u32; 2] = [ISIS_L1_LSP, ISIS_L2_LSP];
pub(in crate::filter) const ISIS_SNP: [u32; 4] = [ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP];
pub(in crate::filter) const ISIS_CSNP: [u32; 2] = [ISIS_L1_CSNP, ISIS_L2_CSNP];
pub(in crate::filter) const ISIS_PSNP: [u32; 2] = [ISIS_L1_PSNP, ISIS_L2_PSNP];

impl Gen {
    /// `iso proto v`: OSI packets whose NLPID is `v`.
    pub(in crate::filter) fn iso_proto(&self, v: u32) -> Result<Cond> {
        match self.dlt {
            // The NLPID follows the UI control byte; libpcap tests both as
            // one halfword and does not call the OSI link test.
            DLT_FRELAY => self.cmp(Rel::LinkHdr, 2, H, 0x0300 | v),
            // Cisco's OSI type is 0xfefe, and a fudge byte comes first.
            DLT_C_HDLC | DLT_HDLC => Ok(self.and(self.linktype(0xfefe)?, self.cmp(Rel::LinkPlNosnap, 1, B, v)?)),
            _ => Ok(self.and(self.linktype(LLCSAP_ISONS)?, self.cmp(Rel::LinkPlNosnap, 0, B, v)?)),
        }
    }

    /// `isis proto v`: IS-IS PDUs of type `v`.
    pub(in crate::filter) fn isis_proto(&self, v: u32) -> Result<Cond> {
        let isis = self.iso_proto(ISO10589_ISIS)?;
        Ok(self.and(isis, self.cmp(Rel::LinkPlNosnap, ISIS_PDU_TYPE, B, v)?))
    }

    /// An IS-IS PDU group (`l1`, `iih`, …): any of `types`.
    pub(in crate::filter) fn isis_types(&self, types: &[u32]) -> Result<Cond> {
        let mut acc = self.or(self.isis_proto(types[0])?, self.isis_proto(types[1])?);
        for &t in &types[2..] {
            acc = self.or(self.isis_proto(t)?, acc);
        }
        Ok(acc)
    }

    /// `iso proto \name`: libpcap's OSI protocol names.
    pub(in crate::filter) fn osi_proto_name(name: &str) -> Result<u32> {
        match name {
            "esis" => Ok(ISO9542_ESIS),
            "isis" => Ok(ISO10589_ISIS),
            "clnp" => Ok(ISO8473_CLNP),
            _ => Err(err(format!("unknown osi proto '{name}'"))),
        }
    }
}
