//! C API for the filter compiler: compile an expression into a handle,
//! read its instructions, run it on packets, list it, validate raw
//! programs.

use std::ffi::c_char;

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::boundary::{self, boundary, c_str, in_slice, out_ref};
use crate::ffi::handles::{Guard, HandleKind, Handles};
use crate::filter::{self, DumpFormat, Insn, LinkType, Options, Program};

/// A compiled filter program. Opaque: obtain one from
/// ringcap_filter_compile() and release it with ringcap_filter_free().
#[allow(non_camel_case_types)]
pub struct ringcap_filter {
    _private: [u8; 0],
}

struct FilterHandle {
    program: Program,
    insns: Vec<Insn>,
}

static FILTERS: Handles<FilterHandle> = Handles::new(HandleKind::Filter, "filter");

/// Compiler options for ringcap_filter_compile_ex().
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ringcap_filter_options {
    /// Run the optimizer (as pcap_compile with optimize = 1). Default true.
    pub optimize: bool,
    /// Test VLAN tags where a live Linux socket has them: in the packet
    /// metadata the kernel moved them to (SKF_AD_VLAN_TAG_PRESENT), as
    /// libpcap does for a live handle. The default (options NULL) is true,
    /// since native filters run on live sockets; false tests tags inline in
    /// the data, as libpcap compiling for a dead handle (savefiles).
    pub vlan_extensions: bool,
}

fn handle(f: *const ringcap_filter) -> Result<Guard<FilterHandle>> {
    FILTERS.get(f)
}

/// Compiles a pcap-filter(7) expression for a link type (a DLT_ value:
/// 1 EN10MB, 113 LINUX_SLL, 276 LINUX_SLL2, 12 RAW, 228 IPV4, 229 IPV6,
/// 0 NULL, 108 LOOP), as libpcap's pcap_compile() does with optimization on
/// a live Linux handle (VLAN tests read the kernel's tag metadata; see
/// ringcap_filter_options.vlan_extensions for offline semantics).
/// ringcap_capture_set_filter_expression() compiles for an open capture
/// and attaches the result in one call. `snaplen` is what the filter returns for an accepted
/// packet; `netmask` is the network's mask in host byte order, used only by
/// `ip broadcast` (0xffffffff: unknown). On success writes a new handle to
/// `*out` and returns 0; a bad expression returns
/// RINGCAP_RESULT_FILTER_SYNTAX with the reason in ringcap_last_error().
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_compile(
    expr: *const c_char,
    linktype: i32,
    snaplen: u32,
    netmask: u32,
    out: *mut *mut ringcap_filter,
) -> i32 {
    // SAFETY: same contract.
    unsafe { ringcap_filter_compile_ex(expr, linktype, snaplen, netmask, std::ptr::null(), out) }
}

/// Like ringcap_filter_compile() with options; `options` NULL means the
/// defaults (optimized, live VLAN semantics: {true, true}).
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string; `options` is NULL or
/// readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_compile_ex(
    expr: *const c_char,
    linktype: i32,
    snaplen: u32,
    netmask: u32,
    options: *const ringcap_filter_options,
    out: *mut *mut ringcap_filter,
) -> i32 {
    boundary(None, || {
        // SAFETY: per this function's contract.
        let expr = unsafe { c_str(expr, "expr") }?;
        // SAFETY: per this function's contract.
        let out = unsafe { out_ref(out, "out") }?;
        // SAFETY: per this function's contract.
        let given = unsafe { options.as_ref() }.copied();
        let lt = LinkType::from_dlt(linktype)
            .ok_or_else(|| Error::invalid(format!("link type {linktype} is not supported")))?;
        let mut opts = Options::new(lt, snaplen, netmask);
        opts.vlan_extensions = true;
        if let Some(o) = given {
            opts.optimize = o.optimize;
            opts.vlan_extensions = o.vlan_extensions;
        }
        let program = filter::compile_with(expr, &opts)?;
        let insns = program.instructions().to_vec();
        *out = FILTERS.insert(FilterHandle { program, insns })?;
        Ok(0)
    })
}

/// Releases a filter. NULL and already-freed handles are ignored.
#[no_mangle]
pub extern "C" fn ringcap_filter_free(f: *mut ringcap_filter) {
    let _ = boundary(None, || {
        FILTERS.remove(f);
        Ok(0)
    });
}

