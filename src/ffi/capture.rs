//! `ringcap_capture`: an open RX ring.
//!
//! Threading contract: one thread dispatches on a handle at a time.
//! ringcap_capture_breakloop() may be called from any thread or from a
//! signal handler; ringcap_capture_close() from any thread (it breaks a
//! running loop first). Other calls made from inside a callback on the same
//! handle return RINGCAP_RESULT_BUSY.

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::boundary::{boundary, out_ref};
use crate::ffi::config::{ringcap_config, CONFIGS};
use crate::ffi::handles::Guard;
use crate::ffi::handles::{HandleKind, Handles};
use crate::rx::{Capture, CaptureConfig, Packet, PacketMeta, Step};
use crate::stats::Stats;
use crate::wait::Breaker;

/// Opaque capture handle, from ringcap_capture_open().
pub struct ringcap_capture {
    _private: [u8; 0],
}

/// Called once per packet. `data` points into the ring and is valid only
/// until the callback returns; `meta` likewise.
pub type ringcap_packet_cb = Option<unsafe extern "C" fn(user: *mut c_void, data: *const u8, meta: *const PacketMeta)>;

/// The ring a handle actually got.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ringcap_ring_info {
    /// TPACKET version (1, 2 or 3).
    pub version: u32,
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
    /// Bytes mapped: block_size * block_nr.
    pub ring_bytes: usize,
    /// Whether MAP_LOCKED was granted.
    pub memory_locked: bool,
    /// Whether the kernel was short of memory and the ring was shrunk.
    pub shrunk: bool,
    /// Bytes first asked for when the ring was shrunk, else ring_bytes.
    pub requested_bytes: usize,
    /// V3 block retire timeout in ms (0: the kernel's choice; 0 for V1/V2):
    /// sparse traffic waits at most this long, and the ring holds block_nr
    /// times this long of it.
    pub block_timeout_ms: u32,
}

pub(crate) struct CaptureHandle {
    capture: Mutex<Option<Capture>>,
    breaker: Arc<Breaker>,
    /// Thread id of the thread inside dispatch/loop, 0 when none: a call
    /// from that thread (a callback) must not wait for its own lock.
    dispatcher: AtomicU64,
}

pub(crate) static CAPTURES: Handles<CaptureHandle> = Handles::new(HandleKind::Capture, "ringcap_capture");

use crate::ffi::boundary::thread_id;

impl CaptureHandle {
    fn lock(&self) -> Result<MutexGuard<'_, Option<Capture>>> {
        if self.dispatcher.load(Ordering::Acquire) == thread_id() {
            return Err(Error::new(ErrorCode::Busy, "this handle is dispatching on this thread (called from its own callback); only breakloop may be called from a callback"));
        }
        Ok(self.capture.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Capture) -> Result<T>) -> Result<T> {
        let mut guard = self.lock()?;
        let capture =
            guard.as_mut().ok_or_else(|| Error::new(ErrorCode::InvalidHandle, "ringcap_capture handle is closed"))?;
        f(capture)
    }

    /// Runs a dispatching call, marking this thread as the dispatcher.
    fn dispatching<T>(&self, f: impl FnOnce(&mut Capture) -> Result<T>) -> Result<T> {
        self.with(|c| {
            self.dispatcher.store(thread_id(), Ordering::Release);
            let r = f(c);
            self.dispatcher.store(0, Ordering::Release);
            r
        })
    }
}

/// Looks up `h` and runs `f` inside the panic boundary, recording errors on the handle.
pub(crate) fn with_handle(h: *const ringcap_capture, f: impl FnOnce(&CaptureHandle) -> Result<i32>) -> i32 {
    match CAPTURES.get(h) {
        Ok(handle) => boundary(Some(handle.last_error()), || f(&handle)),
        Err(e) => boundary(None, || Err(e)),
    }
}

/// Opens an RX ring with the options in `cfg` and stores the handle in
/// `*out`. Returns 0, or RINGCAP_RESULT_WARNING_RING_SHRUNK (positive) when
/// the kernel was short of memory and a smaller ring was allocated (see
/// ringcap_capture_ring_info()), or RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK
/// (positive) when hardware timestamps were asked for and the device cannot
/// give them (the handle is open with software timestamps; the message is in
/// ringcap_last_error()), or a negative ringcap_result; the reason is
/// in ringcap_config_last_error(cfg) and ringcap_last_error().
#[no_mangle]
pub extern "C" fn ringcap_capture_open(cfg: *const ringcap_config, out: *mut *mut ringcap_capture) -> i32 {
    let config_handle = match CONFIGS.get(cfg) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(config_handle.last_error()), || {
        // SAFETY: C passes a writable pointer or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let config = config_handle.to_open()?;
        let (ptr, shrunk, warning) = register_capture(&config, |c| {
            let capture = Capture::open(c)?;
            let warning = capture.applied().timestamp_warning.clone();
            Ok((capture, warning))
        })?;
        config_handle.last_error().clear();
        // Warnings: the call succeeded; the message says what was not honoured.
        if let Some(w) = &warning {
            crate::ffi::boundary::record(w);
            config_handle.last_error().set(w);
        }
        *out = ptr;
        Ok(match (shrunk, warning) {
            (true, _) => ErrorCode::WarningRingShrunk.as_i32(),
            (false, Some(w)) => w.code().as_i32(),
            (false, None) => 0,
        })
    })
}

