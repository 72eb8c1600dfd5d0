//! SunATM's circuits and cells: `vpi`, `vci`, the well-known circuits
//! (`metac`, `bcc`, `sc`, `ilmic`, `oamf4sc`, `oamf4ec`, `oam`/`oamf4`),
//! Q.2931 signalling (`connectmsg`, `metaconnect`), and `lane`, after which
//! everything is read as LANE-carried Ethernet (offsets 2 bytes past the
//! pseudo-header) with LE control frames excluded from Ethernet tests, as
//! libpcap does. Also as in libpcap, `vpi`/`vci` after `lane` are read at
//! their pseudo-header offsets from the Ethernet header, and `!=` on them
//! tests equality.

use super::super::ast::{AtmType, Field, RelOp};
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use super::Kind;
use crate::error::Result;

/// Pseudo-header: protocol nibble, VPI byte, VCI halfword; the cell's
/// payload follows.
const ATM_PROTO: u32 = 0;
const ATM_VPI: u32 = 1;
const ATM_VCI: u32 = 2;
const ATM_PAYLOAD: u32 = 4;
const PT_LANE: u32 = 1;
/// The Q.2931 message type in the signalling payload.
const MSG_TYPE: u32 = ATM_PAYLOAD + 5;
const SETUP: u32 = 0x05;
const CALL_PROCEED: u32 = 0x02;
const CONNECT: u32 = 0x07;
const CONNECT_ACK: u32 = 0x0f;
const RELEASE: u32 = 0x4d;
const RELEASE_DONE: u32 = 0x5a;
const DLT_SUNATM: i32 = 123;

impl Gen {
    fn is_atm(&self) -> bool {
        self.outer_dlt == DLT_SUNATM
    }

    pub(in crate::filter) fn atm_field(&self, f: Field, op: RelOp, reverse: bool, v: u32) -> Result<Cond> {
        let (name, off, size) = if f == Field::Vpi { ("vpi", ATM_VPI, B) } else { ("vci", ATM_VCI, H) };
        if !self.is_atm() {
            return Err(err(format!("'{name}' supported only on raw ATM")));
        }
        self.rel_cmp(Rel::LinkHdr, off, size, 0xffff_ffff, (op, reverse), v)
    }

    /// A circuit: VPI 0 and this VCI.
    fn vc(&self, vci: u32) -> Result<Cond> {
        let vpi = self.atm_field(Field::Vpi, RelOp::Eq, false, 0)?;
        Ok(self.and(vpi, self.atm_field(Field::Vci, RelOp::Eq, false, vci)?))
    }

    /// Any of these signalling messages.
    fn msgs(&self, types: &[u32]) -> Result<Cond> {
        let msg = |t: u32| self.cmp(Rel::LinkHdr, MSG_TYPE, B, t);
        let mut acc = self.or(msg(types[0])?, msg(types[1])?);
        for &t in &types[2..] {
            acc = self.or(msg(t)?, acc);
        }
        Ok(acc)
    }

    pub(in crate::filter) fn atm_type(&mut self, t: AtmType) -> Result<Cond> {
        let name = match t {
            AtmType::Lane => "lane",
            AtmType::Metac => "metac",
            AtmType::Bcc => "bcc",
            AtmType::Oamf4ec => "oam4ec",
            AtmType::Oamf4sc => "oam4sc",
            AtmType::Sc => "sc",
            AtmType::Ilmic => "ilmic",
            AtmType::Oam => "oam",
            AtmType::Oamf4 => "oamf4",
            AtmType::Connectmsg => "connectmsg",
            AtmType::Metaconnect => "metaconnect",
        };
        if !self.is_atm() {
            return Err(err(format!("'{name}' supported only on raw ATM")));
        }
        match t {
            AtmType::Metac => self.vc(1),
            AtmType::Bcc => self.vc(2),
            AtmType::Oamf4sc => self.vc(3),
            AtmType::Oamf4ec => self.vc(4),
            AtmType::Sc => self.vc(5),
            AtmType::Ilmic => self.vc(16),
            AtmType::Oam | AtmType::Oamf4 => {
                let vci = self.or(
                    self.atm_field(Field::Vci, RelOp::Eq, false, 3)?,
                    self.atm_field(Field::Vci, RelOp::Eq, false, 4)?,
                );
                Ok(self.and(self.atm_field(Field::Vpi, RelOp::Eq, false, 0)?, vci))
            }
            AtmType::Connectmsg => {
                Ok(self
                    .and(self.vc(5)?, self.msgs(&[SETUP, CALL_PROCEED, CONNECT, CONNECT_ACK, RELEASE, RELEASE_DONE])?))
            }
            AtmType::Metaconnect => {
                Ok(self.and(self.vc(1)?, self.msgs(&[SETUP, CALL_PROCEED, CONNECT, RELEASE, RELEASE_DONE])?))
            }
            AtmType::Lane => {
                let c = self.mcmp(Rel::LinkHdr, ATM_PROTO, B, PT_LANE, 0x0f)?;
                let hdr = ATM_PAYLOAD + 2;
                // libpcap's LE control check looks at the link type this
                // `lane` was applied to: after a second `lane` (or after
                // `pppoes`) it is no longer SunATM, and there is no check.
                self.lane = self.dlt == DLT_SUNATM;
                self.linkhdr = Off::at(hdr);
                self.linktype = Some(Off::at(hdr + 12));
                self.linkpl = Off::at(hdr + 14);
                self.nl = 0;
                self.nl_nosnap = 3;
                self.dlt = DLT_EN10MB;
                self.kind = Kind::Ether;
                Ok(c)
            }
        }
    }

    /// After `lane`: not an LE control frame (marker 0xff00 in front of
    /// the Ethernet header). None elsewhere.
    pub(in crate::filter) fn lane_data_check(&self) -> Result<Option<Cond>> {
        if !self.lane || self.kind != Kind::Ether {
            return Ok(None);
        }
        Ok(Some(self.not(self.cmp(Rel::Packet, ATM_PAYLOAD, H, 0xff00)?)))
    }
}
