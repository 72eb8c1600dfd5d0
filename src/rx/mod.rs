//! Receiving: open an RX ring on an interface and deliver its packets
//! zero-copy to a callback.
//!
//! Opening is the linear pipeline of `crate::setup` (socket, version,
//! reserve, options, ring, mmap, bind) with the RX options of `RxPlan`; the
//! version's read path is fixed when the handle opens.

mod blocks;
mod controls;
mod frames;
mod plan;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::sync::Arc;

use crate::error::{Error, ErrorCode, Result};
use crate::features::{Applied, Features, ReadOptions};
pub use crate::geometry::Layout;
use crate::geometry::{Geometry, Sizing, Version};
use crate::ring::{MappedRing, Mapping, Span, V1, V2};
use crate::setup;
use crate::socket::{Interface, PacketSocket, SocketKind};
use crate::stats::Stats;
use crate::sys;
pub use crate::wait::WaitFor;
use crate::wait::{Breaker, Wake};

use crate::packet::Headroom;
pub use crate::packet::{self, Packet, PacketMeta};
use blocks::BlockReader;
pub(crate) use blocks::V3Frame;
use frames::FrameReader;
pub(crate) use plan::RxPlan;

/// Default ring: 8 MiB holds about 58 000 minimum-size packets in V3
/// (144 bytes each with headers), i.e. 40 ms of a saturated veth pair on
/// this class of machine, enough to ride out a scheduler hiccup; and it is
/// what the kernel actually allocates (no power-of-two doubling).
pub const DEFAULT_BUFFER_BYTES: usize = 8 << 20;
/// tcpdump's and libpcap's default snapshot length.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// V3 block retire timeout, the bound on delivery latency of sparse
/// traffic: since Linux 6.18 an hrtimer retires the filling block every
/// timeout (p99 0.9 ms at 1 000 pps measured at 1 ms); before, a jiffy
/// timer rounds it up to one jiffy. 1 ms is the smallest the kernel takes.
pub const DEFAULT_BLOCK_TIMEOUT_MS: u32 = 1;
/// A V3 block timeout that never fires: blocks retire only when full
/// (libpcap's choice for a read timeout of 0, "wait for ever").
pub const BLOCK_TIMEOUT_NEVER: u32 = u32::MAX;
/// After a dispatch that drained a busy ring (at least
/// COALESCE_MIN_PACKETS), the next one first waits up to this long so that
/// each wake-up drains several retired blocks: the wake-up (poll, context
/// switch, timer: 10 to 50 us on the benchmark machine) is what dominates
/// CPU per packet once packets cost 20 ns (bench/ANALYSIS.md). The pause is
/// also held to what a quarter of the ring takes to fill at the rate just
/// seen, so it never costs a drop. Sparse traffic never triggers it, so its
/// latency stays the block timeout.
pub const DEFAULT_COALESCE_US: u32 = 16_000;
/// What counts as a busy ring for coalescing.
pub const COALESCE_MIN_PACKETS: usize = 64;

