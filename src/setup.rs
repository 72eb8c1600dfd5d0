//! The steps of opening a packet socket with rings, named and in the order
//! the kernel documentation gives (packet_mmap.rst, "How to use mmap()
//! directly"): socket, PACKET_VERSION, PACKET_RESERVE, the options that
//! must precede a ring, the ring request (RX before TX: the kernel maps the
//! TX ring right after the RX one), mmap, bind, then the options that need
//! a bound socket.
//!
//! `rx::Capture::open`, `tx::Transmitter::open` and `duplex::open` are each
//! these steps in this order; what differs between them (which rings, which
//! options) is in their own plan types (`rx::RxPlan`, `tx::TxPlan`).

use std::sync::Arc;

use crate::error::Result;
use crate::geometry::{Geometry, Version};
use crate::ring::{self, Mapping, V3Knobs};
use crate::socket::{Interface, PacketSocket, SocketKind};
use crate::sys;

/// Step 1, socket: a packet socket of `kind` with protocol 0, so that it
/// queues nothing before bind; and the interface it will be bound to.
pub fn socket(kind: SocketKind, interface: &str) -> Result<(PacketSocket, Interface)> {
    let socket = PacketSocket::new(kind)?;
    let interface = socket.interface(interface)?;
    Ok((socket, interface))
}

/// Step 2, version: PACKET_VERSION, before any ring (the frame header layout
/// the ring request is checked against).
pub fn version(socket: &PacketSocket, version: Version) -> Result<()> {
    socket.set_packet_option(sys::PACKET_VERSION, &version.kernel_value(), "setsockopt(PACKET_VERSION)")
}

/// Step 3, reserve: PACKET_RESERVE headroom in each frame (0: the kernel's
/// default, nothing to set); the kernel refuses it once a ring exists.
pub fn reserve(socket: &PacketSocket, bytes: u32) -> Result<()> {
    if bytes == 0 {
        return Ok(());
    }
    socket.set_packet_option(sys::PACKET_RESERVE, &bytes, "setsockopt(PACKET_RESERVE)")
}

/// Step 5, ring request: PACKET_RX_RING or PACKET_TX_RING, halving the ring
/// while the kernel answers ENOMEM. Returns the geometry granted and, when
/// it had to shrink, the one first asked for.
pub fn ring_request(
    socket: &PacketSocket,
    dir: ring::Direction,
    geometry: Geometry,
    knobs: V3Knobs,
) -> Result<(Geometry, Option<Geometry>)> {
    ring::request(socket, dir, geometry, knobs)
}

/// Step 6, mmap: one mapping of `bytes` for every ring of the socket.
pub fn mmap(socket: &PacketSocket, bytes: usize, lock_memory: bool) -> Result<Arc<Mapping>> {
    Ok(Arc::new(Mapping::new(socket.fd(), bytes, lock_memory)?))
}

/// Step 7, bind: to the interface with the protocol to receive (0 for a
/// socket that only sends: the kernel then never runs its receive hook).
pub fn bind(socket: &PacketSocket, interface: &Interface, protocol: u16) -> Result<()> {
    socket.bind(interface.index, protocol)
}
