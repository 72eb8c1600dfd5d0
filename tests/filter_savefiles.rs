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

/// The link-specific primitives, each on the link types it applies to.
/// Every filter must select some but not all packets of the corpus (so
/// that agreeing is agreeing on a choice), except those in `ALL_OR_NONE`.
const LINK_FILTERS: &[(&[i32], &[&str])] = &[
    // OSI over 802.2 and over PPP's, Cisco HDLC's and Frame Relay's NLPID.
    (&[1, 9], packets::OSI_PRIMITIVES),
    (&[1, 9], &["isis and not l1", "iso proto \\esis"]),
    // Cisco HDLC and Frame Relay: libpcap reads the IS-IS PDU type at the
    // 802.2 offset, which on these links is not where the corpus has it.
    (&[104, 107], &["iso", "clnp", "esis", "isis", "not isis"]),
    (&[1, 9], &["decnet", "decnet host 1.2", "decnet src 1.2", "decnet dst 2.5", "not decnet src 1.2"]),
    // `byte` counts from the link header, as libpcap's does.
    (&[1], &["byte 14 = 0x45", "byte 23 = 17", "byte 14 = 0x45 and byte 0 & 1", "ip and byte 1 < 0x70"]),
    (&[12], &["byte 0 = 0x45", "byte 9 = 17", "byte 9 > 6"]),
    (&[1, 12, 113], &["protochain 6", "ip6 protochain 17", "ip protochain 17", "protochain 58 or protochain 51"]),
    (&[105, 127, 119, 163], packets::WLAN_ADDRESSES),
    (
        &[105, 127, 119, 163],
        &[
            "type mgt",
            "type ctl subtype cts",
            "type data subtype qos-data",
            "subtype beacon",
            "type mgt subtype probe-req",
            "dir tods",
            "dir fromds",
            "dir dstods",
            "dir nods and type data",
            "vlan",
            "vlan 10",
            "vlan and ip6",
        ],
    ),
    (&[127], &["radio[2:2] > 8", "radio[4] & 2 != 0"]),
    (&[119, 163], &["radio[0:4] = 0x80211001"]),
    (&[117], packets::PFLOG_FIELDS),
    (&[139, 140, 197], &["fisu", "lssu", "msu", "sio 0x83", "opc 5678", "dpc 1234", "sls 5", "msu and opc 16383"]),
    (&[139, 140, 197], &["hfisu", "hlssu", "hmsu", "hsio 3", "hopc 5678", "hdpc 77", "hsls 3"]),
    (&[123], packets::SUNATM_TYPES),
    (&[123], &["vpi 1", "vci 5", "lane and ip", "lane and ether host 00:11:22:33:44:55"]),
];

/// Lines of tcpdump's output that start a packet (its time stamp).
fn packet_lines(out: &str) -> usize {
    out.lines().filter(|l| l.starts_with("1700")).count()
}

#[test]
fn tcpdump_filters_link_primitives_as_stock() {
    let dir = scratch("primitives");
    let frames = packets::ethernet_corpus();
    let mut failures = Vec::new();
    let mut trivial = Vec::new();
    let (mut runs, mut selected) = (0, 0);
    for &(dlts, filters) in LINK_FILTERS {
        for &dlt in dlts {
            let pkts = packets::link_corpus(dlt, &frames);
            let file = dir.join(format!("dlt{dlt}.pcap"));
            write(&file, dlt, &pkts);
            for f in filters {
                let (code, out) = compare(&file, f, &mut failures);
                runs += 1;
                let n = packet_lines(&out);
                if code != 0 || n == 0 || n >= pkts.len() {
                    trivial.push(format!("dlt {dlt} {f:?}: exit {code}, {n} of {} packets", pkts.len()));
                }
                selected += n;
            }
        }
    }
    println!("{runs} tcpdump runs with link-specific filters, {selected} packets selected by both");
    for f in failures.iter().chain(&trivial) {
        println!("{f}");
    }
    assert!(failures.is_empty(), "{} differences from stock tcpdump", failures.len());
    assert!(trivial.is_empty(), "{} filters select all or none of their corpus", trivial.len());
}

/// tcpdump -r with a private /etc: the host's /etc with `etc` appended
/// to some of its files, laid over it by overlayfs in a mount namespace of
/// the child alone (the host's files are never written). Exit status,
/// stdout and stderr.
fn tcpdump_with_etc(
    file: &Path,
    filter: &str,
    ours: bool,
    etc: &[(&str, &str)],
    scratch: &Path,
) -> (i32, String, String) {
    let dir = scratch.join(format!("etc-{}", u8::from(ours)));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("files")).unwrap();
    fs::create_dir_all(dir.join("mnt")).unwrap();
    for (name, text) in etc {
        let lower = fs::read_to_string(Path::new("/etc").join(name)).unwrap_or_default();
        fs::write(dir.join("files").join(name), lower + text).unwrap();
    }
    // Only tcpdump runs on ringcap, not the shell and mount.
    let preload =
        if ours { format!("LD_PRELOAD={}", lib_dir().join("libringcap.so").display()) } else { String::new() };
    let script = format!(
        "mount --make-rprivate / && mount -t tmpfs tmpfs \"$1\" && mkdir \"$1/u\" \"$1/w\" && \
         cp -a \"$2\"/. \"$1/u\" && mount -t overlay overlay -o lowerdir=/etc,upperdir=\"$1/u\",workdir=\"$1/w\" /etc && \
         exec env {preload} tcpdump -n -tt -r \"$3\" \"$4\""
    );
    let out = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script, "sh"])
        .arg(dir.join("mnt"))
        .arg(dir.join("files"))
        .arg(file)
        .arg(filter)
        .env_remove("LD_PRELOAD")
        .output()
        .expect("unshare (util-linux)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `gateway NAME` with NAME in /etc/ethers and /etc/hosts: libpcap 1.10
/// built with IPv6 (Debian's, and any other on Linux) refuses it before
/// the lookup, on every link type, and so must ringcap, with its text.
/// The private /etc is checked to resolve the name (`ether host`, `host`).
#[test]
fn tcpdump_refuses_gateway_as_stock() {
    let dir = scratch("gateway");
    let frames = packets::ethernet_corpus();
    let etc = [("ethers", "00:11:22:33:44:55 rcgw\n"), ("hosts", "10.0.0.1 rcgw\n")];
    let mut failures = Vec::new();
    for dlt in [1, 10, 105, 9] {
        let pkts = packets::link_corpus(dlt, &frames);
        let file = dir.join(format!("dlt{dlt}.pcap"));
        write(&file, dlt, &pkts);
        let resolves = if dlt == 9 { "host rcgw" } else { "ether host rcgw and host rcgw" };
        for f in [resolves, "gateway rcgw", "ip gateway rcgw", "not gateway rcgw and ip", "gateway nosuchgw"] {
            let stock = tcpdump_with_etc(&file, f, false, &etc, &dir);
            let ours = tcpdump_with_etc(&file, f, true, &etc, &dir);
            let n = packet_lines(&stock.1);
            if stock != ours {
                failures.push(format!(
                    "dlt {dlt} {f:?}: stock {stock:?} ({n} packets), ringcap exit {}: {}",
                    ours.0, ours.2
                ));
            } else if f == resolves && (stock.0 != 0 || n == 0 || n >= pkts.len()) {
                failures.push(format!("dlt {dlt} {f:?}: exit {}, {n} of {} packets: {}", stock.0, pkts.len(), stock.2));
            } else if f != resolves && !stock.2.contains("'gateway' not supported in this configuration") {
                failures.push(format!("dlt {dlt} {f:?}: stock says {:?}", stock.2));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
