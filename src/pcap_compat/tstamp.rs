//! libpcap's time stamp types on Linux, from what the device reports
//! (crate::timestamp_caps): the rules of pcap-linux.c's
//! iface_ethtool_get_ts_info, so that pcap_list_tstamp_types and
//! pcap_set_tstamp_type (and tcpdump -J/-j) answer as libpcap's do.

use std::ffi::c_int;

use crate::pcap_compat::abi::*;
use crate::pcap_compat::error::{PResult, PcapError};
use crate::timestamp_caps::{self, TimestampCaps};

/// The types a device offers beyond the implicit host-only default, in
/// libpcap's order. Empty means "host only", which pcap_list_tstamp_types
/// reports as a list of one.
pub fn offered(caps: &TimestampCaps) -> Vec<c_int> {
    match caps {
        // libpcap: a driver that cannot say might support anything.
        TimestampCaps::NotReported => vec![PCAP_TSTAMP_HOST, PCAP_TSTAMP_ADAPTER, PCAP_TSTAMP_ADAPTER_UNSYNCED],
        TimestampCaps::NoDevice | TimestampCaps::AnyDevice => Vec::new(),
        // A clock that cannot stamp every packet is no use to a capture,
        // so libpcap offers nothing but the default then.
        TimestampCaps::Reported(info) if !info.stamps_all_received() => Vec::new(),
        TimestampCaps::Reported(info) => [
            (info.software(), PCAP_TSTAMP_HOST),
            (info.sys_hardware(), PCAP_TSTAMP_ADAPTER),
            (info.raw_hardware(), PCAP_TSTAMP_ADAPTER_UNSYNCED),
        ]
        .iter()
        .filter(|(has, _)| *has)
        .map(|&(_, t)| t)
        .collect(),
    }
}

/// The device's offered types (see [`offered`]).
pub fn offered_by(device: &str) -> PResult<Vec<c_int>> {
    let caps = timestamp_caps::probe(device).map_err(|e| PcapError::generic(e.message()))?;
    Ok(offered(&caps))
}

/// pcap_set_tstamp_type's verdict on `tstamp_type` for a device offering
/// `offered`: 0 when it may be used, else PCAP_WARNING_TSTAMP_TYPE_NOTSUP.
pub fn accept(offered: &[c_int], tstamp_type: c_int) -> c_int {
    let ok = if offered.is_empty() { tstamp_type == PCAP_TSTAMP_HOST } else { offered.contains(&tstamp_type) };
    if ok {
        0
    } else {
        PCAP_WARNING_TSTAMP_TYPE_NOTSUP
    }
}

/// Whether a type asks for the device's hardware clock.
pub fn is_hardware(tstamp_type: c_int) -> bool {
    tstamp_type == PCAP_TSTAMP_ADAPTER || tstamp_type == PCAP_TSTAMP_ADAPTER_UNSYNCED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys;
    use crate::timestamp_caps::TimestampInfo;

    const ALL: u32 = 1 << sys::hwtstamp_rx_filters_HWTSTAMP_FILTER_ALL;

    fn reported(so: u32, rx: u32) -> TimestampCaps {
        TimestampCaps::Reported(TimestampInfo { so_timestamping: so, rx_filters: rx, phc_index: 0 })
    }

    #[test]
    fn software_only_devices_offer_host_only() {
        let veth = reported(sys::SOF_TIMESTAMPING_SOFTWARE | sys::SOF_TIMESTAMPING_RX_SOFTWARE, 0);
        assert!(offered(&veth).is_empty());
        assert_eq!(accept(&offered(&veth), PCAP_TSTAMP_HOST), 0);
        for t in [PCAP_TSTAMP_ADAPTER, PCAP_TSTAMP_ADAPTER_UNSYNCED, PCAP_TSTAMP_HOST_HIPREC, -1, 99] {
            assert_eq!(accept(&offered(&veth), t), PCAP_WARNING_TSTAMP_TYPE_NOTSUP, "type {t}");
        }
    }

    #[test]
    fn hardware_clock_for_all_packets_offers_its_types_in_libpcaps_order() {
        let nic = reported(
            sys::SOF_TIMESTAMPING_RAW_HARDWARE | sys::SOF_TIMESTAMPING_SOFTWARE | sys::SOF_TIMESTAMPING_RX_HARDWARE,
            ALL,
        );
        assert_eq!(offered(&nic), vec![PCAP_TSTAMP_HOST, PCAP_TSTAMP_ADAPTER_UNSYNCED]);
        assert_eq!(accept(&offered(&nic), PCAP_TSTAMP_ADAPTER_UNSYNCED), 0);
        assert_eq!(accept(&offered(&nic), PCAP_TSTAMP_ADAPTER), PCAP_WARNING_TSTAMP_TYPE_NOTSUP);
        // Without SOF_TIMESTAMPING_SOFTWARE even host is refused, as in libpcap.
        let raw_only = reported(sys::SOF_TIMESTAMPING_RAW_HARDWARE, ALL);
        assert_eq!(offered(&raw_only), vec![PCAP_TSTAMP_ADAPTER_UNSYNCED]);
        assert_eq!(accept(&offered(&raw_only), PCAP_TSTAMP_HOST), PCAP_WARNING_TSTAMP_TYPE_NOTSUP);
        // A clock for PTP packets only does not count.
        let ptp = reported(sys::SOF_TIMESTAMPING_RAW_HARDWARE | sys::SOF_TIMESTAMPING_SOFTWARE, 1 << 3);
        assert!(offered(&ptp).is_empty());
    }

    #[test]
    fn unanswered_query_offers_everything_and_missing_devices_nothing() {
        assert_eq!(
            offered(&TimestampCaps::NotReported),
            vec![PCAP_TSTAMP_HOST, PCAP_TSTAMP_ADAPTER, PCAP_TSTAMP_ADAPTER_UNSYNCED]
        );
        assert!(offered(&TimestampCaps::NoDevice).is_empty());
        assert!(offered(&TimestampCaps::AnyDevice).is_empty());
    }
}
