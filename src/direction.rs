//! Capture direction: packets received by the device, sent by it, or both,
//! told apart by the packet type the kernel reports (PACKET_OUTGOING).

use crate::error::{Error, Result};
use crate::socket::PacketSocket;
use crate::sys;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Both directions (default).
    #[default]
    Both = 0,
    /// Only packets the device received. The kernel is also told not to
    /// copy outgoing packets into the ring (PACKET_IGNORE_OUTGOING), so they
    /// cost nothing.
    Incoming = 1,
    /// Only packets the device sent.
    Outgoing = 2,
}

impl Direction {
    pub fn from_i32(v: i32) -> Result<Direction> {
        match v {
            0 => Ok(Direction::Both),
            1 => Ok(Direction::Incoming),
            2 => Ok(Direction::Outgoing),
            _ => Err(Error::invalid(format!(
                "direction {v} is unknown; valid: RINGCAP_DIRECTION_BOTH (0), _INCOMING (1), _OUTGOING (2)"
            ))),
        }
    }

    /// Whether a packet of this sll_pkttype is delivered.
    #[inline]
    pub fn accepts(self, pkttype: u8) -> bool {
        let outgoing = pkttype == sys::PACKET_OUTGOING as u8;
        match self {
            Direction::Both => true,
            Direction::Incoming => !outgoing,
            Direction::Outgoing => outgoing,
        }
    }
}

/// Socket-side part of the direction: PACKET_IGNORE_OUTGOING for
/// "incoming only". Kernels before 4.20 lack it; the readers still filter.
pub fn configure(socket: &PacketSocket, d: Direction) -> Result<()> {
    if d != Direction::Incoming {
        return Ok(());
    }
    match socket.set_packet_option(sys::PACKET_IGNORE_OUTGOING, &1i32, "setsockopt(PACKET_IGNORE_OUTGOING)") {
        Ok(()) => Ok(()),
        Err(e) if e.code() == crate::error::ErrorCode::Unsupported => Ok(()),
        Err(e) => Err(e),
    }
}
