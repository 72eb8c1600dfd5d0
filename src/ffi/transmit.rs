//! `ringcap_tx_config` and `ringcap_tx`: an open TX ring, and
//! `ringcap_duplex_open` for one socket with both rings.
//!
//! Threading contract: one thread at a time uses a `ringcap_tx` (calls are
//! serialised by a lock, so concurrent use is safe but not useful). A
//! `ringcap_tx` from ringcap_duplex_open may be used from its capture's
//! callback (they are different handles).

use std::ffi::c_char;
use std::sync::Mutex;

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::boundary::{self, boundary, boundary_ptr, c_str, in_ref, in_slice, out_ref};
use crate::ffi::capture::{register_capture, ringcap_capture, ringcap_ring_info};
use crate::ffi::config::{ringcap_config, FailedSetters, CONFIGS};
use crate::ffi::handles::{HandleKind, Handles};
use crate::geometry::Layout;
use crate::geometry::Version;
use crate::socket::SocketKind;
use crate::tx::{Transmitter, TxConfig, TxTimestamps, VnetHeader};

/// Opaque TX configuration handle, from ringcap_tx_config_new().
pub struct ringcap_tx_config {
    _private: [u8; 0],
}

/// Opaque TX handle, from ringcap_tx_open() or ringcap_duplex_open().
pub struct ringcap_tx {
    _private: [u8; 0],
}

/// Counters of a TX handle since open.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ringcap_tx_counters {
    /// Packets committed to the ring.
    pub queued: u64,
    /// Packets the kernel handed back as done (sent, or skipped under PACKET_LOSS).
    pub completed: u64,
    /// Frames the kernel rejected (TP_STATUS_WRONG_FORMAT).
    pub rejected: u64,
    /// send() calls made to kick the kernel.
    pub kicks: u64,
    /// Times a commit found the ring full (and waited, or returned RINGCAP_RESULT_RING_FULL).
    pub ring_full: u64,
    /// send() calls that reported a packet dropped by the qdisc or device (ENOBUFS).
    pub send_errors: u64,
    /// Bytes committed.
    pub bytes_queued: u64,
    /// Frames committed and not yet handed back.
    pub in_flight: u32,
}

/// A frame the kernel rejected (TP_STATUS_WRONG_FORMAT).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ringcap_tx_rejection {
    /// Frame index in the TX ring.
    pub index: u32,
    /// Length of the packet in the frame.
    pub len: u32,
    /// Sequence number of the packet: 0 for the first packet committed on the handle.
    pub seq: u64,
    /// errno the kernel's send() reported (EINVAL, EMSGSIZE, ...), 0 if none.
    pub error_number: i32,
    /// Why, as text (NUL-terminated, truncated to fit).
    pub reason: [c_char; 256],
}

/// A transmit timestamp, read back when the kernel returned the frame.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ringcap_tx_timestamp {
    /// Sequence number of the packet (0 for the first one committed).
    pub seq: u64,
    /// Seconds since the epoch (0 when source is 0).
    pub ts_sec: u64,
    /// Nanoseconds within the second.
    pub ts_nsec: u32,
    /// TP_STATUS_TS_RAW_HARDWARE or TP_STATUS_TS_SOFTWARE; 0 when the frame
    /// came back without a timestamp.
    pub source: u32,
}

pub(crate) struct TxConfigHandle {
    config: Mutex<TxConfig>,
    failed: FailedSetters,
}

