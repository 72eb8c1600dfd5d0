//! SS7 over MTP2 (MTP2, MTP2_WITH_PHDR, and ERF, whose MTP2 records
//! libpcap also assumes): the signal unit types by their length indicator
//! (`fisu`, `lssu`, `msu`, and the high-speed-link `hfisu`, `hlssu`,
//! `hmsu` with the 9-bit indicator), and MTP3's `sio`, `opc`, `dpc`,
//! `sls` (`hsio` … 3 bytes further on) with libpcap's bit layouts. Like
//! libpcap, `!=` on these fields tests equality (libpcap drops the
//! negation for `=`), and the link type itself still has no protocol
//! filtering.

use super::super::ast::{Field, Mtp2Type, RelOp};
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

/// Offsets from the start of the packet of the length indicator, its
/// high-speed-link form, and MTP3's SIO, OPC, DPC and SLS.
struct MtpOffsets {
    li: u32,
    li_hsl: u32,
    sio: u32,
    opc: u32,
    dpc: u32,
    sls: u32,
}

fn offsets(dlt: i32) -> Option<MtpOffsets> {
    // The pseudo-header in front of MTP2 (MTP2_WITH_PHDR 4, ERF 20).
    let pre = match dlt {
        140 => 0,
        139 => 4,
        197 => 20,
        _ => return None,
    };
    Some(MtpOffsets { li: pre + 2, li_hsl: pre + 4, sio: pre + 3, opc: pre + 4, dpc: pre + 4, sls: pre + 7 })
}

impl Gen {
    pub(in crate::filter) fn mtp2_type(&self, t: Mtp2Type) -> Result<Cond> {
        let (name, high) = match t {
            Mtp2Type::Fisu => ("fisu", false),
            Mtp2Type::Lssu => ("lssu", false),
            Mtp2Type::Msu => ("msu", false),
            Mtp2Type::Hfisu => ("hfisu", true),
            Mtp2Type::Hlssu => ("hlssu", true),
            Mtp2Type::Hmsu => ("hmsu", true),
        };
        let o = offsets(self.dlt)
            .ok_or_else(|| err(format!("'{name}' supported only on {}", if high { "MTP2_HSL" } else { "MTP2" })))?;
        // The length indicator: 6 bits, or 9 bits of a halfword on HSL.
        let (off, size, mask, lssu_max) = if high { (o.li_hsl, H, 0xff80, 0x0100) } else { (o.li, B, 0x3f, 2) };
        let li = |op: RelOp, reverse: bool, v: u32| self.rel_cmp(Rel::Packet, off, size, mask, (op, reverse), v);
        match t {
            Mtp2Type::Fisu | Mtp2Type::Hfisu => li(RelOp::Eq, false, 0),
            Mtp2Type::Lssu | Mtp2Type::Hlssu => Ok(self.and(li(RelOp::Gt, false, 0)?, li(RelOp::Gt, true, lssu_max)?)),
            Mtp2Type::Msu | Mtp2Type::Hmsu => li(RelOp::Gt, false, lssu_max),
        }
    }

    /// MTP3's fields, and SunATM's `vpi`/`vci` (see `atm`).
    pub(in crate::filter) fn field(&self, f: Field, op: RelOp, reverse: bool, v: u32) -> Result<Cond> {
        let (name, high) = match f {
            Field::Vpi | Field::Vci => return self.atm_field(f, op, reverse, v),
            Field::Sio { high } => ("sio", high),
            Field::Opc { high } => ("opc", high),
            Field::Dpc { high } => ("dpc", high),
            Field::Sls { high } => ("sls", high),
        };
        let o = offsets(self.outer_dlt).ok_or_else(|| err(format!("'{name}' supported only on SS7")))?;
        let hsl = if high { 3 } else { 0 };
        let (max, off, size, mask, wire) = match f {
            Field::Sio { .. } => (255, o.sio, B, 0xffff_ffff, v),
            // 14-bit point codes, stored in the routing label's bit order.
            Field::Opc { .. } => {
                (16383, o.opc, W, 0x00c0_ff0f, ((v & 0x3c00) >> 10) + ((v & 0x03fc) << 6) + ((v & 0x0003) << 22))
            }
            Field::Dpc { .. } => (16383, o.dpc, W, 0xff3f_0000, ((v & 0xff) << 24) + ((v & 0x3f00) << 8)),
            _ => (15, o.sls, B, 0xf0, v << 4),
        };
        if v > max {
            return Err(err(format!("{name} value {v} too big; max value = {max}")));
        }
        self.rel_cmp(Rel::Packet, off + hsl, size, mask, (op, reverse), wire)
    }
}
