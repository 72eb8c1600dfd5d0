//! IPv4 and IPv6: hosts and networks (ARP and RARP addresses too), the
//! protocol field (IPv6 also behind one fragment header, as libpcap looks),
//! non-first fragments, and `protochain`. libpcap's `protochain` loops
//! over the header chain with a backward jump, which the kernel refuses;
//! ringcap unrolls the same walk 16 times (8 or 4 where the program would
//! pass the kernel's 4096 instructions), so a protocol behind more
//! headers than that does not match where libpcap's loop finds it.

use super::super::ast::{Dir, Proto};
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use crate::error::Result;

impl Gen {
    pub(in crate::filter) fn hostop(
        &self,
        addr: u32,
        mask: u32,
        dir: Dir,
        ethertype: u32,
        src: u32,
        dst: u32,
    ) -> Result<Cond> {
        let off = match dir {
            Dir::Src => src,
            Dir::Dst => dst,
            Dir::Wlan(w) => return Err(w.not_valid_for("addresses other than 802.11 MAC addresses")),
            Dir::And => {
                let a = self.hostop(addr, mask, Dir::Src, ethertype, src, dst)?;
                return Ok(self.and(a, self.hostop(addr, mask, Dir::Dst, ethertype, src, dst)?));
            }
            Dir::Default | Dir::Or => {
                let a = self.hostop(addr, mask, Dir::Src, ethertype, src, dst)?;
                return Ok(self.or(a, self.hostop(addr, mask, Dir::Dst, ethertype, src, dst)?));
            }
        };
        Ok(self.and(self.linktype(ethertype)?, self.mcmp(Rel::LinkPl, off, W, addr, mask)?))
    }

    pub(in crate::filter) fn host(&self, addr: u32, mask: u32, proto: Proto, dir: Dir, what: &str) -> Result<Cond> {
        match proto {
            Proto::Default => {
                let ip = self.host(addr, mask, Proto::Ip, dir, what)?;
                if self.mpls_depth > 0 {
                    return Ok(ip);
                }
                let arp = self.host(addr, mask, Proto::Arp, dir, what)?;
                Ok(self.or(self.or(ip, arp), self.host(addr, mask, Proto::Rarp, dir, what)?))
            }
            Proto::Ip => self.hostop(addr, mask, dir, ETH_IP, 12, 16),
            Proto::Arp => self.hostop(addr, mask, dir, ETH_ARP, 14, 24),
            Proto::Rarp => self.hostop(addr, mask, dir, ETH_RARP, 14, 24),
            Proto::Link => Err(err(format!("link-layer modifier applied to {what}"))),
            // The mask is libpcap's too: it ignores it for DECnet.
            Proto::Decnet => self.dnhostop(addr, dir),
            Proto::Atalk => Err(err("AppleTalk host filtering not implemented")),
            Proto::Lat => Err(err("LAT host filtering not implemented")),
            Proto::Sca => Err(err("SCA host filtering not implemented")),
            Proto::Moprc => Err(err("MOPRC host filtering not implemented")),
            Proto::Mopdl => Err(err("MOPDL host filtering not implemented")),
            Proto::Aarp => Err(err("AARP host filtering not implemented")),
            Proto::Iso => Err(err("ISO host filtering not implemented")),
            Proto::Ipx => Err(err("IPX host filtering not implemented")),
            Proto::Ip6 => Err(err("'ip6' modifier applied to ip host")),
            p => Err(err(format!("'{}' modifier applied to {what}", p.name()))),
        }
    }

