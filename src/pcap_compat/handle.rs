//! The state behind a `pcap_t`: options set before activation, then a live
//! capture (or a dead handle), and the per-handle buffers libpcap's API
//! promises (pcap_next's packet copy, the error buffer).

use std::ffi::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, ErrorCode};
use crate::fanout::Fanout;
use crate::features::Features;
use crate::filter::{Ancillary, Insn, Prepared};
use crate::geometry::{Layout, Version};
use crate::netfilter::NetfilterCapture;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::cfile::CFile;
use crate::pcap_compat::cooked::Cooked;
use crate::pcap_compat::dlt::*;
use crate::pcap_compat::error::{PResult, PcapError};
use crate::pcap_compat::netfilter::{is_netfilter, open_netfilter, read_netfilter, NetfilterShared};
use crate::pcap_compat::tstamp;
use crate::rx::{Capture, CaptureConfig, Packet, Step, V3Frame, WaitFor, DEFAULT_SNAPLEN};
use crate::savefile::{FileInfo, Precision, Reader};
use crate::socket::PacketSocket;
use crate::socket::SocketKind;
use crate::stats::Stats;
use crate::sys;
use crate::timestamp::TimestampSource;
use crate::vlan;
use crate::wait::{Breaker, Wake};

/// A packet socket libpcap's way refused: its words, which programs
/// print ("socket: Operation not permitted").
fn socket_error(e: Error) -> PcapError {
    match e.errno() {
        Some(errno) => PcapError::new(
            if e.code() == ErrorCode::Permission { PCAP_ERROR_PERM_DENIED } else { PCAP_ERROR },
            format!("socket: {}", crate::error::errno_text(errno)),
        ),
        None => PcapError::from(e),
    }
}

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

/// What of a live capture the whole handle shares: everything a call may
/// need while another thread, or the handle's own callback, is reading.
pub struct Live {
    pub socket: Arc<PacketSocket>,
    /// ifindex of "lo" in the capture's namespace (-1: none).
    loopback: i32,
    pub version: Version,
    /// What pcap_bufsize reports: one ring frame's size, as libpcap.
    pub frame_bytes: usize,
    pub cooked: Option<Cooked>,
    stats: LiveStats,
}

/// Totals of PACKET_STATISTICS (which resets on every read), kept in
/// atomics so that pcap_stats takes no lock: tcpdump calls it from a
/// SIGUSR1 handler that may interrupt any other pcap call.
struct LiveStats {
    received: AtomicU64,
    dropped: AtomicU64,
    /// libpcap counts interface drops only in promiscuous mode.
    ifdrop: Option<IfDrops>,
}

struct IfDrops {
    device: String,
    last: AtomicU64,
    total: AtomicU64,
}

/// An open savefile's facts, which stay readable while the file is read.
#[derive(Clone, Copy)]
pub struct Offline {
    pub info: FileInfo,
    /// The stream being read (pcap_file, pcap_fileno).
    pub file: *mut libc::FILE,
}

// SAFETY: the FILE pointer is only handed back to C or passed to fileno.
unsafe impl Send for Offline {}

pub enum Source {
    Created,
    Live(Arc<Live>),
    Offline(Offline),
    /// An "nflog" or "nfqueue" pseudo-device (pcap_compat::netfilter).
    Netfilter(NetfilterShared),
    Dead,
}

/// The part of a handle that reads packets: the ring or the savefile.
/// One thread holds it for a whole dispatch, across the wait and the
/// callbacks, so nothing else lives here.
pub enum Reading {
    Live(Box<Capture>),
    Offline(Reader<CFile>),
    Netfilter(Box<NetfilterCapture>),
}