/// Everything an RX handle can be opened with.
#[derive(Clone)]
pub struct CaptureConfig {
    /// Interface name, or "any".
    pub interface: String,
    pub kind: SocketKind,
    pub version: Version,
    /// EtherType to capture, host order (ETH_P_ALL: everything).
    pub protocol: u16,
    pub snaplen: u32,
    pub buffer_bytes: usize,
    pub layout: Option<Layout>,
    pub block_timeout_ms: u32,
    /// V3: how long the ring must hold sparse traffic for a reader that
    /// stalls, in ms (0: not asked). Blocks retire by their timer when
    /// traffic is sparse, so a ring holds block count x block timeout: the
    /// block timeout is raised to hold_ms / block count, which is then
    /// also the latency bound of sparse traffic.
    pub hold_ms: u32,
    pub priv_size: u32,
    pub rxhash: bool,
    pub reserve: u32,
    /// V1/V2: size frames for the MTU and let PACKET_COPY_THRESH hand the
    /// rare larger (GRO/GSO-aggregated) packet over through the socket
    /// queue, instead of sizing every frame for 64 KiB as libpcap does.
    pub copy_threshold: bool,
    /// Poll timeout of a dispatch in milliseconds, -1 waits until a packet or a break.
    pub timeout_ms: i32,
    /// Wake-up coalescing under load, in microseconds (0: off).
    pub coalesce_us: u32,
    pub nonblocking: bool,
    pub lock_memory: bool,
    /// A link going down is not an error: dispatch waits for it to come
    /// back up, watching for the device to vanish meanwhile (libpcap's
    /// rule, which tcpdump relies on to survive a link flap). Off, a link
    /// going down ends the dispatch with InterfaceDown.
    pub wait_out_link_down: bool,
    /// Supplied by callers that must reach the breaker without the handle
    /// (a signal handler); otherwise the handle makes its own.
    pub breaker: Option<Arc<Breaker>>,
    /// Optional kernel features: fanout, filter, timestamps, VLAN,
    /// memberships, direction (see `crate::features`).
    pub features: Features,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            interface: "any".into(),
            kind: SocketKind::Raw,
            version: Version::V3,
            protocol: sys::ETH_P_ALL as u16,
            snaplen: DEFAULT_SNAPLEN,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            layout: None,
            block_timeout_ms: DEFAULT_BLOCK_TIMEOUT_MS,
            hold_ms: 0,
            priv_size: 0,
            rxhash: false,
            reserve: 0,
            copy_threshold: true,
            timeout_ms: -1,
            coalesce_us: DEFAULT_COALESCE_US,
            nonblocking: false,
            lock_memory: true,
            wait_out_link_down: false,
            breaker: None,
            features: Features::default(),
        }
    }
}

impl CaptureConfig {
    /// The explicit layout as a geometry for this configuration's version.
    pub fn explicit_geometry(&self) -> Option<Geometry> {
        self.layout.map(|l| Geometry {
            version: self.version,
            block_size: l.block_size,
            block_nr: l.block_nr,
            frame_size: l.frame_size,
            frame_nr: l.frame_nr,
            priv_size: if self.version == Version::V3 { self.priv_size } else { 0 },
            reserve: self.reserve,
        })
    }

    /// The V3 block timeout the ring gets: the one asked for, or what the
    /// hold time needs over this geometry's blocks (whichever is longer).
    pub fn retire_timeout_ms(&self, g: &Geometry) -> u32 {
        if self.hold_ms == 0 {
            return self.block_timeout_ms;
        }
        self.block_timeout_ms.max(self.hold_ms.div_ceil(g.block_nr.max(1)))
    }

    /// Checks the options that do not need the kernel.
    pub fn check(&self) -> Result<()> {
        if self.snaplen == 0 || self.snaplen > DEFAULT_SNAPLEN {
            return Err(Error::invalid(format!(
                "snaplen {} is out of range; valid: 1 to {DEFAULT_SNAPLEN}",
                self.snaplen
            )));
        }
        if self.timeout_ms < -1 {
            return Err(Error::invalid(format!(
                "timeout {} ms is invalid; use -1 (wait forever), 0 (do not wait) or a positive number of ms",
                self.timeout_ms
            )));
        }
        if self.coalesce_us > 1_000_000 {
            return Err(Error::invalid(format!(
                "coalescing interval {} us is out of range; valid: 0 (off) to 1000000",
                self.coalesce_us
            )));
        }
        if self.version != Version::V3 && self.hold_ms != 0 {
            return Err(Error::invalid(
                "a hold time needs TPACKET_V3 (blocks retired by a timer); V1/V2 rings hold frame count packets",
            ));
        }
        if self.version != Version::V3 && (self.priv_size != 0 || self.rxhash) {
            return Err(Error::invalid(
                "block private area and rx hash are TPACKET_V3 features; set version 3 to use them",
            ));
        }
        if self.version == Version::V1 && self.features.vlan_reinsert {
            return Err(Error::invalid(
                "VLAN tag re-insertion needs TPACKET_V2 or V3: a V1 frame header (struct tpacket_hdr) has no VLAN \
                 fields, so the kernel cannot report the tags it took out; set version 2 or 3",
            ));
        }
        if let Some(g) = self.explicit_geometry() {
            g.validate()?;
        }
        Ok(())
    }

