//! The state behind a `pcap_t`: options set before activation, then a live
//! capture (or a dead handle), and the per-handle buffers libpcap's API
//! promises (pcap_next's packet copy, the error buffer).

use std::ffi::c_int;
use std::sync::Arc;

use crate::error::{Error, ErrorCode};
use crate::fanout::Fanout;
use crate::features::Features;
use crate::filter::{Ancillary, Insn, Prepared};
use crate::geometry::Version;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::cfile::CFile;
use crate::pcap_compat::cooked::Cooked;
use crate::pcap_compat::dlt::*;
use crate::pcap_compat::inject::Injector;
use crate::rx::{Capture, CaptureConfig, Packet, DEFAULT_SNAPLEN};
use crate::savefile::{Precision, Reader};
use crate::socket::SocketKind;
use crate::sys;
use crate::wait::Breaker;

/// A libpcap-style failure: the status code and the error buffer's text.
#[derive(Debug)]
pub struct PcapError {
    pub status: c_int,
    pub message: String,
}

impl PcapError {
    pub fn new(status: c_int, message: impl Into<String>) -> Self {
        PcapError { status, message: message.into() }
    }

    pub fn generic(message: impl Into<String>) -> Self {
        PcapError::new(PCAP_ERROR, message)
    }
}

impl From<Error> for PcapError {
    fn from(e: Error) -> Self {
        let status = match e.code() {
            ErrorCode::Break => PCAP_ERROR_BREAK,
            ErrorCode::UnknownInterface => PCAP_ERROR_NO_SUCH_DEVICE,
            ErrorCode::Permission => PCAP_ERROR_PERM_DENIED,
            _ => PCAP_ERROR,
        };
        PcapError::new(status, e.message().to_string())
    }
}

pub type PResult<T> = std::result::Result<T, PcapError>;

/// What pcap_set_* stores until pcap_activate.
#[derive(Debug, Clone)]
pub struct Options {
    pub device: String,
    pub snaplen: i32,
    pub promisc: bool,
    pub rfmon: bool,
    pub timeout_ms: i32,
    pub buffer_size: i32,
    pub immediate: bool,
    pub tstamp_type: c_int,
    pub precision: c_int,
    pub protocol: u16,
    /// A fanout group to join at activation (ringcap_pcap_set_fanout or RINGCAP_FANOUT).
    pub fanout: Option<Fanout>,
}

impl Options {
    fn new(device: &str) -> Options {
        Options {
            device: device.to_string(),
            snaplen: DEFAULT_SNAPLEN as i32,
            promisc: false,
            rfmon: false,
            timeout_ms: 0,
            buffer_size: 0,
            immediate: false,
            tstamp_type: PCAP_TSTAMP_HOST,
            precision: PCAP_TSTAMP_PRECISION_MICRO,
            protocol: sys::ETH_P_ALL as u16,
            fanout: None,
        }
    }
}

/// An activated live capture.
pub struct Live {
    pub capture: Capture,
    /// The TX ring pcap_inject uses (SOCK_RAW handles only).
    pub injector: Option<Injector>,
    pub cooked: Option<Cooked>,
    /// rx_dropped of the device when activated, for ps_ifdrop.
    ifdrop_base: Option<u64>,
}

/// An open savefile.
pub struct Offline {
    pub reader: Reader<CFile>,
}

pub enum Source {
    Created,
    Live(Box<Live>),
    Offline(Box<Offline>),
    Dead,
}

/// The link type a device's hardware type maps to, as libpcap maps it;
/// None means cooked mode.
fn dlt_for_hatype(hatype: u16) -> Option<Vec<c_int>> {
    match hatype as u32 {
        sys::ARPHRD_ETHER => Some(vec![DLT_EN10MB, DLT_DOCSIS]),
        sys::ARPHRD_LOOPBACK => Some(vec![DLT_EN10MB]),
        sys::ARPHRD_NONE => Some(vec![DLT_RAW]),
        _ => None,
    }
}

/// The device's receive drops from /proc/net/dev, which (unlike /sys)
/// always shows the caller's network namespace.
fn device_rx_drops(device: &str) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/dev").ok()?;
    table.lines().find_map(|line| {
        let (name, counters) = line.split_once(':')?;
        if name.trim() != device {
            return None;
        }
        counters.split_whitespace().nth(3)?.parse().ok()
    })
}

