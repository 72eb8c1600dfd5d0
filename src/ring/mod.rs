//! The mapped ring memory and the ownership protocol of its status words.
//!
//! The kernel and the reader hand frames (V1/V2) or blocks (V3) back and
//! forth through one status word each. `mem` is the only code that touches
//! those words: an acquire load before reading a frame the kernel handed
//! over, and a release store after the last read, so neither side sees the
//! other's half-written data.
//!
//! This file asks for the ring and maps it; `mem` gives the checked views
//! (`RingMem` and its frames and blocks) readers and TX work on; `header`
//! holds the `TpacketHeader` layouts of the three versions.

#[cfg(test)]
pub mod fake;
mod header;
mod mem;
#[cfg(test)]
mod tests;

use std::ptr::NonNull;

pub use header::{OffsetField, Plain, TpacketHeader, V1, V2, V3};
pub use mem::{BlockDesc, BlockMem, BlockRing, FrameMem, FrameRing, MappedRing, Region, RingMem, Span};

use crate::error::{Error, ErrorCode, Result};
use crate::geometry::{Geometry, Version};
use crate::socket::PacketSocket;
use crate::sys;

/// Which ring of a socket a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Rx,
    Tx,
}

/// The V3 RX-only request fields; TX rings must leave them 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct V3Knobs {
    pub retire_timeout_ms: u32,
    pub rxhash: bool,
}

/// Asks the kernel for a ring, halving it while the kernel answers ENOMEM.
/// Returns the geometry obtained and, when it had to shrink, the one asked for.
pub fn request(
    socket: &PacketSocket,
    dir: Direction,
    mut geometry: Geometry,
    v3: V3Knobs,
) -> Result<(Geometry, Option<Geometry>)> {
    let (option, what, name) = match dir {
        Direction::Rx => (sys::PACKET_RX_RING, "setsockopt(PACKET_RX_RING)", "RX"),
        Direction::Tx => (sys::PACKET_TX_RING, "setsockopt(PACKET_TX_RING)", "TX"),
    };
    let asked = geometry;
    loop {
        let r = if geometry.version == Version::V3 {
            let req = sys::tpacket_req3 {
                tp_block_size: geometry.block_size,
                tp_block_nr: geometry.block_nr,
                tp_frame_size: geometry.frame_size,
                tp_frame_nr: geometry.frame_nr,
                tp_retire_blk_tov: v3.retire_timeout_ms,
                tp_sizeof_priv: geometry.priv_size,
                tp_feature_req_word: if v3.rxhash { sys::TP_FT_REQ_FILL_RXHASH } else { 0 },
            };
            socket.set_packet_option(option, &req, what)
        } else {
            let req = sys::tpacket_req {
                tp_block_size: geometry.block_size,
                tp_block_nr: geometry.block_nr,
                tp_frame_size: geometry.frame_size,
                tp_frame_nr: geometry.frame_nr,
            };
            socket.set_packet_option(option, &req, what)
        };
        match r {
            Ok(()) => return Ok((geometry, (geometry != asked).then_some(asked))),
            Err(e) if e.code() == ErrorCode::NoMemory => match geometry.halved() {
                Some(smaller) => geometry = smaller,
                None => {
                    return Err(Error::new(
                        ErrorCode::NoMemory,
                        format!("{e}: not even one {}-byte {name} block could be allocated", geometry.block_size),
                    ))
                }
            },
            Err(e) => return Err(Error::new(e.code(), format!("{e} ({name} ring: {geometry})"))),
        }
    }
}

/// One mmap of a packet socket's rings (RX first, then TX, as the kernel lays them out).
pub struct Mapping {
    base: NonNull<u8>,
    len: usize,
    locked: bool,
}

// SAFETY: the mapping is plain shared memory owned by this value; moving it
// between threads is fine, and all concurrent access goes through the
// status-word protocol of `mem`.
unsafe impl Send for Mapping {}
// SAFETY: &Mapping only reads the base, length and lock flag. A combined
// RX+TX socket shares one mapping between its Capture and its Transmitter;
// they touch disjoint rings of it, each through the status-word protocol.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd`'s rings. With `lock`, MAP_LOCKED is tried
    /// first and dropped when RLIMIT_MEMLOCK (or the kernel) refuses it.
    pub fn new(fd: i32, len: usize, lock: bool) -> Result<Mapping> {
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let attempts: &[(i32, bool)] = if lock {
            &[(libc::MAP_SHARED | libc::MAP_LOCKED, true), (libc::MAP_SHARED, false)]
        } else {
            &[(libc::MAP_SHARED, false)]
        };
        let mut last = None;
        for &(flags, locked) in attempts {
            // SAFETY: mapping a packet socket's ring; the result is checked.
            let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
            if p != libc::MAP_FAILED {
                let base = NonNull::new(p.cast::<u8>()).ok_or_else(|| Error::invalid("mmap returned NULL"))?;
                return Ok(Mapping { base, len, locked });
            }
            last = Some(Error::last_os("mmap(packet ring)"));
        }
        Err(last.unwrap_or_else(|| Error::invalid("mmap not attempted")))
    }

    /// Where the mapping starts; only `mem` makes views from it.
    fn base(&self) -> NonNull<u8> {
        self.base
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether MAP_LOCKED was granted.
    pub fn is_locked(&self) -> bool {
        self.locked
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base/len came from a successful mmap and are unmapped once.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}
