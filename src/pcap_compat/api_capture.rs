//! pcap_t lifecycle, options and live reading.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr;

use crate::fanout::{Fanout, FanoutMode};
use crate::ffi::boundary::c_str;
use crate::ffi::boundary::guard_or;
use crate::ffi::handles::Guard;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::api_savefile::{offline_file, offline_file_for_caller};
use crate::pcap_compat::error::{PResult, PcapError};
use crate::pcap_compat::handle::{PcapState, Reading, Round, Source};
use crate::pcap_compat::inject;
use crate::pcap_compat::registry::{
    close, pcap, register, run_on, with_pcap, with_pcap_or, write_errbuf, PcapHandle, HANDLES,
};
use crate::pcap_compat::tstamp;
use crate::rx::WaitFor;
use crate::wait::Wake;

/// pcap_create(): a handle for `device` ("any" or NULL for all devices), to
/// be configured and then activated.
#[no_mangle]
pub extern "C" fn pcap_create(device: *const c_char, errbuf: *mut c_char) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        // SAFETY: device is NULL or a C string.
        let device = if device.is_null() { Ok("any") } else { unsafe { c_str(device, "device") } };
        let result = device.map_err(PcapError::from).and_then(|d| register(PcapState::created(d)));
        match result {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
                unsafe { write_errbuf(errbuf, &e.message) };
                ptr::null_mut()
            }
        }
    })
}

/// pcap_open_dead(): a handle for compiling filters and writing savefiles.
#[no_mangle]
pub extern "C" fn pcap_open_dead(linktype: c_int, snaplen: c_int) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO as c_uint)
    })
}

/// pcap_open_dead_with_tstamp_precision().
#[no_mangle]
pub extern "C" fn pcap_open_dead_with_tstamp_precision(
    linktype: c_int,
    snaplen: c_int,
    precision: c_uint,
) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        // libpcap takes an unknown precision as microseconds.
        let precision = if precision == PCAP_TSTAMP_PRECISION_NANO as c_uint {
            PCAP_TSTAMP_PRECISION_NANO
        } else {
            PCAP_TSTAMP_PRECISION_MICRO
        };
        register(PcapState::dead(linktype, snaplen, precision)).unwrap_or(ptr::null_mut())
    })
}

/// pcap_close(): NULL and already-closed handles are ignored.
#[no_mangle]
pub extern "C" fn pcap_close(p: *mut pcap) {
    guard_or((), || {
        close(p);
    })
}

const DEAD_NONBLOCK: &str = "A pcap_open_dead pcap_t does not have a non-blocking mode setting";

/// libpcap's refusal, with its text, of an operation a pcap_open_dead handle lacks.
fn dead_refuses(state: &PcapState, text: &str) -> PResult<()> {
    match state.source {
        Source::Dead => Err(PcapError::generic(text)),
        _ => Ok(()),
    }
}

fn set(p: *mut pcap, f: impl FnOnce(&mut crate::pcap_compat::handle::Options) -> PResult<c_int>) -> c_int {
    with_pcap(p, |h| {
        let mut state = h.state();
        f(state.settable()?)
    })
}

/// pcap_set_snaplen(): values outside 1..262144 mean 262144, as in libpcap.
#[no_mangle]
pub extern "C" fn pcap_set_snaplen(p: *mut pcap, snaplen: c_int) -> c_int {
    set(p, |o| {
        o.snaplen = snaplen;
        Ok(0)
    })
}

/// pcap_set_promisc(): nonzero puts the device in promiscuous mode from
/// activation until the handle is closed. Returns 0, or PCAP_ERROR_ACTIVATED
/// once the handle is activated.
#[no_mangle]
pub extern "C" fn pcap_set_promisc(p: *mut pcap, promisc: c_int) -> c_int {
    set(p, |o| {
        o.promisc = promisc != 0;
        Ok(0)
    })
}

