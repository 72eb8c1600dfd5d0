//! Optimizer over the block graph, in the spirit of libpcap's: values are
//! numbered symbolically (a load of the same bytes is the same value
//! everywhere), so that
//! - tests whose outcome is implied by the tests on every path to them are
//!   jumped over (jump threading; this also folds constant tests),
//! - stores and register loads whose results are never used are dropped,
//! - each block is rewritten to compute only what is used, reusing what
//!   the registers already hold on entry (redundant loads, constant
//!   folding, `sub`/`and` before a test turned into `jeq`/`jset`),
//! - identical blocks are merged and unreachable ones disappear.
//!
//! Like libpcap's optimizer, removing a load that turns out to be unneeded
//! can change the result for a packet too short to contain it.

mod reloads;
mod table;
mod values;

use super::insn::*;
use super::ir::{Block, Graph, Next, Test};
use crate::error::Result;
use table::{mix, Table};
use values::{Expr, Faulty, Values, NREGS, RA, RX, V};

type State = [V; NREGS];

/// A block's test in normal form: `lhs op rhs`, and whether the branches
/// are swapped relative to the block's jt/jf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cmp {
    lhs: V,
    op: u16,
    rhs: V,
    swapped: bool,
}

fn mem_reg(k: u32) -> usize {
    2 + (k as usize % MEMWORDS as usize)
}

/// Symbolic execution of `stmts` from `s`.
fn sim(vals: &mut Values, stmts: &[Insn], s: &mut State) -> Faulty<()> {
    for i in stmts {
        let c = i.code;
        match class(c) {
            LD | LDX => {
                let v = match mode(c) {
                    IMM => vals.get(Expr::Const(i.k))?,
                    LEN => vals.get(Expr::Len)?,
                    MEM => s[mem_reg(i.k)],
                    ABS => vals.get(Expr::Load { size: size(c), base: None, off: i.k })?,
                    IND => vals.get(Expr::Load { size: size(c), base: Some(s[RX]), off: i.k })?,
                    _ => vals.get(Expr::Msh(i.k))?,
                };
                s[if class(c) == LD { RA } else { RX }] = v;
            }
            ST => s[mem_reg(i.k)] = s[RA],
            STX => s[mem_reg(i.k)] = s[RX],
            ALU => {
                s[RA] = if op(c) == NEG {
                    vals.get(Expr::Neg(s[RA]))?
                } else {
                    let rhs = if src(c) == X { s[RX] } else { vals.get(Expr::Const(i.k))? };
                    vals.get(Expr::Alu(op(c), s[RA], rhs))?
                };
            }
            _ => {
                if c == MISC | TAX {
                    s[RX] = s[RA];
                } else {
                    s[RA] = s[RX];
                }
            }
        }
    }
    Ok(())
}

fn uses_defs(stmts: &[Insn], test: Test) -> (u32, u32) {
    let (mut uses, mut defs) = (0u32, 0u32);
    let use_reg = |r: usize, defs: u32, uses: &mut u32| {
        if defs & (1 << r) == 0 {
            *uses |= 1 << r;
        }
    };
    for i in stmts {
        let c = i.code;
        match class(c) {
            LD | LDX => {
                if mode(c) == MEM {
                    use_reg(mem_reg(i.k), defs, &mut uses);
                }
                if mode(c) == IND {
                    use_reg(RX, defs, &mut uses);
                }
                defs |= 1 << if class(c) == LD { RA } else { RX };
            }
            ST | STX => {
                use_reg(if class(c) == ST { RA } else { RX }, defs, &mut uses);
                defs |= 1 << mem_reg(i.k);
            }
            ALU => {
                use_reg(RA, defs, &mut uses);
                if op(c) != NEG && src(c) == X {
                    use_reg(RX, defs, &mut uses);
                }
                defs |= 1 << RA;
            }
            _ => {
                let (from, to) = if c == MISC | TAX { (RA, RX) } else { (RX, RA) };
                use_reg(from, defs, &mut uses);
                defs |= 1 << to;
            }
        }
    }
    if let Test::Jump { x, .. } = test {
        use_reg(RA, defs, &mut uses);
        if x {
            use_reg(RX, defs, &mut uses);
        }
    }
    (uses, defs)
}

/// Known outcomes of comparisons on a path.
type Facts = Vec<(Cmp, bool)>;

fn eval(op: u16, a: u32, b: u32) -> bool {
    match op {
        JEQ => a == b,
        JGT => a > b,
        JGE => a >= b,
        _ => a & b != 0,
    }
}

