//! The `pcap_t` handle table and the per-call plumbing of the exports.

use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ffi::boundary::LastError;
use crate::ffi::breakers;
use crate::ffi::registry::Registry;
use crate::pcap_compat::abi::{PCAP_ERRBUF_SIZE, PCAP_ERROR};
use crate::pcap_compat::handle::{PResult, PcapError, PcapState};
use crate::wait::Breaker;
use crate::Error;

/// Opaque `pcap_t`.
pub struct pcap {
    _private: [u8; 0],
}

pub struct PcapHandle {
    state: Mutex<PcapState>,
    pub breaker: Arc<Breaker>,
    token: usize,
    /// pcap_geterr's buffer.
    pub errbuf: LastError,
}

pub static HANDLES: Registry<PcapHandle> = Registry::new("pcap_t");

impl PcapHandle {
    pub fn state(&self) -> MutexGuard<'_, PcapState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn errbuf_text(&self) -> String {
        self.errbuf.text()
    }

    fn set_error(&self, message: &str) {
        self.errbuf.set(&Error::invalid(message));
    }
}

/// Registers a new handle; its breaker is reachable lock-free by pcap_breakloop.
pub fn register(state: PcapState) -> PResult<*mut pcap> {
    breakers::register(&HANDLES, |breaker, token| {
        Ok((PcapHandle { state: Mutex::new(state), breaker, token, errbuf: LastError::default() }, ()))
    })
    .map(|(p, ())| p)
    .map_err(PcapError::from)
}

/// Closes a handle; NULL and closed handles are ignored.
pub fn close(p: *mut pcap) {
    if let Some(h) = HANDLES.remove(p) {
        h.breaker.request();
        let mut state = h.state();
        *state = PcapState::created("");
        drop(state);
        breakers::release(h.token);
    }
}

/// Runs `f` on the handle behind `p`: errors go to its error buffer and
/// come back as their status; a NULL or closed handle gives PCAP_ERROR
/// (libpcap would crash). Panics never cross into C.
pub fn with_pcap(p: *mut pcap, f: impl FnOnce(&PcapHandle) -> PResult<c_int>) -> c_int {
    let Ok(handle) = HANDLES.get(p) else { return PCAP_ERROR };
    match catch_unwind(AssertUnwindSafe(|| f(&handle))) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            handle.set_error(&e.message);
            e.status
        }
        Err(_) => {
            handle.set_error("internal error: a panic was caught in ringcap");
            PCAP_ERROR
        }
    }
}

/// Like [`with_pcap`] for exports that return a value other than a status.
pub fn with_pcap_or<T>(p: *mut pcap, fallback: T, f: impl FnOnce(&PcapHandle) -> PResult<T>) -> T {
    let Ok(handle) = HANDLES.get(p) else { return fallback };
    match catch_unwind(AssertUnwindSafe(|| f(&handle))) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            handle.set_error(&e.message);
            fallback
        }
        Err(_) => fallback,
    }
}

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
