//! Parser and compiler fuzz target: no input may panic or hang, every
//! program that compiles must pass the validator, and the optimized
//! program must give the unoptimized one's verdict on the packet.
//!
//! Input: a link type byte, an options byte, a packet length byte, the
//! packet, then the expression. The first two bytes pick the link type
//! among every DLT libpcap's code generator accepts (-1 to 510, unknown
//! ones included, so every model is reached) and the options.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ringcap::filter::{self, Ancillary, LinkType, Options};

fuzz_target!(|data: &[u8]| {
    let [dlt, sel, plen, rest @ ..] = data else { return };
    let (pkt, expr) = rest.split_at(usize::from(*plen).min(rest.len()));
    let Ok(expr) = std::str::from_utf8(expr) else { return };
    let dlt = i32::from(*dlt) + if sel & 32 != 0 { 256 } else { 0 } - 1;
    let Some(lt) = LinkType::from_dlt(dlt) else {
        assert!(filter::compile(expr, dlt, 65535, 0).is_err(), "dlt {dlt} is not a link type");
        return;
    };
    let mut opts = Options::new(lt, 65535, 0xffff_ff00);
    opts.vlan_extensions = sel & 16 != 0;
    opts.savefile = sel & 64 != 0;
    opts.swapped = sel & 128 != 0;
    let optimized = filter::compile_with(expr, &opts);
    opts.optimize = false;
    let plain = filter::compile_with(expr, &opts);
    for p in [&optimized, &plain].into_iter().flatten() {
        if let Err(e) = p.validate() {
            panic!("compiled program fails validation: {e}\n{}", p.dump(filter::DumpFormat::Image));
        }
    }
    let (Ok(o), Ok(p)) = (optimized, plain) else { return };
    // Padded as in tests/filter_properties.rs: the optimizer may drop a
    // load it proves unneeded, which changes the verdict only on a packet
    // that ends before that load.
    let mut padded = pkt.to_vec();
    padded.resize(pkt.len() + 2048, 0);
    let wire = if sel & 8 != 0 { padded.len() as u32 } else { pkt.len() as u32 };
    let meta = Ancillary { ifindex: 3, ..Ancillary::default() };
    let a = filter::try_run(o.instructions(), &padded, wire, Some(&meta));
    let b = filter::try_run(p.instructions(), &padded, wire, Some(&meta));
    if let (Some(a), Some(b)) = (a, b) {
        assert_eq!(
            a,
            b,
            "dlt {dlt} {expr:?}: optimized {a}, unoptimized {b}\noptimized:\n{}\nunoptimized:\n{}",
            o.dump(filter::DumpFormat::Image),
            p.dump(filter::DumpFormat::Image)
        );
    }
});
