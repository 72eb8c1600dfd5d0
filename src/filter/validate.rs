//! The kernel's rules for classic BPF programs (net/core/filter.c,
//! bpf_check_classic): known opcodes, jumps forward and inside the program,
//! no division by a constant zero, shifts below 32, scratch indices below
//! 16, every scratch load preceded by a store on all paths, known
//! ancillary loads, a return at the end, at most 4096 instructions.

use super::insn::*;
use crate::error::{Error, ErrorCode, Result};
use crate::sys;

fn invalid(pc: usize, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::FilterInvalid, format!("instruction {pc}: {what}"))
}

/// The opcodes the kernel knows; all are below 256.
const VALID: &[u16] = &[
    ALU | ADD | K,
    ALU | ADD | X,
    ALU | SUB | K,
    ALU | SUB | X,
    ALU | MUL | K,
    ALU | MUL | X,
    ALU | DIV | K,
    ALU | DIV | X,
    ALU | MOD | K,
    ALU | MOD | X,
    ALU | AND | K,
    ALU | AND | X,
    ALU | OR | K,
    ALU | OR | X,
    ALU | XOR | K,
    ALU | XOR | X,
    ALU | LSH | K,
    ALU | LSH | X,
    ALU | RSH | K,
    ALU | RSH | X,
    ALU | NEG,
    LD | W | ABS,
    LD | H | ABS,
    LD | B | ABS,
    LD | W | LEN,
    LD | W | IND,
    LD | H | IND,
    LD | B | IND,
    LD | IMM,
    LD | MEM,
    LDX | W | LEN,
    LDX | B | MSH,
    LDX | IMM,
    LDX | MEM,
    ST,
    STX,
    MISC | TAX,
    MISC | TXA,
    RET | K,
    RET | A,
    JMP | JA,
    JMP | JEQ | K,
    JMP | JEQ | X,
    JMP | JGE | K,
    JMP | JGE | X,
    JMP | JGT | K,
    JMP | JGT | X,
    JMP | JSET | K,
    JMP | JSET | X,
];

/// `VALID` as a bit per opcode: validating is a lookup per instruction,
/// not a search of the list.
const KNOWN: [u64; 4] = {
    let mut bits = [0u64; 4];
    let mut i = 0;
    while i < VALID.len() {
        let c = VALID[i] as usize;
        bits[c / 64] |= 1 << (c % 64);
        i += 1;
    }
    bits
};

fn known_opcode(code: u16) -> bool {
    let c = usize::from(code);
    c < 256 && KNOWN[c / 64] & (1 << (c % 64)) != 0
}

fn is_ancillary(k: u32) -> bool {
    let off = k.wrapping_sub(sys::SKF_AD_OFF as u32);
    off < sys::SKF_AD_MAX
}

pub fn validate(prog: &[Insn]) -> Result<()> {
    if prog.is_empty() {
        return Err(Error::new(ErrorCode::FilterInvalid, "program is empty"));
    }
    if prog.len() > MAXINSNS {
        return Err(Error::new(
            ErrorCode::FilterInvalid,
            format!("program has {} instructions; the kernel allows at most {MAXINSNS}", prog.len()),
        ));
    }
    let len = prog.len();
    for (pc, i) in prog.iter().enumerate() {
        if !known_opcode(i.code) {
            return Err(invalid(pc, format!("unknown opcode 0x{:x}", i.code)));
        }
        let c = i.code;
        if c == ALU | DIV | K && i.k == 0 {
            return Err(invalid(pc, "division by constant zero"));
        }
        if c == ALU | MOD | K && i.k == 0 {
            return Err(invalid(pc, "modulus by constant zero"));
        }
        if (c == ALU | LSH | K || c == ALU | RSH | K) && i.k >= 32 {
            return Err(invalid(pc, format!("shift by {} (must be below 32)", i.k)));
        }
        if matches!(c, x if x == LD | MEM || x == LDX | MEM || x == ST || x == STX) && i.k >= MEMWORDS {
            return Err(invalid(pc, format!("scratch memory index {} (must be below {MEMWORDS})", i.k)));
        }
        if class(c) == JMP {
            if op(c) == JA {
                if (i.k as usize) >= len - pc - 1 {
                    return Err(invalid(pc, format!("jump offset {} leaves the program", i.k)));
                }
            } else if pc + i.jt as usize + 1 >= len || pc + i.jf as usize + 1 >= len {
                return Err(invalid(pc, format!("jump (jt {}, jf {}) leaves the program", i.jt, i.jf)));
            }
        }
        if matches!(c, x if x == LD | W | ABS || x == LD | H | ABS || x == LD | B | ABS)
            && i.k >= sys::SKF_AD_OFF as u32
            && !is_ancillary(i.k)
        {
            return Err(invalid(pc, format!("unknown ancillary load offset {}", i.k as i32)));
        }
    }
    let last = prog[len - 1].code;
    if last != RET | K && last != RET | A {
        return Err(invalid(len - 1, "the program must end with a return"));
    }
    check_scratch(prog)
}

/// Every M[] load must follow a store to the same slot on every path
/// (the kernel's check_load_and_stores). Jumps only go forward, so one pass
/// in program order with the meet (intersection) at each target suffices.
fn check_scratch(prog: &[Insn]) -> Result<()> {
    // Most programs never load from M[]: nothing to check.
    if !prog.iter().any(|i| i.code == LD | MEM || i.code == LDX | MEM) {
        return Ok(());
    }
    const ALL: u16 = 0xffff;
    let mut incoming: Vec<Option<u16>> = vec![None; prog.len()];
    incoming[0] = Some(0);
    for (pc, i) in prog.iter().enumerate() {
        // Unreachable code cannot load anything uninitialised.
        let mut valid = match incoming[pc] {
            Some(v) => v,
            None => ALL,
        };
        let c = i.code;
        if (c == LD | MEM || c == LDX | MEM) && valid & (1 << i.k) == 0 {
            return Err(invalid(pc, format!("M[{}] is read before it is written", i.k)));
        }
        if c == ST || c == STX {
            valid |= 1 << i.k;
        }
        let mut flow = |target: usize| {
            if let Some(slot) = incoming.get_mut(target) {
                *slot = Some(slot.map_or(valid, |old| old & valid));
            }
        };
        match class(c) {
            RET => {}
            JMP if op(c) == JA => flow(pc + 1 + i.k as usize),
            JMP => {
                flow(pc + 1 + i.jt as usize);
                flow(pc + 1 + i.jf as usize);
            }
            _ => flow(pc + 1),
        }
    }
    Ok(())
}