/// pcap_set_rfmon(): accepted; activation reports that monitor mode is unsupported.
#[no_mangle]
pub extern "C" fn pcap_set_rfmon(p: *mut pcap, rfmon: c_int) -> c_int {
    set(p, |o| {
        o.rfmon = rfmon != 0;
        Ok(0)
    })
}

/// pcap_can_set_rfmon(): whether activation could turn on monitor mode.
/// 0, monitor mode is not supported on packet
/// sockets (nor on savefiles); PCAP_ERROR on a pcap_open_dead handle.
#[no_mangle]
pub extern "C" fn pcap_can_set_rfmon(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        if matches!(h.state().source, Source::Dead) {
            return Err(PcapError::generic("Rfmon mode doesn't apply on a pcap_open_dead pcap_t"));
        }
        Ok(0)
    })
}

/// pcap_set_timeout(): the read timeout in ms (0 or negative: wait forever).
#[no_mangle]
pub extern "C" fn pcap_set_timeout(p: *mut pcap, to_ms: c_int) -> c_int {
    set(p, |o| {
        o.timeout_ms = to_ms;
        Ok(0)
    })
}

/// pcap_set_buffer_size(): ring size in bytes; ringcap allocates within one block of it.
#[no_mangle]
pub extern "C" fn pcap_set_buffer_size(p: *mut pcap, size: c_int) -> c_int {
    set(p, |o| {
        if size > 0 {
            o.buffer_size = size;
        }
        Ok(0)
    })
}

/// pcap_set_immediate_mode(): nonzero delivers each packet as it arrives
/// (a TPACKET_V2 ring, as libpcap's) instead of a V3 block at a time.
#[no_mangle]
pub extern "C" fn pcap_set_immediate_mode(p: *mut pcap, immediate: c_int) -> c_int {
    set(p, |o| {
        o.immediate = immediate != 0;
        Ok(0)
    })
}

/// pcap_set_tstamp_type(): a type the device offers (pcap_list_tstamp_types),
/// else PCAP_WARNING_TSTAMP_TYPE_NOTSUP and the type stays as it was.
#[no_mangle]
pub extern "C" fn pcap_set_tstamp_type(p: *mut pcap, tstamp_type: c_int) -> c_int {
    set(p, |o| {
        let verdict = tstamp::accept(&tstamp::offered_by(&o.device)?, tstamp_type);
        if verdict == 0 {
            o.tstamp_type = tstamp_type;
        }
        Ok(verdict)
    })
}

/// pcap_set_tstamp_precision(): micro (default) or nano.
#[no_mangle]
pub extern "C" fn pcap_set_tstamp_precision(p: *mut pcap, precision: c_int) -> c_int {
    set(p, |o| {
        if precision != PCAP_TSTAMP_PRECISION_MICRO && precision != PCAP_TSTAMP_PRECISION_NANO {
            return Err(PcapError::new(PCAP_ERROR_TSTAMP_PRECISION_NOTSUP, ""));
        }
        o.precision = precision;
        Ok(0)
    })
}

/// pcap_get_tstamp_precision(): the precision of the time stamps the handle
/// delivers. Returns PCAP_TSTAMP_PRECISION_MICRO or PCAP_TSTAMP_PRECISION_NANO.
#[no_mangle]
pub extern "C" fn pcap_get_tstamp_precision(p: *mut pcap) -> c_int {
    with_pcap(p, |h| Ok(h.state().opts.precision))
}

/// pcap_set_protocol_linux(): capture only this EtherType (host order).
#[no_mangle]
pub extern "C" fn pcap_set_protocol_linux(p: *mut pcap, protocol: c_int) -> c_int {
    set(p, |o| {
        if !(1..=0xffff).contains(&protocol) {
            return Err(PcapError::generic(format!("protocol {protocol} is not an EtherType (1 to 65535)")));
        }
        o.protocol = protocol as u16;
        Ok(0)
    })
}

