//! Classic BPF socket filters: validate a program, attach it to the packet
//! socket, swap it without letting packets accepted by the old program
//! through, lock it.
//!
//! Programs are checked by the filter module's validator (the kernel's
//! `bpf_check_classic` rules) before they reach the kernel.

use std::mem::size_of;

use crate::error::{Error, ErrorCode, Result};
use crate::filter::{self, LinkType};
use crate::rx::Capture;
use crate::socket::{PacketSocket, SocketKind};
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

    /// The link type a socket filter on this capture sees: the kernel runs
    /// it on the packet as the ring gets it (the link-layer header with
    /// SOCK_RAW, the network header with SOCK_DGRAM), VLAN tags already in
    /// metadata.
    pub fn filter_link_type(&self) -> Result<LinkType> {
        match (self.kind(), self.interface().hatype as u32) {
            (SocketKind::Dgram, _) => Ok(LinkType::Raw),
            (SocketKind::Raw, _) if self.interface().index == 0 => Err(Error::invalid(
                "a SOCK_RAW capture on \"any\" has no single link type (each device's packets keep their own \
                 header), so a filter expression cannot be compiled for it; open it with \
                 RINGCAP_SOCKET_TYPE_DGRAM, or compile for one link type with ringcap_filter_compile()",
            )),
            (SocketKind::Raw, sys::ARPHRD_ETHER | sys::ARPHRD_LOOPBACK) => Ok(LinkType::Ethernet),
            (SocketKind::Raw, sys::ARPHRD_NONE) => Ok(LinkType::Raw),
            (SocketKind::Raw, other) => Err(Error::invalid(format!(
                "interface '{}' has hardware type {other}, whose link layer the filter compiler does not know; \
                 open it with RINGCAP_SOCKET_TYPE_DGRAM to filter on the network layer",
                self.interface().name
            ))),
        }
    }

    /// Compiles `expr` for this capture (its link type, the kernel's VLAN
    /// metadata, its snaplen) and swaps it in as [`Capture::set_filter`]
    /// does (what pcap_setfilter does with pcap_compile's program).
    pub fn set_filter_expression(&mut self, expr: &str, netmask: u32) -> Result<usize> {
        let mut opts = filter::Options::new(self.filter_link_type()?, self.snaplen(), netmask);
        opts.vlan_extensions = true;
        let program = filter::compile_with(expr, &opts)?;
        self.set_filter(program.instructions())
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
