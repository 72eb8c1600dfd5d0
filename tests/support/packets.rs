//! Packet corpus for the filter tests: frames built from layers, in every
//! link type the compiler supports, plus truncated copies.

#![allow(dead_code)]

/// The OSI primitives: the corpus's CLNP, ES-IS and IS-IS frames satisfy
/// each of them on some link type (and none satisfies all).
pub const OSI_PRIMITIVES: &[&str] = &["iso", "clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp"];

/// 802.11 address filters, each true of some frames of the 802.11 corpus.
pub const WLAN_ADDRESSES: &[&str] = &[
    "wlan addr1 66:77:88:99:aa:bb",
    "wlan addr2 00:11:22:33:44:55",
    "wlan addr3 02:bb:bb:bb:bb:bb",
    "wlan addr4 00:11:22:33:44:55",
    "wlan ra 02:bb:bb:bb:bb:bb",
    "wlan ta 00:11:22:33:44:55",
];

/// PFLOG header fields, each true of some headers of the PFLOG corpus.
pub const PFLOG_FIELDS: &[&str] = &[
    "ifname eth0",
    "on em1",
    "rnr 2",
    "rulenum 1",
    "reason 3",
    "rset pflog0",
    "ruleset eth0",
    "srnr 1",
    "subrulenum 0",
    "action block",
    "action pass",
];

/// SunATM's cell and signalling types.
pub const SUNATM_TYPES: &[&str] =
    &["lane", "oamf4", "oamf4ec", "oamf4sc", "oam", "metac", "bcc", "sc", "ilmic", "connectmsg", "metaconnect"];

pub const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub const MAC_B: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
pub const BCAST: [u8; 6] = [0xff; 6];
pub const MCAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

fn csum_free_ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8], frag: u16, options: usize) -> Vec<u8> {
    let ihl = 5 + options / 4;
    let total = (ihl * 4 + payload.len()) as u16;
    let mut v = vec![0x40 | ihl as u8, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0];
    v[2..4].copy_from_slice(&total.to_be_bytes());
    v[6..8].copy_from_slice(&frag.to_be_bytes());
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend(std::iter::repeat_n(1u8, options));
    v.extend_from_slice(payload);
    v
}

pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    csum_free_ipv4(src, dst, proto, payload, 0, 0)
}

pub fn ipv4_frag(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8], frag: u16) -> Vec<u8> {
    csum_free_ipv4(src, dst, proto, payload, frag, 0)
}

pub fn ipv4_opts(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    csum_free_ipv4(src, dst, proto, payload, 0, 8)
}

pub fn ipv6(src: [u8; 16], dst: [u8; 16], nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[nh, 64]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(payload);
    v
}

/// An IPv6 extension header (8 bytes) in front of `inner`.
pub fn ext6(nh: u8, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![nh, 0, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(inner);
    v
}

pub fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(b"payload!");
    v
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

pub fn sctp(sport: u16, dport: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&[0; 8]);
    v
}

pub fn icmp(t: u8, code: u8) -> Vec<u8> {
    vec![t, code, 0, 0, 0, 1, 0, 1, 9, 9, 9, 9]
}

pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&dst);
    v.extend_from_slice(&src);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// 802.1Q-style tag (tpid, vid) followed by `ethertype`.
pub fn vlan_eth(dst: [u8; 6], src: [u8; 6], tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&dst);
    v.extend_from_slice(&src);
    for (tpid, vid) in tags {
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&vid.to_be_bytes());
    }
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn arp(op: u16, sip: [u8; 4], tip: [u8; 4]) -> Vec<u8> {
    let mut v = vec![0, 1, 8, 0, 6, 4];
    v.extend_from_slice(&op.to_be_bytes());
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&sip);
    v.extend_from_slice(&[0; 6]);
    v.extend_from_slice(&tip);
    v
}

