//! Value numbering for the optimizer: every value a register can hold gets
//! a number, the same number for the same computation (a load of the same
//! bytes, the same operation on the same numbers), so that comparing two
//! values is comparing two `u32`s.
//!
//! This is the optimizer's innermost loop (every statement of every block
//! simulated, in every round), and built for it: expressions are packed
//! into one 128-bit key in the optimizer's own hash table, and the values
//! registers hold on entry to a block are numbered arithmetically, outside
//! the table, since a compile asks for a dozen of them per block.

use super::table::{mix, Table};
use crate::error::{Error, ErrorCode};
use crate::filter::insn::*;

/// A value number. 32 bits, because register states of 18 of them are
/// copied and compared all the time.
pub(super) type V = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expr {
    Const(u32),
    Len,
    /// A packet (or ancillary) load; `base` is X's value for indexed loads.
    Load {
        size: u16,
        base: Option<V>,
        off: u32,
    },
    /// 4*([off]&0xf)
    Msh(u32),
    Alu(u16, V, V),
    Neg(V),
    /// Whatever register `reg` held on entry to block `block`.
    Opaque(usize, u8),
}

impl Expr {
    /// The expression as one table key; never 0. Entry values have none:
    /// they are never looked up.
    fn key(self) -> u128 {
        let (tag, a, b): (u32, u32, u32) = match self {
            Expr::Const(k) => (1, k, 0),
            Expr::Len => (2, 0, 0),
            Expr::Load { size, base: None, off } => (3 | u32::from(size) << 8, 0, off),
            Expr::Load { size, base: Some(x), off } => (3 | u32::from(size) << 8 | 1 << 16, x, off),
            Expr::Msh(k) => (4, k, 0),
            Expr::Alu(op, p, q) => (5 | u32::from(op) << 8, p, q),
            Expr::Neg(p) => (6, p, 0),
            Expr::Opaque(..) => (7, 0, 0),
        };
        u128::from(tag) | u128::from(a) << 32 | u128::from(b) << 64
    }
}

/// Registers: A, X, then M[0..16].
pub(super) const NREGS: usize = 2 + MEMWORDS as usize;
pub(super) const RA: usize = 0;
pub(super) const RX: usize = 1;

/// Entry values are numbered from here on: `ENTRY + block * NREGS + reg`.
const ENTRY: V = 1 << 31;

/// Values are registered in the table and numbered in order; `exprs`,
/// `keys` and `opaque` are indexed by the number.
#[derive(Default)]
pub(super) struct Values {
    exprs: Vec<Expr>,
    keys: Vec<u128>,
    /// Whether the value depends on an entry value (whose content no
    /// block-local reasoning knows).
    opaque: Vec<bool>,
    table: Table,
}

impl Values {
    /// Empty, keeping the buffers' capacity.
    pub(super) fn reset(&mut self) {
        self.exprs.clear();
        self.keys.clear();
        self.opaque.clear();
        self.table.clear();
    }

    /// Whatever register `r` held on entry to block `b`.
    pub(super) fn entry_value(&self, b: usize, r: usize) -> Faulty<V> {
        match b.checked_mul(NREGS).and_then(|i| i.checked_add(r)) {
            Some(i) if i < ENTRY as usize => Ok(ENTRY + i as V),
            _ => Err(Fault::TooMany),
        }
    }

    /// The value `e` computes.
    #[inline]
    pub(super) fn get(&mut self, e: Expr) -> Faulty<V> {
        match self.simplify(e)? {
            Simplified::Is(v) => Ok(v),
            Simplified::New(e) => self.intern(e),
        }
    }

    fn intern(&mut self, e: Expr) -> Faulty<V> {
        let key = e.key();
        let fresh = self.exprs.len() as V;
        let keys = &self.keys;
        if let Some(v) =
            self.table.find_or_insert(mix(key as u64, (key >> 64) as u64), |v| keys[v as usize] == key, fresh)
        {
            return Ok(v);
        }
        if fresh >= ENTRY {
            return Err(Fault::TooMany);
        }
        let opaque = match e {
            Expr::Load { base: Some(b), .. } | Expr::Neg(b) => self.is_opaque(b),
            Expr::Alu(_, a, b) => self.is_opaque(a) || self.is_opaque(b),
            _ => false,
        };
        self.exprs.push(e);
        self.keys.push(key);
        self.opaque.push(opaque);
        Ok(fresh)
    }

