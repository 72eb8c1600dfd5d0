//! A classic BPF interpreter with the kernel's semantics: A, X and M[]
//! start at zero, a load outside the packet ends the filter with 0,
//! division by zero ends it with 0, and ancillary loads read the metadata
//! given (or, without it, behave as out of range, like libpcap's offline
//! filter).
//!
//! A program is decoded once into [`Prepared`] form: one enum value per
//! instruction with its operands resolved (absolute jump targets, shift
//! counts and scratch indexes checked, instructions that can only fail
//! turned into an explicit failure), plus a fused form of a load followed
//! by a conditional jump, the pair that dominates filters compiled from the
//! pcap-filter language. Running it is one match per instruction (pair) and
//! no decoding, which is where it gains on libpcap's `bpf_filter`, which
//! decodes every opcode on every packet.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::insn::*;
use crate::sys;

/// Socket metadata for ancillary loads (SKF_AD_*), when known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ancillary {
    pub protocol: u16,
    pub pkttype: u32,
    pub ifindex: u32,
    pub vlan_tci: Option<u16>,
    pub vlan_tpid: u16,
    pub hatype: u16,
    pub mark: u32,
    pub rxhash: u32,
    pub queue: u32,
}

fn ancillary_value(k: u32, meta: &Ancillary) -> Option<u32> {
    let field = k.wrapping_sub(sys::SKF_AD_OFF as u32);
    Some(match field {
        sys::SKF_AD_PROTOCOL => u32::from(meta.protocol),
        sys::SKF_AD_PKTTYPE => meta.pkttype,
        sys::SKF_AD_IFINDEX => meta.ifindex,
        sys::SKF_AD_MARK => meta.mark,
        sys::SKF_AD_QUEUE => meta.queue,
        sys::SKF_AD_HATYPE => u32::from(meta.hatype),
        sys::SKF_AD_RXHASH => meta.rxhash,
        sys::SKF_AD_VLAN_TAG => u32::from(meta.vlan_tci.unwrap_or(0)),
        sys::SKF_AD_VLAN_TAG_PRESENT => u32::from(meta.vlan_tci.is_some()),
        sys::SKF_AD_VLAN_TPID => u32::from(meta.vlan_tpid),
        sys::SKF_AD_PAY_OFFSET => 0,
        _ => return None,
    })
}

/// One decoded instruction. Jump targets are absolute indexes into the
/// prepared program, whose last entry is `Fail`: a jump past the end lands
/// there, as does running off the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    LdW(u32),
    LdH(u32),
    LdB(u32),
    LdIndW(u32),
    LdIndH(u32),
    LdIndB(u32),
    LdAnc(u32),
    LdImm(u32),
    LdLen,
    LdMem(u8),
    LdxImm(u32),
    LdxLen,
    LdxMem(u8),
    LdxMsh(u32),
    St(u8),
    Stx(u8),
    AddK(u32),
    SubK(u32),
    MulK(u32),
    DivK(u32),
    ModK(u32),
    AndK(u32),
    OrK(u32),
    XorK(u32),
    LshK(u32),
    RshK(u32),
    AddX,
    SubX,
    MulX,
    DivX,
    ModX,
    AndX,
    OrX,
    XorX,
    LshX,
    RshX,
    Neg,
    Ja(u32),
    /// Conditional jumps against k: (k, true target, false target).
    JeqK(u32, u32, u32),
    JgtK(u32, u32, u32),
    JgeK(u32, u32, u32),
    JsetK(u32, u32, u32),
    JeqX(u32, u32),
    JgtX(u32, u32),
    JgeX(u32, u32),
    JsetX(u32, u32),
    /// A load at a constant offset (or of the length), then a conditional
    /// jump against k: (offset, k, true target, false target). One variant
    /// per size and condition, so that running one takes no decision but
    /// the jump's own.
    LdWJeq(u32, u32, u32, u32),
    LdWJgt(u32, u32, u32, u32),
    LdWJge(u32, u32, u32, u32),
    LdWJset(u32, u32, u32, u32),
    LdHJeq(u32, u32, u32, u32),
    LdHJgt(u32, u32, u32, u32),
    LdHJge(u32, u32, u32, u32),
    LdHJset(u32, u32, u32, u32),
    LdBJeq(u32, u32, u32, u32),
    LdBJgt(u32, u32, u32, u32),
    LdBJge(u32, u32, u32, u32),
    LdBJset(u32, u32, u32, u32),
    LdIndWJeq(u32, u32, u32, u32),
    LdIndHJeq(u32, u32, u32, u32),
    LdIndBJeq(u32, u32, u32, u32),
    /// A fused load-and-jeq whose false target is a jeq on the same A:
    /// (offset, k1, its true target, k2, its true target, false target of
    /// both). The ether-type and protocol alternatives of pcap-filter
    /// programs ("ip or ip6") are this shape.
    LdHJeq2(u32, u32, u32, u32, u32, u32),
    LdBJeq2(u32, u32, u32, u32, u32, u32),
    /// `ldxb 4*([m]&0xf)`, then a fused indexed load and jeq: (m, offset,
    /// k, true target, false target). The IP header length and the first
    /// transport header field.
    MshLdIndHJeq(u32, u32, u32, u32, u32),
    MshLdIndBJeq(u32, u32, u32, u32, u32),
    /// A fused load-and-jeq whose false target loads another field of the
    /// same size and compares it with the same k, to the same true target:
    /// (first offset, second offset, k, true target, false target of the
    /// second). Either direction of `host`, `port` and `net` primitives.
    LdWJeqEither(u32, u32, u32, u32, u32),
    LdHJeqEither(u32, u32, u32, u32, u32),
    /// `ldxb 4*([m]&0xf)`, then the indexed half-word form of the above:
    /// (m, first offset, second offset, k, true target, false target).
    /// `port N` over IPv4: the source port, then the destination port.
    MshLdIndHJeqEither(u32, u32, u32, u32, u32, u32),
    /// A byte load and jeq whose true side is the next step, a half-word
    /// load and jset whose true target is the jeq's false one: (byte
    /// offset, k, half-word offset, mask, target when the byte matched and
    /// no mask bit is set, target otherwise). The IPv4 protocol and "not a
    /// fragment" test that precedes every transport field.
    LdBJeqLdHJclear(u32, u32, u32, u32, u32, u32),
    LenJeq(u32, u32, u32),
    LenJgt(u32, u32, u32),
    LenJge(u32, u32, u32),
    LenJset(u32, u32, u32),
    Tax,
    Txa,
    RetK(u32),
    RetA,
    Fail,
}

#[inline(always)]
fn ld_w(pkt: &[u8], off: u32) -> Option<u32> {
    let at = off as usize;
    let b: [u8; 4] = pkt.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

#[inline(always)]
fn ld_h(pkt: &[u8], off: u32) -> Option<u32> {
    let at = off as usize;
    let b: [u8; 2] = pkt.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u32::from(u16::from_be_bytes(b)))
}

#[inline(always)]
fn ld_b(pkt: &[u8], off: u32) -> Option<u32> {
    pkt.get(off as usize).map(|b| u32::from(*b))
}

/// A program decoded for repeated runs. Decoding never fails: whatever the
/// instructions, running the result is bounded by the program and ends
/// with a verdict or a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    ops: Vec<Step>,
    /// Whether a step reads or writes M[]: without one, a run need not
    /// clear it (measured: 10 of the 245 instructions of a
    /// `pcap_offline_filter` call).
    scratch: bool,
}

/// An [`Op`] padded to 32 bytes: finding step `pc` is then a shift, not
/// the multiply by 28 the bare enum needs, on every dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(32))]
struct Step(Op);

