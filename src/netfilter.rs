//! Capture from netfilter's log and queue: the packets an NFLOG or NFQUEUE
//! rule (iptables or nftables) hands to user space over NETLINK_NETFILTER,
//! which libpcap offers as the "nflog[:GROUPS]" and "nfqueue[:GROUPS]"
//! pseudo-devices.
//!
//! The socket is configured as libpcap's pcap-netfilter-linux.c does: the
//! AF_INET log or queue handler is unbound and rebound, each group is bound
//! and asked to copy packets up to the snapshot length. Every queued packet
//! gets an NF_ACCEPT verdict as soon as it is read, so a capture never holds
//! up the traffic it observes (the kernel waits for a verdict).
//!
//! A packet is handed over in the two layouts libpcap offers: the netlink
//! message after its header (nfgenmsg and the TLVs, DLT_NFLOG) and the
//! payload attribute alone (the IP packet, DLT_IPV4).

use std::io;

use crate::error::{Error, ErrorCode, Result};
use crate::sys;
use crate::sys::netlink::NetlinkSocket;
use crate::wait::{wait, Breaker, Wake};

/// Which netfilter facility a pseudo-device reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetfilterKind {
    /// NFLOG: copies of logged packets.
    Log,
    /// NFQUEUE: packets queued for a verdict.
    Queue,
}

/// A parsed "nflog:5,7" / "nfqueue:1" device name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetfilterDevice {
    pub kind: NetfilterKind,
    /// Groups (queues) to bind; group 0 when the name gives none.
    pub groups: Vec<u16>,
}

const NFLOG: &str = "nflog";
const NFQUEUE: &str = "nfqueue";
/// libpcap's limit on groups per handle.
const MAX_GROUPS: usize = 32;

impl NetfilterDevice {
    /// Whether `device` names a netfilter pseudo-device, by libpcap's test:
    /// after the last '/', "nflog" or "nfqueue" alone or followed by ':'.
    pub fn recognise(device: &str) -> Option<NetfilterKind> {
        let base = device.rsplit('/').next().unwrap_or(device);
        for (prefix, kind) in [(NFLOG, NetfilterKind::Log), (NFQUEUE, NetfilterKind::Queue)] {
            if let Some(rest) = base.strip_prefix(prefix) {
                if rest.is_empty() || rest.starts_with(':') {
                    return Some(kind);
                }
            }
        }
        None
    }

    /// Parses the group list as libpcap's netfilter_activate does (numbers
    /// in C's strtol notation, comma-separated), with its messages.
    pub fn parse(device: &str) -> Result<NetfilterDevice> {
        let bad = || Error::invalid(format!("Can't get netfilter group(s) index from {device}"));
        let (kind, mut rest) = if let Some(r) = device.strip_prefix(NFLOG) {
            (NetfilterKind::Log, r)
        } else if let Some(r) = device.strip_prefix(NFQUEUE) {
            (NetfilterKind::Queue, r)
        } else {
            return Err(bad());
        };
        let mut groups = Vec::new();
        if let Some(list) = rest.strip_prefix(':') {
            rest = list;
            while !rest.is_empty() {
                if groups.len() == MAX_GROUPS {
                    return Err(Error::invalid(format!("Maximum 32 netfilter groups! dev: {device}")));
                }
                if let Some((value, after)) = strtol(rest) {
                    if !(0..=65535).contains(&value) {
                        return Err(Error::invalid(format!("Netfilter group range from 0 to 65535 (got {value})")));
                    }
                    groups.push(value as u16);
                    rest = after;
                }
                match rest.strip_prefix(',') {
                    Some(after) => rest = after,
                    None => break,
                }
            }
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        if groups.is_empty() {
            groups.push(0);
        }
        Ok(NetfilterDevice { kind, groups })
    }
}

/// C's strtol(s, &end, 0): optional blanks and sign, then decimal, 0x hex
/// or 0 octal. None when no digits were read (end == s in C).
fn strtol(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].chars().next().is_some_and(|c| c.is_ascii_hexdigit())
    {
        (16, &t[2..])
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
    if len == 0 {
        return None;
    }
    // Saturates like strtol's LONG_MAX; any such value is out of range anyway.
    let value = i64::from_str_radix(&digits[..len], radix).unwrap_or(i64::MAX);
    Some((if neg { -value } else { value }, &digits[len..]))
}

/// The live counters of a netfilter handle, shared so that statistics
/// can be read while another thread (or a signal handler) reads packets.
#[derive(Debug, Default)]
pub struct NetfilterCounters {
    delivered: std::sync::atomic::AtomicU64,
    dropped: std::sync::atomic::AtomicU64,
}

impl NetfilterCounters {
    pub fn snapshot(&self) -> NetfilterStats {
        use std::sync::atomic::Ordering::Relaxed;
        NetfilterStats { delivered: self.delivered.load(Relaxed), dropped: self.dropped.load(Relaxed) }
    }
}

/// Counters libpcap keeps for a netfilter handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetfilterStats {
    /// Packets delivered (after the caller's filter).
    pub delivered: u64,
    /// Times the socket reported ENOBUFS: the kernel dropped messages.
    pub dropped: u64,
}