pub fn mpls(labels: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let bos = u32::from(i + 1 == labels.len());
        v.extend_from_slice(&((l << 12) | (bos << 8) | 64).to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

pub fn pppoe_session(session: u16, ppp_proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x11, 0x00];
    v.extend_from_slice(&session.to_be_bytes());
    v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    v.extend_from_slice(&ppp_proto.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn geneve(vni: u32, proto: u16, opt_words: u8, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![opt_words & 0x3f, 0];
    v.extend_from_slice(&proto.to_be_bytes());
    v.extend_from_slice(&(vni << 8).to_be_bytes());
    v.extend(std::iter::repeat_n(0u8, opt_words as usize * 4));
    v.extend_from_slice(inner);
    v
}

pub const IP_A: [u8; 4] = [10, 0, 0, 1];
pub const IP_B: [u8; 4] = [192, 168, 1, 2];
pub const IP_C: [u8; 4] = [10, 1, 2, 3];
pub const IP_BC: [u8; 4] = [10, 0, 0, 255];
pub const IP_MC: [u8; 4] = [224, 0, 0, 5];

pub fn v6(last: u8) -> [u8; 16] {
    let mut a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    a[15] = last;
    a
}

pub fn v6_mc() -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0xff;
    a[1] = 0x02;
    a[15] = 1;
    a
}

/// Network-layer payloads: (ethertype, bytes).
pub fn l3_corpus() -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let v4 = |p| (0x0800u16, p);
    out.push(v4(ipv4(IP_A, IP_B, 6, &tcp(1234, 80, 0x02))));
    out.push(v4(ipv4(IP_B, IP_A, 6, &tcp(80, 1234, 0x12))));
    out.push(v4(ipv4(IP_C, IP_A, 6, &tcp(443, 22, 0x11))));
    out.push(v4(ipv4(IP_A, IP_BC, 17, &udp(5353, 53, b"dnsq"))));
    out.push(v4(ipv4(IP_B, IP_MC, 17, &udp(1000, 2000, b"mcast"))));
    out.push(v4(ipv4(IP_A, IP_B, 1, &icmp(8, 0))));
    out.push(v4(ipv4(IP_B, IP_A, 1, &icmp(0, 0))));
    out.push(v4(ipv4(IP_A, IP_B, 1, &icmp(3, 1))));
    out.push(v4(ipv4(IP_A, IP_B, 132, &sctp(3868, 80))));
    out.push(v4(ipv4(IP_A, IP_MC, 2, &[0x11, 0, 0, 0, 0, 0, 0, 0])));
    out.push(v4(ipv4(IP_A, IP_MC, 103, &[0x20, 0, 0, 0])));
    out.push(v4(ipv4(IP_A, IP_MC, 112, &[0x21, 1, 100, 1, 0, 1, 0, 0])));
    out.push(v4(ipv4(IP_A, IP_B, 51, &[6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])));
    out.push(v4(ipv4(IP_A, IP_B, 50, &[0, 0, 0, 1, 0, 0, 0, 1, 7, 7])));
    out.push(v4(ipv4_frag(IP_A, IP_B, 6, &tcp(1234, 80, 0x10), 0x2000)));
    out.push(v4(ipv4_frag(IP_A, IP_B, 6, &tcp(1234, 80, 0x10), 0x0010)));
    out.push(v4(ipv4_frag(IP_A, IP_B, 17, &udp(9, 6081, b"x"), 0x0004)));
    out.push(v4(ipv4_opts(IP_A, IP_B, 6, &tcp(5000, 8080, 0x18))));
    out.push(v4(ipv4(IP_A, IP_B, 47, &[0, 0, 0x08, 0])));
    let v6p = |p| (0x86ddu16, p);
    out.push(v6p(ipv6(v6(1), v6(2), 6, &tcp(1234, 80, 0x02))));
    out.push(v6p(ipv6(v6(2), v6(1), 6, &tcp(443, 1234, 0x04))));
    out.push(v6p(ipv6(v6(1), v6(2), 17, &udp(53, 5353, b"dnsr"))));
    out.push(v6p(ipv6(v6(1), v6_mc(), 58, &icmp(135, 0))));
    out.push(v6p(ipv6(v6(1), v6(2), 58, &icmp(128, 0))));
    out.push(v6p(ipv6(v6(1), v6(2), 132, &sctp(80, 9999))));
    out.push(v6p(ipv6(v6(1), v6(2), 44, &ext6(6, &tcp(1234, 80, 0x02)))));
    out.push(v6p(ipv6(v6(1), v6(2), 0, &ext6(17, &udp(1, 53, b"hop")))));
    out.push(v6p(ipv6(v6(1), v6(2), 43, &ext6(44, &ext6(6, &tcp(22, 2222, 0x10))))));
    out.push(v6p(ipv6(v6(1), v6(2), 60, &ext6(58, &icmp(129, 0)))));
    out.push(v6p(ipv6(v6(3), v6(2), 103, &[0x20, 0, 0, 0])));
    out.push(v6p(ipv6(v6(1), v6(2), 50, &[0, 0, 0, 1, 0, 0, 0, 1])));
    out.push(v6p(ipv6(v6(1), v6(2), 51, &[6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])));
    out.push(v6p(ipv6(v6(1), v6(2), 17, &udp(1000, 6081, &geneve(7, 0x0800, 0, &ipv4(IP_C, IP_A, 6, &tcp(1, 2, 2)))))));
    out.push((0x0806, arp(1, IP_A, IP_B)));
    out.push((0x0806, arp(2, IP_B, IP_A)));
    out.push((0x8035, arp(3, IP_A, IP_C)));
    out
}

/// Ethernet frames: each L3 payload with several addresses, plus the
/// encapsulations only Ethernet has.
pub fn ethernet_corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, (et, p)) in l3_corpus().into_iter().enumerate() {
        let dst = match i % 4 {
            0 => MAC_B,
            1 => BCAST,
            2 => MCAST,
            _ => MAC_A,
        };
        let src = if i % 2 == 0 { MAC_A } else { MAC_B };
        out.push(eth(dst, src, et, &p));
    }
    let tcp4 = ipv4(IP_A, IP_B, 6, &tcp(1234, 80, 0x02));
    let udp6 = ipv6(v6(1), v6(2), 17, &udp(53, 5353, b"dnsr"));
    out.push(vlan_eth(MAC_B, MAC_A, &[(0x8100, 10)], 0x0800, &tcp4));
    out.push(vlan_eth(MAC_B, MAC_A, &[(0x8100, 20)], 0x86dd, &udp6));
    out.push(vlan_eth(MAC_B, MAC_A, &[(0x88a8, 100), (0x8100, 10)], 0x0800, &tcp4));
    out.push(vlan_eth(MAC_B, MAC_A, &[(0x9100, 5), (0x8100, 20)], 0x86dd, &udp6));
    out.push(vlan_eth(MAC_B, MAC_A, &[(0x8100, 0x2000 | 10)], 0x0806, &arp(1, IP_A, IP_B)));
    out.push(vlan_eth(BCAST, MAC_A, &[(0x8100, 30)], 0x8847, &mpls(&[16], &tcp4)));
    out.push(eth(MAC_B, MAC_A, 0x8847, &mpls(&[16], &tcp4)));
    out.push(eth(MAC_B, MAC_A, 0x8847, &mpls(&[17, 18], &udp6)));
    out.push(eth(MAC_B, MAC_A, 0x8847, &mpls(&[100, 200, 300], &tcp4)));
    out.push(eth(MAC_B, MAC_A, 0x8863, &[0x11, 0x09, 0, 0, 0, 0]));
    out.push(eth(MAC_B, MAC_A, 0x8864, &pppoe_session(5, 0x0021, &tcp4)));
    out.push(eth(MAC_B, MAC_A, 0x8864, &pppoe_session(6, 0x0057, &udp6)));
    out.push(eth(MAC_B, MAC_A, 0x8864, &pppoe_session(5, 0x0281, &mpls(&[16], &tcp4))));
    let inner = eth(MAC_A, MAC_B, 0x0800, &ipv4(IP_C, IP_B, 17, &udp(1, 53, b"in")));
    out.push(eth(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 17, &udp(40000, 6081, &geneve(5, 0x6558, 0, &inner)))));
    out.push(eth(MAC_B, MAC_A, 0x0800, &ipv4(IP_A, IP_B, 17, &udp(40000, 6081, &geneve(9, 0x6558, 2, &inner)))));
    out.push(eth(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(IP_A, IP_B, 17, &udp(40000, 6081, &geneve(5, 0x0800, 0, &ipv4(IP_C, IP_A, 6, &tcp(1, 80, 2))))),
    ));
    out.push(eth(MAC_B, MAC_A, 0x86dd, &ipv6(v6(1), v6(2), 17, &udp(40000, 6081, &geneve(5, 0x6558, 1, &inner)))));
    // 802.3 length field + LLC (STP, ISO, NetBEUI).
    out.push(eth(MCAST, MAC_A, 38, &[0x42, 0x42, 0x03, 0, 0, 0]));
    out.push(eth(MAC_B, MAC_A, 38, &[0xfe, 0xfe, 0x03, 0x81]));
    out.push(eth(MAC_B, MAC_A, 38, &[0xf0, 0xf0, 0x03, 0]));
    out.push(eth(MAC_B, MAC_A, 0x6003, &[1, 2, 3, 4]));
    // LLC control bytes of every format (I, S: RR/RNR/REJ, U: UA … FRMR),
    // IPX (802.2, raw 802.3, SNAP, Ethernet II), AppleTalk and AARP.
    for control in [0x00, 0x02, 0x01, 0x05, 0x09, 0x63, 0x43, 0x0f, 0x6f, 0xe3, 0xaf, 0x87, 0x13] {
        out.push(eth(MAC_B, MAC_A, 40, &[0x06, 0x06, control, 0, 0, 0]));
    }
    out.push(eth(MAC_B, MAC_A, 40, &[0xe0, 0xe0, 0x03, 0xff, 0xff, 0]));
    out.push(eth(MAC_B, MAC_A, 40, &[0xff, 0xff, 0x00, 0x30, 0, 0]));
    out.push(eth(MAC_B, MAC_A, 40, &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x37, 0xff, 0xff]));
    out.push(eth(MAC_B, MAC_A, 0x8137, &[0xff, 0xff, 0, 0x30]));
    out.push(eth(MAC_B, MAC_A, 40, &[0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, 0, 0]));
    out.push(eth(MAC_B, MAC_A, 0x809b, &[0, 0x10, 0, 0]));
    out.push(eth(MAC_B, MAC_A, 40, &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0xf3, 0, 1]));
    out.extend(osi_frames());
    out.extend(decnet_frames());
    out
}

