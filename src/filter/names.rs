//! Name lookups: the lexer's numeric keywords, /etc/protocols,
//! /etc/services, /etc/networks, /etc/ethers, and host resolution through
//! the system resolver (getaddrinfo), as libpcap does.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};

/// Keywords that the scanner turns straight into numbers.
pub fn numeric_keyword(s: &str) -> Option<u32> {
    const TABLE: &[(&str, u32)] = &[
        ("icmptype", 0),
        ("icmpcode", 1),
        ("icmp-echoreply", 0),
        ("icmp-unreach", 3),
        ("icmp-sourcequench", 4),
        ("icmp-redirect", 5),
        ("icmp-echo", 8),
        ("icmp-routeradvert", 9),
        ("icmp-routersolicit", 10),
        ("icmp-timxceed", 11),
        ("icmp-paramprob", 12),
        ("icmp-tstamp", 13),
        ("icmp-tstampreply", 14),
        ("icmp-ireq", 15),
        ("icmp-ireqreply", 16),
        ("icmp-maskreq", 17),
        ("icmp-maskreply", 18),
        ("icmp6type", 0),
        ("icmp6code", 1),
        ("icmp6-destinationunreach", 1),
        ("icmp6-packettoobig", 2),
        ("icmp6-timeexceeded", 3),
        ("icmp6-parameterproblem", 4),
        ("icmp6-echo", 128),
        ("icmp6-echoreply", 129),
        ("icmp6-multicastlistenerquery", 130),
        ("icmp6-multicastlistenerreportv1", 131),
        ("icmp6-multicastlistenerdone", 132),
        ("icmp6-routersolicit", 133),
        ("icmp6-routeradvert", 134),
        ("icmp6-neighborsolicit", 135),
        ("icmp6-neighboradvert", 136),
        ("icmp6-redirect", 137),
        ("icmp6-routerrenum", 138),
        ("icmp6-nodeinformationquery", 139),
        ("icmp6-nodeinformationresponse", 140),
        ("icmp6-ineighbordiscoverysolicit", 141),
        ("icmp6-ineighbordiscoveryadvert", 142),
        ("icmp6-multicastlistenerreportv2", 143),
        ("icmp6-homeagentdiscoveryrequest", 144),
        ("icmp6-homeagentdiscoveryreply", 145),
        ("icmp6-mobileprefixsolicit", 146),
        ("icmp6-mobileprefixadvert", 147),
        ("icmp6-certpathsolicit", 148),
        ("icmp6-certpathadvert", 149),
        ("icmp6-multicastrouteradvert", 151),
        ("icmp6-multicastroutersolicit", 152),
        ("icmp6-multicastrouterterm", 153),
        ("tcpflags", 13),
        ("tcp-fin", 0x01),
        ("tcp-syn", 0x02),
        ("tcp-rst", 0x04),
        ("tcp-push", 0x08),
        ("tcp-ack", 0x10),
        ("tcp-urg", 0x20),
        ("tcp-ece", 0x40),
        ("tcp-cwr", 0x80),
    ];
    // Every name is looked up here: most are no ICMP or TCP name at all.
    if !(s.starts_with("icmp") || s.starts_with("tcp")) {
        return None;
    }
    TABLE.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
}

/// libpcap's eproto_db: Ethernet protocol names and their EtherTypes.
pub const EPROTO: &[(&str, u16)] = &[
    ("aarp", 0x80f3),
    ("arp", 0x0806),
    ("atalk", 0x809b),
    ("decnet", 0x6003),
    ("ip", 0x0800),
    ("ip6", 0x86dd),
    ("lat", 0x6004),
    ("loopback", 0x9000),
    ("mopdl", 0x6001),
    ("moprc", 0x6002),
    ("rarp", 0x8035),
    ("sca", 0x6007),
];

/// libpcap's llc_db: 802.2 LLC SAP names.
pub const LLC: &[(&str, u8)] = &[("iso", 0xfe), ("stp", 0x42), ("ipx", 0xe0), ("netbeui", 0xf0)];

/// Ethernet protocol names accepted by `ether proto \name` (eproto_db,
/// then the LLC SAP names), as libpcap looks them up.
pub fn ether_proto(name: &str) -> Option<u32> {
    EPROTO
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| u32::from(*v))
        .or_else(|| LLC.iter().find(|(k, _)| *k == name).map(|(_, v)| u32::from(*v)))
}

/// A system file's text, kept between lookups and read again when the
/// file changed. libpcap's lookups (getservbyname, getprotobyname …) read
/// the file afresh each time, so an edit shows at the next compile; it does
/// here too, since the file's identity, size and times are checked on every
/// use (one stat), but an unchanged file is not read and decoded again for
/// every name: that was most of what a `port NAME` cost.
struct SystemFile {
    path: &'static str,
    text: Mutex<Option<(FileVersion, Arc<str>)>>,
}

/// What changes when a file is replaced or written: the inode, the size,
/// and the modification and status-change times (the latter cannot be set
/// back by the writer).
type FileVersion = (u64, u64, u64, i64, i64, i64, i64);

impl SystemFile {
    const fn new(path: &'static str) -> SystemFile {
        SystemFile { path, text: Mutex::new(None) }
    }

    fn text(&self) -> Option<Arc<str>> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(self.path).ok()?;
        let version = (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec());
        let mut kept = self.text.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((v, text)) = kept.as_ref() {
            if *v == version {
                return Some(text.clone());
            }
        }
        // Written between the stat and the read: the next stat differs from
        // the version kept, and the file is read again then.
        let text: Arc<str> = std::fs::read_to_string(self.path).ok()?.into();
        *kept = Some((version, text.clone()));
        Some(text)
    }
}

