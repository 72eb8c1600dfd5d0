//! Transmitting: a TX ring on an interface, filled zero-copy in ring order
//! and handed to the kernel one send() per batch.
//!
//! Opening is the linear pipeline of `crate::setup` (socket, version,
//! options, ring, mmap, bind), the mirror of `rx`. The options and the ring
//! request are separate steps ([`TxPlan`]) so that the combined RX+TX
//! socket in `duplex` can run them between its own steps: the kernel
//! refuses PACKET_LOSS and PACKET_TX_HAS_OFF once any ring exists, and
//! wants the RX ring first in the one mapping.
//!
//! Frame order: the kernel's send() walks the ring from its own head and
//! stops at the first frame that is not SEND_REQUEST, so frames are handed
//! out and committed strictly in ring order and a reserved frame is never
//! skipped.

mod hooks;
pub mod ring;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::error::{Error, ErrorCode, Result};
use crate::geometry::{Geometry, Layout, Sizing, Version};
pub use crate::packet::VnetHeader;
use crate::packet::VNET_HDR_LEN;
use crate::ring::{MappedRing, Mapping};
use crate::setup;
use crate::socket::{link_address, Interface, PacketSocket, SocketKind};
use crate::sys;
use hooks::Hooks;

use ring::{default_data_offset, FrameState, TxRing};

/// Default TX ring: 1 MiB (about 650 MTU-sized V2 frames). A send() runs
/// the whole transmit path on the calling CPU; measured on veth
/// (bench/tx/README.md), 256 KiB to 4 MiB rings perform alike within the
/// noise and 16 MiB is slower (cache footprint).
pub const DEFAULT_TX_BUFFER_BYTES: usize = 1 << 20;
/// Frames committed before the library kicks the kernel by itself; 0 (the
/// default) kicks only when the ring is full or the caller kicks/flushes.
/// Measured on veth (bench/tx/README.md), one send() per full ring cost
/// about 0.85 CPU s per million 64-byte frames against 1.25 with a kick
/// every 256 frames and 2.6 with one per frame.
pub const DEFAULT_BATCH: u32 = 0;

/// A transmit timestamp source request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxTimestamps {
    Off,
    /// Hardware when the device can, else the software fallback (with a warning).
    On,
}

/// Everything a TX handle can be opened with.
#[derive(Clone)]
pub struct TxConfig {
    pub interface: String,
    pub kind: SocketKind,
    pub version: Version,
    /// SOCK_DGRAM: link-layer destination address (e.g. a MAC) of every packet.
    pub destination: Vec<u8>,
    /// SOCK_DGRAM: EtherType of every packet, host order.
    pub protocol: u16,
    pub buffer_bytes: usize,
    pub layout: Option<Layout>,
    /// PACKET_QDISC_BYPASS: hand frames straight to the driver.
    pub qdisc_bypass: bool,
    /// PACKET_LOSS: the kernel skips frames it cannot send instead of stopping.
    pub loss: bool,
    /// PACKET_TX_HAS_OFF: packet data starts this many bytes into the frame.
    pub data_offset: Option<u32>,
    /// SO_PRIORITY of the packets (0-6, or more with CAP_NET_ADMIN).
    pub priority: Option<i32>,
    pub timestamps: TxTimestamps,
    /// Frames per automatic kick (0: kick only when full or asked).
    pub batch: u32,
    /// A full ring returns RingFull instead of waiting.
    pub nonblocking: bool,
    pub lock_memory: bool,
    /// PACKET_VNET_HDR: each frame carries a virtio-net header in front of
    /// the packet, asking the kernel for segmentation (GSO) or a checksum
    /// (see [`Transmitter::send_vnet`]). SOCK_RAW only; frames are sized
    /// for 64 KiB packets.
    pub vnet_header: bool,
}

impl Default for TxConfig {
    fn default() -> Self {
        TxConfig {
            interface: String::new(),
            kind: SocketKind::Raw,
            version: Version::V2,
            destination: Vec::new(),
            protocol: 0,
            buffer_bytes: DEFAULT_TX_BUFFER_BYTES,
            layout: None,
            qdisc_bypass: false,
            loss: false,
            data_offset: None,
            priority: None,
            timestamps: TxTimestamps::Off,
            batch: DEFAULT_BATCH,
            nonblocking: false,
            lock_memory: true,
            vnet_header: false,
        }
    }
}

impl TxConfig {
    /// Checks the options that do not need the kernel.
    pub fn check(&self) -> Result<()> {
        if self.interface.is_empty() || self.interface == "any" {
            return Err(Error::new(
                ErrorCode::UnknownInterface,
                "transmitting needs a named interface (\"any\" and \"\" cannot send)",
            ));
        }
        if self.kind == SocketKind::Dgram {
            if self.destination.is_empty() || self.destination.len() > 8 {
                return Err(Error::invalid(format!(
                    "SOCK_DGRAM transmit needs a destination link-layer address of 1 to 8 bytes (got {})",
                    self.destination.len()
                )));
            }
            if self.protocol == 0 {
                return Err(Error::invalid("SOCK_DGRAM transmit needs the packets' protocol (an EtherType, not 0)"));
            }
        }
        self.check_vnet_header()?;
        self.check_data_offset()?;
        if let Some(g) = self.explicit_geometry(0) {
            g.validate()?;
            self.check_room(&g)?;
        }
        Ok(())
    }

    /// PACKET_VNET_HDR: the kernel takes it on SOCK_RAW sockets only.
    pub fn check_vnet_header(&self) -> Result<()> {
        if self.vnet_header && self.kind == SocketKind::Dgram {
            return Err(Error::invalid(
                "virtio-net headers (PACKET_VNET_HDR) need SOCK_RAW: the kernel refuses them on SOCK_DGRAM sockets, \
                 whose link-layer header it builds itself",
            ));
        }
        Ok(())
    }

