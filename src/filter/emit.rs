//! Linearizes the block graph into BPF instructions, in libpcap's layout
//! (a block, then its true branch, then its false branch), inserting `ja`
//! trampolines where a conditional jump is farther than 255 instructions.

use super::insn::*;
use super::ir::{Graph, Next, Test};
use crate::error::{Error, ErrorCode, Result};

/// The emitter's work lists, kept per thread from one compile to the next
/// (half a dozen allocations of a short compile otherwise).
#[derive(Default)]
struct Scratch {
    at: Positions,
    order: Vec<usize>,
    seen: Vec<bool>,
    rets: Vec<u32>,
    stack: Vec<(Next, bool)>,
}

/// Graphs above this many blocks leave no scratch behind.
const SCRATCH_KEPT_BLOCKS: usize = 1024;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

pub fn emit(g: &Graph, root: Next) -> Result<Vec<Insn>> {
    let kept = g.blocks.len() <= SCRATCH_KEPT_BLOCKS;
    let reused =
        SCRATCH.try_with(|cell| cell.try_borrow_mut().ok().filter(|_| kept).map(|mut s| emit_with(g, root, &mut s)));
    match reused {
        Ok(Some(result)) => result,
        _ => emit_with(g, root, &mut Scratch::default()),
    }
}

fn emit_with(g: &Graph, root: Next, s: &mut Scratch) -> Result<Vec<Insn>> {
    // Emit backwards: successors first, so every jump target's position
    // (counted from the end) is known when its jump is written.
    let mut rev: Vec<Insn> = Vec::with_capacity(g.blocks.len() * 4);
    let Scratch { at, order, seen, rets, stack } = s;
    at.blocks.clear();
    at.blocks.resize(g.blocks.len(), NOT_EMITTED);
    at.rets.clear();
    order.clear();
    seen.clear();
    seen.resize(g.blocks.len(), false);
    rets.clear();
    postorder(g, root, seen, order, rets, stack);
    // Return blocks go last, in first-seen order of a depth-first walk.
    for r in rets.iter() {
        rev.push(Insn::stmt(RET | K, *r));
        at.rets.push((*r, rev.len()));
    }
    for &b in order.iter() {
        let blk = &g.blocks[b];
        // Targets are always emitted before their jumps; a miss would be a
        // bug, reported rather than panicking.
        let dist = |rev: &Vec<Insn>, n: Next| -> Result<usize> {
            at.get(n).map(|p| rev.len() - p).ok_or_else(|| internal("jump to a block not yet emitted"))
        };
        match blk.test {
            Test::Always => {
                let d = dist(&rev, blk.jt)?;
                if d > 0 {
                    rev.push(Insn::stmt(JMP | JA, d as u32));
                }
            }
            Test::Jump { op, x, k } => {
                let code = JMP | op | if x { X } else { K };
                let mut jt = dist(&rev, blk.jt)?;
                let mut jf = dist(&rev, blk.jf)?;
                // Far targets go through an unconditional jump placed right
                // after this one.
                if jf > 255 {
                    rev.push(Insn::stmt(JMP | JA, jf as u32));
                    jf = 0;
                    jt += 1;
                }
                if jt > 255 {
                    rev.push(Insn::stmt(JMP | JA, jt as u32));
                    jt = 0;
                    jf += 1;
                }
                if jt > 255 || jf > 255 {
                    return Err(Error::new(ErrorCode::FilterSyntax, "expression too complex (jump out of range)"));
                }
                rev.push(Insn::new(code, jt as u8, jf as u8, k));
            }
        }
        for s in blk.stmts.iter().rev() {
            rev.push(*s);
        }
        at.blocks[b] = rev.len();
    }
    let root_pos = at.get(root).ok_or_else(|| internal("root not emitted"))?;
    // Anything emitted after the root (never the case for a tree walk from
    // it) would be unreachable; the root is always first.
    let mut out = rev;
    out.truncate(root_pos);
    out.reverse();
    if out.len() > MAXINSNS {
        return Err(Error::new(
            ErrorCode::FilterSyntax,
            format!("expression too complex: {} instructions (the kernel allows {MAXINSNS})", out.len()),
        ));
    }
    Ok(out)
}

/// Where each target was emitted, counted from the end of the program.
#[derive(Default)]
struct Positions {
    blocks: Vec<usize>,
    /// A program has a return or two: a list beats a map.
    rets: Vec<(u32, usize)>,
}

const NOT_EMITTED: usize = usize::MAX;

impl Positions {
    fn get(&self, n: Next) -> Option<usize> {
        match n {
            Next::Block(b) => self.blocks.get(b).copied().filter(|&p| p != NOT_EMITTED),
            Next::Ret(r) => self.rets.iter().find(|(k, _)| *k == r).map(|(_, p)| *p),
        }
    }
}

fn internal(what: &str) -> Error {
    Error::new(ErrorCode::FilterSyntax, format!("internal error: {what}"))
}

/// Blocks in the order they must be emitted backwards: for a block, its
/// false subtree, then its true subtree, then itself.
fn postorder(
    g: &Graph,
    n: Next,
    seen: &mut [bool],
    order: &mut Vec<usize>,
    rets: &mut Vec<u32>,
    stack: &mut Vec<(Next, bool)>,
) {
    // Iterative, so that long chains cannot overflow the stack.
    stack.clear();
    stack.push((n, false));
    while let Some((n, expanded)) = stack.pop() {
        match n {
            Next::Ret(r) => {
                if !rets.contains(&r) {
                    rets.push(r);
                }
            }
            Next::Block(b) => {
                if expanded {
                    order.push(b);
                    continue;
                }
                if seen[b] {
                    continue;
                }
                seen[b] = true;
                let blk = &g.blocks[b];
                stack.push((n, true));
                stack.push((blk.jt, false));
                if blk.test != Test::Always {
                    stack.push((blk.jf, false));
                }
            }
        }
    }
}
