//! pcap_findalldevs as libpcap builds it on Linux: getifaddrs for the
//! devices and their addresses (link-layer AF_PACKET ones included), the
//! "any" pseudo-device, flags with the link's connection status, and
//! libpcap's ordering (running, up, connected, non-loopback first).

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use crate::pcap_compat::abi::*;
use crate::socket::{PacketSocket, SocketKind};

struct Addr {
    addr: *mut libc::sockaddr,
    netmask: *mut libc::sockaddr,
    broadaddr: *mut libc::sockaddr,
    dstaddr: *mut libc::sockaddr,
}

struct Dev {
    name: String,
    description: Option<&'static CStr>,
    flags: u32,
    addrs: Vec<Addr>,
}

fn sockaddr_len(sa: *const libc::sockaddr) -> usize {
    // SAFETY: sa is a valid sockaddr from getifaddrs.
    match unsafe { (*sa).sa_family } as i32 {
        libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
        libc::AF_PACKET => std::mem::size_of::<libc::sockaddr_ll>(),
        _ => std::mem::size_of::<libc::sockaddr>(),
    }
}

/// A malloc'ed copy of `sa` (NULL stays NULL), freed by pcap_freealldevs.
fn copy_sockaddr(sa: *const libc::sockaddr) -> *mut libc::sockaddr {
    if sa.is_null() {
        return ptr::null_mut();
    }
    let len = sockaddr_len(sa);
    // SAFETY: malloc, then copying len bytes of a sockaddr of that family.
    unsafe {
        let p = libc::malloc(len).cast::<libc::sockaddr>();
        if !p.is_null() {
            ptr::copy_nonoverlapping(sa.cast::<u8>(), p.cast::<u8>(), len);
        }
        p
    }
}

fn connection_status(socket: &PacketSocket, name: &str, flags: u32) -> u32 {
    if flags & PCAP_IF_LOOPBACK != 0 {
        return PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE;
    }
    match socket.link_detected(name) {
        Some(true) => PCAP_IF_CONNECTION_STATUS_CONNECTED,
        Some(false) => PCAP_IF_CONNECTION_STATUS_DISCONNECTED,
        None => PCAP_IF_CONNECTION_STATUS_UNKNOWN,
    }
}

/// libpcap's get_figure_of_merit: lower sorts first.
fn merit(d: &Dev) -> u32 {
    let mut n = 0;
    if d.flags & PCAP_IF_RUNNING == 0 {
        n |= 0x8000_0000;
    }
    if d.flags & PCAP_IF_UP == 0 {
        n |= 0x4000_0000;
    }
    if d.flags & 0x30 == PCAP_IF_CONNECTION_STATUS_DISCONNECTED {
        n |= 0x2000_0000;
    }
    if d.flags & PCAP_IF_LOOPBACK != 0 {
        n |= 0x1000_0000;
    }
    n
}