impl TxConfigHandle {
    /// The configuration to open, or why it must not be opened (a setter
    /// whose last call failed).
    fn to_open(&self) -> Result<TxConfig> {
        self.failed.check()?;
        Ok(self.config.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

struct TxHandle {
    tx: Mutex<Option<Transmitter>>,
}

static TX_CONFIGS: Handles<TxConfigHandle> = Handles::new(HandleKind::TxConfig, "ringcap_tx_config");
static TXS: Handles<TxHandle> = Handles::new(HandleKind::Tx, "ringcap_tx");

/// Runs setter `name`'s body `f` on the TX configuration behind `cfg`, as
/// the capture configuration's with_config does: a failure is remembered
/// until the same setter succeeds (open refuses meanwhile), a success
/// clears the last error.
fn with_config(cfg: *mut ringcap_tx_config, name: &'static str, f: impl FnOnce(&mut TxConfig) -> Result<()>) -> i32 {
    let handle = match TX_CONFIGS.get(cfg) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(handle.last_error()), || {
        let mut config = handle.config.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = f(&mut config);
        handle.failed.record(name, &outcome);
        if outcome.is_ok() {
            handle.last_error().clear();
        }
        outcome.map(|()| 0)
    })
}

fn with_tx(h: *const ringcap_tx, f: impl FnOnce(&mut Transmitter) -> Result<i32>) -> i32 {
    let handle = match TXS.get(h) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(handle.last_error()), || {
        let mut guard = handle.tx.lock().unwrap_or_else(|p| p.into_inner());
        let tx = guard.as_mut().ok_or_else(|| Error::new(ErrorCode::InvalidHandle, "ringcap_tx handle is closed"))?;
        f(tx)
    })
}

/// Creates a TX configuration with the defaults: no interface (set one),
/// SOCK_RAW, TPACKET_V2, a 1 MiB ring sized for the device MTU, qdisc in
/// the path, PACKET_LOSS off, no data offset, no timestamps, kicks only
/// when the ring is full or on ringcap_tx_kick()/ringcap_tx_flush(),
/// waiting when the ring is full. Returns NULL only
/// if memory is exhausted. Free with ringcap_tx_config_free().
#[no_mangle]
pub extern "C" fn ringcap_tx_config_new() -> *mut ringcap_tx_config {
    boundary_ptr(|| {
        TX_CONFIGS.insert(TxConfigHandle { config: Mutex::new(TxConfig::default()), failed: FailedSetters::default() })
    })
}

/// Frees a TX configuration. NULL and already-freed handles are ignored.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_free(cfg: *mut ringcap_tx_config) {
    boundary(None, || {
        TX_CONFIGS.remove(cfg);
        Ok(0)
    });
}

/// The interface to send on ("any" cannot send). Unknown names are reported
/// by ringcap_tx_open() with RINGCAP_RESULT_UNKNOWN_INTERFACE.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_interface(cfg: *mut ringcap_tx_config, name: *const c_char) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_interface", |c| {
        // SAFETY: C passes a NUL-terminated string or NULL.
        let name = unsafe { c_str(name, "interface name") }?;
        crate::socket::check_interface_name(name, true)?;
        c.interface = name.to_string();
        Ok(())
    })
}

/// TPACKET version of the TX ring: 1, 2 (default) or 3.
/// Errors: RINGCAP_RESULT_INVALID_VERSION.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_version(cfg: *mut ringcap_tx_config, version: i32) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_version", |c| {
        c.version = Version::from_number(version as i64)?;
        Ok(())
    })
}

/// RINGCAP_SOCKET_TYPE_RAW (default: the caller writes the link-layer
/// header) or RINGCAP_SOCKET_TYPE_DGRAM (the kernel writes it from
/// ringcap_tx_config_set_destination()).
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_socket_type(cfg: *mut ringcap_tx_config, kind: i32) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_socket_type", |c| {
        c.kind = SocketKind::from_number(kind)?;
        Ok(())
    })
}

/// SOCK_DGRAM: the link-layer destination address of every packet (`len`
/// 1 to 8 bytes, e.g. a 6-byte MAC) and their EtherType in host byte order.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_destination(
    cfg: *mut ringcap_tx_config,
    addr: *const u8,
    len: usize,
    ethertype: u16,
) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_destination", |c| {
        if len == 0 || len > 8 {
            return Err(Error::invalid(format!("destination address of {len} bytes; valid: 1 to 8")));
        }
        if ethertype == 0 {
            return Err(Error::invalid("EtherType 0 is invalid; give the packets' protocol, e.g. 0x0800"));
        }
        // SAFETY: C passes `len` readable bytes or NULL.
        let addr = unsafe { in_slice(addr, len, "destination address") }?;
        c.destination = addr.to_vec();
        c.protocol = ethertype;
        Ok(())
    })
}