/// The outcome of `t` (unswapped sense) if `facts` imply it.
fn decide(vals: &Values, t: &Cmp, facts: &[(Cmp, bool)]) -> Option<bool> {
    if let (Some(a), Some(b)) = (vals.konst(t.lhs), vals.konst(t.rhs)) {
        return Some(eval(t.op, a, b));
    }
    for (f, outcome) in facts {
        if f.lhs != t.lhs {
            continue;
        }
        if f.op == t.op && f.rhs == t.rhs {
            return Some(*outcome);
        }
        let (Some(fk), Some(tk)) = (vals.konst(f.rhs), vals.konst(t.rhs)) else { continue };
        let r = match (f.op, outcome) {
            (JEQ, true) => Some(eval(t.op, fk, tk)),
            (JEQ, false) if t.op == JEQ && tk == fk => Some(false),
            (JGT, true) => match t.op {
                JGT if tk <= fk => Some(true),
                JGE if tk <= fk.saturating_add(1) => Some(true),
                JEQ if tk <= fk => Some(false),
                _ => None,
            },
            (JGT, false) => match t.op {
                JGT if tk >= fk => Some(false),
                JGE if tk > fk => Some(false),
                JEQ if tk > fk => Some(false),
                _ => None,
            },
            (JGE, true) => match t.op {
                JGE if tk <= fk => Some(true),
                JGT if tk < fk => Some(true),
                JEQ if tk < fk => Some(false),
                _ => None,
            },
            (JGE, false) => match t.op {
                JGE if tk >= fk => Some(false),
                JGT if fk > 0 && tk >= fk - 1 => Some(false),
                JEQ if tk >= fk => Some(false),
                _ => None,
            },
            (JSET, true) if t.op == JSET && tk & fk == fk => Some(true),
            (JSET, false) if t.op == JSET && tk & !fk == 0 => Some(false),
            (JSET, false) if t.op == JEQ && tk & fk != 0 => Some(false),
            _ => None,
        };
        if r.is_some() {
            return r;
        }
    }
    None
}

/// What one round knows about the graph. Kept from round to round with its
/// buffers: the rounds are many and the graphs small, so allocating them
/// afresh cost more than the analysis itself.
#[derive(Default)]
struct Analysis {
    order: Vec<usize>,
    /// Predecessors of block `b`, with the branch they arrive by:
    /// `preds_flat[preds_at[b]..preds_at[b + 1]]`.
    preds_at: Vec<usize>,
    preds_flat: Vec<(usize, bool)>,
    cmp: Vec<Option<Cmp>>,
    live_in: Vec<u32>,
    defs: Vec<u32>,
    exit: Vec<State>,
    walk: Walk,
    /// Per block, the entry state its `exit` and test were last computed
    /// from, and its uses and defs: most rounds only redirect edges, so
    /// most blocks are entered as before and need no new simulation.
    /// Cleared for a block whose statements or test change (`forget`).
    memo: Vec<Option<(State, Option<Cmp>)>>,
    uses_defs: Vec<Option<(u32, u32)>>,
    /// The block `regenerate` is writing.
    regen_out: Vec<Insn>,
}

impl Analysis {
    fn preds(&self, b: usize) -> &[(usize, bool)] {
        &self.preds_flat[self.preds_at[b]..self.preds_at[b + 1]]
    }

    fn forget(&mut self, b: usize) {
        if let Some(m) = self.memo.get_mut(b) {
            *m = None;
        }
        if let Some(u) = self.uses_defs.get_mut(b) {
            *u = None;
        }
    }

    fn forget_all(&mut self) {
        self.memo.clear();
        self.uses_defs.clear();
    }
}

/// A depth-first walk's buffers, reused.
#[derive(Default)]
struct Walk {
    seen: Vec<bool>,
    stack: Vec<(usize, bool)>,
}

fn succs(b: &Block) -> impl Iterator<Item = (Next, bool)> {
    let n = if b.test == Test::Always { 1 } else { 2 };
    [(b.jt, true), (b.jf, false)].into_iter().take(n)
}

/// Makes `v` at least `n` long. For per-block buffers of which only the
/// entries of reachable blocks are read, each written before it is read:
/// they are never cleared, and never shrunk, so that a compile after a
/// larger one writes nothing to make room.
fn fit<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

/// Blocks reachable from `root`, predecessors before successors, into `post`.
fn topo(g: &Graph, root: Next, post: &mut Vec<usize>, walk: &mut Walk) {
    let (seen, stack) = (&mut walk.seen, &mut walk.stack);
    seen.clear();
    seen.resize(g.blocks.len(), false);
    post.clear();
    stack.clear();
    if let Next::Block(b) = root {
        stack.push((b, false));
    }
    while let Some((b, done)) = stack.pop() {
        if done {
            post.push(b);
            continue;
        }
        if seen[b] {
            continue;
        }
        seen[b] = true;
        stack.push((b, true));
        for (n, _) in succs(&g.blocks[b]) {
            if let Next::Block(s) = n {
                if !seen[s] {
                    stack.push((s, false));
                }
            }
        }
    }
    post.reverse();
}

