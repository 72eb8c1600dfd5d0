//! IEEE 802.11, bare or behind a radio header (Prism or AVS, radiotap,
//! PPI). As in libpcap, the 802.11 header is 24 bytes, 2 more for QoS data
//! frames, rounded up to 4 when radiotap's flags say the driver padded it
//! (looked for in the first presence word only); a 4-address header is
//! not lengthened, and PPI is taken to carry bare 802.11 (its DLT field is
//! checked). The offsets live in scratch registers computed first, and
//! only when something reads them. Protocols are matched in data frames
//! only, by LLC/SNAP; MAC addresses are found through the To/From DS bits,
//! and `addr1`…`addr4`, `ra` and `ta` where libpcap looks for them (its RA
//! and TA only in data frames); `type`, `subtype` and `dir` test the frame
//! control field, on every 802.11 link but PPI (libpcap's rule), and
//! `radio[…]` reads the radio header from the packet's start.
//!
//! Where ringcap differs: libpcap turns its optimizer off for programs
//! that compute these offsets (the offset code jumps inside a block);
//! ringcap expresses the same code as conditions and runs on it only the
//! pass that drops loads of what a register already holds
//! (`optimize::drop_reloads`), so its programs are shorter.

use super::super::ast::{Dir, WlanAddr};
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::{Cond, Test};
use super::{HeaderRegs as Regs, Kind, Radio};
use crate::error::Result;

const FC_DATA: u32 = 0x08;
const FC_CTL: u32 = 0x04;
const FC_QOS: u32 = 0x80;
const TO_DS: u32 = 0x01;
const FROM_DS: u32 = 0x02;
const DLT_IEEE802_11: u32 = 105;

const FC_TYPE_MASK: u32 = 0x0c;
const FC_SUBTYPE_MASK: u32 = 0xf0;
const FC_SUBTYPE_CTS: u32 = 0xc0;
const FC_SUBTYPE_ACK: u32 = 0xd0;
const FC_DIR_MASK: u32 = 0x03;
const FC_DIR_DSTODS: u32 = 0x03;

impl WlanAddr {
    /// How libpcap names the qualifier in its messages, and whether that
    /// name is plural ("'addr1' and 'address1' are …").
    fn subject(self) -> (&'static str, bool) {
        match self {
            WlanAddr::Addr1 => ("'addr1' and 'address1'", true),
            WlanAddr::Addr2 => ("'addr2' and 'address2'", true),
            WlanAddr::Addr3 => ("'addr3' and 'address3'", true),
            WlanAddr::Addr4 => ("'addr4' and 'address4'", true),
            WlanAddr::Ra => ("'ra'", false),
            WlanAddr::Ta => ("'ta'", false),
        }
    }

    /// libpcap's error for the qualifier on something that is not an
    /// 802.11 address (`what`: "ports", "addresses other than 802.11 MAC
    /// addresses").
    pub(in crate::filter) fn not_valid_for(self, what: &str) -> crate::error::Error {
        let (name, plural) = self.subject();
        let verb = if plural { "are not valid qualifiers" } else { "is not a valid qualifier" };
        err(format!("{name} {verb} for {what}"))
    }

    /// libpcap's error for the qualifier on a MAC address of another link.
    pub(in crate::filter) fn only_on(self, links: &str) -> crate::error::Error {
        let (name, plural) = self.subject();
        err(format!("{name} {} only supported on {links}", if plural { "are" } else { "is" }))
    }
}

impl Gen {
    fn always(&self, stmts: Vec<Insn>) -> Cond {
        self.effects(stmts, Test::Always, true)
    }

    /// A test of the accumulator as it is.
    fn jset(&self, k: u32) -> Cond {
        self.effects(Vec::new(), Test::Jump { op: JSET, x: false, k }, true)
    }

    pub(in crate::filter) fn init_wlan(&mut self, radio: Radio) {
        // A fresh generator has every register free.
        let hdr = (radio != Radio::None).then_some(0);
        let pl = u32::from(hdr.is_some());
        self.reserve_reg(pl);
        if let Some(h) = hdr {
            self.reserve_reg(h);
            self.linkhdr = Off { k: 0, reg: Some(h) };
        }
        self.linkpl = Off { k: 0, reg: Some(pl) };
        self.wlan = Some(Regs { radio, hdr, pl });
    }

    pub(in crate::filter) fn is_wlan_with_header(&self) -> bool {
        matches!(self.kind, Kind::Wlan(_))
    }

