//! Differential tests: a corpus made by ringcap's writer, Debian's
//! text2pcap / editcap / mergecap and hand-built files is read by ringcap and
//! compared with what libpcap 1.10 (through a small C oracle), tcpdump and
//! tshark report for the same files.

mod support;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use ringcap::savefile::{PacketHeader, Precision, Writer, WriterConfig};
use support::*;

/// How far a file can be compared beyond libpcap itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Check {
    /// tcpdump (time stamps, bytes) and tshark (lengths, epoch time).
    Full,
    /// tcpdump, and tshark's lengths only (wiretap converts binary
    /// resolutions and offsets its own way).
    NoTsharkTime,
    /// Only libpcap: files libpcap rejects or reads differently from
    /// wiretap by design (snaplen clipping, errors).
    LibpcapOnly,
}

struct Corpus {
    dir: PathBuf,
    files: Vec<(PathBuf, Check)>,
}

impl Corpus {
    fn add(&mut self, name: &str, bytes: &[u8], check: Check) {
        let p = self.dir.join(name);
        fs::write(&p, bytes).unwrap();
        self.files.push((p, check));
    }
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
    fn tool(&mut self, name: &str, check: Check, program: &str, args: &[&str]) {
        run(program, args);
        let p = self.dir.join(name);
        assert!(p.exists(), "{program} did not create {p:?}");
        self.files.push((p, check));
    }
}

/// Random Ethernet-ish packets with increasing time stamps.
fn packets(seed: u64, n: usize, p: Precision, snaplen: u32) -> Vec<(PacketHeader, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    let mut sec = 1_700_000_000 + rng.below(1000) as i64;
    (0..n)
        .map(|i| {
            let len = 14 + rng.below(1500) as u32;
            let caplen = len.min(snaplen);
            sec += rng.below(3) as i64;
            let frac = match i % 4 {
                0 => 0,
                1 => p.units_per_second() as i64 - 1,
                _ => rng.below(p.units_per_second()) as i64,
            };
            let h = PacketHeader { ts_sec: sec, ts_frac: frac, caplen, len };
            (h, rng.bytes(caplen as usize))
        })
        .collect()
}

fn write_pcap(path: &Path, cfg: &WriterConfig, pkts: &[(PacketHeader, Vec<u8>)]) {
    let mut w = Writer::new(fs::File::create(path).unwrap(), path.to_str().unwrap(), cfg).unwrap();
    for (h, d) in pkts {
        w.dump(h, d).unwrap();
    }
    w.flush().unwrap();
}

/// text2pcap input for the packets, time stamps as "%s.%f".
fn hexdump_text(pkts: &[(PacketHeader, Vec<u8>)], p: Precision) -> String {
    let mut s = String::new();
    for (h, d) in pkts {
        match p {
            Precision::Micro => writeln!(s, "{}.{:06}", h.ts_sec, h.ts_frac).unwrap(),
            Precision::Nano => writeln!(s, "{}.{:09}", h.ts_sec, h.ts_frac).unwrap(),
        }
        for (i, chunk) in d.chunks(16).enumerate() {
            write!(s, "{:06x}", i * 16).unwrap();
            for b in chunk {
                write!(s, " {b:02x}").unwrap();
            }
            s.push('\n');
        }
    }
    s
}