/// What the registers hold on entry to `b`: what every predecessor leaves
/// in them, else a value of their own.
fn entry_state(vals: &Values, b: usize, preds: &[(usize, bool)], exit: &[State]) -> Faulty<State> {
    let Some(((first, _), rest)) = preds.split_first() else {
        let mut s = [0; NREGS];
        for (r, slot) in s.iter_mut().enumerate() {
            *slot = vals.entry_value(b, r)?;
        }
        return Ok(s);
    };
    let mut s = exit[*first];
    let mut differ = 0u32;
    for (p, _) in rest {
        // Mostly the predecessors agree on every register.
        if exit[*p] == s {
            continue;
        }
        for (r, (mine, theirs)) in s.iter().zip(&exit[*p]).enumerate() {
            differ |= u32::from(mine != theirs) << r;
        }
    }
    if differ != 0 {
        for (r, slot) in s.iter_mut().enumerate() {
            if differ & (1 << r) != 0 {
                *slot = vals.entry_value(b, r)?;
            }
        }
    }
    Ok(s)
}

fn normalize(vals: &mut Values, s: &State, test: Test) -> Faulty<Option<Cmp>> {
    let Test::Jump { op, x, k } = test else { return Ok(None) };
    let rhs = if x { s[RX] } else { vals.get(Expr::Const(k))? };
    let mut c = Cmp { lhs: s[RA], op, rhs, swapped: false };
    if op == JEQ && vals.konst(rhs) == Some(0) {
        match vals.expr(c.lhs) {
            Expr::Alu(SUB, p, q) => c = Cmp { lhs: p, op: JEQ, rhs: q, swapped: false },
            Expr::Alu(AND, p, q) if vals.konst(q).is_some() => c = Cmp { lhs: p, op: JSET, rhs: q, swapped: true },
            _ => {}
        }
    }
    Ok(Some(c))
}

fn analyze(vals: &mut Values, g: &Graph, root: Next, an: &mut Analysis) -> Result<()> {
    shape(g, root, an);
    simulate(vals, g, an)?;
    liveness(g, an);
    Ok(())
}

/// The order of the reachable blocks and their predecessors.
fn shape(g: &Graph, root: Next, an: &mut Analysis) {
    topo(g, root, &mut an.order, &mut an.walk);
    let n = g.blocks.len();
    // Counted, then placed: one array for all the lists.
    an.preds_at.clear();
    an.preds_at.resize(n + 1, 0);
    for &b in &an.order {
        for (s, _) in succs(&g.blocks[b]) {
            if let Next::Block(s) = s {
                an.preds_at[s + 1] += 1;
            }
        }
    }
    for i in 0..n {
        an.preds_at[i + 1] += an.preds_at[i];
    }
    fit(&mut an.preds_flat, an.preds_at[n], (0, false));
    for &b in &an.order {
        for (s, branch) in succs(&g.blocks[b]) {
            if let Next::Block(s) = s {
                // preds_at[s] serves as the fill cursor and ends at the
                // start of s + 1; shifted back below.
                an.preds_flat[an.preds_at[s]] = (b, branch);
                an.preds_at[s] += 1;
            }
        }
    }
    for i in (1..=n).rev() {
        an.preds_at[i] = an.preds_at[i - 1];
    }
    an.preds_at[0] = 0;
    an.memo.resize(n, None);
    an.uses_defs.resize(n, None);
}

/// What the registers hold at each block's exit, and its test in values.
fn simulate(vals: &mut Values, g: &Graph, an: &mut Analysis) -> Result<()> {
    let n = g.blocks.len();
    // Only the exit states and tests of reachable blocks are read, and
    // those are written first: these buffers need no reset.
    fit(&mut an.exit, n, [0; NREGS]);
    fit(&mut an.cmp, n, None);
    for &b in &an.order {
        let entry = entry_state(vals, b, an.preds(b), &an.exit)?;
        if let Some((seen, cmp)) = &an.memo[b] {
            if *seen == entry {
                an.cmp[b] = *cmp;
                continue;
            }
        }
        let mut s = entry;
        sim(vals, &g.blocks[b].stmts, &mut s)?;
        an.cmp[b] = normalize(vals, &s, g.blocks[b].test)?;
        an.exit[b] = s;
        an.memo[b] = Some((entry, an.cmp[b]));
    }
    Ok(())
}

/// Which registers each block's code reads before writing them, with
/// what its successors read.
fn liveness(g: &Graph, an: &mut Analysis) {
    let n = g.blocks.len();
    // Written for every reachable block, successors first; only those are
    // read.
    fit(&mut an.live_in, n, 0);
    fit(&mut an.defs, n, 0);
    for &b in an.order.iter().rev() {
        let blk = &g.blocks[b];
        let (u, d) = *an.uses_defs[b].get_or_insert_with(|| uses_defs(&blk.stmts, blk.test));
        let out = live_out(blk, &an.live_in);
        an.live_in[b] = u | (out & !d);
        an.defs[b] = d;
    }
}

fn live_out(blk: &Block, live_in: &[u32]) -> u32 {
    succs(blk).fold(0, |acc, (n, _)| match n {
        Next::Block(s) => acc | live_in[s],
        Next::Ret(_) => acc,
    })
}

fn live_at(n: Next, live_in: &[u32]) -> u32 {
    match n {
        Next::Block(s) => live_in[s],
        Next::Ret(_) => 0,
    }
}

