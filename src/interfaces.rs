//! Listing the network interfaces: index, flags, hardware address, MTU and
//! IPv4/IPv6 addresses, from getifaddrs(3) (which asks the kernel over
//! netlink, so interfaces without addresses are listed too).

use std::collections::BTreeMap;
use std::ffi::CStr;

use crate::error::{Error, Result};

/// One IP address of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// AF_INET or AF_INET6.
    pub family: i32,
    /// 4 or 16 bytes, network order.
    pub addr: Vec<u8>,
    /// Netmask length in bits.
    pub prefix_len: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterfaceInfo {
    pub name: String,
    pub index: u32,
    /// IFF_* flags (up, broadcast, loopback, running, promisc, allmulti,
    /// multicast, lower up...). PROMISC and ALLMULTI are set whenever the
    /// device acts so, including for packet-socket memberships, which the
    /// classic interfaces (SIOCGIFFLAGS, getifaddrs) do not report.
    pub flags: u32,
    /// How many users put the device in promiscuous mode (from netlink; 0 if unknown).
    pub promiscuity: u32,
    /// How many users asked for all-multicast (kernel 6.6+; 0 if unknown).
    pub allmulti: u32,
    pub mtu: u32,
    /// ARPHRD_* type, 0 when unknown.
    pub hatype: u16,
    /// Hardware address (empty for devices without one).
    pub hwaddr: Vec<u8>,
    pub addresses: Vec<Address>,
}

fn prefix_len(mask: &[u8]) -> u8 {
    mask.iter().map(|b| b.count_ones() as u8).sum()
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

fn mtu_of(name: &str) -> u32 {
    // SAFETY: plain socket(2); checked below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return 0;
    }
    // SAFETY: ifreq is plain old data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes().take(libc::IFNAMSIZ - 1)) {
        *d = s as libc::c_char;
    }
    // SAFETY: ifr lives across the call; fd is ours and closed right after.
    let r = unsafe { libc::ioctl(fd, libc::SIOCGIFMTU, &mut ifr as *mut libc::ifreq) };
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    if r < 0 {
        0
    } else {
        // SAFETY: SIOCGIFMTU filled ifru_mtu.
        unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32
    }
}

/// Every interface of the current network namespace, ordered by index.
pub fn list() -> Result<Vec<InterfaceInfo>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below.
    if unsafe { libc::getifaddrs(&mut head) } < 0 {
        return Err(Error::last_os("getifaddrs"));
    }
    let mut by_name: BTreeMap<String, InterfaceInfo> = BTreeMap::new();
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
        let entry = by_name.entry(name.clone()).or_insert_with(|| InterfaceInfo { name, ..Default::default() });
        entry.flags = ifa.ifa_flags;
        if ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: non-NULL sockaddr owned by the list.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_PACKET {
            // SAFETY: AF_PACKET entries carry a sockaddr_ll.
            let sll = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_ll) };
            entry.index = sll.sll_ifindex.max(0) as u32;
            entry.hatype = sll.sll_hatype;
            let n = usize::from(sll.sll_halen).min(sll.sll_addr.len());
            entry.hwaddr = sll.sll_addr[..n].to_vec();
        // SAFETY: ifa_addr is a sockaddr of the family it states.
        } else if let Some((family, addr)) = unsafe { ip_bytes(ifa.ifa_addr) } {
            // SAFETY: the netmask, when present, has the address's family.
            let mask = unsafe { ip_bytes(ifa.ifa_netmask) }.map(|(_, m)| prefix_len(&m)).unwrap_or(0);
            entry.addresses.push(Address { family, addr, prefix_len: mask });
        }
    }
    // SAFETY: frees the list getifaddrs allocated; nothing borrowed from it survives.
    unsafe { libc::freeifaddrs(head) };
    let mut list: Vec<InterfaceInfo> = by_name.into_values().collect();
    let counters = link_counters();
    for i in &mut list {
        if i.index == 0 {
            let Ok(c) = std::ffi::CString::new(i.name.clone()) else { continue };
            // SAFETY: c is NUL-terminated.
            i.index = unsafe { libc::if_nametoindex(c.as_ptr()) };
        }
        i.mtu = mtu_of(&i.name);
        if let Some(&(promiscuity, allmulti)) = counters.get(&i.index) {
            i.promiscuity = promiscuity;
            i.allmulti = allmulti;
            if promiscuity > 0 {
                i.flags |= libc::IFF_PROMISC as u32;
            }
            if allmulti > 0 {
                i.flags |= libc::IFF_ALLMULTI as u32;
            }
        }
    }
    list.sort_by_key(|i| i.index);
    Ok(list)
}