/// DECnet data packets in the four layouts libpcap reads (long and short
/// header, with and without a pad byte), between nodes 1.2 and 2.5, and
/// one control packet.
pub fn decnet_frames() -> Vec<Vec<u8>> {
    let (a, b) = ([0x02u8, 0x04], [0x05u8, 0x08]);
    let long = |dst: [u8; 2], src: [u8; 2]| {
        [&[0x26u8, 0, 0, 0xaa, 0, 4, 0][..], &dst, &[0, 0, 0xaa, 0, 4, 0], &src, &[0, 0, 0]].concat()
    };
    let short = |dst: [u8; 2], src: [u8; 2]| [&[0x02u8][..], &dst, &src, &[0]].concat();
    let mut out = Vec::new();
    for (pad, body) in [(false, long(b, a)), (true, long(a, b)), (false, short(a, b)), (true, short(b, a))] {
        let mut p = vec![body.len() as u8 + u8::from(pad), 0];
        if pad {
            p.push(0x81);
        }
        p.extend_from_slice(&body);
        out.push(eth(MAC_B, MAC_A, 0x6003, &p));
    }
    out.push(eth(MAC_B, MAC_A, 0x6003, &[8, 0, 0x07, 0x02, 0x04, 0x05, 0x08, 0, 0, 0]));
    out
}

