//! Debian's tcpdump on ringcap (LD_PRELOAD=libringcap.so) against stock
//! tcpdump, side by side on the same traffic, each test in its own network
//! namespace: the packets written, the statistics and the filter programs
//! must be the same.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringcap::savefile::Reader;
use support::c::{lib_dir, repo};
use support::netns::mac;

/// Runs `f` in a private network namespace holding the veth pair va <-> vb.
fn in_netns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    support::netns::in_netns(support::netns::VETH_PAIR, f)
}

struct Tcpdump {
    child: Child,
    err: PathBuf,
    out: PathBuf,
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tcpdump-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

impl Tcpdump {
    /// Starts tcpdump with `args`, on ringcap when `ours`, and waits until it listens.
    fn start(dir: &Path, tag: &str, ours: bool, args: &[&str]) -> Tcpdump {
        Tcpdump::start_with_env(dir, tag, ours, &[], args)
    }

    fn start_with_env(dir: &Path, tag: &str, ours: bool, env: &[(&str, &str)], args: &[&str]) -> Tcpdump {
        let (out, err) = (dir.join(format!("{tag}.out")), dir.join(format!("{tag}.err")));
        let mut cmd = Command::new("tcpdump");
        cmd.envs(env.iter().copied());
        cmd.args(args)
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap())
            .stdin(Stdio::null());
        if ours {
            cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
        }
        let child = cmd.spawn().expect("tcpdump (Debian package tcpdump)");
        let t = Tcpdump { child, err, out };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !t.stderr().contains("listening on") {
            assert!(Instant::now() < deadline, "tcpdump {args:?} did not start: {}", t.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
        t
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// SIGINT, as a user's ^C, then the exit status, stdout and stderr.
    fn interrupt(self) -> (i32, String, String) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        self.wait()
    }

    fn wait(mut self) -> (i32, String, String) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st.code().unwrap_or(-1), fs::read_to_string(&self.out).unwrap_or_default(), self.stderr());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("tcpdump did not exit: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Sends the mixed traffic of tests/tcpdump/traffic.py from va to vb; returns the frame count.
fn send_traffic(rounds: u32) -> usize {
    let out = Command::new("python3")
        .arg(repo().join("tests/tcpdump/traffic.py"))
        .args(["va", &mac("vb"), &rounds.to_string()])
        .output()
        .expect("python3");
    assert!(out.status.success(), "traffic.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Waits out stock libpcap's delivery delay: it hands over a TPACKET_V3
/// block only when the block fills or its timer (tcpdump's 1 s read
/// timeout) fires, so packets sent just before ^C would otherwise be lost
/// to the comparison.
fn settle() {
    std::thread::sleep(Duration::from_millis(1500));
}

/// Every packet of a savefile: (caplen, len, bytes).
fn packets(path: &Path) -> Vec<(u32, u32, Vec<u8>)> {
    let mut r = Reader::open(fs::File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        v.push((p.header.caplen, p.header.len, p.data.to_vec()));
    }
    v
}

/// The three statistics lines tcpdump prints when it exits.
fn stats_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("packets captured") || l.contains("received by filter") || l.contains("dropped by kernel")
        })
        .map(str::to_string)
        .collect()
}

/// Captures the traffic with both tcpdumps writing files (`-w`), stops
/// them with SIGINT, and requires identical packets and statistics.
fn same_capture(name: &'static str, iface: &'static str, filter: &'static str) {
    same_capture_with(name, iface, &[], filter, || {
        send_traffic(3);
    });
}

/// Like [`same_capture`] with extra tcpdump arguments and traffic of the caller's.
fn same_capture_with(
    name: &'static str,
    iface: &'static str,
    extra: &'static [&'static str],
    filter: &'static str,
    traffic: impl FnOnce() + Send + 'static,
) {
    in_netns(move || {
        let dir = scratch(name);
        let mut runs = Vec::new();
        for (tag, ours) in [("stock", false), ("ringcap", true)] {
            let file = dir.join(format!("{tag}.pcap"));
            let mut args = vec!["-i", iface, "-w", file.to_str().unwrap().to_string().leak()];
            args.extend_from_slice(extra);
            if !filter.is_empty() {
                args.push(filter);
            }
            runs.push((Tcpdump::start(&dir, tag, ours, &args), file));
        }
        traffic();
        settle();
        let mut results = Vec::new();
        for (t, file) in runs {
            let (code, _, err) = t.interrupt();
            assert_eq!(code, 0, "{err}");
            results.push((packets(&file), stats_lines(&err), err));
        }
        let (stock, ours) = (&results[0], &results[1]);
        assert!(!stock.0.is_empty() || filter == "ip6", "{name}: stock tcpdump captured nothing");
        assert_eq!(stock.0.len(), ours.0.len(), "{name}: packet counts differ\nstock: {}\nours: {}", stock.2, ours.2);
        for (i, (s, o)) in stock.0.iter().zip(&ours.0).enumerate() {
            assert_eq!(s, o, "{name}: packet {i} differs");
        }
        assert_eq!(stock.1.len(), 3, "{}", stock.2);
        assert_eq!(stock.1, ours.1, "{name}: statistics differ");
    });
}

#[test]
fn write_all_traffic() {
    same_capture("all", "vb", "");
}

#[test]
fn filter_tcp_port_80() {
    same_capture("tcp80", "vb", "tcp port 80");
}

#[test]
fn filter_udp_not_53() {
    same_capture("udp-not-53", "vb", "udp and not port 53");
}

#[test]
fn filter_vlan() {
    same_capture("vlan", "vb", "vlan");
}

#[test]
fn filter_vlan_udp() {
    same_capture("vlan-udp", "vb", "vlan and udp");
}

#[test]
fn filter_vlan_or_arp() {
    same_capture("vlan-or-arp", "vb", "vlan or arp");
}

#[test]
fn filter_vlan_100_or_arp() {
    same_capture("vlan100-or-arp", "vb", "vlan 100 or arp");
}

#[test]
fn filter_vlan_or_vlan() {
    same_capture("vlan-or-vlan", "vb", "vlan 105 or vlan 106");
}

#[test]
fn filter_vlan_alternatives() {
    same_capture("vlan-alternatives", "vb", "(vlan 100 and udp) or (vlan 101 and tcp)");
}

#[test]
fn filter_mpls_or_vlan() {
    same_capture("mpls-or-vlan", "vb", "(vlan 200 and tcp) or vlan 300 or mpls 16");
}

#[test]
fn filter_icmp() {
    same_capture("icmp", "vb", "icmp");
}

#[test]
fn filter_ip6_or_arp() {
    same_capture("ip6-arp", "vb", "ip6 or arp");
}

#[test]
fn any_interface_with_filter() {
    same_capture("any-udp", "any", "udp");
}

#[test]
fn any_interface_all() {
    same_capture("any-all", "any", "");
}

/// `-c N` stops after N packets, with the same packets as stock tcpdump.
#[test]
fn count_stops_after_n() {
    in_netns(|| {
        let dir = scratch("count");
        let files: Vec<PathBuf> = ["stock", "ringcap"].iter().map(|t| dir.join(format!("{t}.pcap"))).collect();
        let runs: Vec<Tcpdump> = files
            .iter()
            .zip([false, true])
            .map(|(f, ours)| {
                Tcpdump::start(
                    &dir,
                    if ours { "ringcap" } else { "stock" },
                    ours,
                    &["-i", "vb", "-c", "7", "-w", f.to_str().unwrap()],
                )
            })
            .collect();
        send_traffic(2);
        let outcomes: Vec<(i32, String, String)> = runs.into_iter().map(Tcpdump::wait).collect();
        for (code, _, err) in &outcomes {
            assert_eq!(*code, 0, "{err}");
            assert!(err.contains("7 packets captured"), "{err}");
        }
        assert_eq!(packets(&files[0]), packets(&files[1]));
        assert_eq!(packets(&files[1]).len(), 7);
    });
}

/// The text output (timestamps cut off) is the same as stock tcpdump's.
#[test]
fn printed_output_matches() {
    in_netns(|| {
        let dir = scratch("print");
        let runs: Vec<Tcpdump> = [("stock", false), ("ringcap", true)]
            .iter()
            .map(|(t, ours)| Tcpdump::start(&dir, t, *ours, &["-i", "vb", "-nn", "-e", "-vv", "-x"]))
            .collect();
        send_traffic(1);
        settle();
        let outs: Vec<String> = runs.into_iter().map(|t| t.interrupt().1).collect();
        let strip = |s: &str| {
            s.lines()
                .map(|l| if l.starts_with(char::is_numeric) { l[15..].to_string() } else { l.to_string() })
                .collect::<Vec<_>>()
        };
        assert!(!outs[0].is_empty());
        assert_eq!(strip(&outs[0]), strip(&outs[1]));
    });
}

/// `-d`, `-dd` and `-ddd` print the same programs. (VLAN tests on a live
/// handle use the kernel's tag metadata; ringcap's optimizer lays that
/// code out differently from libpcap's, so those are checked for the same
/// verdicts by the capture tests instead.)
#[test]
fn compiled_programs_match() {
    in_netns(|| {
        for expr in [
            "tcp port 80",
            "udp and not port 53",
            "icmp or arp",
            "ip6 and tcp[13] & 2 != 0",
            "ether broadcast or net 10.0.0.0/8",
        ] {
            for flag in ["-d", "-dd", "-ddd"] {
                for iface in ["vb", "any"] {
                    let run = |ours: bool| {
                        let mut cmd = Command::new("tcpdump");
                        cmd.args([flag, "-i", iface, expr]);
                        if ours {
                            cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
                        }
                        let out = cmd.output().unwrap();
                        (
                            out.status.success(),
                            String::from_utf8_lossy(&out.stdout).into_owned(),
                            String::from_utf8_lossy(&out.stderr).into_owned(),
                        )
                    };
                    let (stock, ours) = (run(false), run(true));
                    // Expressions the link type cannot express fail in both, with libpcap's message.
                    assert_eq!(stock.0, ours.0, "tcpdump {flag} -i {iface} '{expr}': {} / {}", stock.2, ours.2);
                    assert_eq!(stock.1, ours.1, "tcpdump {flag} -i {iface} '{expr}'");
                    if !stock.0 {
                        assert_eq!(stock.2, ours.2, "error text for '{expr}' on {iface}");
                    }
                }
            }
        }
    });
}

/// A live VLAN program printed by `-d` is a valid program that tests the
/// kernel's tag metadata, as libpcap's does.
#[test]
fn vlan_program_is_valid() {
    in_netns(|| {
        let out = Command::new("tcpdump")
            .args(["-d", "-i", "vb", "vlan and udp"])
            .env("LD_PRELOAD", lib_dir().join("libringcap.so"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("[vlanp]"), "{text}");
        assert!(text.lines().last().unwrap().contains("ret"), "{text}");
        let ddd = Command::new("tcpdump")
            .args(["-ddd", "-i", "vb", "vlan and udp"])
            .env("LD_PRELOAD", lib_dir().join("libringcap.so"))
            .output()
            .unwrap();
        let insns: Vec<ringcap::filter::Insn> = String::from_utf8_lossy(&ddd.stdout)
            .lines()
            .skip(1)
            .map(|l| {
                let v: Vec<u32> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
                ringcap::filter::Insn::new(v[0] as u16, v[1] as u8, v[2] as u8, v[3])
            })
            .collect();
        ringcap::filter::validate(&insns).unwrap();
    });
}

/// `tcpdump -r` on ringcap prints exactly what stock tcpdump prints, for
/// pcap and pcapng files in both precisions, with and without filters.
#[test]
fn reading_savefiles_matches() {
    let dir = scratch("read");
    let base = dir.join("base.pcap");
    let base2 = base.clone();
    in_netns(move || {
        let t = Tcpdump::start(&scratch("read-capture"), "stock", false, &["-i", "vb", "-w", base2.to_str().unwrap()]);
        send_traffic(2);
        settle();
        let (code, _, err) = t.interrupt();
        assert_eq!(code, 0, "{err}");
    });
    let mut files = vec![base.clone()];
    for (format, name) in [("nsecpcap", "nsec.pcap"), ("pcapng", "ng.pcapng")] {
        let out = dir.join(name);
        let st = Command::new("editcap").args(["-F", format]).arg(&base).arg(&out).status().expect("editcap");
        assert!(st.success());
        files.push(out);
    }
    let run = |ours: bool, args: &[&str]| {
        let mut cmd = Command::new("tcpdump");
        cmd.args(args);
        if ours {
            cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut compared = 0;
    for file in &files {
        for precision in ["micro", "nano"] {
            for filter in ["", "tcp port 80", "udp and not port 53", "vlan", "icmp or arp", "ip6"] {
                let prec = format!("--time-stamp-precision={precision}");
                let mut args = vec!["-r", file.to_str().unwrap(), "-nn", "-e", "-v", "-x", prec.as_str()];
                if !filter.is_empty() {
                    args.push(filter);
                }
                let (stock, ours) = (run(false, &args), run(true, &args));
                assert_eq!(stock, ours, "tcpdump {args:?}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 36);
    // A file that is not a capture: the same error.
    let junk = dir.join("junk.pcap");
    fs::write(&junk, b"definitely not a capture").unwrap();
    let args = ["-r", junk.to_str().unwrap()];
    assert_eq!(run(false, &args), run(true, &args));
}

/// libringcap also answers to libpcap's file names: LD_LIBRARY_PATH with a
/// libpcap.so.0.8 that is ringcap makes tcpdump use it without LD_PRELOAD.
#[test]
fn library_path_replaces_libpcap() {
    let dir = scratch("libpath");
    std::os::unix::fs::symlink(lib_dir().join("libringcap.so"), dir.join("libpcap.so.0.8")).unwrap();
    let out = Command::new("tcpdump").arg("--version").env("LD_LIBRARY_PATH", &dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("libpcap version 1.10.3 (ringcap "), "{text}");
}

/// RINGCAP_FANOUT makes unmodified tcpdumps share one interface: two in
/// one load-balancing group see disjoint halves whose union is exactly
/// what a stock tcpdump sees.
#[test]
fn fanout_environment_shares_the_load() {
    in_netns(|| {
        let dir = scratch("fanout");
        let files: Vec<PathBuf> = ["stock", "a", "b"].iter().map(|t| dir.join(format!("{t}.pcap"))).collect();
        let stock = Tcpdump::start(&dir, "stock", false, &["-i", "vb", "-w", files[0].to_str().unwrap()]);
        let group = [("RINGCAP_FANOUT", "lb:4242")];
        let a = Tcpdump::start_with_env(&dir, "a", true, &group, &["-i", "vb", "-w", files[1].to_str().unwrap()]);
        let b = Tcpdump::start_with_env(&dir, "b", true, &group, &["-i", "vb", "-w", files[2].to_str().unwrap()]);
        let sent = send_traffic(4);
        settle();
        for t in [stock, a, b] {
            assert_eq!(t.interrupt().0, 0);
        }
        let (all, pa, pb) = (packets(&files[0]), packets(&files[1]), packets(&files[2]));
        assert_eq!(all.len(), sent, "stock saw every frame");
        assert!(!pa.is_empty() && !pb.is_empty(), "both members got packets: {} and {}", pa.len(), pb.len());
        assert_eq!(pa.len() + pb.len(), all.len(), "the group saw each frame exactly once");
        let mut union: Vec<_> = pa.into_iter().chain(pb).collect();
        let mut expected = all;
        union.sort();
        expected.sort();
        assert_eq!(union, expected);
    });
}

/// A malformed RINGCAP_FANOUT is reported, not ignored.
#[test]
fn fanout_environment_errors_are_reported() {
    in_netns(|| {
        let out = Command::new("tcpdump")
            .args(["-i", "vb", "-c", "1"])
            .env("LD_PRELOAD", lib_dir().join("libringcap.so"))
            .env("RINGCAP_FANOUT", "sideways:1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("RINGCAP_FANOUT") && err.contains("MODE:ID"), "{err}");
    });
}

/// tcpdump prints its statistics from a SIGUSR1 handler (through
/// pcap_stats) while pcap_loop is blocked or running: ten of them during a
/// capture, then SIGTERM. Both tcpdumps answer every signal, exit, and
/// write the same file.
#[test]
fn sigusr1_statistics_during_capture() {
    in_netns(move || {
        let dir = scratch("sigusr1");
        let mut runs = Vec::new();
        for (tag, ours) in [("stock", false), ("ringcap", true)] {
            let file = dir.join(format!("{tag}.pcap"));
            let args = ["-i", "vb", "-w", file.to_str().unwrap().to_string().leak()];
            runs.push((Tcpdump::start(&dir, tag, ours, &args), file));
        }
        for round in 0..10 {
            if round % 3 == 0 {
                send_traffic(1);
            }
            for (t, _) in &runs {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(t.child.id() as i32, libc::SIGUSR1) };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        settle();
        let mut results = Vec::new();
        for (t, file) in runs {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(t.child.id() as i32, libc::SIGTERM) };
            let (_, _, err) = t.wait();
            let answers = err.lines().filter(|l| l.contains("packets captured")).count();
            results.push((packets(&file), answers, err));
        }
        let (stock, ours) = (&results[0], &results[1]);
        assert!(stock.1 >= 10, "stock answered {} SIGUSR1s: {}", stock.1, stock.2);
        assert_eq!(stock.1, ours.1, "statistics printed: stock {} ringcap {}\n{}", stock.1, ours.1, ours.2);
        assert!(!stock.0.is_empty());
        assert_eq!(stock.0, ours.0, "files differ");
    });
}

/// Cooked v1 headers on "any" have room for a VLAN tag, and libpcap puts
/// the tag the kernel took out back there (SLL2 has none).
#[test]
fn any_with_sll_v1_keeps_vlan_tags() {
    same_capture_with("any-sll-vlan", "any", &["-y", "LINUX_SLL"], "", || {
        send_traffic(3);
    });
}

/// Loopback hands each sent packet back in: libpcap keeps only the
/// incoming copy, so ping -c 3 shows 6 packets, not 12.
#[test]
fn loopback_shows_each_packet_once() {
    same_capture_with("lo", "lo", &[], "icmp", || {
        let out = Command::new("ping").args(["-c", "3", "-i", "0.2", "-W", "1", "127.0.0.1"]).output().expect("ping");
        assert!(out.status.success(), "ping: {}", String::from_utf8_lossy(&out.stderr));
    });
}

/// What a libpcap program prints when it may not capture, or asks for
/// monitor mode on a device without it, comes from the library: the same
/// words on ringcap.
#[test]
fn refusals_print_libpcap_text() {
    in_netns(|| {
        let run = |ours: bool, args: &[&str], user: Option<&str>| {
            let mut cmd = match user {
                Some(u) => {
                    let mut c = Command::new("setpriv");
                    c.args([
                        "--reuid",
                        u,
                        "--regid",
                        "65534",
                        "--clear-groups",
                        "--inh-caps=-all",
                        "--bounding-set=-all",
                    ]);
                    c.arg("tcpdump");
                    c
                }
                None => Command::new("tcpdump"),
            };
            cmd.args(args);
            if ours {
                cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
            }
            let out = cmd.output().unwrap();
            (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        for (args, user) in [(&["-c", "1", "-i", "vb"][..], Some("nobody")), (&["-c", "1", "-I", "-i", "vb"][..], None)]
        {
            let (stock, ours) = (run(false, args, user), run(true, args, user));
            assert_eq!(stock.0, Some(1), "stock tcpdump {args:?} should fail: {}", stock.1);
            assert!(stock.1.starts_with("tcpdump: vb: "), "tcpdump itself failed: {}", stock.1);
            assert_eq!(stock, ours, "tcpdump {args:?} as {user:?}");
        }
    });
}
