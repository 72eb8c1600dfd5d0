//! Savefiles: pcap_open_offline and friends, and the pcap_dump_* writer.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_long, c_uint};
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::os_text;
use crate::ffi::boundary::c_str;
use crate::ffi::boundary::{catch_or, guard_or};
use crate::ffi::handles::{HandleKind, Handles};
use crate::pcap_compat::abi::*;
use crate::pcap_compat::cfile::{CFile, StreamLock};
use crate::pcap_compat::error::PcapError;
use crate::pcap_compat::handle::{PcapState, Reading, Source};
use crate::pcap_compat::registry::{pcap, register, with_pcap_or, write_errbuf, PcapHandle, HANDLES};
use crate::savefile::{PacketHeader, Precision, Reader, Writer, WriterConfig};

/// Opaque `pcap_dumper_t`.
pub struct pcap_dumper {
    _private: [u8; 0],
}

/// A `pcap_dumper_t`'s writer, locked by its stream's own lock
/// (flockfile) instead of a mutex of its own: pcap_dump takes that lock
/// anyway to put the record in the stream, so one lock per packet, not two.
struct Dumper {
    file: *mut libc::FILE,
    /// Set while a call is inside: flockfile is recursive, so a signal
    /// handler that dumps while its thread is dumping would otherwise get
    /// a second `&mut` to the writer. It gets nothing written instead.
    busy: AtomicBool,
    writer: UnsafeCell<ManuallyDrop<Writer<CFile>>>,
}

// SAFETY: `writer` is only reached through `Dumper::with`, under the
// stream's lock and the `busy` flag, so one call at a time touches it.
unsafe impl Sync for Dumper {}
// SAFETY: the writer and its FILE may be used from any thread (glibc
// streams are not tied to the thread that opened them).
unsafe impl Send for Dumper {}

impl Drop for Dumper {
    fn drop(&mut self) {
        // Flushing and closing the stream are cancellation points, and the
        // last user out may be a pcap_dump running without the guard's
        // switch (see crate::cancel).
        let _off = crate::cancel::enter();
        // SAFETY: dropped once, here; nothing else can reach the writer now.
        unsafe { ManuallyDrop::drop(&mut *self.writer.get()) };
    }
}

impl Dumper {
    fn new(writer: Writer<CFile>) -> Dumper {
        Dumper {
            file: writer.get_ref().as_ptr(),
            busy: AtomicBool::new(false),
            writer: UnsafeCell::new(ManuallyDrop::new(writer)),
        }
    }

    /// Runs `f` on the writer under the stream's lock; None when this
    /// thread is already inside (a signal handler that interrupted a dump).
    #[inline]
    fn with<T>(&self, f: impl FnOnce(&mut Writer<CFile>) -> T) -> Option<T> {
        // SAFETY: the writer owns the stream and closes it only when the dumper drops.
        let _lock = unsafe { StreamLock::take(self.file) };
        // Under the lock only this thread can be here: plain load and store.
        if self.busy.load(Ordering::Relaxed) {
            return None;
        }
        self.busy.store(true, Ordering::Relaxed);
        struct Leave<'a>(&'a AtomicBool);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Relaxed);
            }
        }
        let _leave = Leave(&self.busy);
        // SAFETY: the lock and `busy` make this the only reference (see `Sync` above).
        Some(f(unsafe { &mut *self.writer.get() }))
    }
}

static DUMPERS: Handles<Dumper> = Handles::new(HandleKind::PcapDumper, "pcap_dumper_t");

fn precision_from(p: c_uint) -> Result<Precision, String> {
    match p as c_int {
        PCAP_TSTAMP_PRECISION_MICRO => Ok(Precision::Micro),
        PCAP_TSTAMP_PRECISION_NANO => Ok(Precision::Nano),
        _ => Err(format!("unknown time stamp resolution {p}")),
    }
}

fn open_reader(file: CFile, precision: c_uint) -> Result<*mut pcap, String> {
    let precision = precision_from(precision)?;
    // A regular file is mapped and read in place; anything else (a pipe
    // from a live capture) record by record, so each packet is seen as it
    // arrives.
    let reader = if file.is_regular_file() {
        Reader::open_mapped(file, precision)
    } else {
        Reader::open_with_precision(file, precision)
    };
    let reader = reader.map_err(|e| e.message().to_string())?;
    let p = register(PcapState::offline(&reader)).map_err(|e| e.message)?;
    let handle = HANDLES.get(p).map_err(|e| e.message().to_string())?;
    handle.install(Reading::Offline(reader));
    Ok(p)
}

fn offline_result(result: Result<*mut pcap, String>, errbuf: *mut c_char) -> *mut pcap {
    match result {
        Ok(p) => p,
        Err(message) => {
            // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
            unsafe { write_errbuf(errbuf, &message) };
            ptr::null_mut()
        }
    }
}

