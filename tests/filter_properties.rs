//! Deterministic randomized property test of the parser and compiler (the
//! normal-suite companion of fuzz/fuzz_targets/filter_compile.rs): seeded
//! random expressions, valid and garbled, must never panic; every compiled
//! program must pass the validator; and the optimized program must give
//! the same result as the unoptimized one on every complete packet.

#[path = "support/packets.rs"]
mod packets;

use ringcap::filter::{self, Ancillary, LinkType, Options};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ATOMS: &[&str] = &[
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "igmp",
    "sctp",
    "pim",
    "vrrp",
    "ah",
    "esp",
    "host 10.0.0.1",
    "src host 192.168.1.2",
    "dst net 10.0.0.0/8",
    "net 10.1",
    "ip6 host 2001:db8::1",
    "ip6 net 2001:db8::/64",
    "ether host 00:11:22:33:44:55",
    "ether src 66:77:88:99:aa:bb",
    "ether broadcast",
    "ether multicast",
    "ip multicast",
    "ip6 multicast",
    "ip broadcast",
    "port 80",
    "tcp port 80",
    "udp port 53",
    "src port 1234",
    "dst port 80",
    "portrange 50-60",
    "tcp portrange 1-1024",
    "sctp port 80",
    "less 60",
    "greater 100",
    "len > 64",
    "tcp[13] & 2 != 0",
    "ip[9] = 6",
    "ip6[6] = 17",
    "udp[2:2] = 53",
    "icmp[icmptype] = icmp-echo",
    "ether[12:2] = 0x800",
    "ip[0] & 0xf > 5",
    "tcp[0:2] + tcp[2:2] > 1000",
    "len - 14 < 50",
    "1 = 1",
    "1 = 0",
    "vlan",
    "vlan 10",
    "vlan 20",
    "mpls",
    "mpls 16",
    "pppoed",
    "pppoes",
    "pppoes 5",
    "geneve",
    "geneve 5",
    "ip proto 17",
    "ip6 proto 6",
    "proto 132",
    "ether proto 0x86dd",
    "ether proto 38",
    "inbound",
    "ifindex 3",
    "stp",
    "iso",
];

const GARBAGE: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "and",
    "or",
    "not",
    "!",
    "&&",
    "||",
    "=",
    "==",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    ":",
    "host",
    "net",
    "port",
    "src",
    "dst",
    "ip",
    "tcp",
    "len",
    "10.0.0.1",
    "::1",
    "00:11:22:33:44:55",
    "0x10",
    "077",
    "99999999999",
    "\\x",
    "vlan",
    "mpls",
    "geneve",
    "ether",
    "proto",
    "portrange",
    "1-2",
    "mask",
    "255.0.0.0",
    "/",
    "gateway",
    "broadcast",
    "icmp-echo",
];

fn expression(rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.below(3) == 0 {
        let a = rng.pick(ATOMS).to_string();
        return if rng.below(6) == 0 { format!("not {a}") } else { a };
    }
    let l = expression(rng, depth - 1);
    let r = expression(rng, depth - 1);
    match rng.below(5) {
        0 => format!("{l} and {r}"),
        1 => format!("{l} or {r}"),
        2 => format!("({l}) and not ({r})"),
        3 => format!("({l} or {r})"),
        _ => format!("{l} && ({r})"),
    }
}

fn garbage(rng: &mut Rng) -> String {
    let n = 1 + rng.below(12);
    (0..n).map(|_| rng.pick(GARBAGE)).collect::<Vec<_>>().join(if rng.below(2) == 0 { " " } else { "" })
}