/// OSI over 802.3 and 802.2 (SAP 0xfe, UI): CLNP, ES-IS, and IS-IS PDUs
/// of every type libpcap names plus one it does not; one frame with the
/// right NLPID behind the wrong SAPs.
pub fn osi_frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let llc = |nlpid: u8, pdu: u8| {
        let mut v = vec![0xfe, 0xfe, 0x03, nlpid, 27, 1, 0, pdu, 1, 0, 0];
        v.extend_from_slice(&[0x47; 16]);
        v
    };
    for pdu in [15, 16, 17, 18, 20, 24, 25, 26, 27, 19] {
        out.push(eth(MCAST, MAC_A, 27, &llc(0x83, pdu)));
    }
    out.push(eth(MAC_B, MAC_A, 27, &llc(0x81, 0x1c)));
    out.push(eth(MAC_B, MAC_A, 27, &llc(0x82, 0x02)));
    let mut wrong_sap = llc(0x83, 18);
    wrong_sap[1] = 0xfd;
    out.push(eth(MAC_B, MAC_A, 27, &wrong_sap));
    out
}

/// The OSI PDU of an 802.2 frame with SAP 0xfe (NLPID first).
fn osi_pdu(payload: &[u8]) -> Option<&[u8]> {
    (payload.len() > 3 && payload[0] == 0xfe && payload[1] == 0xfe).then(|| &payload[3..])
}

