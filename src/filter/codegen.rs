//! Code generation: the AST to conditions over BPF test blocks, following
//! libpcap's gencode so that every primitive tests the same bytes in the
//! same order (and so accepts exactly the same packets).

use std::cell::RefCell;
use std::net::IpAddr;

use super::ast::{AddrKind, Arith, ArithOp, Dir, Id, Node, Proto, Qual, RelOp};
use super::insn::*;
use super::ir::{Cond, Conds, Graph, Leaf, Next, Node as CondNode, Test};
use super::link::{self, HeaderRegs, Kind};
use super::names::{self, PortProto};
use super::Options;
use crate::error::{Error, ErrorCode, Result};
use crate::sys;

pub(in crate::filter) fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::FilterSyntax, msg)
}

pub(in crate::filter) const ETHERMTU: u32 = 1500;
pub(in crate::filter) const ETH_IP: u32 = 0x0800;
pub(in crate::filter) const ETH_IPV6: u32 = 0x86dd;
pub(in crate::filter) const ETH_ARP: u32 = 0x0806;
pub(in crate::filter) const ETH_RARP: u32 = 0x8035;
pub(in crate::filter) const ETH_8021Q: u32 = 0x8100;
pub(in crate::filter) const ETH_8021AD: u32 = 0x88a8;
pub(in crate::filter) const ETH_QINQ: u32 = 0x9100;
pub(in crate::filter) const ETH_MPLS: u32 = 0x8847;
pub(in crate::filter) const ETH_PPPOED: u32 = 0x8863;
pub(in crate::filter) const ETH_PPPOES: u32 = 0x8864;
pub(in crate::filter) const ETH_TEB: u32 = 0x6558;
pub(in crate::filter) const ETH_IPX: u32 = 0x8137;
pub(in crate::filter) const ETH_ATALK: u32 = 0x809b;
pub(in crate::filter) const ETH_AARP: u32 = 0x80f3;
pub(in crate::filter) const ETH_DN: u32 = 0x6003;
pub(in crate::filter) const ETH_NS: u32 = 0x0600;
pub(in crate::filter) const LLCSAP_ISONS: u32 = 0xfe;
pub(in crate::filter) const LLCSAP_IP: u32 = 0x06;
pub(in crate::filter) const LLCSAP_NETBEUI: u32 = 0xf0;
pub(in crate::filter) const LLCSAP_IPX: u32 = 0xe0;
pub(in crate::filter) const LLCSAP_8021D: u32 = 0x42;
pub(in crate::filter) const LINUX_SLL_P_802_3: u32 = 1;
pub(in crate::filter) const ISO8473_CLNP: u32 = 0x81;
pub(in crate::filter) const ISO9542_ESIS: u32 = 0x82;
pub(in crate::filter) const ISO10589_ISIS: u32 = 0x83;
pub(in crate::filter) const AF_INET: u32 = 2;
pub(in crate::filter) const DLT_EN10MB: i32 = 1;
pub(in crate::filter) const DLT_IEEE802: i32 = 6;
pub(in crate::filter) const DLT_PPP: i32 = 9;
pub(in crate::filter) const DLT_FDDI: i32 = 10;
pub(in crate::filter) const DLT_ATM_RFC1483: i32 = 11;
pub(in crate::filter) const DLT_C_HDLC: i32 = 104;
pub(in crate::filter) const DLT_HDLC: i32 = 112;
pub(in crate::filter) const DLT_IP_OVER_FC: i32 = 122;
pub(in crate::filter) const DLT_LINUX_SLL: i32 = 113;
pub(in crate::filter) const DLT_LINUX_SLL2: i32 = 276;
pub(in crate::filter) const DLT_PPP_PPPD: i32 = 166;
pub(in crate::filter) const DLT_SLIP: i32 = 8;
pub(in crate::filter) const DLT_IPNET: i32 = 226;
pub(in crate::filter) const DLT_PFLOG: i32 = 117;
pub(in crate::filter) const DLT_FRELAY: i32 = 107;
const SLIPDIR_IN: u32 = 0;
const IPNET_OUTBOUND: u32 = 2;
const IPNET_INBOUND: u32 = 1;
/// Offset of `dir` in struct pfloghdr.
const PFLOG_DIR: u32 = 60;
const PF_IN: u32 = 1;
const PF_OUT: u32 = 2;
pub(in crate::filter) const PPP_MPLS_UCAST: u32 = 0x0281;
pub(in crate::filter) const LINUX_SLL_P_802_2: u32 = 4;
pub(in crate::filter) const LINUX_SLL_OUTGOING: u32 = 4;
pub(in crate::filter) const PACKET_OUTGOING: u32 = 4;
pub(in crate::filter) const GENEVE_PORT: u32 = 6081;
pub(in crate::filter) const IPPROTO_TCP: u32 = 6;
pub(in crate::filter) const IPPROTO_UDP: u32 = 17;
pub(in crate::filter) const IPPROTO_SCTP: u32 = 132;
pub(in crate::filter) const IPPROTO_FRAGMENT: u32 = 44;
/// Initial value of variable-offset registers: any load through it is
/// outside the packet (and below the kernel's negative offset areas).
pub(in crate::filter) const UNSET_OFFSET: u32 = 0x8000_0000;
/// Headers `protochain` follows before giving up: this many, or fewer
/// (halving down to the minimum) where the program would not fit the
/// kernel's limit (see `compile_here`). Deeper walks are possible but the
/// optimizer's time grows faster than the walk: 16 costs about what the
/// rest of a filter costs to compile.
pub(in crate::filter) const PROTOCHAIN_MAX_DEPTH: usize = 16;
pub(in crate::filter) const PROTOCHAIN_MIN_DEPTH: usize = 4;
/// AF_INET6 on this (Linux) host, as DLT_NULL/DLT_LOOP carry it.
pub(in crate::filter) const AF_INET6_LINUX: u32 = 10;

/// Statements a test's load makes room for: the load with its variable
/// part, a mask, and what a transport test adds.
const LEAF_ROOM: usize = 4;

