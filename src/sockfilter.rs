//! Classic BPF socket filters: validate a program, attach it to the packet
//! socket, swap it without letting packets accepted by the old program
//! through, lock it.
//!
//! `validate` is deliberately self-contained (the kernel's `bpf_check_classic`
//! rules); a fuller validator can replace it behind the same signature.

use std::mem::size_of;

use crate::error::{Error, ErrorCode, Result};
use crate::rx::Capture;
use crate::socket::PacketSocket;
use crate::sys;

/// One classic BPF instruction, laid out exactly as the kernel's `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode: class | size | mode, or class | op | source.
    pub code: u16,
    /// Conditional jumps: instructions to skip when the test is true.
    pub jt: u8,
    /// Conditional jumps: instructions to skip when the test is false.
    pub jf: u8,
    /// Constant operand (offset, immediate, jump distance for BPF_JA).
    pub k: u32,
}

const _: () = assert!(size_of::<Insn>() == size_of::<sys::sock_filter>());

impl Insn {
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }
}

/// The kernel's limit on a classic program's length.
pub const MAX_INSNS: usize = sys::BPF_MAXINSNS as usize;
/// Scratch memory words M[0..16].
const MEMWORDS: u32 = sys::BPF_MEMWORDS;

/// `ret #0`: accepts nothing. Used as a fence while the filter changes.
pub const REJECT_ALL: [Insn; 1] = [Insn::new((sys::BPF_RET | sys::BPF_K) as u16, 0, 0, 0)];

// Opcode fields (linux/bpf_common.h).
const fn class(code: u16) -> u16 {
    code & 0x07
}
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;

const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;

const K: u16 = 0x00;
const X: u16 = 0x08;
const A: u16 = 0x10;

const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;

const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;

const TAX: u16 = 0x00;
const TXA: u16 = 0x80;

/// What an opcode is, for the checks that depend on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    LoadMem,
    StoreMem,
    DivK,
    ShiftK,
    Jump,
    CondJump,
    Return,
}

/// The opcodes the kernel accepts in a socket filter (`bpf_check_classic`).
fn kind(code: u16) -> Option<Kind> {
    let k = match class(code) {
        LD => match code & !0x07 {
            c if c == W | ABS || c == H | ABS || c == B | ABS => Kind::Plain,
            c if c == W | IND || c == H | IND || c == B | IND => Kind::Plain,
            c if c == W | LEN || c == W | IMM => Kind::Plain,
            c if c == W | MEM => Kind::LoadMem,
            _ => return None,
        },
        LDX => match code & !0x07 {
            c if c == W | IMM || c == W | LEN || c == B | MSH => Kind::Plain,
            c if c == W | MEM => Kind::LoadMem,
            _ => return None,
        },
        ST | STX => {
            if code & !0x07 != 0 {
                return None;
            }
            Kind::StoreMem
        }
        ALU => {
            let op = code & 0xf0;
            let src = code & X;
            if code & !0xff != 0 {
                return None;
            }
            match op {
                NEG if src == K => Kind::Plain,
                NEG => return None,
                DIV | MOD if src == K => Kind::DivK,
                LSH | RSH if src == K => Kind::ShiftK,
                ADD | SUB | MUL | DIV | MOD | OR | AND | XOR | LSH | RSH => Kind::Plain,
                _ => return None,
            }
        }
        JMP => {
            let op = code & 0xf0;
            if code & !0xff != 0 {
                return None;
            }
            match op {
                JA if code & 0x08 == 0 => Kind::Jump,
                JEQ | JGT | JGE | JSET => Kind::CondJump,
                _ => return None,
            }
        }
        RET => match code & !0x07 {
            c if c == K || c == A => Kind::Return,
            _ => return None,
        },
        MISC => match code & !0x07 {
            c if c == TAX || c == TXA => Kind::Plain,
            _ => return None,
        },
        _ => return None,
    };
    Some(k)
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::FilterInvalid, message)
}