fn branch(b: &Block, taken: bool) -> Next {
    if taken || b.test == Test::Always {
        b.jt
    } else {
        b.jf
    }
}

/// The facts `thread` hands from block to block: each block's list is a
/// range of one arena, filled in the round's order and emptied for the
/// next round (a list per block and edge had been one allocation in three
/// of the compile).
#[derive(Default)]
struct FactLists {
    arena: Facts,
    /// Per block, its list's start and length in `arena`, or `NO_FACTS`.
    at: Vec<(u32, u32)>,
    /// The facts on the path being followed.
    path: Facts,
    /// The facts two paths into a block agree on.
    both: Facts,
}

/// A block no path has reached yet this round.
const NO_FACTS: (u32, u32) = (u32::MAX, 0);

impl FactLists {
    fn of(&self, (start, len): (u32, u32)) -> &[(Cmp, bool)] {
        &self.arena[start as usize..(start + len) as usize]
    }

    /// Stores `facts` as block `b`'s list.
    fn set(&mut self, b: usize, from_both: bool) {
        let facts = if from_both { &self.both } else { &self.path };
        self.at[b] = (self.arena.len() as u32, facts.len() as u32);
        self.arena.extend_from_slice(facts);
    }
}

/// One round of jump threading; true if anything changed. `lists` is
/// the caller's, kept for the next round.
fn thread(vals: &Values, g: &mut Graph, root: &mut Next, an: &Analysis, lists: &mut FactLists) -> bool {
    let n = g.blocks.len();
    lists.arena.clear();
    lists.at.clear();
    lists.at.resize(n, NO_FACTS);
    let mut changed = false;
    // Where a path with `facts` entering `t` really ends up; what it learns
    // on the way is dropped again, leaving `facts` as it was.
    let follow = |g: &Graph, mut t: Next, facts: &mut Facts| -> Next {
        let known = facts.len();
        let mut steps = 0;
        while let Next::Block(b) = t {
            steps += 1;
            if steps > n {
                break;
            }
            let blk = &g.blocks[b];
            if blk.keep {
                break;
            }
            // A test whose branches meet decides nothing: it adds no fact.
            let (taken, learned) = match an.cmp[b] {
                None => (true, None),
                Some(_) if blk.jt == blk.jf => (true, None),
                Some(c) => match decide(vals, &c, facts) {
                    Some(o) => (o != c.swapped, Some((c, o))),
                    None => break,
                },
            };
            let next = branch(blk, taken);
            if an.defs[b] & live_at(next, &an.live_in) != 0 {
                break;
            }
            if let Some((c, o)) = learned {
                if !vals.is_opaque(c.lhs) && !vals.is_opaque(c.rhs) {
                    facts.push((c, o));
                }
            }
            t = next;
        }
        facts.truncate(known);
        t
    };
    let mut path = std::mem::take(&mut lists.path);
    path.clear();
    let new_root = follow(g, *root, &mut path);
    if new_root != *root {
        lists.path = path;
        *root = new_root;
        return true;
    }
    if let Next::Block(r) = *root {
        lists.at[r] = (0, 0);
    }
    for &b in &an.order {
        // Edges are only redirected to descendants, so `order` stays
        // topological and every predecessor of `b` has already given it
        // its facts: they are final.
        if lists.at[b] == NO_FACTS {
            continue;
        }
        path.clear();
        path.extend_from_slice(lists.of(lists.at[b]));
        let blk = &g.blocks[b];
        let (jt, jf, count) = (blk.jt, blk.jf, succs(blk).count());
        let known = path.len();
        for (old, taken) in [(jt, true), (jf, false)].into_iter().take(count) {
            path.truncate(known);
            if let Some(c) = an.cmp[b] {
                if !vals.is_opaque(c.lhs) && !vals.is_opaque(c.rhs) && jt != jf {
                    path.push((c, taken != c.swapped));
                }
            }
            let new = follow(g, old, &mut path);
            if new != old {
                changed = true;
                if taken {
                    g.blocks[b].jt = new;
                } else {
                    g.blocks[b].jf = new;
                }
            }
            let Next::Block(s) = new else { continue };
            if lists.at[s] == NO_FACTS {
                lists.path = path;
                lists.set(s, false);
                path = std::mem::take(&mut lists.path);
                continue;
            }
            // Keep what both sides imply, not just what both list:
            // "= 0x800" on one path and "!= 0x800, != 0x86dd" on the
            // other still agree on "!= 0x86dd".
            let mut both = std::mem::take(&mut lists.both);
            both.clear();
            let prev = lists.of(lists.at[s]);
            for x in prev.iter().chain(path.iter()) {
                let holds = |side: &[(Cmp, bool)]| decide(vals, &x.0, side) == Some(x.1);
                if !both.contains(x) && holds(prev) && holds(&path) {
                    both.push(*x);
                }
            }
            lists.both = both;
            lists.set(s, true);
        }
    }
    lists.path = path;
    // Facts for blocks reached only through redirected edges may be
    // incomplete this round; the caller iterates to a fixpoint.
    changed
}

