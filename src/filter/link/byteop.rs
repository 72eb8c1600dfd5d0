//! `byte idx op val`: a byte of the link header compared with `=`, `<` or
//! `>`. For `&` and `|` libpcap loads nothing: it tests the accumulator as
//! the code before left it (0 at the start of the program, the last value
//! loaded on the path otherwise), so `byte 1 & 2` alone never matches and
//! `ip and byte 3 & 2` tests the Ethernet type. ringcap generates the same
//! tests of the accumulator, kept as generated, so the verdicts are the same
//! as libpcap's.

use super::super::ast::ByteOp;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use crate::error::Result;

impl Gen {
    pub(in crate::filter) fn byteop(&self, op: ByteOp, idx: u32, val: u32) -> Result<Cond> {
        let bits = |code: u16| {
            let test = Test::Jump { op: JEQ, x: false, k: 0 };
            self.not(self.effects(vec![ld(ALU | code | K, val)], test, false))
        };
        Ok(match op {
            ByteOp::Eq => self.cmp(Rel::LinkHdr, idx, B, val)?,
            ByteOp::Lt => self.not(self.ncmp(Rel::LinkHdr, idx, B, 0xffff_ffff, JGE, val)?),
            ByteOp::Gt => self.ncmp(Rel::LinkHdr, idx, B, 0xffff_ffff, JGT, val)?,
            ByteOp::And => bits(AND),
            ByteOp::Or => bits(OR),
        })
    }
}