/// An offset that may have a variable part kept in a scratch register.
#[derive(Debug, Clone, Copy)]
pub(in crate::filter) struct Off {
    pub k: u32,
    pub reg: Option<u32>,
}

impl Off {
    pub(in crate::filter) const fn at(k: u32) -> Off {
        Off { k, reg: None }
    }
}

/// What an offset is relative to (libpcap's `enum e_offrel`).
#[derive(Debug, Clone, Copy)]
pub(in crate::filter) enum Rel {
    /// The start of the packet.
    Packet,
    LinkHdr,
    LinkType,
    /// The link payload itself: where the 802.2 header is on LLC links.
    Llc,
    LinkPl,
    /// The network header when no SNAP header follows the 802.2 one.
    LinkPlNosnap,
    PrevMplsHdr,
    TranIpv4,
    TranIpv6,
}

/// Value of an arithmetic expression: code leaving it in scratch register
/// `reg`, and the protocol checks that must hold for it to be meaningful.
struct Val {
    stmts: Vec<Insn>,
    cond: Option<Cond>,
    reg: u32,
    /// The literal, when the value is a plain constant (libpcap checks
    /// division by a literal zero before optimizing).
    literal: Option<u32>,
}

pub struct Gen {
    /// The DLT the generator currently sees: PPPoE session payloads are
    /// DLT_PPP, Geneve payloads DLT_EN10MB, as in libpcap.
    pub(in crate::filter) dlt: i32,
    pub(in crate::filter) kind: Kind,
    /// The handle's own link type, for messages.
    pub(in crate::filter) outer_dlt: i32,
    pub(in crate::filter) linkhdr: Off,
    pub(in crate::filter) linktype: Option<Off>,
    pub(in crate::filter) linkpl: Off,
    pub(in crate::filter) nl: u32,
    /// The network header behind a bare 802.2 header (libpcap's
    /// off_nl_nosnap), where OSI's NLPID is.
    pub(in crate::filter) nl_nosnap: u32,
    pub(in crate::filter) mpls_depth: u32,
    pub(in crate::filter) vlan_depth: u32,
    netmask: u32,
    pub(in crate::filter) vlan_ext: bool,
    /// Compiling for a savefile (libpcap's `bpf_pcap->rfile != NULL`).
    pub(in crate::filter) savefile: bool,
    /// The savefile was written in the other byte order.
    pub(in crate::filter) swapped: bool,
    /// How many headers `protochain` follows (its loop, unrolled).
    pub(in crate::filter) protochain_depth: usize,
    /// Whether the expression used `protochain`.
    pub(in crate::filter) used_protochain: bool,
    /// libpcap turns its optimizer off for this expression (Geneve and
    /// `protochain` jump inside a block), so it never reports that the
    /// expression rejects all packets.
    pub(in crate::filter) no_optimize: bool,
    /// SunATM after `lane`: Ethernet behind the LANE header, whose LE
    /// control frames libpcap excludes from Ethernet tests.
    pub(in crate::filter) lane: bool,
    /// Registers holding the variable offsets of 802.11 headers.
    pub(in crate::filter) wlan: Option<HeaderRegs>,
    /// The program computes 802.11's variable offsets, for which libpcap
    /// turns its optimizer off: only the cheapest pass runs on it.
    pub(in crate::filter) libpcap_unoptimized: bool,
    regs: [bool; MEMWORDS as usize],
    cur: usize,
    /// Stores run before anything else: registers that hold header offsets
    /// (Geneve) are read on paths where libpcap never wrote them (its
    /// filter then reads stack garbage, and the kernel refuses such
    /// programs). They start far outside any packet, so that a test of
    /// the inner packet of a Geneve packet that was not there ends the
    /// filter with 0, which is what libpcap does in practice.
    prologue: Vec<(u32, u32)>,
    /// The conditions built, which the methods below make and read: a
    /// cell, since most of the generator's methods only read its state.
    conds: RefCell<Conds>,
}

pub(in crate::filter) fn ld(code: u16, k: u32) -> Insn {
    Insn::stmt(code, k)
}

/// An operand's first statements, with room for what the relation or
/// load around it appends (an operand, a load, the comparison).
fn arith_stmts(first: [Insn; 2]) -> Vec<Insn> {
    let mut s = Vec::with_capacity(16);
    s.extend(first);
    s
}

impl Gen {
    // ---- conditions -----------------------------------------------------------

    pub(in crate::filter) fn and(&self, a: Cond, b: Cond) -> Cond {
        self.conds.borrow_mut().and(a, b)
    }

    pub(in crate::filter) fn or(&self, a: Cond, b: Cond) -> Cond {
        self.conds.borrow_mut().or(a, b)
    }

    pub(in crate::filter) fn not(&self, a: Cond) -> Cond {
        self.conds.borrow_mut().not(a)
    }

    /// A test of A (after `stmts`) against `k`.
    pub(in crate::filter) fn leaf(&self, stmts: Vec<Insn>, op: u16, k: u32) -> Cond {
        self.effects(stmts, Test::Jump { op, x: false, k }, false)
    }

    pub(in crate::filter) fn effects(&self, stmts: Vec<Insn>, test: Test, keep: bool) -> Cond {
        self.conds.borrow_mut().leaf(Leaf { stmts, test, keep, negated: false })
    }

    pub(in crate::filter) fn and_all(&self, mut conds: Vec<Cond>) -> Cond {
        let mut acc = conds.pop().unwrap_or(Cond::TRUE);
        while let Some(c) = conds.pop() {
            acc = self.and(c, acc);
        }
        acc
    }

    /// The value of a condition that tests nothing.
    pub(in crate::filter) fn constant(&self, c: &Cond) -> Option<bool> {
        self.conds.borrow().constant(c)
    }

    /// The value of a condition that is a constant itself (not one that
    /// only evaluates to one, such as `not` of a constant).
    pub(in crate::filter) fn literal(&self, c: &Cond) -> Option<bool> {
        match self.conds.borrow().node(c) {
            CondNode::Const(v) => Some(*v),
            _ => None,
        }
    }