    /// PACKET_TX_HAS_OFF: the kernel accepts offsets from the end of the
    /// frame header on (tpacket_parse_header's off_min).
    pub fn check_data_offset(&self) -> Result<()> {
        if let Some(off) = self.data_offset {
            let min = default_data_offset(self.version) as u32;
            if off < min || off > u16::MAX as u32 {
                return Err(Error::invalid(format!(
                    "data offset {off} is out of range for TPACKET_V{}: it must be at least the frame header ({min}) and at most 65535",
                    self.version.number()
                )));
            }
        }
        Ok(())
    }

    fn data_offset(&self) -> usize {
        self.data_offset.map(|o| o as usize).unwrap_or_else(|| default_data_offset(self.version))
    }

    /// The explicit layout as a geometry (V3 TX: no private area).
    pub fn explicit_geometry(&self, reserve: u32) -> Option<Geometry> {
        self.layout.map(|l| Geometry {
            version: self.version,
            block_size: l.block_size,
            block_nr: l.block_nr,
            frame_size: l.frame_size,
            frame_nr: l.frame_nr,
            priv_size: 0,
            reserve,
        })
    }

    fn check_room(&self, g: &Geometry) -> Result<()> {
        let off = self.data_offset();
        if off + 1 > g.frame_size as usize {
            return Err(Error::invalid(format!(
                "data offset {off} leaves no room in {}-byte frames; use frames of at least {} bytes",
                g.frame_size,
                sys::tpacket_align(off + 64)
            )));
        }
        Ok(())
    }
}

/// One report of a frame the kernel refused (TP_STATUS_WRONG_FORMAT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Ring frame index.
    pub index: u32,
    /// Sequence number of the packet (0 for the first committed packet).
    pub seq: u64,
    /// The packet's length.
    pub len: u32,
    /// errno the kernel's send() returned for it (EINVAL, EMSGSIZE, ...).
    pub errno: i32,
    pub reason: String,
}

/// A transmit timestamp read back from a returned frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxStamp {
    pub seq: u64,
    pub index: u32,
    pub ts_sec: u64,
    pub ts_nsec: u32,
    /// TP_STATUS_TS_* bits: which clock stamped it; 0 = no timestamp.
    pub source: u32,
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxStats {
    /// Packets committed to the ring.
    pub queued: u64,
    /// Packets the kernel handed back as done (sent, or skipped under PACKET_LOSS).
    pub completed: u64,
    /// Frames the kernel rejected (TP_STATUS_WRONG_FORMAT).
    pub rejected: u64,
    /// send() calls.
    pub kicks: u64,
    /// Times a full ring had to wait (or returned RingFull).
    pub ring_full: u64,
    /// send() calls that reported a dropped packet (ENOBUFS and the like).
    pub send_errors: u64,
    pub bytes_queued: u64,
}

/// The TX half of an open pipeline: options set, ring requested, not yet mapped.
pub(crate) struct TxPlan {
    config: TxConfig,
    geometry: Geometry,
    warning: Option<Error>,
}

impl TxPlan {
    /// Step 4 of `crate::setup`, options before the ring: the TX options,
    /// which the kernel refuses once any ring (RX too) exists on `socket`.
    pub(crate) fn prepare(socket: &PacketSocket, interface: &Interface, config: &TxConfig) -> Result<TxPlan> {
        config.check()?;
        if interface.index == 0 {
            return Err(Error::new(ErrorCode::UnknownInterface, "transmitting needs a named interface, not \"any\""));
        }
        if config.loss {
            socket.set_packet_option(sys::PACKET_LOSS, &1i32, "setsockopt(PACKET_LOSS)")?;
        }
        if config.data_offset.is_some() {
            socket.set_packet_option(sys::PACKET_TX_HAS_OFF, &1i32, "setsockopt(PACKET_TX_HAS_OFF)")?;
        }
        if config.qdisc_bypass {
            socket.set_packet_option(sys::PACKET_QDISC_BYPASS, &1i32, "setsockopt(PACKET_QDISC_BYPASS)")?;
        }
        // Before the ring: the kernel refuses PACKET_VNET_HDR (EBUSY) once one exists.
        if config.vnet_header {
            socket.set_packet_option(sys::PACKET_VNET_HDR, &1i32, "setsockopt(PACKET_VNET_HDR)")?;
        }
        if let Some(p) = config.priority {
            socket
                .set_option(libc::SOL_SOCKET, libc::SO_PRIORITY as u32, &p, "setsockopt(SO_PRIORITY)")
                .map_err(|e| Error::new(e.code(), format!("{e} (priority {p}; values above 6 need CAP_NET_ADMIN)")))?;
        }
        let warning = match config.timestamps {
            TxTimestamps::Off => None,
            TxTimestamps::On => enable_timestamps(socket, interface)?,
        };
        let geometry = match config.explicit_geometry(0) {
            Some(g) => g,
            None => config.sizing(interface)?.geometry()?,
        };
        config.check_room(&geometry)?;
        Ok(TxPlan { config: config.clone(), geometry, warning })
    }

    /// Requests the TX ring (after the RX ring, on a combined socket),
    /// halving it while the kernel answers ENOMEM. `reserve` is the
    /// socket's PACKET_RESERVE, which the kernel checks TX frames against too.
    pub(crate) fn request_ring(&mut self, socket: &PacketSocket, reserve: u32) -> Result<()> {
        self.geometry.reserve = reserve;
        self.geometry.validate()?;
        // V3 TX is frame based: the RX-only fields (block timeout, private
        // area, feature word) stay 0 or the kernel refuses the ring.
        let (geometry, _) =
            setup::ring_request(socket, crate::ring::Direction::Tx, self.geometry, crate::ring::V3Knobs::default())?;
        self.geometry = geometry;
        Ok(())
    }

