//! TX frames: where a frame's data goes, how its header is filled, and who
//! owns it. Ownership is read and handed over only through the ring's
//! `FrameMem::status` / `FrameMem::release`.
//!
//! TX frames are fixed slots for every version (V3 TX is frame based too),
//! so the ring's frame views address them; a block may end in an unused gap.

use std::marker::PhantomData;

use crate::geometry::{Geometry, Version};
use crate::packet::{VnetHeader, VNET_HDR_LEN};
use crate::ring::{FrameRing, OffsetField, RingMem, TpacketHeader, V1, V2, V3};
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

/// The TX ring's frame layout: where data starts, which header fields a
/// commit writes, and the version's frame code, chosen once here.
pub struct TxRing {
    geometry: Geometry,
    /// Where the kernel reads the frame's data from (tpacket_parse_header).
    data_offset: usize,
    /// PACKET_VNET_HDR: the data starts with a virtio-net header of this
    /// many bytes, and the packet follows it (0: off).
    vnet_len: usize,
    /// With PACKET_TX_HAS_OFF the offset goes into each header: tp_net for
    /// SOCK_DGRAM, tp_mac for SOCK_RAW.
    offset_field: Option<(OffsetField, u16)>,
    frames: &'static dyn TxFrames,
}

/// The kernel's default data position: TPACKET_HDRLEN - sizeof(sockaddr_ll),
/// i.e. the aligned frame header (packet_mmap.rst, "By default, the user
/// should put data at frame base + TPACKET_HDRLEN - sizeof(struct sockaddr_ll)").
pub fn default_data_offset(version: Version) -> usize {
    version.header_len() - std::mem::size_of::<sys::sockaddr_ll>()
}

impl TxRing {
    pub fn new(geometry: Geometry, data_offset: usize, vnet_len: usize, custom_offset: bool, dgram: bool) -> TxRing {
        let field = if dgram { OffsetField::Net } else { OffsetField::Mac };
        let frames: &'static dyn TxFrames = match geometry.version {
            Version::V1 => &Frames::<V1>(PhantomData),
            Version::V2 => &Frames::<V2>(PhantomData),
            Version::V3 => &Frames::<V3>(PhantomData),
        };
        let offset_field = custom_offset.then_some((field, data_offset as u16));
        TxRing { geometry, data_offset, vnet_len, offset_field, frames }
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn frame_nr(&self) -> u32 {
        self.geometry.frame_nr
    }

    /// Bytes of packet a frame holds (after the virtio-net header, if any).
    pub fn data_room(&self) -> usize {
        (self.geometry.frame_size as usize).saturating_sub(self.data_offset + self.vnet_len)
    }

    /// Bytes of the virtio-net header in front of each packet (0: none).
    pub fn vnet_len(&self) -> usize {
        self.vnet_len
    }

    pub fn state(&self, ring: &RingMem<'_>, i: u32) -> FrameState {
        FrameState::from_status(self.frames.status(ring, i))
    }

    /// What frame `i` holds for a `len`-byte packet, virtio-net header
    /// included: to copy a committed frame out.
    pub fn data<'m>(&self, ring: &RingMem<'m>, i: u32, len: usize) -> Option<&'m [u8]> {
        self.frames.region(ring, i)?.bytes(self.data_offset, self.vnet_len + len.min(self.data_room()))
    }

    /// Copies what `data` returned back into frame `i`; false when it does not fit.
    #[must_use]
    pub fn fill(&self, ring: &RingMem<'_>, i: u32, data: &[u8]) -> bool {
        data.len() <= self.vnet_len + self.data_room()
            && self.frames.region(ring, i).is_some_and(|r| r.write_bytes(self.data_offset, data))
    }

    /// Writes frame `i`'s virtio-net header; false when the ring has none.
    #[must_use]
    pub fn set_vnet(&self, ring: &RingMem<'_>, i: u32, header: &VnetHeader) -> bool {
        self.vnet_len == VNET_HDR_LEN
            && self.frames.region(ring, i).is_some_and(|r| r.write_bytes(self.data_offset, &header.to_bytes()))
    }

    /// The data area of frame `i`, writable in place.
    ///
    /// # Safety
    /// User space owns frame `i` (its state was Free when it was handed
    /// out) and no other reference to its data area exists while the
    /// slice lives.
    pub unsafe fn data_mut<'m>(&self, ring: &RingMem<'m>, i: u32, len: usize) -> Option<&'m mut [u8]> {
        let region = self.frames.region(ring, i)?;
        // SAFETY: forwarded contract.
        unsafe { region.bytes_mut(self.data_offset + self.vnet_len, len.min(self.data_room())) }
    }

    /// Fills frame `i`'s header for a `len`-byte packet and hands it to the
    /// kernel. The caller owns the frame and has written the data.
    pub fn submit(&self, ring: &RingMem<'_>, i: u32, len: u32, next_offset: u32) {
        // tp_len counts the virtio-net header (tpacket_snd takes it off).
        self.frames.submit(ring, i, len + self.vnet_len as u32, self.offset_field, next_offset)
    }

    /// The timestamp the kernel wrote into frame `i` when it handed it back
    /// (valid only when the status carried TS bits), as (seconds, nanoseconds).
    pub fn timestamp(&self, ring: &RingMem<'_>, i: u32) -> (u64, u32) {
        self.frames.timestamp(ring, i)
    }
}

