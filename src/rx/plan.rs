//! The RX side of an open: the options that must precede the ring, the
//! geometry, and the ring request (see `crate::setup` for the order).

use super::CaptureConfig;
use crate::error::Result;
use crate::features::Applied;
use crate::geometry::{Geometry, Version};
use crate::ring::{self, V3Knobs};
use crate::setup;
use crate::socket::{Interface, PacketSocket};
use crate::sys;

/// An RX ring being set up: options set, then requested, not yet mapped.
pub(crate) struct RxPlan {
    pub(super) geometry: Geometry,
    pub(super) knobs: V3Knobs,
    /// PACKET_COPY_THRESH is on (V1/V2 with the option).
    pub(super) copy_threshold: bool,
    pub(super) applied: Applied,
    /// The geometry first asked for, when ENOMEM forced a smaller ring.
    pub(super) shrunk_from: Option<Geometry>,
}

impl RxPlan {
    /// The checks that need no socket, before one is made.
    pub(crate) fn check(config: &CaptureConfig) -> Result<()> {
        config.check()?;
        config.features.check(config.kind)
    }

    /// Step 4, options before the ring: PACKET_COPY_THRESH and the feature
    /// options the kernel takes only while no ring exists; then the geometry.
    pub(crate) fn prepare(config: &CaptureConfig, socket: &PacketSocket, interface: &Interface) -> Result<RxPlan> {
        let copy_threshold = config.copy_threshold && config.version != Version::V3;
        if copy_threshold {
            socket.set_packet_option(sys::PACKET_COPY_THRESH, &1i32, "setsockopt(PACKET_COPY_THRESH)")?;
        }
        let mut applied = Applied::default();
        config.features.before_bind(socket, interface, &mut applied)?;
        let geometry = match config.explicit_geometry() {
            Some(g) => g,
            None => config.sizing(socket, interface).geometry()?,
        };
        let knobs = V3Knobs { retire_timeout_ms: config.retire_timeout_ms(&geometry), rxhash: config.rxhash };
        Ok(RxPlan { geometry, knobs, copy_threshold, applied, shrunk_from: None })
    }

    /// Step 5, ring request: PACKET_RX_RING (before any TX ring).
    pub(crate) fn request_ring(&mut self, socket: &PacketSocket) -> Result<()> {
        let (geometry, shrunk_from) = setup::ring_request(socket, ring::Direction::Rx, self.geometry, self.knobs)?;
        self.geometry = geometry;
        self.shrunk_from = shrunk_from;
        Ok(())
    }

    /// With PACKET_COPY_THRESH, room in the socket's receive buffer for the
    /// copies it promises.
    pub(crate) fn size_receive_buffer(&self, socket: &PacketSocket) -> Result<()> {
        if self.copy_threshold {
            // A packet too big for its frame is queued whole only while the
            // socket's receive buffer has room (tpacket_rcv checks
            // sk_rmem_alloc < sk_rcvbuf); the default (~208 KiB) holds about
            // three 64 KiB aggregates, so a burst truncated the rest. Room
            // for the ring's size in copies keeps bursts whole; what is still
            // cut is counted in Stats::truncated.
            socket.set_receive_buffer(self.geometry.ring_bytes())?;
        }
        Ok(())
    }

    pub(crate) fn ring_bytes(&self) -> usize {
        self.geometry.ring_bytes()
    }
}
