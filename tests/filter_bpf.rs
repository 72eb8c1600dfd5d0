//! The validator and the interpreter on hand-written programs: every rule
//! the validator enforces, and the kernel's run-time semantics.

use ringcap::filter::{self, Ancillary, Insn};
use ringcap::ErrorCode;

// Opcode pieces (linux/filter.h), spelled out so the tests read like BPF.
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;
const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const K: u16 = 0x00;
const X: u16 = 0x08;
const A: u16 = 0x10;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;
const SKF_AD_OFF: u32 = (-4096i32) as u32;

fn s(code: u16, k: u32) -> Insn {
    Insn::new(code, 0, 0, k)
}

fn j(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
    Insn::new(code, jt, jf, k)
}

fn invalid(prog: &[Insn], needle: &str) {
    let e = filter::validate(prog).expect_err(needle);
    assert_eq!(e.code(), ErrorCode::FilterInvalid);
    assert!(e.message().contains(needle), "{:?} does not mention {needle:?}", e.message());
}

#[test]
fn validator_accepts_well_formed_programs() {
    let p = [s(LD | H | ABS, 12), j(JMP | JEQ | K, 0, 1, 0x800), s(RET | K, 65535), s(RET | K, 0)];
    filter::validate(&p).unwrap();
    let p = [s(LD | IMM, 1), s(ST, 15), s(LDX | MEM, 15), s(MISC | TXA, 0), s(RET | A, 0)];
    filter::validate(&p).unwrap();
    let p = [s(LD | W | ABS, SKF_AD_OFF + 48), s(JMP | JA, 0), s(RET | K, 1)];
    filter::validate(&p).unwrap();
}

#[test]
fn validator_rejects_every_broken_rule() {
    invalid(&[], "empty");
    invalid(&vec![s(RET | K, 0); 4097], "4096");
    invalid(&[s(0xffff, 0), s(RET | K, 0)], "unknown opcode");
    invalid(&[s(LD | B | MSH, 0), s(RET | K, 0)], "unknown opcode");
    invalid(&[s(ALU | DIV | K, 0), s(RET | K, 0)], "division by constant zero");
    invalid(&[s(ALU | MOD | K, 0), s(RET | K, 0)], "modulus by constant zero");
    invalid(&[s(ALU | LSH | K, 32), s(RET | K, 0)], "shift");
    invalid(&[s(ALU | RSH | K, 40), s(RET | K, 0)], "shift");
    invalid(&[s(LD | MEM, 16), s(RET | K, 0)], "scratch memory index");
    invalid(&[s(ST, 16), s(RET | K, 0)], "scratch memory index");
    invalid(&[s(STX, 99), s(RET | K, 0)], "scratch memory index");
    invalid(&[s(LDX | MEM, 16), s(RET | K, 0)], "scratch memory index");
    invalid(&[s(JMP | JA, 1), s(RET | K, 0)], "leaves the program");
    invalid(&[s(JMP | JA, u32::MAX), s(RET | K, 0)], "leaves the program");
    invalid(&[j(JMP | JEQ | K, 1, 0, 0), s(RET | K, 0)], "leaves the program");
    invalid(&[j(JMP | JGT | X, 0, 1, 0), s(RET | K, 0)], "leaves the program");
    invalid(&[s(LD | IMM, 0)], "must end with a return");
    invalid(&[s(RET | K, 0), s(LD | IMM, 0)], "must end with a return");
    invalid(&[s(LD | MEM, 3), s(RET | A, 0)], "read before it is written");
    // Written on one path only.
    invalid(&[j(JMP | JEQ | K, 0, 1, 0), s(ST, 2), s(LDX | MEM, 2), s(RET | K, 0)], "read before it is written");
    invalid(&[s(LD | W | ABS, SKF_AD_OFF + 200), s(RET | K, 0)], "ancillary");
}

fn run(prog: &[Insn], pkt: &[u8]) -> u32 {
    filter::validate(prog).unwrap();
    filter::run(prog, pkt, pkt.len() as u32, None)
}