    /// Whether a statement of `c` reads scratch register `reg`.
    pub(in crate::filter) fn reads(&self, c: &Cond, reg: u32) -> bool {
        self.conds.borrow().reads(c, reg)
    }

    /// Lowers what this generator built for `c` into `graph` (see
    /// [`Graph::lower`]).
    pub fn lower(&self, graph: &mut Graph, c: Cond, t: Next, f: Next) -> Next {
        graph.lower(&mut self.conds.borrow_mut(), c, t, f)
    }

    /// A generator for `opts`; None for a DLT libpcap does not know.
    pub fn new(opts: &Options) -> Option<Gen> {
        let dlt = opts.linktype.dlt();
        let m = link::model(dlt)?;
        let mut g = Gen {
            dlt,
            kind: m.kind,
            outer_dlt: dlt,
            linkhdr: Off::at(m.linkhdr),
            linktype: m.linktype.map(Off::at),
            linkpl: Off::at(m.linkpl),
            nl: m.nl,
            nl_nosnap: m.nl_nosnap,
            mpls_depth: 0,
            vlan_depth: 0,
            netmask: opts.netmask,
            vlan_ext: opts.vlan_extensions,
            savefile: opts.savefile,
            swapped: opts.swapped,
            lane: false,
            protochain_depth: PROTOCHAIN_MAX_DEPTH,
            used_protochain: false,
            no_optimize: false,
            wlan: None,
            libpcap_unoptimized: false,
            regs: [false; MEMWORDS as usize],
            cur: 0,
            prologue: Vec::new(),
            conds: RefCell::default(),
        };
        match m.kind {
            Kind::Wlan(radio) => g.init_wlan(radio),
            Kind::Pflog => g.init_pflog(),
            _ => {}
        }
        Some(g)
    }

    /// Wraps the generated condition in what must run first: register
    /// initialisation and the variable-length header computations.
    pub fn finish(&mut self, mut cond: Cond) -> Cond {
        if let Some(v) = self.constant(&cond) {
            return Cond::constant(v);
        }
        if !self.prologue.is_empty() {
            let mut stores = std::mem::take(&mut self.prologue);
            stores.sort_by_key(|&(reg, v)| (v, reg));
            let mut init = Vec::new();
            let mut acc = None;
            for (reg, v) in stores {
                if acc != Some(v) {
                    init.push(ld(LD | IMM, v));
                    acc = Some(v);
                }
                init.push(ld(ST, reg));
            }
            cond = self.and(self.effects(init, Test::Always, false), cond);
        }
        if self.outer_dlt == DLT_PFLOG {
            return self.finish_pflog(cond);
        }
        self.finish_wlan(cond)
    }

    /// Description of the current link type, as libpcap's
    /// pcap_datalink_val_to_description_or_dlt gives it.
    pub(in crate::filter) fn link_name(&self) -> String {
        link::description(self.dlt)
    }

    pub(in crate::filter) fn alloc_reg(&mut self) -> Result<u32> {
        for _ in 0..MEMWORDS {
            if self.regs[self.cur] {
                self.cur = (self.cur + 1) % MEMWORDS as usize;
            } else {
                self.regs[self.cur] = true;
                return Ok(self.cur as u32);
            }
        }
        Err(err("too many registers needed to evaluate expression"))
    }

    /// Marks a register as taken for the whole program.
    pub(in crate::filter) fn reserve_reg(&mut self, r: u32) {
        self.regs[r as usize] = true;
    }

    /// Registers set before anything else runs.
    pub(in crate::filter) fn prologue_store(&mut self, reg: u32, value: u32) {
        self.prologue.push((reg, value));
    }

    pub(in crate::filter) fn prologue_zero(&mut self, reg: u32) {
        self.prologue_store(reg, 0);
    }

    pub(in crate::filter) fn free_reg(&mut self, r: u32) {
        if let Some(slot) = self.regs.get_mut(r as usize) {
            *slot = false;
        }
    }

    // ---- loads and comparisons -------------------------------------------

    /// X := variable part of `off`, if it has one.
    pub(in crate::filter) fn varpart(off: Off) -> Option<Insn> {
        off.reg.map(|r| ld(LDX | MEM, r))
    }

    /// The statements of a load. Room for what tests add after it (a mask,
    /// arithmetic) is made now: the vector becomes a block's as it is, and
    /// growing it later would allocate again.
    pub(in crate::filter) fn load_rel(off: Off, k: u32, size: u16) -> Vec<Insn> {
        let k = Self::offset(off.k, k);
        let mut s = Vec::with_capacity(LEAF_ROOM);
        s.extend(Self::varpart(off));
        s.push(ld(if off.reg.is_some() { LD | IND | size } else { LD | ABS | size }, k));
        s
    }

    /// `base + k`, wrapping as libpcap's does (from its OFFSET_NOT_SET for
    /// a header the link type does not have); a result that would land in
    /// the kernel's negative offset areas stays outside every packet, as it
    /// is for libpcap's interpreter.
    pub(in crate::filter) fn offset(base: u32, k: u32) -> u32 {
        let v = base.wrapping_add(k);
        if v >= 0x8000_0000 {
            UNSET_OFFSET
        } else {
            v
        }
    }

    /// X := offset of the IPv4 payload (the IP header length plus the link
    /// payload offset).
    pub(in crate::filter) fn loadx_iphdrlen(&self) -> Vec<Insn> {
        let mut s = Vec::with_capacity(LEAF_ROOM + 4);
        match Self::varpart(self.linkpl) {
            Some(x) => s.extend([
                x,
                ld(LD | IND | B, self.linkpl.k.wrapping_add(self.nl)),
                ld(ALU | AND | K, 0xf),
                ld(ALU | LSH | K, 2),
                ld(ALU | ADD | X, 0),
                ld(MISC | TAX, 0),
            ]),
            None => s.push(ld(LDX | MSH | B, self.linkpl.k.wrapping_add(self.nl))),
        }
        s
    }

    pub(in crate::filter) fn linktype_off(&self) -> Result<Off> {
        self.linktype.ok_or_else(|| err(format!("{} link-layer type filtering not implemented", self.link_name())))
    }

