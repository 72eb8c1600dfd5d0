//! pcap_inject beside stock libpcap: the same C program built against
//! both (tests/pcap/inject.c), and Debian's bittwist run stock and under
//! LD_PRELOAD, on the same steps in a private network namespace. What
//! arrives is counted on the peer with a plain AF_PACKET socket.

mod support;

use std::process::Command;

use support::c::{build_pcap_program, lib_dir};
use support::netns::in_netns;

const VETH: &[&str] = &["ip link add ia type veth peer name ib", "ip link set ia up", "ip link set ib up"];

/// The test frames' EtherType (IEEE local experimental): the stack ignores it.
const ETHERTYPE: u16 = 0x88b5;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// MTU lowered under the handle, link down and up, refused sizes,
/// handles that cannot send, and the program ending by exit, _exit or
/// return right after its last inject: libpcap and ringcap agree on every
/// return value, error text and frame received.
#[test]
fn inject_steps_match_libpcap() {
    let stock = build_pcap_program("tests/pcap/inject.c", false);
    let ours = build_pcap_program("tests/pcap/inject.c", true);
    let (theirs, mine) = in_netns(VETH, move || {
        (run(Command::new(&stock).args(["ia", "ib"])), run(Command::new(&ours).args(["ia", "ib"])))
    });
    // The steps the issues name are really in the output, with libpcap's results.
    for line in [
        "mtu 1000: inject 1400 -> -1 send: Message too long",
        "mtu 1000: received 7 of 7 sent",
        "down: inject 100 -> -1 send: Network is down",
        "savefile: inject 60 -> -1 Sending packets isn't supported on savefiles",
        "_exit after 300: status 0, received 300",
    ] {
        assert!(theirs.lines().any(|l| l == line), "libpcap's output lacks {line:?}:\n{theirs}");
    }
    let diff: Vec<(&str, &str)> = theirs.lines().zip(mine.lines()).filter(|(a, b)| a != b).collect();
    assert!(
        diff.is_empty() && theirs.lines().count() == mine.lines().count(),
        "libpcap vs ringcap differ:\n{diff:#?}\nlibpcap:\n{theirs}\nringcap:\n{mine}"
    );
}

/// Without CAP_NET_RAW, activate fails for lack of permission before it
/// looks at the device (missing, down or up), as libpcap's does: ringcap
/// probes the device without a packet socket (whose close costs an RCU
/// grace period), so the order is kept on purpose.
#[test]
fn unprivileged_activate_fails_like_libpcap() {
    let stock = build_pcap_program("tests/pcap/activate.c", false);
    let ours = build_pcap_program("tests/pcap/activate.c", true);
    let setup = &["ip link add ia type veth peer name ib", "ip link set ia up"];
    let (theirs, mine) = in_netns(setup, move || {
        let unprivileged = |exe: &std::path::Path| {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(exe).args(["nosuch0", "ib", "ia"]);
            run(&mut cmd)
        };
        (unprivileged(&stock), unprivileged(&ours))
    });
    assert_eq!(theirs, "nosuch0: -8\nib: -8\nia: -8\n", "libpcap: PCAP_ERROR_PERM_DENIED for all");
    assert_eq!(mine, theirs);
}

/// A raw socket on `ifname` receiving the test EtherType, with room for
/// every frame of a test.
fn receiver(ifname: &str) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket/setsockopt/bind calls on a fresh descriptor; every
    // pointer passed refers to a live local of the length given.
    unsafe {
        let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, (ETHERTYPE.to_be()) as i32);
        assert!(fd >= 0, "socket(AF_PACKET)");
        let fd = std::os::fd::OwnedFd::from_raw_fd(fd);
        let big: libc::c_int = 16 << 20;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        use std::os::fd::AsRawFd;
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&big as *const libc::c_int).cast(),
            len,
        );
        let mut sll: libc::sockaddr_ll = std::mem::zeroed();
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = ETHERTYPE.to_be();
        let name = std::ffi::CString::new(ifname).unwrap();
        sll.sll_ifindex = libc::if_nametoindex(name.as_ptr()) as i32;
        let r = libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        );
        assert_eq!(r, 0, "bind receiver");
        fd
    }
}

/// Frames waiting on `fd` (nonblocking reads until none is left).
fn count(fd: &std::os::fd::OwnedFd) -> usize {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 2048];
    let mut n = 0;
    // SAFETY: recv into a local buffer of the length given.
    while unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) } >= 0 {
        n += 1;
    }
    n
}

/// bittwist sends a file with pcap_sendpacket and exits without
/// pcap_close: every frame arrives, on libpcap and on ringcap.
#[test]
fn bittwist_delivers_every_frame_like_libpcap() {
    use ringcap::savefile::{PacketHeader, Precision, Writer, WriterConfig};
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bittwist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("frames.pcap");
    let mut w =
        Writer::new(std::fs::File::create(&file).unwrap(), "frames", &WriterConfig::new(1, 65535, Precision::Micro))
            .unwrap();
    const FRAMES: usize = 97;
    for i in 0..FRAMES as u32 {
        let len = 60 + (i * 37) % 1400;
        let mut data: Vec<u8> = (0..len).map(|b| (b * 3 + i) as u8).collect();
        data[..6].fill(0xff);
        data[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
        let h = PacketHeader { ts_sec: 1_700_000_000, ts_frac: i as i64, caplen: len, len };
        w.dump(&h, &data).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let preload = lib_dir().join("libringcap.so");
    let counts = in_netns(VETH, move || {
        let rx = receiver("ib");
        let mut counts = Vec::new();
        for ringcap in [false, true] {
            let mut cmd = Command::new("bittwist");
            // -m 0: no pauses between frames.
            cmd.args(["-i", "ia", "-m", "0"]).arg(&file);
            if ringcap {
                cmd.env("LD_PRELOAD", &preload);
            }
            let out = run(&mut cmd);
            std::thread::sleep(std::time::Duration::from_millis(200));
            counts.push((count(&rx), out.lines().filter(|l| l.contains("packets")).collect::<Vec<_>>().join("|")));
        }
        counts
    });
    assert_eq!(counts[0].0, FRAMES, "stock bittwist: {counts:?}");
    assert_eq!(counts[1].0, FRAMES, "bittwist on ringcap: {counts:?}");
    assert_eq!(counts[0].1, counts[1].1, "bittwist's own summary");
}
