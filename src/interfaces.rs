//! Listing the network interfaces: index, flags, hardware address, MTU and
//! IPv4/IPv6 addresses, from getifaddrs(3) (which asks the kernel over
//! netlink, so interfaces without addresses are listed too). The system
//! calls are in `sys::netdev` and `socket`; this module only merges their
//! answers.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::socket::PacketSocket;
use crate::sys::netdev::{self, IfAddr};

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

/// Every interface of the current network namespace, ordered by index.
pub fn list() -> Result<Vec<InterfaceInfo>> {
    let mut by_name: BTreeMap<String, InterfaceInfo> = BTreeMap::new();
    for ifa in netdev::if_addrs()? {
        let name = ifa.name;
        let entry = by_name.entry(name.clone()).or_insert_with(|| InterfaceInfo { name, ..Default::default() });
        entry.flags = ifa.flags;
        match ifa.addr {
            IfAddr::Link { index, hatype, hwaddr } => {
                entry.index = index;
                entry.hatype = hatype;
                entry.hwaddr = hwaddr;
            }
            IfAddr::Ip { family, addr, netmask } => {
                let mask = netmask.map(|m| prefix_len(&m)).unwrap_or(0);
                entry.addresses.push(Address { family, addr, prefix_len: mask });
            }
            IfAddr::Other => {}
        }
    }
    let mut list: Vec<InterfaceInfo> = by_name.into_values().collect();
    let counters = link_counters();
    let probe = PacketSocket::for_ioctls().ok();
    for i in &mut list {
        if i.index == 0 {
            i.index = netdev::index_of(&i.name);
        }
        i.mtu = probe.as_ref().and_then(|p| p.mtu(&i.name).ok()).unwrap_or(0);
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
    for msg in netdev::link_dump() {
        parse_link(&msg, &mut out);
    }
    out
}

fn parse_link(msg: &[u8], out: &mut BTreeMap<u32, (u32, u32)>) {
    let info_len = std::mem::size_of::<libc::ifinfomsg>();
    if msg.len() < info_len {
        return;
    }
    let at = std::mem::offset_of!(libc::ifinfomsg, ifi_index);
    let ifi_index = i32::from_ne_bytes([msg[at], msg[at + 1], msg[at + 2], msg[at + 3]]);
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
    if ifi_index > 0 {
        out.insert(ifi_index as u32, counts);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// An RTM_NEWLINK body as the kernel lays it out: ifinfomsg, then
    /// 4-byte-aligned attributes.
    #[test]
    fn link_counters_are_read_from_the_attributes() {
        let mut msg = vec![0u8; std::mem::size_of::<libc::ifinfomsg>()];
        let at = std::mem::offset_of!(libc::ifinfomsg, ifi_index);
        msg[at..at + 4].copy_from_slice(&7i32.to_ne_bytes());
        for (kind, value) in
            [(3u16, 1500u32), (crate::sys::IFLA_PROMISCUITY as u16, 2), (crate::sys::IFLA_ALLMULTI as u16, 1)]
        {
            msg.extend_from_slice(&8u16.to_ne_bytes());
            msg.extend_from_slice(&kind.to_ne_bytes());
            msg.extend_from_slice(&value.to_ne_bytes());
        }
        let mut out = BTreeMap::new();
        super::parse_link(&msg, &mut out);
        assert_eq!(out.get(&7), Some(&(2, 1)));
        // A truncated attribute ends the walk without reading past the message.
        msg.truncate(msg.len() - 2);
        let mut out = BTreeMap::new();
        super::parse_link(&msg, &mut out);
        assert_eq!(out.get(&7), Some(&(2, 0)));
    }

    #[test]
    fn lists_loopback() {
        let list = super::list().unwrap();
        let lo = list.iter().find(|i| i.name == "lo").expect("lo is always there");
        assert_ne!(lo.flags & libc::IFF_LOOPBACK as u32, 0);
        assert!(lo.index > 0 && lo.mtu > 0);
    }
}
