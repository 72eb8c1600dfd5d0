//! Replays the filter fuzz target's seed corpus (fuzz/seeds/filter_compile,
//! plus any reproducers kept in fuzz/regressions/filter_compile) with the
//! target's own checks: every program valid with and without the
//! optimizer, the same verdict from both, unknown link types refused.

use std::path::Path;

#[path = "../fuzz/common/filter_check.rs"]
mod filter_check;

use filter_check::Outcome;

#[test]
fn seed_corpus_and_regressions_pass_the_fuzz_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["seeds/filter_compile", "regressions/filter_compile"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    files.sort();
    assert!(files.len() >= 441, "seed corpus missing: run fuzz/seeds/make.py");
    let (mut compared, mut unknown, mut rejected) = (0, 0, 0);
    for path in &files {
        match filter_check::check(&std::fs::read(path).unwrap()) {
            Outcome::Compiled { compared: true } => compared += 1,
            Outcome::UnknownLinkType => unknown += 1,
            Outcome::Rejected => rejected += 1,
            Outcome::Compiled { compared: false } | Outcome::Skipped => {}
        }
    }
    println!("{} inputs: {compared} compared, {rejected} rejected, {unknown} unknown link types", files.len());
    // The seeds are the bench's expressions on the bench's link types plus
    // three DLTs libpcap does not know (1 seed in 22 each).
    assert!(compared > files.len() / 2, "only {compared} of {} inputs compiled and compared", files.len());
    assert!(unknown >= 3 * files.len() / 22 - 3, "only {unknown} inputs reached an unknown link type");
}
