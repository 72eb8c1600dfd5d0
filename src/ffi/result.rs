//! Result codes and error text for C.

use std::ffi::{c_char, CStr};

use crate::error::ErrorCode;
use crate::ffi::boundary;

/// The description of a result code as a static string ("unknown result
/// code N" style text is never needed: unknown codes get a fixed message).
#[no_mangle]
pub extern "C" fn ringcap_strerror(code: i32) -> *const c_char {
    let text: &'static CStr = match ErrorCode::from_i32(code) {
        Some(c) => c.description_c(),
        None => c"unknown ringcap result code",
    };
    text.as_ptr()
}

/// The message of the last failed ringcap call on this thread: what was
/// wrong and what would be valid. Valid until the next failure on this
/// thread; "" if nothing has failed yet.
#[no_mangle]
pub extern "C" fn ringcap_last_error() -> *const c_char {
    boundary::last_error_ptr()
}

/// The library version, e.g. "ringcap 0.1.0".
#[no_mangle]
pub extern "C" fn ringcap_version() -> *const c_char {
    concat!("ringcap ", env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