impl Prepared {
    pub fn new(prog: &[Insn]) -> Prepared {
        // Jump targets are u32, and [`Prepared::exec`] relies on every one
        // of them being an index of `ops`. C hands at most u32::MAX
        // instructions (bf_len is a u_int).
        assert!(prog.len() <= u32::MAX as usize, "a BPF program of {} instructions (at most 2^32 - 1)", prog.len());
        let end = prog.len();
        let target = |from: usize, skip: u64| -> u32 {
            let t = (from as u64 + 1).saturating_add(skip).min(end as u64);
            t as u32
        };
        let mut ops: Vec<Op> = prog.iter().enumerate().map(|(pc, i)| decode(pc, i, &target)).collect();
        ops.push(Op::Fail);
        for pc in 0..end.saturating_sub(1) {
            ops[pc] = fuse(ops[pc], ops[pc + 1]);
        }
        // Second round, on the fused steps: each entry still keeps its own
        // meaning, so a jump landing on any of them works as before.
        for pc in 0..end {
            ops[pc] = fuse_further(&ops, pc);
        }
        // Last, once the fused steps have looked at their targets: a jump
        // to a `ret #k` returns k itself, without dispatching the return
        // (one indirect branch less per packet in most compiled filters,
        // whose every path ends on a jump to `ret #0` or `ret #snaplen`).
        if end < RET_NOW as usize {
            let kept: Vec<Op> = ops.clone();
            let to_ret = |t: u32| match kept[t as usize] {
                Op::RetK(k) if k < RET_NOW => RET_NOW | k,
                _ => t,
            };
            for op in &mut ops {
                *op = retarget(*op, to_ret);
            }
        }
        let scratch = ops.iter().any(|op| matches!(op, Op::LdMem(_) | Op::LdxMem(_) | Op::St(_) | Op::Stx(_)));
        Prepared { ops: ops.into_iter().map(Step).collect(), scratch }
    }