/// ringcap's addition to libpcap: join fanout group `group_id` with `mode`
/// (0 HASH, 1 LB, 2 CPU, 3 ROLLOVER, 4 RND, 5 QM) and PACKET_FANOUT_FLAG_*
/// `flags` when the handle is activated, so several processes share one
/// interface's packets. Unmodified programs get the same with the
/// environment variable RINGCAP_FANOUT=MODE:ID[,FLAG...] (e.g. hash:42).
#[no_mangle]
pub extern "C" fn ringcap_pcap_set_fanout(p: *mut pcap, mode: c_uint, flags: c_uint, group_id: u16) -> c_int {
    set(p, |o| {
        let fanout = Fanout {
            id: group_id,
            mode: FanoutMode::from_u32(mode)?,
            flags,
            program: Vec::new(),
            ebpf_fd: -1,
            max_members: 0,
        };
        fanout.check()?;
        o.fanout = Some(fanout);
        Ok(0)
    })
}

/// pcap_activate(): opens the ring with the handle's settings and starts
/// capturing. Returns 0, a PCAP_WARNING_* code, or a PCAP_ERROR_* code.
#[no_mangle]
pub extern "C" fn pcap_activate(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let (warning, reading) = h.change(|s| s.activate(h.breaker.clone()))?;
        h.install(reading);
        Ok(warning)
    })
}

/// pcap_open_live(): create, configure and activate in one call.
#[no_mangle]
pub extern "C" fn pcap_open_live(
    device: *const c_char,
    snaplen: c_int,
    promisc: c_int,
    to_ms: c_int,
    errbuf: *mut c_char,
) -> *mut pcap {
    let p = pcap_create(device, errbuf);
    if p.is_null() {
        return p;
    }
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc);
    pcap_set_timeout(p, to_ms);
    let status = pcap_activate(p);
    if status < 0 {
        // SAFETY: device is NULL or a C string.
        let name = if device.is_null() {
            "any".to_string()
        } else {
            unsafe { c_str(device, "device") }.unwrap_or("?").to_string()
        };
        let detail = geterr_text(p);
        let message = match status {
            PCAP_ERROR | PCAP_ERROR_BREAK => format!("{name}: {detail}"),
            _ if detail.is_empty() => format!("{name}: {}", crate::pcap_compat::api_info::status_text(status)),
            _ => format!("{name}: {} ({detail})", crate::pcap_compat::api_info::status_text(status)),
        };
        // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
        unsafe { write_errbuf(errbuf, &message) };
        close(p);
        return ptr::null_mut();
    }
    p
}

/// pcap_dispatch(): processes the packets that are ready (at most `cnt`
/// if positive), waiting up to the timeout for the first.
#[no_mangle]
pub extern "C-unwind" fn pcap_dispatch(p: *mut pcap, cnt: c_int, callback: pcap_handler, user: *mut u8) -> c_int {
    let budget = if cnt <= 0 { usize::MAX } else { cnt as usize };
    let r = match dispatch_round(p, budget, callback, user) {
        Ok((n, _)) => n.min(c_int::MAX as usize) as c_int,
        Err(status) => status,
    };
    crate::cancel::point();
    r
}

/// One read of up to `budget` packets: how many were delivered and whether
/// the source is a savefile (whose 0 means its end), or the error status.
fn dispatch_round(p: *mut pcap, budget: usize, callback: pcap_handler, user: *mut u8) -> Result<(usize, bool), c_int> {
    waiting_round(p, |h, woke| {
        h.read(|reading, bufs, refresh, plan| {
            let cb = callback.ok_or_else(|| PcapError::generic("callback is NULL"))?;
            let offline = matches!(reading, Reading::Offline(_));
            let round = reading.read(plan, refresh, bufs, budget, &h.breaker, woke, &mut |hdr, data| {
                // SAFETY: a C pcap_handler; both pointers are valid for the call.
                unsafe { cb(user, hdr, data.as_ptr()) }
            })?;
            Ok(match round {
                Round::Done(n) => Ok((n, offline)),
                Round::Wait(w) => Err(w),
            })
        })
    })
}