fn build_corpus() -> Corpus {
    let mut c = Corpus { dir: workdir("differential"), files: Vec::new() };

    // ringcap's writer.
    let micro = packets(1, 40, Precision::Micro, 65535);
    let nano = packets(2, 40, Precision::Nano, 65535);
    let clipped = packets(3, 30, Precision::Micro, 200);
    write_pcap(&c.dir.join("w_eth_micro.pcap"), &WriterConfig::new(1, 65535, Precision::Micro), &micro);
    write_pcap(&c.dir.join("w_eth_nano.pcap"), &WriterConfig::new(1, 65535, Precision::Nano), &nano);
    write_pcap(&c.dir.join("w_eth_snap200.pcap"), &WriterConfig::new(1, 200, Precision::Micro), &clipped);
    // DLT_RAW (12) is stored as LINKTYPE_RAW (101).
    write_pcap(&c.dir.join("w_raw_nano.pcap"), &WriterConfig::new(12, 262144, Precision::Nano), &nano[..10]);
    for f in ["w_eth_micro.pcap", "w_eth_nano.pcap", "w_eth_snap200.pcap", "w_raw_nano.pcap"] {
        c.files.push((c.dir.join(f), Check::Full));
    }

    // text2pcap: other link types, nanosecond pcap and pcapng.
    fs::write(c.dir.join("micro.txt"), hexdump_text(&micro[..12], Precision::Micro)).unwrap();
    fs::write(c.dir.join("nano.txt"), hexdump_text(&nano[..12], Precision::Nano)).unwrap();
    let (mt, nt) = (c.path("micro.txt"), c.path("nano.txt"));
    for (name, args) in [
        ("t2p_raw_nsec.pcap", vec!["-F", "nsecpcap", "-l", "101"]),
        ("t2p_sll.pcap", vec!["-F", "pcap", "-l", "113"]),
        ("t2p_80211_nsec.pcap", vec!["-F", "nsecpcap", "-l", "105"]),
        ("t2p_ppp.pcap", vec!["-F", "pcap", "-l", "9"]),
        ("t2p_null.pcapng", vec!["-F", "pcapng", "-l", "0"]),
        ("t2p_raw.pcapng", vec!["-l", "101"]),
    ] {
        let input = if name.contains("nsec") || name.ends_with("pcapng") { &nt } else { &mt };
        let out = c.path(name);
        let mut a = vec!["-q", "-t", "%s.%f"];
        a.extend(args);
        a.extend([input.as_str(), out.as_str()]);
        c.tool(name, Check::Full, "text2pcap", &a);
    }

    // editcap: format conversions of the writer's files.
    for (name, args, check) in [
        ("e_eth_micro.pcapng", vec!["-F", "pcapng", "w_eth_micro.pcap"], Check::Full),
        ("e_eth_nano.pcapng", vec!["-F", "pcapng", "w_eth_nano.pcap"], Check::Full),
        ("e_eth_nsec.pcap", vec!["-F", "nsecpcap", "w_eth_micro.pcap"], Check::Full),
        ("e_eth_usec.pcap", vec!["-F", "pcap", "w_eth_nano.pcap"], Check::Full),
        ("e_eth_mod.pcap", vec!["-F", "modpcap", "w_eth_micro.pcap"], Check::Full),
        ("e_eth_s64.pcapng", vec!["-F", "pcapng", "-s", "64", "w_eth_nano.pcap"], Check::Full),
        ("e_eth_s64_mod.pcap", vec!["-F", "modpcap", "-s", "64", "w_eth_micro.pcap"], Check::Full),
    ] {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let input = a.pop().unwrap();
        a.push(c.path(&input));
        a.push(c.path(name));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        c.tool(name, check, "editcap", &a);
    }
    let modpcap = fs::read(c.dir.join("e_eth_mod.pcap")).unwrap();
    assert_eq!(
        modpcap.get(..4),
        Some(&0xa1b2_cd34u32.to_le_bytes()[..]),
        "editcap -F modpcap did not write the Kuznetzov magic"
    );

    // mergecap: several interfaces in one pcapng.
    write_pcap(
        &c.dir.join("w_eth_micro_b.pcap"),
        &WriterConfig::new(1, 65535, Precision::Micro),
        &packets(4, 25, Precision::Micro, 65535),
    );
    for (name, inputs, check) in [
        // Two Ethernet interfaces, one microsecond and one nanosecond.
        ("m_two_ifaces.pcapng", ["w_eth_micro_b.pcap", "e_eth_nano.pcapng"], Check::Full),
        // Same link type, different snapshot lengths: libpcap refuses.
        ("m_diff_snaplen.pcapng", ["w_eth_micro.pcap", "w_eth_snap200.pcap"], Check::LibpcapOnly),
        // Different link types: libpcap refuses.
        ("m_diff_linktype.pcapng", ["w_eth_micro.pcap", "t2p_raw.pcapng"], Check::LibpcapOnly),
    ] {
        let (out, a, b) = (c.path(name), c.path(inputs[0]), c.path(inputs[1]));
        c.tool(name, check, "mergecap", &["-F", "pcapng", "-I", "none", "-w", &out, &a, &b]);
    }

    hand_built(&mut c);
    c
}