    /// The filter's result on a packet of which `pkt` is the captured part
    /// and `wirelen` the length on the wire: 0 rejects, otherwise the number
    /// of bytes to keep. A filter that ends early (see [`Prepared::try_run`])
    /// rejects.
    #[inline]
    pub fn run(&self, pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> u32 {
        // tcpdump sets `ret #snaplen` when given no expression: the verdict
        // without entering the interpreter (measured: 83 instructions per
        // packet of `tcpdump -r FILE -w FILE`).
        if let Some(&Step(Op::RetK(k))) = self.ops.first() {
            return k;
        }
        self.try_run(pkt, wirelen, meta).unwrap_or(0)
    }

    /// Like [`Prepared::run`], telling an explicit `ret` (Some) from the
    /// filter ending early (None): a load outside the packet, a division by
    /// zero, an unavailable ancillary field, an invalid instruction, or a
    /// jump or fall past the end of the program.
    pub fn try_run(&self, pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
        self.exec(pkt, wirelen, meta)
    }

    /// [`Prepared::try_run`], inlined where a caller runs it per packet
    /// with nothing else around it ([`run_cached`]).
    #[inline(always)]
    fn exec(&self, pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
        if self.scratch {
            self.exec_with::<true>(pkt, wirelen, meta)
        } else {
            self.exec_with::<false>(pkt, wirelen, meta)
        }
    }

    /// The run itself. `SCRATCH` false: no step touches M[] (the steps
    /// that would end the run instead, though none is there), so M[] is
    /// never cleared.
    #[inline(always)]
    fn exec_with<const SCRATCH: bool>(&self, pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
        let ops = self.ops.as_slice();
        let (mut a, mut x) = (0u32, 0u32);
        let mut mem = [0u32; MEMWORDS as usize];
        let mut pc = 0usize;
        loop {
            if pc >= RET_NOW as usize {
                return Some((pc - RET_NOW as usize) as u32);
            }
            debug_assert!(pc < ops.len());
            // SAFETY: `pc` is here always an index into `ops`. It starts at
            // 0, and `ops` is never empty ([`Prepared::new`] ends it with
            // `Fail`). A jump sets it to a target, which is either a
            // return's value marked with RET_NOW (returned just above) or
            // at most the index of that last `Fail` (`target` clamps to
            // `end`, the fused steps only copy targets made by it, and
            // `retarget` only marks them). Every other step is followed by
            // pc + 1, and is not the last step (which is `Fail` and
            // returns), so pc + 1 is in range.
            let Step(op) = unsafe { ops.get_unchecked(pc) };
            pc += 1;
            match *op {
                Op::LdW(k) => a = ld_w(pkt, k)?,
                Op::LdH(k) => a = ld_h(pkt, k)?,
                Op::LdB(k) => a = ld_b(pkt, k)?,
                // X + k wraps around 32 bits, as in the kernel.
                Op::LdIndW(k) => a = ld_w(pkt, x.wrapping_add(k))?,
                Op::LdIndH(k) => a = ld_h(pkt, x.wrapping_add(k))?,
                Op::LdIndB(k) => a = ld_b(pkt, x.wrapping_add(k))?,
                Op::LdAnc(k) => a = ancillary_value(k, meta?)?,
                Op::LdImm(k) => a = k,
                Op::LdLen => a = wirelen,
                Op::LdMem(_) | Op::LdxMem(_) | Op::St(_) | Op::Stx(_) if !SCRATCH => return None,
                Op::LdMem(i) => a = mem[usize::from(i) & 15],
                Op::LdxImm(k) => x = k,
                Op::LdxLen => x = wirelen,
                Op::LdxMem(i) => x = mem[usize::from(i) & 15],
                Op::LdxMsh(k) => x = (ld_b(pkt, k)? & 0xf) << 2,
                Op::St(i) => mem[usize::from(i) & 15] = a,
                Op::Stx(i) => mem[usize::from(i) & 15] = x,
                Op::AddK(k) => a = a.wrapping_add(k),
                Op::SubK(k) => a = a.wrapping_sub(k),
                Op::MulK(k) => a = a.wrapping_mul(k),
                Op::DivK(k) => a = a.checked_div(k)?,
                Op::ModK(k) => a = a.checked_rem(k)?,
                Op::AndK(k) => a &= k,
                Op::OrK(k) => a |= k,
                Op::XorK(k) => a ^= k,
                Op::LshK(k) => a = a.checked_shl(k).unwrap_or(0),
                Op::RshK(k) => a = a.checked_shr(k).unwrap_or(0),
                Op::AddX => a = a.wrapping_add(x),
                Op::SubX => a = a.wrapping_sub(x),
                Op::MulX => a = a.wrapping_mul(x),
                Op::DivX => a = a.checked_div(x)?,
                Op::ModX => a = a.checked_rem(x)?,
                Op::AndX => a &= x,
                Op::OrX => a |= x,
                Op::XorX => a ^= x,
                Op::LshX => a = a.checked_shl(x).unwrap_or(0),
                Op::RshX => a = a.checked_shr(x).unwrap_or(0),
                Op::Neg => a = a.wrapping_neg(),
                Op::Ja(t) => pc = t as usize,
                Op::JeqK(k, t, f) => pc = pick(a == k, t, f),
                Op::JgtK(k, t, f) => pc = pick(a > k, t, f),
                Op::JgeK(k, t, f) => pc = pick(a >= k, t, f),
                Op::JsetK(k, t, f) => pc = pick(a & k != 0, t, f),
                Op::JeqX(t, f) => pc = pick(a == x, t, f),
                Op::JgtX(t, f) => pc = pick(a > x, t, f),
                Op::JgeX(t, f) => pc = pick(a >= x, t, f),
                Op::JsetX(t, f) => pc = pick(a & x != 0, t, f),
                Op::LdWJeq(o, k, t, f) => (a, pc) = ld_w(pkt, o).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdWJgt(o, k, t, f) => (a, pc) = ld_w(pkt, o).map(|v| (v, pick(v > k, t, f)))?,
                Op::LdWJge(o, k, t, f) => (a, pc) = ld_w(pkt, o).map(|v| (v, pick(v >= k, t, f)))?,
                Op::LdWJset(o, k, t, f) => (a, pc) = ld_w(pkt, o).map(|v| (v, pick(v & k != 0, t, f)))?,
                Op::LdHJeq(o, k, t, f) => (a, pc) = ld_h(pkt, o).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdHJgt(o, k, t, f) => (a, pc) = ld_h(pkt, o).map(|v| (v, pick(v > k, t, f)))?,
                Op::LdHJge(o, k, t, f) => (a, pc) = ld_h(pkt, o).map(|v| (v, pick(v >= k, t, f)))?,
                Op::LdHJset(o, k, t, f) => (a, pc) = ld_h(pkt, o).map(|v| (v, pick(v & k != 0, t, f)))?,
                Op::LdBJeq(o, k, t, f) => (a, pc) = ld_b(pkt, o).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdBJgt(o, k, t, f) => (a, pc) = ld_b(pkt, o).map(|v| (v, pick(v > k, t, f)))?,
                Op::LdBJge(o, k, t, f) => (a, pc) = ld_b(pkt, o).map(|v| (v, pick(v >= k, t, f)))?,
                Op::LdBJset(o, k, t, f) => (a, pc) = ld_b(pkt, o).map(|v| (v, pick(v & k != 0, t, f)))?,
                Op::LdIndWJeq(o, k, t, f) => (a, pc) = ld_w(pkt, x.wrapping_add(o)).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdIndHJeq(o, k, t, f) => (a, pc) = ld_h(pkt, x.wrapping_add(o)).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdIndBJeq(o, k, t, f) => (a, pc) = ld_b(pkt, x.wrapping_add(o)).map(|v| (v, pick(v == k, t, f)))?,
                Op::LdHJeq2(o, k1, t1, k2, t2, f) => {
                    (a, pc) = ld_h(pkt, o).map(|v| (v, pick2(v, k1, t1, k2, t2, f)))?
                }
                Op::LdBJeq2(o, k1, t1, k2, t2, f) => {
                    (a, pc) = ld_b(pkt, o).map(|v| (v, pick2(v, k1, t1, k2, t2, f)))?
                }
                Op::MshLdIndHJeq(m, o, k, t, f) => {
                    x = (ld_b(pkt, m)? & 0xf) << 2;
                    (a, pc) = ld_h(pkt, x.wrapping_add(o)).map(|v| (v, pick(v == k, t, f)))?;
                }
                Op::MshLdIndBJeq(m, o, k, t, f) => {
                    x = (ld_b(pkt, m)? & 0xf) << 2;
                    (a, pc) = ld_b(pkt, x.wrapping_add(o)).map(|v| (v, pick(v == k, t, f)))?;
                }
                Op::LdWJeqEither(o1, o2, k, t, f) => (a, pc) = either(ld_w, pkt, o1, o2, k, t, f)?,
                Op::LdHJeqEither(o1, o2, k, t, f) => (a, pc) = either(ld_h, pkt, o1, o2, k, t, f)?,
                Op::MshLdIndHJeqEither(m, o1, o2, k, t, f) => {
                    x = (ld_b(pkt, m)? & 0xf) << 2;
                    (a, pc) = either(ld_h, pkt, x.wrapping_add(o1), x.wrapping_add(o2), k, t, f)?;
                }
                Op::LdBJeqLdHJclear(o1, k1, o2, k2, t, f) => {
                    a = ld_b(pkt, o1)?;
                    if a != k1 {
                        pc = pick(false, t, f);
                    } else {
                        (a, pc) = ld_h(pkt, o2).map(|v| (v, pick(v & k2 == 0, t, f)))?;
                    }
                }
                Op::LenJeq(k, t, f) => (a, pc) = (wirelen, pick(wirelen == k, t, f)),
                Op::LenJgt(k, t, f) => (a, pc) = (wirelen, pick(wirelen > k, t, f)),
                Op::LenJge(k, t, f) => (a, pc) = (wirelen, pick(wirelen >= k, t, f)),
                Op::LenJset(k, t, f) => (a, pc) = (wirelen, pick(wirelen & k != 0, t, f)),
                Op::Tax => x = a,
                Op::Txa => a = x,
                Op::RetK(k) => return Some(k),
                Op::RetA => return Some(a),
                Op::Fail => return None,
            }
        }
    }
}

/// Marks a jump target that is a return's value rather than a step's
/// index: the target of a jump to `ret #k` (k below it) is `RET_NOW | k`.
/// Used only in programs shorter than it, where no index has the bit.
const RET_NOW: u32 = 1 << 31;

/// `op` with each of its jump targets passed through `f`.
fn retarget(op: Op, f: impl Fn(u32) -> u32) -> Op {
    match op {
        Op::Ja(t) => Op::Ja(f(t)),
        Op::JeqK(k, t, e) => Op::JeqK(k, f(t), f(e)),
        Op::JgtK(k, t, e) => Op::JgtK(k, f(t), f(e)),
        Op::JgeK(k, t, e) => Op::JgeK(k, f(t), f(e)),
        Op::JsetK(k, t, e) => Op::JsetK(k, f(t), f(e)),
        Op::JeqX(t, e) => Op::JeqX(f(t), f(e)),
        Op::JgtX(t, e) => Op::JgtX(f(t), f(e)),
        Op::JgeX(t, e) => Op::JgeX(f(t), f(e)),
        Op::JsetX(t, e) => Op::JsetX(f(t), f(e)),
        Op::LdWJeq(o, k, t, e) => Op::LdWJeq(o, k, f(t), f(e)),
        Op::LdWJgt(o, k, t, e) => Op::LdWJgt(o, k, f(t), f(e)),
        Op::LdWJge(o, k, t, e) => Op::LdWJge(o, k, f(t), f(e)),
        Op::LdWJset(o, k, t, e) => Op::LdWJset(o, k, f(t), f(e)),
        Op::LdHJeq(o, k, t, e) => Op::LdHJeq(o, k, f(t), f(e)),
        Op::LdHJgt(o, k, t, e) => Op::LdHJgt(o, k, f(t), f(e)),
        Op::LdHJge(o, k, t, e) => Op::LdHJge(o, k, f(t), f(e)),
        Op::LdHJset(o, k, t, e) => Op::LdHJset(o, k, f(t), f(e)),
        Op::LdBJeq(o, k, t, e) => Op::LdBJeq(o, k, f(t), f(e)),
        Op::LdBJgt(o, k, t, e) => Op::LdBJgt(o, k, f(t), f(e)),
        Op::LdBJge(o, k, t, e) => Op::LdBJge(o, k, f(t), f(e)),
        Op::LdBJset(o, k, t, e) => Op::LdBJset(o, k, f(t), f(e)),
        Op::LdIndWJeq(o, k, t, e) => Op::LdIndWJeq(o, k, f(t), f(e)),
        Op::LdIndHJeq(o, k, t, e) => Op::LdIndHJeq(o, k, f(t), f(e)),
        Op::LdIndBJeq(o, k, t, e) => Op::LdIndBJeq(o, k, f(t), f(e)),
        Op::LdHJeq2(o, k1, t1, k2, t2, e) => Op::LdHJeq2(o, k1, f(t1), k2, f(t2), f(e)),
        Op::LdBJeq2(o, k1, t1, k2, t2, e) => Op::LdBJeq2(o, k1, f(t1), k2, f(t2), f(e)),
        Op::MshLdIndHJeq(m, o, k, t, e) => Op::MshLdIndHJeq(m, o, k, f(t), f(e)),
        Op::MshLdIndBJeq(m, o, k, t, e) => Op::MshLdIndBJeq(m, o, k, f(t), f(e)),
        Op::LdWJeqEither(o1, o2, k, t, e) => Op::LdWJeqEither(o1, o2, k, f(t), f(e)),
        Op::LdHJeqEither(o1, o2, k, t, e) => Op::LdHJeqEither(o1, o2, k, f(t), f(e)),
        Op::MshLdIndHJeqEither(m, o1, o2, k, t, e) => Op::MshLdIndHJeqEither(m, o1, o2, k, f(t), f(e)),
        Op::LdBJeqLdHJclear(o1, k1, o2, k2, t, e) => Op::LdBJeqLdHJclear(o1, k1, o2, k2, f(t), f(e)),
        Op::LenJeq(k, t, e) => Op::LenJeq(k, f(t), f(e)),
        Op::LenJgt(k, t, e) => Op::LenJgt(k, f(t), f(e)),
        Op::LenJge(k, t, e) => Op::LenJge(k, f(t), f(e)),
        Op::LenJset(k, t, e) => Op::LenJset(k, f(t), f(e)),
        Op::LdW(_) | Op::LdH(_) | Op::LdB(_) | Op::LdIndW(_) | Op::LdIndH(_) | Op::LdIndB(_) | Op::LdAnc(_) => op,
        Op::LdImm(_) | Op::LdLen | Op::LdMem(_) | Op::LdxImm(_) | Op::LdxLen | Op::LdxMem(_) | Op::LdxMsh(_) => op,
        Op::St(_) | Op::Stx(_) | Op::Tax | Op::Txa | Op::RetK(_) | Op::RetA | Op::Fail => op,
        Op::AddK(_) | Op::SubK(_) | Op::MulK(_) | Op::DivK(_) | Op::ModK(_) | Op::AndK(_) => op,
        Op::OrK(_) | Op::XorK(_) | Op::LshK(_) | Op::RshK(_) | Op::Neg => op,
        Op::AddX | Op::SubX | Op::MulX | Op::DivX | Op::ModX | Op::AndX | Op::OrX => op,
        Op::XorX | Op::LshX | Op::RshX => op,
    }
}

/// Decodes instruction `pc`; `target` turns a jump distance into an index.
fn decode(pc: usize, i: &Insn, target: &impl Fn(usize, u64) -> u32) -> Op {
    let k = i.k;
    // Scratch indexes outside M[] fail where they run, as in the kernel.
    let mem = |then: fn(u8) -> Op| if k < MEMWORDS { then(k as u8) } else { Op::Fail };
    let (t, f) = (target(pc, u64::from(i.jt)), target(pc, u64::from(i.jf)));
    let by_x = src(i.code) == X;
    match class(i.code) {
        RET => match (rval(i.code), i.code & !0x18) {
            (A, RET) => Op::RetA,
            (K, RET) => Op::RetK(k),
            _ => Op::Fail,
        },
        LD => match (mode(i.code), size(i.code)) {
            (ABS, _) if k >= sys::SKF_AD_OFF as u32 => Op::LdAnc(k),
            (ABS, W | H | B) => [Op::LdB, Op::LdH, Op::LdW][size_bytes(i.code) as usize / 2](k),
            (IND, W | H | B) => [Op::LdIndB, Op::LdIndH, Op::LdIndW][size_bytes(i.code) as usize / 2](k),
            (IMM, _) => Op::LdImm(k),
            (LEN, _) => Op::LdLen,
            (MEM, _) => mem(Op::LdMem),
            _ => Op::Fail,
        },
        LDX => match (mode(i.code), size(i.code)) {
            (IMM, _) => Op::LdxImm(k),
            (LEN, _) => Op::LdxLen,
            (MEM, _) => mem(Op::LdxMem),
            (MSH, B) => Op::LdxMsh(k),
            _ => Op::Fail,
        },
        ST => mem(Op::St),
        STX => mem(Op::Stx),
        ALU if src(i.code) == X => match op(i.code) {
            ADD => Op::AddX,
            SUB => Op::SubX,
            MUL => Op::MulX,
            DIV => Op::DivX,
            MOD => Op::ModX,
            AND => Op::AndX,
            OR => Op::OrX,
            XOR => Op::XorX,
            LSH => Op::LshX,
            RSH => Op::RshX,
            NEG => Op::Neg,
            _ => Op::Fail,
        },
        ALU => match op(i.code) {
            ADD => Op::AddK(k),
            SUB => Op::SubK(k),
            MUL => Op::MulK(k),
            DIV if k == 0 => Op::Fail,
            DIV => Op::DivK(k),
            MOD if k == 0 => Op::Fail,
            MOD => Op::ModK(k),
            AND => Op::AndK(k),
            OR => Op::OrK(k),
            XOR => Op::XorK(k),
            LSH => Op::LshK(k),
            RSH => Op::RshK(k),
            NEG => Op::Neg,
            _ => Op::Fail,
        },
        JMP => match op(i.code) {
            JA => Op::Ja(target(pc, u64::from(k))),
            JEQ if by_x => Op::JeqX(t, f),
            JGT if by_x => Op::JgtX(t, f),
            JGE if by_x => Op::JgeX(t, f),
            JSET if by_x => Op::JsetX(t, f),
            JEQ => Op::JeqK(k, t, f),
            JGT => Op::JgtK(k, t, f),
            JGE => Op::JgeK(k, t, f),
            JSET => Op::JsetK(k, t, f),
            _ => Op::Fail,
        },
        _ if i.code == MISC | TAX => Op::Tax,
        _ if i.code == MISC | TXA => Op::Txa,
        _ => Op::Fail,
    }
}

/// The next instruction's index after a conditional jump.
///
/// This must stay a branch. Written as a plain `if`, the compiler turns it
/// into a conditional move, and then the next dispatch waits for the packet
/// load and the compare instead of being predicted: measured at twice
/// libpcap's cost per packet. The opaque `black_box` on one side cannot be
/// executed speculatively, so a real, predictable branch is kept.
#[inline(always)]
fn pick(taken: bool, t: u32, f: u32) -> usize {
    if taken {
        return t as usize;
    }
    std::hint::black_box(f) as usize
}

/// `first` and the conditional jump after it as one step, where `first` is
/// a load at a constant offset or of the length; otherwise `first` as it
/// was. The jump keeps its own entry, so jumps that land on it still work.
fn fuse(first: Op, next: Op) -> Op {
    let (k, t, f, cond) = match next {
        Op::JeqK(k, t, f) => (k, t, f, 0),
        Op::JgtK(k, t, f) => (k, t, f, 1),
        Op::JgeK(k, t, f) => (k, t, f, 2),
        Op::JsetK(k, t, f) => (k, t, f, 3),
        _ => return first,
    };
    type Fused = fn(u32, u32, u32, u32) -> Op;
    // Indexed loads are fused with jeq only: the other pairs are rare.
    match (first, cond) {
        (Op::LdIndW(off), 0) => return Op::LdIndWJeq(off, k, t, f),
        (Op::LdIndH(off), 0) => return Op::LdIndHJeq(off, k, t, f),
        (Op::LdIndB(off), 0) => return Op::LdIndBJeq(off, k, t, f),
        _ => {}
    }
    let table: [Fused; 4] = match first {
        Op::LdW(_) => [Op::LdWJeq, Op::LdWJgt, Op::LdWJge, Op::LdWJset],
        Op::LdH(_) => [Op::LdHJeq, Op::LdHJgt, Op::LdHJge, Op::LdHJset],
        Op::LdB(_) => [Op::LdBJeq, Op::LdBJgt, Op::LdBJge, Op::LdBJset],
        Op::LdLen => {
            let len: [fn(u32, u32, u32) -> Op; 4] = [Op::LenJeq, Op::LenJgt, Op::LenJge, Op::LenJset];
            return len[cond](k, t, f);
        }
        _ => return first,
    };
    let (Op::LdW(off) | Op::LdH(off) | Op::LdB(off)) = first else { return first };
    table[cond](off, k, t, f)
}

/// The next index after a jeq against `k1` (true: `t1`) whose false
/// target is a jeq against `k2` (true: `t2`, false: `f`). Branches, as
/// [`pick`].
#[inline(always)]
fn pick2(v: u32, k1: u32, t1: u32, k2: u32, t2: u32, f: u32) -> usize {
    if v == k1 {
        return t1 as usize;
    }
    if v == k2 {
        return t2 as usize;
    }
    std::hint::black_box(f) as usize
}

/// A and the next index after a load at `o1` compared with `k` (true:
/// `t`) and, when it differs, a load at `o2` compared with `k` (true: `t`,
/// false: `f`). None when a load is outside the packet.
#[inline(always)]
fn either(
    load: fn(&[u8], u32) -> Option<u32>,
    pkt: &[u8],
    o1: u32,
    o2: u32,
    k: u32,
    t: u32,
    f: u32,
) -> Option<(u32, usize)> {
    let v = load(pkt, o1)?;
    if v == k {
        return Some((v, t as usize));
    }
    load(pkt, o2).map(|v| (v, pick(v == k, t, f)))
}

/// Entry `pc` of a program `fuse` went over, merged with the step it
/// always goes on to where that saves a dispatch: a load-and-jeq whose
/// false target only compares A again, and `ldxb 4*([m]&0xf)` followed by
/// an indexed load and jeq. Only the entry changes: the steps merged in
/// keep their own entries for the jumps that land on them.
fn fuse_further(ops: &[Op], pc: usize) -> Op {
    let op = ops[pc];
    let at = |i: u32| ops.get(i as usize).copied();
    match op {
        Op::LdHJeq(o, k1, t1, f1) => match at(f1) {
            Some(Op::JeqK(k2, t2, f2)) => Op::LdHJeq2(o, k1, t1, k2, t2, f2),
            Some(Op::LdHJeq(o2, k2, t2, f2)) if (k2, t2) == (k1, t1) => Op::LdHJeqEither(o, o2, k1, t1, f2),
            _ => op,
        },
        Op::LdWJeq(o, k1, t1, f1) => match at(f1) {
            Some(Op::LdWJeq(o2, k2, t2, f2)) if (k2, t2) == (k1, t1) => Op::LdWJeqEither(o, o2, k1, t1, f2),
            _ => op,
        },
        Op::LdBJeq(o, k1, t1, f1) => match (at(f1), at(t1)) {
            (Some(Op::JeqK(k2, t2, f2)), _) => Op::LdBJeq2(o, k1, t1, k2, t2, f2),
            (_, Some(Op::LdHJset(o2, k2, t2, f2))) if t2 == f1 => Op::LdBJeqLdHJclear(o, k1, o2, k2, f2, f1),
            _ => op,
        },
        Op::LdxMsh(m) => match ops.get(pc + 1) {
            Some(&Op::LdIndHJeq(o, k, t, f)) => match at(f) {
                Some(Op::LdIndHJeq(o2, k2, t2, f2)) if (k2, t2) == (k, t) => Op::MshLdIndHJeqEither(m, o, o2, k, t, f2),
                _ => Op::MshLdIndHJeq(m, o, k, t, f),
            },
            Some(&Op::LdIndBJeq(o, k, t, f)) => Op::MshLdIndBJeq(m, o, k, t, f),
            _ => op,
        },
        _ => op,
    }
}

/// The return value's source in a BPF_RET opcode (BPF_RVAL).
fn rval(code: u16) -> u16 {
    code & 0x18
}

/// Runs `prog` on a packet of which `pkt` is the captured part and
/// `wirelen` the length on the wire; returns the filter's result (0 =
/// reject, otherwise the number of bytes to keep). Decodes the program
/// each time: for repeated runs, keep a [`Prepared`].
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> u32 {
    try_run(prog, pkt, wirelen, meta).unwrap_or(0)
}

/// Like [`run`], but tells an explicit `ret` (Some) from the filter ending
/// early (None): a load outside the packet, a division by zero, an
/// unavailable ancillary field or an invalid instruction.
pub fn try_run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
    Prepared::new(prog).try_run(pkt, wirelen, meta)
}