/// One version's TX frame code: compiled once per `TpacketHeader`, picked
/// when the ring is made, so a commit never matches on the version.
trait TxFrames: Sync {
    fn status(&self, ring: &RingMem<'_>, i: u32) -> u32;
    fn region<'m>(&self, ring: &RingMem<'m>, i: u32) -> Option<crate::ring::Region<'m>>;
    fn submit(&self, ring: &RingMem<'_>, i: u32, len: u32, offset: Option<(OffsetField, u16)>, next_offset: u32);
    fn timestamp(&self, ring: &RingMem<'_>, i: u32) -> (u64, u32);
}

struct Frames<H>(PhantomData<H>);

impl<H: TpacketHeader> Frames<H> {
    /// The ring's frames as H's; None only for a ring of another version,
    /// which TxRing::new never pairs with this code.
    fn ring<'m>(ring: &RingMem<'m>) -> Option<FrameRing<'m, H>> {
        ring.frames::<H>().ok()
    }
}

impl<H: TpacketHeader> TxFrames for Frames<H> {
    fn status(&self, ring: &RingMem<'_>, i: u32) -> u32 {
        // A ring it cannot read counts as the kernel's: nothing is touched.
        Self::ring(ring).map_or(sys::TP_STATUS_SEND_REQUEST, |f| f.frame(i).status())
    }