/// Checks a classic BPF program the way the kernel will, so that a bad one
/// is refused with a message naming the instruction instead of a bare EINVAL.
pub fn validate(prog: &[Insn]) -> Result<()> {
    if prog.is_empty() {
        return Err(invalid("BPF program is empty; it needs at least a return instruction".into()));
    }
    if prog.len() > MAX_INSNS {
        return Err(invalid(format!(
            "BPF program has {} instructions; the kernel accepts at most {MAX_INSNS}",
            prog.len()
        )));
    }
    let len = prog.len();
    // Scratch words known to be written on every path reaching each
    // instruction (the kernel refuses reads of unwritten words). Jumps only
    // go forward, so one pass in order sees every predecessor first.
    let mut stored: Vec<Option<u16>> = vec![None; len];
    stored[0] = Some(0);
    for (pc, insn) in prog.iter().enumerate() {
        let Some(kind) = kind(insn.code) else {
            return Err(invalid(format!(
                "instruction {pc}: opcode {:#06x} is not a valid classic BPF opcode",
                insn.code
            )));
        };
        // An instruction no path reaches keeps None: treat its scratch as all written.
        let mut mem = stored[pc].unwrap_or(u16::MAX);
        let mut flow = |target: usize, mem: u16| {
            let slot = &mut stored[target];
            *slot = Some(slot.map_or(mem, |m| m & mem));
        };
        match kind {
            Kind::LoadMem | Kind::StoreMem if insn.k >= MEMWORDS => {
                return Err(invalid(format!(
                    "instruction {pc}: scratch memory index {} is out of range; valid: 0 to {}",
                    insn.k,
                    MEMWORDS - 1
                )));
            }
            Kind::LoadMem if mem & (1 << insn.k) == 0 => {
                return Err(invalid(format!(
                    "instruction {pc}: reads scratch word M[{}] before any instruction stored to it",
                    insn.k
                )));
            }
            Kind::StoreMem => mem |= 1 << insn.k,
            Kind::DivK if insn.k == 0 => {
                return Err(invalid(format!("instruction {pc}: division or modulo by the constant 0")));
            }
            Kind::ShiftK if insn.k >= 32 => {
                return Err(invalid(format!("instruction {pc}: shift by {} bits; valid: 0 to 31", insn.k)));
            }
            Kind::Jump => {
                // Offsets are unsigned: a "backward" jump shows up as a huge k.
                let remaining = (len - pc - 1) as u64;
                if u64::from(insn.k) >= remaining {
                    return Err(invalid(format!(
                        "instruction {pc}: jump by {} goes past the end of the program (jumps are forward only; at most {} here)",
                        insn.k,
                        remaining.saturating_sub(1)
                    )));
                }
                flow(pc + 1 + insn.k as usize, mem);
                continue;
            }
            Kind::CondJump => {
                for (name, off) in [("true", insn.jt), ("false", insn.jf)] {
                    if pc + 1 + off as usize >= len {
                        return Err(invalid(format!(
                            "instruction {pc}: jump-if-{name} by {off} goes past the end of the program ({len} instructions)"
                        )));
                    }
                    flow(pc + 1 + off as usize, mem);
                }
                continue;
            }
            Kind::Return => continue,
            _ => {}
        }
        if pc + 1 < len {
            flow(pc + 1, mem);
        }
    }
    let last = prog[len - 1];
    if kind(last.code) != Some(Kind::Return) {
        return Err(invalid(format!(
            "the last instruction ({}) is not a return (BPF_RET|BPF_K or BPF_RET|BPF_A): a program must end by returning",
            len - 1
        )));
    }
    Ok(())
}

/// Validates `prog` and attaches it to the socket (SO_ATTACH_FILTER),
/// replacing any previous program.
pub fn attach(socket: &PacketSocket, prog: &[Insn]) -> Result<()> {
    validate(prog)?;
    let fprog = sys::sock_fprog {
        len: prog.len() as u16,
        // The kernel only reads through this pointer (copies the program in).
        filter: prog.as_ptr() as *mut sys::sock_filter,
    };
    socket.set_option(libc::SOL_SOCKET, sys::SO_ATTACH_FILTER, &fprog, "setsockopt(SO_ATTACH_FILTER)").map_err(|e| {
        match e.code() == ErrorCode::Permission {
            true => Error::new(
                ErrorCode::WrongState,
                "the socket filter is locked (SO_LOCK_FILTER): it cannot be changed until the handle is closed",
            ),
            false => Error::new(
                if e.code() == ErrorCode::Io { ErrorCode::FilterInvalid } else { e.code() },
                format!("the kernel refused the BPF program: {e}"),
            ),
        }
    })
}

/// Removes the socket's filter (SO_DETACH_FILTER); no filter is not an error.
pub fn detach(socket: &PacketSocket) -> Result<()> {
    let zero = 0i32;
    // SAFETY: a valid int option value of the length passed.
    let r = unsafe {
        libc::setsockopt(
            socket.fd(),
            libc::SOL_SOCKET,
            sys::SO_DETACH_FILTER as i32,
            (&zero as *const i32).cast(),
            size_of::<i32>() as libc::socklen_t,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::ENOENT) => Ok(()),
        Some(libc::EPERM) => Err(Error::new(
            ErrorCode::WrongState,
            "the socket filter is locked (SO_LOCK_FILTER): it cannot be removed until the handle is closed",
        )),
        _ => Err(Error::os("setsockopt(SO_DETACH_FILTER)", err)),
    }
}

/// SO_LOCK_FILTER: from now on the filter can neither be replaced nor removed.
pub fn lock(socket: &PacketSocket) -> Result<()> {
    socket.set_option(libc::SOL_SOCKET, sys::SO_LOCK_FILTER, &1i32, "setsockopt(SO_LOCK_FILTER)")
}