pub struct PcapState {
    pub opts: Options,
    pub source: Source,
    pub linktype: c_int,
    pub dlts: Vec<c_int>,
    pub direction: c_int,
    pub nonblock: bool,
    /// pcap_next/pcap_next_ex: the ring frame goes back to the kernel as
    /// soon as the callback returns, so the packet is copied here.
    pub oneshot: Vec<u8>,
    pub oneshot_hdr: pcap_pkthdr,
    /// A packet with a cooked header in front.
    scratch: Vec<u8>,
    /// The filter pcap_setfilter installed when it runs here rather than in
    /// the kernel (savefiles and cooked captures), decoded once.
    pub filter: Option<Prepared>,
}

impl PcapState {
    pub fn created(device: &str) -> PcapState {
        PcapState {
            opts: Options::new(device),
            source: Source::Created,
            linktype: -1,
            dlts: Vec::new(),
            direction: PCAP_D_INOUT,
            nonblock: false,
            oneshot: Vec::new(),
            oneshot_hdr: pcap_pkthdr::default(),
            scratch: Vec::new(),
            filter: None,
        }
    }

    pub fn dead(linktype: c_int, snaplen: c_int, precision: c_int) -> PcapState {
        let mut s = PcapState::created("");
        s.source = Source::Dead;
        s.linktype = linktype;
        s.dlts = vec![linktype];
        s.opts.snaplen = snaplen;
        s.opts.precision = precision;
        s
    }

    /// A handle reading `reader`, as pcap_open_offline leaves it.
    pub fn offline(reader: Reader<CFile>) -> PcapState {
        let info = *reader.info();
        let mut s = PcapState::created("");
        s.opts.snaplen = info.snaplen.min(i32::MAX as u32) as i32;
        s.opts.precision = match reader.precision() {
            Precision::Micro => PCAP_TSTAMP_PRECISION_MICRO,
            Precision::Nano => PCAP_TSTAMP_PRECISION_NANO,
        };
        s.linktype = info.dlt;
        s.dlts = vec![info.dlt];
        s.source = Source::Offline(Box::new(Offline { reader }));
        s
    }

    pub fn is_offline(&self) -> bool {
        matches!(self.source, Source::Offline(_))
    }

    pub fn is_activated(&self) -> bool {
        !matches!(self.source, Source::Created)
    }

    /// For pcap_set_*: only before activation.
    pub fn settable(&mut self) -> PResult<&mut Options> {
        if self.is_activated() {
            return Err(PcapError::new(PCAP_ERROR_ACTIVATED, "can't perform  operation on activated capture"));
        }
        Ok(&mut self.opts)
    }

    pub fn live(&mut self) -> PResult<&mut Live> {
        match &mut self.source {
            Source::Live(l) => Ok(l),
            Source::Created => Err(PcapError::new(
                PCAP_ERROR_NOT_ACTIVATED,
                "This operation isn't supported until the pcap_t is activated",
            )),
            Source::Offline(_) => Err(PcapError::generic("This operation isn't supported on a savefile")),
            Source::Dead => Err(PcapError::generic("This operation isn't supported on a pcap_open_dead pcap_t")),
        }
    }

