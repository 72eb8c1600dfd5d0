//! Name and address helpers of pcap/namedb.h.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::net::IpAddr;
use std::ptr;

use crate::ffi::boundary::c_str;
use crate::ffi::boundary::guard_or;
use crate::filter::names::{self, PortProto, EPROTO, LLC};
use crate::pcap_compat::abi::PCAP_ERROR;

/// PROTO_UNDEF.
pub const PROTO_UNDEF: c_int = -1;

/// struct pcap_etherent.
#[repr(C)]
pub struct pcap_etherent {
    pub addr: [u8; 6],
    pub name: [c_char; 122],
}

/// struct eproto: one entry of the exported eproto_db table.
#[repr(C)]
pub struct eproto {
    pub s: *const c_char,
    pub p: u16,
}

/// The table as one exported array, NULL-terminated like libpcap's.
#[repr(transparent)]
pub struct EprotoDb(pub [eproto; 13]);

// SAFETY: the table is immutable and its pointers are to static strings.
unsafe impl Sync for EprotoDb {}

macro_rules! eproto_entry {
    ($i:expr) => {
        eproto { s: EPROTO_NAMES[$i].as_ptr(), p: EPROTO[$i].1 }
    };
}

const EPROTO_NAMES: [&std::ffi::CStr; 12] =
    [c"aarp", c"arp", c"atalk", c"decnet", c"ip", c"ip6", c"lat", c"loopback", c"mopdl", c"moprc", c"rarp", c"sca"];

/// libpcap's exported eproto_db (name, EtherType), ending with a NULL name.
/// cbindgen:ignore
#[no_mangle]
pub static eproto_db: EprotoDb = EprotoDb([
    eproto_entry!(0),
    eproto_entry!(1),
    eproto_entry!(2),
    eproto_entry!(3),
    eproto_entry!(4),
    eproto_entry!(5),
    eproto_entry!(6),
    eproto_entry!(7),
    eproto_entry!(8),
    eproto_entry!(9),
    eproto_entry!(10),
    eproto_entry!(11),
    eproto { s: ptr::null(), p: 0 },
]);

fn arg<'a>(s: *const c_char) -> Option<&'a str> {
    // SAFETY: callers pass NULL or a C string.
    unsafe { c_str(s, "name") }.ok()
}

thread_local! {
    static ADDRS: RefCell<(Vec<u32>, Vec<*mut u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    static ETHERENT: RefCell<pcap_etherent> = const { RefCell::new(pcap_etherent { addr: [0; 6], name: [0; 122] }) };
}

/// pcap_nametoaddr(): the host's IPv4 addresses (host byte order) as a
/// NULL-terminated array, valid until the next call on this thread; NULL
/// if the name does not resolve.
#[no_mangle]
pub extern "C" fn pcap_nametoaddr(name: *const c_char) -> *mut *mut u32 {
    guard_or(ptr::null_mut(), || {
        let Some(name) = arg(name) else { return ptr::null_mut() };
        let v4: Vec<u32> = names::host_addrs(name)
            .into_iter()
            .filter_map(|a| match a {
                IpAddr::V4(a) => Some(u32::from(a)),
                IpAddr::V6(_) => None,
            })
            .collect();
        if v4.is_empty() {
            return ptr::null_mut();
        }
        ADDRS.with(|cell| {
            let (values, ptrs) = &mut *cell.borrow_mut();
            *values = v4;
            *ptrs = values.iter_mut().map(|v| v as *mut u32).collect();
            ptrs.push(ptr::null_mut());
            ptrs.as_mut_ptr()
        })
    })
}

/// pcap_nametoaddrinfo(): getaddrinfo() for the name (free with freeaddrinfo()).
#[no_mangle]
pub extern "C" fn pcap_nametoaddrinfo(name: *const c_char) -> *mut libc::addrinfo {
    guard_or(ptr::null_mut(), || {
        if name.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: addrinfo is plain old data.
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_protocol = libc::IPPROTO_TCP;
        let mut res = ptr::null_mut();
        // SAFETY: name is a C string, hints and res are valid.
        let r = unsafe { libc::getaddrinfo(name, ptr::null(), &hints, &mut res) };
        if r == 0 {
            res
        } else {
            ptr::null_mut()
        }
    })
}

/// pcap_nametonetaddr(): the network number of a name in /etc/networks, 0 if unknown.
#[no_mangle]
pub extern "C" fn pcap_nametonetaddr(name: *const c_char) -> u32 {
    guard_or(0, || arg(name).and_then(names::network).unwrap_or(0))
}

fn proto_of(p: PortProto) -> c_int {
    match p {
        PortProto::Any => PROTO_UNDEF,
        PortProto::Tcp => libc::IPPROTO_TCP,
        PortProto::Udp => libc::IPPROTO_UDP,
    }
}

/// pcap_nametoport(): 1 and the port and protocol (PROTO_UNDEF if both
/// TCP and UDP) of a service name, 0 if unknown.
#[no_mangle]
pub extern "C" fn pcap_nametoport(name: *const c_char, port: *mut c_int, proto: *mut c_int) -> c_int {
    guard_or(PCAP_ERROR, || {
        let (Some(name), false, false) = (arg(name), port.is_null(), proto.is_null()) else { return 0 };
        // Like libpcap's getaddrinfo lookup, a number is its own service.
        match names::port_number_or_name(name) {
            Some((p, pp)) => {
                // SAFETY: both pointers were checked.
                unsafe {
                    *port = p as c_int;
                    *proto = proto_of(pp);
                }
                1
            }
            None => 0,
        }
    })
}

/// pcap_nametoportrange(): "A-B" with numbers or service names; 1 on success.
#[no_mangle]
pub extern "C" fn pcap_nametoportrange(
    name: *const c_char,
    port1: *mut c_int,
    port2: *mut c_int,
    proto: *mut c_int,
) -> c_int {
    guard_or(PCAP_ERROR, || {
        let (Some(name), false, false, false) = (arg(name), port1.is_null(), port2.is_null(), proto.is_null()) else {
            return 0;
        };
        let Some((a, b)) = name.split_once('-') else { return 0 };
        let (Some((p1, pr1)), Some((p2, pr2))) = (names::port_number_or_name(a), names::port_number_or_name(b)) else {
            return 0;
        };
        let pr = if pr1 == pr2 { proto_of(pr1) } else { PROTO_UNDEF };
        // SAFETY: all three pointers were checked.
        unsafe {
            *port1 = p1 as c_int;
            *port2 = p2 as c_int;
            *proto = pr;
        }
        1
    })
}

/// pcap_nametoproto(): an IP protocol number from /etc/protocols, or PROTO_UNDEF.
#[no_mangle]
pub extern "C" fn pcap_nametoproto(s: *const c_char) -> c_int {
    guard_or(PCAP_ERROR, || arg(s).and_then(names::ip_proto).map_or(PROTO_UNDEF, |p| p as c_int))
}

/// pcap_nametoeproto(): an EtherType from eproto_db, or PROTO_UNDEF.
#[no_mangle]
pub extern "C" fn pcap_nametoeproto(s: *const c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        arg(s).and_then(|s| EPROTO.iter().find(|(n, _)| *n == s)).map_or(PROTO_UNDEF, |(_, p)| c_int::from(*p))
    })
}

