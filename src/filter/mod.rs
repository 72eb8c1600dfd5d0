//! The pcap-filter language compiled to classic BPF, with the tools around
//! it: a validator with the kernel's rules, an interpreter with the
//! kernel's semantics, an optimizer, and tcpdump-style listings.
//!
//! Pipeline: `lexer` → `parser` (AST in `ast`) → `codegen` (libpcap's
//! gencode, as conditions over test blocks in `ir`) → `optimize` → `emit`
//! (linear BPF) → `validate`. `interp` runs programs, `print` lists them.
//!
//! Where the result can differ from libpcap's `pcap_compile` (tested by
//! tests/filter_differential.rs against the system libpcap):
//! - packets shorter than a load the program makes: both optimizers drop or
//!   reorder loads, not always the same ones, and a load past the end ends
//!   the filter with 0;
//! - `protochain` follows at most 4 headers (libpcap loops with a backward
//!   jump, which the kernel refuses);
//! - after a Geneve test that did not match, libpcap reads uninitialised
//!   scratch memory; here such tests end the filter with 0;
//! - "expression rejects all packets" is reported when this optimizer
//!   proves the filter empty, which it sometimes can where libpcap's cannot;
//! - the live-capture VLAN code (`Options::vlan_extensions`) is ringcap's
//!   own (kernel metadata or inline tag, payload offset kept in a scratch
//!   register), not libpcap's.
//!
//! ```
//! use ringcap::filter;
//! let prog = filter::compile("tcp port 80", 1, 262144, 0).unwrap();
//! assert!(prog.validate().is_ok());
//! ```

mod ast;
mod codegen;
mod emit;
mod insn;
mod interp;
mod ir;
mod lexer;
pub(crate) mod names;
mod optimize;
mod parser;
mod print;
mod validate;

pub use insn::Insn;
pub use interp::{run_cached, Ancillary, Prepared};
pub use print::DumpFormat;

use crate::error::{Error, ErrorCode, Result};
use ir::{Graph, Next};

/// Link types the compiler knows, by their DLT_ numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// DLT_EN10MB (1).
    Ethernet,
    /// DLT_LINUX_SLL (113).
    LinuxSll,
    /// DLT_LINUX_SLL2 (276).
    LinuxSll2,
    /// DLT_RAW (12 on Linux, 14 elsewhere; LINKTYPE_RAW 101 in files).
    Raw,
    /// DLT_IPV4 (228).
    Ipv4,
    /// DLT_IPV6 (229).
    Ipv6,
    /// DLT_NULL (0): BSD loopback, family in host byte order.
    Null,
    /// DLT_LOOP (108): OpenBSD loopback, family in network byte order.
    Loop,
    /// DLT_NFLOG (239): only link[] and length tests, as in libpcap.
    Nflog,
}

impl LinkType {
    pub fn from_dlt(dlt: i32) -> Option<LinkType> {
        Some(match dlt {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            12 | 14 | 101 => LinkType::Raw,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            239 => LinkType::Nflog,
            _ => return None,
        })
    }
}

/// Netmask value meaning "unknown" (PCAP_NETMASK_UNKNOWN).
pub const NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// Everything that shapes the compiled program.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub linktype: LinkType,
    /// What an accepting filter returns (bytes to keep).
    pub snaplen: u32,
    /// The network's mask, for `ip broadcast`; [`NETMASK_UNKNOWN`] if unknown.
    pub netmask: u32,
    pub optimize: bool,
    /// Generate VLAN tests for a live Linux socket, where the kernel strips
    /// the outer tag into metadata (SKF_AD_VLAN_TAG_PRESENT). Off by
    /// default, which matches libpcap compiling for a dead handle.
    pub vlan_extensions: bool,
}

impl Options {
    pub fn new(linktype: LinkType, snaplen: u32, netmask: u32) -> Options {
        Options { linktype, snaplen, netmask, optimize: true, vlan_extensions: false }
    }
}

/// A compiled, validated BPF program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
}

/// Compiles `expr` for a DLT link type, like `pcap_compile` with
/// optimization on a `pcap_open_dead(linktype, snaplen)` handle.
pub fn compile(expr: &str, linktype: i32, snaplen: u32, netmask: u32) -> Result<Program> {
    let lt = LinkType::from_dlt(linktype).ok_or_else(|| {
        Error::invalid(format!(
            "link type {linktype} is not supported (supported: 1 EN10MB, 113 LINUX_SLL, 276 LINUX_SLL2, 12/14/101 RAW, 228 IPV4, 229 IPV6, 0 NULL, 108 LOOP)"
        ))
    })?;
    compile_with(expr, &Options::new(lt, snaplen, netmask))
}

