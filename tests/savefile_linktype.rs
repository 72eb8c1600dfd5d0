//! ringcap's LINKTYPE_/DLT_ mapping and per-link-type limits against
//! libpcap's, value by value.

mod support;

use std::fs;

use ringcap::savefile::linktype::{dlt_to_linktype, linktype_to_dlt};
use ringcap::savefile::Precision;
use support::*;

/// The link type field written for a DLT, read back from what libpcap wrote
/// into an empty file; `None` if libpcap refused.
fn libpcap_linktype_for(dir: &std::path::Path, dlt: i32) -> Option<u32> {
    let path = dir.join(format!("dlt{dlt}.pcap"));
    fs::write(&path, b"").unwrap();
    let out =
        stdout(&run(oracle().to_str().unwrap(), &["append", path.to_str().unwrap(), &dlt.to_string(), "100", "micro"]));
    if out.starts_with("APPEND_ERR") {
        return None;
    }
    let bytes = fs::read(&path).unwrap();
    Some(u32::from_ne_bytes(bytes[20..24].try_into().unwrap()))
}

#[test]
fn dlt_to_linktype_matches_libpcap() {
    let dir = workdir("linktype_write");
    for dlt in (-2..=300).chain([1000, 65535, 70000]) {
        assert_eq!(dlt_to_linktype(dlt), libpcap_linktype_for(&dir, dlt), "DLT {dlt}");
    }
}

#[test]
fn linktype_to_dlt_and_snapshot_limits_match_libpcap() {
    let dir = workdir("linktype_read");
    let mut files = Vec::new();
    // snaplen 0 makes libpcap report the link type's maximum snapshot.
    for lt in (0..=300u32).chain([1000, 65535, 0x03ff_ffff]) {
        let path = dir.join(format!("lt{lt}.pcap"));
        fs::write(&path, PcapFile::new(Endian::Little, 0xa1b2_c3d4, (2, 4), 0, lt).bytes).unwrap();
        files.push((lt, path));
    }
    let paths: Vec<_> = files.iter().map(|(_, p)| p.clone()).collect();
    for ((lt, path), want) in files.iter().zip(oracle_reports(&paths, Precision::Micro)) {
        assert_eq!(ringcap_report(path, Precision::Micro), want, "LINKTYPE {lt}");
        assert!(want.contains(&format!("dlt={} ", linktype_to_dlt(*lt))), "LINKTYPE {lt}: {want}");
    }
}
