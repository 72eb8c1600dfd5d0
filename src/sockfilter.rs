//! Classic BPF socket filters: validate a program, attach it to the packet
//! socket, swap it without letting packets accepted by the old program
//! through, lock it.
//!
//! Programs are checked by the filter module's validator (the kernel's
//! `bpf_check_classic` rules) before they reach the kernel.

use std::mem::size_of;

use crate::error::{Error, ErrorCode, Result};
use crate::socket::PacketSocket;
use crate::sys;

pub use crate::filter::{validate, Insn};

const _: () = assert!(size_of::<Insn>() == size_of::<sys::sock_filter>());

/// The kernel's limit on a classic program's length.
pub const MAX_INSNS: usize = sys::BPF_MAXINSNS as usize;

/// Accepts nothing: installed while a filter is swapped.
pub const REJECT_ALL: [Insn; 1] = [Insn::new((sys::BPF_RET | sys::BPF_K) as u16, 0, 0, 0)];

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
    let Err(err) = socket.set_option_os(libc::SOL_SOCKET, sys::SO_DETACH_FILTER, &0i32) else { return Ok(()) };
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
    // One byte each: MSG_TRUNC discards the rest of the packet.
    let mut byte = [0u8; 1];
    let mut n = 0;
    while socket.recv_queued(&mut byte).is_some() {
        n += 1;
    }
    n
}
