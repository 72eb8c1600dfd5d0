//! Packet timestamps: software (the kernel's receive clock, nanoseconds in
//! V2/V3) by default, the NIC's raw hardware clock on request.
//!
//! Hardware stamping needs the driver to stamp received packets
//! (SIOCSHWTSTAMP) and the socket to report those stamps (PACKET_TIMESTAMP
//! with SOF_TIMESTAMPING_RAW_HARDWARE). When the device cannot, the open
//! still succeeds with software stamps and a warning, so the caller is never
//! handed a different clock without being told; each packet's status also
//! says which clock stamped it.

use crate::error::{Error, ErrorCode, Result};
use crate::socket::{Interface, PacketSocket};
use crate::sys;

/// Which clock the caller asks for.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampSource {
    /// The kernel's software receive timestamp (default).
    #[default]
    Software = 0,
    /// The NIC's raw hardware clock; falls back to software with
    /// RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK when unavailable.
    Hardware = 1,
}

impl TimestampSource {
    pub fn from_i32(v: i32) -> Result<TimestampSource> {
        match v {
            0 => Ok(TimestampSource::Software),
            1 => Ok(TimestampSource::Hardware),
            _ => Err(Error::invalid(format!(
                "timestamp source {v} is unknown; valid: RINGCAP_TIMESTAMP_SOURCE_SOFTWARE (0), RINGCAP_TIMESTAMP_SOURCE_HARDWARE (1)"
            ))),
        }
    }
}

/// Which clock stamped one packet, from its TP_STATUS_TS_* bits.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketTimestamp {
    /// No source bit: the kernel took the software clock when it copied
    /// the packet into the ring, because the stack had not stamped it on
    /// receipt (it does only while some socket on the system asked for
    /// receive timestamps). Still the software clock, a little later.
    SoftwareRing = 0,
    /// TP_STATUS_TS_SOFTWARE: the stack's software stamp from when the packet was received.
    Software = 1,
    /// TP_STATUS_TS_SYS_HARDWARE (hardware stamp converted to system time; old kernels only).
    SysHardware = 2,
    /// TP_STATUS_TS_RAW_HARDWARE: the NIC's clock.
    RawHardware = 3,
}

impl PacketTimestamp {
    pub fn from_status(status: u32) -> PacketTimestamp {
        if status & sys::TP_STATUS_TS_RAW_HARDWARE != 0 {
            PacketTimestamp::RawHardware
        } else if status & sys::TP_STATUS_TS_SYS_HARDWARE != 0 {
            PacketTimestamp::SysHardware
        } else if status & sys::TP_STATUS_TS_SOFTWARE != 0 {
            PacketTimestamp::Software
        } else {
            PacketTimestamp::SoftwareRing
        }
    }
}

/// Sets the socket up for `source`. Returns the warning to give the caller
/// when hardware stamps were asked for and software ones will be used.
pub fn configure(socket: &PacketSocket, iface: &Interface, source: TimestampSource) -> Result<Option<Error>> {
    if source == TimestampSource::Software {
        return Ok(None);
    }
    let fallback = |why: String| {
        Ok(Some(Error::new(
            ErrorCode::WarningTimestampFallback,
            format!("hardware timestamps unavailable on '{}': {why}; packets carry software timestamps (status without TP_STATUS_TS_RAW_HARDWARE)", iface.name),
        )))
    };
    if iface.index == 0 {
        return fallback("hardware stamping is per device and \"any\" is not one".into());
    }
    let mut cfg = sys::hwtstamp_config {
        flags: 0,
        tx_type: sys::hwtstamp_tx_types_HWTSTAMP_TX_OFF as i32,
        rx_filter: sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_ALL as i32,
    };
    if let Err(err) = socket.hwtstamp_set(&iface.name, &mut cfg) {
        return match err.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => Err(Error::new(
                ErrorCode::Permission,
                format!("SIOCSHWTSTAMP on '{}': {err}: enabling hardware timestamps needs CAP_NET_ADMIN", iface.name),
            )),
            _ => fallback(format!("the driver refused SIOCSHWTSTAMP ({err})")),
        };
    }
    if cfg.rx_filter == sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_NONE as i32 {
        return fallback("the driver stamps no received packets".into());
    }
    let req = sys::SOF_TIMESTAMPING_RAW_HARDWARE as i32;
    if let Err(e) = socket.set_packet_option(sys::PACKET_TIMESTAMP, &req, "setsockopt(PACKET_TIMESTAMP)") {
        return fallback(format!("{e}"));
    }
    Ok(None)
}

/// Transmit side: makes the stack stamp the packets a TX ring sends, so
/// frames come back with a software time (TP_STATUS_TS_SOFTWARE).
///
/// The kernel fills a returned TX frame's time from the packet's
/// `skb->tstamp` (tpacket_destruct_skb), which PACKET_TIMESTAMP alone never
/// sets: the stack stamps packets only while some socket asked for receive
/// stamps (SOF_TIMESTAMPING_RX_SOFTWARE, the generation flag of
/// Documentation/networking/timestamping.rst; before this, stamps appeared
/// only when another program on the host happened to ask). The kernel
/// switches that on from a work item, so it is asked for first in the open
/// pipeline, before the ring request's RCU grace period.
/// SOF_TIMESTAMPING_TX_SOFTWARE is not used: its stamp goes to a clone on
/// the socket's error queue, not into the frame, and an unread error queue
/// makes poll() report POLLERR forever.
pub fn enable_tx_software(socket: &PacketSocket) -> Result<()> {
    let flags = sys::SOF_TIMESTAMPING_RX_SOFTWARE | sys::SOF_TIMESTAMPING_SOFTWARE;
    socket.set_option(libc::SOL_SOCKET, libc::SO_TIMESTAMPING as u32, &flags, "setsockopt(SO_TIMESTAMPING)")
}
