//! The parsed form of a filter expression. Qualifier carry-over is resolved
//! by the parser, so every primitive here carries its full qualifier set.

/// Protocol qualifier (`ip`, `tcp`, `ether` …); `Default` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Default,
    Link,
    Ip,
    Ip6,
    Arp,
    Rarp,
    Tcp,
    Udp,
    Sctp,
    Icmp,
    Icmp6,
    Igmp,
    Igrp,
    Pim,
    Vrrp,
    Carp,
    Ah,
    Esp,
    Iso,
    Esis,
    Isis,
    Clnp,
    /// IS-IS PDU type groups: level 1, level 2, hellos, link-state,
    /// sequence-number (complete, partial).
    IsisL1,
    IsisL2,
    IsisIih,
    IsisLsp,
    IsisSnp,
    IsisCsnp,
    IsisPsnp,
    /// The radio header in front of 802.11 (`radio[…]`).
    Radio,
    Atalk,
    Aarp,
    Ipx,
    Stp,
    Netbeui,
    Decnet,
    Lat,
    Sca,
    Moprc,
    Mopdl,
}

impl Proto {
    pub fn name(self) -> &'static str {
        use Proto::*;
        match self {
            Default => "default",
            Link => "link",
            Ip => "ip",
            Ip6 => "ip6",
            Arp => "arp",
            Rarp => "rarp",
            Tcp => "tcp",
            Udp => "udp",
            Sctp => "sctp",
            Icmp => "icmp",
            Icmp6 => "icmp6",
            Igmp => "igmp",
            Igrp => "igrp",
            Pim => "pim",
            Vrrp => "vrrp",
            Carp => "carp",
            Ah => "ah",
            Esp => "esp",
            Iso => "iso",
            Esis => "esis",
            Isis => "isis",
            Clnp => "clnp",
            IsisL1 => "l1",
            IsisL2 => "l2",
            IsisIih => "iih",
            IsisLsp => "lsp",
            IsisSnp => "snp",
            IsisCsnp => "csnp",
            IsisPsnp => "psnp",
            Radio => "radio",
            Atalk => "atalk",
            Aarp => "aarp",
            Ipx => "ipx",
            Stp => "stp",
            Netbeui => "netbeui",
            Decnet => "decnet",
            Lat => "lat",
            Sca => "sca",
            Moprc => "moprc",
            Mopdl => "mopdl",
        }
    }
}

/// Direction qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Default,
    Src,
    Dst,
    Or,
    And,
    /// An 802.11 address field (`addr1`…`addr4`, `ra`, `ta`).
    Wlan(WlanAddr),
}

/// The 802.11 address qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WlanAddr {
    Addr1,
    Addr2,
    Addr3,
    Addr4,
    Ra,
    Ta,
}

/// Address-kind qualifier. `Undef` is libpcap's "no qualifier may apply
/// here" (after a protocol name or a relation), which makes a bare id a
/// syntax error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrKind {
    Undef,
    Default,
    Host,
    Net,
    Port,
    PortRange,
    Gateway,
    Proto,
    ProtoChain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qual {
    pub proto: Proto,
    pub dir: Dir,
    pub addr: AddrKind,
}

impl Qual {
    /// What an id inherits after a protocol name, relation or other primitive.
    pub const UNDEF: Qual = Qual { proto: Proto::Default, dir: Dir::Default, addr: AddrKind::Undef };
}

/// The operand of a qualified primitive, as written (texts are slices of
/// the expression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id<'a> {
    /// A name: host, network, port, service or protocol name.
    Name(&'a str),
    Num(u32),
    /// A dotted IPv4 address, possibly short ("10.1").
    V4(&'a str),
    /// IPv4 with a prefix length or a dotted mask.
    V4Net {
        addr: &'a str,
        mask: Option<&'a str>,
        len: u32,
    },
    /// IPv6 address with prefix length (128 when absent).
    V6 {
        addr: &'a str,
        len: u32,
    },
    Mac([u8; 6]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Lsh,
    Rsh,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arith {
    Num(u32),
    Len,
    /// `proto[index : size]`.
    Load {
        proto: Proto,
        index: Box<Arith>,
        size: u32,
    },
    Neg(Box<Arith>),
    Bin(ArithOp, Box<Arith>, Box<Arith>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// The empty expression: accepts everything.
    True,
    And(Box<Node<'a>>, Box<Node<'a>>),
    Or(Box<Node<'a>>, Box<Node<'a>>),
    Not(Box<Node<'a>>),
    Id {
        qual: Qual,
        id: Id<'a>,
    },
    /// A protocol name on its own (`tcp`, `ip6`).
    Proto(Proto),
    /// `a op b`; `negate` for `<`, `<=`, `!=` (libpcap's reversed relations).
    Relation {
        op: RelOp,
        negate: bool,
        lhs: Arith,
        rhs: Arith,
    },
    Broadcast(Proto),
    Multicast(Proto),
    Less(u32),
    Greater(u32),
    Inbound(bool),
    Ifindex(u32),
    Vlan(Option<u32>),
    Mpls(Option<u32>),
    Pppoed,
    Llc(Option<LlcKind>),
    Pppoes(Option<u32>),
    Geneve(Option<u32>),
    /// `type`/`subtype`: the 802.11 frame control's first byte under a
    /// mask.
    WlanType {
        v: u32,
        mask: u32,
    },
    /// `dir`: the 802.11 To DS/From DS bits.
    WlanDir(u32),
    /// PFLOG header fields (`on`, `rset`, `rnr`, `srnr`, `reason`, `action`).
    Pf(PfField<'a>),
    /// SunATM circuits and cell types (`lane`, `oam`, `metac` …).
    Atm(AtmType),
    /// MTP2 signal unit types (`fisu`, `hlssu` …).
    Mtp2(Mtp2Type),
    /// `vpi`/`vci` and MTP3's `sio`/`opc`/`dpc`/`sls` (and `h` forms)
    /// against a number: `op` as in relations, `negate` only honoured for
    /// `>`/`>=` (libpcap ignores it for `!=`).
    Field {
        field: Field,
        op: RelOp,
        negate: bool,
        v: u32,
    },
    /// `byte idx op val`, a byte of the link header.
    Byte {
        idx: u32,
        op: ByteOp,
        val: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfField<'a> {
    Ifname(&'a str),
    Ruleset(&'a str),
    Rnr(u32),
    Srnr(u32),
    Reason(u32),
    Action(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtmType {
    Lane,
    Metac,
    Bcc,
    Oamf4ec,
    Oamf4sc,
    Sc,
    Ilmic,
    Oam,
    Oamf4,
    Connectmsg,
    Metaconnect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mtp2Type {
    Fisu,
    Lssu,
    Msu,
    Hfisu,
    Hlssu,
    Hmsu,
}

/// Numeric header fields with their own keyword; `high` for the MTP2
/// high-speed-link forms (`hsio` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Vpi,
    Vci,
    Sio { high: bool },
    Opc { high: bool },
    Dpc { high: bool },
    Sls { high: bool },
}

/// The operators of `byte`: `=`, `<`, `>`, and the bit tests `&`, `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOp {
    Eq,
    Lt,
    Gt,
    And,
    Or,
}

/// What `llc` is followed by: a frame format or an S/U frame type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlcKind {
    I,
    S,
    U,
    SType(u32),
    UType(u32),
}