/// A program [`run_cached`] decoded, and its bytes as they were then.
#[derive(Clone)]
struct Cached {
    bytes: Box<[u8]>,
    prepared: Prepared,
    /// Whether the bytes end where [`bounded_len`] ends them, which is what
    /// lets [`run_cached_unbounded`] find the program by its words alone.
    bounded: bool,
}

impl Cached {
    /// The verdict on a packet if `prog` is this program, byte for byte.
    #[inline(always)]
    fn run_if_same(&self, prog: &[u8], pkt: &[u8], wirelen: u32) -> Option<u32> {
        if !same_bytes(&self.bytes, prog) {
            return None;
        }
        Some(self.prepared.exec(pkt, wirelen, None).unwrap_or(0))
    }
}

/// Whether `kept` and `prog` hold the same bytes, both being whole
/// instructions (8 bytes each).
#[inline(always)]
fn same_bytes(kept: &[u8], prog: &[u8]) -> bool {
    kept == prog
}

/// [`same_bytes`] in 32-byte steps with no early exit: the program's
/// bytes XORed with the kept ones, ORed together, tested once at the end.
/// The last step overlaps the one before where the length is not a
/// multiple of 32, so there is no byte-wise tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn same_bytes_avx2(kept: &[u8], prog: &[u8]) -> bool {
    use std::arch::x86_64::*;
    let n = kept.len();
    if n != prog.len() {
        return false;
    }
    if n < 32 {
        return kept == prog;
    }
    /// The XOR of the 32 bytes at `k` and at `p`.
    ///
    /// # Safety
    /// 32 bytes are readable at each; the CPU has AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn xor32(k: *const u8, p: *const u8) -> __m256i {
        // SAFETY: per the contract; loadu takes any alignment.
        unsafe { _mm256_xor_si256(_mm256_loadu_si256(k.cast()), _mm256_loadu_si256(p.cast())) }
    }
    // SAFETY (all three): each pointer is to the start of at least 32
    // bytes of its slice: the last 32 of both (n >= 32), the halves of
    // each 64-byte chunk, and a remainder of 32 bytes or more.
    let mut acc = unsafe { xor32(kept.as_ptr().add(n - 32), prog.as_ptr().add(n - 32)) };
    let (kept64, prog64) = (kept.chunks_exact(64), prog.chunks_exact(64));
    let (k_rest, p_rest) = (kept64.remainder(), prog64.remainder());
    for (k, p) in kept64.zip(prog64) {
        let (k, p) = (k.as_ptr(), p.as_ptr());
        acc = _mm256_or_si256(acc, unsafe { _mm256_or_si256(xor32(k, p), xor32(k.add(32), p.add(32))) });
    }
    if k_rest.len() >= 32 {
        acc = _mm256_or_si256(acc, unsafe { xor32(k_rest.as_ptr(), p_rest.as_ptr()) });
    }
    _mm256_testz_si256(acc, acc) == 1
}