/// Promiscuity and allmulti counts per interface index, from an
/// RTM_GETLINK dump. Empty when netlink is unavailable: the listing then
/// shows the classic flags only.
fn link_counters() -> BTreeMap<u32, (u32, u32)> {
    let mut out = BTreeMap::new();
    // SAFETY: plain socket(2); checked below and closed at the end.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) };
    if fd < 0 {
        return out;
    }
    #[repr(C)]
    struct Request {
        hdr: libc::nlmsghdr,
        msg: libc::ifinfomsg,
    }
    // SAFETY: both are plain old data; all-zero is valid.
    let mut req: Request = unsafe { std::mem::zeroed() };
    req.hdr.nlmsg_len = std::mem::size_of::<Request>() as u32;
    req.hdr.nlmsg_type = crate::sys::RTM_GETLINK as u16;
    req.hdr.nlmsg_flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    req.hdr.nlmsg_seq = 1;
    req.msg.ifi_family = libc::AF_UNSPEC as u8;
    // SAFETY: req is a live buffer of the length passed.
    let sent = unsafe { libc::send(fd, (&req as *const Request).cast(), std::mem::size_of::<Request>(), 0) };
    if sent >= 0 {
        let mut buf = vec![0u8; 32 * 1024];
        'recv: loop {
            // SAFETY: buf is writable for its length.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n <= 0 {
                break;
            }
            let data = &buf[..n as usize];
            let mut at = 0usize;
            while at + std::mem::size_of::<libc::nlmsghdr>() <= data.len() {
                // SAFETY: a header fits at `at` (checked); read unaligned from the byte buffer.
                let hdr: libc::nlmsghdr = unsafe { std::ptr::read_unaligned(data.as_ptr().add(at).cast()) };
                let len = hdr.nlmsg_len as usize;
                if len < std::mem::size_of::<libc::nlmsghdr>() || at + len > data.len() {
                    break 'recv;
                }
                match i32::from(hdr.nlmsg_type) {
                    libc::NLMSG_DONE | libc::NLMSG_ERROR => break 'recv,
                    _ => {}
                }
                if hdr.nlmsg_type == libc::RTM_NEWLINK {
                    parse_link(&data[at + std::mem::size_of::<libc::nlmsghdr>()..at + len], &mut out);
                }
                at += (len + 3) & !3;
            }
        }
    }
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    out
}

fn parse_link(msg: &[u8], out: &mut BTreeMap<u32, (u32, u32)>) {
    let info_len = std::mem::size_of::<libc::ifinfomsg>();
    if msg.len() < info_len {
        return;
    }
    // SAFETY: an ifinfomsg fits (checked); read unaligned from the byte buffer.
    let info: libc::ifinfomsg = unsafe { std::ptr::read_unaligned(msg.as_ptr().cast()) };
    let mut counts = (0u32, 0u32);
    let mut at = (info_len + 3) & !3;
    while at + 4 <= msg.len() {
        let rta_len = usize::from(u16::from_ne_bytes([msg[at], msg[at + 1]]));
        let rta_type = u32::from(u16::from_ne_bytes([msg[at + 2], msg[at + 3]]));
        if rta_len < 4 || at + rta_len > msg.len() {
            break;
        }
        let value = &msg[at + 4..at + rta_len];
        if value.len() >= 4 {
            let v = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
            if rta_type == crate::sys::IFLA_PROMISCUITY {
                counts.0 = v;
            } else if rta_type == crate::sys::IFLA_ALLMULTI {
                counts.1 = v;
            }
        }
        at += (rta_len + 3) & !3;
    }
    if info.ifi_index > 0 {
        out.insert(info.ifi_index as u32, counts);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_loopback() {
        let list = super::list().unwrap();
        let lo = list.iter().find(|i| i.name == "lo").expect("lo is always there");
        assert_ne!(lo.flags & libc::IFF_LOOPBACK as u32, 0);
        assert!(lo.index > 0 && lo.mtu > 0);
    }
}
