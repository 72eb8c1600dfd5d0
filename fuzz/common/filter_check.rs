//! What the filter fuzz target checks, shared with the test that replays
//! its corpus (tests/filter_fuzz_corpus.rs).
//!
//! Input: a link type byte, an options byte, a packet length byte, the
//! packet, then the expression. The link type byte and bit 5 of the
//! options byte pick the DLT among -1 to 510, so every link-layer model and
//! unknown types are reached. No input may panic or hang, a DLT the
//! compiler does not know must fail, every program compiled with and
//! without the optimizer must pass the validator, and the optimized
//! program must give the unoptimized one's verdict on the packet.

use ringcap::filter::{self, Ancillary, LinkType, Options};

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Too short, or the expression is not UTF-8.
    Skipped,
    /// The link type is unknown and was refused.
    UnknownLinkType,
    /// One of the two compiles failed (as it may: a syntax error).
    Rejected,
    /// Both compiled; `compared` is false when a run ended early (a load
    /// outside the padded packet), which says nothing about equivalence.
    Compiled { compared: bool },
}

pub fn check(data: &[u8]) -> Outcome {
    let [dlt, sel, plen, rest @ ..] = data else { return Outcome::Skipped };
    let (pkt, expr) = rest.split_at(usize::from(*plen).min(rest.len()));
    let Ok(expr) = std::str::from_utf8(expr) else { return Outcome::Skipped };
    let dlt = i32::from(*dlt) + if sel & 32 != 0 { 256 } else { 0 } - 1;
    let Some(lt) = LinkType::from_dlt(dlt) else {
        assert!(filter::compile(expr, dlt, 65535, 0).is_err(), "dlt {dlt} is not a link type");
        return Outcome::UnknownLinkType;
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
    let (Ok(o), Ok(p)) = (optimized, plain) else { return Outcome::Rejected };
    // Padded as in tests/filter_properties.rs: the optimizer may drop a
    // load it proves unneeded, which changes the verdict only on a packet
    // that ends before that load.
    let mut padded = pkt.to_vec();
    padded.resize(pkt.len() + 2048, 0);
    let wire = if sel & 8 != 0 { padded.len() as u32 } else { pkt.len() as u32 };
    let meta = Ancillary { ifindex: 3, ..Ancillary::default() };
    let a = filter::try_run(o.instructions(), &padded, wire, Some(&meta));
    let b = filter::try_run(p.instructions(), &padded, wire, Some(&meta));
    let (Some(a), Some(b)) = (a, b) else { return Outcome::Compiled { compared: false } };
    assert_eq!(
        a,
        b,
        "dlt {dlt} {expr:?}: optimized {a}, unoptimized {b}\noptimized:\n{}\nunoptimized:\n{}",
        o.dump(filter::DumpFormat::Image),
        p.dump(filter::DumpFormat::Image)
    );
    Outcome::Compiled { compared: true }
}