/// How many programs [`run_cached`] keeps for all threads, never to be
/// freed: the first ones decoded in the process.
const SHARED_SLOTS: usize = 8;

/// Programs decoded once for every thread. A slot is written once and
/// then only read, so any thread reads it with no lock and no reference
/// count, and none is freed while another may be running it.
static SHARED: [OnceLock<Cached>; SHARED_SLOTS] = [const { OnceLock::new() }; SHARED_SLOTS];

/// The slot [`run_cached`] looks at first: the one filled last. It changes
/// only when a slot is filled, at most [`SHARED_SLOTS`] times, so the cache
/// line stays shared among the threads that read it.
static SHARED_NOW: AtomicUsize = AtomicUsize::new(0);

/// Slots claimed so far.
static SHARED_CLAIMED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The last program [`run_cached`] decoded on this thread.
    static LAST: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// [`run`] for callers that hand the same program again and again without
/// a place to keep its decoded form (`pcap_offline_filter`). `prog` is the
/// instructions' memory, `struct bpf_insn`s in this host's byte order. The
/// program is looked for first in the shared slot filled last, then in the
/// last one decoded on this thread, and is reused while its bytes are the
/// same, compared in full each call, since a freed program's memory may
/// come back holding another one.
// Not inlined: in its callers' frames the run was split off behind a
// closure call (measured: 18 instructions per call).
#[inline(never)]
pub fn run_cached(prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    // A partial instruction at the end is not one: decoding leaves it out,
    // so the comparisons leave it out too.
    let prog = &prog[..prog.len() - prog.len() % std::mem::size_of::<Insn>()];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { run_shared_avx2(prog, pkt, wirelen) };
    }
    run_shared_plain(prog, pkt, wirelen)
}

/// [`run_shared`] for any CPU. Not inlined, so that [`run_cached`] is
/// only the choice between the two (no registers saved for a body it
/// does not run).
#[inline(never)]
fn run_shared_plain(prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    run_shared::<false>(prog, pkt, wirelen)
}

/// [`run_shared`] compiled for AVX2, whose 32-byte compares check a
/// program in a third of the instructions of memcmp's call.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_shared_avx2(prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    run_shared::<true>(prog, pkt, wirelen)
}

/// The body of [`run_cached`]. `AVX2`: called from [`run_shared_avx2`]
/// only, on a CPU that has it.
#[inline(always)]
fn run_shared<const AVX2: bool>(prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    // The shared slot first: a plain load away, where the thread-local is
    // a call to the dynamic linker's __tls_get_addr and a borrow flag
    // (measured: 3 ns of a 40 ns call).
    if let Some(c) = SHARED.get(SHARED_NOW.load(Ordering::Relaxed)).and_then(OnceLock::get) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX2 is true only on a CPU that has it (above).
        let same = if AVX2 { unsafe { same_bytes_avx2(&c.bytes, prog) } } else { same_bytes(&c.bytes, prog) };
        #[cfg(not(target_arch = "x86_64"))]
        let same = same_bytes(&c.bytes, prog);
        if same {
            return c.prepared.exec(pkt, wirelen, None).unwrap_or(0);
        }
    }
    run_on_thread(prog, pkt, wirelen)
}

/// Asks for the cache line at `p` (a packet about to be filtered) to be
/// loaded while the caller looks its program up: the packet's first load
/// is otherwise the first thing that waits for memory (over bench's 2 M
/// packets, half the samples of the run; with the prefetch, 3 % less time
/// in the median of 15 alternating rounds).
#[inline(always)]
pub fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that reads nothing into the program and
    // never faults, whatever the address (SSE, in every x86-64 CPU).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The longest program [`bounded_len`] finds.
pub const BOUNDED_MAX: usize = 4096;

/// The length of a program given without one (`bpf_filter`): up to and
/// including the first return that no jump seen before it lands beyond,
/// at most [`BOUNDED_MAX`]. `insn(i)` is asked for i = 0, 1, ... in turn,
/// each only once the program is known not to end before i (so a caller
/// reads no instruction past the program); None from it gives None.
pub fn bounded_len(mut insn: impl FnMut(usize) -> Option<Insn>) -> Option<usize> {
    let mut reach = 0usize;
    for end in 0..BOUNDED_MAX {
        let i = insn(end)?;
        if class(i.code) == JMP {
            let skip = if op(i.code) == JA { i.k as usize } else { usize::from(i.jt.max(i.jf)) };
            reach = reach.max(end + 1 + skip);
        }
        if class(i.code) == RET && end >= reach {
            return Some(end + 1);
        }
    }
    Some(BOUNDED_MAX)
}

