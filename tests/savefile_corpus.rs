//! Replays the savefile fuzz target's seed corpus (fuzz/seeds/savefile_read,
//! plus any crash reproducers kept in fuzz/regressions/savefile_read) with
//! the target's own checks, and reads each file once more mapped into
//! memory, as pcap_open_offline does: same packets, same error, and the
//! file on disk untouched by the in-place pseudo-header conversion.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ringcap::savefile::{PacketHeader, Precision, Reader, Writer, WriterConfig};

#[path = "../fuzz/common/savefile_check.rs"]
mod savefile_check;

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("savefile-corpus-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn seed_corpus_replays_cleanly_in_every_reading_mode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = inputs(&root.join("seeds/savefile_read"));
    assert!(seeds.len() >= 30, "seed corpus missing: run fuzz/seeds/make.py");
    let mut packets = 0;
    let mut errors = 0;
    for path in seeds.iter().chain(inputs(&root.join("regressions/savefile_read")).iter()) {
        let input = fs::read(path).unwrap();
        let Some(outcome) = savefile_check::check(&input) else { continue };
        let (precision, file) = savefile_check::split(&input).unwrap();
        let on_disk = scratch(&path.file_name().unwrap().to_string_lossy());
        fs::write(&on_disk, file).unwrap();
        let mapped = savefile_check::read_all(Reader::open_mapped(fs::File::open(&on_disk).unwrap(), precision));
        assert_eq!(outcome, mapped, "{}: mapped reading differs", path.display());
        assert_eq!(fs::read(&on_disk).unwrap(), file, "{}: reading changed the file", path.display());
        packets += outcome.1.len();
        errors += usize::from(outcome.2.is_some());
    }
    // The corpus is meant to reach both packets and errors.
    assert!(packets > 50 && errors >= 5, "{packets} packets, {errors} errors");
}

/// A file still being written: records added after the mapping was made
/// are read from the stream once the mapped part is used up, including a
/// record split across the two.
#[test]
fn mapped_reader_follows_a_growing_file() {
    let path = scratch("growing.pcap");
    let cfg = WriterConfig::new(1, 65535, Precision::Micro);
    let mut w = Writer::new(Vec::new(), "memory", &cfg).unwrap();
    for i in 0..20u32 {
        let h = PacketHeader { ts_sec: i64::from(i), ts_frac: 0, caplen: 40 + i, len: 100 };
        w.dump(&h, &[i as u8; 100]).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let split = bytes.len() / 2 + 7;
    fs::write(&path, &bytes[..split]).unwrap();
    let mut r = Reader::open_mapped(fs::File::open(&path).unwrap(), Precision::Micro).unwrap();
    fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&bytes[split..]).unwrap();
    let mut n = 0u32;
    while let Some(p) = r.next_packet().unwrap() {
        assert_eq!((p.header.caplen, p.data[0]), (40 + n, n as u8), "packet {n}");
        n += 1;
    }
    assert_eq!(n, 20);
}
