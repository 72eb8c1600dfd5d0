//! VLAN tag re-insertion. Most devices (and the stack itself, for tags a
//! device left inline) take the outer 802.1Q/802.1ad tag out of the packet
//! and report it as metadata (TP_STATUS_VLAN_VALID, tp_vlan_tci/tpid). A
//! capture that wants the bytes as they were on the wire puts it back after
//! the two MAC addresses, as libpcap does.
//!
//! A tagged packet in the ring is rewritten in place, as libpcap does: the
//! MAC addresses move back into the room the kernel leaves before the
//! packet, and the tag goes where they were. Only a packet without that
//! room (a PACKET_COPY_THRESH copy) is copied, into a buffer the handle
//! keeps, so there is no allocation per packet after the first.

use std::ptr::NonNull;

use crate::packet::{Headroom, PacketMeta};
use crate::ring::Span;
use crate::sys;

/// Where the tag goes: after destination and source MAC.
const TAG_OFFSET: usize = 2 * sys::ETH_ALEN as usize;
pub const TAG_LEN: usize = 4;

/// Whether the kernel took a tag out of this packet (libpcap's VLAN_VALID:
/// old kernels set a non-zero TCI without the status bit).
#[inline]
pub fn has_tag(meta: &PacketMeta) -> bool {
    meta.status & sys::TP_STATUS_VLAN_VALID != 0 || meta.vlan_tci != 0
}

/// The tag's TPID: the reported one, or 802.1Q when the kernel does not say.
#[inline]
pub fn tpid(meta: &PacketMeta) -> u16 {
    if meta.status & sys::TP_STATUS_VLAN_TPID_VALID != 0 && meta.vlan_tpid != 0 {
        meta.vlan_tpid
    } else {
        sys::ETH_P_8021Q as u16
    }
}

/// The 4 bytes of the tag the kernel took out, as they stood on the wire.
#[inline]
pub fn tag(meta: &PacketMeta) -> [u8; TAG_LEN] {
    let [p0, p1] = tpid(meta).to_be_bytes();
    let [t0, t1] = meta.vlan_tci.to_be_bytes();
    [p0, p1, t0, t1]
}

/// Whether the tag goes back into this packet: an Ethernet frame the kernel
/// untagged, long enough to hold the MAC addresses.
fn wants_tag(meta: &PacketMeta, len: usize) -> bool {
    has_tag(meta) && meta.hatype == sys::ARPHRD_ETHER as u16 && len >= TAG_OFFSET
}

/// The tag put back into `data` where it lies, using the 4 bytes of `room`
/// just before it: the tagged packet and what remains of the room; None
/// (nothing written) when the packet takes no tag or the room is short.
/// `meta.len` grows by the tag.
///
/// # Safety
/// `room` ends where `data` begins, both in one ring frame or block that
/// this side owns (status-word protocol), with `room.start` carrying the
/// mapping's writable provenance; no slice covers `data` yet.
pub(crate) unsafe fn reinsert_in_place<'m>(
    room: Headroom,
    data: Span<'m>,
    meta: &mut PacketMeta,
) -> Option<(Span<'m>, Option<Headroom>)> {
    if !wants_tag(meta, data.len()) || room.len < TAG_LEN {
        return None;
    }
    // SAFETY: per the contract, [room.start, data end) is one owned span
    // reachable from room.start; the moved MACs and the tag stay inside it.
    unsafe {
        let base = room.start.as_ptr();
        if base.add(room.len) != data.as_ptr().as_ptr() {
            return None;
        }
        let at = base.add(room.len - TAG_LEN);
        std::ptr::copy(at.add(TAG_LEN), at, TAG_OFFSET);
        at.add(TAG_OFFSET).copy_from_nonoverlapping(tag(meta).as_ptr(), TAG_LEN);
        meta.len = meta.len.saturating_add(TAG_LEN as u32);
        let left = room.len - TAG_LEN;
        let room = (left > 0).then_some(Headroom { start: room.start, len: left });
        Some((Span::from_raw(NonNull::new_unchecked(at), data.len() + TAG_LEN), room))
    }
}