/// [`run_cached`] for a program given without its length (`bpf_filter`),
/// which is [`bounded_len`] instructions long. A program kept whose bytes
/// end where [`bounded_len`] ends them is compared word by word, in order,
/// stopping at the first difference; when all are equal, the program at
/// `prog` is that one, and its length need not be searched for.
///
/// Why no word past the program is read: word i is read only once words
/// 0..i are equal to those of the kept program, whose scan goes on past
/// i - 1 (its end, n, is more than i). [`bounded_len`]'s decisions on
/// words 0..i depend only on those words, so the scan of `prog` goes on
/// past i - 1 too: it reads word i itself. All n words equal: the scan of
/// `prog` stops where the kept one does, at n.
///
/// # Safety
/// `prog` points to instructions (`struct bpf_insn`, this host's byte
/// order) of which every one [`bounded_len`] reads is readable.
pub unsafe fn run_cached_unbounded(prog: *const u8, pkt: &[u8], wirelen: u32) -> u32 {
    let word = |i: usize| {
        // SAFETY: only called as the comparisons above, or by the scan
        // itself: for an instruction the scan reads (the contract).
        unsafe { prog.add(i * std::mem::size_of::<Insn>()).cast::<u64>().read_unaligned() }
    };
    let kept_word = |b: &[u8], j: usize| {
        u64::from_ne_bytes([b[j], b[j + 1], b[j + 2], b[j + 3], b[j + 4], b[j + 5], b[j + 6], b[j + 7]])
    };
    // In order, stopping at the first difference (see above); four words
    // a round, which halves the loop's own instructions.
    let is_prog = |c: &Cached| {
        if !c.bounded {
            return false;
        }
        let (fours, rest) = (c.bytes.chunks_exact(32), c.bytes.chunks_exact(32).remainder());
        let mut i = 0;
        for b in fours {
            if kept_word(b, 0) != word(i)
                || kept_word(b, 8) != word(i + 1)
                || kept_word(b, 16) != word(i + 2)
                || kept_word(b, 24) != word(i + 3)
            {
                return false;
            }
            i += 4;
        }
        rest.chunks_exact(8).enumerate().all(|(j, b)| kept_word(b, 0) == word(i + j))
    };
    if let Some(c) = SHARED.get(SHARED_NOW.load(Ordering::Relaxed)).and_then(OnceLock::get) {
        if is_prog(c) {
            return c.prepared.exec(pkt, wirelen, None).unwrap_or(0);
        }
    }
    let on_thread = LAST.try_with(|last| {
        let kept = last.try_borrow().ok()?;
        let c = kept.as_ref().filter(|c| is_prog(c))?;
        Some(c.prepared.exec(pkt, wirelen, None).unwrap_or(0))
    });
    if let Ok(Some(verdict)) = on_thread {
        return verdict;
    }
    let len = bounded_len(|i| Some(Insn::from_ne_bytes(word(i).to_ne_bytes()))).unwrap_or(BOUNDED_MAX);
    // SAFETY: the scan just read these `len` instructions.
    let prog = unsafe { std::slice::from_raw_parts(prog, len * std::mem::size_of::<Insn>()) };
    run_cached(prog, pkt, wirelen)
}

/// [`run_cached`] for a program not in the shared slot looked at.
#[inline(never)]
fn run_on_thread(prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    let on_thread = LAST.try_with(|last| {
        if let Ok(kept) = last.try_borrow() {
            if let Some(verdict) = kept.as_ref().and_then(|c| c.run_if_same(prog, pkt, wirelen)) {
                return verdict;
            }
        }
        decode_and_run(last, prog, pkt, wirelen)
    });
    // Err: called while this thread's thread-locals are destroyed (from
    // another one's destructor): decoded for this call only.
    on_thread.unwrap_or_else(|_| decode_and_run(&RefCell::new(None), prog, pkt, wirelen))
}

/// [`run_cached`] for a program not seen last: decode, keep, run.
#[cold]
#[inline(never)]
fn decode_and_run(last: &RefCell<Option<Cached>>, prog: &[u8], pkt: &[u8], wirelen: u32) -> u32 {
    let insns: Vec<Insn> = prog
        .chunks_exact(std::mem::size_of::<Insn>())
        .map(|b| Insn::from_ne_bytes(b.try_into().expect("8-byte chunks")))
        .collect();
    let bounded = bounded_len(|i| insns.get(i).copied()) == Some(insns.len());
    let cached = Cached { bytes: prog.into(), prepared: Prepared::new(&insns), bounded };
    let verdict = cached.prepared.run(pkt, wirelen, None);
    share(&cached);
    // Busy only if a filter ran from inside this one (it cannot): the
    // program is then simply not kept.
    if let Ok(mut last) = last.try_borrow_mut() {
        *last = Some(cached);
    }
    verdict
}