/// One packet as read from the socket.
pub struct NetfilterPacket<'a> {
    /// The message after its netlink header: nfgenmsg and the TLVs (DLT_NFLOG).
    pub message: &'a [u8],
    /// The payload attribute: the packet from its network header on (DLT_IPV4).
    pub payload: Option<&'a [u8]>,
    /// When it was read (CLOCK_REALTIME), as libpcap stamps these packets.
    pub ts_sec: i64,
    pub ts_nsec: u32,
}

/// An open netfilter log or queue socket.
pub struct NetfilterCapture {
    fd: NetlinkSocket,
    kind: NetfilterKind,
    buf: Vec<u8>,
    /// The unread part of `buf`: messages of one datagram not yet delivered.
    start: usize,
    end: usize,
    seq: u32,
    timeout_ms: i32,
    nonblocking: bool,
    stats: std::sync::Arc<NetfilterCounters>,
}

const NLMSG_HDRLEN: usize = std::mem::size_of::<sys::nlmsghdr>();
const NFGENMSG_LEN: usize = std::mem::size_of::<sys::nfgenmsg>();
const NLA_HDRLEN: usize = std::mem::size_of::<sys::nlattr>();
/// The type bits of nla_type (nested and byte-order flags masked off).
const NLA_TYPE_MASK: u16 = !(sys::NLA_F_NESTED as u16 | 0x4000);

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The netlink message type of a netfilter subsystem's message.
const fn nf_type(subsys: u32, msg: u32) -> u16 {
    ((subsys << 8) | msg) as u16
}

const ULOG_PACKET: u16 = nf_type(sys::NFNL_SUBSYS_ULOG, sys::nfulnl_msg_types_NFULNL_MSG_PACKET);
const ULOG_CONFIG: u16 = nf_type(sys::NFNL_SUBSYS_ULOG, sys::nfulnl_msg_types_NFULNL_MSG_CONFIG);
const QUEUE_PACKET: u16 = nf_type(sys::NFNL_SUBSYS_QUEUE, sys::nfqnl_msg_types_NFQNL_MSG_PACKET);
const QUEUE_CONFIG: u16 = nf_type(sys::NFNL_SUBSYS_QUEUE, sys::nfqnl_msg_types_NFQNL_MSG_CONFIG);
const QUEUE_VERDICT: u16 = nf_type(sys::NFNL_SUBSYS_QUEUE, sys::nfqnl_msg_types_NFQNL_MSG_VERDICT);

