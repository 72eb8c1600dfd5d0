//! DECnet Phase IV hosts (`decnet host`, `decnet src`, `decnet dst`). As
//! libpcap does, only data packets are looked at, with 0 or 1 byte of
//! padding, in the long and the short header layout; the flags byte
//! follows the 2-byte length word, and node addresses are 16-bit
//! little-endian (area in the top 6 bits). Addresses are written
//! "area.node" or as one number; libpcap (built without DECnet name
//! support) has no host names for DECnet and neither has ringcap.

use super::super::ast::Dir;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

impl Gen {
    pub(in crate::filter) fn dnhostop(&self, addr: u32, dir: Dir) -> Result<Cond> {
        // Offsets of the address from the flags byte, in the short and
        // the long header.
        let (short, long) = match dir {
            Dir::Dst => (1, 7),
            Dir::Src => (3, 15),
            Dir::Wlan(w) => return Err(w.not_valid_for("addresses other than 802.11 MAC addresses")),
            Dir::And => return Ok(self.and(self.dnhostop(addr, Dir::Src)?, self.dnhostop(addr, Dir::Dst)?)),
            Dir::Default | Dir::Or => {
                return Ok(self.or(self.dnhostop(addr, Dir::Src)?, self.dnhostop(addr, Dir::Dst)?))
            }
        };
        // Little-endian in the packet, so the loaded halfword is swapped.
        let a = u32::from((addr as u16).swap_bytes());
        // One pad byte (0x81: pad flag and a count of 1), then the flags
        // byte, whose low 3 bits say long (6) or short (2) data packet.
        let padded = |flags: u32| self.mcmp(Rel::LinkPl, 2, H, 0x8100 | flags, 0xff07);
        let unpadded = |flags: u32| self.mcmp(Rel::LinkPl, 2, B, flags, 0x07);
        let at = |off: u32| self.cmp(Rel::LinkPl, off, H, a);
        let mut acc = self.and(padded(0x06)?, at(2 + 1 + long)?);
        acc = self.or(self.and(unpadded(0x06)?, at(2 + long)?), acc);
        acc = self.or(self.and(padded(0x02)?, at(2 + 1 + short)?), acc);
        acc = self.or(self.and(unpadded(0x02)?, at(2 + short)?), acc);
        Ok(self.and(self.linktype(ETH_DN)?, acc))
    }
}
