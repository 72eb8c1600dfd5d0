//! Ethernet (EN10MB, and the NETANALYZER types that put a pseudo-header in
//! front of it). libpcap tells Ethernet II from 802.3 by the type/length
//! field: a value up to 1500 is a length, and then 802.2 LLC follows.
//! IPX and AppleTalk are matched in every encapsulation libpcap checks
//! (Ethernet II, 802.3 raw, 802.2, SNAP). VLAN and MPLS move the payload
//! offsets as in libpcap; the live-socket VLAN code (tag in metadata or
//! inline) is ringcap's own, see `Gen::vlan_live`.

use super::super::ast::Dir;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use super::Kind;
use crate::error::{Error, Result};
use crate::sys;

impl Gen {
    pub(in crate::filter) fn llc_sap_pair(proto: u32) -> bool {
        matches!(proto, LLCSAP_ISONS | LLCSAP_IP | LLCSAP_NETBEUI)
    }

    /// 802.3 frame: the type/length field is a length.
    fn ether_is_8023(&self) -> Result<Cond> {
        Ok(self.not(self.ncmp(Rel::LinkType, 0, H, 0xffff_ffff, JGT, ETHERMTU)?))
    }

    /// LLC + SNAP with this organisation code and protocol type.
    pub(in crate::filter) fn snap(&self, org: u32, ptype: u32) -> Result<Cond> {
        let block = [0xaa, 0xaa, 0x03, (org >> 16) as u8, (org >> 8) as u8, org as u8, (ptype >> 8) as u8, ptype as u8];
        self.bcmp(Rel::Llc, 0, &block)
    }

    pub(in crate::filter) fn ether_linktype(&self, proto: u32) -> Result<Cond> {
        match proto {
            p if Self::llc_sap_pair(p) => {
                Ok(self.and(self.ether_is_8023()?, self.cmp(Rel::Llc, 0, H, (proto << 8) | proto)?))
            }
            LLCSAP_IPX => {
                let sap = self.or(self.cmp(Rel::Llc, 0, B, LLCSAP_IPX)?, self.cmp(Rel::Llc, 0, H, 0xffff)?);
                let llc = self.or(self.snap(0, ETH_IPX)?, sap);
                let is_8023 = self.and(self.ether_is_8023()?, llc);
                Ok(self.or(self.cmp(Rel::LinkType, 0, H, ETH_IPX)?, is_8023))
            }
            ETH_ATALK | ETH_AARP => {
                let snap = if proto == ETH_ATALK { self.snap(0x080007, ETH_ATALK)? } else { self.snap(0, ETH_AARP)? };
                let is_8023 = self.and(self.ether_is_8023()?, snap);
                Ok(self.or(self.cmp(Rel::LinkType, 0, H, proto)?, is_8023))
            }
            p if p <= ETHERMTU => Ok(self.and(self.ether_is_8023()?, self.cmp(Rel::LinkType, 2, B, proto)?)),
            _ => self.cmp(Rel::LinkType, 0, H, proto),
        }
    }

    pub(in crate::filter) fn vlan(&mut self, vid: Option<u32>) -> Result<Cond> {
        if self.mpls_depth > 0 {
            return Err(err("no VLAN match after MPLS"));
        }
        if !self.is_ether() && !self.has_80211_header() {
            return Err(err(format!("no VLAN support for {}", self.link_name())));
        }
        if let Some(v) = vid {
            if v > 0x0fff {
                return Err(err(format!("VLAN tag {v} greater than maximum 4095")));
            }
        }
        let tpid = self.or(self.or(self.linktype(ETH_8021Q)?, self.linktype(ETH_8021AD)?), self.linktype(ETH_QINQ)?);
        let vid_inline = match vid {
            Some(v) => Some(self.mcmp(Rel::LinkPl, 0, H, v, 0x0fff)?),
            None => None,
        };
        let out = if self.vlan_ext && self.is_ether() && self.vlan_depth == 0 && self.linkpl.reg.is_none() {
            self.vlan_live(vid, tpid, vid_inline)?
        } else {
            self.linkpl.k += 4;
            if let Some(lt) = self.linktype.as_mut() {
                lt.k += 4;
            }
            match vid_inline {
                Some(v) => self.and(tpid, v),
                None => tpid,
            }
        };
        self.vlan_depth += 1;
        Ok(out)
    }