/// pcap_nametollc(): an 802.2 LLC SAP by name, or PROTO_UNDEF.
#[no_mangle]
pub extern "C" fn pcap_nametollc(s: *const c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        arg(s).and_then(|s| LLC.iter().find(|(n, _)| *n == s)).map_or(PROTO_UNDEF, |(_, p)| c_int::from(*p))
    })
}

fn malloc_mac(mac: [u8; 6]) -> *mut u8 {
    // SAFETY: malloc of 6 bytes, filled if it succeeded; freed by the caller with free().
    unsafe {
        let p = libc::malloc(6).cast::<u8>();
        if !p.is_null() {
            ptr::copy_nonoverlapping(mac.as_ptr(), p, 6);
        }
        p
    }
}

/// pcap_ether_aton(): "xx:xx:xx:xx:xx:xx" (also with '.' or '-', and
/// one-digit parts) as 6 malloc'ed bytes. Where libpcap leaves the bytes
/// of a short address uninitialised, ringcap zeroes them.
#[no_mangle]
pub extern "C" fn pcap_ether_aton(s: *const c_char) -> *mut u8 {
    guard_or(ptr::null_mut(), || {
        let Some(s) = arg(s) else { return ptr::null_mut() };
        let mut mac = [0u8; 6];
        let bytes = s.as_bytes();
        let (mut i, mut n) = (0, 0);
        while i < bytes.len() && n < 6 {
            if matches!(bytes[i], b':' | b'.' | b'-') {
                i += 1;
            }
            let Some(hi) = bytes.get(i).and_then(|c| (*c as char).to_digit(16)) else { break };
            let mut d = hi;
            i += 1;
            if let Some(lo) = bytes.get(i).and_then(|c| (*c as char).to_digit(16)) {
                d = d * 16 + lo;
                i += 1;
            }
            mac[n] = d as u8;
            n += 1;
        }
        malloc_mac(mac)
    })
}

/// pcap_ether_hostton(): the address of a host in /etc/ethers (6 malloc'ed bytes) or NULL.
#[no_mangle]
pub extern "C" fn pcap_ether_hostton(name: *const c_char) -> *mut u8 {
    guard_or(ptr::null_mut(), || arg(name).and_then(names::ether_host).map_or(ptr::null_mut(), malloc_mac))
}

/// Parses one /etc/ethers line: address, white space, name.
fn etherent(line: &str) -> Option<([u8; 6], String)> {
    let line = line.split('#').next()?;
    let mut fields = line.split_whitespace();
    let addr = fields.next()?;
    let name = fields.next()?;
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = addr.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    for (b, p) in mac.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    Some((mac, name.chars().take(121).collect()))
}

/// pcap_next_etherent(): the next valid entry of an ethers file, in a
/// per-thread buffer; NULL at the end of the file.
#[no_mangle]
pub extern "C" fn pcap_next_etherent(fp: *mut libc::FILE) -> *mut pcap_etherent {
    guard_or(ptr::null_mut(), || {
        if fp.is_null() {
            return ptr::null_mut();
        }
        let mut line = Vec::new();
        loop {
            line.clear();
            loop {
                // SAFETY: fp is an open stream per the API.
                let c = unsafe { libc::fgetc(fp) };
                if c == libc::EOF {
                    break;
                }
                if c == b'\n' as c_int {
                    line.push(b'\n');
                    break;
                }
                line.push(c as u8);
            }
            if line.is_empty() {
                return ptr::null_mut();
            }
            if let Some((mac, name)) = etherent(&String::from_utf8_lossy(&line)) {
                let cname = CString::new(name).unwrap_or_default();
                return ETHERENT.with(|e| {
                    let mut e = e.borrow_mut();
                    e.addr = mac;
                    e.name = [0; 122];
                    for (d, s) in e.name.iter_mut().zip(cname.as_bytes()) {
                        *d = *s as c_char;
                    }
                    &mut *e as *mut pcap_etherent
                });
            }
        }
    })
}

const _: () = assert!(std::mem::size_of::<eproto>() == 16 && std::mem::size_of::<*const c_void>() == 8);
