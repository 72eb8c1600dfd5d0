//! `ringcap_config`: the options a capture handle is opened with. Setters
//! keep the ABI stable as options are added, and check their value at once.

use std::ffi::c_char;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::ffi::boundary::{boundary, boundary_ptr, c_str};
use crate::ffi::handles::{HandleKind, Handles};
use crate::geometry::Layout;
use crate::geometry::Version;
use crate::rx::CaptureConfig;
use crate::socket::SocketKind;

/// Opaque configuration handle, from ringcap_config_new().
pub struct ringcap_config {
    _private: [u8; 0],
}

pub(crate) struct ConfigHandle {
    pub(crate) config: Mutex<CaptureConfig>,
    failed: FailedSetters,
}

impl ConfigHandle {
    pub(crate) fn new(config: CaptureConfig) -> ConfigHandle {
        ConfigHandle { config: Mutex::new(config), failed: FailedSetters::default() }
    }

    /// The configuration to open, or why it must not be opened.
    pub(crate) fn to_open(&self) -> Result<CaptureConfig> {
        self.failed.check()?;
        Ok(self.config.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

/// Setters of a configuration whose last call failed, with their error:
/// the configuration still holds the previous value, so opening it would
/// silently ignore what the caller asked for. Calling the setter again
/// successfully clears its entry.
#[derive(Default)]
pub(crate) struct FailedSetters(Mutex<Vec<(&'static str, Error)>>);

impl FailedSetters {
    /// Records the outcome of a call of `setter`.
    pub(crate) fn record(&self, setter: &'static str, outcome: &Result<()>) {
        let mut failed = self.0.lock().unwrap_or_else(|p| p.into_inner());
        failed.retain(|(s, _)| *s != setter);
        if let Err(e) = outcome {
            failed.push((setter, e.clone()));
        }
    }

    /// Err naming the first setter whose last call failed, with its code.
    pub(crate) fn check(&self) -> Result<()> {
        let failed = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match failed.first() {
            Some((setter, e)) => Err(Error::new(
                e.code(),
                format!(
                    "{setter}() failed ({}), so the configuration does not hold what was asked for; call {setter}() again with a valid value before opening",
                    e.message()
                ),
            )),
            None => Ok(()),
        }
    }
}

pub(crate) static CONFIGS: Handles<ConfigHandle> = Handles::new(HandleKind::Config, "ringcap_config");

/// Socket types a capture can use.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ringcap_socket_type {
    /// Packets include their link-layer header.
    Raw = 0,
    /// The link-layer header is removed; its fields are in the metadata.
    Dgram = 1,
}

/// Runs setter `name`'s body `f` on the configuration behind `cfg`,
/// recording errors on it. A failure is remembered until the same setter
/// succeeds, and the configuration refuses to open meanwhile; a success
/// clears the handle's last error.
pub(crate) fn with_config(
    cfg: *mut ringcap_config,
    name: &'static str,
    f: impl FnOnce(&mut CaptureConfig) -> Result<()>,
) -> i32 {
    let handle = match CONFIGS.get(cfg) {
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

/// Creates a configuration with the defaults: interface "any", SOCK_RAW,
/// TPACKET_V3, all protocols, snaplen 262144, an 8 MiB ring sized without
/// waste (64 blocks of 128 KiB), 1 ms V3 block timeout, 4 ms wake-up
/// coalescing under load, dispatch waits until a packet arrives.
/// Returns NULL only if memory is exhausted. Free with ringcap_config_free().
#[no_mangle]
pub extern "C" fn ringcap_config_new() -> *mut ringcap_config {
    boundary_ptr(|| CONFIGS.insert(ConfigHandle::new(CaptureConfig::default())))
}

/// Frees a configuration. NULL and already-freed handles are ignored.
/// Capture handles opened from it stay valid.
#[no_mangle]
pub extern "C" fn ringcap_config_free(cfg: *mut ringcap_config) {
    boundary(None, || {
        CONFIGS.remove(cfg);
        Ok(0)
    });
}

/// The interface to capture on, or "any" for all interfaces.
/// Errors: RINGCAP_RESULT_NULL_PARAMETER, RINGCAP_RESULT_INVALID_ARGUMENT
/// (empty or longer than 15 characters). Unknown names are reported by
/// ringcap_capture_open() with RINGCAP_RESULT_UNKNOWN_INTERFACE.
#[no_mangle]
pub extern "C" fn ringcap_config_set_interface(cfg: *mut ringcap_config, name: *const c_char) -> i32 {
    with_config(cfg, "ringcap_config_set_interface", |c| {
        // SAFETY: C passes a NUL-terminated string or NULL.
        let name = unsafe { c_str(name, "interface name") }?;
        crate::socket::check_interface_name(name, false)?;
        c.interface = name.to_string();
        Ok(())
    })
}

/// TPACKET version: 1, 2 or 3 (default 3).
/// Errors: RINGCAP_RESULT_INVALID_VERSION.
#[no_mangle]
pub extern "C" fn ringcap_config_set_version(cfg: *mut ringcap_config, version: i32) -> i32 {
    with_config(cfg, "ringcap_config_set_version", |c| {
        c.version = Version::from_number(version as i64)?;
        Ok(())
    })
}

/// RINGCAP_SOCKET_TYPE_RAW (default) or RINGCAP_SOCKET_TYPE_DGRAM.
#[no_mangle]
pub extern "C" fn ringcap_config_set_socket_type(cfg: *mut ringcap_config, kind: i32) -> i32 {
    with_config(cfg, "ringcap_config_set_socket_type", |c| {
        c.kind = SocketKind::from_number(kind)?;
        Ok(())
    })
}

/// EtherType to capture, in host byte order (default ETH_P_ALL, 0x0003).
#[no_mangle]
pub extern "C" fn ringcap_config_set_protocol(cfg: *mut ringcap_config, ethertype: u16) -> i32 {
    with_config(cfg, "ringcap_config_set_protocol", |c| {
        if ethertype == 0 {
            return Err(Error::invalid("protocol 0 captures nothing; use ETH_P_ALL (3) or an EtherType"));
        }
        c.protocol = ethertype;
        Ok(())
    })
}

/// Bytes kept of each packet, 1 to 262144 (default 262144).
#[no_mangle]
pub extern "C" fn ringcap_config_set_snaplen(cfg: *mut ringcap_config, snaplen: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_snaplen", |c| {
        let old = c.snaplen;
        c.snaplen = snaplen;
        c.check().inspect_err(|_| c.snaplen = old)
    })
}

/// Ring size in bytes for the sizing helper (default 8 MiB); the ring
/// allocated is within one block of it. Minimum: one page.
#[no_mangle]
pub extern "C" fn ringcap_config_set_buffer_size(cfg: *mut ringcap_config, bytes: usize) -> i32 {
    with_config(cfg, "ringcap_config_set_buffer_size", |c| {
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

/// An explicit ring layout instead of the sizing helper. Checked at once
/// against the kernel's rules for the configured version (set the version
/// first), and again at open. Errors: RINGCAP_RESULT_BLOCK_COUNT_ZERO,
/// _BLOCK_SIZE_NOT_PAGE_MULTIPLE, _FRAME_SIZE_NOT_ALIGNED,
/// _FRAME_SIZE_TOO_SMALL, _FRAME_LARGER_THAN_BLOCK, _FRAME_COUNT_MISMATCH,
/// _BLOCK_TOO_SMALL_FOR_V3, _RING_TOO_LARGE; the last error names the bad
/// value and the nearest valid one.
#[no_mangle]
pub extern "C" fn ringcap_config_set_geometry(
    cfg: *mut ringcap_config,
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
) -> i32 {
    with_config(cfg, "ringcap_config_set_geometry", |c| {
        let old = c.layout;
        c.layout = Some(Layout { block_size, block_nr, frame_size, frame_nr });
        c.check().inspect_err(|_| c.layout = old)
    })
}

/// V3: milliseconds after which a partly filled block is handed to user
/// space (default 1, the smallest; Linux before 6.18 rounds it up to a
/// jiffy). It bounds the latency of sparse traffic. 0 lets the kernel choose.
#[no_mangle]
pub extern "C" fn ringcap_config_set_block_timeout(cfg: *mut ringcap_config, ms: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_block_timeout", |c| {
        if ms > 60_000 {
            return Err(Error::invalid(format!("block timeout {ms} ms is out of range; valid: 0 to 60000")));
        }
        c.block_timeout_ms = ms;
        Ok(())
    })
}

/// V3: how long, in milliseconds, the ring must hold sparse traffic while
/// the reader is not reading (a stall), 0 to 3 600 000 (default 0: not
/// asked). When traffic is sparse each block is retired by its timer, so
/// a ring holds block count x block timeout: this raises the block timeout
/// to hold_ms / block count (the default 64 blocks hold 64 ms at 1 ms).
/// The price is latency: sparse packets wait up to that timeout. One
/// setting for the trade; ringcap_config_set_block_timeout sets the same
/// knob directly.
#[no_mangle]
pub extern "C" fn ringcap_config_set_hold_time(cfg: *mut ringcap_config, ms: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_hold_time", |c| {
        if ms > 3_600_000 {
            return Err(Error::invalid(format!("hold time {ms} ms is out of range; valid: 0 to 3600000")));
        }
        if ms > 0 && c.version != Version::V3 {
            return Err(Error::invalid(
                "a hold time needs TPACKET_V3 (blocks retired by a timer); V1/V2 rings hold frame count packets",
            ));
        }
        c.hold_ms = ms;
        Ok(())
    })
}

/// V3: bytes of private area at the start of every block (default 0),
/// reached from a callback with ringcap_packet_block_private(). The kernel's
/// only rule: a block holds its header, the private area (rounded up to 8)
/// and one frame header; an explicit geometry is checked against it at once.
#[no_mangle]
pub extern "C" fn ringcap_config_set_block_private_size(cfg: *mut ringcap_config, bytes: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_block_private_size", |c| {
        let old = c.priv_size;
        c.priv_size = bytes;
        c.check().inspect_err(|_| c.priv_size = old)
    })
}

/// V3: ask the kernel to fill each packet's rx hash (TP_FT_REQ_FILL_RXHASH).
#[no_mangle]
pub extern "C" fn ringcap_config_set_rxhash(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_rxhash", |c| {
        c.rxhash = on;
        Ok(())
    })
}

