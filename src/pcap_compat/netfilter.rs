//! The nflog and nfqueue pseudo-devices in the pcap layer: the hooks that
//! put a core netfilter capture (crate::netfilter) behind a pcap_t, with
//! libpcap's link types (DLT_NFLOG or DLT_IPV4 for nflog, DLT_IPV4 for
//! nfqueue), its user-space filtering and its statistics.

use std::ffi::c_int;

use crate::filter::Prepared;
use crate::netfilter::{NetfilterCapture, NetfilterCounters, NetfilterDevice, NetfilterKind};
use crate::pcap_compat::abi::*;
use crate::pcap_compat::dlt::*;
use crate::pcap_compat::error::{PResult, PcapError};
use crate::rx::DEFAULT_SNAPLEN;
use crate::wait::Breaker;

/// Whether a device name is one of libpcap's netfilter pseudo-devices.
pub fn is_netfilter(device: &str) -> bool {
    NetfilterDevice::recognise(device).is_some()
}

/// What pcap_activate of "nflog[:groups]" or "nfqueue[:groups]" opens.
pub struct OpenedNetfilter {
    pub capture: NetfilterCapture,
    pub shared: NetfilterShared,
    /// The link types offered, the default first.
    pub dlts: Vec<c_int>,
}

/// pcap_activate for a netfilter pseudo-device; a snapshot length out of
/// range becomes libpcap's maximum, as libpcap does.
pub fn open_netfilter(
    device: &str,
    snaplen: &mut c_int,
    buffer_size: c_int,
    timeout_ms: c_int,
    rfmon: bool,
) -> PResult<OpenedNetfilter> {
    let device = NetfilterDevice::parse(device).map_err(|e| PcapError::generic(e.message()))?;
    if *snaplen <= 0 || *snaplen > DEFAULT_SNAPLEN as i32 {
        *snaplen = DEFAULT_SNAPLEN as i32;
    }
    let rcvbuf = (buffer_size > 0).then_some(buffer_size as usize);
    // libpcap's netfilter read blocks until a packet; a set timeout bounds it here.
    let timeout = if timeout_ms <= 0 { -1 } else { timeout_ms };
    let capture = NetfilterCapture::open(&device, *snaplen as u32, rcvbuf, timeout)
        .map_err(|e| PcapError::generic(e.message()))?;
    if rfmon {
        return Err(PcapError::new(PCAP_ERROR_RFMON_NOTSUP, ""));
    }
    let dlts = match device.kind {
        NetfilterKind::Log => vec![DLT_NFLOG, DLT_IPV4],
        NetfilterKind::Queue => vec![DLT_IPV4],
    };
    let shared = NetfilterShared { fd: capture.fd(), counters: capture.counters() };
    Ok(OpenedNetfilter { capture, shared, dlts })
}

/// pcap_dispatch on a netfilter handle: the whole message for DLT_NFLOG,
/// the payload for DLT_IPV4, each through the user-space filter.
#[allow(clippy::too_many_arguments)]
pub fn read_netfilter(
    capture: &mut NetfilterCapture,
    budget: usize,
    breaker: &Breaker,
    linktype: c_int,
    precision: c_int,
    nonblocking: bool,
    filter: Option<&Prepared>,
    deliver: &mut dyn FnMut(&pcap_pkthdr, &[u8]),
) -> PResult<usize> {
    capture.set_nonblocking(nonblocking);
    let n = capture.dispatch(budget, breaker, &mut |p| {
        let data = if linktype == DLT_NFLOG { p.message } else { p.payload.unwrap_or_default() };
        if linktype != DLT_NFLOG && p.payload.is_none() {
            return false;
        }
        if let Some(prog) = filter {
            if prog.run(data, data.len() as u32, None) == 0 {
                return false;
            }
        }
        let frac = if precision == PCAP_TSTAMP_PRECISION_NANO { p.ts_nsec } else { p.ts_nsec / 1000 };
        let ts = libc::timeval { tv_sec: p.ts_sec as libc::time_t, tv_usec: frac as libc::suseconds_t };
        // libpcap hands over the whole message whatever the snapshot length.
        deliver(&pcap_pkthdr { ts, caplen: data.len() as u32, len: data.len() as u32 }, data);
        true
    });
    n.map_err(PcapError::from)
}

/// What of a netfilter capture the handle keeps beside its reader.
pub struct NetfilterShared {
    pub fd: c_int,
    pub counters: std::sync::Arc<NetfilterCounters>,
}

/// pcap_stats on a netfilter handle: packets delivered, and ENOBUFS reports
/// as drops, as libpcap counts them.
pub fn netfilter_stats(shared: &NetfilterShared) -> pcap_stat {
    let st = shared.counters.snapshot();
    pcap_stat { ps_recv: st.delivered as u32, ps_drop: st.dropped as u32, ps_ifdrop: 0 }
}
