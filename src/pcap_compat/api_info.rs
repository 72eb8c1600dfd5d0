//! Version, status and name-table functions.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, CString};
use std::ptr;

use crate::ffi::boundary::c_str;
use crate::ffi::boundary::guard_or;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::names;
use crate::pcap_compat::registry::write_errbuf;

thread_local! {
    /// Backs the strings libpcap returns from a static buffer.
    static TEXT: RefCell<CString> = RefCell::new(CString::default());
}

fn thread_text(s: String) -> *const c_char {
    TEXT.with(|t| {
        *t.borrow_mut() = CString::new(s).unwrap_or_default();
        t.borrow().as_ptr()
    })
}

/// libpcap's exported version string: the libpcap release whose API and
/// ABI ringcap implements.
/// cbindgen:ignore
#[no_mangle]
pub static pcap_version: [c_char; 7] =
    [b'1' as c_char, b'.' as c_char, b'1' as c_char, b'0' as c_char, b'.' as c_char, b'3' as c_char, 0];

/// pcap_lib_version(): begins as libpcap 1.10.3's own string does, because
/// programs (nmap, for one) parse the "libpcap version X.Y.Z" prefix.
#[no_mangle]
pub extern "C" fn pcap_lib_version() -> *const c_char {
    guard_or(ptr::null(), || {
        concat!("libpcap version 1.10.3 (ringcap ", env!("CARGO_PKG_VERSION"), ", with TPACKET_V3)\0").as_ptr().cast()
    })
}

/// The text of a status code, as pcap_statustostr() gives it.
pub fn status_text(status: c_int) -> &'static str {
    match status {
        PCAP_WARNING => "Generic warning",
        PCAP_WARNING_TSTAMP_TYPE_NOTSUP => "That type of time stamp is not supported by that device",
        PCAP_WARNING_PROMISC_NOTSUP => "That device doesn't support promiscuous mode",
        PCAP_ERROR => "Generic error",
        PCAP_ERROR_BREAK => "Loop terminated by pcap_breakloop",
        PCAP_ERROR_NOT_ACTIVATED => "The pcap_t has not been activated",
        PCAP_ERROR_ACTIVATED => "The setting can't be changed after the pcap_t is activated",
        PCAP_ERROR_NO_SUCH_DEVICE => "No such device exists",
        PCAP_ERROR_RFMON_NOTSUP => "That device doesn't support monitor mode",
        PCAP_ERROR_NOT_RFMON => "That operation is supported only in monitor mode",
        PCAP_ERROR_PERM_DENIED => "You don't have permission to perform this capture on that device",
        PCAP_ERROR_IFACE_NOT_UP => "That device is not up",
        PCAP_ERROR_CANTSET_TSTAMP_TYPE => "That device doesn't support setting the time stamp type",
        PCAP_ERROR_PROMISC_PERM_DENIED => "You don't have permission to capture in promiscuous mode on that device",
        PCAP_ERROR_TSTAMP_PRECISION_NOTSUP => "That device doesn't support that time stamp precision",
        _ => "",
    }
}

/// pcap_statustostr(): libpcap's text for a PCAP_ERROR_* or PCAP_WARNING_*
/// code, "Unknown error: N" for other values (a per-thread buffer).
#[no_mangle]
pub extern "C" fn pcap_statustostr(status: c_int) -> *const c_char {
    guard_or(ptr::null(), || match status_text(status) {
        "" => thread_text(format!("Unknown error: {status}")),
        s => thread_text(s.to_string()),
    })
}

/// pcap_strerror(): strerror, thread-safe.
#[no_mangle]
pub extern "C" fn pcap_strerror(errnum: c_int) -> *const c_char {
    guard_or(ptr::null(), || thread_text(crate::error::errno_text(errnum)))
}

/// pcap_datalink_name_to_val(): -1 if unknown. Case-insensitive, without "DLT_".
#[no_mangle]
pub extern "C" fn pcap_datalink_name_to_val(name: *const c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        // SAFETY: name is NULL or a C string.
        unsafe { c_str(name, "name") }.ok().and_then(names::dlt_by_name).unwrap_or(-1)
    })
}

/// pcap_datalink_val_to_name(): the name of a DLT_* value without "DLT_",
/// as libpcap 1.10 names it. NULL if unknown.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_name(dlt: c_int) -> *const c_char {
    guard_or(ptr::null(), || names::dlt_by_value(dlt).map_or(ptr::null(), |d| d.1.as_ptr()))
}

/// pcap_datalink_val_to_description(): NULL if unknown.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description(dlt: c_int) -> *const c_char {
    guard_or(ptr::null(), || names::dlt_by_value(dlt).map_or(ptr::null(), |d| d.2.as_ptr()))
}

/// pcap_datalink_val_to_description_or_dlt(): "DLT n" if unknown.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description_or_dlt(dlt: c_int) -> *const c_char {
    guard_or(ptr::null(), || match names::dlt_by_value(dlt) {
        Some(d) => d.2.as_ptr(),
        None => thread_text(format!("DLT {dlt}")),
    })
}

/// pcap_tstamp_type_name_to_val(): the PCAP_TSTAMP_* value of a name such as
/// "adapter_unsynced", case-insensitive. PCAP_ERROR if unknown.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_name_to_val(name: *const c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        // SAFETY: name is NULL or a C string.
        unsafe { c_str(name, "name") }.ok().and_then(names::tstamp_by_name).unwrap_or(PCAP_ERROR)
    })
}

/// pcap_tstamp_type_val_to_name(): the name of a PCAP_TSTAMP_* value, as
/// tcpdump -J prints it. NULL if unknown.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_name(t: c_int) -> *const c_char {
    guard_or(ptr::null(), || names::tstamp_by_value(t).map_or(ptr::null(), |d| d.1.as_ptr()))
}

/// pcap_tstamp_type_val_to_description(): NULL if unknown.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_description(t: c_int) -> *const c_char {
    guard_or(ptr::null(), || names::tstamp_by_value(t).map_or(ptr::null(), |d| d.2.as_ptr()))
}

/// pcap_init(): PCAP_CHAR_ENC_LOCAL or PCAP_CHAR_ENC_UTF_8; ringcap's strings are UTF-8 either way.
#[no_mangle]
pub extern "C" fn pcap_init(opts: c_uint, errbuf: *mut c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        if opts > 1 {
            // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
            unsafe { write_errbuf(errbuf, &format!("Unknown options specified: 0x{opts:x}")) };
            return PCAP_ERROR;
        }
        0
    })
}
