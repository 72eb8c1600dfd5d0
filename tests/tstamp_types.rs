//! Time stamp types in the pcap layer, compared with stock libpcap:
//! `tcpdump -J` lists the same types for the same device, and `-j` with a
//! type the device cannot give prints libpcap's warning and captures with
//! host stamps, as stock tcpdump does.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::c::lib_dir;
use support::netns::{in_netns, VETH_PAIR};

fn tcpdump(ours: bool, args: &[&str]) -> Output {
    let mut cmd = Command::new("tcpdump");
    if ours {
        cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
    }
    cmd.args(args).output().expect("tcpdump must be installed (.ci/setup)")
}

fn text(o: &Output) -> (Option<i32>, String, String) {
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

const DEVICES: &[&str] = &[
    "ip link add va type veth peer name vb",
    "ip link set va up",
    "ip link set vb up",
    "ip link add br0 type bridge",
    "ip link add mv0 link va type macvlan",
    "ip tuntap add tap0 mode tap",
];

#[test]
fn list_matches_stock_on_veth_lo_bridge_macvlan_tap_any_and_missing_devices() {
    lib_dir();
    in_netns(DEVICES, || {
        for dev in ["va", "lo", "br0", "mv0", "tap0", "any", "rc-missing0"] {
            let stock = text(&tcpdump(false, &["-J", "-i", dev]));
            let ours = text(&tcpdump(true, &["-J", "-i", dev]));
            assert_eq!(stock.0, Some(0), "stock tcpdump -J -i {dev}: {stock:?}");
            // tcpdump prints the list on stderr.
            assert!(stock.2.starts_with(&format!("Time stamp types for {dev} (use option -j to set):\n")), "{stock:?}");
            assert_eq!(ours, stock, "tcpdump -J -i {dev}: ringcap differs from libpcap");
        }
    });
}

/// The API itself (tests/tstamp/api.c), built against libpcap and against
/// ringcap: lists, every type's verdict before and after activation.
#[test]
fn api_answers_as_libpcap_does() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tstamp-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = support::c::repo().join("tests/tstamp/api.c");
    let build = |ours: bool| {
        let exe = dir.join(if ours { "ringcap" } else { "libpcap" });
        let mut cc = Command::new("cc");
        cc.args(["-Wall", "-Wextra", "-Werror", "-o"]).arg(&exe).arg(&src);
        if ours {
            cc.arg("-I").arg(support::c::repo().join("include"));
            cc.arg(format!("-L{}", lib_dir().display())).arg("-lringcap");
            cc.arg(format!("-Wl,-rpath,{}", lib_dir().display()));
        } else {
            cc.arg("-lpcap");
        }
        assert!(cc.status().unwrap().success(), "building api.c (ours: {ours})");
        exe
    };
    let (theirs, ours) = (build(false), build(true));
    in_netns(DEVICES, move || {
        let run = |exe: &std::path::Path| {
            let o = Command::new(exe)
                .env_remove("LD_LIBRARY_PATH")
                .args(["va", "lo", "br0", "any", "rc-missing0"])
                .output()
                .unwrap();
            assert!(o.status.success());
            String::from_utf8(o.stdout).unwrap()
        };
        let stock = run(&theirs);
        assert!(stock.contains("va\n  created: 1: host\n"), "{stock}");
        assert_eq!(run(&ours), stock);
    });
}

/// The hardware types on a veth: libpcap's warning, then a capture with
/// host stamps; both tcpdumps print the same and capture the same count.
#[test]
fn hardware_types_fail_on_veth_as_in_libpcap() {
    lib_dir();
    in_netns(VETH_PAIR, || {
        for ty in ["adapter", "adapter_unsynced", "host_hiprec", "host"] {
            let mut outputs = Vec::new();
            for ours in [false, true] {
                // -c 0 is refused by tcpdump, so capture one frame sent after start.
                let mut cmd = Command::new("tcpdump");
                if ours {
                    cmd.env("LD_PRELOAD", lib_dir().join("libringcap.so"));
                }
                let mut child = cmd
                    .args(["-j", ty, "-i", "va", "-c", "1", "-w", "/dev/null", "ether proto 0x88b5"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                // Frames until tcpdump has one (it may still be starting).
                let deadline = Instant::now() + Duration::from_secs(5);
                while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                    send_frame("vb");
                    std::thread::sleep(Duration::from_millis(100));
                }
                let captured = child.try_wait().unwrap().is_some();
                if !captured {
                    let _ = child.kill();
                }
                let o = child.wait_with_output().unwrap();
                assert!(captured, "tcpdump -j {ty} (ours: {ours}) did not capture its frame: {}", text(&o).2);
                outputs.push(text(&o));
            }
            let (stock, ours) = (&outputs[0], &outputs[1]);
            assert_eq!(stock.0, Some(0), "{stock:?}");
            let warning = format!(
                "tcpdump: WARNING: When trying to set timestamp type '{ty}' on va: That type of time stamp is not supported by that device\n"
            );
            assert_eq!(stock.2.contains(&warning), ty != "host", "stock -j {ty}: {}", stock.2);
            assert_eq!(ours.0, stock.0, "-j {ty}");
            // The counts at exit depend on how many of the repeated frames
            // arrived before tcpdump stopped: compare the rest.
            let messages = |s: &str| {
                s.lines().filter(|l| !l.contains("received by filter")).map(str::to_string).collect::<Vec<_>>()
            };
            assert_eq!(
                messages(&ours.2),
                messages(&stock.2),
                "tcpdump -j {ty} -i va: ringcap's messages differ from libpcap's"
            );
        }
    });
}

/// One broadcast frame of ethertype 0x88b5 out of `iface`.
fn send_frame(iface: &str) {
    let py = format!(
        "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('{iface}', 0)); \
         s.send(b'\\xff' * 6 + b'\\x02\\x00\\x00\\x00\\x00\\x01' + b'\\x88\\xb5' + bytes(46))"
    );
    let st = Command::new("python3").args(["-c", &py]).status().expect("python3");
    assert!(st.success(), "sending a frame on {iface}");
}