/// pcap_open_offline_with_tstamp_precision(): "-" reads the standard input.
#[no_mangle]
pub extern "C" fn pcap_open_offline_with_tstamp_precision(
    fname: *const c_char,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        // SAFETY: fname is NULL or a C string.
        let result = unsafe { c_str(fname, "file name") }.map_err(|e| e.message().to_string()).and_then(|name| {
            let file = CFile::open(name, "rb").map_err(|e| format!("{name}: {}", os_text(&e)))?;
            open_reader(file, precision)
        });
        offline_result(result, errbuf)
    })
}

/// pcap_open_offline(): opens a pcap or pcapng savefile for reading, with
/// microsecond time stamps. Returns the handle, or NULL with the message in `errbuf`.
#[no_mangle]
pub extern "C" fn pcap_open_offline(fname: *const c_char, errbuf: *mut c_char) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        pcap_open_offline_with_tstamp_precision(fname, PCAP_TSTAMP_PRECISION_MICRO as c_uint, errbuf)
    })
}

/// pcap_fopen_offline_with_tstamp_precision(): reads an open stream, which
/// pcap_close() closes.
#[no_mangle]
pub extern "C" fn pcap_fopen_offline_with_tstamp_precision(
    fp: *mut libc::FILE,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        if fp.is_null() {
            return offline_result(Err("A null pointer was supplied as the file to open".into()), errbuf);
        }
        offline_result(open_reader(CFile::adopt(fp), precision), errbuf)
    })
}

/// pcap_fopen_offline().
#[no_mangle]
pub extern "C" fn pcap_fopen_offline(fp: *mut libc::FILE, errbuf: *mut c_char) -> *mut pcap {
    guard_or(ptr::null_mut(), || {
        pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO as c_uint, errbuf)
    })
}

/// What a dumper for `p` writes: the handle's link type, snapshot length and precision.
fn writer_config(state: &PcapState) -> Result<WriterConfig, PcapError> {
    if !state.is_activated() {
        return Err(PcapError::generic("not-yet-activated pcap_t passed to pcap_dump_open"));
    }
    let precision = if state.opts.precision == PCAP_TSTAMP_PRECISION_NANO { Precision::Nano } else { Precision::Micro };
    Ok(WriterConfig::new(state.linktype, state.opts.snaplen.max(0) as u32, precision))
}

fn new_dumper(p: *mut pcap, open: impl FnOnce(&WriterConfig) -> Result<Writer<CFile>, String>) -> *mut pcap_dumper {
    with_pcap_or(p, ptr::null_mut(), |h| {
        let config = writer_config(&h.state())?;
        let writer = open(&config).map_err(PcapError::generic)?;
        DUMPERS.insert(Dumper::new(writer)).map_err(PcapError::from)
    })
}

/// pcap_dump_open(): a new savefile ("-" is the standard output).
#[no_mangle]
pub extern "C" fn pcap_dump_open(p: *mut pcap, fname: *const c_char) -> *mut pcap_dumper {
    guard_or(ptr::null_mut(), || {
        new_dumper(p, |config| {
            // SAFETY: fname is NULL or a C string.
            let name = unsafe { c_str(fname, "file name") }.map_err(|e| e.message().to_string())?;
            let file = CFile::open(name, "wb").map_err(|e| format!("{name}: {}", os_text(&e)))?.with_dump_buffer();
            let shown = if name == "-" { "standard output" } else { name };
            let writer = if file.is_seekable() {
                Writer::new_seekable(file, shown, config)
            } else {
                Writer::new(file, shown, config)
            };
            writer.map_err(|e| e.message().to_string())
        })
    })
}

/// pcap_dump_fopen(): writes to an open stream, which pcap_dump_close() closes.
#[no_mangle]
pub extern "C" fn pcap_dump_fopen(p: *mut pcap, fp: *mut libc::FILE) -> *mut pcap_dumper {
    guard_or(ptr::null_mut(), || {
        new_dumper(p, |config| {
            if fp.is_null() {
                return Err("A null pointer was supplied as the file to write".into());
            }
            let file = CFile::adopt(fp);
            let writer = if file.is_seekable() {
                Writer::new_seekable(file, "stream", config)
            } else {
                Writer::new(file, "stream", config)
            };
            writer.map_err(|e| e.message().to_string())
        })
    })
}

/// pcap_dump_open_append(): continues a savefile written with the same
/// link type, snapshot length, precision and byte order, or starts one.
#[no_mangle]
pub extern "C" fn pcap_dump_open_append(p: *mut pcap, fname: *const c_char) -> *mut pcap_dumper {
    guard_or(ptr::null_mut(), || {
        new_dumper(p, |config| {
            // SAFETY: fname is NULL or a C string.
            let name = unsafe { c_str(fname, "file name") }.map_err(|e| e.message().to_string())?;
            if name == "-" {
                return Writer::new(CFile::open("-", "wb").map_err(|e| os_text(&e))?, "standard output", config)
                    .map_err(|e| e.message().to_string());
            }
            let file = match CFile::open(name, "rb+") {
                Ok(f) => f,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    CFile::open(name, "wb+").map_err(|e| format!("{name}: {}", os_text(&e)))?
                }
                Err(e) => return Err(format!("{name}: {}", os_text(&e))),
            }
            .with_dump_buffer();
            Writer::append(file, name, config).map_err(|e| e.message().to_string())
        })
    })
}