/// Opens a capture through `open` (which may set up more on the same
/// socket, as ringcap_duplex_open does) and registers it. Returns the
/// handle, whether the ring was shrunk, and whatever else `open` made.
pub(crate) fn register_capture<T>(
    config: &CaptureConfig,
    open: impl FnOnce(&CaptureConfig) -> Result<(Capture, T)>,
) -> Result<(*mut ringcap_capture, bool, T)> {
    let (capture, extra) = open(config)?;
    let shrunk = capture.shrunk_from().is_some();
    let handle =
        CaptureHandle { breaker: capture.breaker(), capture: Mutex::new(Some(capture)), dispatcher: AtomicU64::new(0) };
    Ok((CAPTURES.insert(handle)?, shrunk, extra))
}

fn callback_adapter(cb: ringcap_packet_cb, user: *mut c_void) -> Result<impl FnMut(&Packet<'_>)> {
    let cb = cb.ok_or_else(|| Error::new(ErrorCode::NullParameter, "callback is NULL"))?;
    Ok(move |p: &Packet<'_>| {
        // SAFETY: the callback is a C function taking (user, data, meta);
        // both pointers are valid for the duration of the call.
        unsafe { cb(user, p.data.as_ptr(), p.meta as *const PacketMeta) }
    })
}

/// Delivers up to `budget` packets (`budget` <= 0: all that are ready) to
/// `cb`, waiting first as the timeout says when none are ready. Returns the
/// number delivered (0 on timeout or, when nonblocking, if nothing was
/// ready), RINGCAP_RESULT_BREAK if breakloop was called before any packet
/// was delivered, or another negative ringcap_result.
#[no_mangle]
pub extern "C-unwind" fn ringcap_capture_dispatch(
    h: *mut ringcap_capture,
    budget: i32,
    cb: ringcap_packet_cb,
    user: *mut c_void,
) -> i32 {
    let budget = if budget <= 0 { usize::MAX } else { budget as usize };
    let r = match CAPTURES.get(h) {
        Ok(handle) => dispatch_steps(&handle, budget, cb, user).0,
        Err(e) => boundary(None, || Err(e)),
    };
    crate::cancel::point();
    r
}

/// One dispatch: its steps run inside the panic guard, the waits between
/// them here, outside it, holding the handle, because the wait is where a
/// pthread_cancel of this thread acts and its unwind must not meet the
/// guard (see crate::cancel). Returns the result and whether the handle
/// is nonblocking.
fn dispatch_steps(
    handle: &Guard<CaptureHandle>,
    budget: usize,
    cb: ringcap_packet_cb,
    user: *mut c_void,
) -> (i32, bool) {
    let mut woke = None;
    loop {
        let mut wait = None;
        let mut nonblocking = false;
        let r = boundary(Some(handle.last_error()), || {
            let mut f = callback_adapter(cb, user)?;
            handle.dispatching(|c| {
                nonblocking = c.is_nonblocking();
                match c.step(budget, &mut f, woke)? {
                    Step::Done(n) => Ok(n.min(i32::MAX as usize) as i32),
                    Step::Wait(w) => {
                        wait = Some((w, c.fd()));
                        Ok(0)
                    }
                }
            })
        });
        let Some((w, fd)) = wait else { return (r, nonblocking) };
        match crate::wait::wait_for(fd, &handle.breaker, w) {
            Ok(wake) => woke = Some(wake),
            Err(e) => return (boundary(Some(handle.last_error()), || Err(e)), nonblocking),
        }
    }
}

/// Delivers packets until `count` were delivered (`count` <= 0: forever).
/// Returns 0 when the count was reached, RINGCAP_RESULT_BREAK after
/// breakloop, or another negative ringcap_result. Timeouts do not end it.
#[no_mangle]
pub extern "C-unwind" fn ringcap_capture_loop(
    h: *mut ringcap_capture,
    count: i32,
    cb: ringcap_packet_cb,
    user: *mut c_void,
) -> i32 {
    // One dispatch a round, so that a pthread_cancel of the looping thread
    // acts between rounds, outside the panic guard (see crate::cancel).
    let handle = match CAPTURES.get(h) {
        Ok(handle) => handle,
        Err(e) => return boundary(None, || Err(e)),
    };
    let count = if count <= 0 { 0 } else { count as u64 };
    let mut total = 0u64;
    loop {
        let budget = if count == 0 { usize::MAX } else { usize::try_from(count - total).unwrap_or(usize::MAX) };
        let (r, nonblocking) = dispatch_steps(&handle, budget, cb, user);
        crate::cancel::point();
        if r < 0 {
            return r;
        }
        total += r as u64;
        if (count != 0 && total >= count) || (nonblocking && r == 0) {
            return 0;
        }
    }
}