    fn region<'m>(&self, ring: &RingMem<'m>, i: u32) -> Option<crate::ring::Region<'m>> {
        Some(Self::ring(ring)?.frame(i).region())
    }

    fn submit(&self, ring: &RingMem<'_>, i: u32, len: u32, offset: Option<(OffsetField, u16)>, next_offset: u32) {
        let Some(frames) = Self::ring(ring) else { return };
        let frame = frames.frame(i);
        // The kernel drops V3 TX frames whose tp_next_offset is not 0 (no
        // variable-size TX slots); only the test hook passes anything else.
        frame.set_tx_header(len, offset, next_offset);
        frame.release(sys::TP_STATUS_SEND_REQUEST);
    }

    fn timestamp(&self, ring: &RingMem<'_>, i: u32) -> (u64, u32) {
        Self::ring(ring).map_or((0, 0), |f| H::time(&f.frame(i).header()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::fake::{geometry, FakeMemory};

    #[test]
    fn ownership_ignores_timestamp_bits() {
        let ts = sys::TP_STATUS_TS_SOFTWARE;
        assert_eq!(FrameState::from_status(sys::TP_STATUS_AVAILABLE), FrameState::Free { ts: 0 });
        assert_eq!(FrameState::from_status(ts), FrameState::Free { ts });
        assert_eq!(FrameState::from_status(sys::TP_STATUS_SEND_REQUEST), FrameState::Kernel);
        assert_eq!(FrameState::from_status(sys::TP_STATUS_SENDING | ts), FrameState::Kernel);
        assert_eq!(FrameState::from_status(sys::TP_STATUS_WRONG_FORMAT | ts), FrameState::Rejected);
    }

    /// Fills frames in a fake ring in ordinary memory and reads them back
    /// through the kernel's struct for each version, as tpacket_snd would.
    #[test]
    fn submit_and_timestamp_use_each_versions_header() {
        for version in [Version::V1, Version::V2, Version::V3] {
            let mut mem = FakeMemory::new(4096);
            let g = geometry(version, 4096, 1, 1024, 4);
            let ring = mem.ring(g);
            let tx = TxRing::new(g, 80, 0, true, false);
            assert_eq!(tx.data_room(), 1024 - 80);
            assert!(tx.fill(&ring, 1, b"payload"));
            assert!(!tx.fill(&ring, 1, &[0; 1024 - 79]), "one byte more than the frame's data room");
            tx.submit(&ring, 1, 300, 0);
            let frame = match version {
                Version::V1 => ring.frames::<V1>().unwrap().frame(1).region(),
                Version::V2 => ring.frames::<V2>().unwrap().frame(1).region(),
                Version::V3 => ring.frames::<V3>().unwrap().frame(1).region(),
            };
            let (len, snaplen, mac, status, next) = match version {
                Version::V1 => {
                    let h: sys::tpacket_hdr = frame.read(0).unwrap();
                    (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status as u32, 0)
                }
                Version::V2 => {
                    let h: sys::tpacket2_hdr = frame.read(0).unwrap();
                    (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status, 0)
                }
                Version::V3 => {
                    let h: sys::tpacket3_hdr = frame.read(0).unwrap();
                    (h.tp_len, h.tp_snaplen, h.tp_mac, h.tp_status, h.tp_next_offset)
                }
            };
            assert_eq!(
                (len, snaplen, mac, status, next),
                (300, 300, 80, sys::TP_STATUS_SEND_REQUEST, 0),
                "{version:?}"
            );
            assert_eq!(frame.bytes(80, 7), Some(&b"payload"[..]));
            assert_eq!(tx.data(&ring, 1, 7), Some(&b"payload"[..]));
            assert_eq!(tx.state(&ring, 1), FrameState::Kernel);
            assert_eq!(tx.state(&ring, 2), FrameState::Free { ts: 0 });
            // The kernel's stamp, as it writes it into the header.
            let (sec, frac) = match version {
                Version::V1 => {
                    (std::mem::offset_of!(sys::tpacket_hdr, tp_sec), std::mem::offset_of!(sys::tpacket_hdr, tp_usec))
                }
                Version::V2 => {
                    (std::mem::offset_of!(sys::tpacket2_hdr, tp_sec), std::mem::offset_of!(sys::tpacket2_hdr, tp_nsec))
                }
                Version::V3 => {
                    (std::mem::offset_of!(sys::tpacket3_hdr, tp_sec), std::mem::offset_of!(sys::tpacket3_hdr, tp_nsec))
                }
            };
            assert!(frame.write(sec, 5u32) && frame.write(frac, 7u32));
            let want = if version == Version::V1 { (5, 7000) } else { (5, 7) };
            assert_eq!(tx.timestamp(&ring, 1), want, "{version:?}");
        }
    }

    #[test]
    fn sock_dgram_writes_the_offset_into_tp_net() {
        let mut mem = FakeMemory::new(4096);
        let g = geometry(Version::V2, 4096, 1, 1024, 4);
        let ring = mem.ring(g);
        TxRing::new(g, 64, 0, true, true).submit(&ring, 0, 100, 0);
        let h: sys::tpacket2_hdr = ring.frames::<V2>().unwrap().frame(0).header();
        assert_eq!((h.tp_net, h.tp_mac), (64, 0));
        // Without PACKET_TX_HAS_OFF neither is written: the kernel uses its default.
        TxRing::new(g, 32, 0, false, false).submit(&ring, 1, 100, 0);
        let h = ring.frames::<V2>().unwrap().frame(1).header();
        assert_eq!((h.tp_net, h.tp_mac), (0, 0));
    }

    /// With PACKET_VNET_HDR the frame's data starts with the header, the
    /// packet follows it, and tp_len counts both.
    #[test]
    fn a_vnet_header_goes_in_front_of_the_packet() {
        let mut mem = FakeMemory::new(4096);
        let g = geometry(Version::V3, 4096, 1, 1024, 4);
        let ring = mem.ring(g);
        let tx = TxRing::new(g, 48, VNET_HDR_LEN, false, false);
        assert_eq!(tx.data_room(), 1024 - 48 - 10);
        // SAFETY: frame 0 of the fake ring is this test's, and this is the only view.
        unsafe { tx.data_mut(&ring, 0, 5) }.unwrap().copy_from_slice(b"hello");
        let hdr = VnetHeader { flags: 1, gso_type: 1, hdr_len: 54, gso_size: 1448, csum_start: 34, csum_offset: 16 };
        assert!(tx.set_vnet(&ring, 0, &hdr));
        tx.submit(&ring, 0, 5, 0);
        let frame = ring.frames::<V3>().unwrap().frame(0);
        assert_eq!(frame.header().tp_len, 15);
        let r = frame.region();
        assert_eq!(VnetHeader::from_bytes(r.bytes(48, 10).unwrap()), Some(hdr));
        assert_eq!(r.bytes(58, 5), Some(&b"hello"[..]));
        assert_eq!(tx.data(&ring, 0, 5).map(<[u8]>::len), Some(15), "a copy of the frame keeps its header");
        let plain = TxRing::new(g, 48, 0, false, false);
        assert!(!plain.set_vnet(&ring, 1, &hdr), "no header slot without PACKET_VNET_HDR");
    }

    #[test]
    fn default_offsets_match_the_kernel() {
        // TPACKET_ALIGN(sizeof(struct tpacketN_hdr)).
        assert_eq!(default_data_offset(Version::V1), sys::tpacket_align(std::mem::size_of::<sys::tpacket_hdr>()));
        assert_eq!(default_data_offset(Version::V2), 32);
        assert_eq!(default_data_offset(Version::V3), 48);
    }
}