#[test]
fn interpreter_loads_and_bounds() {
    let pkt = [0x12, 0x34, 0x56, 0x78, 0x9a];
    assert_eq!(run(&[s(LD | W | ABS, 0), s(RET | A, 0)], &pkt), 0x1234_5678);
    assert_eq!(run(&[s(LD | H | ABS, 3), s(RET | A, 0)], &pkt), 0x789a);
    assert_eq!(run(&[s(LD | B | ABS, 4), s(RET | A, 0)], &pkt), 0x9a);
    // Out of bounds: the filter returns 0 whatever follows.
    assert_eq!(run(&[s(LD | W | ABS, 2), s(RET | K, 7)], &pkt), 0);
    assert_eq!(run(&[s(LD | H | ABS, 4), s(RET | K, 7)], &pkt), 0);
    assert_eq!(run(&[s(LD | B | ABS, 5), s(RET | K, 7)], &pkt), 0);
    assert_eq!(run(&[s(LD | W | ABS, 0x7fff_ffff), s(RET | K, 7)], &pkt), 0);
    assert_eq!(run(&[s(LDX | IMM, 3), s(LD | H | IND, 1), s(RET | K, 7)], &pkt), 0);
    assert_eq!(run(&[s(LDX | IMM, 3), s(LD | B | IND, 1), s(RET | A, 0)], &pkt), 0x9a);
    // X + k wraps around 32 bits, as in the kernel.
    assert_eq!(run(&[s(LDX | IMM, u32::MAX), s(LD | B | IND, 2), s(RET | A, 0)], &pkt), 0x34);
    // 4*([k]&0xf)
    assert_eq!(run(&[s(LDX | B | MSH, 0), s(MISC | TXA, 0), s(RET | A, 0)], &pkt), 8);
    assert_eq!(run(&[s(LDX | B | MSH, 9), s(RET | K, 1)], &pkt), 0);
    // Lengths: wire length, not captured length.
    assert_eq!(filter::run(&[s(LD | W | LEN, 0), s(RET | A, 0)], &pkt, 1500, None), 1500);
    assert_eq!(filter::run(&[s(LDX | W | LEN, 0), s(MISC | TXA, 0), s(RET | A, 0)], &pkt, 60, None), 60);
    // A and X start at zero, and so does scratch memory.
    assert_eq!(run(&[s(MISC | TXA, 0), s(ALU | ADD | K, 5), s(RET | A, 0)], &pkt), 5);
}

#[test]
fn interpreter_alu_and_division_by_zero() {
    let alu = |op: u16, a: u32, k: u32| run(&[s(LD | IMM, a), s(LDX | IMM, k), s(ALU | op | X, 0), s(RET | A, 0)], &[]);
    assert_eq!(alu(ADD, u32::MAX, 2), 1);
    assert_eq!(alu(SUB, 1, 2), u32::MAX);
    assert_eq!(alu(MUL, 0x10000, 0x10000), 0);
    assert_eq!(alu(DIV, 7, 2), 3);
    assert_eq!(alu(MOD, 7, 4), 3);
    assert_eq!(alu(AND, 6, 3), 2);
    assert_eq!(alu(OR, 6, 3), 7);
    assert_eq!(alu(XOR, 6, 3), 5);
    assert_eq!(alu(LSH, 1, 31), 0x8000_0000);
    assert_eq!(alu(RSH, 0x8000_0000, 31), 1);
    assert_eq!(alu(LSH, 1, 32), 0);
    // Division or modulus by a zero X ends the filter with 0.
    assert_eq!(run(&[s(LD | IMM, 7), s(ALU | DIV | X, 0), s(RET | K, 9)], &[]), 0);
    assert_eq!(run(&[s(LD | IMM, 7), s(ALU | MOD | X, 0), s(RET | K, 9)], &[]), 0);
    assert_eq!(run(&[s(LD | IMM, 7), s(ALU | NEG, 0), s(RET | A, 0)], &[]), 7u32.wrapping_neg());
    assert_eq!(run(&[s(LD | IMM, 7), s(ALU | MUL | K, 3), s(RET | A, 0)], &[]), 21);
}

#[test]
fn interpreter_jumps_and_memory() {
    let prog = [
        s(LD | B | ABS, 0),
        j(JMP | JGT | K, 0, 3, 10),
        s(ST, 4),
        s(LDX | MEM, 4),
        s(JMP | JA, 1),
        s(RET | K, 1),
        s(MISC | TXA, 0),
        j(JMP | JSET | K, 0, 1, 0x80),
        s(RET | K, 2),
        j(JMP | JGE | K, 0, 1, 20),
        s(RET | K, 3),
        j(JMP | JEQ | X, 0, 1, 0),
        s(RET | K, 4),
        s(RET | K, 5),
    ];
    filter::validate(&prog).unwrap();
    assert_eq!(filter::run(&prog, &[5], 1, None), 1);
    assert_eq!(filter::run(&prog, &[0x90], 1, None), 2);
    assert_eq!(filter::run(&prog, &[30], 1, None), 3);
    assert_eq!(filter::run(&prog, &[15], 1, None), 4);
    assert_eq!(filter::run(&prog, &[], 0, None), 0);
    // STX then LD M.
    assert_eq!(run(&[s(LDX | IMM, 42), s(STX, 0), s(LD | MEM, 0), s(RET | A, 0)], &[]), 42);
}

