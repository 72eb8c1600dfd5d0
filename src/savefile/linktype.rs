//! libpcap's mapping between the LINKTYPE_ values stored in files and the
//! DLT_ values `pcap_datalink()` returns (Linux values), and its per-link-type
//! snapshot length limits.

/// Largest snapshot length libpcap accepts for most link types
/// (`MAXIMUM_SNAPLEN`).
pub const MAXIMUM_SNAPLEN: u32 = 262_144;

const DLT_DBUS: i32 = 231;
const DLT_USBPCAP: i32 = 249;
const DLT_EBHSCR: i32 = 279;

/// Pairs (DLT, LINKTYPE) where the values differ on Linux.
const DIFFERING: [(i32, u32); 5] = [(11, 100), (12, 101), (15, 102), (16, 103), (19, 106)];

/// DLT values that have a LINKTYPE equal to them outside the matching range.
const SAME_OUTSIDE_RANGE: [i32; 14] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50, 51, 99];

/// DLT values from here to `DLT_MATCHING_MAX` are their own LINKTYPE.
const DLT_MATCHING_MIN: i32 = 104;
const DLT_MATCHING_MAX: i32 = 289;

/// The DLT_ value for a file's LINKTYPE_ value (libpcap's
/// `linktype_to_dlt`): values without a mapping pass through unchanged, as
/// they may be DLT_ values written by old libpcaps.
pub fn linktype_to_dlt(linktype: u32) -> i32 {
    DIFFERING.iter().find(|(_, lt)| *lt == linktype).map_or(linktype as i32, |(dlt, _)| *dlt)
}

/// The LINKTYPE_ value to store for a DLT_ value (libpcap's
/// `dlt_to_linktype`), or `None` if the DLT has no LINKTYPE. (On Linux,
/// DLT_PFSYNC and DLT_PKTAP are inside the matching range, and 1.10.3 maps
/// DLT 106 to itself.)
pub fn dlt_to_linktype(dlt: i32) -> Option<u32> {
    if (DLT_MATCHING_MIN..=DLT_MATCHING_MAX).contains(&dlt) || SAME_OUTSIDE_RANGE.contains(&dlt) {
        return Some(dlt as u32);
    }
    DIFFERING.iter().find(|(d, _)| *d == dlt).map(|(_, lt)| *lt)
}

/// The largest captured length libpcap considers sane for a DLT
/// (`max_snaplen_for_dlt`).
pub fn max_snaplen_for_dlt(dlt: i32) -> u32 {
    match dlt {
        DLT_DBUS => 128 * 1024 * 1024,
        DLT_EBHSCR => 8 * 1024 * 1024,
        DLT_USBPCAP => 1024 * 1024,
        _ => MAXIMUM_SNAPLEN,
    }
}

/// The snapshot length libpcap reports for a file's snaplen field
/// (`pcap_adjust_snapshot` in 1.10): 0 or values that do not fit an `int`
/// become the link type's maximum; anything else is kept, even if it is
/// above that maximum.
pub fn adjust_snapshot(dlt: i32, snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        max_snaplen_for_dlt(dlt)
    } else {
        snaplen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_round_trips() {
        for dlt in [0, 1, 11, 12, 15, 16, 19, 105, 113, 127, 246, 276, 289] {
            let lt = dlt_to_linktype(dlt).unwrap();
            assert_eq!(linktype_to_dlt(lt), dlt, "dlt {dlt}");
        }
        assert_eq!(dlt_to_linktype(12), Some(101));
        assert_eq!(dlt_to_linktype(106), Some(106));
        assert_eq!(dlt_to_linktype(13), None);
        assert_eq!(dlt_to_linktype(300), None);
        assert_eq!(dlt_to_linktype(-1), None);
        assert_eq!(linktype_to_dlt(101), 12);
        assert_eq!(linktype_to_dlt(12), 12);
        assert_eq!(linktype_to_dlt(5000), 5000);
    }

    #[test]
    fn snapshot_adjustment() {
        assert_eq!(adjust_snapshot(1, 0), 262_144);
        assert_eq!(adjust_snapshot(1, 1_000_000), 1_000_000);
        assert_eq!(adjust_snapshot(1, 0x8000_0000), 262_144);
        assert_eq!(adjust_snapshot(231, 0), 128 * 1024 * 1024);
    }
}
