//! Classic BPF instructions and the opcode pieces, as u16, from the
//! kernel's constants.

use crate::sys;

/// One classic BPF instruction, laid out like the kernel's `sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    /// Opcode (BPF_LD | BPF_H | BPF_ABS …).
    pub code: u16,
    /// Conditional jumps: instructions to skip when the test is true.
    pub jt: u8,
    /// Conditional jumps: instructions to skip when the test is false.
    pub jf: u8,
    /// Constant operand (offset, immediate, BPF_JA distance).
    pub k: u32,
}

impl Insn {
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Self {
        Insn { code, jt, jf, k }
    }

    pub const fn stmt(code: u16, k: u32) -> Self {
        Insn { code, jt: 0, jf: 0, k }
    }

    /// The instruction in `b`, laid out as C's `struct bpf_insn` in this
    /// host's byte order.
    pub const fn from_ne_bytes(b: [u8; 8]) -> Self {
        Insn {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

pub const LD: u16 = sys::BPF_LD as u16;
pub const LDX: u16 = sys::BPF_LDX as u16;
pub const ST: u16 = sys::BPF_ST as u16;
pub const STX: u16 = sys::BPF_STX as u16;
pub const ALU: u16 = sys::BPF_ALU as u16;
pub const JMP: u16 = sys::BPF_JMP as u16;
pub const RET: u16 = sys::BPF_RET as u16;
pub const MISC: u16 = sys::BPF_MISC as u16;

pub const W: u16 = sys::BPF_W as u16;
pub const H: u16 = sys::BPF_H as u16;
pub const B: u16 = sys::BPF_B as u16;

pub const IMM: u16 = sys::BPF_IMM as u16;
pub const ABS: u16 = sys::BPF_ABS as u16;
pub const IND: u16 = sys::BPF_IND as u16;
pub const MEM: u16 = sys::BPF_MEM as u16;
pub const LEN: u16 = sys::BPF_LEN as u16;
pub const MSH: u16 = sys::BPF_MSH as u16;

pub const ADD: u16 = sys::BPF_ADD as u16;
pub const SUB: u16 = sys::BPF_SUB as u16;
pub const MUL: u16 = sys::BPF_MUL as u16;
pub const DIV: u16 = sys::BPF_DIV as u16;
pub const OR: u16 = sys::BPF_OR as u16;
pub const AND: u16 = sys::BPF_AND as u16;
pub const LSH: u16 = sys::BPF_LSH as u16;
pub const RSH: u16 = sys::BPF_RSH as u16;
pub const NEG: u16 = sys::BPF_NEG as u16;
pub const MOD: u16 = sys::BPF_MOD as u16;
pub const XOR: u16 = sys::BPF_XOR as u16;

pub const JA: u16 = sys::BPF_JA as u16;
pub const JEQ: u16 = sys::BPF_JEQ as u16;
pub const JGT: u16 = sys::BPF_JGT as u16;
pub const JGE: u16 = sys::BPF_JGE as u16;
pub const JSET: u16 = sys::BPF_JSET as u16;

pub const K: u16 = sys::BPF_K as u16;
pub const X: u16 = sys::BPF_X as u16;
pub const A: u16 = sys::BPF_A as u16;
pub const TAX: u16 = sys::BPF_TAX as u16;
pub const TXA: u16 = sys::BPF_TXA as u16;

pub const MEMWORDS: u32 = sys::BPF_MEMWORDS;
pub const MAXINSNS: usize = sys::BPF_MAXINSNS as usize;

/// Ancillary-data offsets (SKF_AD_OFF + field), as the u32 `k` of a load.
pub const fn ancillary(field: u32) -> u32 {
    (sys::SKF_AD_OFF as u32).wrapping_add(field)
}

pub fn class(code: u16) -> u16 {
    code & 0x07
}

pub fn size(code: u16) -> u16 {
    code & 0x18
}

pub fn mode(code: u16) -> u16 {
    code & 0xe0
}

pub fn op(code: u16) -> u16 {
    code & 0xf0
}

pub fn src(code: u16) -> u16 {
    code & 0x08
}

/// Bytes loaded by a size field.
pub fn size_bytes(code: u16) -> u32 {
    match size(code) {
        W => 4,
        H => 2,
        _ => 1,
    }
}
