//! The nflog and nfqueue pseudo-devices, against stock libpcap: an
//! nftables NFLOG rule and an iptables NFQUEUE rule in a private network
//! namespace feed Debian's tcpdump on stock libpcap and under LD_PRELOAD;
//! both list the devices alike, print the same packets, write DLT_NFLOG
//! files of libpcap's layout, accept every queued packet and report group
//! errors with libpcap's text.

mod support;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use ringcap::linkhdr::nflog;
use ringcap::savefile::Reader;
use support::c::lib_dir;
use support::netns::in_netns;

const SETUP: &[&str] = &[
    "ip link add va type veth peer name vb",
    "ip addr add 10.7.0.1/24 dev va",
    "ip link set va up",
    "ip link set vb up",
    "ip neigh add 10.7.0.2 lladdr 02:00:00:00:00:02 dev va",
    "ip neigh add 10.7.0.3 lladdr 02:00:00:00:00:03 dev va",
    "nft add table ip rc",
    "nft add chain ip rc out '{ type filter hook output priority 0; }'",
    "nft add rule ip rc out ip daddr 10.7.0.2 udp dport 9 log group 5",
    "iptables -A OUTPUT -d 10.7.0.3 -p udp --dport 9 -j NFQUEUE --queue-num 3",
];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("netfilter-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tcpdump(ours: bool) -> Command {
    let mut cmd = Command::new("tcpdump");
    if ours {
        cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
    }
    cmd
}

