//! The README's demo: examples/capture.c built through pkg-config against an
//! installed copy of the library, capturing real traffic between two
//! throwaway network namespaces.

mod support;

use std::process::Command;

use support::c::{repo, target_dir};

#[test]
fn demo_captures_the_traffic_it_sends() {
    let out = Command::new("bash").arg(repo().join("examples/demo.sh")).arg(target_dir()).output().expect("demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    let count = |needle: &str| stdout.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(count("UDP, length 57"), 5, "{stdout}");
    assert_eq!(count(" ICMP, length 85"), 5, "{stdout}");
    assert_eq!(count(" TCP, length"), 4, "{stdout}");
    assert!(count(" ARP ") >= 2, "{stdout}");
    let captured = count(", length ");
    assert!(stdout.contains(&format!("{captured} packets captured")), "{stdout}");
    assert!(stdout.contains("0 packets dropped by kernel"), "{stdout}");
}