    pub(crate) fn ring_bytes(&self) -> usize {
        self.geometry.ring_bytes()
    }
}

impl TxConfig {
    fn sizing(&self, interface: &Interface) -> Result<Sizing> {
        let link = match self.kind {
            SocketKind::Raw => interface.link_header_len(),
            SocketKind::Dgram => 0,
        };
        // Room for the largest packet the device takes, from the data offset
        // on; with virtio-net headers, for the header and a 64 KiB GSO packet.
        let extra = self.data_offset().saturating_sub(default_data_offset(self.version)) as u32;
        let packet = if self.vnet_header { 65_535 + VNET_HDR_LEN as u32 } else { interface.mtu.min(65_535) };
        Ok(Sizing {
            version: self.version,
            buffer_bytes: self.buffer_bytes,
            snaplen: packet + link + extra,
            max_packet: u32::MAX,
            link_header: 0,
            reserve: 0,
            priv_size: 0,
        })
    }
}

/// Asks for transmit timestamps: hardware ones when the device can stamp
/// transmitted packets, else the stack's software ones, with a warning that
/// says which and why (never a silent downgrade).
fn enable_timestamps(socket: &PacketSocket, interface: &Interface) -> Result<Option<Error>> {
    crate::timestamp::enable_tx_software(socket)?;
    let hw_flags = sys::SOF_TIMESTAMPING_TX_HARDWARE | sys::SOF_TIMESTAMPING_RAW_HARDWARE;
    let hw_capable = socket.ethtool_ts_info(&interface.name).is_ok_and(|info| {
        info.so_timestamping & hw_flags == hw_flags && info.tx_types & (1 << sys::hwtstamp_tx_types_HWTSTAMP_TX_ON) != 0
    });
    let mut hw_on = false;
    let mut why = format!("'{}' cannot timestamp transmitted packets in hardware", interface.name);
    if hw_capable {
        // Keep the device's RX filter; only switch TX stamping on.
        let mut cfg = socket.hwtstamp_get(&interface.name).unwrap_or_default();
        cfg.tx_type = sys::hwtstamp_tx_types_HWTSTAMP_TX_ON as i32;
        match socket.hwtstamp_set(&interface.name, &mut cfg) {
            Ok(()) => hw_on = true,
            Err(e) => {
                let e = Error::os("interface ioctl", e);
                why = format!("enabling hardware TX timestamps on '{}' failed: {e}", interface.name)
            }
        }
    }
    let flags: u32 = if hw_on {
        sys::SOF_TIMESTAMPING_RAW_HARDWARE | sys::SOF_TIMESTAMPING_SOFTWARE
    } else {
        sys::SOF_TIMESTAMPING_SOFTWARE
    };
    socket.set_packet_option(sys::PACKET_TIMESTAMP, &flags, "setsockopt(PACKET_TIMESTAMP)")?;
    Ok((!hw_on).then(|| {
        Error::new(
            ErrorCode::WarningTimestampFallback,
            format!("{why}; transmit timestamps fall back to software (TP_STATUS_TS_SOFTWARE: the stack's time as the packet crossed it; a frame the stack did not stamp, as on a device that hands the packet straight to hardware, reports source 0)"),
        )
    }))
}

/// An open TX ring.
pub struct Transmitter {
    // Field order is drop order: unmap before the socket closes. None only
    // while skip_rejected rebuilds the ring, or after that failed (`lost`).
    ring: Option<MappedRing>,
    tx: TxRing,
    socket: Arc<PacketSocket>,
    interface: Interface,
    config: TxConfig,
    geometry_shrunk: bool,
    /// Next frame to fill.
    head: u32,
    /// Oldest frame committed and not yet seen back.
    tail: u32,
    /// Frames between tail and head (committed, not yet back).
    in_flight: u32,
    /// Committed since the last kick.
    unkicked: u32,
    /// Sequence number of the packet in the frame at `tail`.
    tail_seq: u64,
    /// Length of each in-flight frame, for reports.
    lens: Vec<u32>,
    /// The head frame was handed out and not committed yet.
    reserved: bool,
    /// Largest packet accepted, and why.
    max_packet: usize,
    limit_reason: String,
    /// SOCK_DGRAM destination (sendto); None for SOCK_RAW (send).
    dest: Option<libc::sockaddr_ll>,
    /// Largest packet a virtio-net header asking for GSO may carry: the
    /// frame's room, at most 64 KiB (an IP datagram's limit).
    gso_max: usize,
    /// The kernel stopped at a rejected frame (no PACKET_LOSS): nothing after
    /// it goes out until skip_rejected.
    stalled: Option<Rejection>,
    /// The mapping is this handle's alone (not a combined RX+TX socket's), so
    /// skip_rejected may replace the ring.
    own_mapping: bool,
    /// skip_rejected could not rebuild the ring: why. The handle only closes.
    lost: Option<String>,
    last_errno: i32,
    rejections: VecDeque<Rejection>,
    stamps: VecDeque<TxStamp>,
    stats: TxStats,
    warning: Option<Error>,
    /// Test-only header overrides (empty without the test-hooks feature).
    hooks: Hooks,
}

/// The largest packet GSO can cut up: an IP datagram's 64 KiB.
const GSO_MAX_BYTES: usize = 65_535;
const VIRTIO_NET_HDR_GSO_ECN: u8 = sys::VIRTIO_NET_HDR_GSO_ECN as u8;
const VIRTIO_NET_HDR_F_NEEDS_CSUM: u8 = sys::VIRTIO_NET_HDR_F_NEEDS_CSUM as u8;
const VIRTIO_NET_HDR_F_DATA_VALID: u8 = sys::VIRTIO_NET_HDR_F_DATA_VALID as u8;
/// UDP segmentation (USO), which virtio_net_hdr_to_skb has taken since
/// Linux 5.18; the uapi header installed here predates its constant.
const VIRTIO_NET_HDR_GSO_UDP_L4: u32 = 5;