/// Stack for the compiler's recursive passes: an expression's tree is as
/// deep as the expression is long (`a or b or …`), and a thread's default
/// stack is too small for the longest expression the parser accepts.
const COMPILER_STACK: usize = 64 << 20;

pub fn compile_with(expr: &str, opts: &Options) -> Result<Program> {
    std::thread::scope(|scope| {
        let worker =
            std::thread::Builder::new().stack_size(COMPILER_STACK).spawn_scoped(scope, || compile_here(expr, opts));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(Error::new(ErrorCode::FilterSyntax, "internal error: the filter compiler panicked"))
            }),
            // No thread to be had: compile on this one.
            Err(_) => compile_here(expr, opts),
        }
    })
}

fn compile_here(expr: &str, opts: &Options) -> Result<Program> {
    let ast = parser::parse(expr)?;
    let mut gen = codegen::Gen::new(opts.linktype, opts.netmask, opts.vlan_extensions);
    let mut cond = gen.node(&ast)?;
    if !gen.prologue.is_empty() {
        let init = ir::Cond::effects(std::mem::take(&mut gen.prologue), ir::Test::Always, false);
        cond = ir::Cond::and(init, cond);
    }
    let mut graph = Graph::default();
    let root = graph.lower(&cond, Next::Ret(opts.snaplen), Next::Ret(0));
    let root = if opts.optimize { optimize::optimize(&mut graph, root)? } else { root };
    let insns = emit::emit(&graph, root)?;
    if opts.optimize && insns.len() == 1 && insns[0].k == 0 && expr.trim() != "" {
        return Err(Error::new(ErrorCode::FilterSyntax, "expression rejects all packets"));
    }
    validate::validate(&insns).map_err(|e| {
        Error::new(ErrorCode::FilterSyntax, format!("internal error: compiled program is invalid: {e}"))
    })?;
    Ok(Program { insns })
}

/// Checks a program against the kernel's rules.
pub fn validate(prog: &[Insn]) -> Result<()> {
    validate::validate(prog)
}

impl Program {
    /// A program from raw instructions, which must pass [`validate`].
    pub fn from_instructions(insns: Vec<Insn>) -> Result<Program> {
        validate::validate(&insns)?;
        Ok(Program { insns })
    }

    pub fn instructions(&self) -> &[Insn] {
        &self.insns
    }

    /// Runs the filter on a packet (`pkt` is the captured part, `wirelen`
    /// its length on the wire). Returns 0 to reject, else the snapshot
    /// length to keep. Ancillary (metadata) loads reject, as offline.
    pub fn matches(&self, pkt: &[u8], wirelen: u32) -> u32 {
        interp::run(&self.insns, pkt, wirelen, None)
    }

    /// Like [`Program::matches`] with socket metadata for ancillary loads.
    pub fn matches_with(&self, pkt: &[u8], wirelen: u32, meta: &Ancillary) -> u32 {
        interp::run(&self.insns, pkt, wirelen, Some(meta))
    }

    pub fn validate(&self) -> Result<()> {
        validate::validate(&self.insns)
    }

    /// The listing, as `tcpdump -d`, `-dd` or `-ddd` prints it.
    pub fn dump(&self, format: DumpFormat) -> String {
        print::dump(&self.insns, format)
    }
}

/// Runs raw instructions (which should have passed [`validate`]).
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> u32 {
    interp::run(prog, pkt, wirelen, meta)
}

/// One instruction as `tcpdump -d` prints it (libpcap's bpf_image), `n` its index.
pub fn image(insn: &Insn, n: usize) -> String {
    print::image(insn, n)
}

/// Runs raw instructions; None if the filter ended early (a load outside
/// the packet, a division by zero) rather than by a `ret`.
pub fn try_run(prog: &[Insn], pkt: &[u8], wirelen: u32, meta: Option<&Ancillary>) -> Option<u32> {
    interp::try_run(prog, pkt, wirelen, meta)
}

/// Lists raw instructions in a tcpdump format.
pub fn dump(prog: &[Insn], format: DumpFormat) -> String {
    print::dump(prog, format)
}
