//! Parser and compiler fuzz target (seeds in fuzz/seeds/filter_compile,
//! written by fuzz/seeds/make.py; tokens in fuzz/filter_compile.dict). See
//! fuzz/common/filter_check.rs for the input's layout and what is checked.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/filter_check.rs"]
mod filter_check;

fuzz_target!(|data: &[u8]| {
    let _ = filter_check::check(data);
});