/// Drops statements whose results are never used.
///
/// One backward pass reaches the fixpoint: blocks are visited successors
/// first (the graph has no cycles), and each block's liveness is updated
/// from its pruned statements before its predecessors are visited.
fn dead_stores(g: &mut Graph, an: &mut Analysis) -> bool {
    let mut changed = false;
    for i in (0..an.order.len()).rev() {
        let b = an.order[i];
        let blk = &g.blocks[b];
        let out = live_out(blk, &an.live_in);
        if !blk.keep {
            let mut live = out;
            if let Test::Jump { x, .. } = blk.test {
                live |= 1 << RA;
                if x {
                    live |= 1 << RX;
                }
            }
            // Allocated only once a statement turns out dead, which in most
            // rounds none does.
            let mut keep: Vec<bool> = Vec::new();
            for (idx, i) in blk.stmts.iter().enumerate().rev() {
                let (u, d) = uses_defs(std::slice::from_ref(i), Test::Always);
                if d & live == 0 {
                    if keep.is_empty() {
                        keep = vec![true; blk.stmts.len()];
                    }
                    keep[idx] = false;
                    continue;
                }
                live = (live & !d) | u;
            }
            if !keep.is_empty() {
                let stmts = g.blocks[b].stmts.iter().zip(&keep).filter(|(_, k)| **k).map(|(s, _)| *s).collect();
                g.blocks[b].stmts = stmts;
                an.forget(b);
                changed = true;
            }
        }
        let blk = &g.blocks[b];
        let (u, d) = *an.uses_defs[b].get_or_insert_with(|| uses_defs(&blk.stmts, blk.test));
        an.live_in[b] = u | (out & !d);
        an.defs[b] = d;
    }
    changed
}

/// Re-emits a block's statements from the values it must produce.
///
/// `cur` follows what the emitted code leaves in the registers without
/// simulating it: each statement is chosen to compute a value already
/// numbered (from operands already in place), and simulating it would
/// only look that value up again.
struct Regen<'a> {
    vals: &'a Values,
    cur: State,
    out: Vec<Insn>,
}

impl Regen<'_> {
    fn emit_a(&mut self, v: V, depth: u32) -> Option<()> {
        if depth > 64 {
            return None;
        }
        if self.cur[RA] == v {
            return Some(());
        }
        if self.cur[RX] == v {
            self.push_a(Insn::stmt(MISC | TXA, 0), v);
            return Some(());
        }
        if let Some(m) = (2..NREGS).find(|&m| self.cur[m] == v) {
            self.push_a(Insn::stmt(LD | MEM, (m - 2) as u32), v);
            return Some(());
        }
        let i = match self.vals.expr(v) {
            Expr::Const(k) => Insn::stmt(LD | IMM, k),
            Expr::Len => Insn::stmt(LD | W | LEN, 0),
            Expr::Load { size, base: None, off } => Insn::stmt(LD | ABS | size, off),
            Expr::Load { size, base: Some(b), off } => {
                self.emit_x(b, depth + 1)?;
                Insn::stmt(LD | IND | size, off)
            }
            Expr::Msh(_) => {
                self.emit_x(v, depth + 1)?;
                Insn::stmt(MISC | TXA, 0)
            }
            Expr::Alu(op, p, q) => {
                if let Some(k) = self.vals.konst(q) {
                    if matches!(op, DIV | MOD) && k == 0 {
                        return None;
                    }
                    self.emit_a(p, depth + 1)?;
                    Insn::stmt(ALU | op | K, k)
                } else {
                    if self.cur[RX] != q {
                        self.emit_x(q, depth + 1)?;
                    }
                    self.emit_a(p, depth + 1)?;
                    // Computing p into A may have taken X.
                    if self.cur[RX] != q {
                        return None;
                    }
                    Insn::stmt(ALU | op | X, 0)
                }
            }
            Expr::Neg(p) => {
                self.emit_a(p, depth + 1)?;
                Insn::stmt(ALU | NEG, 0)
            }
            Expr::Opaque(..) => return None,
        };
        self.push_a(i, v);
        Some(())
    }

    fn emit_x(&mut self, v: V, depth: u32) -> Option<()> {
        if depth > 64 {
            return None;
        }
        if self.cur[RX] == v {
            return Some(());
        }
        let i = match self.vals.expr(v) {
            Expr::Const(k) => Insn::stmt(LDX | IMM, k),
            Expr::Len => Insn::stmt(LDX | W | LEN, 0),
            Expr::Msh(k) => Insn::stmt(LDX | B | MSH, k),
            _ => {
                if let Some(m) = (2..NREGS).find(|&m| self.cur[m] == v) {
                    Insn::stmt(LDX | MEM, (m - 2) as u32)
                } else {
                    self.emit_a(v, depth + 1)?;
                    Insn::stmt(MISC | TAX, 0)
                }
            }
        };
        self.out.push(i);
        self.cur[RX] = v;
        Some(())
    }

    fn push_a(&mut self, i: Insn, v: V) {
        self.out.push(i);
        self.cur[RA] = v;
    }

    fn store(&mut self, m: usize) {
        self.out.push(Insn::stmt(ST, (m - 2) as u32));
        self.cur[m] = self.cur[RA];
    }
}

