//! Link-layer models: for every DLT that libpcap 1.10's code generator
//! accepts, where the link header, the protocol field and the payload are
//! (libpcap's `init_linktype`) and how a network-layer protocol is matched
//! (its `gen_linktype`). One file per family; this file holds the table.
//!
//! libpcap accepts 0, 1, 6–12, 15, 16, 19, 50, 51, 99 and the whole
//! "matching" range 104–289: a DLT of that range without a model accepts
//! the empty expression and `link[…]`/`len` arithmetic, and reports
//! "<description> link-layer type filtering not implemented" for anything
//! that needs the protocol field, as libpcap does. Every other value is
//! "unknown data link type".

mod atm;
mod byteop;
mod cooked;
mod ethernet;
mod ieee80211;
mod llc;
mod loopback;
mod mtp;
mod other;
mod pflog;
mod ppp;

/// libpcap's DLT_MATCHING_MIN/MAX in 1.10.
const MATCHING_MIN: i32 = 104;
const MATCHING_MAX: i32 = 289;

/// How the network-layer protocol of a frame is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Ethernet II / 802.3 type-or-length field (EN10MB, NETANALYZER*).
    Ether,
    /// Linux cooked v1 protocol field, 802.2 signalled by a pseudo type.
    Sll,
    /// Linux cooked v2: the protocol field compared as is.
    Sll2,
    /// No type field; the IP version nibble of the first byte of the
    /// link header (RAW, SLIP, SLIP_BSDOS).
    IpVersion,
    Ipv4,
    Ipv6,
    /// An AF_ word in the capturing host's byte order (NULL, ENC).
    NullAf,
    /// An AF_ word in network byte order (LOOP).
    LoopAf,
    /// A PPP protocol number (PPP, PPP_PPPD, PPP_SERIAL, PPP_ETHER).
    Ppp,
    /// BSD/OS PPP, where IP includes the VJ-compressed protocols.
    PppBsdos,
    /// An Ethernet type at the protocol offset (C_HDLC, HDLC and every
    /// other DLT that has a type field and no rule of its own).
    Ethertype,
    /// 802.2 LLC/SNAP at the payload (FDDI, token ring, ATM, IP over FC).
    Llc,
    /// SunATM: LLC after a 4-byte pseudo-header that says LLC or LANE.
    SunAtm,
    /// 802.11 data frames with LLC/SNAP, behind an optional radio header.
    Wlan(Radio),
    Arcnet,
    Ltalk,
    Frelay,
    Pflog,
    Ipnet,
    /// Juniper: only the "MGC" cookie is checked, whatever the protocol.
    Juniper,
    BacnetMstp,
    /// No protocol field: filtering by protocol is an error with this text.
    Untyped(&'static str),
}

impl Kind {
    /// Whether `radio[…]` has a radio header to read: behind Prism, AVS
    /// and radiotap headers, not PPI (libpcap's rule).
    pub(super) fn has_radio_header(self) -> bool {
        matches!(self, Kind::Wlan(Radio::Avs | Radio::Radiotap | Radio::Prism))
    }
}

/// The radio header in front of an 802.11 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Radio {
    None,
    Prism,
    Avs,
    Radiotap,
    Ppi,
}

/// Scratch registers of a link's variable-length headers (802.11's,
/// behind its radio header): the radio header's length (when there is
/// one) and the payload's offset. The generator only keeps them; the link
/// module that sets them up alone reads the fields.
#[derive(Debug, Clone, Copy)]
pub(super) struct HeaderRegs {
    radio: Radio,
    hdr: Option<u32>,
    pl: u32,
}

/// libpcap's OFFSET_NOT_SET: loads through it are outside any packet.
pub(super) const NOT_SET: u32 = 0xffff_ffff;

/// Where the headers of one link type are, in libpcap's terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct Model {
    pub kind: Kind,
    /// Offset of the link header proper (after a fixed pseudo-header).
    pub linkhdr: u32,
    pub linktype: Option<u32>,
    pub linkpl: u32,
    /// Network header from the payload: 8 behind LLC+SNAP links.
    pub nl: u32,
    /// The same without SNAP (libpcap's off_nl_nosnap): 3 behind a bare
    /// 802.2 header, where OSI's NLPID is.
    pub nl_nosnap: u32,
}

impl Model {
    const fn new(kind: Kind, linktype: Option<u32>, linkpl: u32, nl: u32) -> Model {
        Model { kind, linkhdr: 0, linktype, linkpl, nl, nl_nosnap: 0 }
    }

    const fn llc(kind: Kind, linktype: u32, linkpl: u32) -> Model {
        Model { kind, linkhdr: 0, linktype: Some(linktype), linkpl, nl: 8, nl_nosnap: 3 }
    }

    const fn untyped(msg: &'static str) -> Model {
        Model::new(Kind::Untyped(msg), None, NOT_SET, NOT_SET).nosnap(NOT_SET)
    }

    const fn nosnap(self, nl_nosnap: u32) -> Model {
        Model { nl_nosnap, ..self }
    }
}