/// Discards whatever is queued on the socket itself (the copies that
/// PACKET_COPY_THRESH queues for packets too large for their frame).
pub fn drain_socket_queue(socket: &PacketSocket) -> usize {
    let mut n = 0;
    let mut byte = 0u8;
    loop {
        // SAFETY: one writable byte; MSG_TRUNC discards the rest of the packet.
        let r =
            unsafe { libc::recv(socket.fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_TRUNC | libc::MSG_DONTWAIT) };
        if r < 0 {
            return n;
        }
        n += 1;
    }
}

impl Capture {
    /// Replaces the socket filter without letting a packet the old filter
    /// accepted through: a reject-all program goes in first, whatever the
    /// ring and the socket queue hold is discarded, then `prog` is attached
    /// (libpcap's approach). Returns the number of packets discarded. If the
    /// kernel refuses `prog` after validation passed, the handle is left
    /// with the reject-all filter and the error says so.
    pub fn set_filter(&mut self, prog: &[Insn]) -> Result<usize> {
        validate(prog)?;
        attach(self.socket(), &REJECT_ALL)?;
        // A V3 block being filled is handed over by its retire timer: allow
        // a few periods (8 ms is the kernel's choice when asked for 0).
        let settle = 4 * u64::from(self.block_timeout_ms().max(8)) + 20;
        let discarded = self.discard_pending(settle);
        attach(self.socket(), prog).map_err(|e| {
            Error::new(e.code(), format!("{e}; the handle now rejects every packet until a filter is set"))
        })?;
        Ok(discarded)
    }

    /// Removes the socket filter: every packet is captured again.
    pub fn remove_filter(&mut self) -> Result<()> {
        detach(self.socket())
    }

    /// Locks the current filter (SO_LOCK_FILTER) for the life of the handle.
    pub fn lock_filter(&mut self) -> Result<()> {
        lock(self.socket())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RET_K: u16 = RET | K;
    fn ret(k: u32) -> Insn {
        Insn::new(RET_K, 0, 0, k)
    }

    fn err(prog: &[Insn]) -> String {
        let e = validate(prog).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FilterInvalid);
        e.message().to_string()
    }

    #[test]
    fn accepts_typical_programs() {
        // tcpdump -dd "ip": ldh [12]; jeq #0x800 jt 0 jf 1; ret #262144; ret #0
        let ip = [Insn::new(0x28, 0, 0, 12), Insn::new(0x15, 0, 1, 0x800), ret(262_144), ret(0)];
        validate(&ip).unwrap();
        validate(&REJECT_ALL).unwrap();
        // st M[3]; ld M[3]; ret a
        validate(&[Insn::new(ST, 0, 0, 3), Insn::new(LD | MEM, 0, 0, 3), Insn::new(RET | A, 0, 0, 0)]).unwrap();
    }

    #[test]
    fn refuses_bad_programs() {
        assert!(err(&[]).contains("empty"));
        assert!(err(&vec![ret(0); MAX_INSNS + 1]).contains("at most"));
        assert!(err(&[Insn::new(0x28, 0, 0, 12)]).contains("not a return"));
        assert!(err(&[Insn::new(0x15, 5, 0, 1), ret(0)]).contains("past the end"));
        assert!(err(&[Insn::new(JMP | JA, 0, 0, u32::MAX), ret(0)]).contains("forward only"));
        assert!(err(&[Insn::new(ALU | DIV | K, 0, 0, 0), ret(0)]).contains("constant 0"));
        assert!(err(&[Insn::new(ALU | MOD | K, 0, 0, 0), ret(0)]).contains("constant 0"));
        assert!(err(&[Insn::new(ST, 0, 0, 16), ret(0)]).contains("scratch memory index 16"));
        assert!(err(&[Insn::new(LD | MEM, 0, 0, 2), ret(0)]).contains("before any instruction stored"));
        assert!(err(&[Insn::new(0xffff, 0, 0, 0), ret(0)]).contains("not a valid"));
        assert!(err(&[Insn::new(ALU | LSH | K, 0, 0, 32), ret(0)]).contains("shift"));
        // A store on only one branch does not initialise the word for the join.
        let partial = [Insn::new(JMP | JEQ | K, 0, 1, 1), Insn::new(ST, 0, 0, 0), Insn::new(LD | MEM, 0, 0, 0), ret(0)];
        assert!(err(&partial).contains("M[0]"));
    }

    #[test]
    fn scratch_written_on_both_branches_is_fine() {
        let both = [
            Insn::new(JMP | JEQ | K, 0, 2, 1),
            Insn::new(ST, 0, 0, 0),
            Insn::new(JMP | JA, 0, 0, 1),
            Insn::new(ST, 0, 0, 0),
            Insn::new(LD | MEM, 0, 0, 0),
            Insn::new(RET | A, 0, 0, 0),
        ];
        validate(&both).unwrap();
    }
}
