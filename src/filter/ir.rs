//! The compiler's intermediate forms: boolean conditions over test blocks
//! (what the code generator builds) and the block graph they lower to (what
//! the optimizer rewrites and the emitter linearizes).

use super::insn::Insn;

/// The conditional jump ending a block: A compared with k or with X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Test {
    /// Falls through to the true branch (a block of effects only).
    Always,
    Jump {
        op: u16,
        x: bool,
        k: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub stmts: Vec<Insn>,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Const(bool),
    Leaf(Leaf),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    pub fn leaf(stmts: Vec<Insn>, op: u16, k: u32) -> Cond {
        Cond::Leaf(Leaf { stmts, test: Test::Jump { op, x: false, k } })
    }

    pub fn and(a: Cond, b: Cond) -> Cond {
        Cond::And(Box::new(a), Box::new(b))
    }

    pub fn or(a: Cond, b: Cond) -> Cond {
        Cond::Or(Box::new(a), Box::new(b))
    }

    pub fn not(a: Cond) -> Cond {
        Cond::Not(Box::new(a))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Next {
    Block(usize),
    Ret(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Block {
    pub stmts: Vec<Insn>,
    pub test: Test,
    pub jt: Next,
    pub jf: Next,
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub blocks: Vec<Block>,
}

impl Graph {
    /// Lowers `c` so that it continues at `t` when true and `f` when false.
    /// Successors are built before their predecessors, so block indices
    /// decrease along every edge.
    pub fn lower(&mut self, c: &Cond, t: Next, f: Next) -> Next {
        match c {
            Cond::Const(true) => t,
            Cond::Const(false) => f,
            Cond::Leaf(l) => {
                if l.stmts.is_empty() && l.test == Test::Always {
                    return t;
                }
                let jf = if l.test == Test::Always { t } else { f };
                self.blocks.push(Block { stmts: l.stmts.clone(), test: l.test, jt: t, jf });
                Next::Block(self.blocks.len() - 1)
            }
            Cond::And(a, b) => {
                let nb = self.lower(b, t, f);
                self.lower(a, nb, f)
            }
            Cond::Or(a, b) => {
                let nb = self.lower(b, t, f);
                self.lower(a, t, nb)
            }
            Cond::Not(a) => self.lower(a, f, t),
        }
    }
}
