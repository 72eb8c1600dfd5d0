//! Parser and compiler fuzz target: no input may panic or hang, and every
//! program that compiles must pass the validator and run without panicking.
//! The first two bytes pick the link type among every DLT libpcap's code
//! generator accepts (0-300, unknown ones included) and the options.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ringcap::filter::{self, LinkType, Options};

fuzz_target!(|data: &[u8]| {
    let [dlt, sel, rest @ ..] = data else { return };
    let Ok(expr) = std::str::from_utf8(rest) else { return };
    let dlt = i32::from(*dlt) + if sel & 32 != 0 { 256 } else { 0 } - 1;
    let Some(lt) = LinkType::from_dlt(dlt) else {
        assert!(filter::compile(expr, dlt, 65535, 0).is_err(), "dlt {dlt} is not a link type");
        return;
    };
    let mut opts = Options::new(lt, 65535, 0xffff_ff00);
    opts.optimize = sel & 8 == 0;
    opts.vlan_extensions = sel & 16 != 0;
    opts.savefile = sel & 64 != 0;
    opts.swapped = sel & 128 != 0;
    if let Ok(p) = filter::compile_with(expr, &opts) {
        if let Err(e) = p.validate() {
            panic!("compiled program fails validation: {e}\n{}", p.dump(filter::DumpFormat::Image));
        }
        let _ = p.matches(rest, rest.len() as u32);
    }
});
