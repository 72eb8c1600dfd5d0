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
//! - `protochain` follows at most 16 headers (8 or 4 where the program
//!   would pass the kernel's 4096 instructions; libpcap loops with a
//!   backward jump, which the kernel refuses);
//! - `byte N & M` and `byte N | M` test the accumulator as the code before
//!   left it, as libpcap's do; where libpcap's optimizer changes that value
//!   (it threads jumps past the code that set it), ringcap keeps the
//!   meaning of libpcap's unoptimized program;
//! - link types: every DLT libpcap 1.10 accepts has libpcap's model (see
//!   `link`); on 802.11 and PFLOG libpcap hands the register of the payload
//!   offset to arithmetic too, so there `len > 60 and tcp` means something
//!   else in libpcap;
//! - after a Geneve test that did not match, libpcap reads uninitialised
//!   scratch memory; here such tests end the filter with 0;
//! - "expression rejects all packets" is reported when this optimizer
//!   proves the filter empty, which it sometimes can where libpcap's cannot
//!   (never for Geneve or `protochain`, for which libpcap's optimizer, and
//!   with it that message, is off);
//! - the live-capture VLAN code (`Options::vlan_extensions`) has libpcap's
//!   meaning (kernel metadata, else the inline tag with offsets grown by 4
//!   for what follows), laid out by ringcap's optimizer.
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
mod link;
pub(crate) mod names;
mod optimize;
mod parser;
mod print;
mod proto;
mod validate;

pub use insn::Insn;
pub use interp::{prefetch, run_cached, run_cached_unbounded, Ancillary, Prepared};
pub use print::DumpFormat;

use crate::error::{Error, ErrorCode, Result};
use ir::{Graph, Next};

/// A link type (DLT_ number) the compiler accepts: every one libpcap
/// 1.10's code generator accepts (see `link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkType(i32);

#[allow(non_upper_case_globals)]
impl LinkType {
    /// DLT_EN10MB (1).
    pub const Ethernet: LinkType = LinkType(1);
    /// DLT_LINUX_SLL (113).
    pub const LinuxSll: LinkType = LinkType(113);
    /// DLT_LINUX_SLL2 (276).
    pub const LinuxSll2: LinkType = LinkType(276);
    /// DLT_RAW (12 on Linux).
    pub const Raw: LinkType = LinkType(12);
    /// DLT_IPV4 (228).
    pub const Ipv4: LinkType = LinkType(228);
    /// DLT_IPV6 (229).
    pub const Ipv6: LinkType = LinkType(229);
    /// DLT_NULL (0): BSD loopback, family in the writer's byte order.
    pub const Null: LinkType = LinkType(0);
    /// DLT_LOOP (108): OpenBSD loopback, family in network byte order.
    pub const Loop: LinkType = LinkType(108);

    /// None where libpcap says "unknown data link type".
    pub fn from_dlt(dlt: i32) -> Option<LinkType> {
        link::model(dlt).map(|_| LinkType(dlt))
    }