/// PACKET_RESERVE: bytes of headroom left in front of each RX packet.
#[no_mangle]
pub extern "C" fn ringcap_config_set_reserve(cfg: *mut ringcap_config, bytes: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_reserve", |c| {
        if bytes > 65_536 {
            return Err(Error::invalid(format!("reserve of {bytes} bytes is out of range; valid: 0 to 65536")));
        }
        c.reserve = bytes;
        Ok(())
    })
}

/// How long a dispatch waits for packets: -1 until one arrives or
/// breakloop (default), 0 not at all, otherwise milliseconds.
#[no_mangle]
pub extern "C" fn ringcap_config_set_timeout(cfg: *mut ringcap_config, ms: i32) -> i32 {
    with_config(cfg, "ringcap_config_set_timeout", |c| {
        if ms < -1 {
            return Err(Error::invalid(format!("timeout {ms} ms is invalid; use -1, 0 or a positive number of ms")));
        }
        c.timeout_ms = ms;
        Ok(())
    })
}

/// Wake-up coalescing under load, in microseconds (default 16000; 0 turns
/// it off). After a dispatch that drained 64 or more packets, the next one
/// first waits up to this long (at most the dispatch timeout, and at most
/// what a quarter of the ring takes to fill at the rate just seen, so the
/// pause never costs a drop), so that each wake-up drains several blocks:
/// less CPU per packet under load, at the price of this much added latency
/// while the load lasts. Sparse traffic is not delayed. Valid: 0 to 1000000.
#[no_mangle]
pub extern "C" fn ringcap_config_set_coalesce(cfg: *mut ringcap_config, microseconds: u32) -> i32 {
    with_config(cfg, "ringcap_config_set_coalesce", |c| {
        let old = c.coalesce_us;
        c.coalesce_us = microseconds;
        c.check().inspect_err(|_| c.coalesce_us = old)
    })
}

/// Open in nonblocking mode: dispatch returns 0 at once when nothing is ready.
#[no_mangle]
pub extern "C" fn ringcap_config_set_nonblocking(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_nonblocking", |c| {
        c.nonblocking = on;
        Ok(())
    })
}

/// Try MAP_LOCKED for the ring (default true); falls back silently when
/// RLIMIT_MEMLOCK refuses. ringcap_capture_ring_info() tells which happened.
#[no_mangle]
pub extern "C" fn ringcap_config_set_lock_memory(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_lock_memory", |c| {
        c.lock_memory = on;
        Ok(())
    })
}

/// The message of the last failed call on this configuration, "" when the
/// last call on it succeeded. Valid until the next call on it.
#[no_mangle]
pub extern "C" fn ringcap_config_last_error(cfg: *const ringcap_config) -> *const c_char {
    match CONFIGS.get(cfg) {
        Ok(h) => h.last_error().as_ptr(),
        Err(_) => c"ringcap_config handle is NULL, freed, or was never returned by ringcap".as_ptr(),
    }
}
