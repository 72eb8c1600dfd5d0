//! `Writer::append` against libpcap's `pcap_dump_open_append`: the same
//! files give the same outcome, message and position.

mod support;

use std::fs::{self, OpenOptions};
use std::path::Path;

use ringcap::savefile::{PacketHeader, Precision, Reader, Writer, WriterConfig};
use ringcap::ErrorCode;
use support::*;

fn open_for_append(path: &Path) -> fs::File {
    OpenOptions::new().read(true).append(true).create(true).open(path).unwrap()
}

fn pcap_header(e: Endian, magic: u32, version: (u16, u16), snaplen: u32, linktype: u32) -> Vec<u8> {
    PcapFile::new(e, magic, version, snaplen, linktype).bytes
}

#[test]
fn append_matches_libpcap() {
    let dir = workdir("append");
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("micro", pcap_header(Endian::Little, 0xa1b2_c3d4, (2, 4), 100, 1)),
        ("nano", pcap_header(Endian::Little, 0xa1b2_3c4d, (2, 4), 100, 1)),
        ("raw", pcap_header(Endian::Little, 0xa1b2_c3d4, (2, 4), 100, 101)),
        ("swapped", pcap_header(Endian::Big, 0xa1b2_c3d4, (2, 4), 100, 1)),
        ("swapped_nano", pcap_header(Endian::Big, 0xa1b2_3c4d, (2, 4), 100, 1)),
        ("kuznetzov", pcap_header(Endian::Little, 0xa1b2_cd34, (2, 4), 100, 1)),
        ("navtel", pcap_header(Endian::Big, 0xa12b_3c4d, (2, 4), 100, 1)),
        ("v23", pcap_header(Endian::Little, 0xa1b2_c3d4, (2, 3), 100, 1)),
        ("truncated", pcap_header(Endian::Little, 0xa1b2_c3d4, (2, 4), 100, 1)[..10].to_vec()),
        ("text", b"this is not a capture file at all".to_vec()),
        ("pcapng", NgFile::new(Endian::Little).idb(1, 100, &[]).bytes),
    ];
    let with_packet = PcapFile::new(Endian::Little, 0xa1b2_c3d4, (2, 4), 100, 1).record(1, 2, 3, 4, b"abc").bytes;
    files.push(("micro_with_packet", with_packet));
    let configs = [
        (1, 100, Precision::Micro),
        (1, 100, Precision::Nano),
        (1, 65535, Precision::Micro),
        (12, 100, Precision::Micro),
        (13, 100, Precision::Micro),
    ];
    let mut cases = 0;
    for (name, bytes) in &files {
        for (dlt, snaplen, p) in configs {
            let theirs = dir.join(format!("{name}-{dlt}-{snaplen}-{}-libpcap", prec_name(p)));
            let ours = dir.join(format!("{name}-{dlt}-{snaplen}-{}-ringcap", prec_name(p)));
            fs::write(&theirs, bytes).unwrap();
            fs::write(&ours, bytes).unwrap();
            let args = ["append", theirs.to_str().unwrap(), &dlt.to_string(), &snaplen.to_string(), prec_name(p)];
            let expected = stdout(&run(oracle().to_str().unwrap(), &args));
            let cfg = WriterConfig::new(dlt, snaplen, p);
            let got = match Writer::append(open_for_append(&ours), theirs.to_str().unwrap(), &cfg) {
                Ok(w) => format!("APPEND_OK {}\n", w.position()),
                Err(e) => {
                    let code = e.code();
                    assert!(
                        matches!(code, ErrorCode::InvalidArgument | ErrorCode::SavefileMalformed),
                        "{name}: {code:?}"
                    );
                    format!("APPEND_ERR {}\n", e.message())
                }
            };
            assert_eq!(got, expected, "{name} with dlt {dlt} snaplen {snaplen} {p:?}");
            assert_eq!(fs::read(&ours).unwrap(), fs::read(&theirs).unwrap(), "{name}: file contents");
            cases += 1;
        }
    }
    assert_eq!(cases, files.len() * configs.len());
}

#[test]
fn appended_packets_follow_the_existing_ones() {
    let dir = workdir("append_packets");
    let path = dir.join("grow.pcap");
    let cfg = WriterConfig::new(1, 256, Precision::Nano);
    let mut all = Vec::new();
    for round in 0..3u32 {
        let mut w = Writer::append(open_for_append(&path), "grow.pcap", &cfg).unwrap();
        let start = fs::metadata(&path).unwrap().len().max(24);
        assert_eq!(w.position(), start, "round {round}");
        for i in 0..5u32 {
            let h = PacketHeader { ts_sec: i64::from(round * 10 + i), ts_frac: 999_999_999, caplen: 10 + i, len: 100 };
            let data = payload(u64::from(round * 10 + i), h.caplen as usize);
            w.dump(&h, &data).unwrap();
            all.push((h, data));
        }
        w.flush().unwrap();
        assert_eq!(w.position(), fs::metadata(&path).unwrap().len());
    }
    let mut r = Reader::open_with_precision(fs::File::open(&path).unwrap(), Precision::Nano).unwrap();
    for (h, d) in &all {
        let pkt = r.next_packet().unwrap().unwrap();
        assert_eq!((&pkt.header, pkt.data), (h, &d[..]));
    }
    assert!(r.next_packet().unwrap().is_none());
    assert_eq!(oracle_report(&path, Precision::Nano), ringcap_report(&path, Precision::Nano));
}
