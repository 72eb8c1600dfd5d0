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
    /// The version's header fields, chosen once here.
    fields: HeaderFields,
}

/// The kernel's default data position: TPACKET_HDRLEN - sizeof(sockaddr_ll),
/// i.e. the aligned frame header (packet_mmap.rst, "By default, the user
/// should put data at frame base + TPACKET_HDRLEN - sizeof(struct sockaddr_ll)").
pub fn default_data_offset(version: Version) -> usize {
    version.header_len() - std::mem::size_of::<sys::sockaddr_ll>()
}

impl TxRing {
    pub fn new(ring: Ring, data_offset: usize, custom_offset: bool, dgram: bool) -> TxRing {
        let version = ring.geometry.version;
        TxRing { version, ring, data_offset, custom_offset, dgram, fields: HeaderFields::of(version) }
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
        let h = &self.fields;
        // SAFETY: user space owns the frame (state was Free when it was handed
        // out); the fields written are inside its header and none of them is
        // the status word, which frame_release below publishes.
        unsafe {
            if let Some(field) = h.next_offset {
                // The kernel drops V3 TX frames whose tp_next_offset is not 0
                // (no variable-size TX slots); only the test hook passes
                // anything else.
                write(frame, field, next_offset);
            }
            write(frame, h.len, len);
            write(frame, h.snaplen, len);
            if self.custom_offset {
                write(frame, if self.dgram { h.net } else { h.mac }, self.data_offset as u16);
            }
            frame_release(frame, self.version, sys::TP_STATUS_SEND_REQUEST);
        }
    }

    /// The timestamp the kernel wrote into frame `i` when it handed it back
    /// (valid only when the status carried TS bits), as (seconds, nanoseconds).
    pub fn timestamp(&self, i: u32) -> (u64, u32) {
        let frame = self.ring.frame(i);
        let h = &self.fields;
        // SAFETY: the frame is back in user space (state Free/Rejected); the
        // fields read are inside its header.
        let (sec, frac): (u32, u32) = unsafe { (read(frame, h.sec), read(frame, h.frac)) };
        (u64::from(sec), if h.usec { frac.saturating_mul(1000) } else { frac })
    }
}

/// Where one TPACKET version's frame header keeps the fields TX writes and
/// reads (all u32 but tp_mac/tp_net, u16, in every version): one table per
/// version, chosen when the ring is made, so that filling and reading a
/// header is written once for the three versions.
#[derive(Debug, Clone, Copy)]
struct HeaderFields {
    len: usize,
    snaplen: usize,
    mac: usize,
    net: usize,
    /// tp_next_offset, V3 only.
    next_offset: Option<usize>,
    sec: usize,
    /// tp_usec (V1, `usec`) or tp_nsec.
    frac: usize,
    usec: bool,
}

impl HeaderFields {
    fn of(version: Version) -> HeaderFields {
        match version {
            Version::V1 => HeaderFields {
                len: offset_of!(sys::tpacket_hdr, tp_len),
                snaplen: offset_of!(sys::tpacket_hdr, tp_snaplen),
                mac: offset_of!(sys::tpacket_hdr, tp_mac),
                net: offset_of!(sys::tpacket_hdr, tp_net),
                next_offset: None,
                sec: offset_of!(sys::tpacket_hdr, tp_sec),
                frac: offset_of!(sys::tpacket_hdr, tp_usec),
                usec: true,
            },
            Version::V2 => HeaderFields {
                len: offset_of!(sys::tpacket2_hdr, tp_len),
                snaplen: offset_of!(sys::tpacket2_hdr, tp_snaplen),
                mac: offset_of!(sys::tpacket2_hdr, tp_mac),
                net: offset_of!(sys::tpacket2_hdr, tp_net),
                next_offset: None,
                sec: offset_of!(sys::tpacket2_hdr, tp_sec),
                frac: offset_of!(sys::tpacket2_hdr, tp_nsec),
                usec: false,
            },
            Version::V3 => HeaderFields {
                len: offset_of!(sys::tpacket3_hdr, tp_len),
                snaplen: offset_of!(sys::tpacket3_hdr, tp_snaplen),
                mac: offset_of!(sys::tpacket3_hdr, tp_mac),
                net: offset_of!(sys::tpacket3_hdr, tp_net),
                next_offset: Some(offset_of!(sys::tpacket3_hdr, tp_next_offset)),
                sec: offset_of!(sys::tpacket3_hdr, tp_sec),
                frac: offset_of!(sys::tpacket3_hdr, tp_nsec),
                usec: false,
            },
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

    /// Fills headers in a fake ring in ordinary memory and reads them back
    /// through the kernel's struct for each version.
    #[test]
    fn submit_and_timestamp_use_each_versions_header() {
        use crate::geometry::Geometry;
        for version in [Version::V1, Version::V2, Version::V3] {
            let mut words = vec![0u64; 512];
            let g = Geometry {
                version,
                block_size: 4096,
                block_nr: 1,
                frame_size: 1024,
                frame_nr: 4,
                priv_size: 0,
                reserve: 0,
            };
            // SAFETY: the 4096-byte ring lies inside `words`, which outlives it.
            let ring = unsafe { Ring::over_memory(words.as_mut_ptr().cast(), g) };
            let tx = TxRing::new(ring, 80, true, false);
            tx.submit(1, 300, 0);
            let frame = tx.ring.frame(1);
            // SAFETY: frame 1 lies in the fake ring; nothing else touches it.
            let (len, snaplen, mac, status, next) = unsafe {
                match version {
                    Version::V1 => {
                        let h: sys::tpacket_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status as u32, 0)
                    }
                    Version::V2 => {
                        let h: sys::tpacket2_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status, 0)
                    }
                    Version::V3 => {
                        let h: sys::tpacket3_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status, h.tp_next_offset)
                    }
                }
            };
            assert_eq!(
                (len, snaplen, mac, status, next),
                (300, 300, 80, sys::TP_STATUS_SEND_REQUEST, 0),
                "{version:?}"
            );
            assert_eq!(tx.state(1), FrameState::Kernel);
            // The kernel's stamp, as it writes it into the header.
            // SAFETY: as above.
            unsafe {
                match version {
                    Version::V1 => {
                        let mut h: sys::tpacket_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_sec, h.tp_usec) = (5, 7);
                        ptr::write_unaligned(frame.cast(), h);
                    }
                    Version::V2 => {
                        let mut h: sys::tpacket2_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_sec, h.tp_nsec) = (5, 7);
                        ptr::write_unaligned(frame.cast(), h);
                    }
                    Version::V3 => {
                        let mut h: sys::tpacket3_hdr = ptr::read_unaligned(frame.cast());
                        (h.tp_sec, h.tp_nsec) = (5, 7);
                        ptr::write_unaligned(frame.cast(), h);
                    }
                }
            }
            let want = if version == Version::V1 { (5, 7000) } else { (5, 7) };
            assert_eq!(tx.timestamp(1), want, "{version:?}");
        }
    }

    #[test]
    fn default_offsets_match_the_kernel() {
        // TPACKET_ALIGN(sizeof(struct tpacketN_hdr)).
        assert_eq!(default_data_offset(Version::V1), sys::tpacket_align(std::mem::size_of::<sys::tpacket_hdr>()));
        assert_eq!(default_data_offset(Version::V2), 32);
        assert_eq!(default_data_offset(Version::V3), 48);
    }
}
