//! What time stamps a device can give, as the driver reports them through
//! ETHTOOL_GET_TS_INFO: the SO_TIMESTAMPING capabilities, the receive
//! filters its hardware clock supports, and its PHC. The pcap layer builds
//! libpcap's time stamp type list from this; the ring setup (`timestamp`)
//! applies a choice.
//!
//! The query needs no privilege and no packet socket: SIOCETHTOOL works on
//! any socket, so an AF_UNIX one is used, and a capture handle can list
//! its types before it is activated, as libpcap's does.

use std::io;

use crate::error::{Error, ErrorCode, Result};
use crate::socket::PacketSocket;
use crate::sys;

/// The device's answer to ETHTOOL_GET_TS_INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimestampInfo {
    /// SOF_TIMESTAMPING_* bits the device supports.
    pub so_timestamping: u32,
    /// Bit n set: hwtstamp_rx_filters value n is supported.
    pub rx_filters: u32,
    /// The PTP hardware clock's index, -1 without one.
    pub phc_index: i32,
}

impl TimestampInfo {
    /// Whether the hardware clock can stamp every received packet
    /// (HWTSTAMP_FILTER_ALL), the only filter a capture can use.
    pub fn stamps_all_received(&self) -> bool {
        self.rx_filters & (1 << sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_ALL) != 0
    }
    pub fn software(&self) -> bool {
        self.so_timestamping & sys::SOF_TIMESTAMPING_SOFTWARE != 0
    }
    /// Hardware stamps converted to system time (obsolete in the kernel, still reported by some drivers).
    pub fn sys_hardware(&self) -> bool {
        self.so_timestamping & sys::SOF_TIMESTAMPING_SYS_HARDWARE != 0
    }
    /// The hardware clock's own time.
    pub fn raw_hardware(&self) -> bool {
        self.so_timestamping & sys::SOF_TIMESTAMPING_RAW_HARDWARE != 0
    }
}

/// What ETHTOOL_GET_TS_INFO said about a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampCaps {
    /// The driver answered.
    Reported(TimestampInfo),
    /// The kernel or driver does not answer the query (EOPNOTSUPP, EINVAL).
    NotReported,
    /// No such device (ENODEV).
    NoDevice,
    /// "any" is not a device: each packet is stamped by its own.
    AnyDevice,
}

/// Asks the driver of `device` what time stamps it supports.
pub fn probe(device: &str) -> Result<TimestampCaps> {
    if device == "any" {
        return Ok(TimestampCaps::AnyDevice);
    }
    if device.is_empty() || device.len() >= libc::IFNAMSIZ {
        return Ok(TimestampCaps::NoDevice);
    }
    let probe = PacketSocket::for_ioctls().map_err(|e| {
        let err = io::Error::from_raw_os_error(e.errno().unwrap_or(0));
        Error::new(ErrorCode::Io, format!("socket(AF_UNIX) for ETHTOOL_GET_TS_INFO: {err}"))
    })?;
    let info = match probe.ethtool_ts_info(device) {
        Ok(info) => info,
        Err(err) => {
            return match err.raw_os_error() {
                Some(libc::EOPNOTSUPP) | Some(libc::EINVAL) => Ok(TimestampCaps::NotReported),
                Some(libc::ENODEV) => Ok(TimestampCaps::NoDevice),
                _ => Err(Error::new(
                    ErrorCode::Io,
                    format!("{device}: SIOCETHTOOL(ETHTOOL_GET_TS_INFO) ioctl failed: {err}"),
                )),
            };
        }
    };
    Ok(TimestampCaps::Reported(TimestampInfo {
        so_timestamping: info.so_timestamping,
        rx_filters: info.rx_filters,
        phc_index: info.phc_index,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_reports_software_stamps_only() {
        // lo exists in every namespace, and no kernel gives it a hardware clock.
        let TimestampCaps::Reported(info) = probe("lo").expect("probe lo") else {
            panic!("lo answers ETHTOOL_GET_TS_INFO on the kernels ringcap supports");
        };
        assert!(info.software(), "{info:?}");
        assert!(!info.stamps_all_received() && !info.raw_hardware(), "{info:?}");
        assert_eq!(info.phc_index, -1);
    }

    #[test]
    fn missing_devices_and_any_are_told_apart() {
        assert_eq!(probe("rc-no-such0").unwrap(), TimestampCaps::NoDevice);
        assert_eq!(probe("any").unwrap(), TimestampCaps::AnyDevice);
        assert_eq!(probe("").unwrap(), TimestampCaps::NoDevice);
        assert_eq!(probe("a-name-longer-than-ifnamsiz").unwrap(), TimestampCaps::NoDevice);
    }

    #[test]
    fn capability_bits_decode() {
        let info = TimestampInfo {
            so_timestamping: sys::SOF_TIMESTAMPING_SOFTWARE | sys::SOF_TIMESTAMPING_RAW_HARDWARE,
            rx_filters: 1 << sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_ALL,
            phc_index: 0,
        };
        assert!(info.software() && info.raw_hardware() && !info.sys_hardware() && info.stamps_all_received());
        let ptp_only = TimestampInfo { rx_filters: 1 << sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_PTP_V2_EVENT, ..info };
        assert!(!ptp_only.stamps_all_received());
    }
}