    pub fn dlt(self) -> i32 {
        self.0
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
    /// Compiling for a savefile, as libpcap does when its handle reads a
    /// file: `inbound`/`outbound`/`ifindex` then fail on links that do not
    /// record them, and BSD loopback IPv6 matches every BSD's AF_INET6.
    pub savefile: bool,
    /// The savefile was written in the other byte order (BSD loopback's
    /// family word is in the writer's order).
    pub swapped: bool,
}

impl Options {
    pub fn new(linktype: LinkType, snaplen: u32, netmask: u32) -> Options {
        Options { linktype, snaplen, netmask, optimize: true, vlan_extensions: false, savefile: false, swapped: false }
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
    let lt = LinkType::from_dlt(linktype)
        .ok_or_else(|| Error::invalid(format!("unknown data link type {linktype} (min 104, max 289)")))?;
    compile_with(expr, &Options::new(lt, snaplen, netmask))
}

/// Stack for the compiler's recursive passes: an expression's tree is as
/// deep as the expression is long (`a or b or …`), and a thread's default
/// stack is too small for the longest expression the parser accepts.
const COMPILER_STACK: usize = 64 << 20;

/// Expressions this small make trees a few dozen levels deep at most,
/// which any thread's stack holds: they compile on the caller's thread,
/// since starting a thread costs ten times the compile itself.
fn is_shallow(expr: &str) -> bool {
    if expr.len() > 256 {
        return false;
    }
    // Words (runs of non-blanks) and opening parentheses, in one pass.
    let (mut words, mut parens, mut blank) = (0, 0, true);
    for c in expr.bytes() {
        let is_blank = c.is_ascii_whitespace();
        words += usize::from(blank && !is_blank);
        parens += usize::from(c == b'(');
        blank = is_blank;
    }
    words <= 24 && parens <= 8
}

pub fn compile_with(expr: &str, opts: &Options) -> Result<Program> {
    if is_shallow(expr) {
        return compile_here(expr, opts);
    }
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
    let ast = match parser::parse_reporting(expr) {
        Ok(ast) => ast,
        Err((e, Some(stop))) => return Err(completed_primitive_error(expr, stop, opts).unwrap_or(e)),
        Err((e, None)) => return Err(e),
    };
    // `protochain` follows as many headers as the kernel's instruction
    // limit leaves room for: the deepest walk first, then shallower ones
    // while the program is too long.
    let mut depth = codegen::PROTOCHAIN_MAX_DEPTH;
    loop {
        match compile_ast(&ast, expr, opts, depth) {
            Err(TooLong::Yes(_)) if depth > codegen::PROTOCHAIN_MIN_DEPTH => depth /= 2,
            Err(TooLong::Yes(e) | TooLong::No(e)) => return Err(e),
            Ok(p) => return Ok(p),
        }
    }
}

/// libpcap's parser generates the code of each primitive as soon as it is
/// complete, so before a syntax error is found a primitive in front of it
/// may fail with its own message (`llc 5` on a link without 802.2, `radio
/// and`). The expression cut where the grammar failed, or else before the
/// nearest `and`/`or` in front of that (with its open parentheses closed),
/// stands for what libpcap had completed: if it parses, its first code
/// generation error is libpcap's. A cut anywhere else could end inside a
/// primitive (`tcp[0`), which libpcap had not completed.
fn completed_primitive_error(expr: &str, stop: usize, opts: &Options) -> Option<Error> {
    use lexer::Tok;
    let toks = lexer::tokenize(expr).ok()?;
    let before = toks.iter().take_while(|t| t.pos < stop).count();
    let binary = |t: &Tok| match t {
        Tok::Word { text, escaped: false } => *text == "and" || *text == "or",
        Tok::Op(o) => *o == "&&" || *o == "||",
        _ => false,
    };
    // Where the grammar failed only after `llc` or `llc NAME`: libpcap's
    // grammar reduces `llc` on any token that cannot be its name, where any
    // other primitive could still go on (`ether …`, `tcp[…`).
    let llc_at = |n: usize| matches!(&toks[n].tok, Tok::Word { text, escaped: false } if *text == "llc");
    let after_llc = (before >= 1 && llc_at(before - 1)) || (before >= 2 && llc_at(before - 2));
    // A few cuts: this runs only for a failed expression, which can be long.
    let at_stop = after_llc.then_some(before);
    let cuts = at_stop.into_iter().chain((1..before).rev().filter(|&n| binary(&toks[n].tok))).take(8);
    for n in cuts {
        let open = toks[..n].iter().try_fold(0usize, |d, t| match t.tok {
            Tok::Op("(") => Some(d + 1),
            Tok::Op(")") => d.checked_sub(1),
            _ => Some(d),
        });
        let Some(open) = open else { continue };
        let candidate = format!("{}{}", &expr[..toks[n].pos], ")".repeat(open));
        if let Ok(ast) = parser::parse(&candidate) {
            return codegen::Gen::new(opts)?.node(&ast).err();
        }
    }
    None
}

/// A failed compile, and whether a shallower `protochain` might fit.
enum TooLong {
    Yes(Error),
    No(Error),
}

fn compile_ast(ast: &ast::Node, expr: &str, opts: &Options, depth: usize) -> std::result::Result<Program, TooLong> {
    let mut gen = codegen::Gen::new(opts).ok_or_else(|| {
        TooLong::No(Error::new(ErrorCode::FilterSyntax, format!("unknown data link type {}", opts.linktype.dlt())))
    })?;
    gen.protochain_depth = depth;
    let cond = gen.node(ast).map_err(TooLong::No)?;
    let cond = gen.finish(cond);
    let mut graph = Graph { blocks: Vec::with_capacity(32) };
    let root = gen.lower(&mut graph, cond, Next::Ret(opts.snaplen), Next::Ret(0));
    let root = match (opts.optimize, gen.libpcap_unoptimized) {
        (false, _) => root,
        (true, false) => optimize::optimize(&mut graph, root).map_err(TooLong::No)?,
        (true, true) => optimize::drop_reloads(&mut graph, root).map_err(TooLong::No)?,
    };
    let insns =
        emit::emit(&graph, root).map_err(|e| if gen.used_protochain { TooLong::Yes(e) } else { TooLong::No(e) })?;
    if opts.optimize && !gen.no_optimize && insns.len() == 1 && insns[0].k == 0 && expr.trim() != "" {
        return Err(TooLong::No(Error::new(ErrorCode::FilterSyntax, "expression rejects all packets")));
    }
    validate::validate(&insns).map_err(|e| {
        TooLong::No(Error::new(ErrorCode::FilterSyntax, format!("internal error: compiled program is invalid: {e}")))
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