/// Ring size in bytes for the sizing helper (default 1 MiB); frames are
/// sized for the device MTU plus link header (and data offset).
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_buffer_size(cfg: *mut ringcap_tx_config, bytes: usize) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_buffer_size", |c| {
        let page = crate::geometry::page_size();
        if bytes < page || bytes > u32::MAX as usize {
            return Err(Error::invalid(format!(
                "buffer size {bytes} is out of range; valid: {page} to {} bytes",
                u32::MAX
            )));
        }
        c.buffer_bytes = bytes;
        c.layout = None;
        Ok(())
    })
}

/// An explicit TX ring layout, checked at once against the kernel's rules
/// for the configured version (set the version first) with the same codes
/// as ringcap_config_set_geometry().
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_geometry(
    cfg: *mut ringcap_tx_config,
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_geometry", |c| {
        let old = c.layout;
        c.layout = Some(Layout { block_size, block_nr, frame_size, frame_nr });
        match c.explicit_geometry(0).map(|g| g.validate()) {
            Some(Err(e)) => {
                c.layout = old;
                Err(e)
            }
            _ => Ok(()),
        }
    })
}

/// PACKET_QDISC_BYPASS: frames go straight to the driver, skipping the
/// qdisc layer (and other packet sockets do not see them). Default off.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_qdisc_bypass(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_qdisc_bypass", |c| {
        c.qdisc_bypass = on;
        Ok(())
    })
}

/// PACKET_LOSS: the kernel skips a frame it cannot send (marking it done)
/// instead of stopping there, without a report. Off (default), a rejected
/// frame stops the ring and is reported (RINGCAP_RESULT_WRONG_FORMAT,
/// ringcap_tx_next_error()); go on with ringcap_tx_skip_rejected(), or close.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_loss(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_loss", |c| {
        c.loss = on;
        Ok(())
    })
}

/// PACKET_VNET_HDR (default off): each frame carries a virtio-net header
/// (ringcap_vnet_header) in front of the packet, with which a packet asks
/// the kernel for segmentation (GSO: a TCP or UDP packet of up to 64 KiB
/// cut into gso_size segments, each with its headers and checksums) or for
/// its checksum to be filled in (flags NEEDS_CSUM at csum_start +
/// csum_offset). Send such packets with ringcap_tx_send_vnet() or
/// ringcap_tx_commit_vnet(); ringcap_tx_send() and ringcap_tx_commit() send
/// an all-zero header (nothing asked). Frames are sized for 64 KiB packets.
/// SOCK_RAW only (the kernel refuses it on SOCK_DGRAM); on a combined
/// socket (ringcap_duplex_open) the capture configuration must ask for it
/// too, the option being per socket.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_vnet_header(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_vnet_header", |c| {
        let old = c.vnet_header;
        c.vnet_header = on;
        c.check_vnet_header().inspect_err(|_| c.vnet_header = old)
    })
}

/// PACKET_TX_HAS_OFF: packet data starts `offset` bytes into each frame
/// (e.g. to align a payload). 0 restores the default position. The offset
/// must be at least the frame header (32 bytes for V1/V2, 48 for V3).
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_data_offset(cfg: *mut ringcap_tx_config, offset: u32) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_data_offset", |c| {
        let old = c.data_offset;
        c.data_offset = (offset != 0).then_some(offset);
        c.check_data_offset().inspect_err(|_| c.data_offset = old)
    })
}

/// SO_PRIORITY of the packets sent (0 to 6; higher needs CAP_NET_ADMIN).
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_priority(cfg: *mut ringcap_tx_config, priority: i32) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_priority", |c| {
        if priority < 0 {
            return Err(Error::invalid(format!("priority {priority} is negative; valid: 0 and up")));
        }
        c.priority = Some(priority);
        Ok(())
    })
}

/// Transmit timestamps (PACKET_TIMESTAMP): hardware when the device can
/// stamp sent packets, else software, in which case ringcap_tx_open()
/// returns RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK. Read them with
/// ringcap_tx_next_timestamp().
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_timestamps(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_timestamps", |c| {
        c.timestamps = if on { TxTimestamps::On } else { TxTimestamps::Off };
        Ok(())
    })
}

/// Frames committed between automatic kicks. 0 (the default) kicks only
/// when the ring is full or on ringcap_tx_kick()/ringcap_tx_flush(): the
/// cheapest per packet (bench/tx/README.md), but a burst smaller than the
/// ring waits for the caller's kick. A small value trades CPU for latency.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_batch(cfg: *mut ringcap_tx_config, frames: u32) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_batch", |c| {
        c.batch = frames;
        Ok(())
    })
}