/// The program's instructions: writes a pointer to them to `*out` (valid
/// until the handle is freed) and their count to `*len`; returns 0.
///
/// # Safety
/// `out` and `len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_instructions(
    f: *const ringcap_filter,
    out: *mut *const Insn,
    len: *mut usize,
) -> i32 {
    boundary(None, || {
        let h = handle(f)?;
        // SAFETY: per this function's contract.
        let out = unsafe { out_ref(out, "out") }?;
        // SAFETY: per this function's contract.
        let len = unsafe { out_ref(len, "len") }?;
        // The Vec lives as long as the registry entry, which only
        // ringcap_filter_free removes.
        *out = h.insns.as_ptr();
        *len = h.insns.len();
        Ok(0)
    })
}

/// Checks a raw program against the kernel's rules (forward jumps inside
/// the program, a final return, no division by a constant zero, scratch
/// memory indices below 16 and written before read, at most 4096
/// instructions). Returns 0 if valid, RINGCAP_RESULT_FILTER_INVALID with
/// the reason in ringcap_last_error() otherwise.
///
/// # Safety
/// `insns` is NULL (with `len` 0) or points to `len` instructions.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_validate(insns: *const Insn, len: usize) -> i32 {
    boundary(None, || {
        let prog = raw_program(insns, len)?;
        filter::validate(&prog)?;
        Ok(0)
    })
}

/// Reads `len` C instructions.
fn raw_program(insns: *const Insn, len: usize) -> Result<Vec<Insn>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if insns.is_null() {
        return Err(Error::new(ErrorCode::NullParameter, "insns is NULL"));
    }
    if len > 1 << 20 {
        return Err(Error::new(ErrorCode::FilterInvalid, format!("program of {len} instructions is far too long")));
    }
    // SAFETY: non-NULL and, per the caller's contract, valid for `len` elements.
    let slice = unsafe { std::slice::from_raw_parts(insns, len) };
    Ok(slice.to_vec())
}

/// Runs the filter on a packet: `pkt` holds the `caplen` captured bytes of
/// a packet that was `wirelen` bytes on the wire. Returns 0 if the packet
/// is rejected, otherwise the number of bytes to keep (the snaplen), or a
/// negative ringcap_result on error. Loads past `caplen` reject the packet,
/// as in the kernel. Snap lengths above INT32_MAX are reported as
/// INT32_MAX.
///
/// # Safety
/// `pkt` is NULL (with `caplen` 0) or readable for `caplen` bytes.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_run(
    f: *const ringcap_filter,
    pkt: *const u8,
    caplen: u32,
    wirelen: u32,
) -> i32 {
    let h = match handle(f) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(h.last_error()), || {
        // SAFETY: per this function's contract.
        let data = unsafe { in_slice(pkt, caplen as usize, "pkt") }?;
        let v = h.program.matches(data, wirelen);
        Ok(i32::try_from(v).unwrap_or(i32::MAX))
    })
}

/// Writes the program's listing into `buf` (NUL-terminated) in a tcpdump
/// format: 1 = `tcpdump -d`, 2 = `-dd`, 3 = `-ddd`. Returns the listing's
/// length without the NUL; if that is `len` or more, the listing did not
/// fit and `buf` holds a truncated copy (call again with a larger buffer).
/// `buf` may be NULL when `len` is 0, to ask for the size.
///
/// # Safety
/// `buf` is NULL (with `len` 0) or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn ringcap_filter_dump(
    f: *const ringcap_filter,
    format: i32,
    buf: *mut c_char,
    len: usize,
) -> i32 {
    let h = match handle(f) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(h.last_error()), || {
        let fmt = DumpFormat::from_i32(format)
            .ok_or_else(|| Error::invalid(format!("dump format {format} is not 1 (-d), 2 (-dd) or 3 (-ddd)")))?;
        let text = h.program.dump(fmt);
        if len > 0 {
            if buf.is_null() {
                return Err(Error::new(ErrorCode::NullParameter, "buf is NULL"));
            }
            let n = text.len().min(len - 1);
            // SAFETY: buf is writable for `len` bytes per the contract and
            // n + 1 <= len.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
                *buf.add(n) = 0;
            }
        }
        i32::try_from(text.len()).map_err(|_| Error::invalid("listing too long"))
    })
}

/// The message of the last failed call on this filter handle ("" if none).
/// Valid until the next failure on the handle or until it is freed. NULL
/// or invalid handles get this thread's last error instead.
#[no_mangle]
pub extern "C" fn ringcap_filter_last_error(f: *const ringcap_filter) -> *const c_char {
    match handle(f) {
        Ok(h) => h.last_error().as_ptr(),
        Err(_) => boundary::last_error_ptr(),
    }
}