/// Rewrites every block to the shortest code this pass can find for what
/// its successors and its test use, given what the registers hold on entry.
/// `fresh`: `an` already holds the order, predecessors and liveness of `g` as it is.
/// Leaves the analysis' memo and simulation results stale: only the order
/// and liveness are read after it.
fn regenerate(vals: &mut Values, g: &mut Graph, root: Next, an: &mut Analysis, fresh: bool) -> Result<()> {
    if !fresh {
        // Its own simulation is all the rewrite needs of one.
        shape(g, root, an);
        liveness(g, an);
    }
    // The analysis' exit states are overwritten with those of the rewritten
    // blocks. Only the exit states of predecessors are read, and they are
    // written first.
    let mut exit = std::mem::take(&mut an.exit);
    fit(&mut exit, g.blocks.len(), [0; NREGS]);
    let mut out = std::mem::take(&mut an.regen_out);
    let result = regenerate_blocks(vals, g, an, &mut exit, &mut out);
    an.exit = exit;
    an.regen_out = out;
    result
}

fn regenerate_blocks(
    vals: &mut Values,
    g: &mut Graph,
    an: &mut Analysis,
    exit: &mut [State],
    out: &mut Vec<Insn>,
) -> Result<()> {
    for i in 0..an.order.len() {
        let b = an.order[i];
        let entry = entry_state(vals, b, an.preds(b), exit)?;
        let blk = &g.blocks[b];
        let mut desired = entry;
        sim(vals, &blk.stmts, &mut desired)?;
        if blk.keep {
            exit[b] = desired;
            continue;
        }
        let live = live_out(blk, &an.live_in);
        let cmp = normalize(vals, &desired, blk.test)?;
        // Use the normalized test unless A itself must survive.
        let (test_lhs, test_rhs, new_test, swapped) = match (cmp, blk.test) {
            (Some(c), Test::Jump { op, x, k }) => {
                if live & (1 << RA) != 0 && c.lhs != desired[RA] {
                    (desired[RA], if x { Some(desired[RX]) } else { None }, Test::Jump { op, x, k }, false)
                } else {
                    match vals.konst(c.rhs) {
                        Some(k) => (c.lhs, None, Test::Jump { op: c.op, x: false, k }, c.swapped),
                        None => (c.lhs, Some(c.rhs), Test::Jump { op: c.op, x: true, k: 0 }, c.swapped),
                    }
                }
            }
            _ => (desired[RA], None, Test::Always, false),
        };
        out.clear();
        let mut r = Regen { vals: &*vals, cur: entry, out: std::mem::take(out) };
        let mut ok = Some(());
        for m in 2..NREGS {
            if live & (1 << m) != 0 && entry[m] != desired[m] && ok.is_some() {
                ok = r.emit_a(desired[m], 0);
                if ok.is_some() {
                    r.store(m);
                }
            }
        }
        let want_x = if live & (1 << RX) != 0 { Some(desired[RX]) } else { test_rhs };
        if let (Some(x), Some(_)) = (want_x, ok) {
            ok = r.emit_x(x, 0);
        }
        let want_a = live & (1 << RA) != 0 || new_test != Test::Always;
        if want_a && ok.is_some() {
            let a = if new_test == Test::Always { desired[RA] } else { test_lhs };
            ok = r.emit_a(a, 0);
        }
        let fine = ok.is_some()
            && want_x.is_none_or(|x| r.cur[RX] == x)
            && (2..NREGS).all(|m| live & (1 << m) == 0 || r.cur[m] == desired[m])
            && r.out.len() <= blk.stmts.len();
        let cur = r.cur;
        *out = std::mem::take(&mut r.out);
        if fine {
            // Never longer than before: the block's own buffer holds it.
            let blkm = &mut g.blocks[b];
            blkm.stmts.clear();
            blkm.stmts.extend_from_slice(out);
            blkm.test = new_test;
            if swapped {
                std::mem::swap(&mut blkm.jt, &mut blkm.jf);
            }
            exit[b] = cur;
            an.uses_defs[b] = None;
        } else {
            exit[b] = desired;
        }
    }
    Ok(())
}

/// Buffers of `merge_duplicates`, kept from round to round.
#[derive(Default)]
struct Merge {
    order: Vec<usize>,
    walk: Walk,
    /// The block each one merges into, or NO_BLOCK.
    into: Vec<usize>,
    /// The blocks kept, by a hash of their contents.
    kept: Table,
}

const NO_BLOCK: usize = usize::MAX;