/// Buffers of the reading thread: pcap_next's copy of one packet, and the
/// space a cooked header is built in.
#[derive(Default)]
pub struct ReadBuffers {
    pub oneshot: Vec<u8>,
    pub oneshot_hdr: pcap_pkthdr,
    scratch: Vec<u8>,
    /// Where a tagged packet is rebuilt when the ring has no room before it.
    tagged: Vec<u8>,
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

/// libpcap 1.10's interface drop count: rx_missed_errors plus
/// rx_fifo_errors from sysfs. Reads into stack buffers with plain system
/// calls, no allocation, because pcap_stats may run in a signal handler.
fn device_drops(device: &str) -> u64 {
    ["rx_missed_errors", "rx_fifo_errors"].iter().map(|stat| sysfs_counter(device, stat)).sum()
}

fn sysfs_counter(device: &str, stat: &str) -> u64 {
    let mut path = [0u8; 96];
    let parts: [&[u8]; 4] = [b"/sys/class/net/", device.as_bytes(), b"/statistics/", stat.as_bytes()];
    let mut n = 0;
    for part in parts {
        if n + part.len() >= path.len() {
            return 0;
        }
        path[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    // SAFETY: path is NUL-terminated (zero-filled past n).
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return 0;
    }
    let mut buf = [0u8; 32];
    // SAFETY: reading at most buf.len() bytes into buf from our own fd.
    let got = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: closing the fd opened above.
    unsafe { libc::close(fd) };
    if got <= 0 {
        return 0;
    }
    buf[..got as usize].iter().take_while(|b| b.is_ascii_digit()).fold(0u64, |v, b| v * 10 + u64::from(b - b'0'))
}

impl Live {
    /// pcap_stats: the kernel's counters accumulated, and the interface
    /// drops since activation (promiscuous handles only, as in libpcap).
    pub fn stats(&self) -> PResult<pcap_stat> {
        let mut delta = Stats::default();
        delta.refresh(&self.socket, self.version).map_err(PcapError::from)?;
        let received = self.stats.received.fetch_add(delta.received, Ordering::Relaxed) + delta.received;
        let dropped = self.stats.dropped.fetch_add(delta.dropped, Ordering::Relaxed) + delta.dropped;
        let ifdrop = match &self.stats.ifdrop {
            Some(d) => {
                let now = device_drops(&d.device);
                let before = d.last.swap(now, Ordering::Relaxed);
                d.total.fetch_add(now.wrapping_sub(before), Ordering::Relaxed).wrapping_add(now.wrapping_sub(before))
            }
            None => 0,
        };
        Ok(pcap_stat { ps_recv: received as u32, ps_drop: dropped as u32, ps_ifdrop: ifdrop as u32 })
    }
}

pub struct PcapState {
    pub opts: Options,
    pub source: Source,
    pub linktype: c_int,
    pub dlts: Vec<c_int>,
    pub direction: c_int,
    pub nonblock: bool,
    /// The filter pcap_setfilter installed when it runs here rather than in
    /// the kernel (savefiles and cooked captures), decoded once.
    pub filter: Option<Arc<Prepared>>,
}

/// A read's settings, taken from the state when the read starts, so that
/// the state's lock is free while the read waits and calls back.
#[derive(Clone)]
pub struct ReadPlan {
    direction: c_int,
    linktype: c_int,
    /// The loopback device's index: its outgoing copies are dropped, as
    /// libpcap does, since each comes back in as an incoming packet too.
    loopback: i32,
    precision: c_int,
    snaplen: usize,
    nonblock: bool,
    cooked: Option<Cooked>,
    filter: Option<Arc<Prepared>>,
}

/// libpcap's ring when pcap_set_buffer_size was not called: 2 MiB.
const LIBPCAP_BUFFER_BYTES: usize = 2 << 20;

/// libpcap's TPACKET_V3 ring for a `buffer`-byte request: "frames" of
/// MAXIMUM_SNAPLEN, so each block (the smallest power-of-two number of
/// pages that holds one) is 256 KiB, and enough of them to cover the
/// buffer. A block hands over as many packets per wake-up as libpcap's.
///
/// Then as many blocks again, for the wake-up coalescing pause: a pause
/// lasts at most what a quarter of the ring takes to fill, so the room
/// left when it ends is never less than libpcap's ring has when its
/// reader wakes (all of it but the block that woke it).
fn libpcap_v3_layout(buffer: usize) -> Layout {
    let frame = DEFAULT_SNAPLEN as usize;
    let block = crate::geometry::pages_holding(frame);
    let frames = buffer.div_ceil(frame).max(1);
    let per_block = block / frame;
    let blocks = (frames / per_block).max(1).saturating_mul(2);
    Layout {
        block_size: block as u32,
        block_nr: blocks.min(u32::MAX as usize) as u32,
        frame_size: frame as u32,
        frame_nr: (blocks * per_block).min(u32::MAX as usize) as u32,
    }
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
    pub fn offline(reader: &Reader<CFile>) -> PcapState {
        let info = *reader.info();
        let mut s = PcapState::created("");
        s.opts.snaplen = info.snaplen.min(i32::MAX as u32) as i32;
        s.opts.precision = match reader.precision() {
            Precision::Micro => PCAP_TSTAMP_PRECISION_MICRO,
            Precision::Nano => PCAP_TSTAMP_PRECISION_NANO,
        };
        s.linktype = info.dlt;
        s.dlts = vec![info.dlt];
        s.source = Source::Offline(Offline { info, file: reader.get_ref().as_ptr() });
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

    pub fn live(&self) -> PResult<&Arc<Live>> {
        match &self.source {
            Source::Live(l) => Ok(l),
            Source::Created => Err(PcapError::new(
                PCAP_ERROR_NOT_ACTIVATED,
                "This operation isn't supported until the pcap_t is activated",
            )),
            Source::Offline(_) => Err(PcapError::generic("This operation isn't supported on a savefile")),
            Source::Dead => Err(PcapError::generic("This operation isn't supported on a pcap_open_dead pcap_t")),
            Source::Netfilter(_) => Err(PcapError::generic("This operation isn't supported on netfilter devices")),
        }
    }

    pub fn activated(&self) -> PResult<()> {
        if self.is_activated() {
            Ok(())
        } else {
            Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, ""))
        }
    }

    /// pcap_activate: opens the ring, which goes to the handle's reader.
    /// Returns 0 or a PCAP_WARNING_* code, and the capture.
    pub fn activate(&mut self, breaker: Arc<Breaker>) -> PResult<(c_int, Reading)> {
        if self.is_activated() {
            return Err(PcapError::new(PCAP_ERROR_ACTIVATED, "can't perform  operation on activated capture"));
        }
        if is_netfilter(&self.opts.device) {
            let opened = open_netfilter(
                &self.opts.device,
                &mut self.opts.snaplen,
                self.opts.buffer_size,
                self.opts.timeout_ms,
                self.opts.rfmon,
            )?;
            self.dlts = opened.dlts;
            self.linktype = self.dlts[0];
            self.source = Source::Netfilter(opened.shared);
            return Ok((0, Reading::Netfilter(Box::new(opened.capture))));
        }
        let mut warning = 0;
        if self.opts.rfmon {
            // libpcap leaves the text empty: programs print the status's
            // own ("That device doesn't support monitor mode").
            return Err(PcapError::new(PCAP_ERROR_RFMON_NOTSUP, ""));
        }
        let device = self.opts.device.clone();
        let any = device == "any";
        // Probe the device once to choose the socket type and link type.
        let probe = crate::socket::PacketSocket::for_ioctls().map_err(PcapError::from)?;
        // libpcap opens its packet socket first, so a missing permission
        // comes before a missing or down device.
        let denied = || crate::socket::PacketSocket::new(SocketKind::Raw).err().map(socket_error);
        let iface = probe.interface(&device).map_err(|e| {
            denied().unwrap_or_else(|| match e.code() {
                ErrorCode::UnknownInterface => PcapError::new(PCAP_ERROR_NO_SUCH_DEVICE, "No such device exists"),
                _ => PcapError::from(e),
            })
        })?;
        if !any && probe.interface_flags(&device).is_ok_and(|f| f & libc::IFF_UP as u32 == 0) {
            return Err(denied().unwrap_or_else(|| PcapError::new(PCAP_ERROR_IFACE_NOT_UP, "")));
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
        // RINGCAP_FANOUT lets unmodified libpcap programs share an interface.
        let fanout = match (&self.opts.fanout, std::env::var("RINGCAP_FANOUT")) {
            (Some(f), _) => Some(f.clone()),
            (None, Ok(spec)) if !spec.is_empty() => {
                Some(Fanout::parse(&spec).map_err(|e| PcapError::generic(format!("RINGCAP_FANOUT: {e}")))?)
            }
            _ => None,
        };
        let promiscuous = self.opts.promisc && !any;
        let features = Features {
            // libpcap ignores promiscuous mode on "any" without a word.
            promiscuous,
            // libpcap puts the tag the kernel took out back into the data.
            vlan_reinsert: kind == SocketKind::Raw,
            fanout,
            // Only types pcap_set_tstamp_type accepted get here.
            timestamp: if tstamp::is_hardware(self.opts.tstamp_type) {
                TimestampSource::Hardware
            } else {
                TimestampSource::Software
            },
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
            // As libpcap: on V3 the block timer hands a partly filled block
            // over, so the poll itself waits for ever (no wake-ups while the
            // link is idle); V2 (immediate mode) polls with the timeout.
            timeout_ms: if self.opts.immediate && self.opts.timeout_ms > 0 { self.opts.timeout_ms } else { -1 },
            nonblocking: self.nonblock,
            breaker: Some(breaker),
            // libpcap: a link going down is not an error; a device that vanished is.
            wait_out_link_down: true,
            // Wake-ups coalesced under load as for native handles, but only
            // with the room a pause takes added to the ring (see
            // `libpcap_v3_layout`): a pause over a ring of libpcap's size
            // left less room than libpcap's for a reader then descheduled
            // (measured: more drops on a busy machine). The read timeout is
            // how long the program lets packets wait in the buffer, so it
            // bounds the pause (0 waits for ever: the native bound alone).
            // The capture's own poll timeout cannot: on V3 it is -1. Immediate
            // mode asks for every packet at once.
            coalesce_us: match self.opts.timeout_ms {
                _ if self.opts.immediate => 0,
                ms if ms > 0 => crate::rx::DEFAULT_COALESCE_US.min((ms as u32).saturating_mul(1000)),
                _ => crate::rx::DEFAULT_COALESCE_US,
            },
            ..CaptureConfig::default()
        };
        let buffer = if self.opts.buffer_size > 0 { self.opts.buffer_size as usize } else { LIBPCAP_BUFFER_BYTES };
        config.buffer_bytes = buffer.max(crate::geometry::page_size());
        if config.version == Version::V3 {
            config.layout = Some(libpcap_v3_layout(buffer));
        }
        // As libpcap: a partly filled block is handed over after the read
        // timeout, so sparse traffic fills a ring over block count x to_ms,
        // not over a millisecond per block; a timeout of 0 waits for ever,
        // so blocks retire only when full (libpcap asks for UINT_MAX ms; the
        // kernel's own choice, 8 ms, would retire blocks that a steady
        // 200 000 packets/s fills in 9, a wake-up per part block). Low
        // latency is what immediate mode is for.
        config.block_timeout_ms = match self.opts.timeout_ms {
            0 => crate::rx::BLOCK_TIMEOUT_NEVER,
            ms => ms.max(0) as u32,
        };
        // No TX ring: pcap_inject sends on this socket (see inject.rs).
        let capture = Capture::open(&config).map_err(|e| match e.code() {
            ErrorCode::Permission => socket_error(e),
            _ => PcapError::from(e),
        })?;
        // As libpcap: a driver that refuses to stamp every packet in hardware
        // leaves host stamps and a warning.
        if capture.applied().timestamp_warning.is_some() {
            warning = PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
        }
        self.linktype = dlts[0];
        self.dlts = dlts;
        let ifdrop = promiscuous.then(|| {
            let now = device_drops(&device);
            IfDrops { device: device.clone(), last: AtomicU64::new(now), total: AtomicU64::new(0) }
        });
        let loopback = capture.socket().interface("lo").map_or(-1, |lo| lo.index);
        self.source = Source::Live(Arc::new(Live {
            loopback,
            socket: capture.shared_socket(),
            version: config.version,
            frame_bytes: capture.geometry().frame_size as usize,
            cooked: (kind == SocketKind::Dgram).then_some(Cooked::Sll),
            stats: LiveStats { received: AtomicU64::new(0), dropped: AtomicU64::new(0), ifdrop },
        }));
        Ok((warning, Reading::Live(Box::new(capture))))
    }

    /// pcap_setfilter: in the kernel for live captures (cooked ones with
    /// the program rewritten for the kernel's view), here for savefiles and
    /// for cooked programs that read what only the cooked header holds.
    /// `reader` is the ring when no read is running: the swap then drains
    /// what the old filter let in; from a callback the new filter applies
    /// from the next block on.
    pub fn set_filter(&mut self, insns: &[Insn], reader: Option<&mut Reading>) -> PResult<()> {
        match &self.source {
            Source::Live(live) => {
                let kernel = match self.cooked() {
                    None => Some(insns.to_vec()),
                    Some(c) => crate::pcap_compat::cooked::kernel_program(c, insns),
                };
                let in_userspace = kernel.is_none();
                let capture = match reader {
                    Some(Reading::Live(c)) => Some(c),
                    _ => None,
                };
                match (kernel, capture) {
                    (Some(prog), Some(c)) => c.set_filter(&prog).map(|_| ()).map_err(PcapError::from)?,
                    (Some(prog), None) => crate::sockfilter::attach(&live.socket, &prog).map_err(PcapError::from)?,
                    (None, _) => crate::sockfilter::detach(&live.socket).map_err(PcapError::from)?,
                }
                self.filter = in_userspace.then(|| Arc::new(Prepared::new(insns)));
            }
            Source::Dead => return Err(PcapError::generic("A filter cannot be set on a pcap_open_dead pcap_t")),
            Source::Created => return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "")),
            Source::Offline(_) | Source::Netfilter(_) => self.filter = Some(Arc::new(Prepared::new(insns))),
        }
        Ok(())
    }