static PROTOCOLS: SystemFile = SystemFile::new("/etc/protocols");
static SERVICES: SystemFile = SystemFile::new("/etc/services");
static NETWORKS: SystemFile = SystemFile::new("/etc/networks");
static ETHERS: SystemFile = SystemFile::new("/etc/ethers");

/// The first answer `found` gives for the fields of a line naming `name`
/// (comments and empty lines left out), reading the file as the C library
/// does. Every caller matches whole fields equal to `name`, so only lines
/// containing it are split: /etc/services has hundreds of lines.
fn find_line<T>(file: &SystemFile, name: &str, mut found: impl FnMut(&[&str]) -> Option<T>) -> Option<T> {
    if name.is_empty() {
        return None;
    }
    let text = file.text()?;
    let mut fields: Vec<&str> = Vec::with_capacity(8);
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|rest| rest.find(name)).map(|i| from + i) {
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        // The next match is looked for past this line: each line once, in order.
        from = end + 1;
        fields.clear();
        fields.extend(text[start..end].split('#').next().unwrap_or("").split_whitespace());
        if fields.is_empty() {
            continue;
        }
        if let Some(t) = found(&fields) {
            return Some(t);
        }
    }
    None
}

/// An IP protocol number from /etc/protocols (name or alias).
pub fn ip_proto(name: &str) -> Option<u32> {
    // The first line naming it decides, even if its number is malformed.
    find_line(&PROTOCOLS, name, |f| {
        (f.len() >= 2 && (f[0] == name || f[2..].contains(&name))).then(|| f[1].parse().ok())
    })
    .flatten()
}

/// A service's TCP and UDP ports from /etc/services, as two lookups of
/// getservbyname would find them (each the first line naming the service
/// for its protocol with a valid port), in one pass over the file.
fn services(name: &str) -> (Option<u32>, Option<u32>) {
    let (mut tcp, mut udp) = (None, None);
    find_line(&SERVICES, name, |f| {
        let (port, proto) = f.get(1)?.split_once('/')?;
        if f[0] == name || f[2..].contains(&name) {
            let slot = match proto {
                "tcp" => &mut tcp,
                "udp" => &mut udp,
                _ => return None,
            };
            if slot.is_none() {
                *slot = port.parse().ok();
            }
        }
        (tcp.is_some() && udp.is_some()).then_some(())
    });
    (tcp, udp)
}

/// Which transport a named port belongs to, as libpcap's pcap_nametoport
/// decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortProto {
    Any,
    Tcp,
    Udp,
}

pub fn port(name: &str) -> Option<(u32, PortProto)> {
    match services(name) {
        (Some(t), Some(u)) if t == u => Some((t, PortProto::Any)),
        (Some(t), _) => Some((t, PortProto::Tcp)),
        (None, Some(u)) => Some((u, PortProto::Udp)),
        (None, None) => None,
    }
}

/// A port given as a number or a service name (libpcap's stringtoport).
pub fn port_number_or_name(s: &str) -> Option<(u32, PortProto)> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(|p| (p, PortProto::Any));
    }
    port(s)
}

/// A network number from /etc/networks, in host order (getnetbyname).
pub fn network(name: &str) -> Option<u32> {
    find_line(&NETWORKS, name, |f| {
        (f.len() >= 2 && (f[0] == name || f[2..].contains(&name))).then(|| inet_network(f[1]))
    })
    .flatten()
}

/// inet_network(3): up to four dotted parts, the last filling the low bytes.
fn inet_network(s: &str) -> Option<u32> {
    let parts: Vec<u32> = s.split('.').map(|p| p.parse::<u32>().ok().filter(|v| *v <= 255)).collect::<Option<_>>()?;
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    Some(parts.iter().fold(0u32, |acc, p| (acc << 8) | p))
}

/// An Ethernet address from /etc/ethers.
pub fn ether_host(name: &str) -> Option<[u8; 6]> {
    find_line(&ETHERS, name, |f| {
        if *f.get(1)? != name {
            return None;
        }
        let mut mac = [0u8; 6];
        let parts: Vec<&str> = f[0].split(':').collect();
        if parts.len() != 6 {
            return None;
        }
        for (b, p) in mac.iter_mut().zip(parts) {
            *b = u8::from_str_radix(p, 16).ok()?;
        }
        Some(mac)
    })
}

/// All addresses of a host name, in resolver order, without duplicates.
pub fn host_addrs(name: &str) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    if let Ok(addrs) = (name, 0u16).to_socket_addrs() {
        for a in addrs {
            if !out.contains(&a.ip()) {
                out.push(a.ip());
            }
        }
    }
    out
}

/// libpcap's __pcap_atoin: a dotted IPv4 address, possibly short, and the
/// number of bits it gives (8 per part).
pub fn atoin(s: &str) -> Option<(u32, u32)> {
    let mut addr: u32 = 0;
    let mut len = 0;
    for part in s.split('.') {
        let v: u32 = part.parse().ok()?;
        if v > 255 || len >= 32 {
            return None;
        }
        addr = (addr << 8) | v;
        len += 8;
    }
    Some((addr, len))
}

/// libpcap's __pcap_atodn: a DECnet "area.node" address (the first two
/// numbers of a dotted token, as sscanf reads them), area in the top 6
/// bits and node in the low 10; None where libpcap says "malformed".
pub fn atodn(s: &str) -> Option<u32> {
    let mut parts = s.split('.');
    let area: u32 = parts.next()?.parse().ok()?;
    let node_text = parts.next()?;
    let digits = node_text.bytes().take_while(u8::is_ascii_digit).count();
    let node: u32 = node_text[..digits].parse().ok()?;
    Some(((area << 10) & 0xfc00) | (node & 0x3ff))
}
