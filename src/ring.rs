//! The mapped ring memory and the ownership protocol of its status words.
//!
//! The kernel and the reader hand frames (V1/V2) or blocks (V3) back and
//! forth through one status word each. The functions at the bottom of this
//! module are the only code that touches those words: an acquire load before
//! reading a frame the kernel handed over, and a release store after the
//! last read, so neither side sees the other's half-written data.

use std::mem::offset_of;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

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
// status-word protocol below.
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

    pub fn base(&self) -> *mut u8 {
        self.base.as_ptr()
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

/// Addressing inside one ring of a mapping.
#[derive(Clone, Copy)]
pub struct Ring {
    base: *mut u8,
    pub geometry: Geometry,
}

// SAFETY: see Mapping; Ring is a view that never outlives its Mapping
// (both are owned by the same handle and dropped together).
unsafe impl Send for Ring {}

impl Ring {
    /// The ring starting `offset` bytes into `mapping`.
    pub fn new(mapping: &Mapping, offset: usize, geometry: Geometry) -> Ring {
        debug_assert!(offset + geometry.ring_bytes() <= mapping.len());
        // SAFETY: offset is within the mapping (checked by the caller's layout).
        Ring { base: unsafe { mapping.base().add(offset) }, geometry }
    }

    /// A ring over memory that is no mapping: the fake rings of unit tests.
    ///
    /// # Safety
    /// `base` is valid for reads and writes of `geometry.ring_bytes()`
    /// bytes, 8-byte aligned (as a mapping's frames are for their status
    /// words), for as long as the Ring is used.
    #[cfg(test)]
    pub(crate) unsafe fn over_memory(base: *mut u8, geometry: Geometry) -> Ring {
        Ring { base, geometry }
    }

    /// Frame `i` (V1/V2, and V3 TX): frames never span blocks, so a block
    /// may end in a gap.
    pub fn frame(&self, i: u32) -> *mut u8 {
        let fpb = self.geometry.frames_per_block();
        let off = (i / fpb) as usize * self.geometry.block_size as usize
            + (i % fpb) as usize * self.geometry.frame_size as usize;
        // SAFETY: i < frame_nr keeps the offset inside the ring.
        unsafe { self.base.add(off) }
    }

    /// Block `i` (V3 RX).
    pub fn block(&self, i: u32) -> *mut u8 {
        // SAFETY: i < block_nr keeps the offset inside the ring.
        unsafe { self.base.add(i as usize * self.geometry.block_size as usize) }
    }
}

/// The status word of the frame header at `frame`.
///
/// # Safety
/// `frame` points to a frame of a live ring of `version`.
unsafe fn frame_status_word(frame: *mut u8, version: Version) -> StatusWord<'static> {
    match version {
        // V1's tp_status is an unsigned long.
        // SAFETY: the header is 16-byte aligned and lives as long as the mapping.
        Version::V1 => StatusWord::Long(unsafe {
            AtomicUsize::from_ptr(frame.add(offset_of!(sys::tpacket_hdr, tp_status)).cast())
        }),
        // SAFETY: as above; u32 status.
        Version::V2 => {
            StatusWord::Int(unsafe { AtomicU32::from_ptr(frame.add(offset_of!(sys::tpacket2_hdr, tp_status)).cast()) })
        }
        // SAFETY: as above; u32 status.
        Version::V3 => {
            StatusWord::Int(unsafe { AtomicU32::from_ptr(frame.add(offset_of!(sys::tpacket3_hdr, tp_status)).cast()) })
        }
    }
}

enum StatusWord<'a> {
    Long(&'a AtomicUsize),
    Int(&'a AtomicU32),
}

/// Reads a frame's status; the acquire pairs with the kernel's smp_wmb before
/// it publishes the frame, so the frame's contents are visible afterwards.
///
/// # Safety
/// `frame` points to a frame of a live ring of `version`.
pub unsafe fn frame_acquire(frame: *mut u8, version: Version) -> u32 {
    // SAFETY: forwarded contract.
    match unsafe { frame_status_word(frame, version) } {
        StatusWord::Long(w) => w.load(Ordering::Acquire) as u32,
        StatusWord::Int(w) => w.load(Ordering::Acquire),
    }
}

/// Hands a frame to the other side with `status`; the release orders all
/// earlier reads (RX) or writes (TX) of the frame before the handover.
///
/// # Safety
/// `frame` points to a frame of a live ring of `version` that this side owns.
pub unsafe fn frame_release(frame: *mut u8, version: Version, status: u32) {
    // SAFETY: forwarded contract.
    match unsafe { frame_status_word(frame, version) } {
        StatusWord::Long(w) => w.store(status as usize, Ordering::Release),
        StatusWord::Int(w) => w.store(status, Ordering::Release),
    }
}

/// # Safety
/// `block` points to a block of a live V3 ring.
unsafe fn block_status_word(block: *mut u8) -> &'static AtomicU32 {
    let off = offset_of!(sys::tpacket_block_desc, hdr) + offset_of!(sys::tpacket_hdr_v1, block_status);
    // SAFETY: the block descriptor is page aligned and lives as long as the mapping.
    unsafe { AtomicU32::from_ptr(block.add(off).cast()) }
}

/// Reads a V3 block's status with acquire semantics (see frame_acquire).
///
/// # Safety
/// `block` points to a block of a live V3 ring.
pub unsafe fn block_acquire(block: *mut u8) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { block_status_word(block) }.load(Ordering::Acquire)
}

/// Returns a V3 block to the kernel after its last packet was read.
///
/// # Safety
/// `block` points to a block of a live V3 ring that user space owns.
pub unsafe fn block_release(block: *mut u8) {
    // SAFETY: forwarded contract.
    unsafe { block_status_word(block) }.store(sys::TP_STATUS_KERNEL, Ordering::Release)
}