#[inline]
fn with_dumper<T>(d: *mut pcap_dumper, fallback: T, f: impl FnOnce(&mut Writer<CFile>) -> T) -> T {
    // A write runs no user code.
    match DUMPERS.get_brief(d) {
        Ok(dumper) => dumper.with(f).unwrap_or(fallback),
        Err(_) => fallback,
    }
}

/// pcap_dump(): writes one packet, header and data in one stdio call;
/// `user` is the pcap_dumper_t, as a pcap_handler's user argument. After a
/// failed or short write the dumper writes nothing more (so the file ends
/// cleanly) and pcap_dump_flush reports the failure.
#[no_mangle]
pub extern "C" fn pcap_dump(user: *mut u8, h: *const pcap_pkthdr, sp: *const u8) {
    // Per packet, and mostly a copy into the stream's buffer: the stdio
    // path and the dumper's close switch cancellation off themselves.
    catch_or((), || {
        if h.is_null() || sp.is_null() {
            return;
        }
        // One load per field, as the program's compiler stored them: the
        // header was just written (by the capture loop, on the stack), and
        // one wide load over two narrow stores cannot be forwarded from
        // them, a stall per packet (perf: the heaviest instruction here).
        // SAFETY: h points to a pcap_pkthdr, per the API.
        let (ts_sec, ts_frac, caplen, len) = unsafe {
            (
                ptr::addr_of!((*h).ts.tv_sec).read_volatile(),
                ptr::addr_of!((*h).ts.tv_usec).read_volatile(),
                ptr::addr_of!((*h).caplen).read_volatile(),
                ptr::addr_of!((*h).len).read_volatile(),
            )
        };
        // SAFETY: sp points to h->caplen bytes, per the API.
        let data = unsafe { std::slice::from_raw_parts(sp, caplen as usize) };
        let header = PacketHeader { ts_sec, ts_frac, caplen, len };
        with_dumper(user.cast(), (), |w| {
            let _ = w.dump(&header, data);
        });
    })
}

/// pcap_dump_flush(): writes out what pcap_dump() buffered in the stream.
/// 0, or -1 if the stream could not be written (now
/// or by an earlier pcap_dump).
#[no_mangle]
pub extern "C" fn pcap_dump_flush(d: *mut pcap_dumper) -> c_int {
    guard_or(PCAP_ERROR, || with_dumper(d, PCAP_ERROR, |w| if w.flush().is_ok() { 0 } else { PCAP_ERROR }))
}

/// pcap_dump_ftell64(): the stream's position, as ftello(3) gives it.
#[no_mangle]
pub extern "C" fn pcap_dump_ftell64(d: *mut pcap_dumper) -> i64 {
    // As libpcap: the stream's own position, which counts whatever else
    // the program wrote to it (and is -1 on a pipe).
    // SAFETY: the writer's stream is live while the dumper is.
    guard_or(-1, || with_dumper(d, -1, |w| unsafe { libc::ftello(w.get_ref().as_ptr()) }))
}

/// pcap_dump_ftell(): like pcap_dump_ftell64, -1 with EOVERFLOW beyond a long.
#[no_mangle]
pub extern "C" fn pcap_dump_ftell(d: *mut pcap_dumper) -> c_long {
    let at = pcap_dump_ftell64(d);
    c_long::try_from(at).unwrap_or(-1)
}

/// pcap_dump_file(): the stream being written. Every record is already
/// in it (in its buffer at worst), so the caller may write or flush it.
#[no_mangle]
pub extern "C" fn pcap_dump_file(d: *mut pcap_dumper) -> *mut libc::FILE {
    guard_or(ptr::null_mut(), || with_dumper(d, ptr::null_mut(), |w| w.get_ref().as_ptr()))
}

/// pcap_dump_close(): flushes and closes; NULL and closed dumpers are ignored.
#[no_mangle]
pub extern "C" fn pcap_dump_close(d: *mut pcap_dumper) {
    guard_or((), || {
        // The writer flushes as it is dropped, when the last call on it returns.
        if let Ok(dumper) = DUMPERS.get(d) {
            if DUMPERS.remove(d) {
                let _ = dumper.with(|w| w.flush());
            }
        }
    })
}

/// The stream of an offline handle, for pcap_get_selectable_fd.
pub(crate) fn offline_file(state: &PcapState) -> Option<*mut libc::FILE> {
    match &state.source {
        Source::Offline(o) => Some(o.file),
        _ => None,
    }
}

/// The stream of an offline handle for pcap_file, whose caller may ftell
/// or fseek it: it is first put back where libpcap's would be, just after
/// the last record read, and read record by record from then on. (A pipe
/// cannot go back, and is handed out as it is; so is the stream asked for
/// from inside a read's own callback, where the reader is busy.)
pub(crate) fn offline_file_for_caller(h: &PcapHandle) -> Option<*mut libc::FILE> {
    let file = offline_file(&h.state())?;
    if let Some(mut slot) = h.idle_reader() {
        if let Some(Reading::Offline(r)) = slot.reading.as_mut() {
            let _ = r.stop_read_ahead();
        }
    }
    Some(file)
}
