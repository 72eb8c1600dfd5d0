//! TX frames: where a frame's data goes, how its header is filled, and who
//! owns it. Ownership is read and handed over only through
//! `ring::frame_acquire` / `ring::frame_release`.
//!
//! TX frames are fixed slots for every version (V3 TX is frame based too),
//! so `Ring::frame` addresses them; a block may end in an unused gap.

use std::mem::offset_of;
use std::ptr;

use crate::geometry::Version;
use crate::ring::{frame_acquire, frame_release, Ring};
use crate::sys;

/// Who holds a TX frame, from its status word with the timestamp bits masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameState {
    /// The kernel is done with it (or never had it); `ts` holds the
    /// TP_STATUS_TS_* bits the kernel ORed in when it stamped the frame.
    Free { ts: u32 },
    /// TP_STATUS_SEND_REQUEST or TP_STATUS_SENDING: the kernel's.
    Kernel,
    /// TP_STATUS_WRONG_FORMAT: the kernel refused the frame and stopped there.
    Rejected,
}

impl FrameState {
    fn from_status(status: u32) -> FrameState {
        // Transmit timestamping ORs TS bits into AVAILABLE and WRONG_FORMAT,
        // so ownership is decided on the remaining bits only.
        let ts = status & sys::TP_STATUS_TS_MASK;
        let status = status & !sys::TP_STATUS_TS_MASK;
        if status & (sys::TP_STATUS_SEND_REQUEST | sys::TP_STATUS_SENDING) != 0 {
            FrameState::Kernel
        } else if status & sys::TP_STATUS_WRONG_FORMAT != 0 {
            FrameState::Rejected
        } else {
            FrameState::Free { ts }
        }
    }
}

/// The TX ring of a mapping, with the frame layout this socket uses.
pub struct TxRing {
    pub ring: Ring,
    version: Version,
    /// Where packet data starts in a frame.
    data_offset: usize,
    /// PACKET_TX_HAS_OFF is on: the offset is written into each header.
    custom_offset: bool,
    /// SOCK_DGRAM reads the offset from tp_net, SOCK_RAW from tp_mac.
    dgram: bool,
}

/// The kernel's default data position: TPACKET_HDRLEN - sizeof(sockaddr_ll),
/// i.e. the aligned frame header (packet_mmap.rst, "By default, the user
/// should put data at frame base + TPACKET_HDRLEN - sizeof(struct sockaddr_ll)").
pub fn default_data_offset(version: Version) -> usize {
    version.header_len() - std::mem::size_of::<sys::sockaddr_ll>()
}

impl TxRing {
    pub fn new(ring: Ring, data_offset: usize, custom_offset: bool, dgram: bool) -> TxRing {
        TxRing { version: ring.geometry.version, ring, data_offset, custom_offset, dgram }
    }

    pub fn frame_nr(&self) -> u32 {
        self.ring.geometry.frame_nr
    }

    /// Bytes of packet a frame holds.
    pub fn data_room(&self) -> usize {
        (self.ring.geometry.frame_size as usize).saturating_sub(self.data_offset)
    }

    pub fn state(&self, i: u32) -> FrameState {
        // SAFETY: i < frame_nr (callers keep indices modulo frame_nr), so the
        // frame lies inside the live ring.
        FrameState::from_status(unsafe { frame_acquire(self.ring.frame(i), self.version) })
    }

    /// The data area of frame `i`, `data_room()` bytes long.
    pub fn data(&self, i: u32) -> *mut u8 {
        // SAFETY: data_offset < frame_size (checked at open), inside the frame.
        unsafe { self.ring.frame(i).add(self.data_offset) }
    }

