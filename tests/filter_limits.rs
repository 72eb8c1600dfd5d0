//! Long and deeply nested expressions: accepted where libpcap accepts them
//! (checked against libpcap through the oracle), and the nesting bound,
//! which only guards the stack, holds on a caller with a small stack.

#[path = "support/oracle.rs"]
mod oracle;

use ringcap::filter;

fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

fn long_expressions() -> Vec<String> {
    let alternatives = (0..50).map(|_| "(tcp)".to_string()).collect::<Vec<_>>().join(" or ");
    let terms = (0..60)
        .map(|i| format!("(src host 10.0.{}.{} and dst port {})", i / 250, i % 250 + 1, 1000 + i))
        .collect::<Vec<_>>()
        .join(" or ");
    // libpcap's optimizer takes minutes from about 1000 hosts on.
    let hosts = (0..150).map(|i| format!("host 10.0.{}.{}", i / 256, i % 256)).collect::<Vec<_>>();
    vec![
        nested(12, "tcp"),
        nested(100, "udp port 53"),
        alternatives,
        terms,
        hosts.join(" or "),
        format!("not ({})", hosts[..100].join(" or ")),
    ]
}

#[test]
fn long_and_nested_expressions_compile_as_with_libpcap() {
    let mut oracle = oracle::Oracle::start();
    let pkt = vec![0u8; 64];
    oracle.set_packets(&[(pkt.clone(), 64)]);
    for e in long_expressions() {
        let theirs = oracle.eval(1, 65535, 0, &e);
        let ours = filter::compile(&e, 1, 65535, 0);
        let short = &e[..e.len().min(60)];
        match (&theirs, &ours) {
            (Ok((_, want)), Ok(p)) => assert_eq!(p.matches(&pkt, 64), want[0], "{short}…"),
            _ => panic!("{short}… (len {}): libpcap {:?}, ringcap {:?}", e.len(), theirs.err(), ours.err()),
        }
    }
}

/// No bound on the expression's length: a list of hosts as long as the
/// kernel's 4096 instructions allow.
#[test]
fn long_host_lists_compile() {
    let e = (0..1000).map(|i| format!("ip src host 10.0.{}.{}", i / 256, i % 256)).collect::<Vec<_>>().join(" or ");
    let p = filter::compile(&e, 228, 65535, 0).expect("1000 hosts");
    let pkt = |last: u8| {
        let mut v = vec![0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 3, last, 192, 168, 0, 1];
        v.truncate(20);
        v
    };
    // 10.0.3.231 is host number 1000 - 1; 10.0.3.232 is not in the list.
    assert_eq!(p.matches(&pkt(231), 20), 65535);
    assert_eq!(p.matches(&pkt(232), 20), 0);
}

#[test]
fn nesting_bound_holds_on_a_small_stack() {
    // The caller's stack does not matter: the compiler runs on its own.
    let worker = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(|| {
            let ok = filter::compile(&nested(999, "tcp"), 1, 65535, 0).map(|p| p.instructions().len());
            let deep = filter::compile(&nested(100_000, "tcp"), 1, 65535, 0).map(|_| ());
            let nots = filter::compile(&format!("{}tcp", "not ".repeat(100_000)), 1, 65535, 0).map(|_| ());
            (ok, deep, nots)
        })
        .unwrap();
    let (ok, deep, nots) = worker.join().expect("the compiler must not overflow the stack");
    assert!(ok.is_ok(), "999 levels: {ok:?}");
    for r in [deep, nots] {
        let e = r.expect_err("100000 levels must be refused");
        assert!(e.message().contains("expression nested too deeply"), "{}", e.message());
    }
}