/// Runs read steps inside the panic guard and the waits between them
/// here, outside it, holding the handle: the wait is where a
/// pthread_cancel of this thread acts, and its unwind must not meet the
/// guard (see crate::cancel).
fn waiting_round<T>(
    p: *mut pcap,
    mut step: impl FnMut(&Guard<PcapHandle>, Option<Wake>) -> PResult<Result<T, WaitFor>>,
) -> Result<T, c_int> {
    let handle = HANDLES.get(p).map_err(|_| PCAP_ERROR)?;
    let mut woke = None;
    loop {
        let w = match run_on(&handle, |h| step(h, woke)) {
            Ok(Ok(done)) => return Ok(done),
            Ok(Err(w)) => w,
            Err(status) => return Err(status),
        };
        let fd = handle.live().map_or(-1, |l| l.socket.fd());
        match crate::wait::wait_for(fd, &handle.breaker, w) {
            Ok(wake) => woke = Some(wake),
            Err(e) => return run_on(&handle, |_| Err(PcapError::from(e))),
        }
    }
}

/// pcap_loop(): processes packets until `cnt` were processed (forever if
/// `cnt` <= 0), pcap_breakloop() (returns PCAP_ERROR_BREAK) or an error.
/// Between rounds it is a cancellation point, as libpcap's poll is.
#[no_mangle]
pub extern "C-unwind" fn pcap_loop(p: *mut pcap, cnt: c_int, callback: pcap_handler, user: *mut u8) -> c_int {
    let mut done: i64 = 0;
    loop {
        let budget = if cnt <= 0 { usize::MAX } else { (cnt as i64 - done) as usize };
        let round = dispatch_round(p, budget, callback, user);
        crate::cancel::point();
        match round {
            Err(status) => return status,
            Ok((n, offline)) => {
                done += n as i64;
                // A savefile's end ends the loop; a live timeout does not.
                if (cnt > 0 && done >= cnt as i64) || (n == 0 && offline) {
                    return 0;
                }
            }
        }
    }
}

/// pcap_next_ex(): 1 and the packet, 0 on timeout, PCAP_ERROR or
/// PCAP_ERROR_BREAK. The packet stays valid until the next call.
#[no_mangle]
pub extern "C-unwind" fn pcap_next_ex(p: *mut pcap, header: *mut *mut pcap_pkthdr, data: *mut *const u8) -> c_int {
    let mut in_memory = false;
    let r = next_ex(p, header, data, &mut in_memory);
    // A packet taken from a mapped savefile made no system call, where
    // libpcap's fread would have; a cancellation point per packet would
    // only add its cost (the first read past the mapping has one again).
    if !in_memory {
        crate::cancel::point();
    }
    r
}

fn next_ex(p: *mut pcap, header: *mut *mut pcap_pkthdr, data: *mut *const u8, in_memory: &mut bool) -> c_int {
    if header.is_null() || data.is_null() {
        return with_pcap(p, |_| Err(PcapError::generic("pcap_next_ex: NULL header or data pointer")));
    }
    if let Some((_, hdr, packet)) = next_in_memory(p) {
        *in_memory = true;
        // SAFETY: both out-pointers were checked; the header and the bytes
        // live in the handle until the next read.
        unsafe {
            *header = hdr;
            *data = packet;
        }
        return 1;
    }
    let r = waiting_round(p, |h, woke| {
        h.read(|reading, bufs, refresh, plan| {
            let next = reading.next_one(plan, refresh, bufs, &h.breaker, woke);
            Ok(match next? {
                Ok(Some(packet)) => {
                    // SAFETY: both out-pointers were checked; the header and
                    // the bytes live in the handle until the next read.
                    unsafe {
                        *header = &mut bufs.oneshot_hdr;
                        *data = packet;
                    }
                    Ok(1)
                }
                Ok(None) => Ok(0),
                Err(w) => Err(w),
            })
        })
    });
    r.unwrap_or_else(|status| status)
}