/// Reports and timestamps kept for the caller before the oldest are dropped.
const QUEUE_LIMIT: usize = 65_536;

impl Transmitter {
    /// Opens a TX ring as `config` says. A warning (e.g. the timestamp
    /// fallback) is available from [`Transmitter::warning`].
    pub fn open(config: &TxConfig) -> Result<Transmitter> {
        config.check()?;
        let (socket, interface) = setup::socket(config.kind, &config.interface)?;
        setup::version(&socket, config.version)?;
        let mut plan = TxPlan::prepare(&socket, &interface, config)?;
        let asked = plan.geometry;
        plan.request_ring(&socket, 0)?;
        let mapping = setup::mmap(&socket, plan.ring_bytes(), config.lock_memory)?;
        // Protocol 0: this socket only sends, so the kernel never runs its
        // receive hook for it (packet_mmap.rst, transmission setup).
        setup::bind(&socket, &interface, 0)?;
        let mut t = Transmitter::from_plan(mapping, 0, Arc::new(socket), interface, plan)?;
        t.geometry_shrunk = t.geometry() != asked;
        t.own_mapping = true;
        Ok(t)
    }

    /// Builds the handle over a mapped TX ring at `offset` in `mapping`.
    pub(crate) fn from_plan(
        mapping: Arc<Mapping>,
        offset: usize,
        socket: Arc<PacketSocket>,
        interface: Interface,
        plan: TxPlan,
    ) -> Result<Transmitter> {
        let TxPlan { config, geometry, warning } = plan;
        let ring = MappedRing::new(mapping, offset, geometry)?;
        let data_offset = config.data_offset();
        let tx = tx_ring(geometry, &config);
        let link = match config.kind {
            SocketKind::Raw => interface.link_header_len() as usize,
            SocketKind::Dgram => 0,
        };
        let device_max = interface.mtu as usize + link;
        let room = tx.data_room();
        let gso_max = room.min(GSO_MAX_BYTES);
        let (max_packet, limit_reason) = if room < device_max {
            (
                room,
                format!(
                    "the TX frame's data space ({room} bytes: frame {} - data offset {data_offset})",
                    geometry.frame_size
                ),
            )
        } else if link > 0 {
            (
                device_max,
                format!(
                    "the MTU of '{}' ({}) + its {link}-byte link header = {device_max} bytes",
                    interface.name, interface.mtu
                ),
            )
        } else {
            (device_max, format!("the MTU of '{}' ({} bytes)", interface.name, interface.mtu))
        };
        let dest = (config.kind == SocketKind::Dgram)
            .then(|| link_address(interface.index, config.protocol, &config.destination));
        Ok(Transmitter {
            ring: Some(ring),
            lens: vec![0; geometry.frame_nr as usize],
            tx,
            socket,
            interface,
            config,
            geometry_shrunk: false,
            head: 0,
            tail: 0,
            in_flight: 0,
            unkicked: 0,
            tail_seq: 0,
            reserved: false,
            max_packet,
            limit_reason,
            dest,
            gso_max,
            stalled: None,
            own_mapping: false,
            lost: None,
            last_errno: 0,
            rejections: VecDeque::new(),
            stamps: VecDeque::new(),
            stats: TxStats::default(),
            warning,
            hooks: Hooks::new(),
        })
    }

    pub fn geometry(&self) -> Geometry {
        self.tx.geometry()
    }

    /// Whether ENOMEM forced a smaller ring than asked for.
    pub fn shrunk(&self) -> bool {
        self.geometry_shrunk
    }

    pub fn interface(&self) -> &Interface {
        &self.interface
    }

    pub fn fd(&self) -> i32 {
        self.socket.fd()
    }

    pub fn memory_locked(&self) -> bool {
        self.ring.as_ref().is_some_and(|r| r.mapping().is_locked())
    }

    /// A warning from open (the call succeeded, but not everything asked
    /// for could be honoured), e.g. WarningTimestampFallback.
    pub fn warning(&self) -> Option<&Error> {
        self.warning.as_ref()
    }

    /// The largest packet `commit`/`send` accept (a GSO packet under a
    /// virtio-net header may be larger: [`Transmitter::max_gso_packet`]).
    pub fn max_packet(&self) -> usize {
        self.max_packet
    }

    /// The largest packet `commit_vnet`/`send_vnet` accept with a GSO
    /// header; 0 without PACKET_VNET_HDR.
    pub fn max_gso_packet(&self) -> usize {
        if self.tx.vnet_len() > 0 {
            self.gso_max
        } else {
            0
        }
    }

