//! Savefiles of every modelled link type, written by ringcap's writer from
//! the filter corpus, read by Debian's tcpdump stock and on ringcap
//! (LD_PRELOAD=libringcap.so), without and with filters: the same output.
//! Also a byte-swapped DLT_NULL file (the AF word in the writer's order)
//! and the savefile-only rules (`inbound` on Ethernet fails to compile).

#[path = "support/packets.rs"]
mod packets;
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ringcap::savefile::{PacketHeader, Precision, Writer, WriterConfig};
use support::c::lib_dir;

/// One of each family of link-layer model, plus link types without one.
const DLTS: &[i32] = &[
    0, 1, 6, 7, 8, 9, 10, 11, 12, 15, 16, 19, 50, 51, 99, 104, 105, 107, 108, 109, 112, 113, 114, 117, 119, 122, 123,
    127, 129, 138, 140, 147, 163, 165, 166, 178, 192, 226, 228, 229, 240, 241, 276,
];

const FILTERS: &[&str] = &[
    "",
    "ip",
    "ip6",
    "tcp",
    "not udp",
    "udp port 53 or tcp port 80",
    "ether host 00:11:22:33:44:55",
    "link[0] & 1 = 1",
    "len > 70",
    "inbound",
    "vlan or arp",
];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("filter-savefiles-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, dlt: i32, pkts: &[Vec<u8>]) {
    let cfg = WriterConfig::new(dlt, 65535, Precision::Micro);
    let mut w = Writer::new(fs::File::create(path).unwrap(), path.to_str().unwrap(), &cfg).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        let h = PacketHeader {
            ts_sec: 1_700_000_000 + i as i64,
            ts_frac: i as i64 * 1000,
            caplen: p.len() as u32,
            len: p.len() as u32,
        };
        w.dump(&h, p).unwrap();
    }
    w.flush().unwrap();
}

/// tcpdump -r: exit status, stdout, stderr.
fn tcpdump(file: &Path, filter: &str, ours: bool) -> (i32, String, String) {
    let mut cmd = Command::new("tcpdump");
    cmd.args(["-n", "-tt", "-r"]).arg(file);
    if !filter.is_empty() {
        cmd.arg(filter);
    }
    if ours {
        cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
    }
    let out = cmd.output().expect("tcpdump (Debian package tcpdump)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Both runs agree; for filters that fail to compile, both fail (the
/// message may differ where ringcap words it differently).
fn compare(file: &Path, filter: &str, failures: &mut Vec<String>) -> (i32, String) {
    let stock = tcpdump(file, filter, false);
    let ours = tcpdump(file, filter, true);
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    if stock.0 != ours.0 || stock.1 != ours.1 {
        failures.push(format!(
            "{name} {filter:?}: stock exit {} ({} lines), ringcap exit {} ({} lines): {}",
            stock.0,
            stock.1.lines().count(),
            ours.0,
            ours.1.lines().count(),
            ours.2.lines().last().unwrap_or("")
        ));
    } else if stock.0 == 0 && stock.2 != ours.2 {
        failures.push(format!("{name} {filter:?}: stderr differs: {:?} vs {:?}", stock.2, ours.2));
    }
    (stock.0, stock.1)
}

#[test]
fn tcpdump_reads_every_link_type_as_stock() {
    let dir = scratch("links");
    let frames = packets::ethernet_corpus();
    let mut failures = Vec::new();
    let (mut runs, mut printed) = (0, 0);
    for &dlt in DLTS {
        let pkts: Vec<Vec<u8>> = packets::link_corpus(dlt, &frames).into_iter().step_by(3).take(60).collect();
        let file = dir.join(format!("dlt{dlt}.pcap"));
        write(&file, dlt, &pkts);
        for f in FILTERS {
            let (code, out) = compare(&file, f, &mut failures);
            runs += 1;
            if code == 0 {
                printed += out.lines().count();
            }
        }
    }
    println!("{runs} tcpdump runs on {} link types, {printed} lines printed by both", DLTS.len());
    for f in &failures {
        println!("{f}");
    }
    assert!(failures.is_empty(), "{} differences from stock tcpdump", failures.len());
    assert!(printed > 1000, "too little output compared ({printed} lines)");
}

/// A DLT_NULL file from a big-endian writer: the family word is
/// 00 00 00 02 for IPv4, so `ip` compares it with 2 on this host.
#[test]
fn byte_swapped_null_savefile_filters_as_stock() {
    let dir = scratch("null");
    let file = dir.join("null-be.pcap");
    let mut bytes = 0xa1b2_c3d4u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&2u16.to_be_bytes());
    bytes.extend_from_slice(&4u16.to_be_bytes());
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&65535u32.to_be_bytes());
    bytes.extend_from_slice(&0u32.to_be_bytes());
    let tcp = packets::tcp(1234, 80, 0x02);
    let ip4 = packets::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp);
    let ip6 = packets::ipv6(packets::v6(1), packets::v6(2), 6, &tcp);
    // Three IPv4 packets, and IPv6 with NetBSD's, FreeBSD's and Darwin's AF_INET6.
    let recs: Vec<(u32, &[u8])> = vec![(2, &ip4), (2, &ip4), (24, &ip6), (2, &ip4), (28, &ip6), (30, &ip6)];
    for (i, (af, payload)) in recs.iter().enumerate() {
        let len = 4 + payload.len() as u32;
        for v in [1_700_000_000 + i as u32, 0, len, len] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        bytes.extend_from_slice(&af.to_be_bytes());
        bytes.extend_from_slice(payload);
    }
    fs::write(&file, bytes).unwrap();
    let mut failures = Vec::new();
    for (f, want) in [("ip", 3), ("ip6", 3), ("tcp", 6), ("not ip", 3)] {
        let (code, out) = compare(&file, f, &mut failures);
        assert_eq!((code, out.lines().count()), (0, want), "stock tcpdump -r {f}");
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// libpcap refuses `inbound`/`outbound` on an Ethernet savefile.
#[test]
fn inbound_on_an_ethernet_savefile_fails_as_stock() {
    let dir = scratch("inbound");
    let file = dir.join("eth.pcap");
    write(&file, 1, &packets::ethernet_corpus()[..5]);
    for f in ["inbound", "outbound", "ifindex 3"] {
        let stock = tcpdump(&file, f, false);
        let ours = tcpdump(&file, f, true);
        assert_ne!(stock.0, 0, "stock accepts {f}");
        assert_eq!((stock.0, &stock.1, &stock.2), (ours.0, &ours.1, &ours.2), "{f}");
    }
}