/// A savefile's next packet when it lies whole in the file's mapping
/// (see `PcapHandle::next_in_memory`): no system call, so no cancellation
/// point and no switch of the cancellation state, and no error to record.
/// The header, copied while the handle is held, and where it stays.
#[inline]
fn next_in_memory(p: *mut pcap) -> Option<(pcap_pkthdr, *mut pcap_pkthdr, *const u8)> {
    let handle = HANDLES.get(p).ok()?;
    crate::ffi::boundary::catch_or(None, || {
        let (hdr, data) = handle.next_in_memory()?;
        // SAFETY: the handle's own header, just written, alive while held.
        Some((unsafe { *hdr }, hdr, data))
    })
}

/// pcap_next(): the next packet or NULL (error, timeout or none ready).
#[no_mangle]
pub extern "C-unwind" fn pcap_next(p: *mut pcap, header: *mut pcap_pkthdr) -> *const u8 {
    let mut in_memory = false;
    let r = next(p, header, &mut in_memory);
    // As in pcap_next_ex.
    if !in_memory {
        crate::cancel::point();
    }
    r
}

fn next(p: *mut pcap, header: *mut pcap_pkthdr, in_memory: &mut bool) -> *const u8 {
    if header.is_null() {
        return with_pcap_or(p, ptr::null(), |_| Err(PcapError::generic("pcap_next: NULL header")));
    }
    if let Some((hdr, _, packet)) = next_in_memory(p) {
        *in_memory = true;
        // SAFETY: header was checked for NULL.
        unsafe { *header = hdr };
        return packet;
    }
    let r = waiting_round(p, |h, woke| {
        h.read(|reading, bufs, refresh, plan| {
            let next = reading.next_one(plan, refresh, bufs, &h.breaker, woke);
            Ok(match next {
                Ok(Ok(Some(packet))) => {
                    // SAFETY: header was checked for NULL.
                    unsafe { *header = bufs.oneshot_hdr };
                    Ok(packet)
                }
                Ok(Err(w)) => Err(w),
                // An error, a timeout or the end of a savefile: NULL.
                _ => Ok(ptr::null()),
            })
        })
    });
    r.unwrap_or(ptr::null())
}

/// pcap_breakloop(): async-signal-safe (the lookup takes no lock).
#[no_mangle]
pub extern "C" fn pcap_breakloop(p: *mut pcap) {
    guard_or((), || {
        if let Ok(h) = HANDLES.get(p) {
            h.breaker.request();
        }
    })
}

/// pcap_stats(): ps_recv counts every packet the kernel accepted for the
/// socket (including drops), ps_drop the ring-full drops, ps_ifdrop the
/// device's own receive drops since activation.
#[no_mangle]
pub extern "C" fn pcap_stats(p: *mut pcap, ps: *mut pcap_stat) -> c_int {
    with_pcap(p, |h| {
        if ps.is_null() {
            return Err(PcapError::generic("pcap_stats: NULL pcap_stat pointer"));
        }
        // A live handle's statistics take no lock (signal handlers).
        let st = match h.live() {
            Some(live) => live.stats()?,
            None => {
                let state = h.state();
                match &state.source {
                    Source::Netfilter(n) => crate::pcap_compat::netfilter::netfilter_stats(n),
                    Source::Offline(_) => return Err(PcapError::generic("Statistics aren't available from savefiles")),
                    Source::Dead => {
                        return Err(PcapError::generic("Statistics aren't available from a pcap_open_dead pcap_t"))
                    }
                    _ => return Err(state.live().err().unwrap_or_else(|| PcapError::generic("not a live capture"))),
                }
            }
        };
        // SAFETY: ps was checked for NULL.
        unsafe { *ps = st };
        Ok(0)
    })
}

