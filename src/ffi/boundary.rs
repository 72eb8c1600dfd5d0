//! Panic boundary, error recording and pointer checks shared by all exports.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorCode, Result};
pub use crate::ffi::handles::LastError;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn to_cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Records `e` as this thread's last error.
pub fn record(e: &Error) {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = to_cstring(e.message()));
}

/// Pointer to this thread's last error text.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

fn panic_error() -> Error {
    Error::new(ErrorCode::Panic, "internal error: a panic was caught at the C boundary")
}

/// Runs `f`, returning None if it panicked: the one place exports of both
/// C APIs catch unwinding, so that a Rust panic never crosses into C.
pub fn guard<T>(f: impl FnOnce() -> T) -> Option<T> {
    // No cancellation point inside: its unwind would meet catch_unwind.
    let _inside = crate::cancel::enter();
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// Like [`guard_or`] for a per-packet export whose common path reaches no
/// cancellation point (no system call), so it skips switching the
/// cancellation state; whatever it calls that can block or write turns
/// cancellation off itself with `crate::cancel::enter`.
#[inline]
pub fn catch_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Runs an export that returns a status or a count. Errors become their
/// negative code and are recorded for this thread and, when given, for the
/// handle; a panic becomes `RINGCAP_RESULT_PANIC`.
pub fn boundary<F>(handle_error: Option<&LastError>, f: F) -> i32
where
    F: FnOnce() -> Result<i32>,
{
    let outcome = guard(f).unwrap_or_else(|| Err(panic_error()));
    match outcome {
        Ok(v) => v,
        Err(e) => {
            record(&e);
            if let Some(h) = handle_error {
                h.set(&e);
            }
            e.code().as_i32()
        }
    }
}

/// Like [`boundary`] for exports that return a pointer: NULL on failure.
pub fn boundary_ptr<T, F>(f: F) -> *mut T
where
    F: FnOnce() -> Result<*mut T>,
{
    let outcome = guard(f).unwrap_or_else(|| Err(panic_error()));
    match outcome {
        Ok(p) => p,
        Err(e) => {
            record(&e);
            std::ptr::null_mut()
        }
    }
}

/// Reads a NUL-terminated C string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
pub unsafe fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::new(ErrorCode::NullParameter, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// Turns an out-parameter pointer into a reference, or NullParameter.
///
/// # Safety
/// `p` is NULL or valid for writes of `T` for the duration of the call.
pub unsafe fn out_ref<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: non-NULL pointers are valid and unaliased per the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Error::new(ErrorCode::NullParameter, format!("{what} is NULL")))
}

/// Turns an input pointer into a reference, or NullParameter.
///
/// # Safety
/// `p` is NULL or valid for reads of `T` for the duration of the call.
pub unsafe fn in_ref<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: non-NULL pointers are valid per the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Error::new(ErrorCode::NullParameter, format!("{what} is NULL")))
}

/// A byte slice argument; `len == 0` allows a NULL pointer.
///
/// # Safety
/// `p` is NULL or valid for reads of `len` bytes for the duration of the call.
pub unsafe fn in_slice<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::new(ErrorCode::NullParameter, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and valid for `len` bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Runs an export body that has no handle to record an error on, returning
/// `fallback` if it panicked (libpcap's failure value for the function).
pub fn guard_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    guard(f).unwrap_or(fallback)
}

thread_local! {
    static THREAD_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// This thread's id, for the dispatch guards that refuse a read from a
/// handle's own callback. gettid(2) is a system call every time: it is
/// asked once per thread and kept.
pub fn thread_id() -> u64 {
    THREAD_ID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid has no preconditions.
            t.set(unsafe { libc::gettid() } as u64);
        }
        t.get()
    })
}
