//! Shared helpers for the savefile tests: the libpcap oracle, a report
//! format both libpcap and ringcap results are printed in, external tool
//! invocation that fails loudly, and builders for hand-made files.
#![allow(dead_code)] // each test binary uses a different subset

/// Building and running C programs against libringcap.
pub mod c;
/// Private network namespaces.
pub mod netns;

use std::fmt::Write as _;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ringcap::savefile::{Precision, Reader};

/// A fresh scratch directory for one test.
pub fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("savefile").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs a tool, panicking with its stderr if it is missing or fails.
pub fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (it must be installed for this test): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("tool output is UTF-8")
}

/// The libpcap oracle (tests/support/pcap_oracle.c built against the
/// system libpcap), compiled once per test binary.
pub fn oracle() -> &'static Path {
    static ORACLE: OnceLock<PathBuf> = OnceLock::new();
    ORACLE.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pcap_oracle.c");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        fs::create_dir_all(dir).expect("target tmpdir");
        // Per-process name: test binaries run concurrently.
        let bin = dir.join(format!("pcap_oracle-{}", std::process::id()));
        run("cc", &["-O1", "-Wall", "-o", bin.to_str().unwrap(), src.to_str().unwrap(), "-lpcap"]);
        bin
    })
}

pub fn prec_name(p: Precision) -> &'static str {
    match p {
        Precision::Micro => "micro",
        Precision::Nano => "nano",
    }
}

