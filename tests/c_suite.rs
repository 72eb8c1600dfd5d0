//! Runs the C test suite (c-tests/*.c): each program is compiled strictly
//! against include/ringcap.h and the freshly built libringcap.so, then run
//! as its own process, which puts itself in a private network namespace.

mod support;

use support::c::{build_example, run_c_test, run_c_test_args, run_c_test_valgrind};

macro_rules! c_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run_c_test(stringify!($name)); })*
        /// Every c-tests/*.c program this file runs.
        const RUN: &[&str] = &[$(stringify!($name)),*, "rx_versions", "tx_versions", "tx_duplex", "tx_forward", "tx_errors"];
    };
}

c_tests!(
    rx_snaplen,
    rx_breakloop,
    rx_drops,
    rx_errors,
    rx_geometry,
    rx_any,
    rx_config,
    rx_waiting,
    rx_cancel,
    rx_hold,
    dlopen_exports,
    pcap_live,
    pcap_reentry,
    pcap_dump_full,
    pcap_inject,
    pcap_api,
    pcap_offline,
    filter_api,
    feat_fanout,
    feat_filter,
    feat_promisc,
    feat_direction,
    feat_timestamp,
    feat_vlan,
    feat_interfaces,
    feat_copy,
    feat_meta,
    feat_dumper,
    tx_options,
    tx_vnet,
);

/// Built with the test-hooks feature (`make test`), the library must export
/// the TX test hook and the tp_next_offset rejections run; a default build
/// exports none and the program skips them.
#[test]
fn tx_errors() {
    if cfg!(feature = "test-hooks") {
        run_c_test_args("tx_errors", &["hooks"]);
    } else {
        run_c_test("tx_errors");
    }
}

#[test]
fn every_c_program_is_run() {
    let dir = support::c::repo().join("c-tests");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "c") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(RUN.contains(&name.as_str()), "c-tests/{name}.c is not run by tests/c_suite.rs");
        }
    }
}

// Kernel features (issue 4), each in its own network namespace.

macro_rules! valgrind_tests {
    ($($name:ident: $prog:literal $args:expr),* $(,)?) => {
        $(#[test] fn $name() { run_c_test_valgrind($prog, $args); })*
    };
}

// Under memcheck: the pcap layer (dead handles, filters, savefiles, live
// capture and inject) and the native RX paths.
valgrind_tests!(
    valgrind_pcap_api: "pcap_api" &[],
    valgrind_pcap_offline: "pcap_offline" &[],
    valgrind_pcap_live: "pcap_live" &[],
    valgrind_pcap_inject: "pcap_inject" &[],
    valgrind_rx_errors: "rx_errors" &[],
    valgrind_rx_v3_raw: "rx_versions" &["3", "raw"],
    valgrind_rx_v2_dgram: "rx_versions" &["2", "dgram"],
    valgrind_feat_meta: "feat_meta" &[],
    valgrind_feat_dumper: "feat_dumper" &[],
);

macro_rules! c_test_args {
    ($($name:ident: $prog:literal $args:expr),* $(,)?) => {
        $(#[test] fn $name() { run_c_test_args($prog, $args); })*
    };
}

c_test_args!(
    rx_v1_raw: "rx_versions" &["1", "raw"],
    rx_v1_dgram: "rx_versions" &["1", "dgram"],
    rx_v2_raw: "rx_versions" &["2", "raw"],
    rx_v2_dgram: "rx_versions" &["2", "dgram"],
    rx_v3_raw: "rx_versions" &["3", "raw"],
    rx_v3_dgram: "rx_versions" &["3", "dgram"],
    tx_v1: "tx_versions" &["1"],
    tx_v2: "tx_versions" &["2"],
    tx_v3: "tx_versions" &["3"],
    tx_duplex_v1: "tx_duplex" &["1"],
    tx_duplex_v2: "tx_duplex" &["2"],
    tx_duplex_v3: "tx_duplex" &["3"],
);

/// examples/forward.c, built like the tests, driven by c-tests/tx_forward.c.
#[test]
fn tx_forward() {
    let forward = build_example("forward");
    run_c_test_args("tx_forward", &[forward.to_str().expect("UTF-8 path")]);
}