    pub(in crate::filter) fn load_a(&self, rel: Rel, off: u32, size: u16) -> Result<Vec<Insn>> {
        Ok(match rel {
            Rel::Packet => vec![ld(LD | ABS | size, off)],
            Rel::LinkHdr => Self::load_rel(self.linkhdr, off, size),
            Rel::LinkType => Self::load_rel(self.linktype_off()?, off, size),
            Rel::Llc => Self::load_rel(self.linkpl, off, size),
            Rel::LinkPl => Self::load_rel(self.linkpl, self.nl.wrapping_add(off), size),
            Rel::LinkPlNosnap => Self::load_rel(self.linkpl, self.nl_nosnap.wrapping_add(off), size),
            Rel::PrevMplsHdr => Self::load_rel(self.linkpl, self.nl.wrapping_sub(4).wrapping_add(off), size),
            Rel::TranIpv4 => {
                let mut s = self.loadx_iphdrlen();
                s.push(ld(LD | IND | size, self.linkpl.k.wrapping_add(self.nl).wrapping_add(off)));
                s
            }
            Rel::TranIpv6 => Self::load_rel(self.linkpl, self.nl.wrapping_add(40).wrapping_add(off), size),
        })
    }

    pub(in crate::filter) fn ncmp(&self, rel: Rel, off: u32, size: u16, mask: u32, op: u16, v: u32) -> Result<Cond> {
        let mut s = self.load_a(rel, off, size)?;
        if mask != 0xffff_ffff {
            s.push(ld(ALU | AND | K, mask));
        }
        Ok(self.leaf(s, op, v))
    }

    /// libpcap's gen_ncmp with its `reverse` flag, which it honours for
    /// `>` and `>=` only: a reversed `=` (`!=`) stays `=`.
    pub(in crate::filter) fn rel_cmp(
        &self,
        rel: Rel,
        off: u32,
        size: u16,
        mask: u32,
        (op, reverse): (RelOp, bool),
        v: u32,
    ) -> Result<Cond> {
        let jop = match op {
            RelOp::Eq => JEQ,
            RelOp::Gt => JGT,
            RelOp::Ge => JGE,
        };
        let c = self.ncmp(rel, off, size, mask, jop, v)?;
        Ok(if reverse && op != RelOp::Eq { self.not(c) } else { c })
    }

    pub(in crate::filter) fn cmp(&self, rel: Rel, off: u32, size: u16, v: u32) -> Result<Cond> {
        self.ncmp(rel, off, size, 0xffff_ffff, JEQ, v)
    }

    pub(in crate::filter) fn mcmp(&self, rel: Rel, off: u32, size: u16, v: u32, mask: u32) -> Result<Cond> {
        self.ncmp(rel, off, size, mask, JEQ, v)
    }

    /// Byte-string comparison, four bytes at a time from the end.
    pub(in crate::filter) fn bcmp(&self, rel: Rel, off: u32, bytes: &[u8]) -> Result<Cond> {
        let mut parts = Vec::new();
        let mut n = bytes.len();
        while n >= 4 {
            let v = u32::from_be_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
            parts.push(self.cmp(rel, off + n as u32 - 4, W, v)?);
            n -= 4;
        }
        while n >= 2 {
            let v = u32::from(u16::from_be_bytes([bytes[n - 2], bytes[n - 1]]));
            parts.push(self.cmp(rel, off + n as u32 - 2, H, v)?);
            n -= 2;
        }
        if n > 0 {
            parts.push(self.cmp(rel, off, B, u32::from(bytes[0]))?);
        }
        Ok(self.and_all(parts))
    }

    // ---- link layer ---------------------------------------------------------

    /// The link layer's test for an Ethernet type or SAP. Where the answer
    /// is known without looking, libpcap still emits a test that loads
    /// its constant (0 for true, 1 for false) into A, which `byte … &`
    /// and `byte … |` then read; so does this, and the optimizer removes
    /// the load wherever nothing reads A.
    pub(in crate::filter) fn linktype(&self, proto: u32) -> Result<Cond> {
        let c = self.linktype_test(proto)?;
        Ok(match self.literal(&c) {
            Some(v) => self.and(self.effects(vec![ld(LD | IMM, u32::from(!v))], Test::Always, false), c),
            None => c,
        })
    }

    fn linktype_test(&self, proto: u32) -> Result<Cond> {
        if self.mpls_depth > 0 {
            let version = match proto {
                ETH_IP | 0x21 => 0x40,
                ETH_IPV6 | 0x57 => 0x60,
                _ => return Err(err("unsupported protocol over mpls")),
            };
            let bos = self.mcmp(Rel::LinkPl, 0u32.wrapping_sub(2), B, 0x01, 0x01)?;
            return Ok(self.and(bos, self.mcmp(Rel::LinkPl, 0, B, version, 0xf0)?));
        }
        match self.kind {
            Kind::Ether => self.lane_checked(self.ether_linktype(proto)?),
            Kind::Sll => self.sll_linktype(proto),
            // libpcap 1.10 compares the protocol field directly for
            // LINUX_SLL2, even for 802.2 SAP values.
            Kind::Sll2 | Kind::Ethertype => self.ethertype_linktype(proto),
            Kind::Ppp => self.ppp_linktype(proto),
            Kind::PppBsdos => self.ppp_bsdos_linktype(proto),
            Kind::IpVersion => self.ip_version_linktype(proto),
            Kind::Ipv4 => Ok(Cond::constant(proto == ETH_IP)),
            Kind::Ipv6 => Ok(Cond::constant(proto == ETH_IPV6)),
            Kind::NullAf | Kind::LoopAf => self.loopback_linktype(proto),
            Kind::Llc => self.llc_linktype(proto),
            Kind::SunAtm => self.sunatm_linktype(proto),
            Kind::Wlan(_) => Ok(self.and(self.wlan_data_frame()?, self.llc_linktype(proto)?)),
            Kind::Arcnet => self.arcnet_linktype(proto),
            Kind::Ltalk => Ok(Cond::constant(proto == ETH_ATALK)),
            Kind::Frelay => self.frelay_linktype(proto),
            Kind::Pflog => self.pflog_linktype(proto),
            Kind::Ipnet => self.ipnet_linktype(proto),
            Kind::Juniper => self.mcmp(Rel::LinkHdr, 0, W, 0x4d47_4300, 0xffff_ff00),
            Kind::BacnetMstp => self.mcmp(Rel::LinkHdr, 0, W, 0x55ff_0000, 0xffff_0000),
            Kind::Untyped(msg) if !msg.is_empty() => Err(err(msg)),
            Kind::Untyped(_) => Err(err(format!("{} link-layer type filtering not implemented", self.link_name()))),
        }
    }