/// Truncated copies of some packets (wire length stays the original).
pub fn truncations(pkts: &[Vec<u8>]) -> Vec<(Vec<u8>, u32)> {
    let mut out: Vec<(Vec<u8>, u32)> = pkts.iter().map(|p| (p.clone(), p.len() as u32)).collect();
    for (i, p) in pkts.iter().enumerate().step_by(3) {
        for cut in [1usize, 13, 20, 30, 37, 55] {
            if cut + i % 5 < p.len() {
                out.push((p[..cut + i % 5].to_vec(), p.len() as u32));
            }
        }
    }
    out
}

/// Re-frames Ethernet frames for `dlt`; frames the link type cannot carry
/// are dropped.
pub fn for_linktype(dlt: i32, frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in frames {
        if f.len() < 14 {
            continue;
        }
        let et = u16::from_be_bytes([f[12], f[13]]);
        let payload = &f[14..];
        match dlt {
            1 => out.push(f.clone()),
            113 => {
                let mut v = vec![0, if f[0] == 0xff { 1 } else { 0 }, 0, 1, 0, 6];
                v.extend_from_slice(&f[6..12]);
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(&(if et <= 1500 { 4 } else { et }).to_be_bytes());
                v.extend_from_slice(payload);
                out.push(v.clone());
                // The same packet sent by this host.
                v[1] = 4;
                out.push(v);
            }
            276 => {
                let mut v = Vec::new();
                v.extend_from_slice(&(if et <= 1500 { 4 } else { et }).to_be_bytes());
                v.extend_from_slice(&[0, 0, 0, 0, 0, 3, 0, 1, 0, 6]);
                v.extend_from_slice(&f[6..12]);
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(payload);
                out.push(v.clone());
                v[10] = 4;
                v[7] = 7;
                out.push(v);
            }
            12 | 228 | 229 => {
                let wanted = match dlt {
                    12 => et == 0x0800 || et == 0x86dd,
                    228 => et == 0x0800,
                    _ => et == 0x86dd,
                };
                if wanted {
                    out.push(payload.to_vec());
                }
            }
            0 | 108 => {
                let af: u32 = match et {
                    0x0800 => 2,
                    0x86dd => 10,
                    _ => 99,
                };
                let mut v = if dlt == 0 { af.to_le_bytes().to_vec() } else { af.to_be_bytes().to_vec() };
                v.extend_from_slice(payload);
                out.push(v);
            }
            _ => {}
        }
    }
    out
}

/// Deterministic pseudo-random bytes.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect()
}

