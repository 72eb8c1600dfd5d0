//! The AF_PACKET socket: creation, socket options, binding and interface
//! queries. Every system call on the packet socket goes through here.

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::error::{Error, ErrorCode, Result};
use crate::sys;

/// SOCK_RAW delivers the link-layer header; SOCK_DGRAM strips it and
/// reports it in the sockaddr_ll instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    Raw,
    Dgram,
}

impl SocketKind {
    /// From the C API's ringcap_socket_type value.
    pub fn from_number(n: i32) -> Result<SocketKind> {
        match n {
            0 => Ok(SocketKind::Raw),
            1 => Ok(SocketKind::Dgram),
            _ => Err(Error::invalid(format!(
                "socket type {n} is unknown; valid: RINGCAP_SOCKET_TYPE_RAW (0), RINGCAP_SOCKET_TYPE_DGRAM (1)"
            ))),
        }
    }

    fn libc_type(self) -> i32 {
        match self {
            SocketKind::Raw => libc::SOCK_RAW,
            SocketKind::Dgram => libc::SOCK_DGRAM,
        }
    }
}

/// Checks the form of an interface name (1 to IFNAMSIZ-1 bytes); a sender
/// also needs one device rather than "any".
pub fn check_interface_name(name: &str, sending: bool) -> Result<()> {
    let max = libc::IFNAMSIZ - 1;
    if name.is_empty() || name.len() > max {
        return Err(Error::invalid(format!("interface name '{name}' must be 1 to {max} characters")));
    }
    if sending && name == "any" {
        return Err(Error::invalid(format!("interface name '{name}' must name one device: \"any\" cannot send")));
    }
    Ok(())
}

/// An interface, resolved once at open time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// 0 for "any".
    pub index: i32,
    pub mtu: u32,
    /// ARPHRD_* of the device (ARPHRD_ETHER for veth).
    pub hatype: u16,
}

impl Interface {
    /// The "any" pseudo-interface: all devices, cooked (SLL) link layer.
    pub fn any() -> Interface {
        Interface { name: "any".into(), index: 0, mtu: 65535, hatype: sys::ARPHRD_VOID as u16 }
    }

    /// Bytes of link-layer header a SOCK_RAW capture sees before the network header.
    pub fn link_header_len(&self) -> u32 {
        match self.hatype as u32 {
            sys::ARPHRD_ETHER | sys::ARPHRD_LOOPBACK => sys::ETH_HLEN,
            sys::ARPHRD_NONE | sys::ARPHRD_VOID => 0,
            _ => 16,
        }
    }
}

pub struct PacketSocket {
    fd: OwnedFd,
}

fn check(ret: libc::c_int, what: &str) -> Result<libc::c_int> {
    if ret < 0 {
        Err(Error::last_os(what))
    } else {
        Ok(ret)
    }
}

