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
    /// IFF_* flags (up, broadcast, loopback, running, promisc, allmulti, multicast, lower up...).
    pub flags: u32,
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
    for i in &mut list {
        if i.index == 0 {
            let Ok(c) = std::ffi::CString::new(i.name.clone()) else { continue };
            // SAFETY: c is NUL-terminated.
            i.index = unsafe { libc::if_nametoindex(c.as_ptr()) };
        }
        i.mtu = mtu_of(&i.name);
    }
    list.sort_by_key(|i| i.index);
    Ok(list)
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
