//! A classic BPF interpreter with the kernel's semantics: A, X and M[]
//! start at zero, a load outside the packet ends the filter with 0,
//! division by a zero X ends it with 0, and ancillary loads read the
//! metadata given (or, without it, behave as out of range, like libpcap's
//! offline filter).

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

fn ancillary_value(k: u32, meta: &Ancillary, wirelen: u32) -> Option<u32> {
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
        _ => {
            let _ = wirelen;
            return None;
        }
    })
}

fn load(pkt: &[u8], off: u32, code: u16) -> Option<u32> {
    let n = size_bytes(code) as usize;
    let start = off as usize;
    let bytes = pkt.get(start..start.checked_add(n)?)?;
    Some(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// Runs `prog` on a packet of which `pkt` is the captured part and
/// `wirelen` the length on the wire; returns the filter's result (0 =
/// reject, otherwise the number of bytes to keep). The program should have
/// passed [`super::validate::validate`]; an invalid one returns 0 rather
/// than misbehaving.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> u32 {
    try_run(prog, pkt, wirelen, meta).unwrap_or(0)
}

/// Like [`run`], but tells an explicit `ret` (Some) from the filter ending
/// early (None): a load outside the packet, a division by zero, an
/// unavailable ancillary field or an invalid instruction.
pub fn try_run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEMWORDS as usize];
    let mut pc = 0usize;
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let c = i.code;
        let k = i.k;
        match class(c) {
            RET => return Some(if c == RET | A { a } else { k }),
            LD | LDX => {
                let v = match mode(c) {
                    IMM => k,
                    LEN => wirelen,
                    MEM => match mem.get(k as usize) {
                        Some(v) => *v,
                        None => return None,
                    },
                    ABS | IND | MSH => {
                        let off = if mode(c) == IND { x.wrapping_add(k) } else { k };
                        if mode(c) == ABS && k >= sys::SKF_AD_OFF as u32 {
                            meta.and_then(|m| ancillary_value(k, m, wirelen))?
                        } else {
                            match load(pkt, off, c) {
                                Some(v) if mode(c) == MSH => (v & 0xf) << 2,
                                Some(v) => v,
                                None => return None,
                            }
                        }
                    }
                    _ => return None,
                };
                if class(c) == LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            ST | STX => match mem.get_mut(k as usize) {
                Some(slot) => *slot = if class(c) == ST { a } else { x },
                None => return None,
            },
            ALU => {
                let operand = if src(c) == X { x } else { k };
                a = match op(c) {
                    ADD => a.wrapping_add(operand),
                    SUB => a.wrapping_sub(operand),
                    MUL => a.wrapping_mul(operand),
                    DIV => a.checked_div(operand)?,
                    MOD => a.checked_rem(operand)?,
                    AND => a & operand,
                    OR => a | operand,
                    XOR => a ^ operand,
                    LSH => a.checked_shl(operand).unwrap_or(0),
                    RSH => a.checked_shr(operand).unwrap_or(0),
                    NEG => a.wrapping_neg(),
                    _ => return None,
                };
            }
            JMP => {
                let operand = if src(c) == X { x } else { k };
                let taken = match op(c) {
                    JA => {
                        pc = pc.saturating_add(k as usize);
                        continue;
                    }
                    JEQ => a == operand,
                    JGT => a > operand,
                    JGE => a >= operand,
                    JSET => a & operand != 0,
                    _ => return None,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            _ => {
                if c == MISC | TAX {
                    x = a;
                } else if c == MISC | TXA {
                    a = x;
                } else {
                    return None;
                }
            }
        }
    }
    None
}
