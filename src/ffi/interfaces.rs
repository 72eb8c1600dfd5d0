//! `ringcap_interfaces_list`: the network interfaces of the caller's
//! network namespace, as one array the caller frees with one call.

use std::collections::BTreeMap;
use std::ffi::c_char;
use std::sync::Mutex;

use crate::error::Result;
use crate::ffi::boundary::{boundary, out_ref};
use crate::interfaces::{self, InterfaceInfo};

/// IFF_* flag bits of ringcap_interface.flags (values as in net/if.h).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ringcap_interface_flag {
    Up = 0x1,
    Broadcast = 0x2,
    Loopback = 0x8,
    PointToPoint = 0x10,
    Running = 0x40,
    NoArp = 0x80,
    Promisc = 0x100,
    AllMulti = 0x200,
    Multicast = 0x1000,
    /// The link has carrier (IFF_LOWER_UP).
    LowerUp = 0x10000,
    Dormant = 0x20000,
}

/// One IP address of an interface.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ringcap_interface_address {
    /// AF_INET or AF_INET6.
    pub family: i32,
    /// Netmask length in bits.
    pub prefix_len: u32,
    /// The address in network byte order: 4 bytes for AF_INET, 16 for AF_INET6.
    pub addr: [u8; 16],
}

/// One network interface.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ringcap_interface {
    /// NUL-terminated name.
    pub name: [c_char; 16],
    pub index: u32,
    /// ringcap_interface_flag bits (IFF_*). PROMISC and ALLMULTI are set
    /// while the device acts so for any reason, including another
    /// program's packet socket (unlike SIOCGIFFLAGS, which shows only
    /// `ip link set ... promisc on`).
    pub flags: u32,
    /// How many users hold the device promiscuous (0 if unknown).
    pub promiscuity: u32,
    /// How many users hold it all-multicast (kernel 6.6+, else 0).
    pub allmulti: u32,
    pub mtu: u32,
    /// ARPHRD_* hardware type (1: Ethernet, 772: loopback).
    pub hatype: u32,
    /// Valid bytes in hwaddr (6 for Ethernet, 0 for none).
    pub hwaddr_len: u32,
    pub hwaddr: [u8; 32],
    /// `address_count` addresses (NULL when there are none).
    pub addresses: *const ringcap_interface_address,
    pub address_count: usize,
}

/// A returned list and the address arrays its entries point into.
struct Storage {
    _items: Vec<ringcap_interface>,
    _addresses: Vec<Vec<ringcap_interface_address>>,
}

// SAFETY: the raw pointers in `items` point into `_addresses`, which moves
// with it and is never mutated; C reads them without Rust's involvement.
unsafe impl Send for Storage {}

/// Lists handed out and not yet freed, by the address of their first
/// element: free() of an unknown pointer is ignored instead of corrupting memory.
static LISTS: Mutex<BTreeMap<usize, Storage>> = Mutex::new(BTreeMap::new());

fn to_c(info: &InterfaceInfo, addrs: &mut Vec<Vec<ringcap_interface_address>>) -> ringcap_interface {
    let mut name = [0 as c_char; 16];
    for (d, s) in name.iter_mut().zip(info.name.bytes().take(15)) {
        *d = s as c_char;
    }
    let mut hwaddr = [0u8; 32];
    let n = info.hwaddr.len().min(32);
    hwaddr[..n].copy_from_slice(&info.hwaddr[..n]);
    let list: Vec<ringcap_interface_address> = info
        .addresses
        .iter()
        .map(|a| {
            let mut addr = [0u8; 16];
            let n = a.addr.len().min(16);
            addr[..n].copy_from_slice(&a.addr[..n]);
            ringcap_interface_address { family: a.family, prefix_len: u32::from(a.prefix_len), addr }
        })
        .collect();
    let ptr = if list.is_empty() { std::ptr::null() } else { list.as_ptr() };
    let count = list.len();
    addrs.push(list);
    ringcap_interface {
        name,
        index: info.index,
        flags: info.flags,
        promiscuity: info.promiscuity,
        allmulti: info.allmulti,
        mtu: info.mtu,
        hatype: u32::from(info.hatype),
        hwaddr_len: n as u32,
        hwaddr,
        addresses: ptr,
        address_count: count,
    }
}

/// Lists every network interface of the calling thread's network
/// namespace, ordered by index: name, index, flags, MTU, hardware type and
/// address, and IPv4/IPv6 addresses. On success stores the array in `*out`
/// and its length in `*count` and returns 0; free it with
/// ringcap_interfaces_free(). Needs no privileges.
#[no_mangle]
pub extern "C" fn ringcap_interfaces_list(out: *mut *mut ringcap_interface, count: *mut usize) -> i32 {
    boundary(None, || -> Result<i32> {
        // SAFETY: C passes writable pointers or NULL.
        let out = unsafe { out_ref(out, "out") }?;
        // SAFETY: as above.
        let count = unsafe { out_ref(count, "count") }?;
        let infos = interfaces::list()?;
        let mut addrs = Vec::with_capacity(infos.len());
        let mut items: Vec<ringcap_interface> = infos.iter().map(|i| to_c(i, &mut addrs)).collect();
        // Never hand out a dangling pointer for an empty list.
        items.reserve_exact(1);
        let ptr = items.as_mut_ptr();
        let n = items.len();
        LISTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(ptr as usize, Storage { _items: items, _addresses: addrs });
        *out = ptr;
        *count = n;
        Ok(0)
    })
}

/// Frees a list from ringcap_interfaces_list(). NULL, already-freed and
/// foreign pointers are ignored.
#[no_mangle]
pub extern "C" fn ringcap_interfaces_free(list: *mut ringcap_interface) {
    boundary(None, || {
        LISTS.lock().unwrap_or_else(|p| p.into_inner()).remove(&(list as usize));
        Ok(0)
    });
}