    /// The cooked header live packets get, per the current link type.
    fn cooked(&self) -> Option<Cooked> {
        match &self.source {
            Source::Live(l) if l.cooked.is_some() => {
                Some(if self.linktype == DLT_LINUX_SLL2 { Cooked::Sll2 } else { Cooked::Sll })
            }
            _ => None,
        }
    }

    /// pcap_set_datalink.
    pub fn set_datalink(&mut self, dlt: c_int) -> PResult<()> {
        if !self.dlts.contains(&dlt) {
            let name = crate::pcap_compat::names::dlt_by_value(dlt)
                .map(|d| d.1.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("DLT {dlt}"));
            return Err(PcapError::generic(format!("{name} is not one of the DLTs supported by this device")));
        }
        self.linktype = dlt;
        Ok(())
    }

    /// The settings a read starts with.
    pub fn read_plan(&self) -> PResult<ReadPlan> {
        match self.source {
            Source::Created => return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "")),
            Source::Dead => return Err(PcapError::generic("Packets aren't available from a pcap_open_dead pcap_t")),
            _ => {}
        }
        Ok(ReadPlan {
            direction: self.direction,
            linktype: self.linktype,
            loopback: match &self.source {
                Source::Live(l) => l.loopback,
                _ => -1,
            },
            precision: self.opts.precision,
            snaplen: self.opts.snaplen.max(0) as usize,
            nonblock: self.nonblock,
            cooked: self.cooked(),
            filter: self.filter.clone(),
        })
    }
}