    fn sizing(&self, socket: &PacketSocket, iface: &Interface) -> Sizing {
        let link = match self.kind {
            SocketKind::Raw => iface.link_header_len(),
            SocketKind::Dgram => 0,
        };
        // Offloading devices deliver aggregated packets up to 64 KiB; two
        // VLAN tags of headroom cover tags the device does not strip.
        let frames_hold_aggregates = self.version == Version::V3 || !self.copy_threshold;
        let payload = if frames_hold_aggregates && (iface.index == 0 || socket.device_aggregates(&iface.name)) {
            65_535
        } else if iface.index == 0 {
            // "any" reports lo's 64 KiB MTU; frames sized for it would make
            // the ring hold a few hundred packets. Size them for the largest
            // other device and let PACKET_COPY_THRESH bring loopback's
            // larger packets, as for aggregates on a named device.
            socket.largest_mtu_except_loopback().min(65_535) + 8
        } else {
            iface.mtu.min(65_535) + 8
        };
        // The kernel moves the packet back by the virtio-net header it writes in front.
        let vnet = if self.features.vnet_header { packet::VNET_HDR_LEN as u32 } else { 0 };
        Sizing {
            version: self.version,
            buffer_bytes: self.buffer_bytes,
            snaplen: self.snaplen,
            max_packet: payload + link,
            link_header: link,
            reserve: self.reserve + vnet,
            priv_size: if self.version == Version::V3 { self.priv_size } else { 0 },
        }
    }
}

/// The version's reader, chosen once at open; each is compiled for its
/// frame header, so the per-packet code never asks the version.
enum Reader {
    V1(FrameReader<V1>),
    V2(FrameReader<V2>),
    V3(BlockReader),
}

/// An open RX ring.
pub struct Capture {
    // Field order is drop order: unmap before the socket closes. Both are
    // shared with the Transmitter of a combined RX+TX socket (crate::duplex).
    /// The RX ring, at the start of the mapping.
    ring: MappedRing,
    reader: Reader,
    socket: Arc<PacketSocket>,
    kind: SocketKind,
    interface: Interface,
    breaker: Arc<Breaker>,
    stats: Stats,
    snaplen: u32,
    timeout_ms: i32,
    nonblocking: bool,
    /// Wake-up coalescing: the longest pause in ms (0: off), the pause the
    /// next dispatch owes (0: none), and when the last read ended with
    /// how much of the ring it had taken by then (see `pace`).
    coalesce_ms: i32,
    pause_ms: i32,
    last_read: Option<(std::time::Instant, u64)>,
    /// Cold facts of the open, boxed: the handle stays small enough to sit
    /// inline in the pcap layer's handle beside a savefile reader.
    shrunk_from: Option<Box<Geometry>>,
    block_timeout_ms: u32,
    read_options: ReadOptions,
    applied: Box<Applied>,
    link: LinkState,
    wait_out_link_down: bool,
    pending: Option<Pending>,
}

/// What the socket last said of its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Up,
    /// ENETDOWN seen: down, or about to be unregistered; the kernel says
    /// nothing more when it goes, so it is looked at every millisecond.
    Down,
    /// Unregistered (deleted or moved to another namespace): every
    /// dispatch from now on fails at once, as libpcap's does.
    Gone,
}

/// A dispatch step's outcome: packets delivered, or a wait to do first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Done(usize),
    Wait(WaitFor),
}

/// The wait a dispatch step is in the middle of.
#[derive(Debug, Clone, Copy)]
enum Pending {
    Pause,
    Ring { deadline: Option<std::time::Instant> },
}

/// libpcap's text for a capture device that vanished, which programs
/// compare verbatim: the message of that error starts with it, so the pcap
/// layer can give it alone.
pub const DISAPPEARED: &str = "The interface disappeared";

/// The pause before the next look at a busy ring whose `capacity` units
/// (V3 blocks, V1/V2 frames) filled `units` in `elapsed_us`: at most
/// `max_ms`, and at most what a quarter of the ring takes to fill at that
/// rate, so the pause never costs a drop; none when it would be shorter
/// than one unit takes, for then it hands over nothing more and only adds a
/// wake-up (blocks that retire by a long to_ms, at low rates).
fn coalescing_pause_ms(max_ms: i32, capacity: u64, units: u64, elapsed_us: u64) -> i32 {
    let units = units.max(1);
    let quarter_fills_us = elapsed_us.saturating_mul(capacity) / (4 * units);
    let pause_us = quarter_fills_us.min(max_ms.max(0) as u64 * 1000);
    if pause_us < elapsed_us / units {
        return 0;
    }
    (pause_us / 1000) as i32
}