    pub(in crate::filter) fn hostop6(&self, addr: &[u8; 16], mask: &[u8; 16], dir: Dir) -> Result<Cond> {
        let off = match dir {
            Dir::Src => 8,
            Dir::Dst => 24,
            Dir::Wlan(w) => return Err(w.not_valid_for("addresses other than 802.11 MAC addresses")),
            Dir::And => return Ok(self.and(self.hostop6(addr, mask, Dir::Src)?, self.hostop6(addr, mask, Dir::Dst)?)),
            Dir::Default | Dir::Or => {
                return Ok(self.or(self.hostop6(addr, mask, Dir::Src)?, self.hostop6(addr, mask, Dir::Dst)?))
            }
        };
        let word = |b: &[u8; 16], i: usize| u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        let mut parts = vec![self.linktype(ETH_IPV6)?];
        for i in 0..4 {
            parts.push(self.mcmp(Rel::LinkPl, off + 4 * i as u32, W, word(addr, i), word(mask, i))?);
        }
        Ok(self.and_all(parts))
    }

    pub(in crate::filter) fn host6(
        &self,
        addr: &[u8; 16],
        mask: &[u8; 16],
        proto: Proto,
        dir: Dir,
        what: &str,
    ) -> Result<Cond> {
        match proto {
            Proto::Default | Proto::Ip6 => self.hostop6(addr, mask, dir),
            Proto::Link => Err(err(format!("link-layer modifier applied to ip6 {what}"))),
            p => Err(err(format!("'{}' modifier applied to ip6 {what}", p.name()))),
        }
    }

    pub(in crate::filter) fn ipfrag(&self) -> Result<Cond> {
        // Not a fragment other than the first.
        Ok(self.not(self.leaf(self.load_a(Rel::LinkPl, 6, H)?, JSET, 0x1fff)))
    }

    pub(in crate::filter) fn proto(&self, v: u32, proto: Proto, dir: Dir) -> Result<Cond> {
        if dir != Dir::Default {
            return Err(err("direction applied to 'proto'"));
        }
        match proto {
            Proto::Default => Ok(self.or(self.proto(v, Proto::Ip, dir)?, self.proto(v, Proto::Ip6, dir)?)),
            Proto::Link => self.linktype(v),
            Proto::Ip => Ok(self.and(self.linktype(ETH_IP)?, self.cmp(Rel::LinkPl, 9, B, v)?)),
            Proto::Ip6 => {
                let frag = self.and(self.cmp(Rel::LinkPl, 6, B, IPPROTO_FRAGMENT)?, self.cmp(Rel::LinkPl, 40, B, v)?);
                let direct = self.cmp(Rel::LinkPl, 6, B, v)?;
                Ok(self.and(self.linktype(ETH_IPV6)?, self.or(direct, frag)))
            }
            Proto::Arp | Proto::Rarp => Err(err(format!("{} does not encapsulate another protocol", proto.name()))),
            Proto::Iso => self.iso_proto(v),
            Proto::Isis => self.isis_proto(v),
            Proto::Clnp => Err(err("'clnp proto' is not supported")),
            Proto::Atalk => Err(err("AppleTalk encapsulation is not specifiable")),
            Proto::Decnet => Err(err("DECNET encapsulation is not specifiable")),
            Proto::Lat | Proto::Sca | Proto::Moprc | Proto::Mopdl => {
                Err(err(format!("{} does not encapsulate another protocol", proto.name().to_uppercase())))
            }
            p => Err(err(format!("'{} proto' is bogus", p.name()))),
        }
    }

