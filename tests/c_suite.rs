//! Runs the C test suite (c-tests/*.c): each program is compiled strictly
//! against include/ringcap.h and the freshly built libringcap.so, then run
//! as its own process, which puts itself in a private network namespace.

mod support;

use support::c::{build_example, run_c_test, run_c_test_args};

macro_rules! c_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run_c_test(stringify!($name)); })*
    };
}

c_tests!(rx_snaplen, rx_breakloop, rx_drops, rx_errors, dlopen_exports, tx_errors, tx_options);

macro_rules! c_rx_matrix {
    ($($name:ident: $args:expr),* $(,)?) => {
        $(#[test] fn $name() { run_c_test_args("rx_versions", $args); })*
    };
}

c_rx_matrix!(
    rx_v1_raw: &["1", "raw"],
    rx_v1_dgram: &["1", "dgram"],
    rx_v2_raw: &["2", "raw"],
    rx_v2_dgram: &["2", "dgram"],
    rx_v3_raw: &["3", "raw"],
    rx_v3_dgram: &["3", "dgram"],
);

macro_rules! c_test_args {
    ($($name:ident: $prog:literal $args:expr),* $(,)?) => {
        $(#[test] fn $name() { run_c_test_args($prog, $args); })*
    };
}

c_test_args!(
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
