//! The system calls that list network devices: getifaddrs(3), an
//! RTM_GETLINK dump over NETLINK_ROUTE, if_nametoindex(3). Each is one safe
//! function returning owned data, so that the listing itself
//! (`crate::interfaces`) is safe code.

use std::ffi::{CStr, CString};
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{Error, Result};

/// The address of one getifaddrs entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfAddr {
    /// AF_PACKET: the device's link layer.
    Link { index: u32, hatype: u16, hwaddr: Vec<u8> },
    /// AF_INET / AF_INET6: the address and its netmask (network order).
    Ip { family: i32, addr: Vec<u8>, netmask: Option<Vec<u8>> },
    /// No address, or a family the listing does not report.
    Other,
}

/// One getifaddrs entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddrEntry {
    pub name: String,
    /// IFF_* flags.
    pub flags: u32,
    pub addr: IfAddr,
}

/// Bytes of an AF_INET / AF_INET6 sockaddr's address.
///
/// # Safety
/// `sa` is NULL or points to a sockaddr of the family it states.
unsafe fn ip_bytes(sa: *const libc::sockaddr) -> Option<(i32, Vec<u8>)> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: non-NULL and valid per the contract.
    let family = i32::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in.
            let sin = unsafe { &*(sa as *const libc::sockaddr_in) };
            Some((family, sin.sin_addr.s_addr.to_ne_bytes().to_vec()))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6.
            let sin6 = unsafe { &*(sa as *const libc::sockaddr_in6) };
            Some((family, sin6.sin6_addr.s6_addr.to_vec()))
        }
        _ => None,
    }
}

/// Every entry getifaddrs(3) returns, in its order (one per device with
/// AF_PACKET, one per IP address).
pub fn if_addrs() -> Result<Vec<IfAddrEntry>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below.
    if unsafe { libc::getifaddrs(&mut head) } < 0 {
        return Err(Error::last_os("getifaddrs"));
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy().into_owned();
        let addr = if ifa.ifa_addr.is_null() {
            IfAddr::Other
        // SAFETY: non-NULL sockaddr owned by the list.
        } else if i32::from(unsafe { (*ifa.ifa_addr).sa_family }) == libc::AF_PACKET {
            // SAFETY: AF_PACKET entries carry a sockaddr_ll.
            let sll = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_ll) };
            let n = usize::from(sll.sll_halen).min(sll.sll_addr.len());
            IfAddr::Link {
                index: sll.sll_ifindex.max(0) as u32,
                hatype: sll.sll_hatype,
                hwaddr: sll.sll_addr[..n].to_vec(),
            }
        // SAFETY: ifa_addr is a sockaddr of the family it states.
        } else if let Some((family, addr)) = unsafe { ip_bytes(ifa.ifa_addr) } {
            // SAFETY: the netmask, when present, has the address's family.
            let netmask = unsafe { ip_bytes(ifa.ifa_netmask) }.map(|(_, m)| m);
            IfAddr::Ip { family, addr, netmask }
        } else {
            IfAddr::Other
        };
        out.push(IfAddrEntry { name, flags: ifa.ifa_flags, addr });
    }
    // SAFETY: frees the list getifaddrs allocated; nothing borrowed from it survives.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

/// if_nametoindex(3): the device's index, 0 when there is none of that name.
pub fn index_of(name: &str) -> u32 {
    let Ok(c) = CString::new(name) else { return 0 };
    // SAFETY: c is NUL-terminated.
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2).map(|b| u16::from_ne_bytes([b[0], b[1]]))
}

/// The bodies (struct ifinfomsg and its attributes) of the RTM_NEWLINK
/// messages an RTM_GETLINK dump returns. Empty when netlink is unavailable.
pub fn link_dump() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    // SAFETY: plain socket(2); checked below.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) };
    if fd < 0 {
        return out;
    }
    // SAFETY: fd is a fresh descriptor nothing else owns; closed on return.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    #[repr(C)]
    struct Request {
        hdr: libc::nlmsghdr,
        msg: libc::ifinfomsg,
    }
    // SAFETY: both are plain old data; all-zero is valid.
    let mut req: Request = unsafe { std::mem::zeroed() };
    req.hdr.nlmsg_len = size_of::<Request>() as u32;
    req.hdr.nlmsg_type = crate::sys::RTM_GETLINK as u16;
    req.hdr.nlmsg_flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    req.hdr.nlmsg_seq = 1;
    req.msg.ifi_family = libc::AF_UNSPEC as u8;
    // SAFETY: req is a live buffer of the length passed.
    let sent = unsafe { libc::send(fd.as_raw_fd(), (&req as *const Request).cast(), size_of::<Request>(), 0) };
    if sent < 0 {
        return out;
    }
    let hdr_len = size_of::<libc::nlmsghdr>();
    let mut buf = vec![0u8; 32 * 1024];
    'recv: loop {
        // SAFETY: buf is writable for its length.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n <= 0 {
            break;
        }
        let data = &buf[..n as usize];
        let mut at = 0usize;
        while at + hdr_len <= data.len() {
            let (Some(len), Some(kind)) = (
                u32_at(data, at + offset_of!(libc::nlmsghdr, nlmsg_len)),
                u16_at(data, at + offset_of!(libc::nlmsghdr, nlmsg_type)),
            ) else {
                break 'recv;
            };
            let len = len as usize;
            if len < hdr_len || at + len > data.len() {
                break 'recv;
            }
            match i32::from(kind) {
                libc::NLMSG_DONE | libc::NLMSG_ERROR => break 'recv,
                _ => {}
            }
            if kind == libc::RTM_NEWLINK {
                out.push(data[at + hdr_len..at + len].to_vec());
            }
            at += (len + 3) & !3;
        }
    }
    out
}
