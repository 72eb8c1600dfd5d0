//! VLAN tag re-insertion. Most devices (and the stack itself, for tags a
//! device left inline) take the outer 802.1Q/802.1ad tag out of the packet
//! and report it as metadata (TP_STATUS_VLAN_VALID, tp_vlan_tci/tpid). A
//! capture that wants the bytes as they were on the wire puts it back after
//! the two MAC addresses, as libpcap does.
//!
//! Untagged packets are delivered straight from the ring; only a tagged one
//! is copied, into a buffer the handle keeps, so there is no allocation per
//! packet after the first.

use crate::packet::PacketMeta;
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

/// Rebuilds the tagged frame in `buf` when `data` is an Ethernet frame the
/// kernel untagged; returns false (and leaves `buf` alone) otherwise.
/// `meta.len` grows by the tag.
pub fn reinsert(data: &[u8], meta: &mut PacketMeta, buf: &mut Vec<u8>) -> bool {
    if !has_tag(meta) || meta.hatype != sys::ARPHRD_ETHER as u16 || data.len() < TAG_OFFSET {
        return false;
    }
    buf.clear();
    buf.reserve(data.len() + TAG_LEN);
    buf.extend_from_slice(&data[..TAG_OFFSET]);
    buf.extend_from_slice(&tpid(meta).to_be_bytes());
    buf.extend_from_slice(&meta.vlan_tci.to_be_bytes());
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
}
