//! Devices: pcap_findalldevs, pcap_lookupnet, pcap_lookupdev.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};
use std::ptr;

use crate::ffi::boundary::c_str;
use crate::ffi::boundary::guard_or;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::devices;
use crate::pcap_compat::registry::write_errbuf;

/// pcap_findalldevs(): the devices that can be opened, with their
/// addresses; free the list with pcap_freealldevs().
#[no_mangle]
pub extern "C" fn pcap_findalldevs(alldevsp: *mut *mut pcap_if, errbuf: *mut c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        if alldevsp.is_null() {
            // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
            unsafe { write_errbuf(errbuf, "pcap_findalldevs: NULL list pointer") };
            return PCAP_ERROR;
        }
        match devices::find_all() {
            Ok(list) => {
                // SAFETY: checked for NULL above.
                unsafe { *alldevsp = list };
                0
            }
            Err(e) => {
                // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
                unsafe { write_errbuf(errbuf, &e) };
                PCAP_ERROR
            }
        }
    })
}

/// pcap_freealldevs(): NULL-safe.
#[no_mangle]
pub extern "C" fn pcap_freealldevs(alldevs: *mut pcap_if) {
    guard_or((), || {
        // SAFETY: a list from pcap_findalldevs (or NULL), per the API.
        unsafe { devices::free_all(alldevs) }
    })
}

fn ipv4_ioctl(fd: c_int, device: &str, request: libc::c_ulong, what: &str) -> Result<u32, String> {
    // SAFETY: ifreq is plain old data.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(device.bytes().take(libc::IFNAMSIZ - 1)) {
        *d = s as c_char;
    }
    // SAFETY: a valid ifreq for an AF_INET socket ioctl.
    if unsafe { libc::ioctl(fd, request, &mut ifr) } < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) {
            return Err(format!("{device}: no IPv4 address assigned"));
        }
        return Err(format!("{what}: {device}: {}", crate::error::os_text(&e)));
    }
    // SAFETY: the ioctl filled ifru_addr with a sockaddr_in.
    let sin = unsafe { *(&ifr.ifr_ifru.ifru_addr as *const libc::sockaddr).cast::<libc::sockaddr_in>() };
    Ok(sin.sin_addr.s_addr)
}

/// pcap_lookupnet(): the IPv4 network and mask of `device` (both 0 for "any").
#[no_mangle]
pub extern "C" fn pcap_lookupnet(device: *const c_char, netp: *mut u32, maskp: *mut u32, errbuf: *mut c_char) -> c_int {
    guard_or(PCAP_ERROR, || {
        // SAFETY: device is NULL or a C string.
        let device = if device.is_null() { "any" } else { unsafe { c_str(device, "device") }.unwrap_or("any") };
        if netp.is_null() || maskp.is_null() {
            // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
            unsafe { write_errbuf(errbuf, "pcap_lookupnet: NULL net or mask pointer") };
            return PCAP_ERROR;
        }
        let result = if device == "any" {
            Ok((0, 0))
        } else {
            // SAFETY: a plain socket for interface ioctls, closed below.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
            if fd < 0 {
                Err(format!("socket: {}", std::io::Error::last_os_error()))
            } else {
                let r = ipv4_ioctl(fd, device, libc::SIOCGIFADDR, "SIOCGIFADDR").and_then(|addr| {
                    ipv4_ioctl(fd, device, libc::SIOCGIFNETMASK, "SIOCGIFNETMASK").map(|mask| (addr & mask, mask))
                });
                // SAFETY: closing our own socket.
                unsafe { libc::close(fd) };
                r
            }
        };
        match result {
            Ok((net, mask)) => {
                // SAFETY: both pointers were checked for NULL.
                unsafe {
                    *netp = net;
                    *maskp = mask;
                }
                0
            }
            Err(e) => {
                // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
                unsafe { write_errbuf(errbuf, &e) };
                PCAP_ERROR
            }
        }
    })
}

thread_local! {
    static LOOKUPDEV: RefCell<CString> = RefCell::new(CString::default());
}

/// pcap_lookupdev() (deprecated in libpcap): the first device of
/// pcap_findalldevs that is not a loopback device.
#[no_mangle]
pub extern "C" fn pcap_lookupdev(errbuf: *mut c_char) -> *mut c_char {
    guard_or(ptr::null_mut(), || {
        let mut list = ptr::null_mut();
        if pcap_findalldevs(&mut list, errbuf) != 0 {
            return ptr::null_mut();
        }
        let mut found = None;
        let mut cur = list;
        while !cur.is_null() {
            // SAFETY: a node of the list just built.
            let d = unsafe { &*cur };
            if d.flags & PCAP_IF_LOOPBACK == 0 {
                // SAFETY: the name is a C string.
                found = Some(unsafe { std::ffi::CStr::from_ptr(d.name) }.to_owned());
                break;
            }
            cur = d.next;
        }
        pcap_freealldevs(list);
        match found {
            Some(name) => LOOKUPDEV.with(|b| {
                *b.borrow_mut() = name;
                b.borrow().as_ptr() as *mut c_char
            }),
            None => {
                // SAFETY: errbuf is PCAP_ERRBUF_SIZE bytes per the API.
                unsafe { write_errbuf(errbuf, "no suitable device found") };
                ptr::null_mut()
            }
        }
    })
}
