//! POSIX thread cancellation across the C boundary.
//!
//! glibc cancels a thread by unwinding its stack (a "forced unwind"), and
//! Rust's panic guard would catch that unwind and abort the process
//! ("FATAL: exception not rethrown"). So no cancellation point runs inside
//! the guard: every export turns cancellation off while inside (callbacks
//! included). The per-packet calls that run no callback and mostly make no
//! system call skip that switch (`ffi::boundary::catch_or`) and turn
//! cancellation off themselves just before anything that is a cancellation
//! point: pcap_dump (a copy into the stream's buffer; stdio and the close
//! behind it switch), pcap_next_ex/pcap_next (a packet from a savefile's
//! mapping; any other read switches), pcap_offline_filter and bpf_filter
//! (pure computation). The blocking exports wait for packets outside the
//! guard, in their own frame, with the caller's cancellation state: there
//! poll(2) is the cancellation point it is in libpcap, and its unwind goes
//! straight back into the caller's C frames. Between rounds they also call
//! `point()`, for a cancellation that arrived while packets kept coming.

use std::cell::Cell;

const PTHREAD_CANCEL_ENABLE: i32 = 0;
const PTHREAD_CANCEL_DISABLE: i32 = 1;

extern "C" {
    fn pthread_setcancelstate(state: i32, oldstate: *mut i32) -> i32;
}

extern "C-unwind" {
    /// Unwinds (a forced unwind) when a cancellation is pending.
    fn pthread_testcancel();
}

thread_local! {
    /// How many exports this thread is inside: one called from a callback
    /// (tcpdump's pcap_dump, per packet) finds cancellation already off and
    /// skips the pthread calls, which cost more than the rest of it.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Cancellation off, until dropped: what an export holds while inside.
/// Keeps this thread's depth counter (found once: each thread-local
/// lookup from a shared library is a call) and the caller's state.
pub struct Inside {
    depth: *const Cell<u32>,
    old: i32,
}

/// Turns cancellation off on entry to an export, or around a cancellation
/// point reached outside the guard (see `ffi::boundary::catch_or`).
pub fn enter() -> Inside {
    let depth = DEPTH.with(|d| d as *const Cell<u32>);
    // SAFETY: this thread's own counter, alive for as long as the thread.
    let d = unsafe { &*depth };
    let outer = d.replace(d.get() + 1);
    if outer > 0 {
        return Inside { depth, old: PTHREAD_CANCEL_DISABLE };
    }
    let mut old = PTHREAD_CANCEL_ENABLE;
    // SAFETY: plain pthread call on the current thread with a valid out-pointer.
    unsafe { pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &mut old) };
    Inside { depth, old }
}

impl Drop for Inside {
    /// Restores the caller's cancellation state.
    fn drop(&mut self) {
        // SAFETY: made by `enter` on this thread (Inside is neither Send
        // nor Sync), whose counter outlives it.
        let d = unsafe { &*self.depth };
        d.set(d.get().saturating_sub(1));
        if self.old == PTHREAD_CANCEL_ENABLE {
            // SAFETY: as in `enter`; the old state is not needed.
            unsafe { pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, std::ptr::null_mut()) };
        }
    }
}

/// Acts on a pending cancellation. Called by blocking exports between
/// rounds, outside the panic guard.
pub fn point() {
    // SAFETY: no Rust frame that catches unwinding is on the stack here:
    // a pending cancellation unwinds straight into the caller.
    unsafe { pthread_testcancel() };
}
