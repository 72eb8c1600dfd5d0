//! TCP, UDP and SCTP ports and port ranges, on IPv4 (first fragments
//! only) and IPv6 (no extension headers), as libpcap generates them.

use super::super::ast::{Dir, Proto};
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use super::super::names::PortProto;
use crate::error::Result;

impl Gen {
    // ---- transport layer ----------------------------------------------------

    pub(in crate::filter) fn portatom(&self, rel: Rel, off: u32, lo: u32, hi: u32) -> Result<Cond> {
        if lo == hi {
            return self.cmp(rel, off, H, lo);
        }
        let ge = self.ncmp(rel, off, H, 0xffff_ffff, JGE, lo)?;
        let le = self.not(self.ncmp(rel, off, H, 0xffff_ffff, JGT, hi)?);
        Ok(self.and(ge, le))
    }

    pub(in crate::filter) fn portop(&self, v6: bool, lo: u32, hi: u32, ipproto: u32, dir: Dir) -> Result<Cond> {
        let (rel, check) = if v6 {
            (Rel::TranIpv6, self.cmp(Rel::LinkPl, 6, B, ipproto)?)
        } else {
            (Rel::TranIpv4, self.and(self.cmp(Rel::LinkPl, 9, B, ipproto)?, self.ipfrag()?))
        };
        let ports = match dir {
            Dir::Src => self.portatom(rel, 0, lo, hi)?,
            Dir::Dst => self.portatom(rel, 2, lo, hi)?,
            Dir::Wlan(w) => return Err(w.not_valid_for(if lo == hi { "ports" } else { "port ranges" })),
            Dir::And => self.and(self.portatom(rel, 0, lo, hi)?, self.portatom(rel, 2, lo, hi)?),
            Dir::Default | Dir::Or => self.or(self.portatom(rel, 0, lo, hi)?, self.portatom(rel, 2, lo, hi)?),
        };
        Ok(self.and(check, ports))
    }

    /// `ipproto` None: TCP, UDP or SCTP.
    pub(in crate::filter) fn port_family(
        &self,
        v6: bool,
        lo: u32,
        hi: u32,
        ipproto: Option<u32>,
        dir: Dir,
    ) -> Result<Cond> {
        let lt = self.linktype(if v6 { ETH_IPV6 } else { ETH_IP })?;
        let ports = match ipproto {
            Some(p) => self.portop(v6, lo, hi, p, dir)?,
            None => {
                let t = self.portop(v6, lo, hi, IPPROTO_TCP, dir)?;
                let u = self.portop(v6, lo, hi, IPPROTO_UDP, dir)?;
                self.or(self.or(t, u), self.portop(v6, lo, hi, IPPROTO_SCTP, dir)?)
            }
        };
        Ok(self.and(lt, ports))
    }

    pub(in crate::filter) fn ports(&self, lo: u32, hi: u32, ipproto: Option<u32>, dir: Dir) -> Result<Cond> {
        let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
        let v4 = self.port_family(false, lo, hi, ipproto, dir)?;
        Ok(self.or(self.port_family(true, lo, hi, ipproto, dir)?, v4))
    }

    pub(in crate::filter) fn port_proto(proto: Proto, what: &str) -> Result<Option<u32>> {
        match proto {
            Proto::Default => Ok(None),
            Proto::Tcp => Ok(Some(IPPROTO_TCP)),
            Proto::Udp => Ok(Some(IPPROTO_UDP)),
            Proto::Sctp => Ok(Some(IPPROTO_SCTP)),
            _ => Err(err(format!("illegal qualifier of '{what}'"))),
        }
    }

    /// A named port's protocol must agree with an explicit qualifier.
    pub(in crate::filter) fn named_port_proto(name: &str, proto: Proto, found: PortProto) -> Result<Option<u32>> {
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
}