fn hand_built(c: &mut Corpus) {
    use Endian::*;
    let d = payload(9, 300);
    let data = |n: usize| &d[..n];

    // Classic pcap, big-endian, each magic.
    for (name, magic, check) in [
        ("h_be_micro.pcap", 0xa1b2_c3d4, Check::Full),
        ("h_be_nano.pcap", 0xa1b2_3c4d, Check::Full),
        ("h_be_mod.pcap", 0xa1b2_cd34, Check::Full),
    ] {
        let f = PcapFile::new(Big, magic, (2, 4), 65535, 1)
            .record(1_600_000_000, 1, 60, 60, data(60))
            .record(1_600_000_001, 999_999, 100, 1514, data(100))
            .record(1_600_000_002, 500_000, 14, 14, data(14));
        c.add(name, &f.bytes, check);
    }
    // Pre-2.3 files store len before caplen; 2.3 files might; DG/UX 543.0 does.
    for (name, version) in [("h_v22.pcap", (2, 2)), ("h_v23.pcap", (2, 3)), ("h_dgux.pcap", (543, 0))] {
        let f = PcapFile::new(Little, 0xa1b2_c3d4, version, 65535, 1)
            .record(5, 6, 1514, 100, data(100))
            .record(7, 8, 60, 60, data(60))
            .record(9, 10, 80, 40, data(40));
        c.add(name, &f.bytes, Check::LibpcapOnly);
    }
    // caplen above the header's snaplen: libpcap clips to the snaplen.
    let f = PcapFile::new(Little, 0xa1b2_c3d4, (2, 4), 50, 1)
        .record(1, 2, 120, 120, data(120))
        .record(3, 4, 50, 60, data(50))
        .record(5, 6, 5000, 5000, &payload(5, 5000));
    c.add("h_over_snaplen.pcap", &f.bytes, Check::LibpcapOnly);
    // snaplen 0 means "maximum", upper FCS bits in the link type field.
    let f = PcapFile::new(Little, 0xa1b2_c3d4, (2, 4), 0, 0x1400_0001).record(1, 2, 64, 64, data(64));
    c.add("h_snap0_fcsbits.pcap", &f.bytes, Check::LibpcapOnly);
    // Nanosecond file with out-of-range fraction (libpcap passes it on).
    let f = PcapFile::new(Little, 0xa1b2_3c4d, (2, 4), 65535, 1).record(1, 1_999_999_999, 20, 20, data(20)).record(
        0xffff_fff0,
        0xffff_ff00,
        20,
        20,
        data(20),
    );
    c.add("h_odd_frac.pcap", &f.bytes, Check::LibpcapOnly);
    // The same in a byte-swapped file: libpcap zero-extends there.
    let f = PcapFile::new(Big, 0xa1b2_c3d4, (2, 4), 65535, 1)
        .record(0xffff_fff0, 0xffff_ff00, 20, 20, data(20))
        .record(0x8000_0000, 0x8000_0000, 20, 20, data(20));
    c.add("h_be_high_ts.pcap", &f.bytes, Check::LibpcapOnly);

    // pcapng: both byte orders, resolutions, offsets, block kinds.
    let tsresol = |v: u8| opt(Little, 9, &[v]);
    for (name, e) in [("h_le.pcapng", Little), ("h_be.pcapng", Big)] {
        let f = NgFile::new(e)
            .idb(1, 0, &[opt(e, 2, b"eth0"), opt(e, 9, &[9]), opt(e, 14, &e.u64(100))])
            .block(5, &[0; 20]) // interface statistics
            .epb(0, 1_700_000_000_123_456_789, 60, 60, data(60))
            .block(4, &[0, 0, 0, 0]) // name resolution
            .epb(0, 1_700_000_001_000_000_001, 100, 1514, data(100))
            .pb(0, 1_700_000_002_999_999_999, 42, 42, data(42))
            .spb(64, data(64))
            .block(0x1234_5678, &[9; 13]);
        c.add(name, &f.bytes, Check::NoTsharkTime);
    }
    // Blocks libpcap skips (tshark shows custom blocks as frames).
    let f = NgFile::new(Little)
        .block(0x0000_0BAD, &[1, 2, 3, 4, 5]) // custom block before the IDB
        .block(0x4000_0BAD, &[0; 8])
        .idb(1, 0, &[])
        .block(0x0000_0BAD, &[7; 7])
        .epb(0, 1, 10, 10, data(10))
        .block(7, &[0; 4]) // IRIG timestamp (obsolete)
        .block(0x8000_0001, &[])
        .epb(0, 2, 10, 10, data(10));
    c.add("h_skipped_blocks.pcapng", &f.bytes, Check::LibpcapOnly);
    let mut res = NgFile::new(Little);
    let resolutions: [u8; 11] = [0, 3, 6, 9, 12, 19, 0x80, 0x8a, 0x94, 0xa0, 0xbf];
    for r in resolutions {
        res = res.idb(1, 65535, &[tsresol(r)]);
    }
    for (i, _) in resolutions.iter().enumerate() {
        for ts in [0u64, 1, 999_999_999, 1_234_567_890_123_456_789, u64::MAX] {
            res = res.epb(i as u32, ts, 16, 16, data(16));
        }
    }
    c.add("h_resolutions.pcapng", &res.bytes, Check::LibpcapOnly);
    let f = NgFile::new(Little)
        .idb(1, 65535, &[opt(Little, 14, &(-1_000_000i64).to_le_bytes())])
        .epb(0, 1_700_000_000_500_000, 20, 20, data(20))
        .idb(1, 65535, &[tsresol(3), opt(Little, 14, &5i64.to_le_bytes())])
        .epb(1, 1_700_000_000_999, 20, 20, data(20));
    c.add("h_tsoffset.pcapng", &f.bytes, Check::LibpcapOnly);
    // Several sections, each with its own interfaces; version 1.2 is
    // accepted as 1.0.
    let tsresol_be = |v: u8| opt(Big, 9, &[v]);
    let f = NgFile::new(Big)
        .idb(1, 1000, &[tsresol_be(6)])
        .epb(0, 1_000_000_000_000_123, 30, 30, data(30))
        .shb(Big, (1, 2))
        .idb(1, 1000, &[tsresol_be(9)])
        .idb(1, 1000, &[])
        .epb(1, 2_000_000_000_000_456, 31, 31, data(31))
        .epb(0, 3_000_000_000_000_000_789, 32, 32, data(32))
        .spb(2000, &payload(7, 1000));
    c.add("h_sections_be.pcapng", &f.bytes, Check::LibpcapOnly);
    // A second section in the other byte order: libpcap refuses.
    let f = NgFile::new(Little).idb(1, 0, &[]).epb(0, 1, 10, 10, data(10)).shb(Big, (1, 0)).idb(1, 0, &[]).epb(
        0,
        2,
        10,
        10,
        data(10),
    );
    c.add("h_sections_mixed_order.pcapng", &f.bytes, Check::LibpcapOnly);
    // A packet on an interface the (new) section has not described.
    let f = NgFile::new(Little)
        .idb(1, 0, &[])
        .idb(1, 0, &[])
        .epb(1, 1, 10, 10, data(10))
        .shb(Little, (1, 0))
        .idb(1, 0, &[])
        .epb(1, 2, 10, 10, data(10));
    c.add("h_stale_iface.pcapng", &f.bytes, Check::LibpcapOnly);
    // A later interface of another link type: libpcap refuses.
    let f = NgFile::new(Little).idb(1, 0, &[]).epb(0, 1, 10, 10, data(10)).idb(101, 0, &[]).epb(1, 2, 10, 10, data(10));
    c.add("h_iface_linktype.pcapng", &f.bytes, Check::LibpcapOnly);
    // LINKTYPE_RAW (101) is DLT_RAW (12): the libpcap quirk compares the
    // DLT with the raw value, so a second RAW interface is refused too.
    let f =
        NgFile::new(Little).idb(101, 0, &[]).epb(0, 1, 10, 10, data(10)).idb(101, 0, &[]).epb(1, 2, 10, 10, data(10));
    c.add("h_raw_two_ifaces.pcapng", &f.bytes, Check::LibpcapOnly);
}

