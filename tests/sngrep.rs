//! Debian's sngrep, stock and under LD_PRELOAD, capturing SIP on the same
//! veth at once and stopped with SIGTERM. sngrep captures in a thread of
//! its own and ends it with pthread_cancel while that thread is blocked in
//! pcap_loop: the cancellation must pass through the library (it used to
//! abort the process), and both files must hold the same packets.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
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

#[test]
fn sngrep_captures_and_stops_on_sigterm_like_libpcap() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sngrep-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let preload = lib_dir().join("libringcap.so");
    let results = in_netns(VETH_PAIR, move || {
        let mut children = Vec::new();
        for (tag, ours) in [("stock", false), ("ringcap", true)] {
            let file = dir.join(format!("{tag}.pcap"));
            let mut cmd = Command::new("sngrep");
            // No interface, quiet, every SIP packet to a file; no config file.
            cmd.args(["-N", "-q", "-F", "-d", "vb", "-O"])
                .arg(&file)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(dir.join(format!("{tag}.err"))).unwrap());
            if ours {
                cmd.env("LD_PRELOAD", &preload);
            }
            children.push((cmd.spawn().expect("sngrep (Debian package sngrep)"), file, tag));
        }
        // sngrep says nothing when it is ready: give both time to open.
        std::thread::sleep(Duration::from_millis(1000));
        let out = Command::new("python3")
            .arg(repo().join("tests/sngrep/sip.py"))
            .args(["va", &mac("vb"), &CALLS.to_string()])
            .output()
            .expect("python3");
        assert!(out.status.success(), "sip.py: {}", String::from_utf8_lossy(&out.stderr));
        // Past libpcap's 1 s block timeout (sngrep's to_ms), so both hand over everything.
        std::thread::sleep(Duration::from_millis(1500));
        let mut results = Vec::new();
        for (mut child, file, tag) in children {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            let status = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break st;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("sngrep ({tag}) did not exit on SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let err = fs::read_to_string(dir.join(format!("{tag}.err"))).unwrap_or_default();
            results.push((tag, status, packets(&file), err));
        }
        results
    });
    let (stock, ours) = (&results[0], &results[1]);
    for (tag, status, got, err) in &results {
        use std::os::unix::process::ExitStatusExt;
        assert!(status.success(), "sngrep ({tag}) ended with {status:?} (signal {:?}): {err}", status.signal());
        assert_eq!(got.len(), CALLS, "sngrep ({tag}) wrote {} of {CALLS} INVITEs: {err}", got.len());
    }
    assert_eq!(stock.2, ours.2, "the two files hold different packets");
}