/// What one read round did: delivered packets, or found none ready and
/// asks its caller to wait.
pub enum Round {
    Done(usize),
    Wait(WaitFor),
}

/// Where an SLL header's protocol field starts.
const SLL_PROTOCOL_AT: usize = 14;
/// The longest cooked header: SLL2's 20 bytes, or SLL's 16 with a tag.
const MAX_COOKED_HEADER: usize = 20;
/// The cooked protocol values of CAN frames (linux/if_ether.h ETH_P_CAN, ETH_P_CANFD).
const LINUX_SLL_P_CAN: u16 = 0x000c;
const LINUX_SLL_P_CANFD: u16 = 0x000d;

/// Tells a running read whether the handle's read settings changed (a
/// filter set from the callback, say), and gives the new ones: one relaxed
/// load per packet when nothing changed, the state's lock only when
/// something did.
pub struct Refresh<'a> {
    pub changes: &'a AtomicU64,
    pub seen: u64,
    pub state: &'a Mutex<PcapState>,
}

impl Refresh<'_> {
    #[inline]
    fn poll(&mut self) -> Option<ReadPlan> {
        let now = self.changes.load(Ordering::Acquire);
        if now == self.seen {
            return None;
        }
        self.reload(now)
    }

    #[cold]
    fn reload(&mut self, now: u64) -> Option<ReadPlan> {
        self.seen = now;
        self.state.lock().unwrap_or_else(|p| p.into_inner()).read_plan().ok()
    }
}

