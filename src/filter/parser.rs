//! Recursive-descent parser with libpcap's grammar: `and` and `or` have
//! equal precedence and group to the left, `not` binds tightest, and a bare
//! id after `and`/`or`/`not` inherits the qualifiers of the term before it
//! (`host a or b`, `port 80 or 443`).

use super::ast::{
    AddrKind, Arith, ArithOp, AtmType, ByteOp, Dir, Field, Id, LlcKind, Mtp2Type, Node, PfField, Proto, Qual, RelOp,
    WlanAddr,
};
use super::lexer::{syntax, tokenize, Tok, Token};
use crate::error::Result;

/// Parenthesis and `not` nesting bound, so that hostile input cannot
/// exhaust the compiler's stack (a chain of `and`/`or` does not nest, so
/// expressions of any length are accepted, as by libpcap).
const MAX_DEPTH: usize = 3000;

pub fn parse(input: &str) -> Result<Node<'_>> {
    parse_reporting(input).map_err(|(e, _)| e)
}

/// `parse`, with the offset of the token a grammar error was found at
/// (None for the scanner's errors and for names or values refused).
pub fn parse_reporting(input: &str) -> std::result::Result<Node<'_>, (crate::error::Error, Option<usize>)> {
    let toks = tokenize(input).map_err(|e| (e, None))?;
    let mut p = Parser { toks, i: 0, depth: 0, stop: std::cell::Cell::new(None) };
    if p.peek() == &Tok::End {
        return Ok(Node::True);
    }
    let parsed =
        p.expr(Qual::UNDEF).and_then(|(node, _)| if p.peek() == &Tok::End { Ok(node) } else { Err(p.unexpected()) });
    parsed.map_err(|e| (e, p.stop.get()))
}

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    i: usize,
    depth: usize,
    /// Where `unexpected` last looked.
    stop: std::cell::Cell<Option<usize>>,
}

fn proto_keyword(w: &str) -> Option<Proto> {
    use Proto::*;
    Some(match w {
        "link" | "ether" | "ppp" | "slip" | "fddi" | "tr" | "wlan" => Link,
        "ip" => Ip,
        "ip6" => Ip6,
        "arp" => Arp,
        "rarp" => Rarp,
        "tcp" => Tcp,
        "udp" => Udp,
        "sctp" => Sctp,
        "icmp" => Icmp,
        "icmp6" => Icmp6,
        "igmp" => Igmp,
        "igrp" => Igrp,
        "pim" => Pim,
        "vrrp" => Vrrp,
        "carp" => Carp,
        "ah" => Ah,
        "esp" => Esp,
        "iso" => Iso,
        "esis" | "es-is" => Esis,
        "isis" | "is-is" => Isis,
        "clnp" => Clnp,
        "l1" => IsisL1,
        "l2" => IsisL2,
        "iih" => IsisIih,
        "lsp" => IsisLsp,
        "snp" => IsisSnp,
        "csnp" => IsisCsnp,
        "psnp" => IsisPsnp,
        "radio" => Radio,
        "atalk" => Atalk,
        "aarp" => Aarp,
        "ipx" => Ipx,
        "stp" => Stp,
        "netbeui" => Netbeui,
        "decnet" => Decnet,
        "lat" => Lat,
        "sca" => Sca,
        "moprc" => Moprc,
        "mopdl" => Mopdl,
        _ => return None,
    })
}

/// Words that are keywords in libpcap's scanner and so never ids.
/// libpcap's LLC frame formats and S/U frame type names.
fn llc_kind(name: &str) -> Option<LlcKind> {
    Some(match name {
        "i" => LlcKind::I,
        "s" => LlcKind::S,
        "u" => LlcKind::U,
        "rr" => LlcKind::SType(0x01),
        "rnr" => LlcKind::SType(0x05),
        "rej" => LlcKind::SType(0x09),
        "ui" => LlcKind::UType(0x03),
        "ua" => LlcKind::UType(0x63),
        "disc" => LlcKind::UType(0x43),
        "dm" => LlcKind::UType(0x0f),
        "sabme" => LlcKind::UType(0x6f),
        "test" => LlcKind::UType(0xe3),
        "xid" => LlcKind::UType(0xaf),
        "frmr" => LlcKind::UType(0x87),
        _ => return None,
    })
}

/// 802.11 frame types (grammar.y's ieee80211_types), case-insensitive.
fn wlan_type(name: &str) -> Option<u32> {
    Some(match name.to_ascii_lowercase().as_str() {
        "data" => WLAN_DATA,
        "mgt" | "management" => WLAN_MGT,
        "ctl" | "control" => WLAN_CTL,
        _ => return None,
    })
}

