//! The `pcap_t` handle and the per-call plumbing of the exports.
//!
//! A handle's state is split by who may touch it while a read runs:
//! - `state` (options, link type, filter, direction) is locked only for
//!   the length of one call, never across a wait or a callback, so a
//!   callback, another thread or a signal handler may call back in;
//! - `reader` (the ring or the savefile) belongs to the one thread that
//!   is reading, for the whole dispatch; `dispatcher` names that thread so
//!   that a read started from its own callback is refused, not deadlocked;
//! - `live` (socket, statistics) is set once at activation and read
//!   without any lock: pcap_stats runs from tcpdump's SIGUSR1 handler.

use std::ffi::{c_char, c_int};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::ffi::handles::{Guard, HandleKind, Handles, LastError};
use crate::pcap_compat::abi::{pcap_pkthdr, PCAP_ERRBUF_SIZE, PCAP_ERROR};
use crate::pcap_compat::error::{PResult, PcapError};
use crate::pcap_compat::handle::{Live, PcapState, ReadBuffers, ReadPlan, Reading, Refresh, Source};
use crate::wait::Breaker;

/// Opaque `pcap_t`.
pub struct pcap {
    _private: [u8; 0],
}

/// The reading thread's part of a handle.
#[derive(Default)]
pub struct ReaderSlot {
    pub reading: Option<Reading>,
    pub bufs: ReadBuffers,
    /// The read settings and the change count they were taken at.
    plan: Option<(u64, ReadPlan)>,
}

pub struct PcapHandle {
    state: Mutex<PcapState>,
    reader: Mutex<ReaderSlot>,
    dispatcher: AtomicU64,
    /// Bumped by every change a running read must pick up (filter,
    /// direction, link type, nonblocking mode).
    changes: AtomicU64,
    pub breaker: Arc<Breaker>,
    live: OnceLock<Arc<Live>>,
}

pub static HANDLES: Handles<PcapHandle> = Handles::new(HandleKind::Pcap, "pcap_t");

use crate::ffi::boundary::thread_id;

impl PcapHandle {
    pub fn state(&self) -> MutexGuard<'_, PcapState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state and tells running reads to pick the change up.
    pub fn change<T>(&self, f: impl FnOnce(&mut PcapState) -> PResult<T>) -> PResult<T> {
        let r = f(&mut self.state());
        self.changes.fetch_add(1, Ordering::Release);
        r
    }

    /// The live capture's shared part, without taking any lock.
    pub fn live(&self) -> Option<&Arc<Live>> {
        self.live.get()
    }

    /// Whether this thread is inside a read on this handle (a callback).
    pub fn in_callback(&self) -> bool {
        // Most calls find no read running: no need to ask the thread's id
        // (a thread-local lookup through the dynamic linker, per packet in
        // pcap_next_ex).
        let reading = self.dispatcher.load(Ordering::Acquire);
        reading != 0 && reading == thread_id()
    }

    /// Installs what pcap_activate or pcap_open_offline produced.
    pub fn install(&self, reading: Reading) {
        if let Source::Live(live) = &self.state().source {
            let _ = self.live.set(live.clone());
        }
        self.lock_reader().reading = Some(reading);
    }

    fn lock_reader(&self) -> MutexGuard<'_, ReaderSlot> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader, when no read is running (for pcap_setfilter's drain).
    pub fn idle_reader(&self) -> Option<MutexGuard<'_, ReaderSlot>> {
        if self.in_callback() {
            return None;
        }
        self.reader.try_lock().ok()
    }

    /// Runs a read: the reader is held for its whole length, the state
    /// is not. A read from the handle's own callback is refused. `f` gets
    /// the read settings in place, not a copy; one it picked up through
    /// the `Refresh` is read again from the state by the next read.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut Reading, &mut ReadBuffers, &mut Refresh<'_>, &mut ReadPlan) -> PResult<T>,
    ) -> PResult<T> {
        if self.in_callback() {
            return Err(PcapError::generic(
                "pcap_loop, pcap_dispatch and pcap_next can't be called from the handle's own callback",
            ));
        }
        let mut slot = self.lock_reader();
        // The settings are taken from the state only when something changed
        // since the last read: pcap_next_ex runs this once per packet.
        let seen = self.changes.load(Ordering::Acquire);
        let ReaderSlot { reading, bufs, plan } = &mut *slot;
        let plan = match plan {
            Some((at, plan)) if *at == seen => plan,
            _ => &mut plan.insert((seen, self.state().read_plan()?)).1,
        };
        let reading = reading.as_mut().ok_or_else(|| PcapError::generic("the handle has no packet source"))?;
        struct Dispatching<'a>(&'a AtomicU64);
        impl Drop for Dispatching<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        self.dispatcher.store(thread_id(), Ordering::Release);
        let _dispatching = Dispatching(&self.dispatcher);
        // A change made from a callback or another thread is picked up at
        // the next packet.
        let mut refresh = Refresh { changes: &self.changes, seen, state: &self.state };
        f(reading, bufs, &mut refresh, plan)
    }
}