/// How often a down link is checked for having come back or vanished (libpcap's 1 ms).
const LINK_DOWN_POLL_MS: i32 = 1;
/// How many of those a "went down" report waits for the device to turn
/// out deleted instead (the kernel unregisters it just after).
const GONE_SETTLE_CHECKS: u32 = 20;

/// The state a reader needs to hand one packet to the callback.
/// Generic over the callback, so each caller's reader is compiled with its
/// callback inlined: no indirect call per packet between ring and callback.
pub(crate) struct Delivery<'a, F: ?Sized = dyn FnMut(&Packet<'_>) + 'a> {
    pub budget: usize,
    snaplen: u32,
    breaker: &'a Breaker,
    callback: &'a mut F,
    options: &'a mut ReadOptions,
    /// Packets read from the ring and not delivered (direction option).
    skipped: u64,
    /// Delivered packets the kernel cut short to fit their frame.
    truncated: u64,
}

/// How a reader found a packet in the ring.
pub(crate) struct Found<'d> {
    /// Not yet a slice: delivery may put a VLAN tag back in place first.
    pub data: Span<'d>,
    /// Built in the reader's frame and handed on by reference: moving it
    /// would copy it out of stores still in flight, a stall per packet.
    pub meta: &'d mut PacketMeta,
    /// The kernel cut the packet to fit its frame (or V3 block) and no whole
    /// copy came with it: caplen < len for a reason other than the snaplen.
    pub cut_by_frame: bool,
    /// The ring bytes free just before `data` (none for a copy).
    pub headroom: Option<Headroom>,
}

/// The bytes of `region` from `from` (just past the frame's sockaddr_ll)
/// to `to` (where the packet starts): room the pcap layer may write a
/// cooked header into, in place.
fn headroom(region: &crate::ring::Region<'_>, from: usize, to: usize) -> Option<Headroom> {
    let len = to.checked_sub(from)?;
    let start = std::ptr::NonNull::new(region.ptr_at(from, len)?)?;
    Some(Headroom { start, len })
}

/// The packet with the VLAN tag the kernel took out put back, if it had
/// one: in the ring's room before the packet, as libpcap does, or rebuilt
/// in `buf` when there is no room (a copy); `data` is the packet as found,
/// not yet viewed, and nothing else may view it meanwhile.
#[inline(always)]
pub(crate) fn put_tag_back<'d>(
    data: Span<'d>,
    headroom: Option<Headroom>,
    meta: &mut PacketMeta,
    buf: &'d mut Vec<u8>,
) -> (&'d [u8], Option<Headroom>) {
    if !crate::vlan::has_tag(meta) {
        return (data.as_slice(), headroom);
    }
    // SAFETY: the reader owns the frame or block until the callback
    // returns, and nothing has viewed the packet yet (`Span`).
    match headroom.and_then(|room| unsafe { crate::vlan::reinsert_in_place(room, data, meta) }) {
        Some((tagged, room)) => (tagged.as_slice(), room),
        None if crate::vlan::reinsert(data.as_slice(), meta, buf) => (&buf[..], None),
        None => (data.as_slice(), headroom),
    }
}

