//! MPLS (labels nest; the payload moves 4 bytes per label) and Geneve (the
//! inner frame's offsets live in scratch registers). Where libpcap reads
//! scratch memory it never wrote after a Geneve test that failed, ringcap
//! starts those registers outside every packet, so the test fails.

use super::super::ast::Dir;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use super::super::link::Kind;
use crate::error::Result;

impl Gen {
    pub(in crate::filter) fn mpls(&mut self, label: Option<u32>) -> Result<Cond> {
        let mut c = if self.mpls_depth > 0 {
            self.mcmp(Rel::PrevMplsHdr, 2, B, 0, 0x01)?
        } else {
            match self.dlt {
                _ if self.is_ether() => self.linktype(ETH_MPLS)?,
                DLT_C_HDLC | DLT_HDLC => self.linktype(ETH_MPLS)?,
                DLT_PPP => self.linktype(PPP_MPLS_UCAST)?,
                _ => return Err(err(format!("no MPLS support for {}", self.link_name()))),
            }
        };
        if let Some(l) = label {
            if l > 0xfffff {
                return Err(err(format!("MPLS label {l} greater than maximum 1048575")));
            }
            c = self.and(c, self.mcmp(Rel::LinkPl, 0, W, l << 12, 0xffff_f000)?);
        }
        self.nl += 4;
        self.nl_nosnap = self.nl_nosnap.wrapping_add(4);
        self.mpls_depth += 1;
        Ok(c)
    }

    pub(in crate::filter) fn geneve(&mut self, vni: Option<u32>) -> Result<Cond> {
        if let Some(v) = vni {
            if v > 0xff_ffff {
                return Err(err(format!("Geneve VNI {v} greater than maximum 16777215")));
            }
        }
        let check = |g: &Gen, v6: bool| -> Result<Cond> {
            let rel = if v6 { Rel::TranIpv6 } else { Rel::TranIpv4 };
            let mut c = self.and(
                g.port_family(v6, GENEVE_PORT, GENEVE_PORT, Some(IPPROTO_UDP), Dir::Dst)?,
                g.mcmp(rel, 8, B, 0, 0xc0)?,
            );
            if let Some(v) = vni {
                c = self.and(c, g.mcmp(rel, 12, W, v << 8, 0xffff_ff00)?);
            }
            // Leave the transport header offset in A and X for the code
            // that follows.
            let mut s = if v6 { vec![ld(LD | IMM, 40), ld(MISC | TAX, 0)] } else { g.loadx_iphdrlen() };
            if !v6 {
                s.push(ld(MISC | TXA, 0));
            }
            Ok(self.and(c, self.effects(s, Test::Jump { op: JEQ, x: true, k: 0 }, false)))
        };
        let v4 = check(self, false)?;
        let v6 = check(self, true)?;
        self.no_optimize = true;
        let r_type = self.alloc_reg()?;
        let r_hdr = self.alloc_reg()?;
        let r_pl = self.alloc_reg()?;
        for r in [r_type, r_hdr, r_pl] {
            self.prologue_store(r, UNSET_OFFSET);
        }
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
        let is_teb = self.effects(pre, Test::Jump { op: JEQ, x: false, k: ETH_TEB }, true);
        let inner_ether = self.effects(
            vec![ld(MISC | TXA, 0), ld(ALU | ADD | K, 12), ld(ST, r_type), ld(ALU | ADD | K, 2), ld(MISC | TAX, 0)],
            Test::Always,
            true,
        );
        let store = self.effects(vec![ld(STX, r_pl)], Test::Always, true);
        let offsets = self.and(self.or(self.and(is_teb, inner_ether), Cond::TRUE), store);
        self.linktype = Some(Off { k: 0, reg: Some(r_type) });
        self.linkhdr = Off { k: 0, reg: Some(r_hdr) };
        self.linkpl = Off { k: 0, reg: Some(r_pl) };
        self.nl = 0;
        self.lane = false;
        self.dlt = DLT_EN10MB;
        self.kind = Kind::Ether;
        Ok(self.and(self.or(v4, v6), offsets))
    }
}
