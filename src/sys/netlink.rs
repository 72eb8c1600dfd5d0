//! A netlink socket to the kernel (NETLINK_NETFILTER for the nflog and
//! nfqueue pseudo-devices) behind safe calls, with the errno kept for the
//! caller's libpcap-style messages.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct NetlinkSocket {
    fd: OwnedFd,
}

fn check(r: isize) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

impl NetlinkSocket {
    /// socket(AF_NETLINK, SOCK_RAW, protocol).
    pub fn open(protocol: u32) -> io::Result<NetlinkSocket> {
        // SAFETY: socket() takes no pointers; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, protocol as i32) };
        check(fd as isize)?;
        // SAFETY: fd is a fresh descriptor nothing else owns.
        Ok(NetlinkSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Sends one message to the kernel (netlink port 0).
    pub fn send_to_kernel(&self, m: &[u8]) -> io::Result<()> {
        // SAFETY: a zeroed sockaddr_nl is valid; with port 0 it addresses the kernel.
        let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        to.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: m and `to` are live for the call, with the lengths passed.
        let r = unsafe {
            libc::sendto(
                self.fd(),
                m.as_ptr().cast(),
                m.len(),
                0,
                (&to as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        check(r).map(|_| ())
    }

    /// recv() into `buf`; `dontwait`: MSG_DONTWAIT. Returns the bytes read.
    pub fn recv(&self, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
        let flags = if dontwait { libc::MSG_DONTWAIT } else { 0 };
        // SAFETY: buf is writable for its length.
        check(unsafe { libc::recv(self.fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })
    }

    /// SO_RCVBUF.
    pub fn set_receive_buffer(&self, bytes: usize) -> io::Result<()> {
        let v = bytes.min(i32::MAX as usize) as libc::c_int;
        // SAFETY: v is a live c_int of the length passed.
        let r = unsafe {
            libc::setsockopt(
                self.fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        check(r as isize).map(|_| ())
    }
}