const WLAN_MGT: u32 = 0x00;
const WLAN_CTL: u32 = 0x04;
const WLAN_DATA: u32 = 0x08;

/// The subtype names of each frame type, as in grammar.y.
const WLAN_SUBTYPES: [(u32, &[(&str, u32)]); 3] = [
    (
        WLAN_MGT,
        &[
            ("assocreq", 0x00),
            ("assoc-req", 0x00),
            ("assocresp", 0x10),
            ("assoc-resp", 0x10),
            ("reassocreq", 0x20),
            ("reassoc-req", 0x20),
            ("reassocresp", 0x30),
            ("reassoc-resp", 0x30),
            ("probereq", 0x40),
            ("probe-req", 0x40),
            ("proberesp", 0x50),
            ("probe-resp", 0x50),
            ("beacon", 0x80),
            ("atim", 0x90),
            ("disassoc", 0xa0),
            ("disassociation", 0xa0),
            ("auth", 0xb0),
            ("authentication", 0xb0),
            ("deauth", 0xc0),
            ("deauthentication", 0xc0),
        ],
    ),
    (
        WLAN_CTL,
        &[("ps-poll", 0xa0), ("rts", 0xb0), ("cts", 0xc0), ("ack", 0xd0), ("cf-end", 0xe0), ("cf-end-ack", 0xf0)],
    ),
    (
        WLAN_DATA,
        &[
            ("data", 0x00),
            ("data-cf-ack", 0x10),
            ("data-cf-poll", 0x20),
            ("data-cf-ack-poll", 0x30),
            ("null", 0x40),
            ("cf-ack", 0x50),
            ("cf-poll", 0x60),
            ("cf-ack-poll", 0x70),
            ("qos-data", 0x80),
            ("qos-data-cf-ack", 0x90),
            ("qos-data-cf-poll", 0xa0),
            ("qos-data-cf-ack-poll", 0xb0),
            ("qos", 0xc0),
            ("qos-cf-poll", 0xe0),
            ("qos-cf-ack-poll", 0xf0),
        ],
    ),
];

fn lookup(table: &[(&str, u32)], name: &str) -> Option<u32> {
    table.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, v)| v)
}

/// pf's reason names (PFRES_NAMES), numbered by position.
const PF_REASONS: [&str; 15] = [
    "match",
    "bad-offset",
    "fragment",
    "short",
    "normalize",
    "memory",
    "bad-timestamp",
    "congestion",
    "ip-option",
    "proto-cksum",
    "state-mismatch",
    "state-insert",
    "state-limit",
    "src-limit",
    "synproxy",
];

/// pf's action names, numbered by position (PF_PASS …).
const PF_ACTIONS: [&str; 11] =
    ["pass", "drop", "scrub", "noscrub", "nat", "nonat", "binat", "nobinat", "rdr", "nordr", "synproxy-drop"];

fn lookup_index(names: &[&str], name: &str) -> Option<u32> {
    names.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| i as u32)
}

fn wlan_dir(name: &str) -> Option<u32> {
    lookup(&[("nods", 0), ("tods", 1), ("fromds", 2), ("dstods", 3)], name)
}

