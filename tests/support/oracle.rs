//! Runs libpcap (through tests/support/filter_oracle.c, built here with the
//! cc crate's compiler detection) in a child process, so that libpcap is
//! never linked into a Rust test binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

pub struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn build() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // One binary per oracle: tests in one process start oracles in parallel.
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("filter_oracle_{}_{n}", std::process::id()));
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let mut cmd =
        cc::Build::new().opt_level(0).host(&target).target(&target).cargo_metadata(false).get_compiler().to_command();
    cmd.arg(root.join("tests/support/filter_oracle.c")).arg("-o").arg(&out).arg("-lpcap");
    let status = cmd.status().expect("running the C compiler");
    assert!(status.success(), "building the libpcap oracle failed (is libpcap-dev installed?)");
    out
}

impl Oracle {
    pub fn start() -> Oracle {
        let exe = build();
        let mut child =
            Command::new(&exe).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("starting the oracle");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let _ = std::fs::remove_file(&exe);
        Oracle { child, stdin, stdout }
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.stdout.read_line(&mut s).expect("reading the oracle");
        s.trim_end_matches('\n').to_string()
    }

    pub fn set_packets(&mut self, pkts: &[(Vec<u8>, u32)]) {
        writeln!(self.stdin, "R").unwrap();
        for (p, wire) in pkts {
            let hex: String = p.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(self.stdin, "P {wire} {hex}").unwrap();
        }
    }

    /// Err(message) or Ok((program length, verdict per packet)).
    pub fn eval(&mut self, dlt: i32, snaplen: u32, netmask: u32, expr: &str) -> Result<(usize, Vec<u32>), String> {
        self.eval_cmd('E', dlt, snaplen, netmask, expr)
    }

    /// Like [`Oracle::eval`] with libpcap's optimizer off.
    pub fn eval_unoptimized(
        &mut self,
        dlt: i32,
        snaplen: u32,
        netmask: u32,
        expr: &str,
    ) -> Result<(usize, Vec<u32>), String> {
        self.eval_cmd('U', dlt, snaplen, netmask, expr)
    }

    fn eval_cmd(
        &mut self,
        cmd: char,
        dlt: i32,
        snaplen: u32,
        netmask: u32,
        expr: &str,
    ) -> Result<(usize, Vec<u32>), String> {
        writeln!(self.stdin, "{cmd} {dlt} {snaplen} {netmask} {expr}").unwrap();
        self.stdin.flush().unwrap();
        let l = self.line();
        if let Some(m) = l.strip_prefix("ERR ") {
            return Err(m.to_string());
        }
        let rest = l.strip_prefix("OK ").unwrap_or_else(|| panic!("oracle said {l:?}"));
        let (len, verdicts) = rest.split_once(' ').unwrap_or((rest, ""));
        let v = verdicts.split(',').filter(|s| !s.is_empty()).map(|s| s.parse::<i64>().unwrap() as u32).collect();
        Ok((len.parse().unwrap(), v))
    }

    /// libpcap's listing of `expr` (tcpdump -d / -dd / -ddd).
    pub fn dump(&mut self, dlt: i32, snaplen: u32, optimize: bool, mode: i32, expr: &str) -> Result<String, String> {
        writeln!(self.stdin, "D {dlt} {snaplen} 0 {} {mode} {expr}", u8::from(optimize)).unwrap();
        self.stdin.flush().unwrap();
        let mut out = String::new();
        loop {
            let l = self.line();
            if l == "END" {
                break;
            }
            if let Some(m) = l.strip_prefix("ERR ") {
                let _ = self.line();
                return Err(m.to_string());
            }
            out.push_str(&l);
            out.push('\n');
        }
        Ok(out)
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
