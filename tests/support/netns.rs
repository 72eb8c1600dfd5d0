//! Private network namespaces for tests that need interfaces.

use std::process::Command;

/// Runs `f` on a thread of its own inside a fresh network namespace;
/// programs started from that thread live there too. `setup` are shell
/// commands run first (after loopback is up and IPv6 is off, so no
/// unexpected router solicitations or MLD reports appear).
pub fn in_netns<R: Send + 'static>(setup: &'static [&'static str], f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(move || {
        // SAFETY: unshare affects only this thread, which nothing else uses.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWNET) }, 0, "unshare(CLONE_NEWNET)");
        let base = [
            "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
            "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
            "ip link set lo up",
        ];
        for cmd in base.iter().chain(setup) {
            let st = Command::new("sh").args(["-c", cmd]).status().unwrap();
            assert!(st.success(), "{cmd}");
        }
        f()
    })
    .join()
    .expect("netns thread")
}

/// The veth pair va <-> vb, both up.
pub const VETH_PAIR: &[&str] = &["ip link add va type veth peer name vb", "ip link set va up", "ip link set vb up"];

/// The MAC address of `iface` in the current namespace (sysfs still shows
/// the namespace the test process started in, so `ip` is asked).
pub fn mac(iface: &str) -> String {
    let out = Command::new("ip").args(["-o", "link", "show", iface]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split("link/ether ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().to_string()
}