fn collect() -> Result<Vec<Dev>, String> {
    let mut ifap: *mut libc::ifaddrs = ptr::null_mut();
    // SAFETY: getifaddrs fills ifap on success.
    if unsafe { libc::getifaddrs(&mut ifap) } != 0 {
        return Err(format!("getifaddrs: {}", std::io::Error::last_os_error()));
    }
    let socket = PacketSocket::new(SocketKind::Raw).ok();
    let mut devs: Vec<Dev> = Vec::new();
    let mut cur = ifap;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: ifa_name is a C string.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy().into_owned();
        let iff = ifa.ifa_flags;
        let idx = match devs.iter().position(|d| d.name == name) {
            Some(i) => i,
            None => {
                let mut flags = 0;
                if iff & libc::IFF_LOOPBACK as u32 != 0 {
                    flags |= PCAP_IF_LOOPBACK;
                }
                if iff & libc::IFF_UP as u32 != 0 {
                    flags |= PCAP_IF_UP;
                }
                if iff & libc::IFF_RUNNING as u32 != 0 {
                    flags |= PCAP_IF_RUNNING;
                }
                if let Some(s) = &socket {
                    flags |= connection_status(s, &name, flags);
                }
                devs.push(Dev { name, description: None, flags, addrs: Vec::new() });
                devs.len() - 1
            }
        };
        if ifa.ifa_addr.is_null() {
            continue;
        }
        let point_to_point = iff & libc::IFF_POINTOPOINT as u32 != 0;
        let broadcast = iff & libc::IFF_BROADCAST as u32 != 0;
        let ifu = ifa.ifa_ifu;
        devs[idx].addrs.push(Addr {
            addr: copy_sockaddr(ifa.ifa_addr),
            netmask: copy_sockaddr(ifa.ifa_netmask),
            broadaddr: if broadcast { copy_sockaddr(ifu) } else { ptr::null_mut() },
            dstaddr: if point_to_point { copy_sockaddr(ifu) } else { ptr::null_mut() },
        });
    }
    // SAFETY: ifap came from getifaddrs.
    unsafe { libc::freeifaddrs(ifap) };
    // libpcap lists the netfilter pseudo-devices when the kernel has NETLINK_NETFILTER.
    if crate::netfilter::available() {
        for (name, description) in [
            ("nflog", c"Linux netfilter log (NFLOG) interface"),
            ("nfqueue", c"Linux netfilter queue (NFQUEUE) interface"),
        ] {
            devs.push(Dev {
                name: name.into(),
                description: Some(description),
                flags: PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
                addrs: Vec::new(),
            });
        }
    }
    devs.push(Dev {
        name: "any".into(),
        description: Some(c"Pseudo-device that captures on all interfaces"),
        flags: PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
        addrs: Vec::new(),
    });
    // Stable: equal merit keeps the kernel's order, "any" after the devices.
    devs.sort_by_key(merit);
    Ok(devs)
}

fn strdup(s: &str) -> *mut c_char {
    let c = CString::new(s).unwrap_or_default();
    // SAFETY: strdup of a valid C string; NULL on exhaustion is handled by callers as absent.
    unsafe { libc::strdup(c.as_ptr()) }
}

/// The list as libpcap's linked pcap_if_t structures, every piece malloc'ed.
pub fn find_all() -> Result<*mut pcap_if, String> {
    let devs = collect()?;
    let mut head: *mut pcap_if = ptr::null_mut();
    for d in devs.into_iter().rev() {
        let mut addrs: *mut pcap_addr = ptr::null_mut();
        for a in d.addrs.into_iter().rev() {
            // SAFETY: malloc of one pcap_addr, filled before use.
            let node = unsafe { libc::malloc(std::mem::size_of::<pcap_addr>()) }.cast::<pcap_addr>();
            if node.is_null() {
                return Err("malloc: Cannot allocate memory".into());
            }
            // SAFETY: node is a fresh allocation of the right size.
            unsafe {
                node.write(pcap_addr {
                    next: addrs,
                    addr: a.addr,
                    netmask: a.netmask,
                    broadaddr: a.broadaddr,
                    dstaddr: a.dstaddr,
                })
            };
            addrs = node;
        }
        // SAFETY: malloc of one pcap_if, filled before use.
        let node = unsafe { libc::malloc(std::mem::size_of::<pcap_if>()) }.cast::<pcap_if>();
        if node.is_null() {
            return Err("malloc: Cannot allocate memory".into());
        }
        let description = d.description.map_or(ptr::null_mut(), |s| strdup(&s.to_string_lossy()));
        // SAFETY: node is a fresh allocation of the right size.
        unsafe {
            node.write(pcap_if { next: head, name: strdup(&d.name), description, addresses: addrs, flags: d.flags })
        };
        head = node;
    }
    Ok(head)
}

/// Frees what find_all returned.
///
/// # Safety
/// `list` is NULL or a list from find_all, not freed before.
pub unsafe fn free_all(mut list: *mut pcap_if) {
    while !list.is_null() {
        // SAFETY: per the contract, every node and field was malloc'ed by find_all.
        unsafe {
            let next = (*list).next;
            let mut a = (*list).addresses;
            while !a.is_null() {
                let an = (*a).next;
                libc::free((*a).addr.cast());
                libc::free((*a).netmask.cast());
                libc::free((*a).broadaddr.cast());
                libc::free((*a).dstaddr.cast());
                libc::free(a.cast());
                a = an;
            }
            libc::free((*list).name.cast());
            libc::free((*list).description.cast());
            libc::free(list.cast());
            list = next;
        }
    }
}