    pub(in crate::filter) fn is_ether(&self) -> bool {
        self.kind == Kind::Ether
    }

    fn ecode(&self, mac: &[u8; 6], q: Qual) -> Result<Cond> {
        if matches!(q.addr, AddrKind::Host | AddrKind::Default) && q.proto == Proto::Link {
            return self.link_host(mac, q.dir);
        }
        Err(err("ethernet address used in non-ether expression"))
    }

    // ---- network layer ------------------------------------------------------

    // ---- ids ------------------------------------------------------------------

    fn id(&mut self, q: Qual, id: &Id) -> Result<Cond> {
        // Qualifiers left undefined (after `inbound and …`) are a syntax
        // error for numbers, addresses and names; libpcap's code for
        // networks and MAC addresses has no case of its own for them.
        if q.addr == AddrKind::Undef && matches!(id, Id::Num(_) | Id::V4(_) | Id::Name(_)) {
            return Err(err("syntax error in filter expression"));
        }
        match id {
            Id::Num(v) => self.ncode(None, *v, q),
            Id::V4(s) => {
                if q.proto == Proto::Link {
                    return Err(err("illegal link layer address"));
                }
                let what = match q.addr {
                    AddrKind::Port => Some("port"),
                    AddrKind::PortRange => Some("portrange"),
                    AddrKind::Proto => Some("proto"),
                    AddrKind::ProtoChain => Some("protochain"),
                    _ => None,
                };
                if let Some(what) = what {
                    return Err(err(format!("'{what}' modifier applied to ip host")));
                }
                if q.proto == Proto::Decnet {
                    let v = names::atodn(s).ok_or_else(|| err(format!("malformed decnet address '{s}'")))?;
                    return self.ncode(Some(32), v, q);
                }
                let (v, len) = names::atoin(s).ok_or_else(|| err(format!("invalid IPv4 address '{s}'")))?;
                self.ncode(Some(len), v, q)
            }
            Id::V4Net { addr, mask, len } => self.mcode(addr, mask.as_deref(), *len, q),
            Id::V6 { addr, len } => self.mcode6(addr, *len, q),
            Id::Mac(m) => self.ecode(m, q),
            Id::Name(n) => self.scode(n, q),
        }
    }

    /// A numeric id; `vlen` is the bit length of a dotted address.
    fn ncode(&mut self, vlen: Option<u32>, v: u32, q: Qual) -> Result<Cond> {
        match q.addr {
            AddrKind::Default | AddrKind::Host | AddrKind::Net => {
                if q.proto == Proto::Link {
                    return Err(err("illegal link layer address"));
                }
                if q.proto == Proto::Decnet {
                    return self.dnhostop(v, q.dir);
                }
                let (mut v, mut mask) = (v, 0xffff_ffffu32);
                match vlen {
                    None if q.addr == AddrKind::Net => {
                        while v != 0 && v & 0xff00_0000 == 0 {
                            v <<= 8;
                            mask <<= 8;
                        }
                    }
                    Some(len) if len < 32 => {
                        v <<= 32 - len;
                        mask <<= 32 - len;
                    }
                    _ => {}
                }
                let what = if q.addr == AddrKind::Net { "net" } else { "host" };
                self.host(v, mask, q.proto, q.dir, what)
            }
            AddrKind::Port | AddrKind::PortRange => {
                let what = if q.addr == AddrKind::Port { "port" } else { "portrange" };
                if let Dir::Wlan(w) = q.dir {
                    return Err(w.not_valid_for(if q.addr == AddrKind::Port { "ports" } else { "port ranges" }));
                }
                let p = Self::port_proto(q.proto, what)?;
                if v > 65535 {
                    return Err(err(format!("illegal port number {v} > 65535")));
                }
                self.ports(v, v, p, q.dir)
            }
            AddrKind::Gateway => Err(err("'gateway' requires a name")),
            AddrKind::Proto => self.proto(v, q.proto, q.dir),
            AddrKind::ProtoChain => self.protochain(v, q.proto),
            AddrKind::Undef => Err(err("syntax error in filter expression")),
        }
    }

    fn mcode(&mut self, addr: &str, mask: Option<&str>, masklen: u32, q: Qual) -> Result<Cond> {
        let (n, nlen) = names::atoin(addr).ok_or_else(|| err(format!("invalid IPv4 address '{addr}'")))?;
        let n = if nlen >= 32 { n } else { n << (32 - nlen) };
        let m = match mask {
            Some(ms) => {
                let (m, mlen) = names::atoin(ms).ok_or_else(|| err(format!("invalid IPv4 address '{ms}'")))?;
                let m = if mlen >= 32 { m } else { m << (32 - mlen) };
                if n & !m != 0 {
                    return Err(err(format!("non-network bits set in \"{addr} mask {ms}\"")));
                }
                m
            }
            None => {
                if masklen > 32 {
                    return Err(err("mask length must be <= 32"));
                }
                let m = if masklen == 0 { 0 } else { 0xffff_ffffu32 << (32 - masklen) };
                if n & !m != 0 {
                    return Err(err(format!("non-network bits set in \"{addr}/{masklen}\"")));
                }
                m
            }
        };
        if q.addr != AddrKind::Net {
            return Err(err("Mask syntax for networks only"));
        }
        self.host(n, m, q.proto, q.dir, "net")
    }