/// Puts `c` in the next free shared slot, if one is left, and makes it the
/// slot looked at first.
fn share(c: &Cached) {
    let slot = SHARED_CLAIMED.fetch_add(1, Ordering::Relaxed);
    if slot < SHARED_SLOTS && SHARED[slot].set(c.clone()).is_ok() {
        SHARED_NOW.store(slot, Ordering::Relaxed);
    }
    // Claims past the end leave the counter there (it cannot wrap in
    // practice: one claim per program decoded).
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH_IP: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0];

    fn ret(k: u32) -> Insn {
        Insn::stmt(RET | K, k)
    }

    #[test]
    fn fused_load_and_jump_keep_both_entry_points() {
        let prog = [
            Insn::stmt(LD | H | ABS, 12),
            Insn::new(JMP | JEQ | K, 0, 1, 0x0800),
            ret(100),
            // Jumped to directly: the jeq alone, on the A loaded above.
            Insn::new(JMP | JA, 0, 0, 0),
            ret(0),
        ];
        let p = Prepared::new(&prog);
        // The jump to `ret 100` returns 100 itself.
        assert_eq!(p.ops[0].0, Op::LdHJeq(12, 0x0800, RET_NOW | 100, 3));
        assert_eq!(p.ops[1].0, Op::JeqK(0x0800, RET_NOW | 100, 3));
        assert_eq!(p.run(&ETH_IP, 60, None), 100);
        let mut arp = ETH_IP;
        arp[13] = 6;
        assert_eq!(p.run(&arp, 60, None), 0);
        assert_eq!(p.try_run(&arp, 60, None), Some(0));
        // Loads past the captured bytes end the filter.
        assert_eq!(p.try_run(&ETH_IP[..13], 60, None), None);
    }

    /// A jump to `ret #k` returns k from the jump; a return whose value
    /// has the marking bit, `ret a`, and a jump that also lands elsewhere
    /// still dispatch, with the same verdicts.
    #[test]
    fn jumps_to_a_return_return_its_value() {
        let big = RET_NOW | 5;
        let prog = [
            Insn::stmt(LD | LEN, 0),
            Insn::new(JMP | JGT | K, 0, 1, 100),
            ret(big),
            Insn::new(JMP | JGT | K, 0, 1, 50),
            Insn::stmt(RET | A, 0),
            ret(0),
        ];
        let p = Prepared::new(&prog);
        assert_eq!(p.ops[0].0, Op::LenJgt(100, 2, 3));
        assert_eq!(p.ops[3].0, Op::JgtK(50, 4, RET_NOW));
        for (wire, want) in [(150, big), (80, 80), (20, 0)] {
            assert_eq!(p.try_run(&[], wire, None), Some(want));
            assert_eq!(try_run(&prog, &[], wire, None), reference(&prog, &[], wire));
        }
    }

    #[test]
    fn jumps_and_falls_past_the_end_fail() {
        let far = [Insn::new(JMP | JA, 0, 0, 1_000_000)];
        assert_eq!(try_run(&far, &ETH_IP, 60, None), None);
        let cond = [Insn::new(JMP | JEQ | K, 200, 200, 0)];
        assert_eq!(try_run(&cond, &ETH_IP, 60, None), None);
        let fall = [Insn::stmt(LD | IMM, 5)];
        assert_eq!(try_run(&fall, &ETH_IP, 60, None), None);
        assert_eq!(try_run(&[], &ETH_IP, 60, None), None);
    }

    #[test]
    fn arithmetic_and_scratch_follow_libpcap() {
        let prog = [
            Insn::stmt(LD | IMM, 7),
            Insn::stmt(ST, 3),
            Insn::stmt(LDX | MEM, 3),
            Insn::stmt(ALU | MUL | X, 0),
            Insn::stmt(ALU | LSH | K, 33),
            Insn::stmt(ALU | OR | K, 5),
            Insn::stmt(RET | A, 0),
        ];
        assert_eq!(run(&prog, &[], 0, None), 5);
        let div0 = [Insn::stmt(LDX | IMM, 0), Insn::stmt(ALU | DIV | X, 0), ret(1)];
        assert_eq!(try_run(&div0, &[], 0, None), None);
        let divk0 = [Insn::stmt(ALU | DIV | K, 0), ret(1)];
        assert_eq!(try_run(&divk0, &[], 0, None), None);
        let bad_mem = [Insn::stmt(LD | MEM, 16), ret(1)];
        assert_eq!(try_run(&bad_mem, &[], 0, None), None);
        let msh = [Insn::stmt(LDX | B | MSH, 14), Insn::stmt(TXA | MISC, 0), Insn::stmt(RET | A, 0)];
        assert_eq!(run(&msh, &ETH_IP, 60, None), 20);
    }

    #[test]
    fn ancillary_loads_need_metadata() {
        let prog = [Insn::stmt(LD | W | ABS, ancillary(sys::SKF_AD_VLAN_TAG_PRESENT)), Insn::stmt(RET | A, 0)];
        assert_eq!(try_run(&prog, &ETH_IP, 60, None), None);
        let meta = Ancillary { vlan_tci: Some(5), ..Ancillary::default() };
        assert_eq!(try_run(&prog, &ETH_IP, 60, Some(&meta)), Some(1));
    }

    fn bytes(prog: &[Insn]) -> Vec<u8> {
        let word = |i: &Insn| u64::from(i.code) | u64::from(i.jt) << 16 | u64::from(i.jf) << 24 | u64::from(i.k) << 32;
        prog.iter().flat_map(|i| word(i).to_ne_bytes()).collect()
    }

    #[test]
    fn the_cache_notices_a_changed_program() {
        let mut prog = vec![Insn::stmt(LD | LEN, 0), Insn::new(JMP | JGT | K, 0, 1, 60), ret(9), ret(0)];
        assert_eq!(run_cached(&bytes(&prog), &[], 100), 9);
        assert_eq!(run_cached(&bytes(&prog), &[], 50), 0);
        prog[2] = ret(7);
        assert_eq!(run_cached(&bytes(&prog), &[], 100), 7);
        assert_eq!(run_cached(&bytes(&prog[..2]), &[], 100), 0);
        // A partial instruction is not one.
        assert_eq!(run_cached(&bytes(&prog)[..7], &[], 100), 0);
    }

    #[test]
    fn the_cache_follows_one_buffer_rewritten_in_place_and_two_alternating() {
        let len_gt =
            |k: u32, keep: u32| bytes(&[Insn::stmt(LD | LEN, 0), Insn::new(JMP | JGT | K, 0, 1, k), ret(keep), ret(0)]);
        // One buffer, as a program the caller changes between calls: every
        // byte that decides the verdict is noticed (k, the return, jt/jf).
        let mut buf = len_gt(60, 9);
        assert_eq!(run_cached(&buf, &[], 100), 9);
        buf.copy_from_slice(&len_gt(120, 9));
        assert_eq!(run_cached(&buf, &[], 100), 0);
        buf.copy_from_slice(&len_gt(120, 5));
        assert_eq!(run_cached(&buf, &[], 130), 5);
        buf[8 + 2] = 1; // jgt's jt now skips `ret 5`
        assert_eq!(run_cached(&buf, &[], 130), 0);
        let (a, b) = (len_gt(60, 1), len_gt(60, 2));
        for wire in [50, 100, 50, 100] {
            let want = u32::from(wire > 60);
            assert_eq!(run_cached(&a, &[], wire), want);
            assert_eq!(run_cached(&b, &[], wire), 2 * want);
        }
    }

    #[test]
    fn shared_programs_stay_exact_across_threads_and_past_the_last_slot() {
        let len_gt =
            |k: u32, keep: u32| bytes(&[Insn::stmt(LD | LEN, 0), Insn::new(JMP | JGT | K, 0, 1, k), ret(keep), ret(0)]);
        // More programs than there are shared slots, each decoded on one
        // thread and then run on others, interleaved with the others: the
        // verdict is always that of the bytes given.
        let progs: Vec<Vec<u8>> = (0..SHARED_SLOTS as u32 + 4).map(|i| len_gt(50 + i, 10 + i)).collect();
        for round in 0..3 {
            std::thread::scope(|s| {
                for t in 0..3 {
                    let progs = &progs;
                    s.spawn(move || {
                        for (i, p) in progs.iter().enumerate().skip((t + round) % 2) {
                            let i = i as u32;
                            assert_eq!(run_cached(p, &[], 50 + i + 1), 10 + i);
                            assert_eq!(run_cached(p, &[], 50 + i), 0);
                        }
                    });
                }
            });
        }
        // A program in a shared slot, changed in place by its caller.
        let mut buf = progs[0].clone();
        assert_eq!(run_cached(&buf, &[], 100), 10);
        buf[8 + 4] = 200; // jgt #200
        assert_eq!(run_cached(&buf, &[], 100), 0);
    }

    /// Every program length up to 40 instructions, equal and with one byte
    /// changed at each position: the 32-byte compare agrees with `==`
    /// (chunks, the remainder and the overlapping last step included).
    #[test]
    fn the_wide_compare_sees_every_byte() {
        let a: Vec<u8> = (0..320u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in (0..=a.len()).step_by(8) {
            let kept = &a[..n];
            let mut prog = kept.to_vec();
            assert!(same_bytes(kept, &prog));
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert!(unsafe { same_bytes_avx2(kept, &prog) }, "length {n}");
                for at in 0..n {
                    prog[at] ^= 0x10;
                    assert!(!unsafe { same_bytes_avx2(kept, &prog) }, "length {n}, byte {at}");
                    prog[at] ^= 0x10;
                }
                if n >= 8 {
                    assert!(!unsafe { same_bytes_avx2(kept, &prog[..n - 8]) });
                }
            }
        }
    }

    #[test]
    fn a_program_without_its_length_ends_at_the_return_no_jump_passes() {
        let len = |prog: &[Insn]| bounded_len(|i| prog.get(i).copied());
        let j = |jt: u8, jf: u8| Insn::new(JMP | JGT | K, jt, jf, 60);
        assert_eq!(len(&[ret(1), ret(2)]), Some(1));
        assert_eq!(len(&[j(0, 1), ret(1), ret(0), ret(9)]), Some(3));
        assert_eq!(len(&[j(2, 0), ret(1), ret(0), ret(9)]), Some(4));
        assert_eq!(len(&[Insn::new(JMP | JA, 0, 0, 1), ret(1), ret(0)]), Some(3));
        // The scan asks for no instruction past the end it finds.
        assert_eq!(len(&[j(0, 1), ret(1)]), None);
    }

    /// `bpf_filter`'s path: a program found by its words, rewritten in
    /// place to end earlier and later, and one ending right before memory
    /// that cannot be read, sharing its first word with the program kept.
    #[test]
    fn programs_without_a_length_are_found_by_their_words_alone() {
        let len_gt =
            |k: u32, keep: u32| vec![Insn::stmt(LD | LEN, 0), Insn::new(JMP | JGT | K, 0, 1, k), ret(keep), ret(0)];
        let run = |buf: &[u8], wire: u32| {
            // SAFETY: every buffer here holds its whole program.
            unsafe { run_cached_unbounded(buf.as_ptr(), &[], wire) }
        };
        // Trailing words past the program are never part of it.
        let mut buf = bytes(&len_gt(60, 9));
        buf.extend_from_slice(&bytes(&[ret(77)]));
        assert_eq!(run(&buf, 100), 9);
        assert_eq!(run(&buf, 50), 0);
        buf[8..16].copy_from_slice(&bytes(&[ret(7)]));
        assert_eq!(run(&buf, 100), 7);
        buf[8..16].copy_from_slice(&bytes(&[Insn::new(JMP | JGT | K, 0, 2, 60)]));
        assert_eq!(run(&buf, 50), 77);
        assert_eq!(run(&buf, 100), 9);
        // After the run of a longer program with the same first word, one
        // that ends on the last readable word of a page: the comparison
        // stops at the first difference and reads nothing past it.
        assert_eq!(run(&bytes(&len_gt(60, 3)), 100), 3);
        let page = 4096;
        // SAFETY: a private anonymous mapping of two pages, the second made
        // unreadable, unmapped below.
        unsafe {
            let map = libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(map, libc::MAP_FAILED);
            assert_eq!(libc::mprotect(map.cast::<u8>().add(page).cast(), page, libc::PROT_NONE), 0);
            let short = bytes(&[Insn::stmt(LD | LEN, 0), ret(4)]);
            let at = map.cast::<u8>().add(page - short.len());
            std::ptr::copy_nonoverlapping(short.as_ptr(), at, short.len());
            assert_eq!(run_cached_unbounded(at, &[], 100), 4);
            assert_eq!(run_cached_unbounded(at, &[], 100), 4);
            libc::munmap(map, 2 * page);
        }
    }

    /// The kernel's classic BPF, written out plainly over the instructions
    /// (the subset the random programs below use).
    fn reference(prog: &[Insn], pkt: &[u8], wirelen: u32) -> Option<u32> {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let load = |at: u32, n: usize| -> Option<u32> {
            let at = at as usize;
            let b = pkt.get(at..at.checked_add(n)?)?;
            Some(b.iter().fold(0u32, |v, &b| v << 8 | u32::from(b)))
        };
        loop {
            let i = prog.get(pc)?;
            pc += 1;
            let n = size_bytes(i.code) as usize;
            match (class(i.code), mode(i.code)) {
                (RET, _) if i.code == RET | K => return Some(i.k),
                (RET, _) => return Some(a),
                (LD, ABS) => a = load(i.k, n)?,
                (LD, IND) => a = load(x.wrapping_add(i.k), n)?,
                (LD, LEN) => a = wirelen,
                (LDX, MSH) => x = (load(i.k, 1)? & 0xf) << 2,
                (JMP, _) => {
                    let taken = match op(i.code) {
                        JEQ => a == i.k,
                        JGT => a > i.k,
                        JGE => a >= i.k,
                        _ => a & i.k != 0,
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                _ => unreachable!("not generated"),
            }
        }
    }

    #[test]
    fn fused_steps_agree_with_the_plain_machine() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % u64::from(n)) as u32
        };
        let sizes = [B, H, W];
        let conds = [JEQ, JGT, JGE, JSET];
        for _ in 0..3000 {
            let len = 2 + next(14) as usize;
            let mut prog = Vec::new();
            for pc in 0..len {
                let left = (len - pc - 1) as u32;
                let jump = |next: &mut dyn FnMut(u32) -> u32| next(left.min(6) + 2) as u8;
                let i = match next(8) {
                    0 | 1 => Insn::stmt(LD | ABS | sizes[next(3) as usize], next(24)),
                    2 => Insn::stmt(LD | IND | sizes[next(3) as usize], next(24)),
                    3 => Insn::stmt(LDX | MSH | B, next(24)),
                    4 => Insn::stmt(LD | LEN, 0),
                    5 => Insn::stmt(RET | K, next(3)),
                    _ => {
                        // Few distinct constants, so jeq chains both hit and miss.
                        let k = [0, 1, 0x45, 0x800, 0x4500, 60][next(6) as usize];
                        Insn::new(JMP | conds[next(4) as usize] | K, jump(&mut next), jump(&mut next), k)
                    }
                };
                prog.push(i);
            }
            prog.push(Insn::stmt(RET | A, 0));
            let p = Prepared::new(&prog);
            for _ in 0..8 {
                let pkt: Vec<u8> = (0..next(30)).map(|_| [0u8, 1, 0x45, 8, 0xff][next(5) as usize]).collect();
                let wire = 40 + next(40);
                assert_eq!(p.try_run(&pkt, wire, None), reference(&prog, &pkt, wire), "{prog:?} on {pkt:?}");
            }
        }
    }

    #[test]
    fn chains_and_header_length_steps_are_fused() {
        let prog = [
            Insn::stmt(LD | H | ABS, 12),
            Insn::new(JMP | JEQ | K, 4, 0, 0x86dd),
            Insn::new(JMP | JEQ | K, 0, 3, 0x0800),
            Insn::stmt(LDX | MSH | B, 14),
            Insn::stmt(LD | H | IND, 14),
            Insn::new(JMP | JEQ | K, 0, 1, 53),
            ret(1),
            ret(0),
        ];
        let p = Prepared::new(&prog);
        let (ret1, ret0) = (RET_NOW | 1, RET_NOW);
        assert_eq!(p.ops[0].0, Op::LdHJeq2(12, 0x86dd, ret1, 0x0800, 3, ret1));
        assert_eq!(p.ops[3].0, Op::MshLdIndHJeq(14, 14, 53, ret1, ret0));
        let mut udp = [0u8; 40];
        udp[12..16].copy_from_slice(&[8, 0, 0x45, 0]);
        udp[34..36].copy_from_slice(&53u16.to_be_bytes());
        assert_eq!(p.run(&udp, 60, None), 1);
        udp[35] = 54;
        assert_eq!(p.run(&udp, 60, None), 0);
        assert_eq!(p.try_run(&udp[..35], 60, None), None);
    }

    /// `udp port 53 and host 10.0.0.2` as libpcap compiles it: the
    /// protocol and fragment test, both ports and both addresses each
    /// become one step, and agree with the plain machine whatever the
    /// packet holds and wherever it is cut short.
    #[test]
    fn port_host_and_fragment_shapes_are_fused() {
        let j = |k: u32, jt: u8, jf: u8| Insn::new(JMP | JEQ | K, jt, jf, k);
        let prog = [
            Insn::stmt(LD | H | ABS, 12),
            j(0x86dd, 15, 0),
            j(0x0800, 0, 14),
            Insn::stmt(LD | B | ABS, 23),
            j(17, 0, 12),
            Insn::stmt(LD | H | ABS, 20),
            Insn::new(JMP | JSET | K, 10, 0, 0x1fff),
            Insn::stmt(LDX | MSH | B, 14),
            Insn::stmt(LD | H | IND, 14),
            j(53, 2, 0),
            Insn::stmt(LD | H | IND, 16),
            j(53, 0, 5),
            Insn::stmt(LD | W | ABS, 26),
            j(0x0a00_0002, 2, 0),
            Insn::stmt(LD | W | ABS, 30),
            j(0x0a00_0002, 0, 1),
            ret(262_144),
            Insn::stmt(RET | A, 0),
        ];
        let p = Prepared::new(&prog);
        assert_eq!(p.ops[3].0, Op::LdBJeqLdHJclear(23, 17, 20, 0x1fff, 7, 17));
        assert_eq!(p.ops[7].0, Op::MshLdIndHJeqEither(14, 14, 16, 53, 12, 17));
        assert_eq!(p.ops[12].0, Op::LdWJeqEither(26, 30, 0x0a00_0002, RET_NOW | 262_144, 17));
        // The IPv6 ports, at constant offsets.
        let v6 = [Insn::stmt(LD | H | ABS, 54), j(53, 2, 0), Insn::stmt(LD | H | ABS, 56), j(53, 0, 1), ret(1), ret(0)];
        assert_eq!(Prepared::new(&v6).ops[0].0, Op::LdHJeqEither(54, 56, 53, RET_NOW | 1, RET_NOW));
        let mut six = [0u8; 58];
        six[57] = 53;
        assert_eq!(Prepared::new(&v6).try_run(&six, 58, None), Some(1));
        assert_eq!(Prepared::new(&v6).try_run(&six[..57], 58, None), None);
        six[55] = 53;
        assert_eq!(Prepared::new(&v6).try_run(&six[..57], 58, None), Some(1));
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut pkt = [0u8; 64];
        pkt[12..16].copy_from_slice(&[8, 0, 0x45, 0]);
        pkt[23] = 17;
        for round in 0..4000 {
            let mut pkt = pkt;
            // A few fields at a time, to the values the program looks for
            // or to others, so that every branch is taken.
            for _ in 0..3 {
                let r = next();
                let at = [14, 20, 21, 23, 26, 30, 33, 34, 35, 36, 37, 38, 39, 41, 42, 43][(r % 16) as usize];
                pkt[at] = [0, 2, 10, 17, 53, 0x45, 0x46, 0x4f, 0x20, 0xff][(r >> 8) as usize % 10];
            }
            if round % 2 == 0 {
                pkt[26..30].copy_from_slice(&[10, 0, 0, 2]);
            }
            for cut in 0..=pkt.len() {
                let want = reference(&prog, &pkt[..cut], 64);
                assert_eq!(p.try_run(&pkt[..cut], 64, None), want, "{pkt:?} cut at {cut}");
            }
        }
    }
}