    pub fn activated(&self) -> PResult<()> {
        if self.is_activated() {
            Ok(())
        } else {
            Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, ""))
        }
    }

    /// pcap_activate: opens the ring. Returns 0 or a PCAP_WARNING_* code.
    pub fn activate(&mut self, breaker: Arc<Breaker>) -> PResult<c_int> {
        if self.is_activated() {
            return Err(PcapError::new(PCAP_ERROR_ACTIVATED, "can't perform  operation on activated capture"));
        }
        let mut warning = 0;
        if self.opts.rfmon {
            return Err(PcapError::new(
                PCAP_ERROR_RFMON_NOTSUP,
                "Monitor mode is not supported: ringcap captures on AF_PACKET sockets only",
            ));
        }
        let device = self.opts.device.clone();
        let any = device == "any";
        // Probe the device once to choose the socket type and link type.
        let probe = crate::socket::PacketSocket::new(SocketKind::Raw).map_err(PcapError::from)?;
        let iface = probe.interface(&device).map_err(|e| match e.code() {
            ErrorCode::UnknownInterface => PcapError::new(PCAP_ERROR_NO_SUCH_DEVICE, "No such device exists"),
            _ => PcapError::from(e),
        })?;
        if !any && probe.interface_flags(&device).is_ok_and(|f| f & libc::IFF_UP as u32 == 0) {
            return Err(PcapError::new(PCAP_ERROR_IFACE_NOT_UP, ""));
        }
        drop(probe);
        let (kind, dlts) = if any {
            (SocketKind::Dgram, vec![DLT_LINUX_SLL, DLT_LINUX_SLL2])
        } else {
            match dlt_for_hatype(iface.hatype) {
                Some(d) => (SocketKind::Raw, d),
                None => (SocketKind::Dgram, vec![DLT_LINUX_SLL, DLT_LINUX_SLL2]),
            }
        };
        let snaplen = if self.opts.snaplen <= 0 || self.opts.snaplen > DEFAULT_SNAPLEN as i32 {
            DEFAULT_SNAPLEN
        } else {
            self.opts.snaplen as u32
        };
        self.opts.snaplen = snaplen as i32;
        if self.opts.tstamp_type != PCAP_TSTAMP_HOST {
            warning = PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
        }
        // RINGCAP_FANOUT lets unmodified libpcap programs share an interface.
        let fanout = match (&self.opts.fanout, std::env::var("RINGCAP_FANOUT")) {
            (Some(f), _) => Some(f.clone()),
            (None, Ok(spec)) if !spec.is_empty() => {
                Some(Fanout::parse(&spec).map_err(|e| PcapError::generic(format!("RINGCAP_FANOUT: {e}")))?)
            }
            _ => None,
        };
        let features = Features {
            // libpcap ignores promiscuous mode on "any" without a word.
            promiscuous: self.opts.promisc && !any,
            // libpcap puts the tag the kernel took out back into the data.
            vlan_reinsert: kind == SocketKind::Raw,
            fanout,
            ..Features::default()
        };
        let mut config = CaptureConfig {
            features,
            interface: device.clone(),
            kind,
            // Immediate mode needs per-packet wake-ups, which V3's block
            // timer cannot give below a jiffy; V2 delivers each packet at once.
            version: if self.opts.immediate { Version::V2 } else { Version::V3 },
            protocol: self.opts.protocol,
            snaplen,
            timeout_ms: if self.opts.timeout_ms <= 0 { -1 } else { self.opts.timeout_ms },
            nonblocking: self.nonblock,
            breaker: Some(breaker),
            ..CaptureConfig::default()
        };
        if self.opts.buffer_size > 0 {
            config.buffer_bytes = (self.opts.buffer_size as usize).max(crate::geometry::page_size());
        }
        if !self.opts.immediate && self.opts.timeout_ms > 0 {
            // libpcap hands over a partly filled block after the read timeout.
            config.block_timeout_ms = (self.opts.timeout_ms as u32).min(crate::rx::DEFAULT_BLOCK_TIMEOUT_MS.max(1));
        }
        // SOCK_RAW handles get a TX ring on the capture socket for pcap_inject.
        let (capture, tx) = if kind == SocketKind::Raw {
            Capture::open_with_tx(&config, Some(&Injector::config(&device, config.version))).map_err(PcapError::from)?
        } else {
            (Capture::open(&config).map_err(PcapError::from)?, None)
        };
        let injector = tx.map(Injector::new).transpose().map_err(PcapError::from)?;
        self.linktype = dlts[0];
        self.dlts = dlts;
        let cooked = (kind == SocketKind::Dgram).then_some(Cooked::Sll);
        let ifdrop_base = if any { None } else { device_rx_drops(&device) };
        self.source = Source::Live(Box::new(Live { capture, injector, cooked, ifdrop_base }));
        Ok(warning)
    }

    /// pcap_setfilter: in the kernel for live captures (cooked ones with
    /// the program rewritten for the kernel's view), here for savefiles and
    /// for cooked programs that read what only the cooked header holds.
    pub fn set_filter(&mut self, insns: &[Insn]) -> PResult<()> {
        match &mut self.source {
            Source::Live(live) => {
                let kernel = match live.cooked {
                    None => Some(insns.to_vec()),
                    Some(c) => crate::pcap_compat::cooked::kernel_program(c, insns),
                };
                match kernel {
                    Some(prog) => {
                        live.capture.set_filter(&prog).map_err(PcapError::from)?;
                        self.filter = None;
                    }
                    None => {
                        live.capture.remove_filter().map_err(PcapError::from)?;
                        self.filter = Some(Prepared::new(insns));
                    }
                }
            }
            Source::Dead => return Err(PcapError::generic("Filtering isn't supported on a pcap_open_dead pcap_t")),
            Source::Created => return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "")),
            _ => self.filter = Some(Prepared::new(insns)),
        }
        Ok(())
    }

    /// pcap_inject: queues `frame` on the handle's TX ring; once this
    /// returns the frame will go out.
    pub fn inject(&mut self, frame: &[u8]) -> PResult<()> {
        let live = match &mut self.source {
            Source::Live(l) => l,
            _ => return Err(self.live().err().unwrap_or_else(|| PcapError::generic("not a live capture"))),
        };
        let Some(injector) = live.injector.as_ref() else {
            return Err(PcapError::generic(format!(
                "Sending packets isn't supported on the \"{}\" device: it has no link-layer header to send",
                self.opts.device
            )));
        };
        injector.inject(frame).map_err(|e| PcapError::generic(format!("send: {}", e.message())))
    }

    /// pcap_set_datalink.
    pub fn set_datalink(&mut self, dlt: c_int) -> PResult<()> {
        if !self.dlts.contains(&dlt) {
            let name = crate::pcap_compat::names::dlt_by_value(dlt)
                .map(|d| d.1.to_string_lossy().into_owned())
                .unwrap_or_else(|| dlt.to_string());
            return Err(PcapError::generic(format!("{name} is not one of the DLTs supported by this device")));
        }
        self.linktype = dlt;
        if let Source::Live(live) = &mut self.source {
            if live.cooked.is_some() {
                live.cooked = Some(if dlt == DLT_LINUX_SLL2 { Cooked::Sll2 } else { Cooked::Sll });
            }
        }
        Ok(())
    }

    /// Reads packets as pcap_dispatch does, handing each accepted one to
    /// `deliver` with its pcap header. Returns how many were delivered; for
    /// a savefile, 0 means the end of the file.
    pub fn read(
        &mut self,
        budget: usize,
        breaker: &Breaker,
        deliver: &mut dyn FnMut(&pcap_pkthdr, &[u8]),
    ) -> PResult<usize> {
        let direction = self.direction;
        let PcapState { source, scratch, opts, filter, .. } = self;
        let filter = filter.as_ref();
        let live = match source {
            Source::Live(l) => l,
            Source::Offline(o) => return read_offline(o, budget, breaker, filter, deliver),
            Source::Created => return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "")),
            Source::Dead => return Err(PcapError::generic("Packets aren't available from a pcap_open_dead pcap_t")),
        };
        let precision = opts.precision;
        let snaplen = opts.snaplen.max(0) as usize;
        let cooked = live.cooked;
        let mut accepted = 0usize;
        let mut handle = |p: &Packet<'_>| {
            let outgoing = p.meta.pkttype == sys::PACKET_OUTGOING as u8;
            if (direction == PCAP_D_IN && outgoing) || (direction == PCAP_D_OUT && !outgoing) {
                return;
            }
            let frac = if precision == PCAP_TSTAMP_PRECISION_NANO { p.meta.ts_nsec } else { p.meta.ts_nsec / 1000 };
            let ts = libc::timeval { tv_sec: p.meta.ts_sec as libc::time_t, tv_usec: frac as libc::suseconds_t };
            let (data, len): (&[u8], u32) = match cooked {
                None => (p.data, p.meta.len),
                Some(c) => {
                    let hl = c.len();
                    scratch.resize(hl + p.data.len(), 0);
                    c.write(p.meta, &mut scratch[..hl]);
                    scratch[hl..].copy_from_slice(p.data);
                    (&scratch[..], p.meta.len + hl as u32)
                }
            };
            let keep = match filter {
                Some(prog) => {
                    let meta = ancillary(p.meta);
                    prog.run(data, len, Some(&meta)) as usize
                }
                None => usize::MAX,
            };
            if keep == 0 {
                return;
            }
            let caplen = data.len().min(snaplen).min(keep);
            deliver(&pcap_pkthdr { ts, caplen: caplen as u32, len }, &data[..caplen]);
            accepted += 1;
        };
        live.capture.dispatch(budget, &mut handle).map_err(PcapError::from)?;
        Ok(accepted)
    }

    /// pcap_next_ex's one packet: its bytes (header in `oneshot_hdr`),
    /// None on timeout, PCAP_ERROR_BREAK at the end of a savefile. A
    /// savefile's packet stays where the reader put it, valid until the
    /// next read, as libpcap's does; a ring frame goes back to the kernel
    /// when the read returns, so a live packet is copied to `oneshot`.
    pub fn next_one(&mut self, breaker: &Breaker) -> PResult<Option<*const u8>> {
        let mut got = None;
        if let Source::Offline(o) = &mut self.source {
            // Straight to the savefile loop: this runs once per packet.
            read_offline(o, 1, breaker, self.filter.as_ref(), &mut |h, data| got = Some((*h, data.as_ptr())))?;
            let Some((h, data)) = got else { return Err(PcapError::new(PCAP_ERROR_BREAK, "")) };
            self.oneshot_hdr = h;
            return Ok(Some(data));
        }
        let mut buf = std::mem::take(&mut self.oneshot);
        let n = self.read(1, breaker, &mut |h, data| {
            buf.clear();
            buf.extend_from_slice(data);
            got = Some((*h, buf.as_ptr()));
        });
        self.oneshot = buf;
        n?;
        Ok(got.map(|(h, data)| {
            self.oneshot_hdr = h;
            data
        }))
    }

    /// pcap_stats for a live handle.
    pub fn stats(&mut self) -> PResult<pcap_stat> {
        if self.is_offline() {
            return Err(PcapError::generic("Statistics aren't available from savefiles"));
        }
        let device = self.opts.device.clone();
        let live = self.live()?;
        let st = live.capture.stats().map_err(PcapError::from)?;
        let ifdrop = match (live.ifdrop_base, device_rx_drops(&device)) {
            (Some(base), Some(now)) => now.saturating_sub(base),
            _ => 0,
        };
        Ok(pcap_stat { ps_recv: st.received as u32, ps_drop: st.dropped as u32, ps_ifdrop: ifdrop as u32 })
    }
}