impl Reading {
    /// Reads packets as pcap_dispatch does, handing each accepted one to
    /// `deliver` with its pcap header. Returns how many were delivered; for
    /// a savefile, 0 means the end of the file.
    ///
    /// A live read never waits here: it returns `Round::Wait`, the caller
    /// waits (outside the panic guard) and calls again with what the wait
    /// ended with.
    #[allow(clippy::too_many_arguments)]
    pub fn read<D: FnMut(&pcap_pkthdr, &[u8])>(
        &mut self,
        plan: &mut ReadPlan,
        refresh: &mut Refresh<'_>,
        bufs: &mut ReadBuffers,
        budget: usize,
        breaker: &Breaker,
        woke: Option<Wake>,
        deliver: &mut D,
    ) -> PResult<Round> {
        let capture = match self {
            Reading::Live(c) => c,
            Reading::Offline(r) => return read_offline(r, plan, refresh, budget, breaker, deliver).map(Round::Done),
            Reading::Netfilter(n) => {
                let filter = plan.filter.as_deref();
                return read_netfilter(
                    n,
                    budget,
                    breaker,
                    plan.linktype,
                    plan.precision,
                    plan.nonblock,
                    filter,
                    deliver,
                )
                .map(Round::Done);
            }
        };
        if capture.is_nonblocking() != plan.nonblock {
            capture.set_nonblocking(plan.nonblock).map_err(PcapError::from)?;
        }
        let scratch = &mut bufs.scratch;
        if capture.reads_frames() {
            // V3 (every handle but immediate mode's): straight from the
            // kernel's headers, without the native API's packet record.
            let (vlan, tagged) = (capture.reinserts_vlan(), &mut bufs.tagged);
            let mut each = |f: &V3Frame<'_>| live_frame(f, vlan, plan, refresh, scratch, tagged, deliver);
            return match capture.step_frames(budget, &mut each, woke).map_err(PcapError::from)? {
                Step::Done(n) => Ok(Round::Done(n)),
                Step::Wait(w) => Ok(Round::Wait(w)),
            };
        }
        let mut accepted = 0usize;
        // Small, so the reader inlines it, and `live_packet` with it.
        let mut handle = |p: &Packet<'_>| {
            if let Some(new) = refresh.poll() {
                *plan = new;
            }
            accepted += usize::from(live_packet(p, plan, scratch, deliver));
        };
        match capture.step(budget, &mut handle, woke).map_err(PcapError::from)? {
            Step::Done(_) => Ok(Round::Done(accepted)),
            Step::Wait(w) => Ok(Round::Wait(w)),
        }
    }

    /// pcap_next_ex's one packet: its bytes (header in `oneshot_hdr`),
    /// None on timeout, PCAP_ERROR_BREAK at the end of a savefile. A
    /// savefile's packet stays where the reader put it, valid until the
    /// next read, as libpcap's does; a ring frame goes back to the kernel
    /// when the read returns, so a live packet is copied to `oneshot`.
    pub fn next_one(
        &mut self,
        plan: &mut ReadPlan,
        refresh: &mut Refresh<'_>,
        bufs: &mut ReadBuffers,
        breaker: &Breaker,
        woke: Option<Wake>,
    ) -> PResult<Result<Option<*const u8>, WaitFor>> {
        if let Reading::Offline(r) = self {
            // Straight to the savefile loop: this runs once per packet.
            let (mut got, hdr) = (None, &mut bufs.oneshot_hdr);
            read_offline(r, plan, refresh, 1, breaker, &mut |h, data| {
                *hdr = *h;
                got = Some(data.as_ptr());
            })?;
            return match got {
                Some(data) => Ok(Ok(Some(data))),
                None => Err(PcapError::new(PCAP_ERROR_BREAK, "")),
            };
        }
        let mut got = None;
        let mut buf = std::mem::take(&mut bufs.oneshot);
        let round = self.read(plan, refresh, bufs, 1, breaker, woke, &mut |h, data| {
            buf.clear();
            buf.extend_from_slice(data);
            got = Some(*h);
        });
        bufs.oneshot = buf;
        if let Round::Wait(w) = round? {
            return Ok(Err(w));
        }
        Ok(Ok(got.map(|h| {
            bufs.oneshot_hdr = h;
            bufs.oneshot.as_ptr()
        })))
    }
}