/// pcap_setnonblock(): nonzero makes reads return at once when no packet is
/// ready, instead of waiting for the timeout. Returns 0, or PCAP_ERROR with
/// the message in `errbuf`.
#[no_mangle]
pub extern "C" fn pcap_setnonblock(p: *mut pcap, nonblock: c_int, errbuf: *mut c_char) -> c_int {
    let r = with_pcap(p, |h| {
        h.change(|state| {
            dead_refuses(state, DEAD_NONBLOCK)?;
            state.nonblock = nonblock != 0;
            if let Source::Live(live) = &state.source {
                live.socket.set_nonblocking(nonblock != 0).map_err(PcapError::from)?;
            }
            Ok(0)
        })
    });
    if r < 0 {
        // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
        unsafe { write_errbuf(errbuf, &geterr_text(p)) };
    }
    r
}

/// pcap_getnonblock(): whether the handle is in non-blocking mode (a
/// savefile never is). Returns 1 or 0, or PCAP_ERROR with the message in `errbuf`.
#[no_mangle]
pub extern "C" fn pcap_getnonblock(p: *mut pcap, errbuf: *mut c_char) -> c_int {
    let r = with_pcap(p, |h| {
        let state = h.state();
        dead_refuses(&state, DEAD_NONBLOCK)?;
        // A savefile is never in non-blocking mode.
        Ok((state.nonblock && !state.is_offline()) as c_int)
    });
    if r < 0 {
        // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
        unsafe { write_errbuf(errbuf, &geterr_text(p)) };
    }
    r
}

fn live_fd(p: *mut pcap) -> c_int {
    with_pcap(p, |h| match h.live() {
        Some(live) => Ok(live.socket.fd()),
        None => {
            let state = h.state();
            match &state.source {
                Source::Netfilter(n) => Ok(n.fd),
                _ => Err(state.live().err().unwrap_or_else(|| PcapError::generic("not a live capture"))),
            }
        }
    })
}

/// pcap_get_selectable_fd(): the packet socket (readable when a dispatch
/// will not wait), a savefile's descriptor, or -1.
#[no_mangle]
pub extern "C" fn pcap_get_selectable_fd(p: *mut pcap) -> c_int {
    let file = with_pcap_or(p, None, |h| Ok(offline_file(&h.state())));
    match file {
        // SAFETY: the handle's live FILE.
        Some(f) => unsafe { libc::fileno(f) },
        None => live_fd(p).max(-1),
    }
}

/// pcap_fileno(): the packet socket of a live handle; -1 for savefiles
/// (libpcap 1.10 keeps no descriptor of its own for them) and dead handles.
#[no_mangle]
pub extern "C" fn pcap_fileno(p: *mut pcap) -> c_int {
    if with_pcap_or(p, false, |h| Ok(h.state().is_offline())) {
        return -1;
    }
    live_fd(p).max(-1)
}

/// pcap_get_required_select_timeout(): how long a select() on the selectable
/// descriptor may wait at most. NULL, the socket's readiness is exact on Linux.
#[no_mangle]
pub extern "C" fn pcap_get_required_select_timeout(p: *mut pcap) -> *const libc::timeval {
    guard_or(ptr::null(), || {
        let _ = p;
        ptr::null()
    })
}

/// pcap_snapshot(): the most bytes of a packet the handle captures. Returns
/// the snapshot length, or PCAP_ERROR_NOT_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_snapshot(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(state.opts.snaplen)
    })
}

/// pcap_datalink(): the link type (DLT_*) of the packets the handle
/// delivers. Returns it, or PCAP_ERROR_NOT_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_datalink(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(state.linktype)
    })
}

