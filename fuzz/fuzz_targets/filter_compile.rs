//! Parser and compiler fuzz target: no input may panic or hang, and every
//! program that compiles must pass the validator and run without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ringcap::filter::{self, LinkType, Options};

const LINKTYPES: [LinkType; 8] = [
    LinkType::Ethernet,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Raw,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Null,
    LinkType::Loop,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(expr) = std::str::from_utf8(rest) else { return };
    let mut opts = Options::new(LINKTYPES[usize::from(sel & 7)], 65535, 0xffff_ff00);
    opts.optimize = sel & 8 == 0;
    opts.vlan_extensions = sel & 16 != 0;
    if let Ok(p) = filter::compile_with(expr, &opts) {
        if let Err(e) = p.validate() {
            panic!("compiled program fails validation: {e}\n{}", p.dump(filter::DumpFormat::Image));
        }
        let _ = p.matches(rest, rest.len() as u32);
    }
});