    /// Frames committed and not yet handed back by the kernel.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    pub fn stats(&self) -> TxStats {
        self.stats
    }

    pub fn set_nonblocking(&mut self, on: bool) {
        self.config.nonblocking = on;
    }

    /// Frames per automatic kick; 0 kicks only when the ring is full or on request.
    pub fn set_batch(&mut self, batch: u32) {
        self.config.batch = batch;
    }

    /// The next rejected-frame report, oldest first.
    pub fn next_rejection(&mut self) -> Option<Rejection> {
        self.rejections.pop_front()
    }

    /// The next transmit timestamp, oldest first (only with timestamps on).
    pub fn next_timestamp(&mut self) -> Option<TxStamp> {
        self.stamps.pop_front()
    }

    /// Test hook: the next V3 frame committed carries this tp_next_offset,
    /// which the kernel must refuse (TP_STATUS_WRONG_FORMAT).
    #[cfg(feature = "test-hooks")]
    pub fn test_set_next_offset(&mut self, value: u32) -> Result<()> {
        if self.tx.geometry().version != Version::V3 {
            return Err(Error::invalid("tp_next_offset exists only in TPACKET_V3 frames"));
        }
        self.hooks.set_next_offset(value);
        Ok(())
    }

    fn stalled_error(r: &Rejection) -> Error {
        Error::new(
            ErrorCode::WrongFormat,
            format!(
                "{}; the kernel stops at a rejected frame, so the packets queued after it wait: skip it and go on (skip_rejected), or close, which skips it and sends them; PACKET_LOSS makes the kernel skip bad frames itself",
                r.reason
            ),
        )
    }

    /// Why nothing can be queued or sent now, if so.
    fn halted(&self) -> Result<()> {
        if let Some(why) = &self.lost {
            return Err(Error::new(ErrorCode::WrongState, why.clone()));
        }
        match &self.stalled {
            Some(r) => Err(Self::stalled_error(r)),
            None => Ok(()),
        }
    }

    /// Goes on after a rejected frame (PACKET_LOSS off). The kernel stays
    /// on a rejected frame for good: only a new ring moves its head. So the
    /// frames committed behind it are copied out, the ring is unmapped (the
    /// kernel refuses to free a mapped ring), freed, requested and mapped
    /// again, and they are queued again in their order and kicked, keeping
    /// their sequence numbers. The rejection stays in the reports and the
    /// counters. Returns how many frames were queued again (0 when nothing
    /// was stopped). A frame reserved with `frame()` and not committed is
    /// released: its slice is gone with the old mapping.
    pub fn skip_rejected(&mut self) -> Result<u32> {
        if let Some(why) = &self.lost {
            return Err(Error::new(ErrorCode::WrongState, why.clone()));
        }
        let Some(rejected) = self.stalled.clone() else { return Ok(0) };
        if !self.own_mapping {
            return Err(Error::new(
                ErrorCode::Unsupported,
                format!(
                    "{}; a combined RX+TX socket maps both rings at once, so its TX ring cannot be replaced while the capture uses it: open it with PACKET_LOSS to have the kernel skip bad frames",
                    rejected.reason
                ),
            ));
        }
        let n = self.tx.frame_nr();
        // Each frame's data as committed, virtio-net header included.
        let mut behind = Vec::with_capacity(self.in_flight.saturating_sub(1) as usize);
        if let Some(ring) = &self.ring {
            let mem = ring.mem();
            let mut i = (self.tail + 1) % n;
            for _ in 1..self.in_flight {
                // Frame i was committed with at most data_room() bytes, and the
                // kernel, stopped at the rejected frame before it, never read it.
                let len = self.lens[i as usize] as usize;
                behind.push(self.tx.data(&mem, i, len).unwrap_or_default().to_vec());
                i = (i + 1) % n;
            }
        }
        self.ring = None;
        let geometry = self.tx.geometry();
        let rebuilt = self.rebuild_ring(geometry).and_then(|(mapping, g)| {
            if behind.len() as u32 >= g.frame_nr {
                return Err(Error::new(
                    ErrorCode::NoMemory,
                    "the rebuilt TX ring is smaller than the frames to requeue",
                ));
            }
            Ok((mapping, g))
        });
        let (ring, geometry) = match rebuilt {
            Ok(r) => r,
            Err(e) => {
                let why = format!(
                    "the TX ring could not be rebuilt after a rejected frame ({e}); {} queued packets were not sent: close the handle",
                    behind.len()
                );
                self.lost = Some(why.clone());
                self.stalled = None;
                self.in_flight = 0;
                self.reserved = false;
                return Err(Error::new(e.code(), why));
            }
        };
        self.tx = tx_ring(geometry, &self.config);
        self.lens = vec![0; geometry.frame_nr as usize];
        self.head = 0;
        self.tail = 0;
        self.in_flight = 0;
        self.unkicked = 0;
        self.reserved = false;
        self.tail_seq = rejected.seq + 1;
        self.stalled = None;
        self.last_errno = 0;
        self.hooks.forget_frames();
        {
            let mem = ring.mem();
            for data in &behind {
                let j = self.head;
                // The new ring's frames are all the user's; each packet fitted
                // a frame of the same geometry before.
                if !self.tx.fill(&mem, j, data) {
                    break;
                }
                let len = data.len() - self.tx.vnet_len();
                self.lens[j as usize] = len as u32;
                self.tx.submit(&mem, j, len as u32, 0);
                self.head = (j + 1) % self.tx.frame_nr();
                self.in_flight += 1;
                self.unkicked += 1;
            }
        }
        self.ring = Some(ring);
        if !behind.is_empty() {
            match self.kick() {
                // Another bad frame among them: the next call reports it.
                Err(e) if e.code() != ErrorCode::WrongFormat => return Err(e),
                _ => {}
            }
        }
        Ok(behind.len() as u32)
    }

    /// Frees the (unmapped) TX ring and requests and maps a new one like it.
    fn rebuild_ring(&self, geometry: Geometry) -> Result<(MappedRing, Geometry)> {
        let none = Geometry { block_size: 0, block_nr: 0, frame_size: 0, frame_nr: 0, ..geometry };
        let direction = crate::ring::Direction::Tx;
        crate::ring::request(&self.socket, direction, none, crate::ring::V3Knobs::default())?;
        let (g, _) = crate::ring::request(&self.socket, direction, geometry, crate::ring::V3Knobs::default())?;
        let mapping = Arc::new(Mapping::new(self.socket.fd(), g.ring_bytes(), self.config.lock_memory)?);
        Ok((MappedRing::new(mapping, 0, g)?, g))
    }

    /// Takes back every frame the kernel is done with, in ring order:
    /// records timestamps and rejections, and stops at the first frame the
    /// kernel still holds.
    fn reap(&mut self) {
        // No ring (being rebuilt, or lost) has nothing in flight.
        let Some(ring) = &self.ring else { return };
        let mem = ring.mem();
        while self.in_flight > 0 && self.stalled.is_none() {
            let i = self.tail;
            match self.tx.state(&mem, i) {
                FrameState::Kernel => break,
                FrameState::Free { ts } => {
                    if self.config.timestamps == TxTimestamps::On {
                        let (ts_sec, ts_nsec) = if ts != 0 { self.tx.timestamp(&mem, i) } else { (0, 0) };
                        push_bounded(
                            &mut self.stamps,
                            TxStamp { seq: self.tail_seq, index: i, ts_sec, ts_nsec, source: ts },
                        );
                    }
                    self.stats.completed += 1;
                }
                FrameState::Rejected => {
                    let r = self.rejection(i);
                    self.stats.rejected += 1;
                    push_bounded(&mut self.rejections, r.clone());
                    // Without PACKET_LOSS the kernel's head stays on this
                    // frame: nothing behind it will be sent.
                    self.stalled = Some(r);
                    break;
                }
            }
            self.tail = (self.tail + 1) % self.tx.frame_nr();
            self.tail_seq += 1;
            self.in_flight -= 1;
        }
    }

    fn rejection(&self, i: u32) -> Rejection {
        let len = self.lens[i as usize];
        let errno = self.last_errno;
        let link = self.interface.link_header_len();
        let why = if self.config.kind == SocketKind::Raw && len < link {
            format!("it is shorter than the {link}-byte link header of '{}'", self.interface.name)
        } else if errno == libc::EMSGSIZE {
            // The MTU may have changed since open; say what the device takes now.
            match self.socket.interface(&self.interface.name) {
                Ok(now) => format!(
                    "it is larger than '{}' accepts now (MTU {} + {link}-byte link header = {} bytes)",
                    now.name,
                    now.mtu,
                    now.mtu + link
                ),
                Err(_) => format!("it is larger than '{}' accepts", self.interface.name),
            }
        } else if self.tx.geometry().version == Version::V3 && self.next_offset_seen(i) {
            "its tp_next_offset is not 0 (V3 TX frames are fixed size)".to_string()
        } else {
            "its header or contents are invalid for the device".to_string()
        };
        let err = if errno != 0 { std::io::Error::from_raw_os_error(errno).to_string() } else { "no errno".into() };
        Rejection {
            index: i,
            seq: self.tail_seq,
            len,
            errno,
            reason: format!("the kernel rejected TX frame {i} (packet #{}, {len} bytes): {why} ({err})", self.tail_seq),
        }
    }

    fn next_offset_seen(&self, i: u32) -> bool {
        self.hooks.marked(i)
    }

    /// The data area of the next frame, to write a packet of up to
    /// `max_packet()` bytes in place; `commit` sends it. Asking again before
    /// committing returns the same frame. When the ring is full this kicks
    /// and waits (blocking) or returns RingFull (nonblocking).
    pub fn frame(&mut self) -> Result<&mut [u8]> {
        self.halted()?;
        if !self.reserved {
            self.make_room()?;
            self.reserved = true;
        }
        // With virtio-net headers a GSO packet may fill the frame's room.
        let len = if self.tx.vnet_len() > 0 { self.gso_max } else { self.max_packet };
        let ring = self.ring.as_ref().ok_or_else(|| Error::new(ErrorCode::WrongState, "the TX ring is gone"))?;
        // SAFETY: the head frame is user space's (make_room saw it Free) and
        // stays reserved until commit; the slice, the only view of its data
        // area, lives as long as the &mut self it borrows.
        let data = unsafe { self.tx.data_mut(&ring.mem(), self.head, len) };
        data.ok_or_else(|| Error::new(ErrorCode::WrongState, "the TX frame's data area lies outside its frame"))
    }

    /// Hands the frame from `frame()` to the kernel with a `len`-byte packet;
    /// returns the packet's sequence number. Kicks when a batch is full.
    pub fn commit(&mut self, len: usize) -> Result<u64> {
        self.commit_with(len, None)
    }

    /// `commit` with a virtio-net header for the packet: GSO (the kernel
    /// cuts it into gso_size segments, each with its headers and
    /// checksums) and/or a checksum to fill in (NEEDS_CSUM at
    /// csum_start + csum_offset). Needs a handle opened with `vnet_header`.
    pub fn commit_vnet(&mut self, len: usize, header: &VnetHeader) -> Result<u64> {
        self.commit_with(len, Some(header))
    }

    fn commit_with(&mut self, len: usize, header: Option<&VnetHeader>) -> Result<u64> {
        self.halted()?;
        if !self.reserved {
            return Err(Error::new(ErrorCode::WrongState, "commit without a frame: call frame() first"));
        }
        self.check_vnet(len, header)?;
        let i = self.head;
        let ring = self.ring.as_ref().ok_or_else(|| Error::new(ErrorCode::WrongState, "the TX ring is gone"))?;
        if self.tx.vnet_len() > 0 {
            // A plain commit on a vnet socket still needs a header: all zero
            // asks for nothing (no GSO, checksum already in place).
            let header = header.copied().unwrap_or_default();
            if !self.tx.set_vnet(&ring.mem(), i, &header) {
                return Err(Error::new(ErrorCode::WrongState, "the TX frame has no room for its virtio-net header"));
            }
        }
        let next_offset = self.hooks.take_next_offset(i);
        self.lens[i as usize] = len as u32;
        self.tx.submit(&ring.mem(), i, len as u32, next_offset);
        self.reserved = false;
        let seq = self.stats.queued;
        self.head = (self.head + 1) % self.tx.frame_nr();
        self.in_flight += 1;
        self.unkicked += 1;
        self.stats.queued += 1;
        self.stats.bytes_queued += len as u64;
        if self.config.batch > 0 && self.unkicked >= self.config.batch {
            self.kick()?;
        }
        Ok(seq)
    }

    /// Copies `data` into the next frame and commits it.
    pub fn send(&mut self, data: &[u8]) -> Result<u64> {
        self.send_with(data, None)
    }

    /// `send` with a virtio-net header (see `commit_vnet`).
    pub fn send_vnet(&mut self, header: &VnetHeader, data: &[u8]) -> Result<u64> {
        self.send_with(data, Some(header))
    }

    fn send_with(&mut self, data: &[u8], header: Option<&VnetHeader>) -> Result<u64> {
        self.check_vnet(data.len(), header)?;
        let buf = self.frame()?;
        buf[..data.len()].copy_from_slice(data);
        self.commit_with(data.len(), header)
    }

    /// Checks a packet and the virtio-net header asked for it against what
    /// the kernel accepts (virtio_net_hdr_to_skb, tpacket_snd), so a bad
    /// header is refused here, with the reason, not as a rejected frame.
    fn check_vnet(&self, len: usize, header: Option<&VnetHeader>) -> Result<()> {
        let Some(h) = header else { return self.check_len(len) };
        if self.tx.vnet_len() == 0 {
            return Err(Error::new(
                ErrorCode::WrongState,
                "a virtio-net header needs a TX handle opened with PACKET_VNET_HDR (vnet_header in the TX config)",
            ));
        }
        let gso = h.gso_type & !VIRTIO_NET_HDR_GSO_ECN;
        let known = [
            sys::VIRTIO_NET_HDR_GSO_NONE,
            sys::VIRTIO_NET_HDR_GSO_TCPV4,
            sys::VIRTIO_NET_HDR_GSO_UDP,
            sys::VIRTIO_NET_HDR_GSO_TCPV6,
            VIRTIO_NET_HDR_GSO_UDP_L4,
        ];
        if !known.contains(&u32::from(gso)) {
            return Err(Error::invalid(format!(
                "virtio-net gso_type {} is unknown; valid: 0 (none), 1 (TCPv4), 3 (UDP), 4 (TCPv6), 5 (UDP L4), each optionally | 0x80 (ECN)",
                h.gso_type
            )));
        }
        if h.flags & !(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID) != 0 {
            return Err(Error::invalid(format!(
                "virtio-net flags 0x{:x} are unknown; valid: 1 (NEEDS_CSUM), 2 (DATA_VALID)",
                h.flags
            )));
        }
        if gso != 0 && h.gso_size == 0 {
            return Err(Error::invalid("a virtio-net GSO header needs gso_size, the payload bytes per segment"));
        }
        if gso != 0 && h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM == 0 {
            return Err(Error::invalid(
                "a virtio-net GSO header needs flags NEEDS_CSUM (1) with csum_start/csum_offset: each segment's checksum is computed",
            ));
        }
        if h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM != 0 {
            let end = usize::from(h.csum_start) + usize::from(h.csum_offset) + 2;
            if end > len {
                return Err(Error::invalid(format!(
                    "the checksum at csum_start {} + csum_offset {} lies past the {len}-byte packet",
                    h.csum_start, h.csum_offset
                )));
            }
        }
        if usize::from(h.hdr_len) > len {
            return Err(Error::invalid(format!("virtio-net hdr_len {} exceeds the {len}-byte packet", h.hdr_len)));
        }
        if gso == 0 {
            return self.check_len(len);
        }
        if len == 0 || len > self.gso_max {
            return Err(Error::new(
                ErrorCode::PacketTooLarge,
                format!(
                    "GSO packet of {len} bytes: valid 1 to {} (the TX frame's room after the virtio-net header, at most 64 KiB)",
                    self.gso_max
                ),
            ));
        }
        Ok(())
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len == 0 {
            return Err(Error::invalid("a packet of 0 bytes cannot be sent"));
        }
        if len > self.max_packet {
            return Err(Error::new(
                ErrorCode::PacketTooLarge,
                format!(
                    "packet of {len} bytes is larger than the {} bytes '{}' can send: the limit is {}",
                    self.max_packet, self.interface.name, self.limit_reason
                ),
            ));
        }
        Ok(())
    }

    /// Makes sure the head frame is free, kicking and (blocking mode) waiting.
    fn make_room(&mut self) -> Result<()> {
        if self.in_flight < self.tx.frame_nr() {
            return Ok(());
        }
        self.reap();
        if self.in_flight < self.tx.frame_nr() {
            return Ok(());
        }
        self.stats.ring_full += 1;
        self.kick()?;
        self.reap();
        if self.in_flight < self.tx.frame_nr() {
            return Ok(());
        }
        self.halted()?;
        if self.config.nonblocking {
            return Err(Error::new(
                ErrorCode::RingFull,
                format!("all {} TX frames are queued or in transmission; retry after kick/flush", self.tx.frame_nr()),
            ));
        }
        // A blocking send() returns once every queued frame is done; unlike
        // poll(POLLOUT) it cannot sleep forever on frames still marked
        // SEND_REQUEST after a send that ran out of socket buffer.
        while self.in_flight == self.tx.frame_nr() {
            self.transmit(true)?;
            self.reap();
            self.halted()?;
            if self.in_flight == self.tx.frame_nr() {
                // Only when the socket is O_NONBLOCK (a combined socket whose
                // capture is nonblocking) does the send above return early.
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        }
        Ok(())
    }

    /// One send(): the kernel sends every SEND_REQUEST frame from its head
    /// on. `wait`: block until all of them are done.
    fn transmit(&mut self, wait: bool) -> Result<()> {
        self.stats.kicks += 1;
        self.unkicked = 0;
        let Err(err) = self.socket.send_ring(self.dest.as_ref(), wait) else { return Ok(()) };
        let errno = err.raw_os_error().unwrap_or(0);
        match errno {
            // Socket buffer full (DONTWAIT) or interrupted: frames stay queued.
            libc::EAGAIN | libc::EINTR => Ok(()),
            // A frame the kernel refused: it is marked WRONG_FORMAT (or,
            // with PACKET_LOSS, skipped); reap() reports it with this errno.
            libc::EINVAL | libc::EMSGSIZE | libc::EFAULT => {
                self.last_errno = errno;
                Ok(())
            }
            // The device or qdisc dropped a packet; the frame came back.
            libc::ENOBUFS => {
                self.stats.send_errors += 1;
                Ok(())
            }
            libc::ENETDOWN | libc::ENXIO | libc::ENODEV => Err(Error::new(
                ErrorCode::InterfaceDown,
                format!("interface '{}' is down or gone: {err}", self.interface.name),
            )),
            _ => Err(Error::os("send(TX ring)", err)),
        }
    }

    /// Asks the kernel to send every committed frame, without waiting.
    /// Returns WrongFormat when the kernel stopped at a rejected frame.
    pub fn kick(&mut self) -> Result<()> {
        self.halted()?;
        self.transmit(false)?;
        self.reap();
        self.halted()
    }

    /// Sends every committed frame and waits until the kernel handed all of
    /// them back. Returns WrongFormat when the kernel stopped at a rejected frame.
    pub fn flush(&mut self) -> Result<()> {
        let mut idle_rounds = 0u32;
        loop {
            self.reap();
            self.halted()?;
            if self.in_flight == 0 {
                return Ok(());
            }
            let before = self.in_flight;
            self.transmit(true)?;
            self.reap();
            if self.in_flight == before && self.stalled.is_none() {
                // The kernel had nothing left to send but frames are still
                // out (an skb held by the device); give it time, bounded.
                idle_rounds += 1;
                if idle_rounds > 10_000 {
                    return Err(Error::new(
                        ErrorCode::Io,
                        format!("{} TX frames were not handed back within 10 s", self.in_flight),
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            } else {
                idle_rounds = 0;
            }
        }
    }

    /// Drains the ring (every queued packet goes out) and closes the socket.
    /// A rejected frame does not fail the close: it is skipped (as
    /// skip_rejected does) and the packets behind it are sent; flush before
    /// closing to get the report. Returns the drain's other errors (the
    /// device went down); the handle is gone either way.
    pub fn close(mut self) -> Result<()> {
        self.drain()
    }

    fn drain(&mut self) -> Result<()> {
        loop {
            match self.flush() {
                Err(e) if e.code() == ErrorCode::WrongFormat => match self.skip_rejected() {
                    Ok(_) => {}
                    // A combined socket cannot replace its ring: the packets
                    // behind the rejected frame stay unsent, as PACKET_LOSS off
                    // says, and the rejection was counted and reported.
                    Err(e) if e.code() == ErrorCode::Unsupported || self.lost.is_some() => return Ok(()),
                    Err(e) => return Err(e),
                },
                Err(_) if self.lost.is_some() => return Ok(()),
                r => return r,
            }
        }
    }
}

impl Drop for Transmitter {
    /// No queued packet is lost at close: the ring is drained first.
    fn drop(&mut self) {
        if self.in_flight > 0 {
            let _ = self.drain();
        }
    }
}

/// The TX frames of `config`'s layout in a ring of `geometry`.
fn tx_ring(geometry: Geometry, config: &TxConfig) -> TxRing {
    let vnet_len = if config.vnet_header { VNET_HDR_LEN } else { 0 };
    TxRing::new(
        geometry,
        config.data_offset(),
        vnet_len,
        config.data_offset.is_some(),
        config.kind == SocketKind::Dgram,
    )
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() >= QUEUE_LIMIT {
        q.pop_front();
    }
    q.push_back(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> TxConfig {
        TxConfig { interface: "eth0".into(), ..TxConfig::default() }
    }

    #[test]
    fn config_checks_name_the_problem() {
        assert!(cfg().check().is_ok());
        let e = TxConfig::default().check().unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownInterface);
        let e = TxConfig { interface: "any".into(), ..TxConfig::default() }.check().unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownInterface);
        let e = TxConfig { kind: SocketKind::Dgram, ..cfg() }.check().unwrap_err();
        assert!(e.message().contains("destination"), "{e}");
        let dgram = TxConfig { kind: SocketKind::Dgram, destination: vec![1; 6], ..cfg() };
        assert!(dgram.check().unwrap_err().message().contains("protocol"));
        assert!(TxConfig { protocol: 0x0800, ..dgram }.check().is_ok());
        let e = TxConfig { data_offset: Some(16), ..cfg() }.check().unwrap_err();
        assert!(e.message().contains("16") && e.message().contains("32"), "{e}");
        assert!(TxConfig { data_offset: Some(16), ..TxConfig::default() }.check_data_offset().is_err());
        let v3 = TxConfig { version: Version::V3, data_offset: Some(32), ..cfg() };
        assert!(v3.check().unwrap_err().message().contains("48"));
    }

    #[test]
    fn explicit_geometry_needs_room_after_the_offset() {
        let page = crate::geometry::page_size() as u32;
        let layout = Layout { block_size: page, block_nr: 1, frame_size: 256, frame_nr: page / 256 };
        assert!(TxConfig { layout: Some(layout), ..cfg() }.check().is_ok());
        let e = TxConfig { layout: Some(layout), data_offset: Some(256), ..cfg() }.check().unwrap_err();
        assert!(e.message().contains("no room"), "{e}");
    }
}