/// pcap_datalink_ext(): the extension bits of a savefile's link type
/// field (FCS length), 0 for live and dead handles.
#[no_mangle]
pub extern "C" fn pcap_datalink_ext(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(match &state.source {
            Source::Offline(o) => o.info.linktype_ext as c_int,
            _ => 0,
        })
    })
}

/// Allocates a C array with malloc so that the caller can free() it.
fn malloc_ints(values: &[c_int]) -> PResult<*mut c_int> {
    // SAFETY: plain malloc; the result is checked before use.
    let buf = unsafe { libc::malloc(std::mem::size_of_val(values).max(1)) }.cast::<c_int>();
    if buf.is_null() {
        return Err(PcapError::generic("malloc: Cannot allocate memory"));
    }
    // SAFETY: buf holds values.len() ints.
    unsafe { ptr::copy_nonoverlapping(values.as_ptr(), buf, values.len()) };
    Ok(buf)
}

/// pcap_list_datalinks(): the link types the handle offers; free with pcap_free_datalinks().
#[no_mangle]
pub extern "C" fn pcap_list_datalinks(p: *mut pcap, dlt_buffer: *mut *mut c_int) -> c_int {
    with_pcap(p, |h| {
        if dlt_buffer.is_null() {
            return Err(PcapError::generic("pcap_list_datalinks: NULL buffer pointer"));
        }
        let state = h.state();
        state.activated()?;
        let list = malloc_ints(&state.dlts)?;
        // SAFETY: checked for NULL above.
        unsafe { *dlt_buffer = list };
        Ok(state.dlts.len() as c_int)
    })
}

/// pcap_free_datalinks().
#[no_mangle]
pub extern "C" fn pcap_free_datalinks(dlt_list: *mut c_int) {
    guard_or((), || {
        // SAFETY: the list came from malloc in pcap_list_datalinks (or is NULL).
        unsafe { libc::free(dlt_list.cast()) }
    })
}

/// pcap_set_datalink(): switches to another of the link types
/// pcap_list_datalinks() offers. Returns 0, or PCAP_ERROR for a type the
/// handle does not offer.
#[no_mangle]
pub extern "C" fn pcap_set_datalink(p: *mut pcap, dlt: c_int) -> c_int {
    with_pcap(p, |h| {
        // Without a list of link types (a dead handle), only the current one
        // "can be set", as in libpcap.
        h.change(|s| s.set_datalink(dlt)).map(|()| 0)
    })
}

/// pcap_list_tstamp_types(): the types the device's driver reports
/// (ETHTOOL_GET_TS_INFO), or host alone; free with pcap_free_tstamp_types().
#[no_mangle]
pub extern "C" fn pcap_list_tstamp_types(p: *mut pcap, types: *mut *mut c_int) -> c_int {
    with_pcap(p, |h| {
        if types.is_null() {
            return Err(PcapError::generic("pcap_list_tstamp_types: NULL buffer pointer"));
        }
        let device = h.state().opts.device.clone();
        let mut offered = tstamp::offered_by(&device)?;
        if offered.is_empty() {
            offered.push(PCAP_TSTAMP_HOST);
        }
        let list = malloc_ints(&offered)?;
        // SAFETY: checked for NULL above.
        unsafe { *types = list };
        Ok(1)
    })
}

/// pcap_free_tstamp_types().
#[no_mangle]
pub extern "C" fn pcap_free_tstamp_types(types: *mut c_int) {
    guard_or((), || {
        // SAFETY: the list came from malloc in pcap_list_tstamp_types (or is NULL).
        unsafe { libc::free(types.cast()) }
    })
}

/// pcap_setdirection(): PCAP_D_INOUT, PCAP_D_IN or PCAP_D_OUT.
#[no_mangle]
pub extern "C" fn pcap_setdirection(p: *mut pcap, d: c_int) -> c_int {
    with_pcap(p, |h| {
        h.change(|state| {
            if !state.is_activated() {
                return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "This handle hasn't been activated yet"));
            }
            dead_refuses(state, "The packet direction cannot be set on a pcap_open_dead pcap_t")?;
            if state.is_offline() {
                return Err(PcapError::generic("Setting direction is not supported on savefiles"));
            }
            if !(PCAP_D_INOUT..=PCAP_D_OUT).contains(&d) {
                return Err(PcapError::generic(format!("Invalid direction {d}")));
            }
            state.direction = d;
            Ok(0)
        })
    })
}