    fn mcode6(&mut self, addr: &str, masklen: u32, q: Qual) -> Result<Cond> {
        let a: std::net::Ipv6Addr = addr.parse().map_err(|_| err(format!("invalid ip6 address {addr}")))?;
        if masklen > 128 {
            return Err(err("mask length must be <= 128"));
        }
        let mask = (if masklen == 0 { 0 } else { u128::MAX << (128 - masklen) }).to_be_bytes();
        let a = a.octets();
        if a.iter().zip(mask.iter()).any(|(x, m)| x & !m != 0) {
            return Err(err(format!("non-network bits set in \"{addr}/{masklen}\"")));
        }
        match q.addr {
            AddrKind::Default | AddrKind::Host if masklen != 128 => Err(err("Mask syntax for networks only")),
            AddrKind::Default | AddrKind::Host => self.host6(&a, &mask, q.proto, q.dir, "host"),
            AddrKind::Net => self.host6(&a, &mask, q.proto, q.dir, "net"),
            _ => Err(err("invalid qualifier against IPv6 address")),
        }
    }

    fn scode(&mut self, name: &str, q: Qual) -> Result<Cond> {
        match q.addr {
            AddrKind::Net => {
                let mut addr = names::network(name).ok_or_else(|| err(format!("unknown network '{name}'")))?;
                let mut mask = 0xffff_ffffu32;
                while addr != 0 && addr & 0xff00_0000 == 0 {
                    addr <<= 8;
                    mask <<= 8;
                }
                self.host(addr, mask, q.proto, q.dir, "net")
            }
            AddrKind::Default | AddrKind::Host => {
                if q.proto == Proto::Link {
                    if !self.has_macs() {
                        return Err(err(
                            "only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name",
                        ));
                    }
                    let mac = names::ether_host(name).ok_or_else(|| self.unknown_mac_host(name))?;
                    return self.link_host(&mac, q.dir);
                }
                if q.proto == Proto::Decnet {
                    return Err(err(format!("decnet name support not included, '{name}' cannot be translated")));
                }
                let addrs = names::host_addrs(name);
                if addrs.is_empty() {
                    return Err(err(format!("unknown host '{name}'")));
                }
                let (mut p4, mut p6) = (q.proto, q.proto);
                if self.linktype.is_none() && q.proto == Proto::Default {
                    p4 = Proto::Ip;
                    p6 = Proto::Ip6;
                }
                let mut acc: Option<Cond> = None;
                for a in addrs {
                    let c = match a {
                        IpAddr::V4(v4) if p4 != Proto::Ip6 => {
                            self.host(u32::from(v4), 0xffff_ffff, p4, q.dir, "host")?
                        }
                        IpAddr::V6(v6) if p6 != Proto::Ip => {
                            self.host6(&v6.octets(), &[0xff; 16], p6, q.dir, "host")?
                        }
                        _ => continue,
                    };
                    acc = Some(match acc {
                        Some(prev) => self.or(prev, c),
                        None => c,
                    });
                }
                acc.ok_or_else(|| err(format!("unknown host '{name}' for specified address family")))
            }
            AddrKind::Port => {
                if !matches!(q.proto, Proto::Default | Proto::Tcp | Proto::Udp | Proto::Sctp) {
                    return Err(err("illegal qualifier of 'port'"));
                }
                let (port, found) = names::port(name).ok_or_else(|| err(format!("unknown port '{name}'")))?;
                let p = Self::named_port_proto(name, q.proto, found)?;
                if port > 65535 {
                    return Err(err(format!("illegal port number {port} > 65535")));
                }
                self.ports(port, port, p, q.dir)
            }
            AddrKind::PortRange => {
                if !matches!(q.proto, Proto::Default | Proto::Tcp | Proto::Udp | Proto::Sctp) {
                    return Err(err("illegal qualifier of 'portrange'"));
                }
                let (a, b) = name.split_once('-').unwrap_or((name, name));
                let (lo, f1) =
                    names::port_number_or_name(a).ok_or_else(|| err(format!("unknown port in range '{name}'")))?;
                let (hi, f2) =
                    names::port_number_or_name(b).ok_or_else(|| err(format!("unknown port in range '{name}'")))?;
                let found = if f1 == f2 { f1 } else { PortProto::Any };
                let p = Self::named_port_proto(name, q.proto, found)?;
                if lo > 65535 || hi > 65535 {
                    return Err(err(format!("illegal port number in range '{name}'")));
                }
                self.ports(lo, hi, p, q.dir)
            }
            // libpcap built with IPv6 support (as 1.10 is everywhere)
            // refuses a named gateway before looking the name up.
            AddrKind::Gateway => Err(err("'gateway' not supported in this configuration")),
            AddrKind::Proto => {
                let v = match q.proto {
                    Proto::Default | Proto::Ip | Proto::Ip6 => {
                        names::ip_proto(name).ok_or_else(|| err(format!("unknown ip proto '{name}'")))?
                    }
                    Proto::Link => {
                        names::ether_proto(name).ok_or_else(|| err(format!("unknown ether proto '{name}'")))?
                    }
                    Proto::Iso => Self::osi_proto_name(name)?,
                    _ => return Err(err(format!("unknown protocol: {name}"))),
                };
                self.proto(v, q.proto, q.dir)
            }
            AddrKind::ProtoChain => {
                let v = names::ip_proto(name).ok_or_else(|| err(format!("unknown ip proto '{name}'")))?;
                self.protochain(v, q.proto)
            }
            AddrKind::Undef => Err(err("syntax error in filter expression")),
        }
    }

    // ---- other primitives -------------------------------------------------------

