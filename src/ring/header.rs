//! The frame header layouts of the three TPACKET versions, as one trait:
//! readers and TX are generic over it, so the version is chosen once, when
//! a handle opens, and the per-packet code is compiled once per version
//! instead of matching on the version for every packet.

use std::mem::{offset_of, size_of};

use crate::geometry::Version;
use crate::packet::PacketMeta;
use crate::sys;

/// Plain kernel ABI data: every bit pattern is a valid value, so it may be
/// read from (and written to) ring memory byte for byte.
///
/// # Safety
/// Implement only for `Copy` types without padding invariants, references
/// or niches (integers and bindgen's C structs and unions of them).
pub unsafe trait Plain: Copy + Default {}

// SAFETY: integers and the kernel's C structs of integers (bindgen, repr(C)).
unsafe impl Plain for u8 {}
// SAFETY: as above.
unsafe impl Plain for u16 {}
// SAFETY: as above.
unsafe impl Plain for u32 {}
// SAFETY: as above.
unsafe impl Plain for u64 {}
// SAFETY: as above.
unsafe impl Plain for sys::tpacket_hdr {}
// SAFETY: as above.
unsafe impl Plain for sys::tpacket2_hdr {}
// SAFETY: as above.
unsafe impl Plain for sys::tpacket3_hdr {}
// SAFETY: as above (the union's variants are all plain).
unsafe impl Plain for sys::tpacket_block_desc {}
// SAFETY: as above.
unsafe impl Plain for sys::sockaddr_ll {}

/// Where a TX frame's data offset is written (PACKET_TX_HAS_OFF): the
/// kernel reads tp_net for SOCK_DGRAM and tp_mac for SOCK_RAW.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetField {
    Mac,
    Net,
}

/// One TPACKET version's frame header (struct tpacket_hdr, tpacket2_hdr
/// or tpacket3_hdr).
///
/// # Safety
/// `STATUS` and every offset the `tx_*` constants name lie inside `Raw`,
/// with the width the kernel gives them (checked by the unit tests against
/// bindgen's structs); `mem` relies on it to write them without a check.
pub unsafe trait TpacketHeader: Copy + Send + Sync + 'static {
    const VERSION: Version;
    /// The kernel's struct.
    type Raw: Plain;
    /// Offset of tp_status (first in V1/V2, after the lengths in V3), an
    /// unsigned long in V1 and a u32 since V2.
    const TP_STATUS: usize;
    const STATUS_IS_LONG: bool;
    /// Offsets of tp_len, tp_snaplen, tp_mac, tp_net.
    const TP_LEN: usize;
    const TP_SNAPLEN: usize;
    const TP_MAC: usize;
    const TP_NET: usize;
    /// tp_next_offset, V3 only (the kernel refuses V3 TX frames whose
    /// tp_next_offset is not 0).
    const TP_NEXT_OFFSET: Option<usize>;

    /// Bytes of the header.
    const LEN: usize = size_of::<Self::Raw>();
    /// Where the sockaddr_ll follows it.
    const SLL_AT: usize = sys::tpacket_align(Self::LEN);
    /// TPACKET{1,2,3}_HDRLEN: the header and its sockaddr_ll, where the
    /// room before the packet (the kernel's gap and any reserve) begins.
    const HDRLEN: usize = Self::SLL_AT + size_of::<sys::sockaddr_ll>();

    /// Fills what the header says of a received packet (lengths, time,
    /// offsets, VLAN, rx hash); the status is the caller's.
    fn fill_meta(raw: &Self::Raw, meta: &mut PacketMeta);
    /// The time the kernel stamped into a header, as (seconds, nanoseconds).
    fn time(raw: &Self::Raw) -> (u64, u32);
}

/// TPACKET_V1.
#[derive(Debug, Clone, Copy)]
pub struct V1;
/// TPACKET_V2.
#[derive(Debug, Clone, Copy)]
pub struct V2;
/// TPACKET_V3.
#[derive(Debug, Clone, Copy)]
pub struct V3;

// SAFETY: offsets from offset_of! on the kernel's struct; tp_status is its
// unsigned long.
unsafe impl TpacketHeader for V1 {
    const VERSION: Version = Version::V1;
    type Raw = sys::tpacket_hdr;
    const TP_STATUS: usize = offset_of!(sys::tpacket_hdr, tp_status);
    const STATUS_IS_LONG: bool = true;
    const TP_LEN: usize = offset_of!(sys::tpacket_hdr, tp_len);
    const TP_SNAPLEN: usize = offset_of!(sys::tpacket_hdr, tp_snaplen);
    const TP_MAC: usize = offset_of!(sys::tpacket_hdr, tp_mac);
    const TP_NET: usize = offset_of!(sys::tpacket_hdr, tp_net);
    const TP_NEXT_OFFSET: Option<usize> = None;