/// The model of `dlt`, or None where libpcap says "unknown data link type".
pub(super) fn model(dlt: i32) -> Option<Model> {
    use Kind::*;
    let none = None;
    Some(match dlt {
        0 | 109 => Model::new(NullAf, Some(0), if dlt == 0 { 4 } else { 12 }, 0),
        108 => Model::new(LoopAf, Some(0), 4, 0),
        1 => Model::new(Ether, Some(12), 14, 0).nosnap(3),
        // NETANALYZER and NETANALYZER_TRANSPARENT: Ethernet behind a
        // 4-byte pseudo-header (plus preamble and SFD).
        240 | 241 => {
            let pre = if dlt == 240 { 4 } else { 12 };
            Model { linkhdr: pre, ..Model::new(Ether, Some(pre + 12), pre + 14, 0).nosnap(3) }
        }
        113 => Model::new(Sll, Some(14), 16, 0),
        276 => Model::new(Sll2, Some(0), 20, 0),
        12 => Model::new(IpVersion, none, 0, 0),
        8 => Model::new(IpVersion, none, 16, 0),
        15 => Model::new(IpVersion, none, 24, 0),
        228 => Model::new(Ipv4, none, 0, 0),
        229 => Model::new(Ipv6, none, 0, 0),
        9 | 166 | 50 => Model::new(Ppp, Some(2), 4, 0),
        51 => Model::new(Ppp, Some(6), 8, 0),
        16 => Model::new(PppBsdos, Some(5), 24, 0),
        104 | 112 => Model::new(Ethertype, Some(2), 4, 0),
        138 => Model::new(Ethertype, Some(16), 18, 0),
        99 => Model::new(Ethertype, Some(6), 44, 0),
        10 => Model::llc(Llc, 13, 13),
        6 => Model::llc(Llc, 14, 14),
        11 | 19 => Model::llc(Llc, 0, 0),
        122 => Model::llc(Llc, 16, 16),
        123 => Model::llc(SunAtm, 4, 4),
        105 => Model::llc(Wlan(Radio::None), 24, 0),
        119 => Model::llc(Wlan(Radio::Prism), 24, 0),
        163 => Model::llc(Wlan(Radio::Avs), 24, 0),
        127 => Model::llc(Wlan(Radio::Radiotap), 24, 0),
        192 => Model::llc(Wlan(Radio::Ppi), 24, 0),
        7 => Model::new(Arcnet, Some(2), 6, 0),
        129 => Model::new(Arcnet, Some(4), 8, 0),
        114 => Model::new(Ltalk, none, 0, 0),
        107 => Model::new(Frelay, none, 0, 0),
        182 => Model::new(Untyped("Multi-link Frame Relay link-layer type filtering not implemented"), none, 0, 4),
        117 => Model::new(Pflog, Some(0), 0, 0),
        226 => Model::new(Ipnet, Some(1), 24, 0).nosnap(NOT_SET),
        130 | 131 | 134 | 179 | 180 | 181 => Model::new(Juniper, Some(4), 4, 0).nosnap(NOT_SET),
        137 => Model::new(Juniper, Some(4), 4, 0).nosnap(10),
        135 => Model::new(Juniper, Some(8), 8, 0).nosnap(10),
        167 | 178 => Model::new(Juniper, Some(16), 14, 18).nosnap(21),
        168 => Model::new(Juniper, Some(4), 6, 0).nosnap(NOT_SET),
        133 => Model::new(Juniper, Some(6), 12, 0).nosnap(NOT_SET),
        132 => Model::new(Juniper, Some(6), NOT_SET, NOT_SET).nosnap(NOT_SET),
        164 => Model::new(Juniper, Some(12), 12, 0).nosnap(NOT_SET),
        136 => Model::new(Juniper, Some(12), NOT_SET, NOT_SET).nosnap(NOT_SET),
        183 | 200 => Model::new(Juniper, Some(18), NOT_SET, NOT_SET).nosnap(NOT_SET),
        194 | 232 | 233 | 234 | 238 => Model::new(Juniper, Some(8), NOT_SET, NOT_SET).nosnap(NOT_SET),
        165 => Model::new(BacnetMstp, none, NOT_SET, NOT_SET).nosnap(NOT_SET),
        144 => Model::untyped("IrDA link-layer type filtering not implemented"),
        143 => Model::untyped("DOCSIS link-layer type filtering not implemented"),
        139 | 140 => Model::untyped("MTP2 link-layer type filtering not implemented"),
        197 => Model::untyped("ERF link-layer type filtering not implemented"),
        246 => Model::new(Untyped("PFSYNC link-layer type filtering not implemented"), none, 4, 0),
        177 => Model::untyped("LAPD link-layer type filtering not implemented"),
        186 | 189 | 220 | 249 => Model::untyped("USB link-layer type filtering not implemented"),
        187 | 201 => Model::untyped("Bluetooth link-layer type filtering not implemented"),
        190 | 227 => Model::untyped("CAN link-layer type filtering not implemented"),
        195 | 191 | 215 | 230 => Model::untyped("IEEE 802.15.4 link-layer type filtering not implemented"),
        193 => Model::untyped("IEEE 802.16 link-layer type filtering not implemented"),
        196 => Model::untyped("SITA link-layer type filtering not implemented"),
        198 => Model::untyped("RAIF1 link-layer type filtering not implemented"),
        199 => Model::untyped("IPMB link-layer type filtering not implemented"),
        202 => Model::untyped("AX.25 link-layer type filtering not implemented"),
        239 => Model::untyped("NFLOG link-layer type filtering not implemented"),
        2..=5 | 13 | 14 | 17 | 18 | 20..=49 | 52..=98 | 100..=103 => return None,
        d if (MATCHING_MIN..=MATCHING_MAX).contains(&d) => Model::untyped(""),
        _ => return None,
    })
}

/// (DLT, description) as libpcap 1.10 lists them, first name of a value
/// first (generated by build.rs from the pcap layer's table).
const DESCRIPTIONS: &[(i32, &str)] = include!(concat!(env!("OUT_DIR"), "/dlt_descriptions.rs"));

/// libpcap's pcap_datalink_val_to_description_or_dlt.
pub(super) fn description(dlt: i32) -> String {
    match DESCRIPTIONS.iter().find(|d| d.0 == dlt) {
        Some(d) => d.1.to_string(),
        None => format!("DLT {dlt}"),
    }
}