/// Nonblocking: a commit that finds the ring full returns
/// RINGCAP_RESULT_RING_FULL instead of waiting for a free frame.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_nonblocking(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_nonblocking", |c| {
        c.nonblocking = on;
        Ok(())
    })
}

/// Try MAP_LOCKED for the ring (default true); falls back silently.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_set_lock_memory(cfg: *mut ringcap_tx_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_tx_config_set_lock_memory", |c| {
        c.lock_memory = on;
        Ok(())
    })
}

/// The message of the last failed call on this TX configuration, "" when
/// the last call on it succeeded. A configuration whose setter failed does
/// not open (ringcap_tx_open(), ringcap_duplex_open() name the setter)
/// until that setter succeeds.
#[no_mangle]
pub extern "C" fn ringcap_tx_config_last_error(cfg: *const ringcap_tx_config) -> *const c_char {
    match TX_CONFIGS.get(cfg) {
        Ok(h) => h.last_error().as_ptr(),
        Err(_) => c"ringcap_tx_config handle is NULL, freed, or was never returned by ringcap".as_ptr(),
    }
}

fn register_tx(tx: Transmitter) -> Result<(*mut ringcap_tx, i32)> {
    let warning = tx.warning().cloned().or_else(|| {
        tx.shrunk()
            .then(|| Error::new(ErrorCode::WarningRingShrunk, "the kernel was short of memory; the TX ring was shrunk"))
    });
    let ptr = TXS.insert(TxHandle { tx: Mutex::new(Some(tx)) })?;
    let code = match &warning {
        Some(w) => {
            boundary::record(w);
            if let Ok(h) = TXS.get(ptr) {
                h.last_error().set(w);
            }
            w.code().as_i32()
        }
        None => 0,
    };
    Ok((ptr, code))
}

/// Opens a TX ring with the options in `cfg` and stores the handle in
/// `*out`. Returns 0; or a positive warning (the handle is open):
/// RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK when timestamps were asked for
/// and the device cannot stamp in hardware, RINGCAP_RESULT_WARNING_RING_SHRUNK
/// when memory was short; or a negative ringcap_result. The text is in
/// ringcap_tx_config_last_error(cfg) / ringcap_tx_last_error(*out) and ringcap_last_error().
#[no_mangle]
pub extern "C" fn ringcap_tx_open(cfg: *const ringcap_tx_config, out: *mut *mut ringcap_tx) -> i32 {
    let config_handle = match TX_CONFIGS.get(cfg) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(config_handle.last_error()), || {
        // SAFETY: C passes a writable pointer or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let config = config_handle.to_open()?;
        let tx = Transmitter::open(&config)?;
        config_handle.last_error().clear();
        if let Some(w) = tx.warning() {
            config_handle.last_error().set(w);
        }
        let (h, code) = register_tx(tx)?;
        *out = h;
        Ok(code)
    })
}

/// Opens one socket with an RX ring (options from `rx`) and a TX ring
/// (options from `tx`) in a single mapping, RX first. The interface,
/// version, socket type and reserve are the capture's; `tx`'s are ignored.
/// A socket has one PACKET_TIMESTAMP setting, so TX timestamps on a
/// combined socket also choose the RX timestamp source.
/// Stores a capture handle in `*rx_out` and a TX handle in `*tx_out`; each
/// is closed with its own close function (the socket closes with the last).
/// Returns 0, a positive warning as ringcap_tx_open() does, or a negative
/// ringcap_result (nothing is stored then).
#[no_mangle]
pub extern "C" fn ringcap_duplex_open(
    rx: *const ringcap_config,
    tx: *const ringcap_tx_config,
    rx_out: *mut *mut ringcap_capture,
    tx_out: *mut *mut ringcap_tx,
) -> i32 {
    let rx_handle = match CONFIGS.get(rx) {
        Ok(h) => h,
        Err(e) => return boundary(None, || Err(e)),
    };
    boundary(Some(rx_handle.last_error()), || {
        let tx_handle = TX_CONFIGS.get(tx)?;
        // SAFETY: C passes writable pointers or NULL.
        let rx_out = unsafe { out_ref(rx_out, "rx_out") }?;
        // SAFETY: as above.
        let tx_out = unsafe { out_ref(tx_out, "tx_out") }?;
        let rx_config = rx_handle.to_open()?;
        let mut tx_config = tx_handle.to_open()?;
        tx_config.interface = rx_config.interface.clone();
        let (capture_ptr, shrunk, transmitter) = register_capture(&rx_config, |c| crate::duplex::open(c, &tx_config))?;
        if let Some(w) = transmitter.warning() {
            rx_handle.last_error().set(w);
        }
        let (tx_ptr, code) = register_tx(transmitter)?;
        *rx_out = capture_ptr;
        *tx_out = tx_ptr;
        Ok(if code != 0 {
            code
        } else if shrunk {
            ErrorCode::WarningRingShrunk.as_i32()
        } else {
            0
        })
    })
}

