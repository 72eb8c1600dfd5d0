//! Capture statistics. PACKET_STATISTICS resets the kernel's counters on
//! every read, and its packet count already includes the drops, so the
//! totals are accumulated here and never double-counted.

use crate::error::Result;
use crate::geometry::Version;
use crate::socket::PacketSocket;
use crate::sys;

/// Totals since the handle was opened.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets the kernel accepted for this socket (delivered, waiting in the ring, or dropped).
    pub received: u64,
    /// Packets dropped because the ring was full.
    pub dropped: u64,
    /// V3: times the ring froze because every block was owned by user space.
    pub freeze_count: u64,
    /// Packets handed to the callback.
    pub delivered: u64,
}

impl Stats {
    /// Reads and accumulates the kernel's counters (which this read resets).
    pub fn refresh(&mut self, socket: &PacketSocket, version: Version) -> Result<()> {
        if version == Version::V3 {
            let mut st = sys::tpacket_stats_v3::default();
            socket.get_packet_option(sys::PACKET_STATISTICS, &mut st, "getsockopt(PACKET_STATISTICS)")?;
            self.received += st.tp_packets as u64;
            self.dropped += st.tp_drops as u64;
            self.freeze_count += st.tp_freeze_q_cnt as u64;
        } else {
            let mut st = sys::tpacket_stats::default();
            socket.get_packet_option(sys::PACKET_STATISTICS, &mut st, "getsockopt(PACKET_STATISTICS)")?;
            self.received += st.tp_packets as u64;
            self.dropped += st.tp_drops as u64;
        }
        Ok(())
    }
}