/// One packet as tcpdump prints it: time stamp text and bytes.
fn tcpdump_packets(file: &Path, p: Precision) -> Vec<(String, String)> {
    let prec = format!("--time-stamp-precision={}", prec_name(p));
    let out = stdout(&run("tcpdump", &["-r", file.to_str().unwrap(), "-tt", &prec, "-nn", "-xx"]));
    let mut pkts: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        if let Some(hex) = line.strip_prefix("\t0x") {
            let (offset, bytes) = hex.split_once(":  ").expect("tcpdump hex line");
            let last = pkts.last_mut().expect("hex before any packet line");
            // Decoders may hex-dump payloads too; the -xx dump of the whole
            // packet comes last, so keep only the last dump from offset 0.
            if offset == "0000" {
                last.1.clear();
            }
            last.1.extend(bytes.chars().filter(|c| !c.is_whitespace()));
        } else {
            let ts = line.split(' ').next().unwrap();
            let is_ts = ts.split_once('.').is_some_and(|(s, f)| {
                !s.is_empty() && !f.is_empty() && (s.to_owned() + f).bytes().all(|b| b.is_ascii_digit())
            });
            if is_ts {
                pkts.push((ts.to_string(), String::new()));
            }
        }
    }
    pkts
}

/// ringcap's packets in tcpdump's terms.
fn as_tcpdump(report: &str, p: Precision) -> Vec<(String, String)> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("P "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let ts = match p {
                Precision::Micro => format!("{}.{:06}", f[0], f[1].parse::<i64>().unwrap()),
                Precision::Nano => format!("{}.{:09}", f[0], f[1].parse::<i64>().unwrap()),
            };
            (ts, f.get(4).unwrap_or(&"").to_string())
        })
        .collect()
}