impl ReadPlan {
    /// Whether a packet of this type, device and protocol is one this
    /// handle's direction lets through.
    #[inline(always)]
    fn wants(&self, pkttype: u8, ifindex: i32, protocol: u16) -> bool {
        if pkttype == sys::PACKET_OUTGOING as u8 {
            // libpcap's linux_check_direction: loopback and CAN devices
            // hand every sent packet back in as received, too.
            let can = matches!(protocol, LINUX_SLL_P_CAN | LINUX_SLL_P_CANFD);
            !(ifindex == self.loopback || (can && self.direction != PCAP_D_OUT) || self.direction == PCAP_D_IN)
        } else {
            self.direction != PCAP_D_OUT
        }
    }

    /// The kernel's time stamp in the handle's precision.
    #[inline(always)]
    fn timeval(&self, sec: u64, nsec: u32) -> libc::timeval {
        let frac = if self.precision == PCAP_TSTAMP_PRECISION_NANO { nsec } else { nsec / 1000 };
        libc::timeval { tv_sec: sec as libc::time_t, tv_usec: frac as libc::suseconds_t }
    }
}

/// One V3 packet as pcap_dispatch hands it over, read from the kernel's
/// header; true when it was delivered. A packet that needs more than its
/// header (a tag to put back, a cooked header, a filter run here) goes
/// through [`framed_packet`].
#[inline(always)]
fn live_frame(
    f: &V3Frame<'_>,
    vlan: bool,
    plan: &mut ReadPlan,
    refresh: &mut Refresh<'_>,
    scratch: &mut Vec<u8>,
    tagged: &mut Vec<u8>,
    deliver: &mut impl FnMut(&pcap_pkthdr, &[u8]),
) -> bool {
    if let Some(new) = refresh.poll() {
        *plan = new;
    }
    if plan.cooked.is_some() || plan.filter.is_some() || (vlan && f.has_tag()) {
        return framed_packet(f, vlan, plan, scratch, tagged, deliver);
    }
    let sll = f.link();
    if !plan.wants(sll.sll_pkttype, sll.sll_ifindex, u16::from_be(sll.sll_protocol)) {
        return false;
    }
    let data = f.data().as_slice();
    let caplen = data.len().min(plan.snaplen);
    let ts = plan.timeval(u64::from(f.hdr.tp_sec), f.hdr.tp_nsec);
    deliver(&pcap_pkthdr { ts, caplen: caplen as u32, len: f.hdr.tp_len }, &data[..caplen]);
    true
}