/// Ends a dispatch or loop on `h` as soon as possible: a blocked wait
/// returns at once, a running one after the current packet. The next
/// dispatch (or this one, if it delivered nothing) returns
/// RINGCAP_RESULT_BREAK. Async-signal-safe: callable from another thread or
/// from a signal handler.
#[no_mangle]
pub extern "C" fn ringcap_capture_breakloop(h: *mut ringcap_capture) -> i32 {
    // The lookup takes no lock and allocates nothing (signal handlers).
    match CAPTURES.get(h) {
        Ok(handle) => {
            handle.breaker.request();
            0
        }
        Err(e) => boundary(None, || Err(e)),
    }
}

/// Statistics since open: packets the kernel received for this socket
/// (including drops), drops because the ring was full, V3 ring freezes,
/// packets delivered to callbacks, packets not delivered by choice
/// (`filtered`), delivered packets cut short to their frame (`truncated`)
/// and the rollover counters. Once the ring is drained,
/// received == delivered + dropped + filtered.
#[no_mangle]
pub extern "C" fn ringcap_capture_stats(h: *mut ringcap_capture, out: *mut Stats) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a writable ringcap_stats or NULL.
        let out = unsafe { out_ref(out, "stats") }?;
        *out = handle.with(|c| c.stats())?;
        Ok(0)
    })
}

/// Switches nonblocking mode on or off.
#[no_mangle]
pub extern "C" fn ringcap_capture_set_nonblocking(h: *mut ringcap_capture, on: bool) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.set_nonblocking(on)).map(|()| 0))
}

/// 1 if the handle is nonblocking, 0 if not, or a negative ringcap_result.
#[no_mangle]
pub extern "C" fn ringcap_capture_get_nonblocking(h: *mut ringcap_capture) -> i32 {
    with_handle(h, |handle| handle.with(|c| Ok(c.is_nonblocking() as i32)))
}

/// Sets how long a dispatch waits: -1 forever, 0 not at all, or ms.
#[no_mangle]
pub extern "C" fn ringcap_capture_set_timeout(h: *mut ringcap_capture, ms: i32) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.set_timeout(ms)).map(|()| 0))
}

/// The packet socket's file descriptor, for select/poll/epoll (POLLIN
/// means a dispatch will deliver without waiting), or a negative ringcap_result.
#[no_mangle]
pub extern "C" fn ringcap_capture_get_fd(h: *mut ringcap_capture) -> i32 {
    with_handle(h, |handle| handle.with(|c| Ok(c.fd())))
}

/// The ring the handle actually got.
#[no_mangle]
pub extern "C" fn ringcap_capture_ring_info(h: *mut ringcap_capture, out: *mut ringcap_ring_info) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a writable ringcap_ring_info or NULL.
        let out = unsafe { out_ref(out, "ring info") }?;
        *out = handle.with(|c| {
            let g = c.geometry();
            Ok(ringcap_ring_info {
                version: g.version.number(),
                block_size: g.block_size,
                block_nr: g.block_nr,
                frame_size: g.frame_size,
                frame_nr: g.frame_nr,
                ring_bytes: g.ring_bytes(),
                memory_locked: c.memory_locked(),
                shrunk: c.shrunk_from().is_some(),
                requested_bytes: c.shrunk_from().map(|s| s.ring_bytes()).unwrap_or(g.ring_bytes()),
                block_timeout_ms: if g.version == crate::geometry::Version::V3 { c.block_timeout_ms() } else { 0 },
            })
        })?;
        Ok(0)
    })
}

/// Closes the handle: ends a running loop, unmaps the ring, closes the
/// socket. NULL and already-closed handles return 0 (close is idempotent);
/// every other call on a closed handle returns RINGCAP_RESULT_INVALID_HANDLE.
/// Returns RINGCAP_RESULT_BUSY when called from the handle's own callback.
#[no_mangle]
pub extern "C" fn ringcap_capture_close(h: *mut ringcap_capture) -> i32 {
    let Ok(handle) = CAPTURES.get(h) else { return 0 };
    boundary(Some(handle.last_error()), || {
        if handle.dispatcher.load(Ordering::Acquire) == thread_id() {
            return Err(Error::new(ErrorCode::Busy, "cannot close a handle from its own callback; call ringcap_capture_breakloop() and close after the loop returns"));
        }
        CAPTURES.remove(h);
        handle.breaker.request();
        let capture = handle.capture.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(capture);
        Ok(0)
    })
}

/// The message of the last failed call on this handle ("" if none), valid
/// until the next failure on it. For a closed handle, a fixed message.
#[no_mangle]
pub extern "C" fn ringcap_capture_last_error(h: *const ringcap_capture) -> *const c_char {
    match CAPTURES.get(h) {
        Ok(handle) => handle.last_error().as_ptr(),
        Err(_) => c"ringcap_capture handle is NULL, closed, or was never returned by ringcap".as_ptr(),
    }
}
