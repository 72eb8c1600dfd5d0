//! Malformed input: every truncation of small files and a table of
//! corruptions. Each must end in libpcap's outcome and message (checked
//! against libpcap itself) with `SavefileMalformed`, never a panic.

mod support;

use std::fs;

use ringcap::savefile::{Precision, Reader};
use ringcap::ErrorCode;
use support::*;

/// The first error ringcap reports for `bytes`, if any.
fn first_error(bytes: &[u8], p: Precision) -> Option<ringcap::Error> {
    let mut r = match Reader::open_with_precision(bytes, p) {
        Ok(r) => r,
        Err(e) => return Some(e),
    };
    loop {
        match r.next_packet() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

/// Compares ringcap with libpcap on each input, in both precisions.
fn assert_same_as_libpcap(name: &str, inputs: &[(String, Vec<u8>)]) {
    let dir = workdir(name);
    let paths: Vec<_> = inputs
        .iter()
        .map(|(n, b)| {
            let p = dir.join(n);
            fs::write(&p, b).unwrap();
            p
        })
        .collect();
    for p in [Precision::Micro, Precision::Nano] {
        for (((n, bytes), path), want) in inputs.iter().zip(&paths).zip(oracle_reports(&paths, p)) {
            assert_eq!(ringcap_report_from(&bytes[..], p), want, "{n} at {p:?}");
            assert_eq!(ringcap_report(path, p), want, "{n} at {p:?} (from a file)");
            if let Some(e) = first_error(bytes, p) {
                assert_eq!(e.code(), ErrorCode::SavefileMalformed, "{n}: {e}");
            }
        }
    }
}

fn small_files() -> Vec<(&'static str, Vec<u8>)> {
    use Endian::*;
    let d = payload(3, 64);
    vec![
        (
            "le_micro.pcap",
            PcapFile::new(Little, 0xa1b2_c3d4, (2, 4), 48, 1)
                .record(1, 2, 20, 20, &d[..20])
                .record(3, 4, 0, 0, &[])
                .record(5, 6, 60, 60, &d[..60])
                .bytes,
        ),
        (
            "be_nano.pcap",
            PcapFile::new(Big, 0xa1b2_3c4d, (2, 4), 0, 101).record(1, 999_999_999, 24, 30, &d[..24]).bytes,
        ),
        ("be_mod.pcap", PcapFile::new(Big, 0xa1b2_cd34, (2, 4), 100, 1).record(7, 8, 16, 16, &d[..16]).bytes),
        (
            "le.pcapng",
            NgFile::new(Little)
                .block(0xBAD, &[1, 2, 3])
                .idb(1, 0, &[opt(Little, 9, &[9]), opt(Little, 14, &7u64.to_le_bytes())])
                .epb(0, 1_000_000_123, 13, 20, &d[..13])
                .spb(5, &d[..5])
                .pb(0, 5, 4, 4, &d[..4])
                .bytes,
        ),
        (
            "be_sections.pcapng",
            NgFile::new(Big)
                .idb(1, 64, &[opt(Big, 9, &[0x85])])
                .epb(0, 77, 8, 8, &d[..8])
                .shb(Big, (1, 2))
                .idb(1, 64, &[])
                .epb(0, 88, 4, 4, &d[..4])
                .bytes,
        ),
    ]
}

#[test]
fn truncation_at_every_offset_matches_libpcap() {
    let mut inputs = Vec::new();
    for (name, bytes) in small_files() {
        for cut in 0..=bytes.len() {
            inputs.push((format!("{name}.{cut}"), bytes[..cut].to_vec()));
        }
        // A full file must read cleanly.
        for p in [Precision::Micro, Precision::Nano] {
            assert!(first_error(&bytes, p).is_none(), "{name} is valid");
        }
    }
    assert!(inputs.len() > 500);
    assert_same_as_libpcap("truncation", &inputs);
    // And a cut inside a record or block is always an error.
    for (name, bytes) in small_files() {
        let err = first_error(&bytes[..bytes.len() - 1], Precision::Micro).expect(name);
        assert!(err.message().starts_with("truncated "), "{name}: {err}");
    }
}

/// (name, file, the message libpcap gives).
fn corruptions() -> Vec<(&'static str, Vec<u8>, String)> {
    use Endian::*;
    let d = payload(4, 300);
    let pcap = |snap: u32, lt: u32| PcapFile::new(Little, 0xa1b2_c3d4, (2, 4), snap, lt);
    let ng = || NgFile::new(Little);
    let idb = || ng().idb(1, 0, &[]);
    let raw_block = |f: NgFile, t: u32, len: u32, body: &[u8], trailer: u32| {
        let mut b = f.bytes;
        b.extend(t.to_le_bytes());
        b.extend(len.to_le_bytes());
        b.extend(body);
        b.extend(trailer.to_le_bytes());
        b
    };
    let tsresol = |v: u8| opt(Little, 9, &[v]);
    let mut swapped_bom_shb = idb().bytes;
    // A second SHB whose length is in this section's order but whose
    // byte-order magic is not.
    swapped_bom_shb.extend(raw_block(
        NgFile { e: Little, bytes: vec![] },
        0x0A0D_0D0A,
        28,
        &[0x1A, 0x2B, 0x3C, 0x4D, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        28,
    ));
    let mut bad_bom_shb = idb().bytes;
    bad_bom_shb.extend(raw_block(
        NgFile { e: Little, bytes: vec![] },
        0x0A0D_0D0A,
        28,
        &[1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        28,
    ));
    let mut short_shb = idb().bytes;
    short_shb.extend(raw_block(
        NgFile { e: Little, bytes: vec![] },
        0x0A0D_0D0A,
        20,
        &[0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0],
        20,
    ));
    let mut shb_len = ng().bytes;
    shb_len[4..8].copy_from_slice(&20u32.to_le_bytes());
    let mut shb_insane = ng().bytes;
    shb_insane[4..8].copy_from_slice(&(2u32 << 20).to_le_bytes());
    let mut not_ng = ng().bytes;
    not_ng[8..12].copy_from_slice(b"abcd");
    vec![
        ("empty", vec![], "OPEN_ERR truncated dump file; tried to read 4 file header bytes, only got 0".into()),
        ("magic_only", 0xa1b2_c3d4u32.to_le_bytes().to_vec(), "OPEN_ERR truncated dump file; tried to read 24 file header bytes, only got 0".into()),
        ("bad_magic", b"GIF89a and then some more bytes".to_vec(), "OPEN_ERR unknown file format".into()),
        ("shb_magic_text", b"\n\r\r\nhello".to_vec(), "OPEN_ERR unknown file format".into()),
        ("shb_bad_bom", not_ng, "OPEN_ERR unknown file format".into()),
        ("archaic", PcapFile::new(Little, 0xa1b2_c3d4, (1, 9), 100, 1).bytes, "OPEN_ERR archaic pcap savefile format".into()),
        ("version_3", PcapFile::new(Big, 0xa1b2_3c4d, (3, 0), 100, 1).bytes, "OPEN_ERR unsupported pcap savefile version 3.0".into()),
        ("giant_caplen", pcap(65535, 1).record(1, 2, 0xffff_fff0, 10, &d).bytes, "ERR invalid packet capture length 4294967280, bigger than snaplen of 65535".into()),
        ("caplen_over_max", pcap(1_000_000, 1).record(1, 2, 262_145, 10, &d).bytes, "ERR invalid packet capture length 262145, bigger than maximum of 262144".into()),
        ("caplen_over_snaplen_truncated", pcap(100, 1).record(1, 2, 200, 200, &d[..150]).bytes, "ERR truncated dump file; tried to read 200 captured bytes, only got 150".into()),
        ("caplen_over_snaplen_short", pcap(100, 1).record(1, 2, 200, 200, &d[..50]).bytes, "ERR truncated dump file; tried to read 100 captured bytes, only got 50".into()),
        ("dbus_big_caplen", pcap(0, 231).record(1, 2, 200_000_000, 10, &d).bytes, "ERR invalid packet capture length 200000000, bigger than snaplen of 134217728".into()),
        ("record_cut", pcap(100, 1).record(1, 2, 10, 10, &d[..10]).bytes[..30].to_vec(), "ERR truncated dump file; tried to read 16 header bytes, only got 6".into()),
        ("shb_len_small", shb_len, "OPEN_ERR Section Header Block in pcapng dump file has invalid length 28 < _20_ < 1048576 (BT_SHB_INSANE_MAX)".into()),
        ("shb_len_insane", shb_insane, "OPEN_ERR Section Header Block in pcapng dump file has invalid length 28 < _2097152_ < 1048576 (BT_SHB_INSANE_MAX)".into()),
        ("shb_version", NgFile::new(Little).bytes.iter().enumerate().map(|(i, b)| if i == 12 { 2 } else { *b }).collect(), "OPEN_ERR unsupported pcapng savefile version 2.0".into()),
        ("no_idb", ng().block(0xBAD, &[0; 8]).bytes, "OPEN_ERR the capture file has no Interface Description Blocks".into()),
        ("packet_before_idb", ng().spb(4, &d[..4]).bytes, "OPEN_ERR the capture file has a packet block before any Interface Description Blocks".into()),
        ("zero_length_block", raw_block(idb(), 6, 0, &[], 0), "ERR block in pcapng dump file has a length of 0 < 12".into()),
        ("zero_length_block_at_open", raw_block(ng(), 1, 0, &[], 0), "OPEN_ERR block in pcapng dump file has a length of 0 < 12".into()),
        ("length_not_multiple_of_4", raw_block(idb(), 6, 14, &[0, 0], 14), "ERR block in pcapng dump file has a length of 14 that is not a multiple of 4".into()),
        ("huge_block", raw_block(idb(), 6, 0x7fff_fffc, &[], 0), "ERR pcapng block size 2147483644 > maximum 16777216".into()),
        ("huge_block_dbus", raw_block(ng().idb(231, 0, &[]), 6, 0x7fff_fffc, &[], 0), "ERR pcapng block size 2147483644 > maximum 134348832".into()),
        ("trailer_mismatch", raw_block(idb(), 6, 12, &[], 16), "ERR block total length in header and trailer don't match".into()),
        ("block_cut", idb().epb(0, 1, 10, 10, &d[..10]).bytes[..80].to_vec(), "ERR truncated pcapng dump file; tried to read 36 bytes, only got 24".into()),
        ("shb_cut", ng().bytes[..20].to_vec(), "OPEN_ERR truncated pcapng dump file; tried to read 16 bytes, only got 8".into()),
        ("idb_too_short", ng().block(1, &[1, 0, 0, 0]).bytes, "OPEN_ERR block of type 1 in pcapng dump file is too short".into()),
        ("epb_too_short", idb().block(6, &[0; 16]).bytes, "ERR block of type 6 in pcapng dump file is too short".into()),
        ("pb_too_short", idb().block(2, &[0; 16]).bytes, "ERR block of type 2 in pcapng dump file is too short".into()),
        ("spb_too_short", idb().block(3, &[]).bytes, "ERR block of type 3 in pcapng dump file is too short".into()),
        ("epb_data_short", idb().epb(0, 1, 100, 100, &d[..20]).bytes, "ERR block of type 6 in pcapng dump file is too short".into()),
        ("spb_data_short", idb().spb(100, &d[..20]).bytes, "ERR block of type 3 in pcapng dump file is too short".into()),
        ("epb_caplen_over_snaplen", ng().idb(1, 10, &[]).epb(0, 1, 11, 11, &d[..11]).bytes, "ERR invalid packet capture length 11, bigger than snaplen of 10".into()),
        ("epb_giant_caplen", idb().epb(0, 1, 0xffff_ffff, 1, &d[..4]).bytes, "ERR invalid packet capture length 4294967295, bigger than snaplen of 262144".into()),
        ("unknown_interface", idb().epb(1, 1, 4, 4, &d[..4]).bytes, "ERR a packet arrived on interface 1, but there's no Interface Description Block for that interface".into()),
        ("pb_unknown_interface", idb().pb(9, 1, 4, 4, &d[..4]).bytes, "ERR a packet arrived on interface 9, but there's no Interface Description Block for that interface".into()),
        ("tsresol_len", ng().idb(1, 0, &[opt(Little, 9, &[6, 6])]).bytes, "OPEN_ERR Interface Description Block has if_tsresol option with length 2 != 1".into()),
        ("tsresol_twice", ng().idb(1, 0, &[tsresol(6), tsresol(9)]).bytes, "OPEN_ERR Interface Description Block has more than one if_tsresol option".into()),
        ("tsresol_dec_high", ng().idb(1, 0, &[tsresol(20)]).bytes, "OPEN_ERR Interface Description Block if_tsresol option resolution 10^-20 is too high".into()),
        ("tsresol_bin_high", idb().idb(1, 0, &[tsresol(0xc0)]).bytes, "ERR Interface Description Block if_tsresol option resolution 2^-64 is too high".into()),
        ("tsoffset_len", ng().idb(1, 0, &[opt(Little, 14, &[0; 4])]).bytes, "OPEN_ERR Interface Description Block has if_tsoffset option with length 4 != 8".into()),
        ("tsoffset_twice", ng().idb(1, 0, &[opt(Little, 14, &[0; 8]), opt(Little, 14, &[0; 8])]).bytes, "OPEN_ERR Interface Description Block has more than one if_tsoffset option".into()),
        ("endofopt_len", ng().idb(1, 0, &[opt(Little, 0, &[1])]).bytes, "OPEN_ERR Interface Description Block has opt_endofopt option with length 1 != 0".into()),
        ("option_cut", ng().block(1, &[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 100, 0, b'e', b't', b'h', b'0']).bytes, "OPEN_ERR block of type 1 in pcapng dump file is too short".into()),
        ("later_idb_linktype", idb().idb(113, 0, &[]).bytes, "ERR an interface has a type 113 different from the type of the first interface".into()),
        ("later_idb_snaplen", idb().idb(1, 1500, &[]).bytes, "ERR an interface has a snapshot length 1500 different from the snapshot length of the first interface".into()),
        ("later_idb_snaplen_adjusted", idb().idb(1, 0x8000_0000, &[]).epb(1, 1, 4, 4, &d[..4]).bytes, String::new()),
        ("later_shb_swapped_bom", swapped_bom_shb, "ERR the file has sections with different byte orders".into()),
        ("later_shb_bad_bom", bad_bom_shb, "ERR the file has a section with a bad byte order magic field".into()),
        ("later_shb_major", idb().shb(Little, (2, 0)).bytes, "ERR unknown pcapng savefile major version number 2".into()),
        ("later_shb_short", short_shb, "ERR block of type 168627466 in pcapng dump file is too short".into()),
        ("later_shb_other_order", idb().shb(Big, (1, 0)).idb(1, 0, &[]).bytes, "ERR pcapng block size 469762048 > maximum 16777216".into()),
    ]
}

#[test]
fn corruptions_give_libpcaps_errors() {
    let cases = corruptions();
    let mut wrong = Vec::new();
    for (name, bytes, want) in &cases {
        let report = ringcap_report_from(&bytes[..], Precision::Micro);
        let last = report.lines().last().unwrap_or_default();
        if want.is_empty() {
            assert_eq!(last, "EOF", "{name}: {report}");
        } else if last != want {
            wrong.push(format!("{name}: got {last:?}, expected {want:?}"));
        } else {
            let err = first_error(bytes, Precision::Nano).expect(name);
            assert_eq!(err.code(), ErrorCode::SavefileMalformed, "{name}");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let inputs: Vec<(String, Vec<u8>)> = cases.into_iter().map(|(n, b, _)| (n.to_string(), b)).collect();
    assert_same_as_libpcap("corruptions", &inputs);
}