/// How a facility is configured: libpcap's steps (unbind and rebind the
/// AF_INET handler, bind each group, ask for whole packets), the encoding
/// of each message, and the name libpcap gives each failure.
struct Setup {
    config: u16,
    cmd_attr: u16,
    mode_attr: u16,
    /// nfgenmsg family of the PF_[UN]BIND messages.
    pf_family: u8,
    /// PF_UNBIND, PF_BIND and BIND, with libpcap's names for the first two.
    commands: [(u32, &'static str); 3],
    mode_name: &'static str,
    /// A command attribute (command, protocol family for PF_[UN]BIND).
    command: fn(u32, u16) -> Vec<u8>,
    /// The copy-mode attribute for a snapshot length.
    mode: fn(u32) -> Vec<u8>,
}

impl Setup {
    fn of(kind: NetfilterKind) -> Setup {
        match kind {
            NetfilterKind::Log => Setup {
                config: ULOG_CONFIG,
                cmd_attr: sys::nfulnl_attr_config_NFULA_CFG_CMD as u16,
                mode_attr: sys::nfulnl_attr_config_NFULA_CFG_MODE as u16,
                pf_family: libc::AF_INET as u8,
                commands: [
                    (sys::nfulnl_msg_config_cmds_NFULNL_CFG_CMD_PF_UNBIND, "NFULNL_CFG_CMD_PF_UNBIND"),
                    (sys::nfulnl_msg_config_cmds_NFULNL_CFG_CMD_PF_BIND, "NFULNL_CFG_CMD_PF_BIND"),
                    (sys::nfulnl_msg_config_cmds_NFULNL_CFG_CMD_BIND, ""),
                ],
                mode_name: "NFULNL_COPY_PACKET",
                // nfulnl_msg_config_cmd: the command alone (the family is in nfgenmsg).
                command: |c, _| vec![c as u8],
                // nfulnl_msg_config_mode: copy_range (big-endian), copy_mode, pad.
                mode: |snaplen| copy_mode::<sys::nfulnl_msg_config_mode>(snaplen, sys::NFULNL_COPY_PACKET),
            },
            NetfilterKind::Queue => Setup {
                config: QUEUE_CONFIG,
                cmd_attr: sys::nfqnl_attr_config_NFQA_CFG_CMD as u16,
                mode_attr: sys::nfqnl_attr_config_NFQA_CFG_PARAMS as u16,
                pf_family: 0,
                commands: [
                    (sys::nfqnl_msg_config_cmds_NFQNL_CFG_CMD_PF_UNBIND, "NFQNL_CFG_CMD_PF_UNBIND"),
                    (sys::nfqnl_msg_config_cmds_NFQNL_CFG_CMD_PF_BIND, "NFQNL_CFG_CMD_PF_BIND"),
                    (sys::nfqnl_msg_config_cmds_NFQNL_CFG_CMD_BIND, ""),
                ],
                mode_name: "NFQNL_COPY_PACKET",
                // nfqnl_msg_config_cmd: command, pad, pf (big-endian).
                command: |c, pf| {
                    let pf = pf.to_be_bytes();
                    vec![c as u8, 0, pf[0], pf[1]]
                },
                // nfqnl_msg_config_params: copy_range (big-endian), copy_mode.
                mode: |snaplen| {
                    copy_mode::<sys::nfqnl_msg_config_params>(snaplen, sys::nfqnl_config_mode_NFQNL_COPY_PACKET)
                },
            },
        }
    }
}

/// A copy-mode attribute of type T: copy_range (big-endian), then the mode
/// byte, then any padding T has.
fn copy_mode<T>(snaplen: u32, mode: u32) -> Vec<u8> {
    let mut v = vec![0u8; std::mem::size_of::<T>()];
    v[..4].copy_from_slice(&snaplen.to_be_bytes());
    v[4] = mode as u8;
    v
}

impl NetfilterCapture {
    /// Opens and configures the socket for `device`, copying packets up to
    /// `snaplen` bytes; `rcvbuf` sets SO_RCVBUF (pcap_set_buffer_size).
    /// `timeout_ms` bounds each wait (-1: forever).
    pub fn open(device: &NetfilterDevice, snaplen: u32, rcvbuf: Option<usize>, timeout_ms: i32) -> Result<Self> {
        let fd = NetlinkSocket::open(sys::NETLINK_NETFILTER)
            .map_err(|e| failed(&format!("Can't create raw socket {}", e.raw_os_error().unwrap_or(0)), e))?;
        let mut cap = NetfilterCapture {
            fd,
            kind: device.kind,
            // libpcap's buffer: one packet of snaplen bytes plus its headers.
            buf: vec![0; 128 + snaplen as usize],
            start: 0,
            end: 0,
            seq: 0,
            timeout_ms,
            nonblocking: false,
            stats: std::sync::Arc::default(),
        };
        let steps = Setup::of(device.kind);
        let inet = libc::AF_INET as u16;
        let [(pf_unbind, unbind_name), (pf_bind, bind_name), (bind, _)] = steps.commands;
        for (cmd, name) in [(pf_unbind, unbind_name), (pf_bind, bind_name)] {
            cap.config(steps.config, steps.pf_family, 0, steps.cmd_attr, &(steps.command)(cmd, inet))
                .map_err(|e| failed(name, e))?;
        }
        for &g in &device.groups {
            cap.config(steps.config, 0, g, steps.cmd_attr, &(steps.command)(bind, 0))
                .map_err(|e| failed("Can't listen on group group index", e))?;
            cap.config(steps.config, 0, g, steps.mode_attr, &(steps.mode)(snaplen))
                .map_err(|e| failed(steps.mode_name, e))?;
        }
        if let Some(bytes) = rcvbuf {
            cap.fd.set_receive_buffer(bytes).map_err(|e| failed("SO_RCVBUF", e))?;
        }
        Ok(cap)
    }

    pub fn kind(&self) -> NetfilterKind {
        self.kind
    }

    pub fn fd(&self) -> i32 {
        self.fd.fd()
    }

    pub fn stats(&self) -> NetfilterStats {
        self.stats.snapshot()
    }

    /// The counters, for readers that do not hold the capture.
    pub fn counters(&self) -> std::sync::Arc<NetfilterCounters> {
        self.stats.clone()
    }

    pub fn set_nonblocking(&mut self, on: bool) {
        self.nonblocking = on;
    }

    pub fn nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// One netfilter message: nlmsghdr, nfgenmsg, one attribute.
    fn message(&mut self, msg_type: u16, flags: u16, family: u8, res_id: u16, attr: u16, value: &[u8]) -> Vec<u8> {
        self.seq = self.seq.wrapping_add(1);
        let attr_len = NLA_HDRLEN + value.len();
        let total = align4(NLMSG_HDRLEN + NFGENMSG_LEN) + align4(attr_len);
        let mut m = Vec::with_capacity(total);
        m.extend_from_slice(&(total as u32).to_ne_bytes());
        m.extend_from_slice(&msg_type.to_ne_bytes());
        m.extend_from_slice(&(sys::NLM_F_REQUEST as u16 | flags).to_ne_bytes());
        m.extend_from_slice(&self.seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid: to the kernel
        m.extend_from_slice(&[family, sys::NFNETLINK_V0 as u8]);
        m.extend_from_slice(&res_id.to_be_bytes());
        m.extend_from_slice(&(attr_len as u16).to_ne_bytes());
        m.extend_from_slice(&attr.to_ne_bytes());
        m.extend_from_slice(value);
        m.resize(total, 0);
        m
    }

    /// Sends a configuration message and waits for the kernel's
    /// acknowledgement; a negative ack is the error.
    fn config(&mut self, msg_type: u16, family: u8, res_id: u16, attr: u16, value: &[u8]) -> io::Result<()> {
        let m = self.message(msg_type, sys::NLM_F_ACK as u16, family, res_id, attr, value);
        self.fd.send_to_kernel(&m)?;
        let mut buf = [0u8; 1024];
        loop {
            let n = match self.fd.recv(&mut buf, false) {
                Ok(n) => n,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return Err(e),
            };
            let mut at = 0;
            while at + NLMSG_HDRLEN <= n {
                let len = u32_at(&buf, at) as usize;
                let ty = u16_at(&buf, at + 4);
                let seq = u32_at(&buf, at + 8);
                if len < NLMSG_HDRLEN || at + len > n {
                    break;
                }
                if seq == self.seq && ty == sys::NLMSG_ERROR as u16 && len >= NLMSG_HDRLEN + 4 {
                    let errno = -(u32_at(&buf, at + NLMSG_HDRLEN) as i32);
                    return if errno == 0 { Ok(()) } else { Err(io::Error::from_raw_os_error(errno)) };
                }
                at += align4(len);
            }
        }
    }

    /// Delivers up to `budget` packets (usize::MAX: all in the datagram
    /// read), waiting for the first up to the timeout. `deliver` returns
    /// whether it kept the packet (after the caller's filter), which is what
    /// the count and the statistics count. Queued packets are accepted.
    pub fn dispatch(
        &mut self,
        budget: usize,
        breaker: &Breaker,
        deliver: &mut dyn FnMut(&NetfilterPacket<'_>) -> bool,
    ) -> Result<usize> {
        if breaker.is_requested() {
            breaker.clear();
            return Err(Error::new(ErrorCode::Break, "loop ended by breakloop"));
        }
        if self.start >= self.end && !self.fill(breaker)? {
            return Ok(0);
        }
        let mut count = 0;
        while self.start + NLMSG_HDRLEN <= self.end && count < budget {
            let at = self.start;
            let len = u32_at(&self.buf, at) as usize;
            if len < NLMSG_HDRLEN || at + len > self.end {
                let got = self.end - at;
                self.start = self.end;
                return Err(Error::new(ErrorCode::Io, format!("Message truncated: (got: {got}) (nlmsg_len: {len})")));
            }
            self.start = (at + align4(len)).min(self.end);
            let ty = u16_at(&self.buf, at + 4);
            let packet_type = match self.kind {
                NetfilterKind::Log => ULOG_PACKET,
                NetfilterKind::Queue => QUEUE_PACKET,
            };
            if ty != packet_type || len < NLMSG_HDRLEN + NFGENMSG_LEN {
                continue;
            }
            let (sec, nsec) = sys::realtime_now();
            let message = &self.buf[at + NLMSG_HDRLEN..at + len];
            let res_id = u16::from_be_bytes([message[2], message[3]]);
            let (payload, packet_id) = attributes(self.kind, message);
            let packet = NetfilterPacket { message, payload, ts_sec: sec, ts_nsec: nsec };
            if deliver(&packet) {
                count += 1;
                self.stats.delivered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if self.kind == NetfilterKind::Queue {
                self.accept(res_id, packet_id.unwrap_or(0))?;
            }
        }
        Ok(count)
    }

    /// NF_ACCEPT for one queued packet (no acknowledgement, as libpcap).
    fn accept(&mut self, queue: u16, packet_id: u32) -> Result<()> {
        // nfqnl_msg_verdict_hdr: verdict, id, both big-endian.
        let mut v = [0u8; std::mem::size_of::<sys::nfqnl_msg_verdict_hdr>()];
        v[..4].copy_from_slice(&sys::NF_ACCEPT.to_be_bytes());
        v[4..].copy_from_slice(&packet_id.to_be_bytes());
        let m = self.message(QUEUE_VERDICT, 0, 0, queue, sys::nfqnl_attr_type_NFQA_VERDICT_HDR as u16, &v);
        self.fd.send_to_kernel(&m).map_err(|e| failed("NF_ACCEPT verdict", e))
    }

    /// Reads one datagram into the buffer. false: nothing to read (timeout
    /// or nonblocking).
    fn fill(&mut self, breaker: &Breaker) -> Result<bool> {
        loop {
            if !self.nonblocking {
                match wait(self.fd.fd(), breaker, self.timeout_ms)? {
                    Wake::Break => {
                        breaker.clear();
                        return Err(Error::new(ErrorCode::Break, "loop ended by breakloop"));
                    }
                    Wake::Timeout => return Ok(false),
                    Wake::Ready | Wake::SocketError => {}
                }
            }
            let e = match self.fd.recv(&mut self.buf, true) {
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) => e,
            };
            match e.raw_os_error() {
                // The kernel dropped messages for want of buffer space: count, read on.
                Some(libc::ENOBUFS) => {
                    self.stats.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Some(libc::EINTR) => {}
                Some(libc::EAGAIN) => {
                    if self.nonblocking {
                        return Ok(false);
                    }
                }
                _ => {
                    let code = e.raw_os_error().unwrap_or(0);
                    return Err(failed(&format!("Can't receive packet {code}"), e));
                }
            }
        }
    }
}

/// libpcap's "WHAT: strerror" message, with the code errno maps to.
fn failed(what: &str, e: io::Error) -> Error {
    let code = Error::os(what, io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(0))).code();
    Error::new(code, format!("{what}: {}", crate::error::os_text(&e)))
}

/// The payload attribute, and for a queued packet its id (NFQA_PACKET_HDR).
fn attributes(kind: NetfilterKind, message: &[u8]) -> (Option<&[u8]>, Option<u32>) {
    let (payload_type, header_type) = match kind {
        NetfilterKind::Log => (sys::nfulnl_attr_type_NFULA_PAYLOAD as u16, None),
        NetfilterKind::Queue => {
            (sys::nfqnl_attr_type_NFQA_PAYLOAD as u16, Some(sys::nfqnl_attr_type_NFQA_PACKET_HDR as u16))
        }
    };
    let mut payload = None;
    let mut id = None;
    let mut at = align4(NFGENMSG_LEN);
    while at + NLA_HDRLEN <= message.len() {
        let len = u16_at(message, at) as usize;
        if len < NLA_HDRLEN || at + len > message.len() {
            break;
        }
        let ty = u16_at(message, at + 2) & NLA_TYPE_MASK;
        let value = &message[at + NLA_HDRLEN..at + len];
        if ty == payload_type {
            payload = Some(value);
        } else if Some(ty) == header_type && value.len() >= 4 {
            id = Some(u32::from_be_bytes([value[0], value[1], value[2], value[3]]));
        }
        at += align4(len);
    }
    (payload, id)
}

/// Whether this kernel offers NETLINK_NETFILTER, which libpcap requires
/// before it lists the nflog and nfqueue devices.
pub fn available() -> bool {
    match NetlinkSocket::open(sys::NETLINK_NETFILTER) {
        Ok(_) => true,
        Err(e) => !matches!(e.raw_os_error(), Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised_as_libpcap_does() {
        assert_eq!(NetfilterDevice::recognise("nflog"), Some(NetfilterKind::Log));
        assert_eq!(NetfilterDevice::recognise("nflog:5"), Some(NetfilterKind::Log));
        assert_eq!(NetfilterDevice::recognise("nfqueue:1,2"), Some(NetfilterKind::Queue));
        assert_eq!(NetfilterDevice::recognise("x/nflog"), Some(NetfilterKind::Log));
        assert_eq!(NetfilterDevice::recognise("nflogx"), None);
        assert_eq!(NetfilterDevice::recognise("eth0"), None);
    }

    #[test]
    fn group_lists_parse_with_strtol_rules() {
        let p = |s| NetfilterDevice::parse(s).map(|d| d.groups).map_err(|e| e.message().to_string());
        assert_eq!(p("nflog"), Ok(vec![0]));
        assert_eq!(p("nflog:"), Ok(vec![0]));
        assert_eq!(p("nflog:5"), Ok(vec![5]));
        assert_eq!(p("nfqueue:1,0x10,010"), Ok(vec![1, 16, 8]));
        assert_eq!(p("nflog:65536"), Err("Netfilter group range from 0 to 65535 (got 65536)".into()));
        assert_eq!(p("nflog:-1"), Err("Netfilter group range from 0 to 65535 (got -1)".into()));
        assert_eq!(p("nflog:5x"), Err("Can't get netfilter group(s) index from nflog:5x".into()));
        assert_eq!(p("nflog:a"), Err("Can't get netfilter group(s) index from nflog:a".into()));
        let many = format!("nflog:{}", (0..33).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
        assert_eq!(p(&many), Err(format!("Maximum 32 netfilter groups! dev: {many}")));
    }

    #[test]
    fn queue_attributes_give_payload_and_packet_id() {
        let mut m = vec![2, 0, 0, 1]; // nfgenmsg: AF_INET, v0, queue 1
        let hdr_type = sys::nfqnl_attr_type_NFQA_PACKET_HDR as u16;
        m.extend_from_slice(&11u16.to_ne_bytes());
        m.extend_from_slice(&hdr_type.to_ne_bytes());
        m.extend_from_slice(&[0, 0, 0, 42, 0x08, 0x00, 1, 0]); // id 42, proto, hook, pad
        let payload_type = sys::nfqnl_attr_type_NFQA_PAYLOAD as u16;
        m.extend_from_slice(&7u16.to_ne_bytes());
        m.extend_from_slice(&payload_type.to_ne_bytes());
        m.extend_from_slice(&[0x45, 0, 0, 0]);
        let (payload, id) = attributes(NetfilterKind::Queue, &m[..m.len() - 1]);
        assert_eq!(id, Some(42));
        assert_eq!(payload, Some(&[0x45u8, 0, 0][..]));
    }
}
