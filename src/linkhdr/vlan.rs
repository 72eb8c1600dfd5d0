//! pcap/vlan.h: an 802.1Q tag as it appears in a frame (big-endian).

/// One VLAN tag.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct vlan_tag {
    /// ETH_P_8021Q or ETH_P_8021AD.
    pub vlan_tpid: u16,
    /// Priority, DEI and VLAN ID.
    pub vlan_tci: u16,
}

/// Length of a VLAN tag in a frame.
pub const VLAN_TAG_LEN: usize = 4;