    /// Fills frame `i`'s header for a `len`-byte packet and hands it to the
    /// kernel. The caller owns the frame and has written the data.
    pub fn submit(&self, i: u32, len: u32, next_offset: u32) {
        let frame = self.ring.frame(i);
        let off = self.data_offset as u16;
        // SAFETY: user space owns the frame (state was Free when it was handed
        // out); the fields written are inside its header and none of them is
        // the status word, which frame_release below publishes.
        unsafe {
            match self.version {
                Version::V1 => {
                    write(frame, offset_of!(sys::tpacket_hdr, tp_len), len);
                    write(frame, offset_of!(sys::tpacket_hdr, tp_snaplen), len);
                    if self.custom_offset {
                        let field = if self.dgram {
                            offset_of!(sys::tpacket_hdr, tp_net)
                        } else {
                            offset_of!(sys::tpacket_hdr, tp_mac)
                        };
                        write(frame, field, off);
                    }
                }
                Version::V2 => {
                    write(frame, offset_of!(sys::tpacket2_hdr, tp_len), len);
                    write(frame, offset_of!(sys::tpacket2_hdr, tp_snaplen), len);
                    if self.custom_offset {
                        let field = if self.dgram {
                            offset_of!(sys::tpacket2_hdr, tp_net)
                        } else {
                            offset_of!(sys::tpacket2_hdr, tp_mac)
                        };
                        write(frame, field, off);
                    }
                }
                Version::V3 => {
                    // The kernel drops V3 TX frames whose tp_next_offset is
                    // not 0 (no variable-size TX slots); only the test hook
                    // passes anything else.
                    write(frame, offset_of!(sys::tpacket3_hdr, tp_next_offset), next_offset);
                    write(frame, offset_of!(sys::tpacket3_hdr, tp_len), len);
                    write(frame, offset_of!(sys::tpacket3_hdr, tp_snaplen), len);
                    if self.custom_offset {
                        let field = if self.dgram {
                            offset_of!(sys::tpacket3_hdr, tp_net)
                        } else {
                            offset_of!(sys::tpacket3_hdr, tp_mac)
                        };
                        write(frame, field, off);
                    }
                }
            }
            frame_release(frame, self.version, sys::TP_STATUS_SEND_REQUEST);
        }
    }

    /// The timestamp the kernel wrote into frame `i` when it handed it back
    /// (valid only when the status carried TS bits), as (seconds, nanoseconds).
    pub fn timestamp(&self, i: u32) -> (u64, u32) {
        let frame = self.ring.frame(i);
        // SAFETY: the frame is back in user space (state Free/Rejected); the
        // fields read are inside its header.
        unsafe {
            match self.version {
                Version::V1 => {
                    let sec: u32 = read(frame, offset_of!(sys::tpacket_hdr, tp_sec));
                    let usec: u32 = read(frame, offset_of!(sys::tpacket_hdr, tp_usec));
                    (sec as u64, usec.saturating_mul(1000))
                }
                Version::V2 => (
                    read::<u32>(frame, offset_of!(sys::tpacket2_hdr, tp_sec)) as u64,
                    read(frame, offset_of!(sys::tpacket2_hdr, tp_nsec)),
                ),
                Version::V3 => (
                    read::<u32>(frame, offset_of!(sys::tpacket3_hdr, tp_sec)) as u64,
                    read(frame, offset_of!(sys::tpacket3_hdr, tp_nsec)),
                ),
            }
        }
    }
}

/// # Safety
/// `base + offset` is valid for writes of a T.
unsafe fn write<T>(base: *mut u8, offset: usize, value: T) {
    // SAFETY: forwarded contract; headers are packed by the kernel's layout,
    // so unaligned access is used to stay independent of it.
    unsafe { ptr::write_unaligned(base.add(offset).cast::<T>(), value) }
}

/// # Safety
/// `base + offset` is valid for reads of a T.
unsafe fn read<T>(base: *mut u8, offset: usize) -> T {
    // SAFETY: forwarded contract.
    unsafe { ptr::read_unaligned(base.add(offset).cast::<T>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_ignores_timestamp_bits() {
        let ts = sys::TP_STATUS_TS_SOFTWARE;
        assert_eq!(FrameState::from_status(sys::TP_STATUS_AVAILABLE), FrameState::Free { ts: 0 });
        assert_eq!(FrameState::from_status(ts), FrameState::Free { ts });
        assert_eq!(FrameState::from_status(sys::TP_STATUS_SEND_REQUEST), FrameState::Kernel);
        assert_eq!(FrameState::from_status(sys::TP_STATUS_SENDING | ts), FrameState::Kernel);
        assert_eq!(FrameState::from_status(sys::TP_STATUS_WRONG_FORMAT | ts), FrameState::Rejected);
    }

    #[test]
    fn default_offsets_match_the_kernel() {
        // TPACKET_ALIGN(sizeof(struct tpacketN_hdr)).
        assert_eq!(default_data_offset(Version::V1), sys::tpacket_align(std::mem::size_of::<sys::tpacket_hdr>()));
        assert_eq!(default_data_offset(Version::V2), 32);
        assert_eq!(default_data_offset(Version::V3), 48);
    }
}