    /// For a live Linux socket the kernel usually strips the outer tag into
    /// metadata. As libpcap does: a tag in the metadata matches; otherwise
    /// the payload offsets grow by 4 (in a scratch register the prologue
    /// zeroes, so every path reads a written register, as in `vlan or
    /// arp`) and the inline tag is tested. The growth sticks for what
    /// follows, matched or not, which is libpcap's meaning of `vlan or arp`
    /// (an untagged ARP frame is looked for 4 bytes further on).
    fn vlan_live(&mut self, vid: Option<u32>, tpid: Cond, vid_inline: Option<Cond>) -> Result<Cond> {
        let reg = self.alloc_reg()?;
        self.prologue_zero(reg);
        let present = || self.leaf(vec![ld(LD | B | ABS, ancillary(sys::SKF_AD_VLAN_TAG_PRESENT))], JEQ, 1);
        let grow = self.effects(vec![ld(LD | MEM, reg), ld(ALU | ADD | K, 4), ld(ST, reg)], Test::Always, false);
        let mut out = self.or(present(), self.and(grow, tpid));
        if let (Some(v), Some(inline)) = (vid, vid_inline) {
            let tci = vec![ld(LD | H | ABS, ancillary(sys::SKF_AD_VLAN_TAG)), ld(ALU | AND | K, 0x0fff)];
            let meta = self.and(present(), self.leaf(tci, JEQ, v));
            out = self.and(out, self.or(meta, self.and(self.not(present()), inline)));
        }
        self.linkpl.reg = Some(reg);
        if let Some(lt) = self.linktype.as_mut() {
            lt.reg = Some(reg);
        }
        Ok(out)
    }

    /// Offsets of the source and destination MAC addresses from the link
    /// header, on the links where libpcap has them at fixed places.
    fn mac_offsets(&self) -> Option<(u32, u32)> {
        match (self.kind, self.dlt) {
            (Kind::Ether, _) => Some((6, 0)),
            (_, DLT_FDDI) => Some((7, 1)),
            (_, DLT_IEEE802) => Some((8, 2)),
            (_, DLT_IP_OVER_FC) => Some((10, 2)),
            _ => None,
        }
    }

    /// libpcap's text for a MAC host name /etc/ethers does not know, which
    /// names the link.
    pub(in crate::filter) fn unknown_mac_host(&self, name: &str) -> Error {
        let link = match (self.kind, self.dlt) {
            (Kind::Wlan(_), _) => "802.11",
            (_, DLT_FDDI) => "FDDI",
            (_, DLT_IEEE802) => "token ring",
            (_, DLT_IP_OVER_FC) => "Fibre Channel",
            _ => "ether",
        };
        err(format!("unknown {link} host '{name}'"))
    }

    pub(in crate::filter) fn has_macs(&self) -> bool {
        self.mac_offsets().is_some() || self.is_wlan_with_header()
    }

    /// A MAC address test as a primitive: on LANE, only in data frames.
    pub(in crate::filter) fn link_host(&self, mac: &[u8; 6], dir: Dir) -> Result<Cond> {
        self.lane_checked(self.ehostop(mac, dir)?)
    }

    pub(in crate::filter) fn lane_checked(&self, c: Cond) -> Result<Cond> {
        Ok(match self.lane_data_check()? {
            Some(check) => self.and(check, c),
            None => c,
        })
    }

    pub(in crate::filter) fn ehostop(&self, mac: &[u8; 6], dir: Dir) -> Result<Cond> {
        if self.is_wlan_with_header() {
            return self.wlan_hostop(mac, dir);
        }
        let (src, dst) = self.mac_offsets().ok_or_else(|| {
            err("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel")
        })?;
        Ok(match dir {
            Dir::Src => self.bcmp(Rel::LinkHdr, src, mac)?,
            Dir::Dst => self.bcmp(Rel::LinkHdr, dst, mac)?,
            Dir::Wlan(w) if self.is_ether() => return Err(w.only_on("802.11 with 802.11 headers")),
            Dir::Wlan(w) => return Err(w.only_on("802.11")),
            Dir::And => self.and(self.ehostop(mac, Dir::Src)?, self.ehostop(mac, Dir::Dst)?),
            Dir::Default | Dir::Or => self.or(self.ehostop(mac, Dir::Src)?, self.ehostop(mac, Dir::Dst)?),
        })
    }

    /// `ether multicast`: the group bit of the destination address.
    pub(in crate::filter) fn link_multicast(&self) -> Result<Cond> {
        if self.kind == Kind::Arcnet {
            return self.arcnet_hostop(0, Dir::Dst);
        }
        if self.is_wlan_with_header() {
            return self.wlan_multicast();
        }
        let (_, dst) = self.mac_offsets().ok_or_else(|| {
            err("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel")
        })?;
        self.lane_checked(self.leaf(self.load_a(Rel::LinkHdr, dst, B)?, JSET, 1))
    }

    pub(in crate::filter) fn link_broadcast(&self) -> Result<Cond> {
        if self.kind == Kind::Arcnet {
            return self.arcnet_hostop(0, Dir::Dst);
        }
        if !self.has_macs() {
            return Err(err("not a broadcast link"));
        }
        self.link_host(&[0xff; 6], Dir::Dst)
    }
}