    fn broadcast(&self, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Link => self.link_broadcast(),
            Proto::Ip => {
                if self.netmask == 0xffff_ffff {
                    return Err(err("netmask not known, so 'ip broadcast' not supported"));
                }
                let host = !self.netmask;
                let zero = self.mcmp(Rel::LinkPl, 16, W, 0, host)?;
                let ones = self.mcmp(Rel::LinkPl, 16, W, host, host)?;
                Ok(self.and(self.linktype(ETH_IP)?, self.or(zero, ones)))
            }
            _ => Err(err("only link-layer/IP broadcast filters supported")),
        }
    }

    fn multicast(&self, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Link => self.link_multicast(),
            Proto::Ip => {
                let ge = self.ncmp(Rel::LinkPl, 16, B, 0xffff_ffff, JGE, 224)?;
                Ok(self.and(self.linktype(ETH_IP)?, ge))
            }
            Proto::Ip6 => Ok(self.and(self.linktype(ETH_IPV6)?, self.cmp(Rel::LinkPl, 24, B, 255)?)),
            _ => {
                Err(err("only IP multicast filters supported on ethernet/FDDI/tokenring/802.11/ATM LANE/Fibre Channel"))
            }
        }
    }

    fn inbound(&self, inbound: bool) -> Result<Cond> {
        let outgoing = match self.dlt {
            _ if self.kind == Kind::Juniper => {
                // The flags byte after the cookie; bit 0 set means inbound.
                let v = if inbound { 1 } else { 0 };
                return self.mcmp(Rel::LinkHdr, 3, B, v, 0x01);
            }
            // The direction byte of libpcap's SLIP pseudo-header.
            DLT_SLIP => self.cmp(Rel::LinkHdr, 0, B, SLIPDIR_IN).map(|c| self.not(c))?,
            DLT_IPNET => return self.cmp(Rel::LinkHdr, 2, H, if inbound { IPNET_INBOUND } else { IPNET_OUTBOUND }),
            DLT_PFLOG => return self.cmp(Rel::LinkHdr, PFLOG_DIR, B, if inbound { PF_IN } else { PF_OUT }),
            DLT_PPP_PPPD => return self.cmp(Rel::LinkHdr, 0, B, if inbound { 0 } else { 1 }),
            DLT_LINUX_SLL => self.cmp(Rel::LinkHdr, 0, H, LINUX_SLL_OUTGOING)?,
            DLT_LINUX_SLL2 => self.cmp(Rel::LinkHdr, 10, B, LINUX_SLL_OUTGOING)?,
            _ if self.savefile => {
                return Err(err(format!(
                    "inbound/outbound not supported on {} when reading savefiles",
                    self.link_name()
                )))
            }
            // Elsewhere the direction is only known to the kernel.
            _ => self.leaf(vec![ld(LD | H | ABS, ancillary(sys::SKF_AD_PKTTYPE))], JEQ, PACKET_OUTGOING),
        };
        Ok(if inbound { self.not(outgoing) } else { outgoing })
    }

    fn ifindex(&self, index: u32) -> Result<Cond> {
        match self.dlt {
            DLT_LINUX_SLL2 => self.cmp(Rel::LinkHdr, 4, W, index),
            _ if self.savefile => {
                Err(err(format!("ifindex not supported on {} when reading savefiles", self.link_name())))
            }
            _ => Ok(self.leaf(vec![ld(LD | W | ABS, ancillary(sys::SKF_AD_IFINDEX))], JEQ, index)),
        }
    }

    // ---- arithmetic ---------------------------------------------------------------

    fn arith(&mut self, a: &Arith) -> Result<Val> {
        match a {
            Arith::Num(v) => {
                let reg = self.alloc_reg()?;
                Ok(Val { stmts: arith_stmts([ld(LD | IMM, *v), ld(ST, reg)]), cond: None, reg, literal: Some(*v) })
            }
            Arith::Len => {
                let reg = self.alloc_reg()?;
                Ok(Val { stmts: arith_stmts([ld(LD | W | LEN, 0), ld(ST, reg)]), cond: None, reg, literal: None })
            }
            Arith::Neg(inner) => {
                let mut v = self.arith(inner)?;
                v.stmts.extend([ld(LD | MEM, v.reg), ld(ALU | NEG, 0), ld(ST, v.reg)]);
                v.literal = None;
                Ok(v)
            }
            Arith::Bin(op, l, r) => {
                let a0 = self.arith(l)?;
                let a1 = self.arith(r)?;
                let code = match op {
                    ArithOp::Add => ADD,
                    ArithOp::Sub => SUB,
                    ArithOp::Mul => MUL,
                    ArithOp::Div => DIV,
                    ArithOp::Mod => MOD,
                    ArithOp::And => AND,
                    ArithOp::Or => OR,
                    ArithOp::Xor => XOR,
                    ArithOp::Lsh => LSH,
                    ArithOp::Rsh => RSH,
                };
                match (code, a1.literal) {
                    (DIV, Some(0)) => return Err(err("division by zero")),
                    (MOD, Some(0)) => return Err(err("modulus by zero")),
                    (LSH | RSH, Some(n)) if n > 31 => return Err(err("shift by more than 31 bits")),
                    _ => {}
                }
                let mut stmts = a0.stmts;
                stmts.extend(a1.stmts);
                stmts.extend([ld(LDX | MEM, a1.reg), ld(LD | MEM, a0.reg), ld(ALU | code | X, 0)]);
                self.free_reg(a0.reg);
                self.free_reg(a1.reg);
                let reg = self.alloc_reg()?;
                stmts.push(ld(ST, reg));
                let cond = match (a0.cond, a1.cond) {
                    (Some(c0), Some(c1)) => Some(self.and(c0, c1)),
                    (c0, c1) => c0.or(c1),
                };
                Ok(Val { stmts, cond, reg, literal: None })
            }
            Arith::Load { proto, index, size } => self.load(*proto, index, *size),
        }
    }

    fn load(&mut self, proto: Proto, index: &Arith, size: u32) -> Result<Val> {
        let sz = match size {
            1 => B,
            2 => H,
            4 => W,
            _ => return Err(err("data size must be 1, 2, or 4")),
        };
        let mut v = self.arith(index)?;
        let to_x_plus = |off: Off, reg: u32| -> Vec<Insn> {
            match Self::varpart(off) {
                Some(x) => vec![x, ld(LD | MEM, reg), ld(ALU | ADD | X, 0), ld(MISC | TAX, 0)],
                None => vec![ld(LDX | MEM, reg)],
            }
        };
        let mut extra_cond = Vec::new();
        match proto {
            Proto::Radio => {
                // From the start of the packet, and only where a radio
                // header is there (not PPI: libpcap's rule).
                if !self.kind.has_radio_header() {
                    return Err(err("radio information not present in capture"));
                }
                v.stmts.extend([ld(LDX | MEM, v.reg), ld(LD | IND | sz, 0)]);
            }
            Proto::Link => {
                v.stmts.extend(to_x_plus(self.linkhdr, v.reg));
                v.stmts.push(ld(LD | IND | sz, self.linkhdr.k));
            }
            Proto::Ip
            | Proto::Ip6
            | Proto::Arp
            | Proto::Rarp
            | Proto::Decnet
            | Proto::Sca
            | Proto::Lat
            | Proto::Moprc
            | Proto::Mopdl => {
                v.stmts.extend(to_x_plus(self.linkpl, v.reg));
                v.stmts.push(ld(LD | IND | sz, self.linkpl.k.wrapping_add(self.nl)));
                extra_cond.push(self.proto_abbrev(proto)?);
            }
            Proto::Sctp
            | Proto::Tcp
            | Proto::Udp
            | Proto::Icmp
            | Proto::Igmp
            | Proto::Igrp
            | Proto::Pim
            | Proto::Vrrp
            | Proto::Carp => {
                v.stmts.extend(self.loadx_iphdrlen());
                v.stmts.extend([ld(LD | MEM, v.reg), ld(ALU | ADD | X, 0), ld(MISC | TAX, 0)]);
                v.stmts.push(ld(LD | IND | sz, self.linkpl.k.wrapping_add(self.nl)));
                // Only for IPv4 first (or only) fragments of the protocol.
                let p = self.and(self.proto_abbrev(proto)?, self.ipfrag()?);
                extra_cond.push(self.and(self.proto_abbrev(Proto::Ip)?, p));
            }
            Proto::Icmp6 => {
                extra_cond.push(self.and(self.proto_abbrev(Proto::Ip6)?, self.cmp(Rel::LinkPl, 6, B, 58)?));
                v.stmts.extend(to_x_plus(self.linkpl, v.reg));
                v.stmts.push(ld(LD | IND | sz, self.linkpl.k.wrapping_add(self.nl).wrapping_add(40)));
            }
            _ => return Err(err("unsupported index operation")),
        }
        self.free_reg(v.reg);
        let reg = self.alloc_reg()?;
        v.stmts.push(ld(ST, reg));
        v.reg = reg;
        v.literal = None;
        for c in extra_cond {
            v.cond = Some(match v.cond.take() {
                Some(prev) => self.and(prev, c),
                None => c,
            });
        }
        Ok(v)
    }

    fn relation(&mut self, op: RelOp, negate: bool, lhs: &Arith, rhs: &Arith) -> Result<Cond> {
        let a0 = self.arith(lhs)?;
        let a1 = self.arith(rhs)?;
        let mut stmts = a0.stmts;
        stmts.extend(a1.stmts);
        stmts.extend([ld(LDX | MEM, a1.reg), ld(LD | MEM, a0.reg)]);
        let test = match op {
            RelOp::Eq => {
                stmts.push(ld(ALU | SUB | X, 0));
                Test::Jump { op: JEQ, x: false, k: 0 }
            }
            RelOp::Gt => Test::Jump { op: JGT, x: true, k: 0 },
            RelOp::Ge => Test::Jump { op: JGE, x: true, k: 0 },
        };
        self.free_reg(a0.reg);
        self.free_reg(a1.reg);
        let mut b = self.effects(stmts, test, false);
        if negate {
            b = self.not(b);
        }
        let checks = match (a0.cond, a1.cond) {
            (Some(c0), Some(c1)) => Some(self.and(c0, c1)),
            (c0, c1) => c0.or(c1),
        };
        Ok(match checks {
            Some(c) => self.and(c, b),
            None => b,
        })
    }

    pub fn node(&mut self, n: &Node) -> Result<Cond> {
        Ok(match n {
            Node::True => Cond::TRUE,
            Node::And(a, b) => {
                let a = self.node(a)?;
                let b = self.node(b)?;
                self.and(a, b)
            }
            Node::Or(a, b) => {
                let a = self.node(a)?;
                let b = self.node(b)?;
                self.or(a, b)
            }
            Node::Not(a) => {
                let a = self.node(a)?;
                self.not(a)
            }
            Node::Id { qual, id } => self.id(*qual, id)?,
            Node::Proto(p) => self.proto_abbrev(*p)?,
            Node::Relation { op, negate, lhs, rhs } => self.relation(*op, *negate, lhs, rhs)?,
            Node::Broadcast(p) => self.broadcast(*p)?,
            Node::Multicast(p) => self.multicast(*p)?,
            Node::Less(n) => self.not(self.leaf(vec![ld(LD | W | LEN, 0)], JGT, *n)),
            Node::Greater(n) => self.leaf(vec![ld(LD | W | LEN, 0)], JGE, *n),
            Node::Inbound(i) => self.inbound(*i)?,
            Node::Ifindex(i) => self.ifindex(*i)?,
            Node::Vlan(v) => self.vlan(*v)?,
            Node::Mpls(l) => self.mpls(*l)?,
            Node::Pppoed => self.linktype(ETH_PPPOED)?,
            Node::Llc(kind) => self.llc(*kind)?,
            Node::Pppoes(s) => self.pppoes(*s)?,
            Node::Geneve(v) => self.geneve(*v)?,
            Node::Byte { idx, op, val } => self.byteop(*op, *idx, *val)?,
            Node::WlanType { v, mask } => self.wlan_type(*v, *mask)?,
            Node::WlanDir(v) => self.wlan_dir(*v)?,
            Node::Pf(f) => self.pf_field(f)?,
            Node::Atm(t) => self.atm_type(*t)?,
            Node::Mtp2(t) => self.mtp2_type(*t)?,
            Node::Field { field, op, negate, v } => self.field(*field, *op, *negate, *v)?,
        })
    }
}
