//! Savefile fuzz target: a selector byte and a pcap or pcapng file (seeds in
//! fuzz/seeds/savefile_read, written by fuzz/seeds/make.py). See
//! fuzz/common/savefile_check.rs for what is checked.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/savefile_check.rs"]
mod savefile_check;

fuzz_target!(|data: &[u8]| {
    let _ = savefile_check::check(data);
});