/// The data area of the next free frame: `*buf` points to it and `*room`
/// is the largest packet it takes (the device MTU plus link header, or the
/// frame's space if smaller; with PACKET_VNET_HDR, the largest GSO packet,
/// the virtio-net header having its own place before `*buf`). Write the
/// packet there, then call ringcap_tx_commit() (or ringcap_tx_commit_vnet()). Calling again before committing returns the same
/// frame. When the ring is full this kicks and waits for a frame, or in
/// nonblocking mode returns RINGCAP_RESULT_RING_FULL. The pointer is valid
/// until the commit or close.
#[no_mangle]
pub extern "C" fn ringcap_tx_frame(h: *mut ringcap_tx, buf: *mut *mut u8, room: *mut usize) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes writable pointers or NULL.
        let buf = unsafe { out_ref(buf, "buf") }?;
        // SAFETY: as above.
        let room = unsafe { out_ref(room, "room") }?;
        let frame = t.frame()?;
        *room = frame.len();
        *buf = frame.as_mut_ptr();
        Ok(0)
    })
}

/// Queues the frame from ringcap_tx_frame() with a `len`-byte packet
/// (frames go out in the order committed). Kicks the kernel when a batch is
/// full. Errors: RINGCAP_RESULT_PACKET_TOO_LARGE (the message names the
/// packet's size and the limit; the frame stays reserved for a retry),
/// RINGCAP_RESULT_WRONG_STATE (no frame reserved), RINGCAP_RESULT_WRONG_FORMAT
/// (the kernel stopped at a rejected frame; see ringcap_tx_next_error()).
#[no_mangle]
pub extern "C" fn ringcap_tx_commit(h: *mut ringcap_tx, len: usize) -> i32 {
    with_tx(h, |t| t.commit(len).map(|_| 0))
}

/// Copies `len` bytes into the next frame and queues it: ringcap_tx_frame()
/// plus ringcap_tx_commit(), with the same errors. An oversized packet is
/// refused (RINGCAP_RESULT_PACKET_TOO_LARGE) before any frame is taken.
#[no_mangle]
pub extern "C" fn ringcap_tx_send(h: *mut ringcap_tx, data: *const u8, len: usize) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes `len` readable bytes or NULL.
        let data = unsafe { in_slice(data, len, "data") }?;
        t.send(data).map(|_| 0)
    })
}

/// ringcap_tx_commit() with a virtio-net header for the packet (a handle
/// opened with ringcap_tx_config_set_vnet_header()). The header is checked
/// as the kernel would: known gso_type, a gso_size and NEEDS_CSUM for GSO,
/// the checksum position and hdr_len inside the packet
/// (RINGCAP_RESULT_INVALID_ARGUMENT, naming the field). A GSO packet may be
/// as large as ringcap_tx_max_gso_packet(); one without GSO stops at
/// ringcap_tx_max_packet(). RINGCAP_RESULT_WRONG_STATE on a handle without
/// PACKET_VNET_HDR.
#[no_mangle]
pub extern "C" fn ringcap_tx_commit_vnet(h: *mut ringcap_tx, header: *const VnetHeader, len: usize) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a readable header or NULL.
        let header = unsafe { in_ref(header, "header") }?;
        t.commit_vnet(len, header).map(|_| 0)
    })
}

