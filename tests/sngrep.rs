//! Debian's sngrep, stock and under LD_PRELOAD, capturing SIP on a veth in
//! its interactive mode (on a pseudo-terminal from script(1)) and stopped
//! with SIGTERM. sngrep then ends its capture thread with pthread_cancel
//! while that thread is blocked in pcap_loop: the cancellation must pass
//! through the library (it used to abort the process with "FATAL:
//! exception not rethrown"), and both files must hold the same packets.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringcap::savefile::Reader;
use support::c::{lib_dir, repo};
use support::netns::{in_netns, mac, VETH_PAIR};

const CALLS: usize = 20;

/// Every packet of a savefile: (caplen, len, bytes).
fn packets(path: &Path) -> Vec<(u32, u32, Vec<u8>)> {
    let mut r = Reader::open(fs::File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        v.push((p.header.caplen, p.header.len, p.data.to_vec()));
    }
    v
}

/// The sngrep process under `script` (script, then the shell it may start).
fn sngrep_below(pid: u32) -> Option<u32> {
    let mut at = pid;
    for _ in 0..3 {
        let comm = fs::read_to_string(format!("/proc/{at}/comm")).ok()?;
        if comm.trim() == "sngrep" {
            return Some(at);
        }
        let children = fs::read_to_string(format!("/proc/{at}/task/{at}/children")).ok()?;
        at = children.split_whitespace().next()?.parse().ok()?;
    }
    None
}

fn wait(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not exit on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sngrep_captures_and_stops_on_sigterm_like_libpcap() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sngrep-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let preload = lib_dir().join("libringcap.so");
    let results = in_netns(VETH_PAIR, move || {
        let mut results = Vec::new();
        for (tag, ours) in [("stock", false), ("ringcap", true)] {
            let file = dir.join(format!("{tag}.pcap"));
            let screen = dir.join(format!("{tag}.screen"));
            let mut cmd = Command::new("script");
            // -e: script exits with sngrep's status. -F: no config file.
            cmd.args(["-q", "-f", "-e", "-c"])
                .arg(format!("sngrep -F -d vb -O {}", file.display()))
                .arg("/dev/null")
                .env("TERM", "xterm")
                .stdin(Stdio::null())
                .stdout(fs::File::create(&screen).unwrap())
                .stderr(Stdio::null());
            if ours {
                cmd.env("LD_PRELOAD", &preload);
            }
            let mut child = cmd.spawn().expect("script (util-linux)");
            let deadline = Instant::now() + Duration::from_secs(10);
            let sngrep = loop {
                if let Some(p) = sngrep_below(child.id()) {
                    break p;
                }
                assert!(Instant::now() < deadline, "sngrep ({tag}) did not start (Debian package sngrep)");
                std::thread::sleep(Duration::from_millis(20));
            };
            // sngrep says nothing when it is ready: give it time to open.
            std::thread::sleep(Duration::from_millis(1000));
            let out = Command::new("python3")
                .arg(repo().join("tests/sngrep/sip.py"))
                .args(["va", &mac("vb"), &CALLS.to_string()])
                .output()
                .expect("python3");
            assert!(out.status.success(), "sip.py: {}", String::from_utf8_lossy(&out.stderr));
            // Past libpcap's 1 s block timeout, so both hand over everything.
            std::thread::sleep(Duration::from_millis(1500));
            // SAFETY: signalling a process this test started.
            unsafe { libc::kill(sngrep as i32, libc::SIGTERM) };
            let status = wait(&mut child, tag);
            let shown = String::from_utf8_lossy(&fs::read(&screen).unwrap()).into_owned();
            results.push((tag, status, packets(&file), shown.contains("FATAL")));
        }
        results
    });
    for (tag, status, got, fatal) in &results {
        assert!(!fatal, "sngrep ({tag}) printed FATAL: a forced unwind met the library");
        assert!(status.success(), "sngrep ({tag}) ended with {status:?}");
        assert_eq!(got.len(), CALLS, "sngrep ({tag}) wrote {} of {CALLS} INVITEs", got.len());
    }
    assert_eq!(results[0].2, results[1].2, "the two files hold different packets");
}