/// (epoch text, len, caplen) as tshark gives them.
fn tshark_packets(file: &Path) -> Vec<(String, String, String)> {
    let out = stdout(&run(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
        ],
    ));
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn corpus_matches_libpcap_tcpdump_and_tshark() {
    let corpus = build_corpus();
    let files: Vec<PathBuf> = corpus.files.iter().map(|(p, _)| p.clone()).collect();
    assert!(files.len() >= 35, "corpus has {} files", files.len());
    let mut compared = [0usize; 3];
    for p in [Precision::Micro, Precision::Nano] {
        let expected = oracle_reports(&files, p);
        for ((file, check), want) in corpus.files.iter().zip(&expected) {
            let got = ringcap_report(file, p);
            assert_eq!(&got, want, "{file:?} read at {p:?}: ringcap vs libpcap");
            compared[0] += 1;
            let clean = want.ends_with("EOF\n") && want.starts_with("INFO");
            if *check == Check::LibpcapOnly {
                continue;
            }
            assert!(clean, "{file:?}: libpcap failed on a file meant to be clean:\n{want}");
            assert!(want.lines().count() > 2, "{file:?} has no packets");
            assert_eq!(as_tcpdump(&got, p), tcpdump_packets(file, p), "{file:?} at {p:?}: ringcap vs tcpdump");
            compared[1] += 1;
            if p == Precision::Nano {
                let ours: Vec<(String, String, String)> = got
                    .lines()
                    .filter_map(|l| l.strip_prefix("P "))
                    .map(|l| {
                        let f: Vec<&str> = l.split(' ').collect();
                        (format!("{}.{:09}", f[0], f[1].parse::<i64>().unwrap()), f[3].to_string(), f[2].to_string())
                    })
                    .collect();
                let theirs = tshark_packets(file);
                assert_eq!(ours.len(), theirs.len(), "{file:?}: packet count vs tshark");
                for (o, t) in ours.iter().zip(&theirs) {
                    assert_eq!((&o.1, &o.2), (&t.1, &t.2), "{file:?}: len/caplen vs tshark");
                    if *check == Check::Full {
                        assert_eq!(o.0, t.0, "{file:?}: time stamp vs tshark");
                    }
                }
                compared[2] += 1;
            }
        }
    }
    eprintln!(
        "{} files: {} ringcap/libpcap comparisons, {} vs tcpdump, {} vs tshark",
        files.len(),
        compared[0],
        compared[1],
        compared[2]
    );
}