/// libpcap's report for each file, in order.
pub fn oracle_reports(files: &[PathBuf], p: Precision) -> Vec<String> {
    let mut reports = Vec::new();
    for chunk in files.chunks(200) {
        let mut args = vec!["read".to_string(), prec_name(p).to_string()];
        args.extend(chunk.iter().map(|f| f.to_str().unwrap().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = stdout(&run(oracle().to_str().unwrap(), &args));
        let mut parts = out.split("== ").filter(|s| !s.is_empty());
        for f in chunk {
            let part = parts.next().unwrap_or_else(|| panic!("oracle gave no report for {f:?}"));
            let (name, body) = part.split_once('\n').unwrap();
            assert_eq!(name, f.to_str().unwrap());
            reports.push(body.to_string());
        }
    }
    reports
}

pub fn oracle_report(file: &Path, p: Precision) -> String {
    oracle_reports(&[file.to_path_buf()], p).pop().unwrap()
}

/// ringcap's report for a byte stream, in the oracle's format.
pub fn ringcap_report_from<R: std::io::Read>(input: R, p: Precision) -> String {
    let mut s = String::new();
    let mut r = match Reader::open_with_precision(input, p) {
        Ok(r) => r,
        Err(e) => return format!("OPEN_ERR {}\n", e.message()),
    };
    let i = *r.info();
    writeln!(
        s,
        "INFO dlt={} snap={} version={}.{} swapped={}",
        i.dlt, i.snaplen, i.version_major, i.version_minor, i.swapped as u8
    )
    .unwrap();
    loop {
        match r.next_packet() {
            Ok(None) => {
                s.push_str("EOF\n");
                break;
            }
            Err(e) => {
                writeln!(s, "ERR {}", e.message()).unwrap();
                break;
            }
            Ok(Some(pkt)) => {
                let h = pkt.header;
                assert_eq!(pkt.data.len(), h.caplen as usize, "data length is caplen");
                write!(s, "P {} {} {} {} ", h.ts_sec, h.ts_frac, h.caplen, h.len).unwrap();
                for b in pkt.data {
                    write!(s, "{b:02x}").unwrap();
                }
                s.push('\n');
            }
        }
    }
    s
}

pub fn ringcap_report(file: &Path, p: Precision) -> String {
    let f = fs::File::open(file).unwrap_or_else(|e| panic!("open {file:?}: {e}"));
    ringcap_report_from(BufReader::new(f), p)
}

/// A tiny deterministic PRNG (xorshift64*), so tests need no crates.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Byte order for hand-built files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
    pub fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
    pub fn u64(self, v: u64) -> [u8; 8] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

/// Hand-built classic pcap.
pub struct PcapFile {
    pub e: Endian,
    pub bytes: Vec<u8>,
    /// Record header length (24 for the Kuznetzov format).
    modified: bool,
}

impl PcapFile {
    pub fn new(e: Endian, magic: u32, version: (u16, u16), snaplen: u32, linktype: u32) -> Self {
        let mut bytes = Vec::new();
        bytes.extend(e.u32(magic));
        bytes.extend(e.u16(version.0));
        bytes.extend(e.u16(version.1));
        bytes.extend(e.u32(0));
        bytes.extend(e.u32(0));
        bytes.extend(e.u32(snaplen));
        bytes.extend(e.u32(linktype));
        PcapFile { e, bytes, modified: magic == 0xa1b2_cd34 }
    }

    pub fn record(mut self, sec: u32, frac: u32, caplen: u32, len: u32, data: &[u8]) -> Self {
        let e = self.e;
        for v in [sec, frac, caplen, len] {
            self.bytes.extend(e.u32(v));
        }
        if self.modified {
            self.bytes.extend(e.u32(3)); // ifindex
            self.bytes.extend(e.u16(0x0800)); // protocol
            self.bytes.extend([0, 0]); // pkt_type, pad
        }
        self.bytes.extend(data);
        self
    }
}

/// Hand-built pcapng.
pub struct NgFile {
    pub e: Endian,
    pub bytes: Vec<u8>,
}

/// pcapng option: code, value (padded here).
pub fn opt(e: Endian, code: u16, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(e.u16(code));
    v.extend(e.u16(value.len() as u16));
    v.extend(value);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

impl NgFile {
    pub fn new(e: Endian) -> Self {
        NgFile { e, bytes: Vec::new() }.shb(e, (1, 0))
    }

    /// Any block: type, body (padded to 4 here).
    pub fn block(mut self, block_type: u32, body: &[u8]) -> Self {
        let e = self.e;
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let total = 12 + body.len() as u32;
        self.bytes.extend(e.u32(block_type));
        self.bytes.extend(e.u32(total));
        self.bytes.extend(body);
        self.bytes.extend(e.u32(total));
        self
    }

    /// A Section Header Block in byte order `e` (later blocks use it too).
    pub fn shb(mut self, e: Endian, version: (u16, u16)) -> Self {
        self.e = e;
        let mut body = Vec::new();
        body.extend(e.u32(0x1A2B_3C4D));
        body.extend(e.u16(version.0));
        body.extend(e.u16(version.1));
        body.extend(e.u64(u64::MAX));
        self.block(0x0A0D_0D0A, &body)
    }

    pub fn idb(self, linktype: u16, snaplen: u32, options: &[Vec<u8>]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u16(linktype));
        body.extend(e.u16(0));
        body.extend(e.u32(snaplen));
        for o in options {
            body.extend(o);
        }
        if !options.is_empty() {
            body.extend(opt(e, 0, &[]));
        }
        self.block(1, &body)
    }

    pub fn epb(self, iface: u32, ts: u64, caplen: u32, len: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u32(iface));
        body.extend(e.u32((ts >> 32) as u32));
        body.extend(e.u32(ts as u32));
        body.extend(e.u32(caplen));
        body.extend(e.u32(len));
        body.extend(data);
        self.block(6, &body)
    }

    pub fn spb(self, len: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u32(len));
        body.extend(data);
        self.block(3, &body)
    }

    /// Obsolete Packet Block.
    pub fn pb(self, iface: u16, ts: u64, caplen: u32, len: u32, data: &[u8]) -> Self {
        let e = self.e;
        let mut body = Vec::new();
        body.extend(e.u16(iface));
        body.extend(e.u16(0));
        body.extend(e.u32((ts >> 32) as u32));
        body.extend(e.u32(ts as u32));
        body.extend(e.u32(caplen));
        body.extend(e.u32(len));
        body.extend(data);
        self.block(2, &body)
    }
}

/// A packet-like payload of `n` bytes derived from `seed`.
pub fn payload(seed: u64, n: usize) -> Vec<u8> {
    Rng::new(seed).bytes(n)
}