    pub(super) fn expr(&self, v: V) -> Expr {
        if v >= ENTRY {
            let i = (v - ENTRY) as usize;
            return Expr::Opaque(i / NREGS, (i % NREGS) as u8);
        }
        self.exprs[v as usize]
    }

    pub(super) fn is_opaque(&self, v: V) -> bool {
        v >= ENTRY || self.opaque[v as usize]
    }

    pub(super) fn konst(&self, v: V) -> Option<u32> {
        match self.exprs.get(v as usize) {
            Some(Expr::Const(k)) => Some(*k),
            _ => None,
        }
    }

    fn simplify(&self, e: Expr) -> Faulty<Simplified> {
        // X + k addressing with a known part of X folds into k (kept below
        // the negative, ancillary range).
        if let Expr::Load { size, base: Some(b), off } = e {
            let folded = match self.expr(b) {
                Expr::Const(c) => Some((None, c)),
                Expr::Alu(ADD, p, q) => self.konst(q).map(|c| (Some(p), c)),
                _ => None,
            };
            if let Some((base, c)) = folded {
                let sum = off.wrapping_add(c);
                if sum < 0x8000_0000 && off < 0x8000_0000 {
                    return Ok(Simplified::New(Expr::Load { size, base, off: sum }));
                }
            }
            return Ok(Simplified::New(e));
        }
        // Constants go on the right of commutative operators.
        let e = match e {
            Expr::Alu(op @ (ADD | MUL | AND | OR | XOR), a, b)
                if self.konst(a).is_some() && self.konst(b).is_none() =>
            {
                Expr::Alu(op, b, a)
            }
            e => e,
        };
        let Expr::Alu(op, a, b) = e else {
            if let Expr::Neg(a) = e {
                if let Some(x) = self.konst(a) {
                    return Ok(Simplified::New(Expr::Const(x.wrapping_neg())));
                }
            }
            return Ok(Simplified::New(e));
        };
        let (ka, kb) = (self.konst(a), self.konst(b));
        if let (Some(x), Some(y)) = (ka, kb) {
            let v = match op {
                ADD => x.wrapping_add(y),
                SUB => x.wrapping_sub(y),
                MUL => x.wrapping_mul(y),
                DIV | MOD if y == 0 => return Err(Fault::DivisionByZero),
                DIV => x / y,
                MOD => x % y,
                AND => x & y,
                OR => x | y,
                XOR => x ^ y,
                LSH => x.checked_shl(y).unwrap_or(0),
                RSH => x.checked_shr(y).unwrap_or(0),
                _ => return Ok(Simplified::New(e)),
            };
            return Ok(Simplified::New(Expr::Const(v)));
        }
        if let Some(y) = kb {
            let identity = matches!((op, y), (ADD | SUB | OR | XOR | LSH | RSH, 0) | (MUL | DIV, 1) | (AND, u32::MAX));
            if identity {
                return Ok(Simplified::Is(a));
            }
            if matches!((op, y), (MUL | AND, 0)) {
                return Ok(Simplified::New(Expr::Const(0)));
            }
        }
        Ok(Simplified::New(e))
    }
}

/// What an expression comes to: a value already numbered (`x + 0` is `x`)
/// or an expression to look up.
enum Simplified {
    Is(V),
    New(Expr),
}

/// Why a value cannot be had: one byte rather than an `Error`, so that the
/// results of the innermost calls fit in a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    DivisionByZero,
    TooMany,
}

/// A result that fails with a [`Fault`].
pub(super) type Faulty<T> = std::result::Result<T, Fault>;

impl From<Fault> for Error {
    fn from(f: Fault) -> Error {
        match f {
            Fault::DivisionByZero => Error::new(ErrorCode::FilterSyntax, "division by zero"),
            Fault::TooMany => {
                Error::new(ErrorCode::FilterSyntax, "expression too complex (too many values for the optimizer)")
            }
        }
    }
}
