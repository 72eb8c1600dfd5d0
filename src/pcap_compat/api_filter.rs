//! Filters: pcap_compile on ringcap's compiler, pcap_setfilter, and the
//! bpf_* helpers.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, CString};
use std::ptr;

use crate::ffi::boundary::c_str;
use crate::ffi::boundary::{catch_or, guard_or};
use crate::filter::{self, DumpFormat, Insn, LinkType, Options};
use crate::pcap_compat::abi::*;
use crate::pcap_compat::error::PcapError;
use crate::pcap_compat::handle::Source;
use crate::pcap_compat::registry::{pcap, with_pcap};

/// The instructions of a bpf_program, or None for a NULL/empty one.
///
/// # Safety
/// `fp` is NULL or a bpf_program whose bf_insns holds bf_len instructions.
unsafe fn program<'a>(fp: *const bpf_program) -> Option<&'a [Insn]> {
    // SAFETY: per the caller's contract.
    let fp = unsafe { fp.as_ref() }?;
    if fp.bf_insns.is_null() || fp.bf_len == 0 {
        return None;
    }
    // SAFETY: bf_insns holds bf_len instructions; bpf_insn and Insn share one layout.
    Some(unsafe { std::slice::from_raw_parts(fp.bf_insns.cast::<Insn>(), fp.bf_len as usize) })
}

const _: () = assert!(std::mem::size_of::<Insn>() == std::mem::size_of::<bpf_insn>());

/// Compiles `expr` and stores it in `fp` (malloc'ed, freed by pcap_freecode).
fn compile_into(fp: *mut bpf_program, expr: &str, opts: &Options) -> Result<(), String> {
    if fp.is_null() {
        return Err("pcap_compile: NULL bpf_program".into());
    }
    let prog = filter::compile_with(expr, opts).map_err(|e| e.message().to_string())?;
    let insns = prog.instructions();
    let bytes = std::mem::size_of_val(insns);
    // SAFETY: plain malloc, checked below.
    let buf = unsafe { libc::malloc(bytes.max(1)) }.cast::<bpf_insn>();
    if buf.is_null() {
        return Err("malloc: Cannot allocate memory".into());
    }
    // SAFETY: buf holds insns.len() instructions of the same layout; fp was checked.
    unsafe {
        ptr::copy_nonoverlapping(insns.as_ptr().cast::<bpf_insn>(), buf, insns.len());
        *fp = bpf_program { bf_len: insns.len() as c_uint, bf_insns: buf };
    }
    Ok(())
}

fn linktype(dlt: c_int) -> Result<LinkType, String> {
    LinkType::from_dlt(dlt).ok_or_else(|| format!("unknown data link type {dlt} (min 104, max 289)"))
}

/// pcap_compile(): compiles a pcap-filter expression to classic BPF for the
/// handle's link type and snapshot length (`optimize` nonzero: optimized).
/// 0, or PCAP_ERROR with the message in pcap_geterr(p).
#[no_mangle]
pub extern "C" fn pcap_compile(
    p: *mut pcap,
    fp: *mut bpf_program,
    expr: *const c_char,
    optimize: c_int,
    netmask: u32,
) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        if !state.is_activated() {
            return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "not-yet-activated pcap_t passed to pcap_compile"));
        }
        // SAFETY: expr is NULL (the empty filter) or a C string.
        let expr = if expr.is_null() { "" } else { unsafe { c_str(expr, "filter") }.map_err(PcapError::from)? };
        let mut opts = Options::new(
            linktype(state.linktype).map_err(PcapError::generic)?,
            state.opts.snaplen.max(0) as u32,
            netmask,
        );
        opts.optimize = optimize != 0;
        // A live Linux socket sees VLAN tags as metadata, as libpcap knows.
        opts.vlan_extensions = matches!(state.source, Source::Live(_));
        if let Source::Offline(o) = &state.source {
            opts.savefile = true;
            opts.swapped = o.info.swapped;
        }
        compile_into(fp, expr, &opts).map_err(PcapError::generic)?;
        Ok(0)
    })
}

/// pcap_compile_nopcap(): compiles without a handle; -1 on error.
#[no_mangle]
pub extern "C" fn pcap_compile_nopcap(
    snaplen: c_int,
    dlt: c_int,
    fp: *mut bpf_program,
    expr: *const c_char,
    optimize: c_int,
    netmask: u32,
) -> c_int {
    guard_or(PCAP_ERROR, || {
        // SAFETY: expr is NULL or a C string.
        let expr = if expr.is_null() { Ok("") } else { unsafe { c_str(expr, "filter") } };
        let Ok(expr) = expr else { return PCAP_ERROR };
        let Ok(lt) = linktype(dlt) else { return PCAP_ERROR };
        let mut opts = Options::new(lt, snaplen.max(0) as u32, netmask);
        opts.optimize = optimize != 0;
        if compile_into(fp, expr, &opts).is_ok() {
            0
        } else {
            PCAP_ERROR
        }
    })
}

/// pcap_freecode(): frees what pcap_compile allocated; NULL-safe.
#[no_mangle]
pub extern "C" fn pcap_freecode(fp: *mut bpf_program) {
    guard_or((), || {
        // SAFETY: fp is NULL or a bpf_program from pcap_compile.
        if let Some(fp) = unsafe { fp.as_mut() } {
            // SAFETY: bf_insns came from malloc (or is NULL).
            unsafe { libc::free(fp.bf_insns.cast()) };
            fp.bf_insns = ptr::null_mut();
            fp.bf_len = 0;
        }
    })
}