fn is_keyword(w: &str) -> bool {
    proto_keyword(w).is_some()
        || matches!(
            w,
            "and"
                | "or"
                | "not"
                | "src"
                | "dst"
                | "host"
                | "net"
                | "mask"
                | "port"
                | "portrange"
                | "gateway"
                | "proto"
                | "protochain"
                | "broadcast"
                | "multicast"
                | "less"
                | "greater"
                | "len"
                | "inbound"
                | "outbound"
                | "ifindex"
                | "vlan"
                | "mpls"
                | "pppoed"
                | "pppoes"
                | "geneve"
                | "fddi"
                | "tr"
                | "wlan"
                | "atalk"
                | "aarp"
                | "ipx"
                | "esis"
                | "es-is"
                | "isis"
                | "is-is"
                | "clnp"
                | "radio"
                | "byte"
                | "lane"
                | "llc"
                | "type"
                | "subtype"
                | "dir"
                | "direction"
                | "address1"
                | "addr1"
                | "address2"
                | "addr2"
                | "address3"
                | "addr3"
                | "address4"
                | "addr4"
                | "ra"
                | "ta"
                | "on"
                | "ifname"
                | "rset"
                | "ruleset"
                | "rnr"
                | "rulenum"
                | "srnr"
                | "subrulenum"
                | "reason"
                | "action"
                | "metac"
                | "bcc"
                | "oam"
                | "oamf4"
                | "oamf4ec"
                | "oamf4sc"
                | "sc"
                | "ilmic"
                | "vpi"
                | "vci"
                | "connectmsg"
                | "metaconnect"
                | "fisu"
                | "lssu"
                | "lsu"
                | "msu"
                | "hfisu"
                | "hlssu"
                | "hmsu"
                | "sio"
                | "opc"
                | "dpc"
                | "sls"
                | "hsio"
                | "hopc"
                | "hdpc"
                | "hsls"
        )
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok<'a> {
        &self.toks[self.i.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok<'a> {
        &self.toks[(self.i + n).min(self.toks.len() - 1)].tok
    }

    fn pos(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].pos
    }

    fn bump(&mut self) {
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
    }

    /// The next token, consumed.
    fn take(&mut self) -> Tok<'a> {
        let t = *self.peek();
        self.bump();
        t
    }

    fn unexpected(&self) -> crate::error::Error {
        let what = match self.peek() {
            Tok::End => "unexpected end of expression".to_string(),
            Tok::Num(n) => format!("unexpected number {n}"),
            Tok::Word { text, .. } => format!("unexpected '{text}'"),
            Tok::V4(s) | Tok::V6(s) => format!("unexpected address '{s}'"),
            Tok::Mac(_) => "unexpected MAC address".to_string(),
            Tok::Op(o) => format!("unexpected '{o}'"),
        };
        self.stop.set(Some(self.pos()));
        syntax(self.pos(), what)
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Word { text, escaped: false } if *text == kw)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn expect_op(&mut self, op: &str) -> Result<()> {
        if self.is_op(op) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(self.pos(), "expression nested too deeply"));
        }
        Ok(())
    }

    fn is_and(&self) -> bool {
        self.is_kw("and") || self.is_op("&&")
    }

    fn is_or(&self) -> bool {
        self.is_kw("or") || self.is_op("||")
    }

    fn is_not(&self) -> bool {
        self.is_kw("not") || self.is_op("!")
    }

    /// Consumes `and`/`&&` (Some(true)) or `or`/`||` (Some(false)).
    fn conjunction(&mut self) -> Option<bool> {
        let and = if self.is_and() {
            true
        } else if self.is_or() {
            false
        } else {
            return None;
        };
        self.bump();
        Some(and)
    }

    /// expr: term ((and|or) (term | id))*
    fn expr(&mut self, carried: Qual) -> Result<(Node<'a>, Qual)> {
        self.enter()?;
        let (mut node, mut q) = self.term(carried, false)?;
        while let Some(and) = self.conjunction() {
            let (rhs, q2) = self.term(q, true)?;
            node = join(and, node, rhs);
            q = q2;
        }
        self.depth -= 1;
        Ok((node, q))
    }

    /// term: not term | rterm, plus a bare id (with the carried qualifiers)
    /// where the grammar allows one.
    fn term(&mut self, carried: Qual, allow_id: bool) -> Result<(Node<'a>, Qual)> {
        self.enter()?;
        let out = if self.is_not() {
            self.bump();
            let (t, q) = self.term(carried, allow_id)?;
            (Node::Not(Box::new(t)), q)
        } else {
            self.rterm(carried, allow_id)?
        };
        self.depth -= 1;
        Ok(out)
    }

    fn starts_id(&self) -> bool {
        match self.peek() {
            Tok::Num(_) | Tok::V4(_) | Tok::V6(_) | Tok::Mac(_) => true,
            Tok::Word { text, escaped } => *escaped || !is_keyword(text),
            _ => false,
        }
    }

    fn rterm(&mut self, carried: Qual, allow_id: bool) -> Result<(Node<'a>, Qual)> {
        // An arithmetic relation can start with '(', '-', a number, `len`
        // or `proto[`; try it first and fall back to the boolean forms.
        // Backtracking restores the nesting depth with the position: an
        // attempt that failed half-way has not left its levels.
        let (start, depth) = (self.i, self.depth);
        let mut relation_error = None;
        if self.may_start_arith() {
            match self.relation() {
                Ok(Some(n)) => return Ok((n, Qual::UNDEF)),
                Ok(None) => {
                    self.stop.set(None);
                    (self.i, self.depth) = (start, depth);
                }
                Err(e) => {
                    // Where the attempt stopped counts only if its error is
                    // the one reported.
                    relation_error = Some((e, self.stop.take()));
                    (self.i, self.depth) = (start, depth);
                }
            }
        }
        if self.is_op("(") {
            self.bump();
            if allow_id && !self.paren_is_expr() {
                let node = self.pid(carried)?;
                self.expect_op(")")?;
                return Ok((node, carried));
            }
            let (node, _) = self.expr(carried)?;
            self.expect_op(")")?;
            return Ok((node, carried));
        }
        if let Some(r) = self.other()? {
            return Ok((r, Qual::UNDEF));
        }
        if let Some(r) = self.head_and_id()? {
            return Ok(r);
        }
        if allow_id && self.starts_id() {
            let node = self.id(carried)?;
            return Ok((node, carried));
        }
        match relation_error {
            Some((e, stop)) => {
                self.stop.set(stop);
                Err(e)
            }
            None => Err(self.unexpected()),
        }
    }

    /// Inside "( … )" after and/or: libpcap reads ids there with the carried
    /// qualifiers (`host a and (b or c)`); anything that is not an id starts a
    /// full expression.
    fn paren_is_expr(&self) -> bool {
        let mut j = self.i;
        loop {
            match &self.toks[j.min(self.toks.len() - 1)].tok {
                Tok::Op("(") | Tok::Op("!") => j += 1,
                Tok::Word { text, escaped: false } if *text == "not" => j += 1,
                Tok::Num(_) | Tok::V4(_) | Tok::V6(_) | Tok::Mac(_) => return false,
                Tok::Word { text, escaped } => return !*escaped && is_keyword(text),
                _ => return true,
            }
        }
    }

    /// pid: id ((and|or) id)* inside parentheses, all with the same qualifiers.
    fn pid(&mut self, q: Qual) -> Result<Node<'a>> {
        self.enter()?;
        let mut node = self.id(q)?;
        while let Some(and) = self.conjunction() {
            let rhs = self.id(q)?;
            node = join(and, node, rhs);
        }
        self.depth -= 1;
        Ok(node)
    }

    /// id: not id | ( pid ) | number | name | address
    fn id(&mut self, q: Qual) -> Result<Node<'a>> {
        self.enter()?;
        let out = if self.is_not() {
            self.bump();
            Node::Not(Box::new(self.id(q)?))
        } else if self.is_op("(") {
            self.bump();
            let n = self.pid(q)?;
            self.expect_op(")")?;
            n
        } else {
            let id = self.id_value()?;
            Node::Id { qual: q, id }
        };
        self.depth -= 1;
        Ok(out)
    }

    fn id_value(&mut self) -> Result<Id<'a>> {
        match *self.peek() {
            Tok::Num(n) => {
                self.bump();
                Ok(Id::Num(n))
            }
            Tok::Mac(m) => {
                self.bump();
                Ok(Id::Mac(m))
            }
            Tok::V4(s) => {
                self.bump();
                if self.is_op("/") {
                    self.bump();
                    let len = self.number()?;
                    return Ok(Id::V4Net { addr: s, mask: None, len });
                }
                if self.is_kw("mask") {
                    self.bump();
                    // libpcap's grammar takes a dotted mask only (`mask 255`
                    // is a syntax error there).
                    let at = self.pos();
                    let Tok::V4(m) = self.take() else {
                        return Err(syntax(at, "mask must be a dotted IPv4 address"));
                    };
                    return Ok(Id::V4Net { addr: s, mask: Some(m), len: 0 });
                }
                Ok(Id::V4(s))
            }
            Tok::V6(s) => {
                self.bump();
                let mut len = 128;
                if self.is_op("/") {
                    self.bump();
                    len = self.number()?;
                }
                Ok(Id::V6 { addr: s, len })
            }
            Tok::Word { text, escaped } if escaped || !is_keyword(text) => {
                self.bump();
                Ok(Id::Name(text))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn number(&mut self) -> Result<u32> {
        match self.peek() {
            Tok::Num(n) => {
                let n = *n;
                self.bump();
                Ok(n)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// pnum: NUM | ( pnum )
    fn pnum(&mut self) -> Result<u32> {
        if self.is_op("(") {
            self.enter()?;
            self.bump();
            let n = self.pnum()?;
            self.expect_op(")")?;
            self.depth -= 1;
            return Ok(n);
        }
        self.number()
    }

    fn starts_pnum(&self) -> bool {
        let mut j = 0;
        while matches!(self.peek_at(j), Tok::Op("(")) {
            j += 1;
        }
        matches!(self.peek_at(j), Tok::Num(_))
    }

    /// The primitives with no qualifiers: less, greater, vlan …
    fn other(&mut self) -> Result<Option<Node<'a>>> {
        let word = match self.peek() {
            Tok::Word { text, escaped: false } => *text,
            _ => return Ok(None),
        };
        let node = match word {
            "broadcast" => {
                self.bump();
                Node::Broadcast(Proto::Default)
            }
            "multicast" => {
                self.bump();
                Node::Multicast(Proto::Default)
            }
            "less" | "greater" => {
                self.bump();
                let n = self.number()?;
                if word == "less" {
                    Node::Less(n)
                } else {
                    Node::Greater(n)
                }
            }
            "inbound" => {
                self.bump();
                Node::Inbound(true)
            }
            "outbound" => {
                self.bump();
                Node::Inbound(false)
            }
            "ifindex" => {
                self.bump();
                Node::Ifindex(self.number()?)
            }
            "vlan" | "mpls" | "pppoes" | "geneve" => {
                self.bump();
                let n = if self.starts_pnum() { Some(self.pnum()?) } else { None };
                match word {
                    "vlan" => Node::Vlan(n),
                    "mpls" => Node::Mpls(n),
                    "pppoes" => Node::Pppoes(n),
                    _ => Node::Geneve(n),
                }
            }
            "llc" => {
                self.bump();
                // `llc` takes an optional name (i, s, u or a frame type),
                // never a number, as in libpcap's grammar.
                let kind = match *self.peek() {
                    // "rnr" is also PFLOG's keyword; libpcap's grammar takes
                    // it here all the same.
                    Tok::Word { text, escaped } if escaped || !is_keyword(text) || text == "rnr" => {
                        let pos = self.pos();
                        self.bump();
                        Some(llc_kind(text).ok_or_else(|| {
                            crate::error::Error::new(
                                crate::error::ErrorCode::FilterSyntax,
                                format!("unknown LLC type name \"{text}\" at position {pos}"),
                            )
                        })?)
                    }
                    _ => None,
                };
                Node::Llc(kind)
            }
            "pppoed" => {
                self.bump();
                Node::Pppoed
            }
            "type" | "subtype" | "dir" | "direction" => self.p80211()?,
            "on" | "ifname" | "rset" | "ruleset" | "rnr" | "rulenum" | "srnr" | "subrulenum" | "reason" | "action" => {
                self.pfvar()?
            }
            "lane" | "metac" | "bcc" | "oamf4ec" | "oamf4sc" | "sc" | "ilmic" | "oam" | "oamf4" | "connectmsg"
            | "metaconnect" => {
                self.bump();
                Node::Atm(match word {
                    "lane" => AtmType::Lane,
                    "metac" => AtmType::Metac,
                    "bcc" => AtmType::Bcc,
                    "oamf4ec" => AtmType::Oamf4ec,
                    "oamf4sc" => AtmType::Oamf4sc,
                    "sc" => AtmType::Sc,
                    "ilmic" => AtmType::Ilmic,
                    "oam" => AtmType::Oam,
                    "oamf4" => AtmType::Oamf4,
                    "connectmsg" => AtmType::Connectmsg,
                    _ => AtmType::Metaconnect,
                })
            }
            "fisu" | "lssu" | "lsu" | "msu" | "hfisu" | "hlssu" | "hmsu" => {
                self.bump();
                Node::Mtp2(match word {
                    "fisu" => Mtp2Type::Fisu,
                    "lssu" | "lsu" => Mtp2Type::Lssu,
                    "msu" => Mtp2Type::Msu,
                    "hfisu" => Mtp2Type::Hfisu,
                    "hlssu" => Mtp2Type::Hlssu,
                    _ => Mtp2Type::Hmsu,
                })
            }
            "vpi" | "vci" | "sio" | "opc" | "dpc" | "sls" | "hsio" | "hopc" | "hdpc" | "hsls" => {
                self.bump();
                let field = match word {
                    "vpi" => Field::Vpi,
                    "vci" => Field::Vci,
                    w => {
                        let high = w.len() == 4;
                        match &w[w.len() - 3..] {
                            "sio" => Field::Sio { high },
                            "opc" => Field::Opc { high },
                            "dpc" => Field::Dpc { high },
                            _ => Field::Sls { high },
                        }
                    }
                };
                self.field_value(field)?
            }
            "byte" => {
                self.bump();
                let idx = self.number()?;
                let op = match self.peek() {
                    Tok::Op("==") => ByteOp::Eq,
                    Tok::Op("<") => ByteOp::Lt,
                    Tok::Op(">") => ByteOp::Gt,
                    Tok::Op("&") => ByteOp::And,
                    Tok::Op("|") => ByteOp::Or,
                    _ => return Err(self.unexpected()),
                };
                self.bump();
                let val = self.number()?;
                Node::Byte { idx, op, val }
            }
            _ => return Ok(None),
        };
        Ok(Some(node))
    }

    /// The keyword that starts a primitive, consumed.
    fn keyword(&mut self) -> Result<&'a str> {
        match self.take() {
            Tok::Word { text, .. } => Ok(text),
            _ => Err(self.unexpected()),
        }
    }

    /// A name argument (libpcap's ID: no keyword unless escaped), consumed.
    fn name(&mut self) -> Option<&'a str> {
        match *self.peek() {
            Tok::Word { text, escaped } if escaped || !is_keyword(text) => {
                self.bump();
                Some(text)
            }
            _ => None,
        }
    }

    /// PFLOG's fields (grammar.y's pfvar).
    fn pfvar(&mut self) -> Result<Node<'a>> {
        let kw = self.keyword()?;
        let id = |p: &mut Parser<'a>| p.name().ok_or_else(|| p.unexpected());
        Ok(Node::Pf(match kw {
            "on" | "ifname" => PfField::Ifname(id(self)?),
            "rset" | "ruleset" => PfField::Ruleset(id(self)?),
            "rnr" | "rulenum" => PfField::Rnr(self.number()?),
            "srnr" | "subrulenum" => PfField::Srnr(self.number()?),
            "reason" => {
                if let Tok::Num(n) = *self.peek() {
                    self.bump();
                    PfField::Reason(n)
                } else {
                    let name = id(self)?;
                    let v = lookup_index(&PF_REASONS, name)
                        .ok_or_else(|| semantic(format!("unknown PF reason \"{name}\"")))?;
                    PfField::Reason(v)
                }
            }
            _ => {
                let name = id(self)?;
                let v = match name.to_ascii_lowercase().as_str() {
                    "accept" => Some(0),
                    "block" => Some(1),
                    n => lookup_index(&PF_ACTIONS, n),
                };
                PfField::Action(v.ok_or_else(|| semantic(format!("unknown PF action \"{name}\"")))?)
            }
        }))
    }

    /// A field's value: `N`, `relop N`, or `(N or N …)` (grammar.y's
    /// atmvalue and mtp3value).
    fn field_value(&mut self, field: Field) -> Result<Node<'a>> {
        let (op, negate) = match self.peek() {
            Tok::Op("(") => {
                self.bump();
                let mut node = Node::Field { field, op: RelOp::Eq, negate: false, v: self.number()? };
                while self.is_or() {
                    self.bump();
                    let v = self.number()?;
                    node = join(false, node, Node::Field { field, op: RelOp::Eq, negate: false, v });
                }
                self.expect_op(")")?;
                return Ok(node);
            }
            t => match relop(t) {
                Some(r) => r,
                None => return Ok(Node::Field { field, op: RelOp::Eq, negate: false, v: self.number()? }),
            },
        };
        self.bump();
        Ok(Node::Field { field, op, negate, v: self.number()? })
    }

    /// An 802.11 type or subtype: Ok(number within `mask`) or Err(name).
    fn wlan_value(&mut self, mask: u32, what: &str) -> Result<std::result::Result<u32, &'a str>> {
        if let Tok::Num(n) = *self.peek() {
            self.bump();
            if n & !mask != 0 {
                return Err(semantic(format!("invalid 802.11 {what} value 0x{n:02x}")));
            }
            return Ok(Ok(n));
        }
        self.name().map(Err).ok_or_else(|| self.unexpected())
    }

    /// `type T [subtype S]`, `subtype S`, `dir D` (grammar.y's p80211).
    fn p80211(&mut self) -> Result<Node<'a>> {
        let kw = self.keyword()?;
        let name = |p: &mut Parser<'a>| p.name();
        match kw {
            "type" => {
                let t = match self.wlan_value(0x0c, "type")? {
                    Ok(n) => n,
                    Err(n) => wlan_type(n).ok_or_else(|| semantic(format!("unknown 802.11 type name \"{n}\"")))?,
                };
                if !self.is_kw("subtype") {
                    return Ok(Node::WlanType { v: t, mask: 0x0c });
                }
                self.bump();
                let sub = match self.wlan_value(0xf0, "subtype")? {
                    Ok(n) => n,
                    Err(n) => {
                        let table = WLAN_SUBTYPES
                            .iter()
                            .find(|(ty, _)| *ty == t)
                            .ok_or_else(|| semantic("unknown 802.11 type"))?
                            .1;
                        lookup(table, n).ok_or_else(|| semantic(format!("unknown 802.11 subtype name \"{n}\"")))?
                    }
                };
                Ok(Node::WlanType { v: t | sub, mask: 0xfc })
            }
            "subtype" => {
                let n = name(self).ok_or_else(|| self.unexpected())?;
                let v = WLAN_SUBTYPES
                    .iter()
                    .find_map(|(ty, table)| lookup(table, n).map(|s| s | ty))
                    .ok_or_else(|| semantic("unknown 802.11 type name"))?;
                Ok(Node::WlanType { v, mask: 0xfc })
            }
            _ => {
                if let Tok::Num(n) = *self.peek() {
                    self.bump();
                    return Ok(Node::WlanDir(n));
                }
                let n = name(self).ok_or_else(|| self.unexpected())?;
                Ok(Node::WlanDir(wlan_dir(n).ok_or_else(|| semantic("unknown 802.11 direction"))?))
            }
        }
    }

    fn dqual(&mut self) -> Option<Dir> {
        let wlan = match self.peek() {
            Tok::Word { text, escaped: false } => match *text {
                "addr1" | "address1" => Some(WlanAddr::Addr1),
                "addr2" | "address2" => Some(WlanAddr::Addr2),
                "addr3" | "address3" => Some(WlanAddr::Addr3),
                "addr4" | "address4" => Some(WlanAddr::Addr4),
                "ra" => Some(WlanAddr::Ra),
                "ta" => Some(WlanAddr::Ta),
                _ => None,
            },
            _ => None,
        };
        if let Some(w) = wlan {
            self.bump();
            return Some(Dir::Wlan(w));
        }
        let first = if self.is_kw("src") {
            Dir::Src
        } else if self.is_kw("dst") {
            Dir::Dst
        } else {
            return None;
        };
        let other = if first == Dir::Src { "dst" } else { "src" };
        if (self.is_kw_at(1, "or") || self.is_kw_at(1, "and")) && self.is_kw_at(2, other) {
            let d = if self.is_kw_at(1, "or") { Dir::Or } else { Dir::And };
            self.bump();
            self.bump();
            self.bump();
            return Some(d);
        }
        self.bump();
        Some(first)
    }

    fn aqual(&mut self) -> Option<AddrKind> {
        let a = match self.peek() {
            Tok::Word { text, escaped: false } => match *text {
                "host" => AddrKind::Host,
                "net" => AddrKind::Net,
                "port" => AddrKind::Port,
                "portrange" => AddrKind::PortRange,
                _ => return None,
            },
            _ => return None,
        };
        self.bump();
        Some(a)
    }

    /// head id, or a protocol name alone, or `proto broadcast|multicast`.
    fn head_and_id(&mut self) -> Result<Option<(Node<'a>, Qual)>> {
        let start = self.i;
        let proto = match self.peek() {
            Tok::Word { text, escaped: false } => proto_keyword(text),
            _ => None,
        };
        if proto.is_some() {
            self.bump();
        }
        let pq = proto.unwrap_or(Proto::Default);
        let mut q = Qual { proto: pq, dir: Dir::Default, addr: AddrKind::Default };
        if self.is_kw("proto") || self.is_kw("protochain") {
            q.addr = if self.is_kw("proto") { AddrKind::Proto } else { AddrKind::ProtoChain };
            self.bump();
        } else if ["type", "subtype", "dir", "direction"].iter().any(|k| self.is_kw(k)) {
            // libpcap takes (and ignores) a protocol name in front.
            return Ok(Some((self.p80211()?, Qual::UNDEF)));
        } else if self.is_kw("gateway") {
            self.bump();
            q.addr = AddrKind::Gateway;
        } else if proto.is_some() && (self.is_kw("broadcast") || self.is_kw("multicast")) {
            let b = self.is_kw("broadcast");
            self.bump();
            let n = if b { Node::Broadcast(pq) } else { Node::Multicast(pq) };
            return Ok(Some((n, Qual::UNDEF)));
        } else {
            let d = self.dqual();
            let a = self.aqual();
            if d.is_none() && a.is_none() {
                return match proto {
                    Some(p) => Ok(Some((Node::Proto(p), Qual::UNDEF))),
                    None => {
                        self.i = start;
                        Ok(None)
                    }
                };
            }
            q.dir = d.unwrap_or(Dir::Default);
            q.addr = a.unwrap_or(AddrKind::Default);
        }
        let node = self.id(q)?;
        Ok(Some((node, q)))
    }

    fn may_start_arith(&self) -> bool {
        match self.peek() {
            Tok::Num(_) | Tok::Op("(") | Tok::Op("-") => true,
            Tok::Word { text, escaped: false } => {
                *text == "len" || (proto_keyword(text).is_some() && matches!(self.peek_at(1), Tok::Op("[")))
            }
            _ => false,
        }
    }

    /// arth relop arth; None when what follows the first operand is not a
    /// relational operator (so this is not a relation).
    fn relation(&mut self) -> Result<Option<Node<'a>>> {
        let lhs = self.arith(0)?;
        let Some((op, negate)) = relop(self.peek()) else { return Ok(None) };
        self.bump();
        let rhs = self.arith(0)?;
        Ok(Some(Node::Relation { op, negate, lhs, rhs }))
    }

    /// Binary operators by yacc precedence: | < & < << >> < + - < * / %.
    /// '^' has no declared precedence in libpcap's grammar, so yacc always
    /// shifts it: it takes the operand just before it and everything after.
    fn arith(&mut self, min_prec: u8) -> Result<Arith> {
        self.enter()?;
        let mut lhs = self.unary()?;
        loop {
            if self.is_op("^") {
                self.bump();
                let rhs = self.arith(0)?;
                lhs = Arith::Bin(ArithOp::Xor, Box::new(lhs), Box::new(rhs));
                continue;
            }
            let (op, prec) = match self.peek() {
                Tok::Op("|") => (ArithOp::Or, 1),
                Tok::Op("&") => (ArithOp::And, 2),
                Tok::Op("<<") => (ArithOp::Lsh, 3),
                Tok::Op(">>") => (ArithOp::Rsh, 3),
                Tok::Op("+") => (ArithOp::Add, 4),
                Tok::Op("-") => (ArithOp::Sub, 4),
                Tok::Op("*") => (ArithOp::Mul, 5),
                Tok::Op("/") => (ArithOp::Div, 5),
                Tok::Op("%") => (ArithOp::Mod, 5),
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            self.bump();
            let rhs = self.arith(prec + 1)?;
            lhs = Arith::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Arith> {
        self.enter()?;
        let out = if self.is_op("-") {
            self.bump();
            let mut inner = self.unary()?;
            if self.is_op("^") {
                self.bump();
                let rhs = self.arith(0)?;
                inner = Arith::Bin(ArithOp::Xor, Box::new(inner), Box::new(rhs));
            }
            Arith::Neg(Box::new(inner))
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(out)
    }

    fn primary(&mut self) -> Result<Arith> {
        match *self.peek() {
            Tok::Num(n) => {
                self.bump();
                Ok(Arith::Num(n))
            }
            Tok::Op("(") => {
                self.bump();
                let a = self.arith(0)?;
                self.expect_op(")")?;
                Ok(a)
            }
            Tok::Word { text: "len", escaped: false } => {
                self.bump();
                Ok(Arith::Len)
            }
            Tok::Word { text, escaped: false } if proto_keyword(text).is_some() => {
                let proto = proto_keyword(text).unwrap_or(Proto::Default);
                self.bump();
                self.expect_op("[")?;
                let index = self.arith(0)?;
                let mut size = 1;
                if self.is_op(":") {
                    self.bump();
                    size = self.number()?;
                }
                self.expect_op("]")?;
                Ok(Arith::Load { proto, index: Box::new(index), size })
            }
            _ => Err(self.unexpected()),
        }
    }
}

/// An error libpcap's grammar reports in its own words (a bad name or
/// value rather than a bad token): its text, without a position.
fn semantic(msg: impl Into<String>) -> crate::error::Error {
    crate::error::Error::new(crate::error::ErrorCode::FilterSyntax, msg)
}

/// A relational operator as libpcap's grammar has them: `<`, `<=` and
/// `!=` are the reversed `>=`, `>` and `=`.
fn relop(t: &Tok) -> Option<(RelOp, bool)> {
    Some(match t {
        Tok::Op(">") => (RelOp::Gt, false),
        Tok::Op(">=") => (RelOp::Ge, false),
        Tok::Op("==") => (RelOp::Eq, false),
        Tok::Op("<=") => (RelOp::Gt, true),
        Tok::Op("<") => (RelOp::Ge, true),
        Tok::Op("!=") => (RelOp::Eq, true),
        _ => return None,
    })
}

fn join<'a>(and: bool, l: Node<'a>, r: Node<'a>) -> Node<'a> {
    if and {
        Node::And(Box::new(l), Box::new(r))
    } else {
        Node::Or(Box::new(l), Box::new(r))
    }
}