    /// The radio header's length into the register and X.
    fn radio_length(&self, r: &Regs, hdr: u32) -> Cond {
        let store = vec![ld(ST, hdr), ld(MISC | TAX, 0)];
        match r.radio {
            Radio::Radiotap | Radio::Ppi => {
                // Little-endian 16-bit length at offset 2.
                let mut s = vec![
                    ld(LD | B | ABS, 3),
                    ld(ALU | LSH | K, 8),
                    ld(MISC | TAX, 0),
                    ld(LD | B | ABS, 2),
                    ld(ALU | OR | X, 0),
                ];
                s.extend(store);
                self.always(s)
            }
            Radio::Avs => {
                let mut s = vec![ld(LD | W | ABS, 4)];
                s.extend(store);
                self.always(s)
            }
            Radio::Prism => {
                // Some drivers give an AVS header where Prism is declared.
                let is_avs = self.effects(
                    vec![ld(LD | W | ABS, 0), ld(ALU | AND | K, 0xffff_f000)],
                    Test::Jump { op: JEQ, x: false, k: 0x8021_1000 },
                    true,
                );
                let len = self
                    .or(self.and(is_avs, self.always(vec![ld(LD | W | ABS, 4)])), self.always(vec![ld(LD | IMM, 144)]));
                self.and(len, self.always(store))
            }
            Radio::None => Cond::TRUE,
        }
    }

    /// The payload offset: 24, +2 for QoS data, rounded up to 4 when
    /// radiotap says the header was padded. X holds the radio length.
    fn header_length(&self, r: &Regs) -> Cond {
        let pl = r.pl;
        let fc = self.always(vec![ld(MISC | TXA, 0), ld(ALU | ADD | K, 24), ld(ST, pl), ld(LD | IND | B, 0)]);
        let qos = self.or(
            self.and(self.jset(FC_QOS), self.always(vec![ld(LD | MEM, pl), ld(ALU | ADD | K, 2), ld(ST, pl)])),
            Cond::TRUE,
        );
        let mut data = qos;
        if r.radio == Radio::Radiotap {
            let flags_at =
                |off: u32| self.effects(vec![ld(LD | B | ABS, off)], Test::Jump { op: JSET, x: false, k: 0x20 }, true);
            let present =
                self.effects(vec![ld(LD | W | ABS, 4)], Test::Jump { op: JSET, x: false, k: 2u32.swap_bytes() }, true);
            let tsft_again =
                self.effects(vec![ld(LD | W | ABS, 4)], Test::Jump { op: JSET, x: false, k: 1u32.swap_bytes() }, true);
            let padded = self
                .or(self.and(self.jset(1u32.swap_bytes()), flags_at(16)), self.and(self.not(tsft_again), flags_at(8)));
            let round = self.always(vec![ld(LD | MEM, pl), ld(ALU | ADD | K, 3), ld(ALU | AND | K, !3), ld(ST, pl)]);
            let pad =
                self.and(present, self.and(self.not(self.jset(0x8000_0000u32.swap_bytes())), self.and(padded, round)));
            data = self.and(data, self.or(pad, Cond::TRUE));
        }
        let is_data = self.and(self.jset(FC_DATA), self.not(self.jset(FC_CTL)));
        self.and(fc, self.or(self.and(is_data, data), Cond::TRUE))
    }

    pub(in crate::filter) fn finish_wlan(&mut self, cond: Cond) -> Cond {
        let Some(r) = self.wlan else { return cond };
        let uses_pl = self.reads(&cond, r.pl);
        let uses_hdr = r.hdr.is_some_and(|h| self.reads(&cond, h));
        // libpcap's no_optimize, set where it loads these registers.
        self.libpcap_unoptimized = uses_pl || uses_hdr;
        let mut pre = Vec::new();
        if let Some(h) = r.hdr {
            if uses_pl || uses_hdr {
                pre.push(self.radio_length(&r, h));
            }
        } else if uses_pl {
            pre.push(self.always(vec![ld(LDX | IMM, 0)]));
        }
        if uses_pl {
            pre.push(self.header_length(&r));
        }
        pre.push(cond);
        let out = self.and_all(pre);
        if r.radio == Radio::Ppi {
            let dlt = self.leaf(vec![ld(LD | W | ABS, 4)], JEQ, DLT_IEEE802_11.swap_bytes());
            return self.and(dlt, out);
        }
        out
    }

    fn fc_bit(&self, off: u32, bit: u32) -> Result<Cond> {
        Ok(self.leaf(self.load_a(Rel::LinkHdr, off, B)?, JSET, bit))
    }

    pub(in crate::filter) fn wlan_data_frame(&self) -> Result<Cond> {
        Ok(self.and(self.not(self.fc_bit(0, FC_CTL)?), self.fc_bit(0, FC_DATA)?))
    }

    /// Frames with this address: not control frames; management frames at
    /// `mgmt`; data frames where the DS bits put it.
    fn wlan_addr(&self, mgmt: Cond, data: Cond) -> Result<Cond> {
        let data = self.and(self.fc_bit(0, FC_DATA)?, data);
        let mgmt = self.and(self.not(self.fc_bit(0, FC_DATA)?), mgmt);
        Ok(self.and(self.not(self.fc_bit(0, FC_CTL)?), self.or(mgmt, data)))
    }