/// Rebuilds the tagged frame in `buf` when `data` is an Ethernet frame the
/// kernel untagged; returns false (and leaves `buf` alone) otherwise.
/// `meta.len` grows by the tag.
pub fn reinsert(data: &[u8], meta: &mut PacketMeta, buf: &mut Vec<u8>) -> bool {
    if !wants_tag(meta, data.len()) {
        return false;
    }
    buf.clear();
    buf.reserve(data.len() + TAG_LEN);
    buf.extend_from_slice(&data[..TAG_OFFSET]);
    buf.extend_from_slice(&tag(meta));
    buf.extend_from_slice(&data[TAG_OFFSET..]);
    meta.len = meta.len.saturating_add(TAG_LEN as u32);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puts_the_tag_back_after_the_macs() {
        let frame: Vec<u8> = (0u8..20).collect();
        let mut meta = PacketMeta {
            len: 20,
            status: sys::TP_STATUS_VLAN_VALID | sys::TP_STATUS_VLAN_TPID_VALID,
            vlan_tci: 0x2005,
            vlan_tpid: 0x88a8,
            hatype: 1,
            ..Default::default()
        };
        let mut buf = Vec::new();
        assert!(reinsert(&frame, &mut meta, &mut buf));
        assert_eq!(&buf[..12], &frame[..12]);
        assert_eq!(&buf[12..16], &[0x88, 0xa8, 0x20, 0x05]);
        assert_eq!(&buf[16..], &frame[12..]);
        assert_eq!(meta.len, 24);
        let mut untagged = PacketMeta { hatype: 1, ..Default::default() };
        assert!(!reinsert(&frame, &mut untagged, &mut buf));
    }

    #[test]
    fn puts_the_tag_back_in_place_using_the_room_before_the_packet() {
        let tagged = |len| PacketMeta {
            len,
            status: sys::TP_STATUS_VLAN_VALID,
            vlan_tci: 0x0064,
            hatype: 1,
            ..Default::default()
        };
        // 6 bytes of room, then a 20-byte frame.
        let mut frame: Vec<u8> = (0u8..26).collect();
        let base = NonNull::new(frame.as_mut_ptr()).unwrap();
        let room = Headroom { start: base, len: 6 };
        // SAFETY: the room ends where the data begins, in one live buffer.
        let data = unsafe { Span::from_raw(NonNull::new(base.as_ptr().add(6)).unwrap(), 20) };
        let mut meta = tagged(20);
        let (out, left) = unsafe { reinsert_in_place(room, data, &mut meta) }.unwrap();
        let out = out.as_slice().to_vec();
        let want: Vec<u8> = (6u8..18).chain([0x81, 0x00, 0x00, 0x64]).chain(18u8..26).collect();
        assert_eq!(out, want);
        assert_eq!(meta.len, 24);
        assert_eq!(left.map(|r| r.len), Some(2));
        // Too little room, or no tag: nothing written.
        let mut frame: Vec<u8> = (0u8..23).collect();
        let base = NonNull::new(frame.as_mut_ptr()).unwrap();
        let data = unsafe { Span::from_raw(NonNull::new(base.as_ptr().add(3)).unwrap(), 20) };
        let mut meta = tagged(20);
        assert!(unsafe { reinsert_in_place(Headroom { start: base, len: 3 }, data, &mut meta) }.is_none());
        assert_eq!(meta.len, 20);
        let mut plain = PacketMeta { hatype: 1, ..Default::default() };
        assert!(unsafe { reinsert_in_place(Headroom { start: base, len: 3 }, data, &mut plain) }.is_none());
        assert_eq!(frame, (0u8..23).collect::<Vec<u8>>());
    }
}
