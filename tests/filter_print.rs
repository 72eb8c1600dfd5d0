//! Listings equal tcpdump's: `tcpdump -d`, `-dd` and `-ddd` (and `-O` for
//! the unoptimized code) on a sample of expressions, for Ethernet and
//! Linux cooked captures. tcpdump compiles on a dead handle with -y, so no
//! interface is needed.

use std::process::Command;

use ringcap::filter::{self, DumpFormat, LinkType, Options};

const OPTIMIZED: &[&str] = &[
    "ip",
    "tcp",
    "udp port 53",
    "tcp port 80",
    "host 10.0.0.1",
    "ether host 00:11:22:33:44:55",
    "ip6",
    "arp",
    "icmp",
    "less 100",
    "greater 64",
    "tcp[13] & 2 != 0",
    "ether broadcast",
    "ether multicast",
    "vlan 10",
    "net 10.0.0.0/8",
    "ip proto 47",
    "len > 100",
    "ip6 host 2001:db8::1",
    "mpls 16",
    "pppoes 5",
    "inbound",
    "ifindex 3",
    "not ip",
    "icmp6",
    "ip[0] & 0xf != 5",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
    "ip multicast",
    "vlan and ip",
    "sctp",
    "tcp or udp",
];

const UNOPTIMIZED: &[&str] = &[
    "ip",
    "tcp port 80",
    "host 10.0.0.1",
    "vlan 10 and ip",
    "mpls and ip",
    "pppoes 5 and ip host 1.2.3.4",
    "ip6 proto 6",
];

fn tcpdump(args: &[&str], expr: &str) -> Option<String> {
    let out = Command::new("tcpdump").args(args).arg(expr).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ours(expr: &str, lt: LinkType, optimize: bool, format: DumpFormat) -> String {
    let mut opts = Options::new(lt, 262144, 0);
    opts.optimize = optimize;
    filter::compile_with(expr, &opts).unwrap_or_else(|e| panic!("{expr:?}: {e}")).dump(format)
}

#[test]
fn listings_equal_tcpdump() {
    if tcpdump(&["-d", "-y", "EN10MB"], "ip").is_none() {
        eprintln!("tcpdump is not installed; skipping");
        return;
    }
    let mut checked = 0;
    for (dlt, lt) in [("EN10MB", LinkType::Ethernet), ("LINUX_SLL", LinkType::LinuxSll)] {
        for expr in OPTIMIZED {
            for (flag, format) in [("-d", DumpFormat::Image), ("-dd", DumpFormat::C), ("-ddd", DumpFormat::Decimal)] {
                let Some(want) = tcpdump(&[flag, "-y", dlt], expr) else { continue };
                assert_eq!(ours(expr, lt, true, format), want, "tcpdump {flag} -y {dlt} {expr:?}");
                checked += 1;
            }
        }
        for expr in UNOPTIMIZED {
            let Some(want) = tcpdump(&["-O", "-d", "-y", dlt], expr) else { continue };
            assert_eq!(ours(expr, lt, false, DumpFormat::Image), want, "tcpdump -O -d -y {dlt} {expr:?}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} listings compared");
}