impl PacketSocket {
    /// A packet socket that receives nothing yet: protocol 0 means no
    /// packets are queued until bind names the protocol, so the statistics
    /// start clean when the ring exists.
    pub fn new(kind: SocketKind) -> Result<PacketSocket> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let fd = unsafe { libc::socket(libc::AF_PACKET, kind.libc_type() | libc::SOCK_CLOEXEC, 0) };
        let fd = check(fd, "socket(AF_PACKET)").map_err(|e| {
            if e.code() == ErrorCode::Permission {
                let text = format!("{e}: capturing needs CAP_NET_RAW");
                e.reworded(text)
            } else {
                e
            }
        })?;
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        Ok(PacketSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// A socket for the interface lookups and ioctls only (SIOCGIF*),
    /// never for packets: AF_UNIX, because closing an AF_PACKET socket
    /// waits for an RCU grace period (synchronize_net in packet_release),
    /// about 10 ms that a lookup should not cost.
    pub fn for_ioctls() -> Result<PacketSocket> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let fd =
            check(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) }, "socket(AF_UNIX)")?;
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        Ok(PacketSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// setsockopt(level, name, value) for any plain-old-data option value.
    pub fn set_option<T: Copy>(&self, level: i32, name: u32, value: &T, what: &str) -> Result<()> {
        self.set_option_os(level, name, value).map_err(|e| Error::os(what, e))
    }

    /// set_option keeping the raw errno, for callers whose kernel codes
    /// tell the mistakes apart (fanout, filter removal).
    pub fn set_option_os<T: Copy>(&self, level: i32, name: u32, value: &T) -> io::Result<()> {
        // SAFETY: `value` points to a live T of exactly the length passed.
        let r = unsafe {
            libc::setsockopt(
                self.fd(),
                level,
                name as i32,
                (value as *const T).cast(),
                size_of::<T>() as libc::socklen_t,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// setsockopt(SOL_PACKET, name, value).
    pub fn set_packet_option<T: Copy>(&self, name: u32, value: &T, what: &str) -> Result<()> {
        self.set_option(sys::SOL_PACKET as i32, name, value, what)
    }

    /// getsockopt(level, name) into a T; returns the length the kernel wrote.
    pub fn get_option<T: Copy>(&self, level: i32, name: i32, value: &mut T, what: &str) -> Result<usize> {
        let mut len = size_of::<T>() as libc::socklen_t;
        // SAFETY: `value` is valid for writes of `len` bytes and len is updated by the kernel.
        let r = unsafe { libc::getsockopt(self.fd(), level, name, (value as *mut T).cast(), &mut len) };
        check(r, what).map(|_| len as usize)
    }

    /// getsockopt(SOL_PACKET, name) into a T; returns the length the kernel wrote.
    pub fn get_packet_option<T: Copy>(&self, name: u32, value: &mut T, what: &str) -> Result<usize> {
        self.get_option(sys::SOL_PACKET as i32, name as i32, value, what)
    }

    /// Binds to `ifindex` (0 = all) for `protocol` (host order EtherType, ETH_P_ALL for all).
    pub fn bind(&self, ifindex: i32, protocol: u16) -> Result<()> {
        let sll = link_address(ifindex, protocol, &[]);
        // SAFETY: sll is a valid sockaddr_ll of the length passed.
        let r = unsafe {
            libc::bind(
                self.fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        check(r, "bind(AF_PACKET)").map(|_| ())
    }

    /// Resolves an interface name, with its MTU and hardware type.
    pub fn interface(&self, name: &str) -> Result<Interface> {
        if name == "any" {
            return Ok(Interface::any());
        }
        if name.is_empty()
            || name.len() >= libc::IFNAMSIZ
            || name.contains('/')
            || name.chars().any(char::is_whitespace)
        {
            return Err(Error::new(
                ErrorCode::UnknownInterface,
                format!(
                    "'{name}' is not a valid interface name: names are 1 to {} characters without '/' or spaces",
                    libc::IFNAMSIZ - 1
                ),
            ));
        }
        let cname = CString::new(name).map_err(|_| Error::invalid("interface name contains a NUL byte"))?;
        // SAFETY: cname is a valid NUL-terminated string.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            return Err(Error::new(
                ErrorCode::UnknownInterface,
                format!("no interface named '{name}' (list them with `ip link`, or use \"any\")"),
            ));
        }
        let mtu = self.mtu(name)?;
        let mut ifr = ifreq(name);
        self.ioctl(libc::SIOCGIFHWADDR, &mut ifr, "SIOCGIFHWADDR")?;
        // SAFETY: SIOCGIFHWADDR filled the ifru_hwaddr member of the union.
        let hatype = unsafe { ifr.ifr_ifru.ifru_hwaddr.sa_family };
        Ok(Interface { name: name.to_string(), index: index as i32, mtu, hatype })
    }

    /// The device's IFF_* flags (SIOCGIFFLAGS).
    pub fn interface_flags(&self, name: &str) -> Result<u32> {
        let mut ifr = ifreq(name);
        self.ioctl(libc::SIOCGIFFLAGS, &mut ifr, "SIOCGIFFLAGS")?;
        // SAFETY: SIOCGIFFLAGS filled the ifru_flags member of the union.
        Ok(unsafe { ifr.ifr_ifru.ifru_flags } as u16 as u32)
    }

    /// The device's MTU (SIOCGIFMTU).
    pub fn mtu(&self, name: &str) -> Result<u32> {
        let mut ifr = ifreq(name);
        self.ioctl(libc::SIOCGIFMTU, &mut ifr, "SIOCGIFMTU")?;
        // SAFETY: SIOCGIFMTU filled the ifru_mtu member of the union.
        Ok(unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32)
    }

    /// The link state (ETHTOOL_GLINK): carrier or not, None if the device cannot say.
    pub fn link_detected(&self, name: &str) -> Option<bool> {
        self.ethtool_value(name, sys::ETHTOOL_GLINK).ok().map(|data| data != 0)
    }

    /// Whether the device hands up packets larger than its MTU (GRO/GSO/TSO/UFO),
    /// in which case frames must hold 64 KiB packets to avoid truncation.
    pub fn device_aggregates(&self, name: &str) -> bool {
        [sys::ETHTOOL_GTSO, sys::ETHTOOL_GUFO, sys::ETHTOOL_GGSO, sys::ETHTOOL_GGRO]
            .iter()
            .any(|&cmd| self.ethtool_value(name, cmd).is_ok_and(|data| data != 0))
    }

    /// A simple ETHTOOL_G* command (struct ethtool_value): its `data`.
    pub fn ethtool_value(&self, name: &str, cmd: u32) -> io::Result<u32> {
        let mut value = sys::ethtool_value { cmd, data: 0 };
        // SAFETY: SIOCETHTOOL with a command of the ethtool_value family
        // reads and writes exactly a struct ethtool_value.
        unsafe { self.ifreq_data_ioctl(name, sys::SIOCETHTOOL, &mut value) }?;
        Ok(value.data)
    }

    /// ETHTOOL_GET_TS_INFO: the device's time-stamping capabilities.
    pub fn ethtool_ts_info(&self, name: &str) -> io::Result<sys::ethtool_ts_info> {
        let mut info = sys::ethtool_ts_info { cmd: sys::ETHTOOL_GET_TS_INFO, ..Default::default() };
        // SAFETY: ETHTOOL_GET_TS_INFO writes at most a struct ethtool_ts_info.
        unsafe { self.ifreq_data_ioctl(name, sys::SIOCETHTOOL, &mut info) }?;
        Ok(info)
    }

    /// SIOCGHWTSTAMP: the device's current hardware time-stamping setup.
    pub fn hwtstamp_get(&self, name: &str) -> io::Result<sys::hwtstamp_config> {
        let mut cfg = sys::hwtstamp_config::default();
        // SAFETY: SIOCGHWTSTAMP writes a struct hwtstamp_config.
        unsafe { self.ifreq_data_ioctl(name, sys::SIOCGHWTSTAMP, &mut cfg) }?;
        Ok(cfg)
    }

    /// SIOCSHWTSTAMP: asks for `cfg`; the driver writes back what it applied.
    pub fn hwtstamp_set(&self, name: &str, cfg: &mut sys::hwtstamp_config) -> io::Result<()> {
        // SAFETY: SIOCSHWTSTAMP reads and writes a struct hwtstamp_config.
        unsafe { self.ifreq_data_ioctl(name, sys::SIOCSHWTSTAMP, cfg) }
    }

    /// An interface ioctl whose ifreq points to `data`.
    ///
    /// # Safety
    /// `T` is the struct the kernel reads and writes for `request` (and for
    /// the command inside it, for SIOCETHTOOL).
    unsafe fn ifreq_data_ioctl<T>(&self, name: &str, request: u32, data: &mut T) -> io::Result<()> {
        let mut ifr = ifreq(name);
        ifr.ifr_ifru.ifru_data = (data as *mut T).cast();
        // SAFETY: ifr and *data live across the call; the caller vouches
        // that the kernel writes within *data.
        let r = unsafe { libc::ioctl(self.fd(), request as libc::c_ulong, &mut ifr as *mut libc::ifreq) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    fn ioctl(&self, request: libc::c_ulong, ifr: &mut libc::ifreq, what: &str) -> Result<()> {
        // SAFETY: ifr is a valid ifreq for the duration of the call.
        let r = unsafe { libc::ioctl(self.fd(), request, ifr as *mut libc::ifreq) };
        check(r, what).map(|_| ())
    }

    /// Sets or clears O_NONBLOCK.
    pub fn set_nonblocking(&self, on: bool) -> Result<()> {
        // SAFETY: fcntl on a descriptor we own.
        let flags = check(unsafe { libc::fcntl(self.fd(), libc::F_GETFL) }, "fcntl(F_GETFL)")?;
        let flags = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
        // SAFETY: as above.
        check(unsafe { libc::fcntl(self.fd(), libc::F_SETFL, flags) }, "fcntl(F_SETFL)").map(|_| ())
    }

    /// Makes the socket's receive buffer hold at least `bytes` (the kernel
    /// doubles the value for its bookkeeping). SO_RCVBUFFORCE passes
    /// net.core.rmem_max with CAP_NET_ADMIN; without it SO_RCVBUF gets what
    /// rmem_max allows. Never shrinks the buffer. Returns the size granted.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<usize> {
        let current = self.receive_buffer()?;
        if current >= bytes.saturating_mul(2) {
            return Ok(current);
        }
        let want = i32::try_from(bytes).unwrap_or(i32::MAX).min(i32::MAX / 2);
        if self.set_option(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE as u32, &want, "setsockopt(SO_RCVBUFFORCE)").is_err()
        {
            self.set_option(libc::SOL_SOCKET, libc::SO_RCVBUF as u32, &want, "setsockopt(SO_RCVBUF)")?;
        }
        self.receive_buffer()
    }

    /// SO_RCVBUF as the kernel reports it.
    pub fn receive_buffer(&self) -> Result<usize> {
        let mut v: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: v is valid for writes of len bytes.
        let r = unsafe {
            libc::getsockopt(
                self.fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        check(r, "getsockopt(SO_RCVBUF)").map(|_| v.max(0) as usize)
    }

    /// The largest MTU of this namespace's devices other than loopback
    /// (at least 1500, Ethernet's): what an "any" capture's frames hold.
    pub fn largest_mtu_except_loopback(&self) -> u32 {
        let mut largest = 1500;
        // SAFETY: if_nameindex returns a list ended by a zero entry, freed below.
        let list = unsafe { libc::if_nameindex() };
        if list.is_null() {
            return largest;
        }
        let mut at = list;
        // SAFETY: walking the list up to its terminating entry.
        while unsafe { (*at).if_index } != 0 {
            // SAFETY: if_name is a NUL-terminated string owned by the list.
            let name = unsafe { std::ffi::CStr::from_ptr((*at).if_name) }.to_string_lossy().into_owned();
            let loopback = self.interface_flags(&name).map_or(true, |f| f & libc::IFF_LOOPBACK as u32 != 0);
            if !loopback {
                if let Ok(mtu) = self.mtu(&name) {
                    largest = largest.max(mtu);
                }
            }
            // SAFETY: still inside the list (this entry was not the terminator).
            at = unsafe { at.add(1) };
        }
        // SAFETY: list came from if_nameindex and is freed once.
        unsafe { libc::if_freenameindex(list) };
        largest
    }

    /// The pending socket error (SO_ERROR), e.g. ENETDOWN after the device vanished.
    pub fn take_error(&self) -> Option<io::Error> {
        let mut err: libc::c_int = 0;
        let got = self.get_option(libc::SOL_SOCKET, libc::SO_ERROR, &mut err, "getsockopt(SO_ERROR)");
        (got.is_ok() && err != 0).then(|| io::Error::from_raw_os_error(err))
    }

    /// The interface index the socket is bound to, as the kernel now sees
    /// it: -1 once the device was unregistered (deleted, or moved to
    /// another network namespace), which is how a vanished device is told
    /// from one that only went down.
    pub fn bound_ifindex(&self) -> Result<i32> {
        Ok(self.bound_address()?.sll_ifindex)
    }

    /// What the socket is bound to (getsockname): protocol 0 means not
    /// bound, so not running.
    pub fn bound_address(&self) -> Result<libc::sockaddr_ll> {
        let mut addr = link_address(0, 0, &[]);
        let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: addr is valid for writes of len bytes.
        let r = unsafe { libc::getsockname(self.fd(), (&mut addr as *mut libc::sockaddr_ll).cast(), &mut len) };
        if r != 0 {
            return Err(Error::last_os("getsockname(AF_PACKET)"));
        }
        Ok(addr)
    }

    /// Takes the next packet queued on the socket itself (not in the
    /// ring) without waiting, into `buf`: (bytes copied, the packet's whole
    /// length, thanks to MSG_TRUNC); None when nothing is queued.
    pub fn recv_queued(&self, buf: &mut [u8]) -> Option<(usize, usize)> {
        // SAFETY: the buffer is valid for writes of its length.
        let n =
            unsafe { libc::recv(self.fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_TRUNC | libc::MSG_DONTWAIT) };
        (n >= 0).then(|| ((n as usize).min(buf.len()), n as usize))
    }

    /// Asks the kernel to send the TX ring's SEND_REQUEST frames: a send()
    /// without data (sendto `dest` for SOCK_DGRAM). `wait`: block until all
    /// of them are done.
    pub fn send_ring(&self, dest: Option<&libc::sockaddr_ll>, wait: bool) -> io::Result<()> {
        let flags = if wait { 0 } else { libc::MSG_DONTWAIT };
        let r = match dest {
            // SAFETY: sendto with no data and a valid sockaddr_ll of the length passed.
            Some(sll) => unsafe {
                libc::sendto(
                    self.fd(),
                    std::ptr::null(),
                    0,
                    flags,
                    (sll as *const libc::sockaddr_ll).cast(),
                    size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                )
            },
            // SAFETY: send with no data on our socket.
            None => unsafe { libc::send(self.fd(), std::ptr::null(), 0, flags) },
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

/// An AF_PACKET address: `ifindex`, `protocol` (host order) and a
/// link-layer address of at most 8 bytes (longer is cut).
pub fn link_address(ifindex: i32, protocol: u16, addr: &[u8]) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = protocol.to_be();
    sll.sll_ifindex = ifindex;
    let n = addr.len().min(sll.sll_addr.len());
    sll.sll_halen = n as u8;
    sll.sll_addr[..n].copy_from_slice(&addr[..n]);
    sll
}

fn ifreq(name: &str) -> libc::ifreq {
    // SAFETY: ifreq is plain old data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(name.bytes().take(libc::IFNAMSIZ - 1)) {
        *dst = src as libc::c_char;
    }
    ifr
}

/// What the socket layer does without a packet socket or a namespace:
/// option encodings, names, addresses, and how OS errors come back. The
/// system calls run on AF_UNIX sockets, which touch no interface.
#[cfg(test)]
mod tests {
    use super::*;

    /// A connected AF_UNIX datagram pair as sockets of this module (the
    /// calls are the same on any socket).
    fn pair() -> (PacketSocket, PacketSocket) {
        let mut fds = [0; 2];
        // SAFETY: fds has room for the two descriptors socketpair writes.
        let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
        assert_eq!(r, 0, "socketpair: {}", io::Error::last_os_error());
        // SAFETY: fresh descriptors that nothing else owns.
        unsafe {
            (PacketSocket { fd: OwnedFd::from_raw_fd(fds[0]) }, PacketSocket { fd: OwnedFd::from_raw_fd(fds[1]) })
        }
    }

    #[test]
    fn socket_types_are_the_c_apis_numbers() {
        assert_eq!(SocketKind::from_number(0).unwrap(), SocketKind::Raw);
        assert_eq!(SocketKind::from_number(1).unwrap(), SocketKind::Dgram);
        let e = SocketKind::from_number(2).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.message().contains("socket type 2 is unknown") && e.message().contains("DGRAM (1)"), "{e}");
        assert_eq!((SocketKind::Raw.libc_type(), SocketKind::Dgram.libc_type()), (libc::SOCK_RAW, libc::SOCK_DGRAM));
    }

    #[test]
    fn interface_names_are_checked_with_the_limit() {
        assert!(check_interface_name("eth0", true).is_ok());
        assert!(check_interface_name(&"x".repeat(15), false).is_ok());
        for bad in ["", &"x".repeat(16)] {
            let e = check_interface_name(bad, false).unwrap_err();
            assert!(e.message().contains("must be 1 to 15 characters"), "{e}");
        }
        assert!(check_interface_name("any", false).is_ok());
        assert!(check_interface_name("any", true).unwrap_err().message().contains("cannot send"));
    }

    #[test]
    fn link_header_lengths_follow_the_hardware_type() {
        let iface = |hatype: u32| Interface { name: "x".into(), index: 1, mtu: 1500, hatype: hatype as u16 };
        assert_eq!(iface(sys::ARPHRD_ETHER).link_header_len(), 14);
        assert_eq!(iface(sys::ARPHRD_LOOPBACK).link_header_len(), 14);
        assert_eq!(iface(sys::ARPHRD_NONE).link_header_len(), 0);
        assert_eq!(Interface::any().link_header_len(), 0, "\"any\" is cooked");
        assert_eq!(iface(sys::ARPHRD_IEEE80211_RADIOTAP).link_header_len(), 16);
    }

    #[test]
    fn link_addresses_are_encoded_as_the_kernel_reads_them() {
        let sll = link_address(7, 0x88b5, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(sll.sll_family, libc::AF_PACKET as u16);
        assert_eq!(sll.sll_protocol.to_ne_bytes(), [0x88, 0xb5], "network byte order");
        assert_eq!((sll.sll_ifindex, sll.sll_halen), (7, 6));
        assert_eq!(sll.sll_addr, [1, 2, 3, 4, 5, 6, 0, 0]);
        let long = link_address(1, 0, &[9; 12]);
        assert_eq!((long.sll_halen, long.sll_addr), (8, [9; 8]), "cut at sll_addr's 8 bytes");
    }

    #[test]
    fn ifreq_names_are_cut_and_terminated() {
        let ifr = ifreq("a-very-long-interface-name");
        let name: Vec<u8> = ifr.ifr_name.iter().map(|&c| c as u8).collect();
        assert_eq!(&name[..15], b"a-very-long-int");
        assert_eq!(name[15], 0, "IFNAMSIZ keeps the NUL");
    }

    #[test]
    fn os_errors_keep_the_errno_and_name_the_call() {
        let s = PacketSocket::for_ioctls().unwrap();
        // A packet option on a non-packet socket: the kernel's EOPNOTSUPP.
        let e = s.set_packet_option(sys::PACKET_VERSION, &2i32, "setsockopt(PACKET_VERSION)").unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unsupported, "{e}");
        assert_eq!(e.errno(), Some(libc::EOPNOTSUPP));
        assert!(e.message().starts_with("setsockopt(PACKET_VERSION): "), "{e}");
        let raw = s.set_option_os(sys::SOL_PACKET as i32, sys::PACKET_VERSION, &2i32).unwrap_err();
        assert_eq!(raw.raw_os_error(), Some(libc::EOPNOTSUPP), "the raw call keeps the kernel's code");
        // SAFETY: fcntl on an fd that is never valid; it only sets errno.
        let e = check(unsafe { libc::fcntl(-1, libc::F_GETFL) }, "fcntl(F_GETFL)").unwrap_err();
        assert_eq!((e.code(), e.errno()), (ErrorCode::Io, Some(libc::EBADF)), "{e}");
        assert!(e.message().starts_with("fcntl(F_GETFL): "), "{e}");
        assert!(s.take_error().is_none(), "a fresh socket has no pending error");
    }

    #[test]
    fn unknown_interfaces_are_named_in_the_error() {
        let s = PacketSocket::for_ioctls().unwrap();
        let e = s.interface("rc-no-such-if").unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownInterface);
        assert!(e.message().contains("no interface named 'rc-no-such-if'"), "{e}");
        let e = s.interface("bad/name").unwrap_err();
        assert!(e.message().contains("not a valid interface name"), "{e}");
        let e = s.mtu("rc-no-such-if").unwrap_err();
        assert_eq!((e.code(), e.errno()), (ErrorCode::UnknownInterface, Some(libc::ENODEV)), "{e}");
        assert_eq!(s.interface("any").unwrap(), Interface::any());
    }

    #[test]
    fn queued_packets_report_their_whole_length() {
        let (a, b) = pair();
        assert_eq!(b.recv_queued(&mut [0; 8]), None, "nothing queued: no wait, no packet");
        let data: Vec<u8> = (0..100).collect();
        // SAFETY: sending 100 readable bytes on our socket.
        assert_eq!(unsafe { libc::send(a.fd(), data.as_ptr().cast(), data.len(), 0) }, 100);
        let mut buf = [0u8; 8];
        assert_eq!(b.recv_queued(&mut buf), Some((8, 100)), "copied 8, MSG_TRUNC tells the packet's 100");
        assert_eq!(buf, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(b.recv_queued(&mut buf), None, "the rest of a datagram is gone with it");
    }

    #[test]
    fn nonblocking_and_buffer_sizes_round_trip() {
        let (_a, b) = pair();
        b.set_nonblocking(true).unwrap();
        // SAFETY: fcntl on our descriptor.
        assert_ne!(unsafe { libc::fcntl(b.fd(), libc::F_GETFL) } & libc::O_NONBLOCK, 0);
        b.set_nonblocking(false).unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::fcntl(b.fd(), libc::F_GETFL) } & libc::O_NONBLOCK, 0);
        let before = b.receive_buffer().unwrap();
        assert_eq!(b.set_receive_buffer(1024).unwrap(), before, "never shrinks");
        let grown = b.set_receive_buffer(4 << 20).unwrap();
        assert!(grown >= 8 << 20, "SO_RCVBUFFORCE as root: the kernel doubles 4 MiB, got {grown}");
    }
}
