//! The shared library exports the public C API and nothing else, under its soname.

mod support;

use std::process::Command;

use support::c::target_dir;

/// Prefixes of the public API.
const PUBLIC: &[&str] = &["ringcap_", "pcap_", "bpf_", "eproto_db"];

fn defined_dynamic_symbols() -> Vec<String> {
    let so = target_dir().join("libringcap.so");
    let out = Command::new("nm").args(["-D", "--defined-only", "--format=posix"]).arg(&so).output().expect("nm");
    assert!(out.status.success(), "nm failed on {}", so.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn only_the_public_api_is_exported() {
    let symbols = defined_dynamic_symbols();
    assert!(symbols.iter().any(|s| s == "ringcap_capture_open"), "API missing: {symbols:?}");
    let leaked: Vec<&String> = symbols.iter().filter(|s| !PUBLIC.iter().any(|p| s.starts_with(p))).collect();
    assert!(leaked.is_empty(), "non-API symbols exported: {leaked:?}");
}

/// Test-only exports, present only in a library built with the test-hooks
/// feature and declared in no header.
const TEST_HOOKS: &[&str] = &["ringcap_tx_test_set_next_offset"];

/// The `ringcap_*` functions the installed headers declare.
fn declared_ringcap_functions() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for header in ["include/ringcap.h", "include/pcap/pcap.h"] {
        let text = std::fs::read_to_string(support::c::repo().join(header)).unwrap();
        for (i, _) in text.match_indices("ringcap_") {
            let name: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let before = text[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
            if before && text[i + name.len()..].starts_with('(') {
                names.insert(name);
            }
        }
    }
    names
}

/// The library exports exactly the `ringcap_*` functions the headers
/// declare, plus the test hooks when (and only when) it was built with
/// the test-hooks feature.
#[test]
fn ringcap_exports_are_exactly_the_headers_functions() {
    let exported: std::collections::BTreeSet<String> =
        defined_dynamic_symbols().into_iter().filter(|s| s.starts_with("ringcap_")).collect();
    let mut expected = declared_ringcap_functions();
    if cfg!(feature = "test-hooks") {
        expected.extend(TEST_HOOKS.iter().map(|s| s.to_string()));
    }
    for hook in TEST_HOOKS {
        assert!(!declared_ringcap_functions().contains(*hook), "test hook {hook} is declared in a header");
    }
    let missing: Vec<&String> = expected.difference(&exported).collect();
    let extra: Vec<&String> = exported.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "declared but not exported: {missing:?}; exported but not declared: {extra:?} \
         (test hooks belong to `--features test-hooks` builds only)"
    );
}

#[test]
fn soname_is_major_versioned() {
    let so = target_dir().join("libringcap.so");
    let out = Command::new("readelf").arg("-d").arg(&so).output().expect("readelf");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Library soname: [libringcap.so.0]"), "{text}");
}

/// Every symbol Debian's libpcap 1.10 exports (tests/pcap/libpcap-1.10-exports.txt,
/// from `nm -D libpcap.so.0.8`) is exported by libringcap too: under
/// LD_PRELOAD a missing one would fall through to the real libpcap with a
/// ringcap handle.
#[test]
fn every_libpcap_symbol_is_exported() {
    let list = std::fs::read_to_string(support::c::repo().join("tests/pcap/libpcap-1.10-exports.txt")).unwrap();
    let symbols = defined_dynamic_symbols();
    let missing: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim_end_matches(" *").trim())
        .filter(|name| !symbols.iter().any(|s| s == name))
        .collect();
    assert!(missing.is_empty(), "libpcap symbols not exported: {missing:?}");
}

/// Every libpcap function and data symbol is used by at least one C program
/// of the test suites (c-tests/pcap_*.c built against ringcap's headers,
/// tests/pcap/*.c compiled against libpcap and, with ringcap's own headers, against ringcap).
#[test]
fn every_libpcap_symbol_is_exercised_from_c() {
    let root = support::c::repo();
    let list = std::fs::read_to_string(root.join("tests/pcap/libpcap-1.10-exports.txt")).unwrap();
    let mut sources = String::new();
    for dir in ["c-tests", "tests/pcap"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "c") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let used = |name: &str| {
        sources.match_indices(name).any(|(i, _)| {
            let before = sources[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
            let after = sources[i + name.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_');
            before && after
        })
    };
    let unused: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim_end_matches(" *").trim())
        .filter(|name| !used(name))
        .collect();
    assert!(unused.is_empty(), "not exercised by any C test: {unused:?}");
}