/// pcap_setfilter(): validates and installs the program; later packets
/// are filtered by it.
#[no_mangle]
pub extern "C" fn pcap_setfilter(p: *mut pcap, fp: *mut bpf_program) -> c_int {
    with_pcap(p, |h| {
        if fp.is_null() {
            return Err(PcapError::generic("setfilter: No filter specified"));
        }
        // SAFETY: a bpf_program from the caller.
        let insns = unsafe { program(fp) }.ok_or_else(|| PcapError::generic("setfilter: No filter specified"))?;
        filter::validate(insns)
            .map_err(|e| PcapError::generic(format!("BPF program is not valid: {}", e.message())))?;
        // The drain needs the ring: only when no read is running on it.
        let mut idle = h.idle_reader();
        let reading = idle.as_mut().and_then(|slot| slot.reading.as_mut());
        h.change(|s| s.set_filter(insns, reading)).map(|()| 0)
    })
}

/// pcap_offline_filter(): the filter's verdict (0 rejects) on a packet.
#[no_mangle]
pub extern "C" fn pcap_offline_filter(fp: *const bpf_program, h: *const pcap_pkthdr, pkt: *const u8) -> c_int {
    filter::prefetch(pkt);
    // Pure computation, called per packet: no cancellation point to guard against.
    catch_or(PCAP_ERROR, || {
        // SAFETY: fp, h and pkt are the caller's valid objects per the API.
        let (Some(insns), Some(h)) = (unsafe { program(fp) }, unsafe { h.as_ref() }) else { return 0 };
        let data = if pkt.is_null() || h.caplen == 0 {
            &[][..]
        } else {
            // SAFETY: pkt holds h->caplen bytes per the API.
            unsafe { std::slice::from_raw_parts(pkt, h.caplen as usize) }
        };
        // Only the bf_len instructions are read: a jump or fall past them
        // rejects the packet (libpcap would run on into whatever follows).
        filter::run_cached(insn_bytes(insns), data, h.len) as c_int
    })
}

/// bpf_filter(): runs `pc` on a packet of `buflen` captured bytes and `wirelen` on the wire.
#[no_mangle]
pub extern "C" fn bpf_filter(pc: *const bpf_insn, p: *const u8, wirelen: c_uint, buflen: c_uint) -> c_uint {
    filter::prefetch(p);
    // As pcap_offline_filter.
    catch_or(0, || {
        if pc.is_null() {
            return u32::MAX; // libpcap: no program accepts everything
        }
        let data = if p.is_null() || buflen == 0 {
            &[][..]
        } else {
            // SAFETY: p holds buflen bytes per the API.
            unsafe { std::slice::from_raw_parts(p, buflen as usize) }
        };
        // A program is as long as its path to the first return that no jump
        // goes past (filter::bounded_len). Decoded once, not per packet,
        // while the program stays the same.
        // SAFETY: pc is a program per bpf_filter's contract, whose
        // instructions up to that return are readable.
        unsafe { filter::run_cached_unbounded(pc.cast(), data, wirelen) }
    })
}

/// The bytes `insns` are made of, as [`filter::run_cached`] compares them.
fn insn_bytes(insns: &[Insn]) -> &[u8] {
    // SAFETY: the same memory, read as bytes (Insn has no padding: the size
    // assertion above).
    unsafe { std::slice::from_raw_parts(insns.as_ptr().cast::<u8>(), std::mem::size_of_val(insns)) }
}

/// bpf_validate(): 1 if the program is valid, 0 if not.
#[no_mangle]
pub extern "C" fn bpf_validate(f: *const bpf_insn, len: c_int) -> c_int {
    guard_or(PCAP_ERROR, || {
        if f.is_null() || len <= 0 {
            return 0;
        }
        // SAFETY: f holds len instructions per the API.
        let insns = unsafe { std::slice::from_raw_parts(f.cast::<Insn>(), len as usize) };
        filter::validate(insns).is_ok() as c_int
    })
}

thread_local! {
    static IMAGE: RefCell<CString> = RefCell::new(CString::default());
}

/// bpf_image(): one instruction as tcpdump -d prints it (a per-thread buffer).
#[no_mangle]
pub extern "C" fn bpf_image(p: *const bpf_insn, n: c_int) -> *mut c_char {
    guard_or(ptr::null_mut(), || {
        // SAFETY: p is NULL or points to one instruction.
        let Some(insn) = (unsafe { p.cast::<Insn>().as_ref() }) else { return ptr::null_mut() };
        let text = filter::image(insn, n.max(0) as usize);
        IMAGE.with(|b| {
            *b.borrow_mut() = CString::new(text).unwrap_or_default();
            b.borrow().as_ptr() as *mut c_char
        })
    })
}

/// bpf_dump(): prints the program on stdout as tcpdump -d (option 1),
/// -dd (2) or -ddd (3 or more).
#[no_mangle]
pub extern "C" fn bpf_dump(p: *const bpf_program, option: c_int) {
    guard_or((), || {
        // SAFETY: p is NULL or a valid bpf_program.
        let Some(insns) = (unsafe { program(p) }) else { return };
        let format = DumpFormat::from_i32(option.clamp(1, 3)).unwrap_or(DumpFormat::Image);
        let text = filter::dump(insns, format);
        // stdout through C stdio, so the output interleaves with the caller's printf.
        if let Ok(c) = CString::new(text) {
            // SAFETY: printing a C string with a constant format.
            unsafe { libc::printf(c"%s".as_ptr(), c.as_ptr()) };
        }
    })
}