/// [`live_frame`] for a packet that needs its whole record: it is built as
/// the native reader builds it (the tag put back as libpcap does), then
/// handed on as any ring packet is.
#[inline(never)]
fn framed_packet(
    f: &V3Frame<'_>,
    vlan: bool,
    plan: &ReadPlan,
    scratch: &mut Vec<u8>,
    tagged: &mut Vec<u8>,
    deliver: &mut impl FnMut(&pcap_pkthdr, &[u8]),
) -> bool {
    let mut meta = crate::rx::PacketMeta::default();
    f.fill_meta(&mut meta);
    let (data, headroom) = match vlan {
        true => crate::rx::put_tag_back(f.data(), f.headroom(), &mut meta, tagged),
        false => (f.data().as_slice(), f.headroom()),
    };
    meta.caplen = data.len() as u32;
    live_packet(&Packet { data, meta: &meta, headroom: std::cell::Cell::new(headroom) }, plan, scratch, deliver)
}

/// One ring packet as pcap_dispatch hands it over: direction, time stamp,
/// cooked header, filter; true when it was delivered. Inlined into the
/// ring reader, so the packet's fields are read where the reader has them.
#[inline(always)]
fn live_packet(
    p: &Packet<'_>,
    plan: &ReadPlan,
    scratch: &mut Vec<u8>,
    deliver: &mut impl FnMut(&pcap_pkthdr, &[u8]),
) -> bool {
    if !plan.wants(p.meta.pkttype, p.meta.ifindex, p.meta.protocol) {
        return false;
    }
    let ts = plan.timeval(p.meta.ts_sec, p.meta.ts_nsec);
    let (data, len): (&[u8], u32) = match plan.cooked {
        None => (p.data, p.meta.len),
        Some(c) => cooked(p, c, scratch),
    };
    let keep = match plan.filter.as_deref() {
        Some(prog) => {
            let meta = ancillary(p.meta);
            prog.run(data, len, Some(&meta)) as usize
        }
        None => usize::MAX,
    };
    if keep == 0 {
        return false;
    }
    let caplen = data.len().min(plan.snaplen).min(keep);
    deliver(&pcap_pkthdr { ts, caplen: caplen as u32, len }, &data[..caplen]);
    true
}

