//! Capture statistics. PACKET_STATISTICS resets the kernel's counters on
//! every read, and its packet count already includes the drops, so the
//! totals are accumulated here and never double-counted. Every packet the
//! kernel counts ends in exactly one of delivered, dropped and filtered, so
//! once the ring is drained received == delivered + dropped + filtered.

use crate::error::{ErrorCode, Result};
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
    /// Packets the ring held that were not handed to the callback: skipped
    /// by the direction option (RINGCAP_DIRECTION_OUTGOING; INCOMING is
    /// filtered in the kernel where it can be), or discarded when the socket
    /// filter was replaced.
    pub filtered: u64,
    /// Delivered packets (counted in `delivered` too) that the kernel cut
    /// short to fit their frame, with no whole copy: caplen < len below the
    /// snaplen. With PACKET_COPY_THRESH this happens only when the socket
    /// receive buffer (sized to hold the ring's size in copies) was full.
    pub truncated: u64,
    /// PACKET_ROLLOVER_STATS, in a fanout group with rollover (mode
    /// ROLLOVER or flag ROLLOVER), else 0: packets this socket's share
    /// moved to another member because this ring was full (tp_all), how
    /// many of them were moved early because the ring was more than half
    /// full with a huge flow (tp_huge), and how many found no member with
    /// room (tp_failed). The kernel keeps these since the group was joined.
    pub rollover_all: u64,
    pub rollover_huge: u64,
    pub rollover_failed: u64,
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
        let mut ro = sys::tpacket_rollover_stats::default();
        // EINVAL: the socket is in no rollover group, so nothing rolled over.
        match socket.get_packet_option(sys::PACKET_ROLLOVER_STATS, &mut ro, "getsockopt(PACKET_ROLLOVER_STATS)") {
            Ok(_) => {
                self.rollover_all = ro.tp_all;
                self.rollover_huge = ro.tp_huge;
                self.rollover_failed = ro.tp_failed;
            }
            Err(e) if e.code() == ErrorCode::Io => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}