/// Merges blocks with the same code and successors. Blocks are compared
/// in place, through a hash of their contents, rather than copied into a
/// map as keys. `order` is the analysis' order if no edge has changed
/// since it was made, which saves a walk.
fn merge_duplicates(g: &mut Graph, root: &mut Next, m: &mut Merge, order: Option<&[usize]>) -> bool {
    let mut walked = std::mem::take(&mut m.order);
    let order = match order {
        Some(order) => order,
        None => {
            topo(g, *root, &mut walked, &mut m.walk);
            &walked
        }
    };
    m.into.clear();
    m.into.resize(g.blocks.len(), NO_BLOCK);
    m.kept.clear();
    let mut changed = false;
    // Successors first, so that their merges are visible to predecessors.
    for &b in order.iter().rev() {
        let blk = &mut g.blocks[b];
        let before = (blk.jt, blk.jf);
        for t in [&mut blk.jt, &mut blk.jf] {
            if let Next::Block(s) = *t {
                if m.into[s] != NO_BLOCK {
                    *t = Next::Block(m.into[s]);
                }
            }
        }
        if blk.test == Test::Always {
            blk.jf = blk.jt;
        }
        changed |= (blk.jt, blk.jf) != before;
        let blocks = &g.blocks;
        // Only one block of each content is ever kept, so the first equal
        // one found is the one.
        if let Some(c) = m.kept.find_or_insert(block_hash(&blocks[b]), |c| blocks[c as usize] == blocks[b], b as u32) {
            m.into[b] = c as usize;
            changed = true;
        }
    }
    m.order = walked;
    if let Next::Block(r) = *root {
        if m.into[r] != NO_BLOCK {
            *root = Next::Block(m.into[r]);
        }
    }
    changed
}

fn block_hash(b: &Block) -> u64 {
    let next = |n: Next| match n {
        Next::Block(i) => i as u64,
        Next::Ret(k) => 1 << 63 | u64::from(k),
    };
    let test = match b.test {
        Test::Always => u64::MAX,
        Test::Jump { op, x, k } => u64::from(op) | u64::from(x) << 16 | u64::from(k) << 32,
    };
    let mut h = mix(mix(next(b.jt), next(b.jf)), test ^ u64::from(b.keep) << 17);
    for i in &b.stmts {
        h = mix(h, u64::from(i.code) | u64::from(i.jt) << 16 | u64::from(i.jf) << 24 | u64::from(i.k) << 32);
    }
    h
}

/// libpcap's or_pullup / and_pullup: in a chain of tests that all jump to
/// the same place on success (or all on failure), move a later test of
/// the value an earlier one tested right next to it, so that the value is
/// loaded once. The tests are side-effect free, so their order does not
/// change the result (except, as in libpcap, for truncated packets).
fn pullup(g: &mut Graph, an: &Analysis, vals: &Values, touched: &mut Vec<bool>) -> bool {
    // Several pullups per round, as long as they touch different blocks
    // (the analysis is not updated in between).
    touched.clear();
    touched.resize(g.blocks.len(), false);
    let mut changed = false;
    // A block of the chain; at its top (`shared`) it may have several
    // predecessors as long as they all test the same value (libpcap's
    // condition), and they are all redirected together.
    let movable = |g: &Graph, touched: &[bool], n: Next, shared: Option<V>| -> Option<usize> {
        let Next::Block(b) = n else { return None };
        if touched[b] {
            return None;
        }
        let blk = &g.blocks[b];
        let entry_ok = an.preds(b).len() == 1
            || shared
                .is_some_and(|v| an.preds(b).iter().all(|(q, _)| !touched[*q] && an.cmp[*q].map(|c| c.lhs) == Some(v)));
        let pure = !blk.keep
            && an.live_in[b] == 0
            && an.defs[b] & !((1 << RA) | (1 << RX)) == 0
            && entry_ok
            && blk.test != Test::Always
            && blk.jt != blk.jf;
        match an.cmp[b] {
            Some(c) if pure && !vals.is_opaque(c.lhs) => Some(b),
            _ => None,
        }
    };
    for &p in &an.order {
        let Some(pc) = an.cmp[p] else { continue };
        if vals.is_opaque(pc.lhs) || g.blocks[p].keep || g.blocks[p].test == Test::Always || touched[p] {
            continue;
        }
        // The chain may hang off either edge of `p`; `p` only supplies the
        // value that is already in A.
        for (or_chain, from_true) in [(true, false), (false, true), (true, true), (false, false)] {
            let mut link = (p, from_true);
            let next_of = |g: &Graph, b: usize| if or_chain { g.blocks[b].jf } else { g.blocks[b].jt };
            let fixed_of = |g: &Graph, b: usize| if or_chain { g.blocks[b].jt } else { g.blocks[b].jf };
            let set = |g: &mut Graph, (b, on_true): (usize, bool), n: Next| {
                if on_true {
                    g.blocks[b].jt = n;
                } else {
                    g.blocks[b].jf = n;
                }
            };
            let get = |g: &Graph, (b, on_true): (usize, bool)| if on_true { g.blocks[b].jt } else { g.blocks[b].jf };
            let Some(first) = movable(g, touched, get(g, link), Some(pc.lhs)) else { continue };
            let fixed = fixed_of(g, first);
            // Skip the tests of the same value already adjacent.
            let mut steps = 0;
            let diff = loop {
                steps += 1;
                let shared = (link.0 == p).then_some(pc.lhs);
                let Some(d) = movable(g, touched, get(g, link), shared) else { break None };
                if fixed_of(g, d) != fixed || steps > 64 {
                    break None;
                }
                if an.cmp[d].map(|c| c.lhs) != Some(pc.lhs) {
                    break Some(d);
                }
                link = (d, !or_chain);
            };
            let Some(diff) = diff else { continue };
            let mut prev = diff;
            let found = loop {
                steps += 1;
                let Some(s) = movable(g, touched, next_of(g, prev), None) else { break None };
                if fixed_of(g, s) != fixed || steps > 64 {
                    break None;
                }
                if an.cmp[s].map(|c| c.lhs) == Some(pc.lhs) {
                    break Some(s);
                }
                prev = s;
            };
            let Some(same) = found else { continue };
            let after = next_of(g, same);
            set(g, (prev, !or_chain), after);
            set(g, (same, !or_chain), Next::Block(diff));
            if link.0 == p {
                // Every predecessor of the top of the chain now enters at the
                // pulled-up test.
                for &(q, on_true) in an.preds(diff) {
                    set(g, (q, on_true), Next::Block(same));
                    touched[q] = true;
                }
            } else {
                set(g, link, Next::Block(same));
            }
            for b in [p, link.0, diff, prev, same] {
                touched[b] = true;
            }
            changed = true;
            break;
        }
    }
    changed
}