/// The LLC part of an Ethernet frame: SNAP with OUI 0 for Ethernet II,
/// the frame's own 802.2 header for 802.3.
fn llc_of(et: u16, payload: &[u8]) -> Vec<u8> {
    if et <= 1500 {
        return payload.to_vec();
    }
    let mut v = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
    v.extend_from_slice(&et.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn ppp_proto(et: u16) -> u16 {
    match et {
        0x0800 => 0x21,
        0x86dd => 0x57,
        0x8847 => 0x0281,
        0x6003 => 0x27,
        other => other,
    }
}

/// 802.11 frames carrying an Ethernet frame's payload: plain data, to and
/// from the distribution system, 4-address, QoS; plus management and
/// control frames with the same addresses.
fn wlan_frames(f: &[u8]) -> Vec<Vec<u8>> {
    let (dst, src) = (&f[0..6], &f[6..12]);
    let et = u16::from_be_bytes([f[12], f[13]]);
    let body = llc_of(et, &f[14..]);
    let bssid = [0x02, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb];
    let mut out = Vec::new();
    // (fc0, fc1, addresses in order, qos)
    let shapes: [(u8, u8, [&[u8]; 4], bool); 6] = [
        (0x08, 0x00, [dst, src, &bssid, &[]], false),
        (0x08, 0x01, [&bssid, src, dst, &[]], false),
        (0x08, 0x02, [dst, &bssid, src, &[]], false),
        (0x08, 0x03, [&bssid, &bssid, dst, src], false),
        (0x88, 0x00, [dst, src, &bssid, &[]], true),
        (0x88, 0x02, [dst, &bssid, src, &[]], true),
    ];
    for (fc0, fc1, addrs, qos) in shapes {
        let mut v = vec![fc0, fc1, 0, 0];
        v.extend_from_slice(addrs[0]);
        v.extend_from_slice(addrs[1]);
        v.extend_from_slice(addrs[2]);
        v.extend_from_slice(&[0x10, 0]);
        v.extend_from_slice(addrs[3]);
        if qos {
            v.extend_from_slice(&[0, 0]);
        }
        v.extend_from_slice(&body);
        out.push(v);
    }
    // Beacon (management) and RTS (control).
    let mut m = vec![0x80, 0, 0, 0];
    m.extend_from_slice(dst);
    m.extend_from_slice(src);
    m.extend_from_slice(&bssid);
    m.extend_from_slice(&[0x20, 0]);
    m.extend_from_slice(&body);
    out.push(m);
    let mut c = vec![0xb4, 0, 0, 0];
    c.extend_from_slice(dst);
    c.extend_from_slice(src);
    c.extend_from_slice(&body);
    out.push(c);
    // Probe request and authentication (management); CTS and ACK (one
    // address), PS-Poll; null data and QoS null to the DS (no body).
    for fc0 in [0x40, 0xb0] {
        out.push([&[fc0, 0, 0, 0][..], dst, src, &bssid, &[0x30, 0], &body].concat());
    }
    out.push([&[0xc4, 0, 0, 0][..], dst].concat());
    out.push([&[0xd4, 0, 0, 0][..], src].concat());
    out.push([&[0xa4, 0, 1, 0xc0][..], &bssid, src].concat());
    out.push([&[0x48, 0x01, 0, 0][..], &bssid, src, dst, &[0x40, 0]].concat());
    out.push([&[0xc8, 0x01, 0, 0][..], &bssid, src, dst, &[0x50, 0, 0, 0]].concat());
    out
}

fn radiotap(present: u32, fields: &[u8]) -> Vec<u8> {
    let len = 8 + fields.len() as u16;
    let mut v = vec![0, 0];
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&present.to_le_bytes());
    v.extend_from_slice(fields);
    v
}

/// Packets of link type `dlt` built from Ethernet frames, from the link
/// layer up, in each header variant libpcap distinguishes, plus noise.
pub fn link_corpus(dlt: i32, frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = for_linktype(dlt, frames);
    for (i, f) in frames.iter().enumerate() {
        if f.len() < 14 {
            continue;
        }
        let (dst, src) = (&f[0..6], &f[6..12]);
        let et = u16::from_be_bytes([f[12], f[13]]);
        let payload = &f[14..];
        let cat = |parts: &[&[u8]]| parts.concat();
        match dlt {
            6 => out.push(cat(&[&[0x10, 0x40], dst, src, &llc_of(et, payload)])),
            10 => out.push(cat(&[&[0x50], dst, src, &llc_of(et, payload)])),
            11 | 19 => out.push(llc_of(et, payload)),
            122 => out.push(cat(&[&[0x10, 0], dst, &[0x10, 0], src, &llc_of(et, payload)])),
            123 => {
                out.push(cat(&[&[0x82, 0, 0, 42], &llc_of(et, payload)]));
                // LANE (protocol 1) and unknown (0) cells.
                out.push(cat(&[&[0x01, 0, 0, 43], &[0, 0], f]));
                out.push(cat(&[&[0x00, 1, 0, 5], &llc_of(et, payload)]));
                // LE control frame; the well-known circuits (VPI 0) with
                // a Q.2931 message type at payload byte 5.
                out.push(cat(&[&[0x01, 0, 0, 44], &[0xff, 0x00], f]));
                let vci = [1u8, 2, 3, 4, 5, 16, 42][i % 7];
                let msg = [0x05u8, 0x02, 0x07, 0x0f, 0x4d, 0x5a, 0x33][(i / 7) % 7];
                out.push(cat(&[&[0x00, (i % 2) as u8, 0, vci], &[0x09, 0x03, 0, 0, 0, msg, 0x80, 0, 0]]));
            }
            105 => out.extend(wlan_frames(f)),
            127 => {
                for (j, w) in wlan_frames(f).into_iter().enumerate() {
                    out.push(cat(&[&radiotap(0, &[]), &w]));
                    if j % 2 == 0 {
                        // Flags without padding, TSFT + flags with padding.
                        out.push(cat(&[&radiotap(0x2, &[0x10, 0, 0, 0]), &w]));
                        let hdr = (if w[0] == 0x88 { 26 } else { 24 }).min(w.len());
                        let mut padded = w.clone();
                        padded.splice(hdr..hdr, std::iter::repeat_n(0u8, (4 - hdr % 4) % 4));
                        out.push(cat(&[&radiotap(0x3, &[1, 2, 3, 4, 5, 6, 7, 8, 0x20, 0, 0, 0]), &padded]));
                        out.push(cat(&[&radiotap(0x2, &[0x20, 0, 0, 0]), &padded]));
                    } else {
                        // Extension bit set: padding not looked at.
                        out.push(cat(&[&radiotap(0x8000_0002, &[0, 0, 0, 0, 0x20, 0, 0, 0]), &w]));
                    }
                }
            }
            192 => {
                for w in wlan_frames(f) {
                    out.push(cat(&[&[0, 0, 8, 0, 105, 0, 0, 0], &w]));
                    if i % 3 == 0 {
                        out.push(cat(&[&[0, 0, 8, 0, 1, 0, 0, 0], &w]));
                    }
                }
            }
            119 => {
                for w in wlan_frames(f) {
                    let mut prism = vec![0, 0, 0, 0x44, 0, 0, 0, 144];
                    prism.resize(144, 7);
                    out.push(cat(&[&prism, &w]));
                }
                let mut avs = vec![0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64];
                avs.resize(64, 3);
                out.push(cat(&[&avs, &wlan_frames(f)[0]]));
            }
            163 => {
                for w in wlan_frames(f) {
                    let mut avs = vec![0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64];
                    avs.resize(64, 3);
                    out.push(cat(&[&avs, &w]));
                }
            }
            9 | 50 if et <= 1500 && osi_pdu(payload).is_some() => {
                let pdu = osi_pdu(payload).unwrap_or_default();
                out.push(cat(&[&[0xff, 0x03, 0x00, 0x23], pdu]));
                out.push(cat(&[&[0x00, 0x23], pdu]));
            }
            9 | 50 => {
                out.push(cat(&[&[0xff, 0x03], &ppp_proto(et).to_be_bytes(), payload]));
                // Without address and control bytes.
                out.push(cat(&[&ppp_proto(et).to_be_bytes(), payload]));
            }
            166 => out.push(cat(&[&[(i % 2) as u8, 0x03], &ppp_proto(et).to_be_bytes(), payload])),
            51 => out.push(cat(&[&[0x11, 0, 0, 5, 0, 0], &ppp_proto(et).to_be_bytes(), payload])),
            16 => {
                let mut h = vec![(i % 2) as u8, 0, 0, 0, 0];
                h.extend_from_slice(&ppp_proto(et).to_be_bytes());
                h.resize(24, 0);
                out.push(cat(&[&h, payload]));
            }
            // Cisco's OSI: type 0xfefe, a fudge byte, then the NLPID.
            104 | 112 if et <= 1500 && osi_pdu(payload).is_some() => {
                out.push(cat(&[&[0x0f, 0, 0xfe, 0xfe], &payload[2..]]))
            }
            104 | 112 => out.push(cat(&[&[0x0f, 0], &et.to_be_bytes(), payload])),
            8 | 15 => {
                let n = if dlt == 8 { 16 } else { 24 };
                let mut h = vec![(i % 2) as u8; n];
                h[0] = payload.first().copied().unwrap_or(0);
                out.push(cat(&[&h, payload]));
                out.push(cat(&[&vec![0u8; n], payload]));
            }
            // Frame Relay's OSI: UI control, then the NLPID.
            107 if et <= 1500 && osi_pdu(payload).is_some() => out.push(cat(&[&[0x04, 0x01], &payload[2..]])),
            107 => {
                let nlpid = if et == 0x86dd {
                    0x8e
                } else if et == 0x0800 {
                    0xcc
                } else {
                    0x81
                };
                out.push(cat(&[&[0x04, 0x01, 0x03, nlpid], payload]));
            }
            7 | 129 => {
                let t = match et {
                    0x0800 => [0xd4, 0xf0][i % 2],
                    0x86dd => 0xc4,
                    0x0806 => [0xd5, 0xf1][i % 2],
                    _ => 0xd6,
                };
                let h: Vec<u8> =
                    if dlt == 7 { vec![src[5], dst[5], t, 0, 0, 0] } else { vec![src[5], dst[5], 0, 0, t, 0, 0, 0] };
                out.push(cat(&[&h, payload]));
            }
            117 => {
                let mut h = vec![
                    45,
                    if et == 0x86dd {
                        10
                    } else if et == 0x0800 {
                        2
                    } else {
                        7
                    },
                ];
                h.resize(48, (i % 3) as u8);
                out.push(cat(&[&h, payload]));
                // A full pfloghdr: action, reason, interface and ruleset
                // names, rule numbers, direction.
                h.resize(64, 0);
                h[0] = 61;
                h[2] = (i % 4) as u8;
                h[3] = (i % 5) as u8;
                let names = [&b"eth0"[..], b"em1", b"pflog0"];
                h[4..20].fill(0);
                h[4..4 + names[i % 3].len()].copy_from_slice(names[i % 3]);
                h[20..36].fill(0);
                h[20..20 + names[(i + 1) % 3].len()].copy_from_slice(names[(i + 1) % 3]);
                h[36..40].copy_from_slice(&((i % 4) as u32).to_be_bytes());
                h[40..44].copy_from_slice(&((i % 2) as u32).to_be_bytes());
                h[60] = 1 + (i % 2) as u8;
                out.push(cat(&[&h, payload]));
            }
            // MTP2 signal units (the length indicator says FISU, LSSU or
            // MSU; an MSU carries SIO and routing label), as on a plain
            // and on a high-speed link, behind each link's pseudo-header.
            139 | 140 | 197 => {
                let pre = match dlt {
                    140 => 0,
                    139 => 4,
                    _ => 20,
                };
                let li = [0u8, 1, 2, 3, 20][i % 5];
                let (dpc, opc, sls) = ([1234u32, 77][i % 2], [5678u32, 16383][(i / 2) % 2], (i % 16) as u32);
                let label = (dpc | (opc << 14) | (sls << 28)).to_le_bytes();
                let sio = [0x03u8, 0x83, 0x05][i % 3];
                let mut su = vec![0x80, 0x81, li];
                su.extend_from_slice(&[sio]);
                su.extend_from_slice(&label);
                su.extend_from_slice(&[0x11; 4]);
                let mut hsl = vec![0x80, 0x00, 0x81, 0x00, li >> 1, (li & 1) << 7];
                hsl.push(sio);
                hsl.extend_from_slice(&label);
                for unit in [su, hsl] {
                    out.push(cat(&[&vec![0u8; pre], &unit]));
                }
            }
            226 => {
                let mut h = vec![
                    1,
                    if et == 0x86dd {
                        26
                    } else if et == 0x0800 {
                        2
                    } else {
                        9
                    },
                ];
                h.resize(24, 0);
                out.push(cat(&[&h, payload]));
            }
            138 => out.push(cat(&[dst, &[0, 0], src, &[0, 0], &et.to_be_bytes(), payload])),
            99 => {
                let mut h = vec![0u8; 44];
                h[6..8].copy_from_slice(&et.to_be_bytes());
                out.push(cat(&[&h, payload]));
            }
            240 => out.push(cat(&[&[1, 2, 3, 4], f])),
            241 => out.push(cat(&[&[1, 2, 3, 4, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xd5], f])),
            109 => {
                let af: u32 = if et == 0x86dd {
                    10
                } else if et == 0x0800 {
                    2
                } else {
                    5
                };
                out.push(cat(&[&af.to_le_bytes(), &[0; 8], payload]));
            }
            _ => {
                // Juniper's cookie, BACnet's preamble, and whatever else.
                out.push(cat(&[b"MGC\x01", &noise(i as u64, 14), f]));
                out.push(cat(&[&[0x55, 0xff, 0, 0], f]));
                out.push(cat(&[&noise(i as u64 + 7, 16), payload]));
            }
        }
    }
    for n in 0..12u64 {
        out.push(noise(n + dlt as u64 * 131, [0, 1, 3, 8, 20, 40, 60, 90, 130, 200, 300, 64][n as usize]));
    }
    out
}
