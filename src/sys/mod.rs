//! The kernel ABI in one place: bindgen's view of linux/if_packet.h and
//! friends, plus the few macros bindgen cannot translate (TPACKET_ALIGN and
//! the TPACKET*_HDRLEN family).

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    clippy::all,
    clippy::pedantic,
    missing_docs
)]
mod kernel {
    include!(concat!(env!("OUT_DIR"), "/kernel.rs"));
}

pub use kernel::*;

pub mod event;
pub mod netdev;
pub mod netlink;

extern "C" {
    static __libc_single_threaded: libc::c_char;
}

/// Whether the process has had only one thread so far: glibc's public flag
/// (<sys/single_threaded.h>, glibc 2.32), which it clears for good when a
/// second thread is created. While it is set, nothing but a signal handler
/// on this same thread can interleave with the caller.
pub fn single_threaded() -> bool {
    // SAFETY: a plain byte glibc exports for this use; only ever cleared,
    // by the thread that creates a second thread.
    unsafe { __libc_single_threaded != 0 }
}

/// The system page size, asked at run time: the kernel's block rule is in
/// pages, and pages are not 4 KiB everywhere.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// CLOCK_REALTIME as (seconds, nanoseconds).
pub fn realtime_now() -> (i64, u32) {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a live timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec, ts.tv_nsec as u32)
}

/// TPACKET_ALIGNMENT from if_packet.h: frames and packet data are 16-byte aligned.
pub const TPACKET_ALIGNMENT_USIZE: usize = TPACKET_ALIGNMENT as usize;

/// TPACKET_ALIGN(x).
pub const fn tpacket_align(x: usize) -> usize {
    (x + TPACKET_ALIGNMENT_USIZE - 1) & !(TPACKET_ALIGNMENT_USIZE - 1)
}

const SLL_LEN: usize = core::mem::size_of::<sockaddr_ll>();

/// TPACKET_HDRLEN: the V1 frame header plus the sockaddr_ll that follows it.
pub const TPACKET1_HDRLEN: usize = tpacket_align(core::mem::size_of::<tpacket_hdr>()) + SLL_LEN;
/// TPACKET2_HDRLEN.
pub const TPACKET2_HDRLEN: usize = tpacket_align(core::mem::size_of::<tpacket2_hdr>()) + SLL_LEN;
/// TPACKET3_HDRLEN.
pub const TPACKET3_HDRLEN: usize = tpacket_align(core::mem::size_of::<tpacket3_hdr>()) + SLL_LEN;

/// BLK_HDR_LEN from af_packet.c: a V3 block starts with its descriptor, 8-byte aligned.
pub const V3_BLOCK_HEADER_LEN: usize = (core::mem::size_of::<tpacket_block_desc>() + 7) & !7;

/// BLK_PLUS_PRIV(priv): where the first packet of a V3 block may start.
pub const fn v3_block_plus_priv(priv_size: usize) -> usize {
    V3_BLOCK_HEADER_LEN + ((priv_size + 7) & !7)
}

/// Timestamp source bits that the kernel ORs into tp_status.
pub const TP_STATUS_TS_MASK: u32 = TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_SYS_HARDWARE | TP_STATUS_TS_RAW_HARDWARE;