#[test]
fn interpreter_ancillary_loads() {
    let prog = [s(LD | B | ABS, SKF_AD_OFF + 48), j(JMP | JEQ | K, 0, 1, 1), s(RET | K, 1), s(RET | K, 2)];
    filter::validate(&prog).unwrap();
    // Offline (no metadata) an ancillary load is out of range.
    assert_eq!(filter::run(&prog, &[0; 64], 64, None), 0);
    let tagged = Ancillary { vlan_tci: Some(10), ..Ancillary::default() };
    assert_eq!(filter::run(&prog, &[0; 64], 64, Some(&tagged)), 1);
    assert_eq!(filter::run(&prog, &[0; 64], 64, Some(&Ancillary::default())), 2);
    let pkttype = [s(LD | H | ABS, SKF_AD_OFF + 4), s(RET | A, 0)];
    let out = Ancillary { pkttype: 4, ..Ancillary::default() };
    assert_eq!(filter::run(&pkttype, &[], 0, Some(&out)), 4);
}

#[test]
fn compiled_programs_use_the_kernel_vlan_metadata_when_asked() {
    use filter::{LinkType, Options};
    let mut opts = Options::new(LinkType::Ethernet, 65535, 0);
    opts.vlan_extensions = true;
    let p = filter::compile_with("vlan 10 and ip", &opts).unwrap();
    p.validate().unwrap();
    let listing = p.dump(filter::DumpFormat::Image);
    assert!(listing.contains("[vlanp]"), "{listing}");
    // An untagged IPv4 frame whose tag the kernel stripped into metadata.
    let mut frame = vec![0u8; 34];
    frame[12] = 0x08;
    let tagged = Ancillary { vlan_tci: Some(10), ..Ancillary::default() };
    assert_eq!(p.matches_with(&frame, 34, &tagged), 65535);
    let other = Ancillary { vlan_tci: Some(11), ..Ancillary::default() };
    assert_eq!(p.matches_with(&frame, 34, &other), 0);
    // The tag still inline (not stripped).
    let mut inline = vec![0u8; 38];
    inline[12] = 0x81;
    inline[15] = 10;
    inline[16] = 0x08;
    assert_eq!(p.matches_with(&inline, 38, &Ancillary::default()), 65535);
    assert_eq!(p.matches_with(&frame, 34, &Ancillary::default()), 0);
    // Without the option the program equals libpcap's for a dead handle.
    let dead = filter::compile("vlan 10 and ip", 1, 65535, 0).unwrap();
    assert!(!dead.dump(filter::DumpFormat::Image).contains("vlanp"));
}

#[test]
fn empty_expression_accepts_everything() {
    let p = filter::compile("", 1, 96, 0).unwrap();
    assert_eq!(p.instructions(), &[Insn::new(RET | K, 0, 0, 96)]);
    assert_eq!(p.matches(&[], 0), 96);
    let p = filter::compile("  ", 113, 1000, 0).unwrap();
    assert_eq!(p.matches(&[1, 2, 3], 3), 1000);
}

#[test]
fn errors_are_libpcap_style_with_positions() {
    let e = filter::compile("tcp and (port 80", 1, 65535, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FilterSyntax);
    assert!(e.message().contains("syntax error") && e.message().contains("position 16"), "{}", e.message());
    let e = filter::compile("host nosuchhost.invalid", 1, 65535, 0).unwrap_err();
    assert_eq!(e.message(), "unknown host 'nosuchhost.invalid'");
    let e = filter::compile("port 99999", 1, 65535, 0).unwrap_err();
    assert!(e.message().contains("99999"), "{}", e.message());
    let e = filter::compile("ip broadcast", 1, 65535, filter::NETMASK_UNKNOWN).unwrap_err();
    assert!(e.message().contains("netmask not known"), "{}", e.message());
    let e = filter::compile("ip and not ip", 1, 65535, 0).unwrap_err();
    assert_eq!(e.message(), "expression rejects all packets");
    let e = filter::compile("ip", 4242, 65535, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    // Unused opcode names silence dead-code lints for the table above.
    let _ = (JA, JGE, SUB, A, TAX, IND, MEM, H, W);
}