/// Everything the optimizer allocates, kept per thread from one compile
/// to the next: a compile of a short expression otherwise spent a fifth of
/// its time in the allocator.
#[derive(Default)]
struct Scratch {
    vals: Values,
    an: Analysis,
    merge: Merge,
    facts: FactLists,
    touched: Vec<bool>,
    reloads: Vec<Option<reloads::Known>>,
}

/// Graphs above this many blocks leave no scratch behind, so that one huge
/// filter does not pin its buffers in the thread for good.
const SCRATCH_KEPT_BLOCKS: usize = 1024;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

pub fn optimize(g: &mut Graph, root: Next) -> Result<Next> {
    with_scratch(g, root, optimize_with)
}

/// For code that libpcap leaves unoptimized (802.11's variable headers):
/// only the loads of what a register already holds are dropped
/// (`reloads`), in one sweep, which costs a small part of what even the
/// block rewrite alone did there (the rewrite's value numbering is most
/// of the compile), and leaves programs shorter than libpcap's.
pub fn drop_reloads(g: &mut Graph, root: Next) -> Result<Next> {
    with_scratch(g, root, |g, root, s| {
        reloads::drop_reloads(g, root, &mut s.reloads);
        Ok(root)
    })
}

fn with_scratch(
    g: &mut Graph,
    root: Next,
    pass: impl Fn(&mut Graph, Next, &mut Scratch) -> Result<Next>,
) -> Result<Next> {
    let n = g.blocks.len();
    let kept = n <= SCRATCH_KEPT_BLOCKS;
    let mut run = |s: &mut Scratch| {
        s.vals.reset();
        s.an.forget_all();
        pass(g, root, s)
    };
    // A thread whose scratch is in use (never expected: the optimizer does
    // not call itself) or gone (thread exit) uses a fresh one.
    let reused = SCRATCH.try_with(|cell| cell.try_borrow_mut().ok().filter(|_| kept).map(|mut s| run(&mut s)));
    match reused {
        Ok(Some(result)) => result,
        _ => run(&mut Scratch::default()),
    }
}

fn optimize_with(g: &mut Graph, mut root: Next, s: &mut Scratch) -> Result<Next> {
    let Scratch { vals, an, merge, facts, touched, .. } = s;
    // Whether `an` describes the graph as it is.
    let mut fresh = false;
    for _ in 0..200 {
        analyze(vals, g, root, an)?;
        let mut changed = thread(vals, g, &mut root, an, facts);
        if !changed {
            changed = pullup(g, an, vals, touched);
        }
        // Dead stores change statements, never edges.
        let edges_changed = changed;
        if !changed {
            changed = dead_stores(g, an);
        }
        changed |= merge_duplicates(g, &mut root, merge, (!edges_changed).then_some(&an.order[..]));
        if !changed {
            fresh = true;
            break;
        }
    }
    regenerate(vals, g, root, an, fresh)?;
    // The rewrite may leave stores dead (a successor rewritten after its
    // predecessors now reuses a register instead of loading M[]), which
    // only liveness tells: the rewrite changes no edge (a swapped jt/jf is
    // the same pair of successors), so the order still holds, and nothing
    // reads the values any more.
    // One round is the fixpoint: dead_stores' single pass is complete, and
    // so is merging, successors first; blocks merged are identical, so
    // they leave liveness (and with it dead stores) as it was.
    liveness(g, an);
    dead_stores(g, an);
    merge_duplicates(g, &mut root, merge, Some(&an.order[..]));
    Ok(root)
}
