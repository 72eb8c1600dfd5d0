//! The one pass run on programs that libpcap leaves unoptimized (those
//! that compute 802.11's variable header offsets, where gencode sets
//! `no_optimize`): statements that load a register with what it already
//! holds are dropped, and nothing else changes.
//!
//! Such code reloads the offsets it keeps in M[] before every test
//! (`ldx M[1]; ldh [x + 6]`) and reloads the byte a chain of tests reads
//! (`ldb [x + 0]; jset #0x4 …; ldb [x + 0]; jset #0x8`): most of what
//! libpcap's optimizer would have removed there, found without numbering
//! values. A dropped statement is a load of bytes this path has already
//! loaded (or of a scratch slot it already holds), so no packet's verdict
//! can change, not even for a packet too short for some load.
//!
//! The graph comes straight from `Graph::lower`, whose block indices
//! decrease along every edge: one sweep down the indices sees every block
//! after all its predecessors, and each block's entry state (what all its
//! predecessors agree on) is complete when it is reached.

use crate::filter::insn::*;
use crate::filter::ir::{Graph, Next, Test};

/// No scratch slot.
const NONE: u8 = u8::MAX;

/// What the registers are known to hold, as the statements that put it
/// there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Known {
    /// The scratch slot whose content A (X) holds, or NONE.
    a_slot: u8,
    x_slot: u8,
    /// X holds what A holds.
    x_is_a: bool,
    /// The load (or immediate) whose result A (X) holds. An indexed load
    /// of A's is dropped as soon as X changes.
    a_load: Option<Insn>,
    x_load: Option<Insn>,
}

const UNKNOWN: Known = Known { a_slot: NONE, x_slot: NONE, x_is_a: false, a_load: None, x_load: None };

impl Known {
    /// What both paths agree on.
    fn meet(self, o: Known) -> Known {
        Known {
            a_slot: if self.a_slot == o.a_slot { self.a_slot } else { NONE },
            x_slot: if self.x_slot == o.x_slot { self.x_slot } else { NONE },
            x_is_a: self.x_is_a && o.x_is_a,
            a_load: if self.a_load == o.a_load { self.a_load } else { None },
            x_load: if self.x_load == o.x_load { self.x_load } else { None },
        }
    }

    fn x_changed(&mut self) {
        if self.a_load.is_some_and(|l| mode(l.code) == IND) {
            self.a_load = None;
        }
    }

    fn set_a(&mut self, slot: u8, load: Option<Insn>) {
        self.a_slot = slot;
        self.a_load = load;
        self.x_is_a = false;
    }

    fn set_x(&mut self, slot: u8, load: Option<Insn>) {
        self.x_slot = slot;
        self.x_load = load;
        self.x_is_a = false;
        self.x_changed();
    }

    /// Whether `i` leaves every register as it is; else records its effect.
    #[inline]
    fn redundant(&mut self, i: Insn) -> bool {
        let c = i.code;
        let slot = (i.k % MEMWORDS) as u8;
        match class(c) {
            LD if mode(c) == MEM => {
                if self.a_slot == slot {
                    return true;
                }
                self.set_a(slot, None);
                self.x_is_a = self.x_slot == slot;
            }
            LD => {
                if self.a_load == Some(i) {
                    return true;
                }
                self.set_a(NONE, Some(i));
            }
            LDX if mode(c) == MEM => {
                if self.x_slot == slot {
                    return true;
                }
                self.set_x(slot, None);
                self.x_is_a = self.a_slot == slot;
            }
            LDX => {
                if self.x_load == Some(i) {
                    return true;
                }
                self.set_x(NONE, Some(i));
            }
            ST | STX => {
                // The stored register's slot is now `slot`; the other's is
                // unless it holds the same value.
                let same = self.x_is_a;
                let (stored, other) = if class(c) == ST {
                    (&mut self.a_slot, &mut self.x_slot)
                } else {
                    (&mut self.x_slot, &mut self.a_slot)
                };
                if *other == slot || same {
                    *other = if same { slot } else { NONE };
                }
                *stored = slot;
            }
            ALU => self.set_a(NONE, None),
            _ if c == MISC | TAX => {
                if self.x_is_a {
                    return true;
                }
                // An indexed load's result is not what the same load
                // gives with the new X.
                let load = self.a_load.filter(|l| mode(l.code) != IND);
                self.set_x(self.a_slot, load);
                self.x_is_a = true;
            }
            _ => {
                if self.x_is_a {
                    return true;
                }
                self.set_a(self.x_slot, self.x_load);
                self.x_is_a = true;
            }
        }
        false
    }
}

/// Drops the redundant loads of every reachable block not marked `keep`.
/// `entry` is scratch, one slot per block.
pub(super) fn drop_reloads(g: &mut Graph, root: Next, entry: &mut Vec<Option<Known>>) {
    let Next::Block(r) = root else { return };
    entry.clear();
    entry.resize(g.blocks.len(), None);
    entry[r] = Some(UNKNOWN);
    for b in (0..=r).rev() {
        let Some(mut known) = entry[b] else { continue };
        let blk = &mut g.blocks[b];
        if blk.keep {
            for i in &blk.stmts {
                known.redundant(*i);
            }
        } else {
            blk.stmts.retain(|i| !known.redundant(*i));
        }
        let succs: &[Next] = if blk.test == Test::Always { &[blk.jt] } else { &[blk.jt, blk.jf] };
        for &s in succs {
            if let Next::Block(s) = s {
                debug_assert!(s < b, "lower() numbers successors below their predecessors");
                entry[s] = Some(entry[s].map_or(known, |k| k.meet(known)));
            }
        }
    }
}