/// pcap_bufsize(): as libpcap's on a ring, the size of one frame (a V3
/// block's "frame" of MAXIMUM_SNAPLEN), not of the ring.
#[no_mangle]
pub extern "C" fn pcap_bufsize(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(state.live().map(|l| l.frame_bytes as c_int).unwrap_or(0))
    })
}

/// pcap_is_swapped(): whether a savefile is in the other byte order.
#[no_mangle]
pub extern "C" fn pcap_is_swapped(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(match &state.source {
            Source::Offline(o) => o.info.swapped as c_int,
            _ => 0,
        })
    })
}

/// pcap_major_version(): the savefile's format version; 0 for live and
/// dead handles, which have no file (as in libpcap).
#[no_mangle]
pub extern "C" fn pcap_major_version(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(match &state.source {
            Source::Offline(o) => o.info.version_major as c_int,
            _ => 0,
        })
    })
}

/// pcap_minor_version(): the savefile's minor version; 0 without a file.
#[no_mangle]
pub extern "C" fn pcap_minor_version(p: *mut pcap) -> c_int {
    with_pcap(p, |h| {
        let state = h.state();
        state.activated()?;
        Ok(match &state.source {
            Source::Offline(o) => o.info.version_minor as c_int,
            _ => 0,
        })
    })
}

/// pcap_file(): the savefile's stream; NULL for live and dead handles.
#[no_mangle]
pub extern "C" fn pcap_file(p: *mut pcap) -> *mut libc::FILE {
    with_pcap_or(p, ptr::null_mut(), |h| Ok(offline_file_for_caller(h).unwrap_or(ptr::null_mut())))
}

fn geterr_text(p: *mut pcap) -> String {
    HANDLES.last_error_of(p).map(|e| e.text()).unwrap_or_default()
}

/// pcap_geterr(): the handle's error text. The buffer stays valid (and
/// keeps the last text) after pcap_close, until a new handle reuses it.
#[no_mangle]
pub extern "C" fn pcap_geterr(p: *mut pcap) -> *mut c_char {
    guard_or(ptr::null_mut(), || match HANDLES.last_error_of(p) {
        Some(e) => e.as_ptr() as *mut c_char,
        None => c"invalid pcap_t: NULL or closed".as_ptr() as *mut c_char,
    })
}

/// pcap_perror(): prints "prefix: error text" on stderr.
#[no_mangle]
pub extern "C" fn pcap_perror(p: *mut pcap, prefix: *const c_char) {
    guard_or((), || {
        // SAFETY: prefix is NULL or a C string.
        let prefix = unsafe { c_str(prefix, "prefix") }.unwrap_or("");
        eprintln!("{prefix}: {}", geterr_text(p));
    })
}

/// pcap_inject(): sends one whole link-layer frame with send(), as
/// libpcap does; returns its length once the kernel took it, or PCAP_ERROR.
#[no_mangle]
pub extern "C" fn pcap_inject(p: *mut pcap, buf: *const c_void, size: usize) -> c_int {
    let errno = inject::errno();
    with_pcap(p, |h| inject::pcap_inject(&h.state(), buf, size, errno))
}

/// pcap_sendpacket(): pcap_inject returning 0 on success.
#[no_mangle]
pub extern "C" fn pcap_sendpacket(p: *mut pcap, buf: *const u8, size: c_int) -> c_int {
    let errno = inject::errno();
    with_pcap(p, |h| inject::pcap_sendpacket(&h.state(), buf, size, errno))
}