impl PcapHandle {
    /// pcap_next_ex's common case on a savefile, without the general
    /// read's bookkeeping: [`Reading::next_in_memory`] under the reader's
    /// lock, with the settings of the last read if nothing changed since.
    /// No callback runs, so no read can start from one and the dispatcher
    /// is not marked; a read already running (this handle's own callback
    /// calling pcap_next_ex, or another thread) holds the lock, and the
    /// general path then reports or waits. Returns the header and the
    /// data, valid until the next read.
    #[inline]
    pub fn next_in_memory(&self) -> Option<(*mut pcap_pkthdr, *const u8)> {
        let mut slot = self.reader.try_lock().ok()?;
        let ReaderSlot { reading, bufs, plan } = &mut *slot;
        let plan = match plan {
            Some((at, plan)) if *at == self.changes.load(Ordering::Acquire) => plan,
            _ => return None,
        };
        let data = reading.as_mut()?.next_in_memory(plan, bufs, &self.breaker)?;
        Some((&mut bufs.oneshot_hdr, data))
    }
}

/// Registers a new handle.
pub fn register(state: PcapState) -> PResult<*mut pcap> {
    let handle = PcapHandle {
        state: Mutex::new(state),
        reader: Mutex::new(ReaderSlot::default()),
        dispatcher: AtomicU64::new(0),
        changes: AtomicU64::new(0),
        breaker: Arc::new(Breaker::unarmed()),
        live: OnceLock::new(),
    };
    HANDLES.insert(handle).map_err(PcapError::from)
}

/// Closes a handle; NULL and closed handles are ignored. A read running
/// on it is broken, and the handle goes away when that read returns.
pub fn close(p: *mut pcap) {
    if let Ok(h) = HANDLES.get(p) {
        if HANDLES.remove(p) {
            h.breaker.request();
        }
    }
}

/// Stores `message` as the handle's pcap_geterr text, truncated as
/// libpcap's PCAP_ERRBUF_SIZE buffer would be (callers copy it into one).
pub fn set_error(errbuf: &LastError, message: &str) {
    let mut n = message.len().min(PCAP_ERRBUF_SIZE - 1);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    errbuf.set_text(&message[..n]);
}

/// Runs `f` on the handle behind `p`: errors go to its error buffer and
/// come back as their status; a NULL or closed handle gives PCAP_ERROR
/// (libpcap would crash). Panics never cross into C.
pub fn with_pcap(p: *mut pcap, f: impl FnOnce(&Guard<PcapHandle>) -> PResult<c_int>) -> c_int {
    match run(p, f) {
        Some(Ok(v)) => v,
        Some(Err(status)) => status,
        None => PCAP_ERROR,
    }
}

/// Like [`with_pcap`] for exports that return a value other than a status.
pub fn with_pcap_or<T>(p: *mut pcap, fallback: T, f: impl FnOnce(&Guard<PcapHandle>) -> PResult<T>) -> T {
    match run(p, f) {
        Some(Ok(v)) => v,
        _ => fallback,
    }
}

/// None for a NULL, closed or foreign handle; otherwise `f`'s value, or
/// its status with the text stored as pcap_geterr's.
fn run<T>(p: *mut pcap, f: impl FnOnce(&Guard<PcapHandle>) -> PResult<T>) -> Option<Result<T, c_int>> {
    let handle = HANDLES.get(p).ok()?;
    Some(run_on(&handle, f))
}

/// `f` on a handle already looked up, inside the panic guard: its value,
/// or its status with the text stored as pcap_geterr's.
pub fn run_on<T>(handle: &Guard<PcapHandle>, f: impl FnOnce(&Guard<PcapHandle>) -> PResult<T>) -> Result<T, c_int> {
    match crate::ffi::boundary::guard(|| f(handle)) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => {
            set_error(handle.last_error(), &e.message);
            Err(e.status)
        }
        None => {
            set_error(handle.last_error(), PANIC_TEXT);
            Err(PCAP_ERROR)
        }
    }
}

const PANIC_TEXT: &str = "internal error: a panic was caught in ringcap";

/// Copies `message` into a caller's PCAP_ERRBUF_SIZE error buffer.
///
/// # Safety
/// `errbuf` is NULL or points to PCAP_ERRBUF_SIZE writable bytes.
pub unsafe fn write_errbuf(errbuf: *mut c_char, message: &str) {
    if errbuf.is_null() {
        return;
    }
    let bytes = message.as_bytes();
    let n = bytes.len().min(PCAP_ERRBUF_SIZE - 1);
    // SAFETY: errbuf holds PCAP_ERRBUF_SIZE bytes per libpcap's contract; n + 1 fits.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), errbuf.cast::<u8>(), n);
        *errbuf.add(n) = 0;
    }
}