/// The packet behind its cooked header, and its length with it: in place
/// in the ring, as libpcap does, where the kernel left room before the
/// packet; else a copy in `scratch`.
fn cooked<'a>(p: &'a Packet<'_>, c: Cooked, scratch: &'a mut Vec<u8>) -> (&'a [u8], u32) {
    // SLL (not SLL2) has room for the tag the kernel took out: libpcap
    // puts it before the protocol field.
    let tag = if c == Cooked::Sll && vlan::has_tag(p.meta) { vlan::TAG_LEN } else { 0 };
    let hl = c.len() + tag;
    let mut header = [0u8; MAX_COOKED_HEADER];
    c.write(p.meta, &mut header[..c.len()]);
    if tag > 0 {
        header.copy_within(SLL_PROTOCOL_AT..SLL_PROTOCOL_AT + 2, SLL_PROTOCOL_AT + vlan::TAG_LEN);
        header[SLL_PROTOCOL_AT..SLL_PROTOCOL_AT + vlan::TAG_LEN].copy_from_slice(&vlan::tag(p.meta));
    }
    let framed = match p.with_header(&header[..hl]) {
        Some(framed) => framed,
        None => {
            scratch.clear();
            scratch.extend_from_slice(&header[..hl]);
            scratch.extend_from_slice(p.data);
            &scratch[..]
        }
    };
    (framed, p.meta.len + hl as u32)
}

/// A savefile record's header as pcap_pkthdr (its fraction is already in
/// the handle's precision).
#[inline(always)]
fn pkthdr(h: &crate::savefile::PacketHeader) -> pcap_pkthdr {
    pcap_pkthdr {
        ts: libc::timeval { tv_sec: h.ts_sec as libc::time_t, tv_usec: h.ts_frac as libc::suseconds_t },
        caplen: h.caplen,
        len: h.len,
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
    reader: &mut Reader<CFile>,
    plan: &mut ReadPlan,
    refresh: &mut Refresh<'_>,
    budget: usize,
    breaker: &Breaker,
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
        let Some(packet) = reader.next_packet().map_err(PcapError::from)? else { break };
        if let Some(new) = refresh.poll() {
            *plan = new;
        }
        if let Some(prog) = plan.filter.as_deref() {
            if prog.run(packet.data, packet.header.len, None) == 0 {
                continue;
            }
        }
        deliver(&pkthdr(&packet.header), packet.data);
        n += 1;
    }
    Ok(n)
}

impl Reading {
    /// pcap_next_ex's packet when a savefile's next one that passes the
    /// filter lies whole in its mapping: header in `oneshot_hdr`, the bytes
    /// in place. No system call and no error on the way, so the caller
    /// needs neither the cancellation switch nor an error path. None
    /// (having consumed only packets the filter rejected) sends the call
    /// the general way: not a mapped savefile, its end, a record needing
    /// checks, a break requested.
    #[inline]
    pub fn next_in_memory(&mut self, plan: &ReadPlan, bufs: &mut ReadBuffers, breaker: &Breaker) -> Option<*const u8> {
        let Reading::Offline(reader) = self else { return None };
        // The first packet straight, the rest of a run the filter rejects
        // out of line: a loop here had the reader's state loaded into
        // spill slots before the first packet (measured: 40 instructions).
        match next_accepted(reader, plan, bufs, breaker)? {
            Some(data) => Some(data),
            None => next_accepted_after_rejects(reader, plan, bufs, breaker),
        }
    }
}

/// [`Reading::next_in_memory`]'s step: Some(None) when the filter rejected
/// the packet.
#[inline(always)]
fn next_accepted(
    reader: &mut Reader<CFile>,
    plan: &ReadPlan,
    bufs: &mut ReadBuffers,
    breaker: &Breaker,
) -> Option<Option<*const u8>> {
    if breaker.is_requested() {
        return None;
    }
    let packet = reader.next_packet_in_memory()?;
    if let Some(prog) = plan.filter.as_deref() {
        if prog.run(packet.data, packet.header.len, None) == 0 {
            return Some(None);
        }
    }
    bufs.oneshot_hdr = pkthdr(&packet.header);
    Some(Some(packet.data.as_ptr()))
}

#[inline(never)]
fn next_accepted_after_rejects(
    reader: &mut Reader<CFile>,
    plan: &ReadPlan,
    bufs: &mut ReadBuffers,
    breaker: &Breaker,
) -> Option<*const u8> {
    loop {
        if let Some(data) = next_accepted(reader, plan, bufs, breaker)? {
            return Some(data);
        }
    }
}