    fn wlan_da(&self, at: &dyn Fn(u32) -> Result<Cond>) -> Result<Cond> {
        let to_ds = self.and(self.fc_bit(1, TO_DS)?, at(16)?);
        let not_to_ds = self.and(self.not(self.fc_bit(1, TO_DS)?), at(4)?);
        self.wlan_addr(at(4)?, self.or(not_to_ds, to_ds))
    }

    pub(in crate::filter) fn wlan_hostop(&self, mac: &[u8; 6], dir: Dir) -> Result<Cond> {
        let at = |off: u32| self.bcmp(Rel::LinkHdr, off, mac);
        match dir {
            Dir::Src => {
                let from_ds = self
                    .or(self.and(self.not(self.fc_bit(1, TO_DS)?), at(16)?), self.and(self.fc_bit(1, TO_DS)?, at(24)?));
                let from_ds = self.and(self.fc_bit(1, FROM_DS)?, from_ds);
                let not_from_ds = self.and(self.not(self.fc_bit(1, FROM_DS)?), at(10)?);
                self.wlan_addr(at(10)?, self.or(not_from_ds, from_ds))
            }
            Dir::Dst => self.wlan_da(&at),
            Dir::Wlan(w) => self.wlan_field(mac, w),
            Dir::And => Ok(self.and(self.wlan_hostop(mac, Dir::Src)?, self.wlan_hostop(mac, Dir::Dst)?)),
            Dir::Default | Dir::Or => Ok(self.or(self.wlan_hostop(mac, Dir::Src)?, self.wlan_hostop(mac, Dir::Dst)?)),
        }
    }

    /// `wlan addr1`…`addr4`, `ra`, `ta`: the address fields where
    /// libpcap looks for them (RA and TA in data frames only, as its code
    /// does).
    fn wlan_field(&self, mac: &[u8; 6], field: WlanAddr) -> Result<Cond> {
        let at = |off: u32| self.bcmp(Rel::LinkHdr, off, mac);
        let fc = |v: u32, mask: u32| self.mcmp(Rel::LinkHdr, 0, B, v, mask);
        // Not a CTS or ACK: those have no second address.
        let has_addr2 = || -> Result<Cond> {
            let not_cts_ack = self
                .and(self.not(fc(FC_SUBTYPE_CTS, FC_SUBTYPE_MASK)?), self.not(fc(FC_SUBTYPE_ACK, FC_SUBTYPE_MASK)?));
            Ok(self.or(self.not(fc(FC_CTL, FC_TYPE_MASK)?), not_cts_ack))
        };
        Ok(match field {
            WlanAddr::Addr1 => at(4)?,
            WlanAddr::Addr2 => self.and(has_addr2()?, at(10)?),
            WlanAddr::Addr3 => self.and(self.not(fc(FC_CTL, FC_TYPE_MASK)?), at(16)?),
            WlanAddr::Addr4 => self.and(self.mcmp(Rel::LinkHdr, 1, B, FC_DIR_DSTODS, FC_DIR_MASK)?, at(24)?),
            WlanAddr::Ra => self.and(self.fc_bit(0, FC_DATA)?, at(4)?),
            WlanAddr::Ta => self.and(self.and(self.fc_bit(0, FC_DATA)?, has_addr2()?), at(10)?),
        })
    }

    /// `type …`, `subtype …`: the frame control's first byte under `mask`.
    pub(in crate::filter) fn wlan_type(&self, v: u32, mask: u32) -> Result<Cond> {
        if !self.has_80211_header() {
            return Err(err("802.11 link-layer types supported only on 802.11"));
        }
        self.mcmp(Rel::LinkHdr, 0, B, v, mask)
    }

    /// `dir …`: the To DS and From DS bits.
    pub(in crate::filter) fn wlan_dir(&self, v: u32) -> Result<Cond> {
        if !self.has_80211_header() {
            return Err(err("frame direction supported only with 802.11 headers"));
        }
        self.mcmp(Rel::LinkHdr, 1, B, v, FC_DIR_MASK)
    }

    /// The links where libpcap knows the 802.11 header is at the link
    /// header: not PPI, whose payload it does not assume to be 802.11 here.
    pub(in crate::filter) fn has_80211_header(&self) -> bool {
        matches!(self.kind, Kind::Wlan(r) if r != Radio::Ppi)
    }

    pub(in crate::filter) fn wlan_multicast(&self) -> Result<Cond> {
        self.wlan_da(&|off| Ok(self.leaf(self.load_a(Rel::LinkHdr, off, B)?, JSET, 1)))
    }
}
