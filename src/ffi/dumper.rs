//! `ringcap_dumper`: pcap and pcapng savefiles written from the native API,
//! typically from a capture callback (the dumper is its own handle, so the
//! callback may use it while the capture dispatches).

use std::ffi::c_char;
use std::fs::File;
use std::io::BufWriter;
use std::sync::Mutex;

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::boundary::{boundary, c_str, in_ref, in_slice, out_ref};
use crate::ffi::capture::{ringcap_capture, with_handle};
use crate::ffi::handles::{HandleKind, Handles};
use crate::rx::PacketMeta;
use crate::savefile::{PacketHeader, PcapngWriter, Precision, Writer, WriterConfig};

/// Opaque savefile writer, from ringcap_dumper_open() or
/// ringcap_dumper_open_capture().
pub struct ringcap_dumper {
    _private: [u8; 0],
}

/// Savefile formats a dumper writes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ringcap_savefile_format {
    /// Classic pcap (libpcap's pcap_dump format), in this host's byte order.
    Pcap = 0,
    /// pcapng: one section and one interface, an Enhanced Packet Block per packet.
    Pcapng = 1,
}

enum Sink {
    Pcap(Writer<BufWriter<File>>),
    Pcapng(PcapngWriter<BufWriter<File>>),
}

impl Sink {
    fn dump(&mut self, header: &PacketHeader, data: &[u8]) -> Result<()> {
        match self {
            Sink::Pcap(w) => w.dump(header, data),
            Sink::Pcapng(w) => w.dump(header, data),
        }
    }

    fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Pcap(w) => w.flush(),
            Sink::Pcapng(w) => w.flush(),
        }
    }

    fn precision(&self) -> Precision {
        match self {
            Sink::Pcap(w) => w.precision(),
            Sink::Pcapng(w) => w.precision(),
        }
    }
}

struct DumperHandle {
    sink: Mutex<Option<Sink>>,
}

static DUMPERS: Handles<DumperHandle> = Handles::new(HandleKind::Dumper, "ringcap_dumper");

/// Creates `path` (truncating it) and writes the file header.
fn open(path: &str, format: i32, config: &WriterConfig) -> Result<Sink> {
    let format = match format {
        0 => ringcap_savefile_format::Pcap,
        1 => ringcap_savefile_format::Pcapng,
        _ => {
            return Err(Error::invalid(format!(
                "savefile format {format} is unknown; valid: RINGCAP_SAVEFILE_FORMAT_PCAP (0), _PCAPNG (1)"
            )))
        }
    };
    let file = File::create(path).map_err(|e| Error::os(&format!("creating {path}"), e))?;
    let out = BufWriter::new(file);
    Ok(match format {
        ringcap_savefile_format::Pcap => Sink::Pcap(Writer::new(out, path, config)?),
        ringcap_savefile_format::Pcapng => Sink::Pcapng(PcapngWriter::new(out, path, config)?),
    })
}

fn register(sink: Sink) -> Result<*mut ringcap_dumper> {
    DUMPERS.insert(DumperHandle { sink: Mutex::new(Some(sink)) })
}

/// Runs `f` on the open writer behind `d`, recording errors on it.
fn with_dumper(d: *mut ringcap_dumper, f: impl FnOnce(&mut Sink) -> Result<i32>) -> i32 {
    match DUMPERS.get(d) {
        Ok(h) => boundary(Some(h.last_error()), || {
            let mut guard = h.sink.lock().unwrap_or_else(|p| p.into_inner());
            let sink =
                guard.as_mut().ok_or_else(|| Error::new(ErrorCode::InvalidHandle, "ringcap_dumper is closed"))?;
            f(sink)
        }),
        Err(e) => boundary(None, || Err(e)),
    }
}