fn text(o: &Output) -> (Option<i32>, String, String) {
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Three UDP datagrams to `dst`:9 from fixed source ports, so both runs send the same.
fn send_udp(dst: &str, tag: &str) {
    let py = format!(
        "import socket\nfor i in range(3):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    \
         s.bind(('10.7.0.1', 40000 + i))\n    s.sendto(b'{tag}%d' % i, ('{dst}', 9))\n    s.close()\n"
    );
    let st = Command::new("python3").args(["-c", &py]).status().expect("python3");
    assert!(st.success());
}

/// Starts `args` on tcpdump and waits until it listens (its stderr says so
/// only after activation, so a fixed pause stands in).
fn start(ours: bool, args: &[&str]) -> Child {
    let child = tcpdump(ours).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    child
}

/// `tcpdump -r FILE -t -nn -q`: the packets without their time stamps.
fn printed(file: &Path) -> String {
    let o = Command::new("tcpdump").args(["-t", "-nn", "-q", "-r"]).arg(file).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn findalldevs_lists_nflog_and_nfqueue_as_libpcap_does() {
    lib_dir();
    in_netns(&[], || {
        let lines = |ours| {
            let o = tcpdump(ours).arg("-D").output().unwrap();
            String::from_utf8(o.stdout)
                .unwrap()
                .lines()
                .map(|l| l.split_once('.').map_or(l, |(_, rest)| rest).to_string())
                .filter(|l| l.starts_with("nf"))
                .collect::<Vec<_>>()
        };
        let stock = lines(false);
        assert_eq!(
            stock,
            [
                "nflog (Linux netfilter log (NFLOG) interface) [none]",
                "nfqueue (Linux netfilter queue (NFQUEUE) interface) [none]"
            ]
        );
        assert_eq!(lines(true), stock);
    });
}

/// Stock, then preloaded, tcpdump on group 5 with `extra` options, each
/// while three datagrams are logged: (stderr, printed packets, file).
fn nflog_runs(dir: &Path, extra: &[&str], tag: &str) -> Vec<(String, String, PathBuf)> {
    let mut outputs = Vec::new();
    for ours in [false, true] {
        let file = dir.join(if ours { "ours.pcap" } else { "stock.pcap" });
        let mut args = extra.to_vec();
        args.extend(["-i", "nflog:5", "-c", "3", "-w", file.to_str().unwrap()]);
        let child = start(ours, &args);
        send_udp("10.7.0.2", tag);
        let o = child.wait_with_output().unwrap();
        let (code, _, stderr) = text(&o);
        assert_eq!(code, Some(0), "ours: {ours}: {stderr}");
        outputs.push((stderr, printed(&file), file));
    }
    outputs
}

#[test]
fn nflog_capture_matches_stock() {
    lib_dir();
    let dir = scratch("nflog");
    in_netns(SETUP, move || {
        let outputs = nflog_runs(&dir, &[], "log");
        let (stock, ours) = (&outputs[0], &outputs[1]);
        assert_eq!(ours.0, stock.0, "messages and statistics");
        assert!(stock.0.contains("link-type NFLOG (Linux netfilter log messages)"), "{}", stock.0);
        assert_eq!(stock.1.lines().count(), 3, "{}", stock.1);
        assert_eq!(ours.1, stock.1, "printed packets");
        // libpcap's DLT_NFLOG layout: nflog_hdr, then TLVs with the payload.
        let mut r = Reader::open(BufReader::new(std::fs::File::open(&ours.2).unwrap())).unwrap();
        assert_eq!(r.info().dlt, 239);
        let mut n = 0;
        while let Some(p) = r.next_packet().unwrap() {
            let d = p.data;
            assert_eq!(p.header.caplen, p.header.len);
            assert_eq!((d[0], d[1], u16::from_be_bytes([d[2], d[3]])), (libc::AF_INET as u8, 0, 5), "nflog_hdr");
            let mut at = 4;
            let mut payload = None;
            while at + 4 <= d.len() {
                let len = u16::from_ne_bytes([d[at], d[at + 1]]) as usize;
                let ty = u16::from_ne_bytes([d[at + 2], d[at + 3]]);
                assert!(len >= 4 && at + len <= d.len(), "TLV at {at}");
                if ty == nflog::NFULA_PAYLOAD {
                    payload = Some(&d[at + 4..at + len]);
                }
                at += (len + 3) & !3;
            }
            let ip = payload.expect("an NFULA_PAYLOAD TLV");
            assert_eq!(&ip[28..], format!("log{n}").as_bytes(), "the logged datagram");
            n += 1;
        }
        assert_eq!(n, 3);
    });
}

/// `-y IPV4` on nflog: the payload alone, as libpcap's second link type.
#[test]
fn nflog_as_raw_ipv4_matches_stock() {
    lib_dir();
    let dir = scratch("nflog-ipv4");
    in_netns(SETUP, move || {
        let outputs = nflog_runs(&dir, &["-y", "IPV4"], "raw");
        for (stderr, _, file) in &outputs {
            assert!(stderr.contains("link-type IPV4 (Raw IPv4)"), "{stderr}");
            let r = Reader::open(BufReader::new(std::fs::File::open(file).unwrap())).unwrap();
            assert_eq!(r.info().dlt, 228);
        }
        let printed_runs: Vec<&String> = outputs.iter().map(|o| &o.1).collect();
        assert_eq!(printed_runs[0].lines().count(), 3, "{}", printed_runs[0]);
        assert_eq!(printed_runs[1], printed_runs[0]);
    });
}

#[test]
fn nfqueue_capture_matches_stock_and_accepts_every_packet() {
    lib_dir();
    let dir = scratch("nfqueue");
    in_netns(SETUP, move || {
        let mut outputs = Vec::new();
        for ours in [false, true] {
            let file = dir.join(if ours { "ours.pcap" } else { "stock.pcap" });
            let peer = dir.join(if ours { "ours-vb.pcap" } else { "stock-vb.pcap" });
            let wire = start(false, &["-i", "vb", "-c", "3", "-w", peer.to_str().unwrap(), "udp port 9"]);
            // -Z root: the verdicts need CAP_NET_ADMIN, which tcpdump otherwise drops.
            let child = start(ours, &["-Z", "root", "-i", "nfqueue:3", "-c", "3", "-w", file.to_str().unwrap()]);
            send_udp("10.7.0.3", "queue");
            let o = child.wait_with_output().unwrap();
            let w = wire.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "ours: {ours}: {}", text(&o).2);
            assert_eq!(w.status.code(), Some(0), "the accepted datagrams reach vb (ours: {ours})");
            outputs.push((text(&o).2, printed(&file), printed(&peer)));
        }
        let (stock, ours) = (&outputs[0], &outputs[1]);
        assert!(stock.0.contains("link-type IPV4 (Raw IPv4)"), "{}", stock.0);
        assert_eq!(ours.0, stock.0, "messages and statistics");
        assert_eq!(stock.1.lines().count(), 3);
        assert_eq!(ours.1, stock.1, "queued packets");
        assert_eq!(ours.2, stock.2, "packets accepted onto the wire");
    });
}

#[test]
fn bad_group_lists_fail_with_libpcaps_messages() {
    lib_dir();
    in_netns(&[], || {
        for dev in ["nflog:70000", "nflog:5x", "nfqueue:a", "nflog:-1"] {
            let stock = text(&tcpdump(false).args(["-i", dev, "-c", "1"]).output().unwrap());
            let ours = text(&tcpdump(true).args(["-i", dev, "-c", "1"]).output().unwrap());
            assert_ne!(stock.0, Some(0), "{dev}: {stock:?}");
            assert_eq!(ours, stock, "{dev}");
        }
    });
}

/// SIGINT ends a capture waiting on an idle group, with libpcap's statistics.
#[test]
fn interrupt_ends_an_idle_capture_like_stock() {
    lib_dir();
    in_netns(SETUP, || {
        let mut runs = Vec::new();
        for ours in [false, true] {
            let child = start(ours, &["-i", "nflog:5", "-w", "/dev/null"]);
            // SAFETY: kill(2) on our own child's pid.
            assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
            let o = child.wait_with_output().unwrap();
            runs.push(text(&o));
        }
        assert_eq!(runs[0].0, Some(0), "{:?}", runs[0]);
        assert!(runs[0].2.ends_with("0 packets captured\n0 packets received by filter\n0 packets dropped by kernel\n"));
        assert_eq!(runs[1], runs[0]);
    });
}