/// ringcap_tx_send() with a virtio-net header (see ringcap_tx_commit_vnet()).
#[no_mangle]
pub extern "C" fn ringcap_tx_send_vnet(
    h: *mut ringcap_tx,
    header: *const VnetHeader,
    data: *const u8,
    len: usize,
) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a readable header or NULL.
        let header = unsafe { in_ref(header, "header") }?;
        // SAFETY: C passes `len` readable bytes or NULL.
        let data = unsafe { in_slice(data, len, "data") }?;
        t.send_vnet(header, data).map(|_| 0)
    })
}

/// Asks the kernel to send every queued frame, without waiting (one
/// send() with MSG_DONTWAIT). Returns 0, or RINGCAP_RESULT_WRONG_FORMAT when
/// the kernel stopped at a rejected frame, or another negative result.
#[no_mangle]
pub extern "C" fn ringcap_tx_kick(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| t.kick().map(|_| 0))
}

/// Sends every queued frame and waits until the kernel handed all of them
/// back. Returns 0, RINGCAP_RESULT_WRONG_FORMAT when the kernel stopped at a
/// rejected frame (the frames behind it wait: see
/// ringcap_tx_skip_rejected()), or another negative result.
#[no_mangle]
pub extern "C" fn ringcap_tx_flush(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| t.flush().map(|_| 0))
}

/// Goes on after RINGCAP_RESULT_WRONG_FORMAT (PACKET_LOSS off): the kernel
/// stays on a rejected frame for good, so the ring is rebuilt and the
/// frames committed behind the rejected one are queued again, in order and
/// with their sequence numbers, and kicked. The report stays in
/// ringcap_tx_next_error() and the counters. Returns how many frames were
/// queued again (0 if nothing was stopped), or a negative result:
/// RINGCAP_RESULT_UNSUPPORTED on a handle from ringcap_duplex_open(), whose
/// rings share one mapping with the capture (use PACKET_LOSS there).
/// A frame reserved with ringcap_tx_frame() and not committed is released:
/// its pointer is invalid after this call. Takes about two RCU grace
/// periods (milliseconds): an error path, not a per-packet one.
#[no_mangle]
pub extern "C" fn ringcap_tx_skip_rejected(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| t.skip_rejected().map(|n| n.min(i32::MAX as u32) as i32))
}

/// Counters since open.
#[no_mangle]
pub extern "C" fn ringcap_tx_stats(h: *mut ringcap_tx, out: *mut ringcap_tx_counters) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a writable struct or NULL.
        let out = unsafe { out_ref(out, "stats") }?;
        let s = t.stats();
        *out = ringcap_tx_counters {
            queued: s.queued,
            completed: s.completed,
            rejected: s.rejected,
            kicks: s.kicks,
            ring_full: s.ring_full,
            send_errors: s.send_errors,
            bytes_queued: s.bytes_queued,
            in_flight: t.in_flight(),
        };
        Ok(0)
    })
}

/// Takes the oldest report of a frame the kernel rejected: returns 1 and
/// fills `*out`, or 0 when there is none. With PACKET_LOSS the kernel skips
/// bad frames without telling, so no reports are made.
#[no_mangle]
pub extern "C" fn ringcap_tx_next_error(h: *mut ringcap_tx, out: *mut ringcap_tx_rejection) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a writable struct or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let Some(r) = t.next_rejection() else { return Ok(0) };
        let mut reason = [0 as c_char; 256];
        for (dst, src) in reason.iter_mut().zip(r.reason.bytes().filter(|&b| b != 0).take(255)) {
            *dst = src as c_char;
        }
        *out = ringcap_tx_rejection { index: r.index, len: r.len, seq: r.seq, error_number: r.errno, reason };
        Ok(1)
    })
}

/// Takes the oldest transmit timestamp (timestamps must be on): returns 1
/// and fills `*out`, or 0 when no sent frame is waiting to be read.
#[no_mangle]
pub extern "C" fn ringcap_tx_next_timestamp(h: *mut ringcap_tx, out: *mut ringcap_tx_timestamp) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a writable struct or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        let Some(s) = t.next_timestamp() else { return Ok(0) };
        *out = ringcap_tx_timestamp { seq: s.seq, ts_sec: s.ts_sec, ts_nsec: s.ts_nsec, source: s.source };
        Ok(1)
    })
}

