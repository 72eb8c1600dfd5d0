//! Code generation: the AST to conditions over BPF test blocks, following
//! libpcap's gencode so that every primitive tests the same bytes in the
//! same order (and so accepts exactly the same packets).

use std::net::IpAddr;

use super::ast::{AddrKind, Arith, ArithOp, Dir, Id, Node, Proto, Qual, RelOp};
use super::insn::*;
use super::ir::{Cond, Test};
use super::names::{self, PortProto};
use super::LinkType;
use crate::error::{Error, ErrorCode, Result};
use crate::sys;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::FilterSyntax, msg)
}

const ETHERMTU: u32 = 1500;
const ETH_IP: u32 = 0x0800;
const ETH_IPV6: u32 = 0x86dd;
const ETH_ARP: u32 = 0x0806;
const ETH_RARP: u32 = 0x8035;
const ETH_8021Q: u32 = 0x8100;
const ETH_8021AD: u32 = 0x88a8;
const ETH_QINQ: u32 = 0x9100;
const ETH_MPLS: u32 = 0x8847;
const ETH_PPPOED: u32 = 0x8863;
const ETH_PPPOES: u32 = 0x8864;
const ETH_TEB: u32 = 0x6558;
const PPP_MPLS_UCAST: u32 = 0x0281;
const LINUX_SLL_P_802_2: u32 = 4;
const LINUX_SLL_OUTGOING: u32 = 4;
const PACKET_OUTGOING: u32 = 4;
const GENEVE_PORT: u32 = 6081;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_SCTP: u32 = 132;
const IPPROTO_FRAGMENT: u32 = 44;
/// Initial value of variable-offset registers: any load through it is
/// outside the packet (and below the kernel's negative offset areas).
const UNSET_OFFSET: u32 = 0x8000_0000;
/// Extension headers `protochain` follows before giving up.
const PROTOCHAIN_DEPTH: usize = 4;
/// AF_INET6 on this (Linux) host, as DLT_NULL/DLT_LOOP carry it.
const AF_INET6_LINUX: u32 = 10;

/// An offset that may have a variable part kept in a scratch register.
#[derive(Debug, Clone, Copy)]
struct Off {
    k: u32,
    reg: Option<u32>,
}

impl Off {
    const fn at(k: u32) -> Off {
        Off { k, reg: None }
    }
}

/// What an offset is relative to (libpcap's `enum e_offrel`).
#[derive(Debug, Clone, Copy)]
enum Rel {
    LinkHdr,
    LinkType,
    LinkPl,
    PrevMplsHdr,
    TranIpv4,
    TranIpv6,
}

/// The link layer as the generator currently sees it (PPPoE session
/// payloads are PPP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Ether,
    Sll,
    Sll2,
    Raw,
    Ipv4,
    Ipv6,
    Null,
    Loop,
    Ppp,
    /// No protocol tests: libpcap compiles only link[] and len on NFLOG.
    Nflog,
}

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Ether => "Ethernet",
            Link::Sll => "Linux cooked v1",
            Link::Sll2 => "Linux cooked v2",
            Link::Raw => "Raw IP",
            Link::Ipv4 => "Raw IPv4",
            Link::Ipv6 => "Raw IPv6",
            Link::Null => "BSD loopback",
            Link::Loop => "OpenBSD loopback",
            Link::Ppp => "PPP",
            Link::Nflog => "NFLOG",
        }
    }
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
    link: Link,
    linkhdr: Off,
    linktype: Option<Off>,
    linkpl: Off,
    nl: u32,
    mpls_depth: u32,
    vlan_depth: u32,
    netmask: u32,
    vlan_ext: bool,
    regs: [bool; MEMWORDS as usize],
    cur: usize,
    /// Stores run before anything else: registers that hold header offsets
    /// (Geneve) are read on paths where libpcap never wrote them (its
    /// filter then reads stack garbage, and the kernel refuses such
    /// programs). They start far outside any packet, so that a test of
    /// the inner packet of a Geneve packet that was not there ends the
    /// filter with 0, which is what libpcap does in practice.
    pub prologue: Vec<Insn>,
}

fn ld(code: u16, k: u32) -> Insn {
    Insn::stmt(code, k)
}

fn and_all(mut conds: Vec<Cond>) -> Cond {
    let mut acc = conds.pop().unwrap_or(Cond::Const(true));
    while let Some(c) = conds.pop() {
        acc = Cond::and(c, acc);
    }
    acc
}

impl Gen {
    pub fn new(linktype: LinkType, netmask: u32, vlan_ext: bool) -> Gen {
        let (link, linktype_off, linkpl) = match linktype {
            LinkType::Ethernet => (Link::Ether, Some(12), 14),
            LinkType::LinuxSll => (Link::Sll, Some(14), 16),
            LinkType::LinuxSll2 => (Link::Sll2, Some(0), 20),
            LinkType::Raw => (Link::Raw, None, 0),
            LinkType::Ipv4 => (Link::Ipv4, None, 0),
            LinkType::Ipv6 => (Link::Ipv6, None, 0),
            LinkType::Null => (Link::Null, Some(0), 4),
            LinkType::Loop => (Link::Loop, Some(0), 4),
            LinkType::Nflog => (Link::Nflog, None, 0),
        };
        Gen {
            link,
            linkhdr: Off::at(0),
            linktype: linktype_off.map(Off::at),
            linkpl: Off::at(linkpl),
            nl: 0,
            mpls_depth: 0,
            vlan_depth: 0,
            netmask,
            vlan_ext,
            regs: [false; MEMWORDS as usize],
            cur: 0,
            prologue: Vec::new(),
        }
    }