#[test]
fn random_expressions_compile_to_valid_equivalent_programs() {
    // FILTER_PROPERTY_CASES / FILTER_PROPERTY_SEED widen the search by hand.
    let cases: usize = std::env::var("FILTER_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let seed: u64 =
        std::env::var("FILTER_PROPERTY_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let frames = packets::ethernet_corpus();
    let linktypes = [LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::Raw, LinkType::Null];
    let corpora: Vec<Vec<Vec<u8>>> = [1, 113, 276, 12, 0].iter().map(|d| packets::for_linktype(*d, &frames)).collect();
    let (mut compiled, mut compared) = (0, 0);
    for case in 0..cases {
        let expr = if case % 3 == 2 { garbage(&mut rng) } else { expression(&mut rng, 3) };
        let li = rng.below(linktypes.len());
        let mut opts = Options::new(linktypes[li], 65535, 0xffff_ff00);
        opts.vlan_extensions = case % 7 == 0;
        let optimized = filter::compile_with(&expr, &opts);
        opts.optimize = false;
        let plain = filter::compile_with(&expr, &opts);
        for p in [&optimized, &plain].into_iter().flatten() {
            p.validate().unwrap_or_else(|e| panic!("{expr:?}: invalid program: {e}"));
        }
        if let (Ok(o), Ok(p)) = (&optimized, &plain) {
            compiled += 1;
            for pkt in &corpora[li] {
                // Padded so that no load runs off the end: a program may
                // legitimately skip a load that turns out to be unneeded,
                // and on a short packet that changes the result (libpcap's
                // optimizer does the same). With metadata, for the same
                // reason with ancillary loads (inbound, ifindex).
                let mut padded = pkt.clone();
                padded.resize(pkt.len() + 2048, 0);
                let wire = padded.len() as u32;
                let meta = Ancillary { ifindex: 3, ..Ancillary::default() };
                let a = filter::try_run(o.instructions(), &padded, wire, Some(&meta));
                let b = filter::try_run(p.instructions(), &padded, wire, Some(&meta));
                // Loads can still leave the packet (negative or huge
                // offsets); such runs say nothing about equivalence.
                if let (Some(a), Some(b)) = (a, b) {
                    assert_eq!(a, b, "{expr:?} on {:?}: optimized {a}, unoptimized {b}", linktypes[li]);
                }
                compared += 1;
            }
        }
    }
    println!("{compiled} expressions compiled, {compared} verdicts compared");
    assert!(compiled > cases / 3);
}

#[test]
fn regression_inputs_do_not_panic() {
    // Inputs found by fuzzing, and hostile shapes.
    let long_and = vec!["tcp"; 400].join(" and ");
    let deep = format!("{}tcp{}", "(".repeat(500), ")".repeat(500));
    let deep_arith = format!("{}1{} = 1", "(".repeat(300), ")".repeat(300));
    let neg = format!("{}1 = 1", "-".repeat(400));
    let unspaced = vec!["tcp"; 5000].join("&&");
    let unspaced_or = vec!["port 1"; 1500].join("||");
    let chain = vec!["1"; 1500].join("+") + "=1";
    // Just under the token limit: deep trees and large graphs.
    let near_and = vec!["tcp"; 600].join("&&");
    let near_or = vec!["port 1"; 600].join("||");
    let near_not = "!".repeat(190) + "tcp";
    let inputs: Vec<String> = vec![
        unspaced,
        unspaced_or,
        near_and,
        near_or,
        near_not,
        chain,
        long_and,
        deep,
        deep_arith,
        neg,
        "::".into(),
        ":::::::".into(),
        "ether host 0:0:0:0:0:0:0".into(),
        "tcp[0:4294967295] = 1".into(),
        "ip[4294967295] = 1".into(),
        "len / (1 - 1) = 0".into(),
        "\\".into(),
        "host \u{e9}".into(),
        "port 1-".into(),
        "portrange -".into(),
        "net 10.0.0.0 mask 255".into(),
        "geneve and geneve and geneve and geneve and geneve and geneve".into(),
        "vlan and vlan and vlan and vlan and vlan and vlan and vlan".into(),
        "mpls and mpls and mpls and mpls and pppoes and ip".into(),
        "1 - 2 - 3 - 4 - 5 - 6 - 7 - 8 - 9 - 10 - 11 - 12 - 13 - 14 - 15 - 16 - 17 = 0".into(),
    ];
    for e in &inputs {
        for lt in [LinkType::Ethernet, LinkType::Raw] {
            if let Ok(p) = filter::compile_with(e, &Options::new(lt, 65535, 0)) {
                p.validate().unwrap_or_else(|err| panic!("{e:?}: {err}"));
            }
        }
    }
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions")).into_iter().flatten().flatten()
    {
        let data = std::fs::read(f.path()).unwrap_or_default();
        if let Ok(e) = std::str::from_utf8(&data) {
            if let Ok(p) = filter::compile(e, 1, 65535, 0) {
                p.validate().unwrap_or_else(|err| panic!("{}: {err}", f.path().display()));
            }
        }
    }
}