/// The TX ring the handle got.
#[no_mangle]
pub extern "C" fn ringcap_tx_ring_info(h: *mut ringcap_tx, out: *mut ringcap_ring_info) -> i32 {
    with_tx(h, |t| {
        // SAFETY: C passes a writable struct or NULL.
        let out = unsafe { out_ref(out, "ring info") }?;
        let g = t.geometry();
        *out = ringcap_ring_info {
            version: g.version.number(),
            block_size: g.block_size,
            block_nr: g.block_nr,
            frame_size: g.frame_size,
            frame_nr: g.frame_nr,
            ring_bytes: g.ring_bytes(),
            memory_locked: t.memory_locked(),
            shrunk: t.shrunk(),
            requested_bytes: g.ring_bytes(),
            // TX rings have no retire timer.
            block_timeout_ms: 0,
        };
        Ok(0)
    })
}

/// The largest packet the handle accepts, in bytes (or a negative result).
#[no_mangle]
pub extern "C" fn ringcap_tx_max_packet(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| Ok(t.max_packet().min(i32::MAX as usize) as i32))
}

/// The largest packet ringcap_tx_send_vnet()/ringcap_tx_commit_vnet() take
/// under a GSO header: the frame's room after the virtio-net header, at
/// most 65535; 0 on a handle without PACKET_VNET_HDR (or a negative result).
#[no_mangle]
pub extern "C" fn ringcap_tx_max_gso_packet(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| Ok(t.max_gso_packet().min(i32::MAX as usize) as i32))
}

/// The packet socket's file descriptor (or a negative result).
#[no_mangle]
pub extern "C" fn ringcap_tx_get_fd(h: *mut ringcap_tx) -> i32 {
    with_tx(h, |t| Ok(t.fd()))
}

/// Switches between waiting for a free frame (false) and returning
/// RINGCAP_RESULT_RING_FULL (true) when the ring is full.
#[no_mangle]
pub extern "C" fn ringcap_tx_set_nonblocking(h: *mut ringcap_tx, on: bool) -> i32 {
    with_tx(h, |t| {
        t.set_nonblocking(on);
        Ok(0)
    })
}

/// Frames per automatic kick (0: only when full or on request).
#[no_mangle]
pub extern "C" fn ringcap_tx_set_batch(h: *mut ringcap_tx, frames: u32) -> i32 {
    with_tx(h, |t| {
        t.set_batch(frames);
        Ok(0)
    })
}

/// For tests only: the next TPACKET_V3 frame committed carries this
/// tp_next_offset, which the kernel refuses (variable-size TX frames do not
/// exist), so the rejection path can be exercised. Errors on V1/V2.
/// Built only with the test-hooks cargo feature, and left out of the header.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn ringcap_tx_test_set_next_offset(h: *mut ringcap_tx, value: u32) -> i32 {
    with_tx(h, |t| t.test_set_next_offset(value).map(|_| 0))
}

/// Drains the ring (every queued packet is sent and handed back), then
/// unmaps it and closes the socket. A frame the kernel rejects does not
/// fail the close: it is skipped as ringcap_tx_skip_rejected() does and the
/// packets behind it are sent (call ringcap_tx_flush() first to get the
/// report; on a ringcap_duplex_open() handle they are not sent). Returns 0,
/// or RINGCAP_RESULT_INTERFACE_DOWN when the device went down with packets
/// queued (they were not sent). The handle is closed either way. NULL and
/// closed handles return 0.
#[no_mangle]
pub extern "C" fn ringcap_tx_close(h: *mut ringcap_tx) -> i32 {
    let Ok(handle) = TXS.get(h) else { return 0 };
    boundary(Some(handle.last_error()), || {
        TXS.remove(h);
        let tx = handle.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        match tx {
            Some(t) => t.close().map(|_| 0),
            None => Ok(0),
        }
    })
}

/// The message of the last failed call (or open warning) on this handle
/// ("" if none), valid until the next failure on it.
#[no_mangle]
pub extern "C" fn ringcap_tx_last_error(h: *const ringcap_tx) -> *const c_char {
    match TXS.get(h) {
        Ok(handle) => handle.last_error().as_ptr(),
        Err(_) => c"ringcap_tx handle is NULL, closed, or was never returned by ringcap".as_ptr(),
    }
}
