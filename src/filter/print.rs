//! Program listings in tcpdump's formats: `-d` (bpf_image), `-dd` (C
//! initializers) and `-ddd` (decimal numbers).

use std::fmt::Write;

use super::insn::*;
use crate::sys;

/// Listing formats, numbered like tcpdump's `-d` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `tcpdump -d`: one disassembled instruction per line.
    Image = 1,
    /// `tcpdump -dd`: a C array initializer.
    C = 2,
    /// `tcpdump -ddd`: the count, then `code jt jf k` in decimal.
    Decimal = 3,
}

impl DumpFormat {
    pub fn from_i32(v: i32) -> Option<DumpFormat> {
        match v {
            1 => Some(DumpFormat::Image),
            2 => Some(DumpFormat::C),
            3 => Some(DumpFormat::Decimal),
            _ => None,
        }
    }
}

fn ancillary_name(k: u32) -> Option<&'static str> {
    Some(match k.wrapping_sub(sys::SKF_AD_OFF as u32) {
        sys::SKF_AD_PROTOCOL => "proto",
        sys::SKF_AD_PKTTYPE => "type",
        sys::SKF_AD_IFINDEX => "ifidx",
        sys::SKF_AD_NLATTR => "nla",
        sys::SKF_AD_NLATTR_NEST => "nlan",
        sys::SKF_AD_MARK => "mark",
        sys::SKF_AD_QUEUE => "queue",
        sys::SKF_AD_HATYPE => "hatype",
        sys::SKF_AD_RXHASH => "rxhash",
        sys::SKF_AD_CPU => "cpu",
        sys::SKF_AD_VLAN_TAG => "vlan_tci",
        sys::SKF_AD_VLAN_TAG_PRESENT => "vlanp",
        sys::SKF_AD_PAY_OFFSET => "poff",
        sys::SKF_AD_RANDOM => "random",
        sys::SKF_AD_VLAN_TPID => "vlan_tpid",
        _ => return None,
    })
}

/// One instruction as libpcap's bpf_image prints it.
pub fn image(i: &Insn, n: usize) -> String {
    let c = i.code;
    let k = i.k;
    let alu = |name: &'static str| -> (&'static str, String) {
        if src(c) == X {
            return (name, "x".to_string());
        }
        let hex = matches!(op(c), AND | OR | XOR);
        (name, if hex { format!("#0x{k:x}") } else { format!("#{k}") })
    };
    let abs = |k: u32| match ancillary_name(k) {
        Some(name) if k >= sys::SKF_AD_OFF as u32 => format!("[{name}]"),
        _ => format!("[{}]", k as i32),
    };
    let (opname, operand): (&str, String) = match c {
        x if x == RET | K => ("ret", format!("#{k}")),
        x if x == RET | A => ("ret", String::new()),
        x if x == LD | W | ABS => ("ld", abs(k)),
        x if x == LD | H | ABS => ("ldh", abs(k)),
        x if x == LD | B | ABS => ("ldb", abs(k)),
        x if x == LD | W | LEN => ("ld", "#pktlen".to_string()),
        x if x == LD | W | IND => ("ld", format!("[x + {}]", k as i32)),
        x if x == LD | H | IND => ("ldh", format!("[x + {}]", k as i32)),
        x if x == LD | B | IND => ("ldb", format!("[x + {}]", k as i32)),
        x if x == LD | IMM => ("ld", format!("#0x{k:x}")),
        x if x == LDX | IMM => ("ldx", format!("#0x{k:x}")),
        x if x == LDX | W | LEN => ("ldx", "#pktlen".to_string()),
        x if x == LDX | B | MSH => ("ldxb", format!("4*([{}]&0xf)", k as i32)),
        x if x == LD | MEM => ("ld", format!("M[{k}]")),
        x if x == LDX | MEM => ("ldx", format!("M[{k}]")),
        x if x == ST => ("st", format!("M[{k}]")),
        x if x == STX => ("stx", format!("M[{k}]")),
        x if x == JMP | JA => ("ja", format!("{}", (n as u64 + 1 + u64::from(k)))),
        x if x == ALU | NEG => ("neg", String::new()),
        x if x == MISC | TAX => ("tax", String::new()),
        x if x == MISC | TXA => ("txa", String::new()),
        x if class(x) == JMP => {
            let name = match op(x) {
                JEQ => "jeq",
                JGT => "jgt",
                JGE => "jge",
                JSET => "jset",
                _ => "unimp",
            };
            let operand = if src(x) == X { "x".to_string() } else { format!("#0x{k:x}") };
            return format!(
                "({n:03}) {name:<8} {operand:<16} jt {}\tjf {}",
                n + 1 + usize::from(i.jt),
                n + 1 + usize::from(i.jf)
            );
        }
        x if class(x) == ALU => match op(x) {
            ADD => alu("add"),
            SUB => alu("sub"),
            MUL => alu("mul"),
            DIV => alu("div"),
            MOD => alu("mod"),
            AND => alu("and"),
            OR => alu("or"),
            XOR => alu("xor"),
            LSH => alu("lsh"),
            RSH => alu("rsh"),
            _ => ("unimp", format!("0x{c:x}")),
        },
        _ => ("unimp", format!("0x{c:x}")),
    };
    format!("({n:03}) {opname:<8} {operand}")
}

/// The whole program in `format`, one line per instruction, each ending in
/// a newline (as tcpdump prints it).
pub fn dump(prog: &[Insn], format: DumpFormat) -> String {
    let mut s = String::new();
    match format {
        DumpFormat::Image => {
            for (n, i) in prog.iter().enumerate() {
                let _ = writeln!(s, "{}", image(i, n));
            }
        }
        DumpFormat::C => {
            for i in prog {
                let _ = writeln!(s, "{{ 0x{:x}, {}, {}, 0x{:08x} }},", i.code, i.jt, i.jf, i.k);
            }
        }
        DumpFormat::Decimal => {
            let _ = writeln!(s, "{}", prog.len());
            for i in prog {
                let _ = writeln!(s, "{} {} {} {}", i.code, i.jt, i.jf, i.k);
            }
        }
    }
    s
}