    pub(in crate::filter) fn proto_abbrev(&self, p: Proto) -> Result<Cond> {
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
            Atalk => self.linktype(ETH_ATALK),
            Aarp => self.linktype(ETH_AARP),
            Ipx => self.linktype(LLCSAP_IPX),
            Stp => self.linktype(0x42),
            Netbeui => self.linktype(0xf0),
            Decnet => self.linktype(0x6003),
            Lat => self.linktype(0x6004),
            Sca => self.linktype(0x6007),
            Moprc => self.linktype(0x6002),
            Mopdl => self.linktype(0x6001),
            Radio => Err(err("'radio' is not a valid protocol type")),
            Iso => self.linktype(LLCSAP_ISONS),
            Clnp => self.iso_proto(ISO8473_CLNP),
            Esis => self.iso_proto(ISO9542_ESIS),
            Isis => self.iso_proto(ISO10589_ISIS),
            IsisL1 => self.isis_types(&super::iso::ISIS_L1),
            IsisL2 => self.isis_types(&super::iso::ISIS_L2),
            IsisIih => self.isis_types(&super::iso::ISIS_IIH),
            IsisLsp => self.isis_types(&super::iso::ISIS_LSP),
            IsisSnp => self.isis_types(&super::iso::ISIS_SNP),
            IsisCsnp => self.isis_types(&super::iso::ISIS_CSNP),
            IsisPsnp => self.isis_types(&super::iso::ISIS_PSNP),
            Link => Err(err("link layer applied in wrong context")),
            Default => Err(err("no protocol given")),
        }
    }

    /// `protochain p`: follow the IPv6 extension headers (and AH, for both
    /// families) looking for protocol `p`. libpcap loops with a backward
    /// jump, which the kernel refuses; this unrolls the same loop
    /// `protochain_depth` times, so a protocol behind more headers than
    /// that does not match. The header walk is libpcap's, including its AH
    /// length computation (which does not add the AH header's own offset).
    pub(in crate::filter) fn protochain(&mut self, v: u32, proto: Proto) -> Result<Cond> {
        match proto {
            Proto::Default => {
                let v4 = self.protochain(v, Proto::Ip)?;
                let v6 = self.protochain(v, Proto::Ip6)?;
                Ok(self.or(v4, v6))
            }
            Proto::Ip | Proto::Ip6 => {
                if self.linkpl.reg.is_some() {
                    return Err(err("'protochain' not supported with variable length headers"));
                }
                let v6 = proto == Proto::Ip6;
                let base = Self::offset(self.linkpl.k, self.nl);
                let reg = self.alloc_reg()?;
                // A = first protocol, X = its header's offset from the
                // network header.
                let start = if v6 {
                    vec![ld(LD | ABS | B, base.wrapping_add(6)), ld(LDX | IMM, 40)]
                } else {
                    let mut s = vec![ld(LD | ABS | B, base.wrapping_add(9))];
                    s.extend(self.loadx_iphdrlen());
                    s
                };
                self.used_protochain = true;
                self.no_optimize = true;
                // Kept as generated, as libpcap keeps its loop: optimizing
                // dozens of identical steps costs more than it saves.
                let is = |k: u32| self.effects(Vec::new(), Test::Jump { op: JEQ, x: false, k }, true);
                let ext6 = vec![
                    ld(LD | IND | B, base),
                    ld(ST, reg),
                    ld(LD | IND | B, base.wrapping_add(1)),
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
                for _ in 0..self.protochain_depth {
                    let via_ah = self.and(is(51), self.effects(ah.clone(), Test::Always, true));
                    let advance = if v6 {
                        let ext = self.or(self.or(self.or(is(0), is(60)), is(43)), is(44));
                        self.or(self.and(ext, self.effects(ext6.clone(), Test::Always, true)), via_ah)
                    } else {
                        via_ah
                    };
                    chain = self.or(is(v), self.and(self.not(is(59)), self.and(advance, chain)));
                }
                self.free_reg(reg);
                let mut lt = self.linktype(if v6 { ETH_IPV6 } else { ETH_IP })?;
                if self.constant(&lt) == Some(false) {
                    // libpcap's optimizer cannot see through its protochain
                    // loop, so it accepts this (as a filter that never
                    // matches) instead of failing with "expression rejects
                    // all packets"; a kept test does the same here.
                    lt = self.effects(vec![ld(LD | IMM, 0)], Test::Jump { op: JEQ, x: false, k: 1 }, true);
                }
                Ok(self.and(lt, self.and(self.effects(start, Test::Always, false), chain)))
            }
            _ => Err(err("bad protocol applied for 'protochain'")),
        }
    }
}