/// What the kernel would answer to a filter's ancillary loads for this packet.
fn ancillary(meta: &crate::rx::PacketMeta) -> Ancillary {
    let vlan = meta.status & sys::TP_STATUS_VLAN_VALID != 0;
    Ancillary {
        protocol: meta.protocol,
        pkttype: meta.pkttype as u32,
        ifindex: meta.ifindex as u32,
        vlan_tci: vlan.then_some(meta.vlan_tci),
        vlan_tpid: if meta.status & sys::TP_STATUS_VLAN_TPID_VALID != 0 { meta.vlan_tpid } else { 0 },
        hatype: meta.hatype,
        rxhash: meta.rxhash,
        ..Ancillary::default()
    }
}

/// Reads up to `budget` packets of a savefile that pass `filter`; 0 at its end.
fn read_offline(
    offline: &mut Offline,
    budget: usize,
    breaker: &Breaker,
    filter: Option<&Prepared>,
    deliver: &mut (impl FnMut(&pcap_pkthdr, &[u8]) + ?Sized),
) -> PResult<usize> {
    let mut n = 0;
    while n < budget {
        if breaker.is_requested() {
            if n == 0 {
                breaker.clear();
                return Err(PcapError::new(PCAP_ERROR_BREAK, ""));
            }
            break;
        }
        let Some(packet) = offline.reader.next_packet().map_err(PcapError::from)? else { break };
        if let Some(prog) = filter {
            if prog.run(packet.data, packet.header.len, None) == 0 {
                continue;
            }
        }
        let hdr = pcap_pkthdr {
            ts: libc::timeval {
                tv_sec: packet.header.ts_sec as libc::time_t,
                tv_usec: packet.header.ts_frac as libc::suseconds_t,
            },
            caplen: packet.header.caplen,
            len: packet.header.len,
        };
        deliver(&hdr, packet.data);
        n += 1;
    }
    Ok(n)
}