impl<F: FnMut(&Packet<'_>) + ?Sized> Delivery<'_, F> {
    /// Hands one packet to the callback; false when the direction option skips it.
    #[inline(always)]
    fn deliver(&mut self, found: Found<'_>) -> bool {
        let Found { data, meta, cut_by_frame, headroom } = found;
        if !self.options.direction.accepts(meta.pkttype) {
            self.skipped += 1;
            return false;
        }
        self.truncated += u64::from(cut_by_frame);
        let (data, headroom) = match self.options.vlan_buffer.as_mut() {
            Some(buf) => put_tag_back(data, headroom, meta, buf),
            None => (data.as_slice(), headroom),
        };
        let caplen = data.len().min(self.snaplen as usize);
        meta.caplen = caplen as u32;
        (self.callback)(&Packet { data: &data[..caplen], meta, headroom: Cell::new(headroom) });
        true
    }

    /// Whether the capture asked for virtio-net headers in front of packets.
    #[inline(always)]
    fn vnet(&self) -> bool {
        self.options.vnet
    }

    #[inline(always)]
    fn should_stop(&self) -> bool {
        self.breaker.is_requested()
    }
}

impl Capture {
    /// Opens an RX ring as `config` says: the steps of `crate::setup`, in order.
    pub fn open(config: &CaptureConfig) -> Result<Capture> {
        RxPlan::check(config)?;
        let (socket, interface) = setup::socket(config.kind, &config.interface)?;
        setup::version(&socket, config.version)?;
        setup::reserve(&socket, config.reserve)?;
        let mut plan = RxPlan::prepare(config, &socket, &interface)?;
        plan.request_ring(&socket)?;
        plan.size_receive_buffer(&socket)?;
        let mapping = setup::mmap(&socket, plan.ring_bytes(), config.lock_memory)?;
        setup::bind(&socket, &interface, config.protocol)?;
        Capture::from_parts(config, plan, socket, interface, mapping)
    }

    /// The handle over a bound socket whose RX ring is mapped at the start
    /// of `mapping`: the options that need a bound socket, then the reader.
    pub(crate) fn from_parts(
        config: &CaptureConfig,
        plan: RxPlan,
        socket: PacketSocket,
        interface: Interface,
        mapping: Arc<Mapping>,
    ) -> Result<Capture> {
        let RxPlan { geometry, knobs, copy_threshold, mut applied, shrunk_from } = plan;
        // The layout is checked against the mapping once, here.
        let ring = MappedRing::new(mapping, 0, geometry)?;
        config.features.after_bind(&socket, &mut applied)?;
        if config.nonblocking {
            socket.set_nonblocking(true)?;
        }
        let breaker = match &config.breaker {
            Some(b) => {
                b.arm()?;
                b.clone()
            }
            None => Arc::new(Breaker::new()?),
        };
        let copy_len = match (copy_threshold, config.features.vnet_header) {
            (false, _) => 0,
            (true, false) => config.snaplen as usize,
            (true, true) => config.snaplen as usize + packet::VNET_HDR_LEN,
        };
        let reader = match config.version {
            Version::V1 => Reader::V1(FrameReader::new(copy_len)),
            Version::V2 => Reader::V2(FrameReader::new(copy_len)),
            Version::V3 => Reader::V3(BlockReader::new()),
        };
        Ok(Capture {
            ring,
            reader,
            socket: Arc::new(socket),
            kind: config.kind,
            interface,
            breaker,
            stats: Stats::default(),
            snaplen: config.snaplen,
            timeout_ms: config.timeout_ms,
            nonblocking: config.nonblocking,
            coalesce_ms: config.coalesce_us.div_ceil(1000) as i32,
            pause_ms: 0,
            last_read: None,
            shrunk_from: shrunk_from.map(Box::new),
            block_timeout_ms: knobs.retire_timeout_ms,
            read_options: ReadOptions::new(&config.features),
            applied: Box::new(applied),
            link: LinkState::Up,
            wait_out_link_down: config.wait_out_link_down,
            pending: None,
        })
    }

    /// The ring actually allocated.
    pub fn geometry(&self) -> Geometry {
        self.ring.geometry()
    }

    /// The geometry first asked for, when ENOMEM forced a smaller ring.
    pub fn shrunk_from(&self) -> Option<Geometry> {
        self.shrunk_from.as_deref().copied()
    }

    pub fn interface(&self) -> &Interface {
        &self.interface
    }

    /// SOCK_RAW or SOCK_DGRAM.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// The snapshot length the handle delivers.
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    pub fn breaker(&self) -> Arc<Breaker> {
        self.breaker.clone()
    }

    pub fn fd(&self) -> i32 {
        self.socket.fd()
    }

    pub fn socket(&self) -> &PacketSocket {
        &self.socket
    }

    /// The socket, for holders that must reach it while the ring is being
    /// read (statistics and filter changes from a callback).
    pub fn shared_socket(&self) -> Arc<PacketSocket> {
        self.socket.clone()
    }

    pub fn memory_locked(&self) -> bool {
        self.ring.mapping().is_locked()
    }

    pub fn set_nonblocking(&mut self, on: bool) -> Result<()> {
        self.socket.set_nonblocking(on)?;
        self.nonblocking = on;
        Ok(())
    }

    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    pub fn set_timeout(&mut self, timeout_ms: i32) -> Result<()> {
        if timeout_ms < -1 {
            return Err(Error::invalid(format!(
                "timeout {timeout_ms} ms is invalid; use -1, 0 or a positive number of ms"
            )));
        }
        self.timeout_ms = timeout_ms;
        Ok(())
    }

    fn ready(&self) -> bool {
        let ring = self.ring.mem();
        match &self.reader {
            Reader::V1(r) => ring.frames().is_ok_and(|f| r.ready(&f)),
            Reader::V2(r) => ring.frames().is_ok_and(|f| r.ready(&f)),
            Reader::V3(r) => ring.blocks().is_ok_and(|b| r.ready(&b)),
        }
    }

    fn take_break(&self) -> Error {
        self.breaker.clear();
        Error::new(ErrorCode::Break, "loop ended by breakloop")
    }

    /// libpcap's text first (programs compare it), then which device.
    fn disappeared(&self) -> Error {
        Error::new(
            ErrorCode::InterfaceDown,
            format!("{DISAPPEARED}: '{}' was deleted or moved to another network namespace", self.interface.name),
        )
    }

    /// Whether the device the socket is bound to was unregistered. "any"
    /// (index 0) never goes away.
    fn device_gone(&self) -> bool {
        self.interface.index != 0 && self.socket.bound_ifindex().is_ok_and(|i| i == -1)
    }

    /// Reads the error the socket reported; Ok when the link only went
    /// down and the handle waits that out.
    fn socket_failure(&mut self) -> Result<()> {
        match self.socket.take_error() {
            Some(e) if matches!(e.raw_os_error(), Some(libc::ENETDOWN)) => {
                self.link = LinkState::Down;
                if self.wait_out_link_down {
                    return Ok(());
                }
                // A device being deleted is first reported down, and only
                // unregistered a moment later: give it that moment, so the
                // error says which of the two happened.
                for _ in 0..GONE_SETTLE_CHECKS {
                    self.check_link()?;
                    std::thread::sleep(std::time::Duration::from_millis(LINK_DOWN_POLL_MS as u64));
                }
                Err(Error::new(ErrorCode::InterfaceDown, format!("interface '{}' went down", self.interface.name)))
            }
            Some(e) if matches!(e.raw_os_error(), Some(libc::ENODEV) | Some(libc::ENXIO)) => {
                self.link = LinkState::Gone;
                Err(self.disappeared())
            }
            Some(e) => Err(Error::os("packet socket", e)),
            None => Err(Error::new(
                ErrorCode::InterfaceDown,
                format!("interface '{}' reported an error or hang-up", self.interface.name),
            )),
        }
    }

    /// For a link that went down: has it come back, or vanished?
    fn check_link(&mut self) -> Result<()> {
        if self.device_gone() {
            self.link = LinkState::Gone;
            return Err(self.disappeared());
        }
        match self.socket.interface_flags(&self.interface.name) {
            Ok(flags) if flags & libc::IFF_UP as u32 != 0 => self.link = LinkState::Up,
            Ok(_) => {}
            Err(e) if matches!(e.errno(), Some(libc::ENODEV) | Some(libc::ENXIO)) => {
                self.link = LinkState::Gone;
                return Err(self.disappeared());
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Delivers up to `budget` packets (usize::MAX: all that are ready),
    /// waiting first when none are. Returns how many were delivered: 0 on
    /// timeout or in nonblocking mode with nothing ready; Err(Break) when a
    /// break was requested before any packet was delivered.
    pub fn dispatch<F: FnMut(&Packet<'_>) + ?Sized>(&mut self, budget: usize, callback: &mut F) -> Result<usize> {
        let mut woke = None;
        loop {
            match self.step(budget, callback, woke)? {
                Step::Done(n) => return Ok(n),
                Step::Wait(w) => woke = Some(self.wait(w)?),
            }
        }
    }

    /// Waits as a [`Step::Wait`] asks.
    pub fn wait(&self, w: WaitFor) -> Result<Wake> {
        crate::wait::wait_for(self.socket.fd(), &self.breaker, w)
    }

    /// One step of a dispatch that never blocks: it delivers what is ready
    /// (`Step::Done`), or says what to wait for (`Step::Wait`), after which
    /// it is called again with what the wait ended with. Callers that must
    /// wait outside their own frame use it (the C exports wait where a
    /// thread cancellation may unwind, see `crate::cancel`); `dispatch` is
    /// the loop for everyone else.
    pub fn step<F: FnMut(&Packet<'_>) + ?Sized>(
        &mut self,
        budget: usize,
        callback: &mut F,
        woke: Option<Wake>,
    ) -> Result<Step> {
        self.step_by(budget, woke, |cap| {
            let mut delivery = Delivery {
                budget,
                snaplen: cap.snaplen,
                breaker: &cap.breaker,
                callback,
                options: &mut cap.read_options,
                skipped: 0,
                truncated: 0,
            };
            // One match per dispatch; the loop inside is the version's own.
            let ring = cap.ring.mem();
            let n = match &mut cap.reader {
                Reader::V1(r) => r.read(&ring.frames()?, &cap.socket, &mut delivery),
                Reader::V2(r) => r.read(&ring.frames()?, &cap.socket, &mut delivery),
                Reader::V3(r) => r.read(&ring.blocks()?, ring.geometry().priv_size as usize, &mut delivery),
            };
            cap.stats.filtered += delivery.skipped;
            cap.stats.truncated += delivery.truncated;
            Ok(n)
        })
    }

    /// [`Capture::step`] for a caller that reads packets straight from the
    /// V3 block, as the kernel wrote them ([`V3Frame`]): no [`PacketMeta`]
    /// is built, and no read option applies (a VLAN tag is not put back:
    /// [`put_tag_back`] is there for that). `each` says whether it took the
    /// packet. Only for V3 rings opened without a direction option or
    /// virtio-net headers, which this path could not honour.
    pub(crate) fn step_frames<E: FnMut(&V3Frame<'_>) -> bool>(
        &mut self,
        budget: usize,
        each: &mut E,
        woke: Option<Wake>,
    ) -> Result<Step> {
        if !self.reads_frames() {
            return Err(Error::invalid(
                "reading V3 frames needs a TPACKET_V3 ring without a direction option or virtio-net headers",
            ));
        }
        self.step_by(budget, woke, |cap| {
            let ring = cap.ring.mem();
            let Reader::V3(r) = &mut cap.reader else { return Ok(0) };
            // What `each` refused counts as filtered, as the direction
            // option's skips do, so the counts still add up to received;
            // what it took short of its length, as truncated.
            let (mut refused, mut truncated) = (0u64, 0u64);
            let mut counted = |f: &V3Frame<'_>| {
                let took = each(f);
                refused += u64::from(!took);
                truncated += u64::from(took && f.cut_by_frame());
                took
            };
            let blocks = ring.blocks()?;
            let n = r.read_frames(&blocks, ring.geometry().priv_size as usize, budget, &cap.breaker, &mut counted);
            cap.stats.filtered += refused;
            cap.stats.truncated += truncated;
            Ok(n)
        })
    }

    /// Whether [`Capture::step_frames`] can read this capture.
    pub(crate) fn reads_frames(&self) -> bool {
        matches!(self.reader, Reader::V3(_))
            && self.read_options.direction == crate::direction::Direction::Both
            && !self.read_options.vnet
    }

    /// Whether packets come with the VLAN tags the kernel took out put back.
    pub(crate) fn reinserts_vlan(&self) -> bool {
        self.read_options.vlan_buffer.is_some()
    }

    /// A dispatch step around `read`, which takes what the ring holds and
    /// says how many packets it delivered: the waits (a coalescing pause,
    /// the ring, a link that went down), the counts and the pacing are the
    /// same whichever way the packets are read.
    #[inline(always)]
    fn step_by(
        &mut self,
        budget: usize,
        woke: Option<Wake>,
        read: impl FnOnce(&mut Capture) -> Result<usize>,
    ) -> Result<Step> {
        if self.link == LinkState::Gone {
            self.pending = None;
            return Err(self.disappeared());
        }
        let waited_on_ring = match (self.pending.take(), woke) {
            (Some(_), Some(Wake::Break)) => return Err(self.take_break()),
            (Some(Pending::Pause), _) => false,
            (Some(Pending::Ring { deadline }), Some(wake)) => {
                if wake == Wake::SocketError {
                    self.socket_failure()?;
                }
                if self.link == LinkState::Down {
                    self.check_link()?;
                }
                let timed_out = deadline.is_some_and(|d| std::time::Instant::now() >= d);
                if self.link == LinkState::Down && !self.ready() && !timed_out {
                    self.pending = Some(Pending::Ring { deadline });
                    return Ok(Step::Wait(WaitFor { ring: true, timeout_ms: LINK_DOWN_POLL_MS }));
                }
                true
            }
            (_, _) => {
                if self.breaker.is_requested() {
                    return Err(self.take_break());
                }
                if budget == 0 {
                    return Ok(Step::Done(0));
                }
                let pause = std::mem::take(&mut self.pause_ms);
                if pause > 0 && !self.nonblocking {
                    let ms = if self.timeout_ms >= 0 { pause.min(self.timeout_ms) } else { pause };
                    self.pending = Some(Pending::Pause);
                    return Ok(Step::Wait(WaitFor { ring: false, timeout_ms: ms }));
                }
                false
            }
        };
        if !self.ready() && !waited_on_ring {
            if self.nonblocking {
                return Ok(Step::Done(0));
            }
            let deadline = (self.timeout_ms > 0)
                .then(|| std::time::Instant::now() + std::time::Duration::from_millis(self.timeout_ms as u64));
            self.pending = Some(Pending::Ring { deadline });
            let timeout_ms = if self.link == LinkState::Down { LINK_DOWN_POLL_MS } else { self.timeout_ms };
            return Ok(Step::Wait(WaitFor { ring: true, timeout_ms }));
        }
        let n = read(self)?;
        self.stats.delivered += n as u64;
        self.pause_ms = self.pace(budget, n);
        if n == 0 && self.breaker.is_requested() {
            return Err(self.take_break());
        }
        Ok(Step::Done(n))
    }

    /// The pause owed before the next look at the ring, after a read that
    /// delivered `delivered` packets: a busy ring is left to fill a while,
    /// so one wake-up drains several blocks (`coalescing_pause_ms`, at the
    /// rate of the ring's units taken since the last read).
    fn pace(&mut self, budget: usize, delivered: usize) -> i32 {
        // Off (immediate mode), or a read that could never count as busy
        // (dumpcap asks for one packet per call): no clock read. The next
        // read that can owe a pause measures the rate over the whole span
        // since the last measured read, units and time alike.
        if self.coalesce_ms == 0 || budget < COALESCE_MIN_PACKETS {
            return 0;
        }
        let (taken, capacity) = match &self.reader {
            Reader::V1(_) | Reader::V2(_) => {
                (self.stats.delivered + self.stats.filtered, u64::from(self.ring.geometry().frame_nr))
            }
            Reader::V3(r) => (r.released(), u64::from(self.ring.geometry().block_nr)),
        };
        let now = std::time::Instant::now();
        let last = self.last_read.replace((now, taken));
        if delivered < COALESCE_MIN_PACKETS || self.ready() {
            return 0;
        }
        let Some((then, taken_then)) = last else { return 0 };
        let elapsed_us = now.saturating_duration_since(then).as_micros() as u64;
        coalescing_pause_ms(self.coalesce_ms, capacity, taken.saturating_sub(taken_then), elapsed_us)
    }

    /// What the open pipeline's feature steps reported (timestamp fallback, fanout group).
    pub fn applied(&self) -> &Applied {
        &self.applied
    }

    /// Gives every packet the ring holds back to the kernel undelivered, and
    /// empties the socket queue; returns how many packets were discarded.
    /// A V3 block the kernel is still filling is waited for (up to
    /// `settle_ms`) so that its packets are discarded too.
    pub fn discard_pending(&mut self, settle_ms: u64) -> usize {
        let ring = self.ring.mem();
        let n = match &mut self.reader {
            Reader::V1(r) => ring.frames().map_or(0, |f| r.discard(&f)),
            Reader::V2(r) => ring.frames().map_or(0, |f| r.discard(&f)),
            Reader::V3(r) => ring.blocks().map_or(0, |b| r.discard(&b, settle_ms)),
        };
        // Copies queued by PACKET_COPY_THRESH belong to frames counted above.
        crate::sockfilter::drain_socket_queue(&self.socket);
        self.stats.filtered += n as u64;
        n
    }

    /// V3 block retire timeout the ring was opened with (0: kernel's choice).
    pub fn block_timeout_ms(&self) -> u32 {
        self.block_timeout_ms
    }

    /// Totals since open (reads and accumulates the kernel counters).
    pub fn stats(&mut self) -> Result<Stats> {
        self.stats.refresh(&self.socket, self.ring.geometry().version)?;
        Ok(self.stats)
    }
}