    fn alloc_reg(&mut self) -> Result<u32> {
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

    fn free_reg(&mut self, r: u32) {
        if let Some(slot) = self.regs.get_mut(r as usize) {
            *slot = false;
        }
    }

    // ---- loads and comparisons -------------------------------------------

    /// X := variable part of `off`, if it has one.
    fn varpart(off: Off) -> Option<Insn> {
        off.reg.map(|r| ld(LDX | MEM, r))
    }

    fn load_rel(off: Off, k: u32, size: u16) -> Vec<Insn> {
        match Self::varpart(off) {
            Some(x) => vec![x, ld(LD | IND | size, off.k.wrapping_add(k))],
            None => vec![ld(LD | ABS | size, off.k.wrapping_add(k))],
        }
    }

    /// X := offset of the IPv4 payload (the IP header length plus the link
    /// payload offset).
    fn loadx_iphdrlen(&self) -> Vec<Insn> {
        match Self::varpart(self.linkpl) {
            Some(x) => vec![
                x,
                ld(LD | IND | B, self.linkpl.k.wrapping_add(self.nl)),
                ld(ALU | AND | K, 0xf),
                ld(ALU | LSH | K, 2),
                ld(ALU | ADD | X, 0),
                ld(MISC | TAX, 0),
            ],
            None => vec![ld(LDX | MSH | B, self.linkpl.k.wrapping_add(self.nl))],
        }
    }

    fn linktype_off(&self) -> Result<Off> {
        self.linktype.ok_or_else(|| err(format!("link-layer type field not available on {}", self.link.name())))
    }

    fn load_a(&self, rel: Rel, off: u32, size: u16) -> Result<Vec<Insn>> {
        Ok(match rel {
            Rel::LinkHdr => Self::load_rel(self.linkhdr, off, size),
            Rel::LinkType => Self::load_rel(self.linktype_off()?, off, size),
            Rel::LinkPl => Self::load_rel(self.linkpl, self.nl.wrapping_add(off), size),
            Rel::PrevMplsHdr => Self::load_rel(self.linkpl, self.nl.wrapping_sub(4).wrapping_add(off), size),
            Rel::TranIpv4 => {
                let mut s = self.loadx_iphdrlen();
                s.push(ld(LD | IND | size, self.linkpl.k.wrapping_add(self.nl).wrapping_add(off)));
                s
            }
            Rel::TranIpv6 => Self::load_rel(self.linkpl, self.nl.wrapping_add(40).wrapping_add(off), size),
        })
    }

    fn ncmp(&self, rel: Rel, off: u32, size: u16, mask: u32, op: u16, v: u32) -> Result<Cond> {
        let mut s = self.load_a(rel, off, size)?;
        if mask != 0xffff_ffff {
            s.push(ld(ALU | AND | K, mask));
        }
        Ok(Cond::leaf(s, op, v))
    }

    fn cmp(&self, rel: Rel, off: u32, size: u16, v: u32) -> Result<Cond> {
        self.ncmp(rel, off, size, 0xffff_ffff, JEQ, v)
    }

    fn mcmp(&self, rel: Rel, off: u32, size: u16, v: u32, mask: u32) -> Result<Cond> {
        self.ncmp(rel, off, size, mask, JEQ, v)
    }

    /// Byte-string comparison, four bytes at a time from the end.
    fn bcmp(&self, rel: Rel, off: u32, bytes: &[u8]) -> Result<Cond> {
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
        Ok(and_all(parts))
    }

    // ---- link layer ---------------------------------------------------------

    fn linktype(&self, proto: u32) -> Result<Cond> {
        if self.mpls_depth > 0 {
            let version = match proto {
                ETH_IP => 0x40,
                ETH_IPV6 => 0x60,
                _ => return Err(err("unsupported protocol over mpls")),
            };
            let bos = self.mcmp(Rel::LinkPl, 0u32.wrapping_sub(2), B, 0x01, 0x01)?;
            return Ok(Cond::and(bos, self.mcmp(Rel::LinkPl, 0, B, version, 0xf0)?));
        }
        match self.link {
            Link::Nflog => Err(err("NFLOG link-layer type filtering not implemented")),
            Link::Ether => self.ether_linktype(proto),
            Link::Sll => self.sll_linktype(proto),
            // libpcap 1.10 compares the protocol field directly for
            // LINUX_SLL2, even for 802.2 SAP values.
            Link::Sll2 => self.cmp(Rel::LinkType, 0, H, proto),
            Link::Ppp => {
                let v = match proto {
                    ETH_IP => 0x21,
                    ETH_IPV6 => 0x57,
                    0x6003 => 0x27,
                    0x809b => 0x29,
                    0xe0 => 0x2b,
                    other => other,
                };
                self.cmp(Rel::LinkType, 0, H, v)
            }
            Link::Raw => match proto {
                ETH_IP => self.mcmp(Rel::LinkHdr, 0, B, 0x40, 0xf0),
                ETH_IPV6 => self.mcmp(Rel::LinkHdr, 0, B, 0x60, 0xf0),
                _ => Ok(Cond::Const(false)),
            },
            Link::Ipv4 => Ok(Cond::Const(proto == ETH_IP)),
            Link::Ipv6 => Ok(Cond::Const(proto == ETH_IPV6)),
            Link::Null | Link::Loop => {
                let af = match proto {
                    ETH_IP => 2,
                    ETH_IPV6 => AF_INET6_LINUX,
                    _ => return Ok(Cond::Const(false)),
                };
                // DLT_NULL carries the family in the capturing host's byte
                // order; BPF loads are big-endian.
                let v = if self.link == Link::Null && cfg!(target_endian = "little") { af.swap_bytes() } else { af };
                self.cmp(Rel::LinkHdr, 0, W, v)
            }
        }
    }

    fn llc_sap_pair(proto: u32) -> bool {
        matches!(proto, 0xfe | 0x06 | 0xf0)
    }

    fn ether_linktype(&self, proto: u32) -> Result<Cond> {
        if matches!(proto, 0xe0 | 0x809b | 0x80f3) {
            return Err(err("IPX and AppleTalk encapsulations are not supported"));
        }
        if proto <= ETHERMTU {
            let not_ether = self.ncmp(Rel::LinkType, 0, H, 0xffff_ffff, JGT, ETHERMTU)?;
            let llc = if Self::llc_sap_pair(proto) {
                self.cmp(Rel::LinkPl, 0, H, (proto << 8) | proto)?
            } else {
                self.cmp(Rel::LinkPl, 0, B, proto)?
            };
            return Ok(Cond::and(Cond::not(not_ether), llc));
        }
        self.cmp(Rel::LinkType, 0, H, proto)
    }

    fn sll_linktype(&self, proto: u32) -> Result<Cond> {
        if matches!(proto, 0xe0 | 0x809b | 0x80f3) {
            return Err(err("IPX and AppleTalk encapsulations are not supported"));
        }
        if proto <= ETHERMTU {
            let is_llc = self.cmp(Rel::LinkType, 0, H, LINUX_SLL_P_802_2)?;
            let sap = if Self::llc_sap_pair(proto) {
                self.cmp(Rel::LinkPl, 0, H, (proto << 8) | proto)?
            } else {
                self.cmp(Rel::LinkPl, 0, B, proto)?
            };
            return Ok(Cond::and(is_llc, sap));
        }
        self.cmp(Rel::LinkType, 0, H, proto)
    }

    fn is_ether(&self) -> bool {
        self.link == Link::Ether
    }

    fn ehostop(&self, mac: &[u8; 6], dir: Dir) -> Result<Cond> {
        Ok(match dir {
            Dir::Src => self.bcmp(Rel::LinkHdr, 6, mac)?,
            Dir::Dst => self.bcmp(Rel::LinkHdr, 0, mac)?,
            Dir::And => Cond::and(self.ehostop(mac, Dir::Src)?, self.ehostop(mac, Dir::Dst)?),
            Dir::Default | Dir::Or => Cond::or(self.ehostop(mac, Dir::Src)?, self.ehostop(mac, Dir::Dst)?),
        })
    }

    fn ecode(&self, mac: &[u8; 6], q: Qual) -> Result<Cond> {
        if matches!(q.addr, AddrKind::Host | AddrKind::Default) && q.proto == Proto::Link {
            if !self.is_ether() {
                return Err(err(
                    "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel",
                ));
            }
            return self.ehostop(mac, q.dir);
        }
        Err(err("ethernet address used in non-ether expression"))
    }

    // ---- network layer ------------------------------------------------------

    fn hostop(&self, addr: u32, mask: u32, dir: Dir, ethertype: u32, src: u32, dst: u32) -> Result<Cond> {
        let off = match dir {
            Dir::Src => src,
            Dir::Dst => dst,
            Dir::And => {
                let a = self.hostop(addr, mask, Dir::Src, ethertype, src, dst)?;
                return Ok(Cond::and(a, self.hostop(addr, mask, Dir::Dst, ethertype, src, dst)?));
            }
            Dir::Default | Dir::Or => {
                let a = self.hostop(addr, mask, Dir::Src, ethertype, src, dst)?;
                return Ok(Cond::or(a, self.hostop(addr, mask, Dir::Dst, ethertype, src, dst)?));
            }
        };
        Ok(Cond::and(self.linktype(ethertype)?, self.mcmp(Rel::LinkPl, off, W, addr, mask)?))
    }

    fn host(&self, addr: u32, mask: u32, proto: Proto, dir: Dir, what: &str) -> Result<Cond> {
        match proto {
            Proto::Default => {
                let ip = self.host(addr, mask, Proto::Ip, dir, what)?;
                if self.mpls_depth > 0 {
                    return Ok(ip);
                }
                let arp = self.host(addr, mask, Proto::Arp, dir, what)?;
                Ok(Cond::or(Cond::or(ip, arp), self.host(addr, mask, Proto::Rarp, dir, what)?))
            }
            Proto::Ip => self.hostop(addr, mask, dir, ETH_IP, 12, 16),
            Proto::Arp => self.hostop(addr, mask, dir, ETH_ARP, 14, 24),
            Proto::Rarp => self.hostop(addr, mask, dir, ETH_RARP, 14, 24),
            Proto::Link => Err(err(format!("link-layer modifier applied to {what}"))),
            p => Err(err(format!("'{}' modifier applied to {what}", p.name()))),
        }
    }

    fn hostop6(&self, addr: &[u8; 16], mask: &[u8; 16], dir: Dir) -> Result<Cond> {
        let off = match dir {
            Dir::Src => 8,
            Dir::Dst => 24,
            Dir::And => return Ok(Cond::and(self.hostop6(addr, mask, Dir::Src)?, self.hostop6(addr, mask, Dir::Dst)?)),
            Dir::Default | Dir::Or => {
                return Ok(Cond::or(self.hostop6(addr, mask, Dir::Src)?, self.hostop6(addr, mask, Dir::Dst)?))
            }
        };
        let word = |b: &[u8; 16], i: usize| u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        let mut parts = vec![self.linktype(ETH_IPV6)?];
        for i in 0..4 {
            parts.push(self.mcmp(Rel::LinkPl, off + 4 * i as u32, W, word(addr, i), word(mask, i))?);
        }
        Ok(and_all(parts))
    }

    fn host6(&self, addr: &[u8; 16], mask: &[u8; 16], proto: Proto, dir: Dir, what: &str) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Ip6 => self.hostop6(addr, mask, dir),
            Proto::Link => Err(err(format!("link-layer modifier applied to ip6 {what}"))),
            p => Err(err(format!("'{}' modifier applied to ip6 {what}", p.name()))),
        }
    }

    fn ipfrag(&self) -> Result<Cond> {
        // Not a fragment other than the first.
        Ok(Cond::not(Cond::leaf(self.load_a(Rel::LinkPl, 6, H)?, JSET, 0x1fff)))
    }

    fn proto(&self, v: u32, proto: Proto, dir: Dir) -> Result<Cond> {
        if dir != Dir::Default {
            return Err(err("direction applied to 'proto'"));
        }
        match proto {
            Proto::Default => Ok(Cond::or(self.proto(v, Proto::Ip, dir)?, self.proto(v, Proto::Ip6, dir)?)),
            Proto::Link => self.linktype(v),
            Proto::Ip => Ok(Cond::and(self.linktype(ETH_IP)?, self.cmp(Rel::LinkPl, 9, B, v)?)),
            Proto::Ip6 => {
                let frag = Cond::and(self.cmp(Rel::LinkPl, 6, B, IPPROTO_FRAGMENT)?, self.cmp(Rel::LinkPl, 40, B, v)?);
                let direct = self.cmp(Rel::LinkPl, 6, B, v)?;
                Ok(Cond::and(self.linktype(ETH_IPV6)?, Cond::or(direct, frag)))
            }
            Proto::Arp | Proto::Rarp => Err(err(format!("{} does not encapsulate another protocol", proto.name()))),
            p => Err(err(format!("'{} proto' is bogus", p.name()))),
        }
    }

    fn proto_abbrev(&self, p: Proto) -> Result<Cond> {
        use Proto::*;
        match p {
            Sctp => self.proto(IPPROTO_SCTP, Default, Dir::Default),
            Tcp => self.proto(IPPROTO_TCP, Default, Dir::Default),
            Udp => self.proto(IPPROTO_UDP, Default, Dir::Default),
            Icmp => self.proto(1, Ip, Dir::Default),
            Igmp => self.proto(2, Ip, Dir::Default),
            Igrp => self.proto(9, Ip, Dir::Default),
            Pim => self.proto(103, Default, Dir::Default),
            Vrrp | Carp => self.proto(112, Ip, Dir::Default),
            Ip => self.linktype(ETH_IP),
            Arp => self.linktype(ETH_ARP),
            Rarp => self.linktype(ETH_RARP),
            Ip6 => self.linktype(ETH_IPV6),
            Icmp6 => self.proto(58, Ip6, Dir::Default),
            Ah => self.proto(51, Default, Dir::Default),
            Esp => self.proto(50, Default, Dir::Default),
            Iso => self.linktype(0xfe),
            Stp => self.linktype(0x42),
            Netbeui => self.linktype(0xf0),
            Decnet => self.linktype(0x6003),
            Lat => self.linktype(0x6004),
            Sca => self.linktype(0x6007),
            Moprc => self.linktype(0x6002),
            Mopdl => self.linktype(0x6001),
            Link => Err(err("link layer applied in wrong context")),
            Default => Err(err("no protocol given")),
        }
    }

    // ---- transport layer ----------------------------------------------------

    fn portatom(&self, rel: Rel, off: u32, lo: u32, hi: u32) -> Result<Cond> {
        if lo == hi {
            return self.cmp(rel, off, H, lo);
        }
        let ge = self.ncmp(rel, off, H, 0xffff_ffff, JGE, lo)?;
        let le = Cond::not(self.ncmp(rel, off, H, 0xffff_ffff, JGT, hi)?);
        Ok(Cond::and(ge, le))
    }

    fn portop(&self, v6: bool, lo: u32, hi: u32, ipproto: u32, dir: Dir) -> Result<Cond> {
        let (rel, check) = if v6 {
            (Rel::TranIpv6, self.cmp(Rel::LinkPl, 6, B, ipproto)?)
        } else {
            (Rel::TranIpv4, Cond::and(self.cmp(Rel::LinkPl, 9, B, ipproto)?, self.ipfrag()?))
        };
        let ports = match dir {
            Dir::Src => self.portatom(rel, 0, lo, hi)?,
            Dir::Dst => self.portatom(rel, 2, lo, hi)?,
            Dir::And => Cond::and(self.portatom(rel, 0, lo, hi)?, self.portatom(rel, 2, lo, hi)?),
            Dir::Default | Dir::Or => Cond::or(self.portatom(rel, 0, lo, hi)?, self.portatom(rel, 2, lo, hi)?),
        };
        Ok(Cond::and(check, ports))
    }

    /// `ipproto` None: TCP, UDP or SCTP.
    fn port_family(&self, v6: bool, lo: u32, hi: u32, ipproto: Option<u32>, dir: Dir) -> Result<Cond> {
        let lt = self.linktype(if v6 { ETH_IPV6 } else { ETH_IP })?;
        let ports = match ipproto {
            Some(p) => self.portop(v6, lo, hi, p, dir)?,
            None => {
                let t = self.portop(v6, lo, hi, IPPROTO_TCP, dir)?;
                let u = self.portop(v6, lo, hi, IPPROTO_UDP, dir)?;
                Cond::or(Cond::or(t, u), self.portop(v6, lo, hi, IPPROTO_SCTP, dir)?)
            }
        };
        Ok(Cond::and(lt, ports))
    }

    fn ports(&self, lo: u32, hi: u32, ipproto: Option<u32>, dir: Dir) -> Result<Cond> {
        let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
        let v4 = self.port_family(false, lo, hi, ipproto, dir)?;
        Ok(Cond::or(self.port_family(true, lo, hi, ipproto, dir)?, v4))
    }

    fn port_proto(proto: Proto, what: &str) -> Result<Option<u32>> {
        match proto {
            Proto::Default => Ok(None),
            Proto::Tcp => Ok(Some(IPPROTO_TCP)),
            Proto::Udp => Ok(Some(IPPROTO_UDP)),
            Proto::Sctp => Ok(Some(IPPROTO_SCTP)),
            _ => Err(err(format!("illegal qualifier of '{what}'"))),
        }
    }

    /// A named port's protocol must agree with an explicit qualifier.
    fn named_port_proto(name: &str, proto: Proto, found: PortProto) -> Result<Option<u32>> {
        match (proto, found) {
            (Proto::Default, PortProto::Any) => Ok(None),
            (Proto::Default, PortProto::Tcp) => Ok(Some(IPPROTO_TCP)),
            (Proto::Default, PortProto::Udp) => Ok(Some(IPPROTO_UDP)),
            (Proto::Udp, PortProto::Tcp) => Err(err(format!("port '{name}' is tcp"))),
            (Proto::Tcp, PortProto::Udp) => Err(err(format!("port '{name}' is udp"))),
            (Proto::Sctp, PortProto::Tcp) => Err(err(format!("port '{name}' is tcp"))),
            (Proto::Sctp, PortProto::Udp) => Err(err(format!("port '{name}' is udp"))),
            (p, _) => Self::port_proto(p, "port"),
        }
    }

    // ---- ids ------------------------------------------------------------------

    fn id(&mut self, q: Qual, id: &Id) -> Result<Cond> {
        if q.addr == AddrKind::Undef {
            return Err(err("syntax error in filter expression"));
        }
        match id {
            Id::Num(v) => self.ncode(None, *v, q),
            Id::V4(s) => {
                if q.proto == Proto::Link {
                    return Err(err("illegal link layer address"));
                }
                let (v, len) = names::atoin(s).ok_or_else(|| err(format!("invalid IPv4 address '{s}'")))?;
                if matches!(q.addr, AddrKind::Port | AddrKind::PortRange) {
                    return Err(err(format!("'port' modifier applied to ip host '{s}'")));
                }
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
                    if !self.is_ether() {
                        return Err(err(
                            "only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name",
                        ));
                    }
                    let mac = names::ether_host(name).ok_or_else(|| err(format!("unknown ether host '{name}'")))?;
                    return self.ehostop(&mac, q.dir);
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
                        Some(prev) => Cond::or(prev, c),
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
            AddrKind::Gateway => {
                let mac = names::ether_host(name).ok_or_else(|| err(format!("unknown ether host '{name}'")))?;
                if !self.is_ether() {
                    return Err(err(
                        "'gateway' supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel",
                    ));
                }
                let mut hosts: Option<Cond> = None;
                for a in names::host_addrs(name) {
                    if let IpAddr::V4(v4) = a {
                        let c = self.host(u32::from(v4), 0xffff_ffff, Proto::Default, Dir::Or, "host")?;
                        hosts = Some(match hosts {
                            Some(h) => Cond::or(h, c),
                            None => c,
                        });
                    }
                }
                let hosts = hosts.ok_or_else(|| err(format!("unknown host '{name}'")))?;
                Ok(Cond::and(self.ehostop(&mac, Dir::Or)?, Cond::not(hosts)))
            }
            AddrKind::Proto => {
                let v = match q.proto {
                    Proto::Default | Proto::Ip | Proto::Ip6 => {
                        names::ip_proto(name).ok_or_else(|| err(format!("unknown ip proto '{name}'")))?
                    }
                    Proto::Link => {
                        names::ether_proto(name).ok_or_else(|| err(format!("unknown ether proto '{name}'")))?
                    }
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

    /// `protochain p`: follow the IPv6 extension headers (and AH, for both
    /// families) looking for protocol `p`. libpcap loops with a backward
    /// jump, which the kernel refuses; this unrolls the same loop
    /// [`PROTOCHAIN_DEPTH`] times, so a chain longer than that does not
    /// match. The header walk is libpcap's, including its AH length
    /// computation (which does not add the AH header's own offset).
    fn protochain(&mut self, v: u32, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default => {
                let v4 = self.protochain(v, Proto::Ip)?;
                Ok(Cond::or(v4, self.protochain(v, Proto::Ip6)?))
            }
            Proto::Ip | Proto::Ip6 => {
                if self.linkpl.reg.is_some() {
                    return Err(err("'protochain' not supported with variable length headers"));
                }
                let v6 = proto == Proto::Ip6;
                let base = self.linkpl.k.wrapping_add(self.nl);
                let reg = self.alloc_reg()?;
                // A = first protocol, X = its header's offset from the
                // network header.
                let start = if v6 {
                    vec![ld(LD | ABS | B, base + 6), ld(LDX | IMM, 40)]
                } else {
                    let mut s = vec![ld(LD | ABS | B, base + 9)];
                    s.extend(self.loadx_iphdrlen());
                    s
                };
                let is = |k: u32| Cond::leaf(Vec::new(), JEQ, k);
                let ext6 = vec![
                    ld(LD | IND | B, base),
                    ld(ST, reg),
                    ld(LD | IND | B, base + 1),
                    ld(ALU | ADD | K, 1),
                    ld(ALU | MUL | K, 8),
                    ld(ALU | ADD | X, 0),
                    ld(MISC | TAX, 0),
                    ld(LD | MEM, reg),
                ];
                let ah = vec![
                    ld(MISC | TXA, 0),
                    ld(LD | IND | B, base),
                    ld(ST, reg),
                    ld(MISC | TXA, 0),
                    ld(ALU | ADD | K, 1),
                    ld(MISC | TAX, 0),
                    ld(LD | IND | B, base),
                    ld(ALU | ADD | K, 2),
                    ld(ALU | MUL | K, 4),
                    ld(MISC | TAX, 0),
                    ld(LD | MEM, reg),
                ];
                let mut chain = is(v);
                for _ in 0..PROTOCHAIN_DEPTH {
                    let via_ah = Cond::and(is(51), Cond::effects(ah.clone(), Test::Always, false));
                    let advance = if v6 {
                        let ext = Cond::or(Cond::or(Cond::or(is(0), is(60)), is(43)), is(44));
                        Cond::or(Cond::and(ext, Cond::effects(ext6.clone(), Test::Always, false)), via_ah)
                    } else {
                        via_ah
                    };
                    chain = Cond::or(is(v), Cond::and(Cond::not(is(59)), Cond::and(advance, chain)));
                }
                self.free_reg(reg);
                let mut lt = self.linktype(if v6 { ETH_IPV6 } else { ETH_IP })?;
                if lt == Cond::Const(false) {
                    // libpcap's optimizer cannot see through its protochain
                    // loop, so it accepts this (as a filter that never
                    // matches) instead of failing with "expression rejects
                    // all packets"; a kept test does the same here.
                    lt = Cond::effects(vec![ld(LD | IMM, 0)], Test::Jump { op: JEQ, x: false, k: 1 }, true);
                }
                Ok(Cond::and(lt, Cond::and(Cond::effects(start, Test::Always, false), chain)))
            }
            _ => Err(err("bad protocol applied for 'protochain'")),
        }
    }

    // ---- other primitives -------------------------------------------------------

    fn broadcast(&self, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Link => {
                if !self.is_ether() {
                    return Err(err("not a broadcast link"));
                }
                self.ehostop(&[0xff; 6], Dir::Dst)
            }
            Proto::Ip => {
                if self.netmask == 0xffff_ffff {
                    return Err(err("netmask not known, so 'ip broadcast' not supported"));
                }
                let host = !self.netmask;
                let zero = self.mcmp(Rel::LinkPl, 16, W, 0, host)?;
                let ones = self.mcmp(Rel::LinkPl, 16, W, host, host)?;
                Ok(Cond::and(self.linktype(ETH_IP)?, Cond::or(zero, ones)))
            }
            _ => Err(err("only link-layer/IP broadcast filters supported")),
        }
    }

    fn multicast(&self, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Link => {
                if !self.is_ether() {
                    return Err(err("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel"));
                }
                Ok(Cond::leaf(self.load_a(Rel::LinkHdr, 0, B)?, JSET, 1))
            }
            Proto::Ip => {
                let ge = self.ncmp(Rel::LinkPl, 16, B, 0xffff_ffff, JGE, 224)?;
                Ok(Cond::and(self.linktype(ETH_IP)?, ge))
            }
            Proto::Ip6 => Ok(Cond::and(self.linktype(ETH_IPV6)?, self.cmp(Rel::LinkPl, 24, B, 255)?)),
            _ => {
                Err(err("only IP multicast filters supported on ethernet/FDDI/tokenring/802.11/ATM LANE/Fibre Channel"))
            }
        }
    }

    fn inbound(&self, inbound: bool) -> Result<Cond> {
        let outgoing = match self.link {
            Link::Sll => self.cmp(Rel::LinkHdr, 0, H, LINUX_SLL_OUTGOING)?,
            Link::Sll2 => self.cmp(Rel::LinkHdr, 10, B, LINUX_SLL_OUTGOING)?,
            // Elsewhere the direction is only known to the kernel.
            _ => Cond::leaf(vec![ld(LD | H | ABS, ancillary(sys::SKF_AD_PKTTYPE))], JEQ, PACKET_OUTGOING),
        };
        Ok(if inbound { Cond::not(outgoing) } else { outgoing })
    }

    fn ifindex(&self, index: u32) -> Result<Cond> {
        match self.link {
            Link::Sll2 => self.cmp(Rel::LinkHdr, 4, W, index),
            _ => Ok(Cond::leaf(vec![ld(LD | W | ABS, ancillary(sys::SKF_AD_IFINDEX))], JEQ, index)),
        }
    }

    fn vlan(&mut self, vid: Option<u32>) -> Result<Cond> {
        if self.mpls_depth > 0 {
            return Err(err("no VLAN match after MPLS"));
        }
        if !self.is_ether() {
            return Err(err(format!("no VLAN support for {}", self.link.name())));
        }
        if let Some(v) = vid {
            if v > 0x0fff {
                return Err(err(format!("VLAN tag {v} greater than maximum 4095")));
            }
        }
        let inline = {
            let tpid =
                Cond::or(Cond::or(self.linktype(ETH_8021Q)?, self.linktype(ETH_8021AD)?), self.linktype(ETH_QINQ)?);
            match vid {
                Some(v) => Cond::and(tpid, self.mcmp(Rel::LinkPl, 0, H, v, 0x0fff)?),
                None => tpid,
            }
        };
        let out = if self.vlan_ext
            && self.vlan_depth == 0
            && self.linkpl.reg.is_none()
            && self.linktype.is_some_and(|o| o.reg.is_none())
        {
            self.vlan_live(vid, inline)?
        } else {
            self.linkpl.k += 4;
            if let Some(lt) = self.linktype.as_mut() {
                lt.k += 4;
            }
            inline
        };
        self.vlan_depth += 1;
        Ok(out)
    }

    /// For a live Linux socket the kernel usually strips the outer tag into
    /// metadata: match either the metadata or an inline tag, and record in
    /// a scratch register how far the inline case moved the payload.
    fn vlan_live(&mut self, vid: Option<u32>, inline: Cond) -> Result<Cond> {
        let present = Cond::leaf(vec![ld(LD | B | ABS, ancillary(sys::SKF_AD_VLAN_TAG_PRESENT))], JEQ, 1);
        let meta = match vid {
            Some(v) => {
                let tci = vec![ld(LD | H | ABS, ancillary(sys::SKF_AD_VLAN_TAG)), ld(ALU | AND | K, 0x0fff)];
                Cond::and(present, Cond::leaf(tci, JEQ, v))
            }
            None => present,
        };
        let reg = self.alloc_reg()?;
        // Under `not vlan` (or an `or`) the later tests run on packets for
        // which neither branch stored the shift: start it at 0, as libpcap's
        // prologue does. First in the prologue, so the A value the others
        // leave for their stores stays theirs.
        self.prologue.splice(0..0, [ld(LD | IMM, 0), ld(ST, reg)]);
        let shift = |n: u32| Cond::effects(vec![ld(LD | IMM, n), ld(ST, reg)], Test::Always, false);
        let out = Cond::or(Cond::and(meta, shift(0)), Cond::and(inline, shift(4)));
        self.linkpl.reg = Some(reg);
        if let Some(lt) = self.linktype.as_mut() {
            lt.reg = Some(reg);
        }
        Ok(out)
    }

    fn mpls(&mut self, label: Option<u32>) -> Result<Cond> {
        let mut c = if self.mpls_depth > 0 {
            self.mcmp(Rel::PrevMplsHdr, 2, B, 0, 0x01)?
        } else {
            match self.link {
                Link::Ether => self.linktype(ETH_MPLS)?,
                Link::Ppp => self.linktype(PPP_MPLS_UCAST)?,
                l => return Err(err(format!("no MPLS support for {}", l.name()))),
            }
        };
        if let Some(l) = label {
            if l > 0xfffff {
                return Err(err(format!("MPLS label {l} greater than maximum 1048575")));
            }
            c = Cond::and(c, self.mcmp(Rel::LinkPl, 0, W, l << 12, 0xffff_f000)?);
        }
        self.nl += 4;
        self.mpls_depth += 1;
        Ok(c)
    }

    fn pppoes(&mut self, session: Option<u32>) -> Result<Cond> {
        let mut c = self.linktype(ETH_PPPOES)?;
        if let Some(s) = session {
            if s > 0xffff {
                return Err(err(format!("PPPoE session number {s} greater than maximum 65535")));
            }
            c = Cond::and(c, self.mcmp(Rel::LinkPl, 0, W, s, 0xffff)?);
        }
        // The PPP header follows the 6-byte PPPoE header.
        self.linkhdr = Off { k: self.linkpl.k.wrapping_add(self.nl).wrapping_add(6), reg: self.linkpl.reg };
        self.linktype = Some(self.linkhdr);
        self.linkpl = Off { k: self.linkhdr.k.wrapping_add(2), reg: self.linkhdr.reg };
        self.nl = 0;
        self.link = Link::Ppp;
        Ok(c)
    }

    fn geneve(&mut self, vni: Option<u32>) -> Result<Cond> {
        if let Some(v) = vni {
            if v > 0xff_ffff {
                return Err(err(format!("Geneve VNI {v} greater than maximum 16777215")));
            }
        }
        let check = |g: &Gen, v6: bool| -> Result<Cond> {
            let rel = if v6 { Rel::TranIpv6 } else { Rel::TranIpv4 };
            let mut c = Cond::and(
                g.port_family(v6, GENEVE_PORT, GENEVE_PORT, Some(IPPROTO_UDP), Dir::Dst)?,
                g.mcmp(rel, 8, B, 0, 0xc0)?,
            );
            if let Some(v) = vni {
                c = Cond::and(c, g.mcmp(rel, 12, W, v << 8, 0xffff_ff00)?);
            }
            // Leave the transport header offset in A and X for the code
            // that follows.
            let mut s = if v6 { vec![ld(LD | IMM, 40), ld(MISC | TAX, 0)] } else { g.loadx_iphdrlen() };
            if !v6 {
                s.push(ld(MISC | TXA, 0));
            }
            Ok(Cond::and(c, Cond::effects(s, Test::Jump { op: JEQ, x: true, k: 0 }, false)))
        };
        let v4 = check(self, false)?;
        let v6 = check(self, true)?;
        let r_type = self.alloc_reg()?;
        let r_hdr = self.alloc_reg()?;
        let r_pl = self.alloc_reg()?;
        if !self.prologue.contains(&ld(LD | IMM, UNSET_OFFSET)) {
            self.prologue.push(ld(LD | IMM, UNSET_OFFSET));
        }
        self.prologue.extend([ld(ST, r_type), ld(ST, r_hdr), ld(ST, r_pl)]);
        let pre = vec![
            ld(ALU | ADD | K, self.linkpl.k.wrapping_add(self.nl).wrapping_add(8)),
            ld(MISC | TAX, 0),
            ld(ALU | ADD | K, 2),
            ld(ST, r_type),
            ld(LD | IND | B, 0),
            ld(ALU | AND | K, 0x3f),
            ld(ALU | MUL | K, 4),
            ld(ALU | ADD | K, 8),
            ld(ALU | ADD | X, 0),
            ld(ST, r_hdr),
            ld(LD | IND | H, 2),
            ld(LDX | MEM, r_hdr),
        ];
        let is_teb = Cond::effects(pre, Test::Jump { op: JEQ, x: false, k: ETH_TEB }, true);
        let inner_ether = Cond::effects(
            vec![ld(MISC | TXA, 0), ld(ALU | ADD | K, 12), ld(ST, r_type), ld(ALU | ADD | K, 2), ld(MISC | TAX, 0)],
            Test::Always,
            true,
        );
        let store = Cond::effects(vec![ld(STX, r_pl)], Test::Always, true);
        let offsets = Cond::and(Cond::or(Cond::and(is_teb, inner_ether), Cond::Const(true)), store);
        self.linktype = Some(Off { k: 0, reg: Some(r_type) });
        self.linkhdr = Off { k: 0, reg: Some(r_hdr) };
        self.linkpl = Off { k: 0, reg: Some(r_pl) };
        self.nl = 0;
        self.link = Link::Ether;
        Ok(Cond::and(Cond::or(v4, v6), offsets))
    }

    // ---- arithmetic ---------------------------------------------------------------

    fn arith(&mut self, a: &Arith) -> Result<Val> {
        match a {
            Arith::Num(v) => {
                let reg = self.alloc_reg()?;
                Ok(Val { stmts: vec![ld(LD | IMM, *v), ld(ST, reg)], cond: None, reg, literal: Some(*v) })
            }
            Arith::Len => {
                let reg = self.alloc_reg()?;
                Ok(Val { stmts: vec![ld(LD | W | LEN, 0), ld(ST, reg)], cond: None, reg, literal: None })
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
                    (Some(c0), Some(c1)) => Some(Cond::and(c0, c1)),
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
                let p = Cond::and(self.proto_abbrev(proto)?, self.ipfrag()?);
                extra_cond.push(Cond::and(self.proto_abbrev(Proto::Ip)?, p));
            }
            Proto::Icmp6 => {
                extra_cond.push(Cond::and(self.proto_abbrev(Proto::Ip6)?, self.cmp(Rel::LinkPl, 6, B, 58)?));
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
                Some(prev) => Cond::and(prev, c),
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
        let mut b = Cond::effects(stmts, test, false);
        if negate {
            b = Cond::not(b);
        }
        let checks = match (a0.cond, a1.cond) {
            (Some(c0), Some(c1)) => Some(Cond::and(c0, c1)),
            (c0, c1) => c0.or(c1),
        };
        Ok(match checks {
            Some(c) => Cond::and(c, b),
            None => b,
        })
    }

    pub fn node(&mut self, n: &Node) -> Result<Cond> {
        Ok(match n {
            Node::True => Cond::Const(true),
            Node::And(a, b) => {
                let a = self.node(a)?;
                Cond::and(a, self.node(b)?)
            }
            Node::Or(a, b) => {
                let a = self.node(a)?;
                Cond::or(a, self.node(b)?)
            }
            Node::Not(a) => Cond::not(self.node(a)?),
            Node::Id { qual, id } => self.id(*qual, id)?,
            Node::Proto(p) => self.proto_abbrev(*p)?,
            Node::Relation { op, negate, lhs, rhs } => self.relation(*op, *negate, lhs, rhs)?,
            Node::Broadcast(p) => self.broadcast(*p)?,
            Node::Multicast(p) => self.multicast(*p)?,
            Node::Less(n) => Cond::not(Cond::leaf(vec![ld(LD | W | LEN, 0)], JGT, *n)),
            Node::Greater(n) => Cond::leaf(vec![ld(LD | W | LEN, 0)], JGE, *n),
            Node::Inbound(i) => self.inbound(*i)?,
            Node::Ifindex(i) => self.ifindex(*i)?,
            Node::Vlan(v) => self.vlan(*v)?,
            Node::Mpls(l) => self.mpls(*l)?,
            Node::Pppoed => self.linktype(ETH_PPPOED)?,
            Node::Pppoes(s) => self.pppoes(*s)?,
            Node::Geneve(v) => self.geneve(*v)?,
        })
    }
}