/// Creates the savefile `path` (truncated if it exists) in `format`
/// (RINGCAP_SAVEFILE_FORMAT_PCAP or _PCAPNG) for packets of link type
/// `linktype` (a DLT_ value, e.g. 1 for Ethernet), with `snaplen` in its
/// header and nanosecond (`nanoseconds` true) or microsecond time stamps.
/// Stores the handle in `*out`. Errors: RINGCAP_RESULT_INVALID_ARGUMENT
/// (format, or a link type savefiles cannot name), the errno's code when
/// the file cannot be created or written.
#[no_mangle]
pub extern "C" fn ringcap_dumper_open(
    path: *const c_char,
    format: i32,
    linktype: i32,
    snaplen: u32,
    nanoseconds: bool,
    out: *mut *mut ringcap_dumper,
) -> i32 {
    boundary(None, || {
        // SAFETY: C passes a NUL-terminated string or NULL.
        let path = unsafe { c_str(path, "path") }?;
        // SAFETY: C passes a writable pointer or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let precision = if nanoseconds { Precision::Nano } else { Precision::Micro };
        *out = register(open(path, format, &WriterConfig::new(linktype, snaplen, precision))?)?;
        Ok(0)
    })
}

/// Like ringcap_dumper_open() for the packets of capture `h`: its link
/// type (DLT_EN10MB for SOCK_RAW on Ethernet and loopback; DLT_RAW for
/// SOCK_DGRAM, whose packets start at the network header, so readers take
/// them for IPv4/IPv6), its snaplen, nanosecond time stamps. SOCK_RAW on
/// "any" has no single link type and is refused
/// (RINGCAP_RESULT_INVALID_ARGUMENT).
#[no_mangle]
pub extern "C" fn ringcap_dumper_open_capture(
    h: *mut ringcap_capture,
    path: *const c_char,
    format: i32,
    out: *mut *mut ringcap_dumper,
) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a NUL-terminated string or NULL.
        let path = unsafe { c_str(path, "path") }?;
        // SAFETY: C passes a writable pointer or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let (link, snaplen) = handle.with(|c| Ok((c.filter_link_type()?, c.snaplen())))?;
        *out = register(open(path, format, &WriterConfig::new(link.dlt(), snaplen, Precision::Nano))?)?;
        Ok(0)
    })
}

/// Appends one packet: `meta->caplen` bytes of `data` with the packet's
/// time stamp and wire length, as a capture callback received them (so a
/// callback can pass its arguments straight through). Returns 0 or a
/// negative ringcap_result (write errors are reported, unlike pcap_dump).
#[no_mangle]
pub extern "C" fn ringcap_dumper_write(d: *mut ringcap_dumper, data: *const u8, meta: *const PacketMeta) -> i32 {
    with_dumper(d, |sink| {
        // SAFETY: C passes a readable ringcap_packet_meta or NULL.
        let m = unsafe { in_ref(meta, "meta") }?;
        // SAFETY: C passes `meta->caplen` readable bytes (NULL only with caplen 0).
        let data = unsafe { in_slice(data, m.caplen as usize, "data") }?;
        let frac = match sink.precision() {
            Precision::Nano => m.ts_nsec as i64,
            Precision::Micro => (m.ts_nsec / 1000) as i64,
        };
        let header = PacketHeader { ts_sec: m.ts_sec as i64, ts_frac: frac, caplen: m.caplen, len: m.len };
        sink.dump(&header, data).map(|()| 0)
    })
}

/// Writes buffered packets to the file.
#[no_mangle]
pub extern "C" fn ringcap_dumper_flush(d: *mut ringcap_dumper) -> i32 {
    with_dumper(d, |sink| sink.flush().map(|()| 0))
}

/// Flushes and closes the file. Returns 0, or the error of the final
/// flush (the handle is closed either way). NULL and already-closed
/// handles return 0.
#[no_mangle]
pub extern "C" fn ringcap_dumper_close(d: *mut ringcap_dumper) -> i32 {
    let Ok(h) = DUMPERS.get(d) else { return 0 };
    boundary(None, || {
        let sink = h.sink.lock().unwrap_or_else(|p| p.into_inner()).take();
        DUMPERS.remove(d);
        match sink {
            Some(mut s) => s.flush().map(|()| 0),
            None => Ok(0),
        }
    })
}

/// The message of the last failed call on this dumper ("" if none). For
/// a NULL or closed handle, a fixed message.
#[no_mangle]
pub extern "C" fn ringcap_dumper_last_error(d: *const ringcap_dumper) -> *const c_char {
    match DUMPERS.get(d) {
        Ok(h) => h.last_error().as_ptr(),
        Err(_) => c"ringcap_dumper handle is NULL, closed, or was never returned by ringcap".as_ptr(),
    }
}