    #[inline]
    fn fill_meta(h: &sys::tpacket_hdr, meta: &mut PacketMeta) {
        meta.len = h.tp_len;
        meta.caplen = h.tp_snaplen;
        (meta.ts_sec, meta.ts_nsec) = Self::time(h);
        meta.mac_offset = u32::from(h.tp_mac);
        meta.net_offset = u32::from(h.tp_net);
    }

    #[inline]
    fn time(h: &sys::tpacket_hdr) -> (u64, u32) {
        // V1 stamps microseconds.
        (u64::from(h.tp_sec), h.tp_usec.saturating_mul(1000))
    }
}

// SAFETY: offsets from offset_of! on the kernel's struct; u32 tp_status.
unsafe impl TpacketHeader for V2 {
    const VERSION: Version = Version::V2;
    type Raw = sys::tpacket2_hdr;
    const TP_STATUS: usize = offset_of!(sys::tpacket2_hdr, tp_status);
    const STATUS_IS_LONG: bool = false;
    const TP_LEN: usize = offset_of!(sys::tpacket2_hdr, tp_len);
    const TP_SNAPLEN: usize = offset_of!(sys::tpacket2_hdr, tp_snaplen);
    const TP_MAC: usize = offset_of!(sys::tpacket2_hdr, tp_mac);
    const TP_NET: usize = offset_of!(sys::tpacket2_hdr, tp_net);
    const TP_NEXT_OFFSET: Option<usize> = None;

    #[inline]
    fn fill_meta(h: &sys::tpacket2_hdr, meta: &mut PacketMeta) {
        meta.len = h.tp_len;
        meta.caplen = h.tp_snaplen;
        (meta.ts_sec, meta.ts_nsec) = Self::time(h);
        meta.vlan_tci = h.tp_vlan_tci;
        meta.vlan_tpid = h.tp_vlan_tpid;
        meta.mac_offset = u32::from(h.tp_mac);
        meta.net_offset = u32::from(h.tp_net);
    }

    #[inline]
    fn time(h: &sys::tpacket2_hdr) -> (u64, u32) {
        (u64::from(h.tp_sec), h.tp_nsec)
    }
}

// SAFETY: offsets from offset_of! on the kernel's struct; u32 tp_status.
unsafe impl TpacketHeader for V3 {
    const VERSION: Version = Version::V3;
    type Raw = sys::tpacket3_hdr;
    const TP_STATUS: usize = offset_of!(sys::tpacket3_hdr, tp_status);
    const STATUS_IS_LONG: bool = false;
    const TP_LEN: usize = offset_of!(sys::tpacket3_hdr, tp_len);
    const TP_SNAPLEN: usize = offset_of!(sys::tpacket3_hdr, tp_snaplen);
    const TP_MAC: usize = offset_of!(sys::tpacket3_hdr, tp_mac);
    const TP_NET: usize = offset_of!(sys::tpacket3_hdr, tp_net);
    const TP_NEXT_OFFSET: Option<usize> = Some(offset_of!(sys::tpacket3_hdr, tp_next_offset));

    #[inline]
    fn fill_meta(h: &sys::tpacket3_hdr, meta: &mut PacketMeta) {
        meta.len = h.tp_len;
        meta.caplen = h.tp_snaplen;
        (meta.ts_sec, meta.ts_nsec) = Self::time(h);
        meta.mac_offset = u32::from(h.tp_mac);
        meta.net_offset = u32::from(h.tp_net);
        // SAFETY: hv1 is the union's only variant, and plain data.
        let hv1 = unsafe { h.__bindgen_anon_1.hv1 };
        meta.rxhash = hv1.tp_rxhash;
        meta.vlan_tci = hv1.tp_vlan_tci as u16;
        meta.vlan_tpid = hv1.tp_vlan_tpid;
    }

    #[inline]
    fn time(h: &sys::tpacket3_hdr) -> (u64, u32) {
        (u64::from(h.tp_sec), h.tp_nsec)
    }
}

// `mem` reads the status word atomically: it must be aligned for its width
// wherever a frame (16-byte aligned) starts.
const _: () = assert!(offset_of!(sys::tpacket_hdr, tp_status) % align_of::<libc::c_ulong>() == 0);
const _: () = assert!(offset_of!(sys::tpacket2_hdr, tp_status) % 4 == 0);
const _: () = assert!(offset_of!(sys::tpacket3_hdr, tp_status) % 4 == 0);
const _: () = assert!(size_of::<libc::c_ulong>() == size_of::<usize>());
