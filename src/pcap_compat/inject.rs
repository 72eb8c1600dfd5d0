//! pcap_inject and pcap_sendpacket: one send() per frame on the capture
//! socket, as libpcap does, with libpcap's texts and ringcap's detail after
//! them.
//!
//! Not a TX ring: pcap_inject's return says "sent", and the program may
//! `_exit` right after it. A frame still waiting in a ring is lost when the
//! socket closes, so every call would have to kick the ring before
//! returning, and one kick per frame costs more than a plain send()
//! (bench/tx/README.md: 2.6 against 1.8 CPU s per million 64-byte frames).
//! send() also has the kernel check each frame against the device as it
//! is at that moment (its MTU plus link header, IFF_UP) and refuse only
//! that frame, where a ring stops at a refused frame and holds everything
//! queued behind it. And with no ring, activate maps nothing and starts no
//! thread for the many programs that never inject.
//!
//! The kernel does not loop a socket's own packets back to it
//! (dev_queue_xmit_nit skips the sending socket), so a handle does not
//! capture what it injects, as with libpcap.

use std::ffi::{c_int, c_void};

use crate::error::errno_text;
use crate::pcap_compat::abi::*;
use crate::pcap_compat::error::{PResult, PcapError};
use crate::pcap_compat::handle::{PcapState, Source};
use crate::socket::PacketSocket;

/// The caller's errno: libpcap's size errors end in its text, and
/// pcap_inject leaves send()'s errno for the caller (ENOBUFS means retry).
pub fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

/// pcap_inject(p, buf, size), after the handle lookup; `entry_errno` is
/// errno when the caller made the call.
pub fn pcap_inject(state: &PcapState, buf: *const c_void, size: usize, entry_errno: c_int) -> PResult<c_int> {
    if size > c_int::MAX as usize {
        let text = format!("More than {} bytes cannot be injected: {}", c_int::MAX, errno_text(entry_errno));
        return Err(PcapError::generic(text));
    }
    if size == 0 {
        let text = format!("The number of bytes to be injected must not be zero: {}", errno_text(entry_errno));
        return Err(PcapError::generic(text));
    }
    send(state, buf, size)
}

/// pcap_sendpacket(p, buf, size): 0 once the frame is sent.
pub fn pcap_sendpacket(state: &PcapState, buf: *const u8, size: c_int, entry_errno: c_int) -> PResult<c_int> {
    if size <= 0 {
        let text = format!("The number of bytes to be sent must be positive: {}", errno_text(entry_errno));
        return Err(PcapError::generic(text));
    }
    send(state, buf.cast(), size as usize).map(|_| 0)
}

/// Hands one whole link-layer frame to the kernel; returns its length.
fn send(state: &PcapState, buf: *const c_void, size: usize) -> PResult<c_int> {
    let live = match &state.source {
        Source::Live(live) => live,
        Source::Created => {
            return Err(PcapError::new(PCAP_ERROR_NOT_ACTIVATED, "This handle hasn't been activated yet"));
        }
        Source::Offline(_) => return Err(PcapError::generic("Sending packets isn't supported on savefiles")),
        Source::Dead => return Err(PcapError::generic("Packets can't be sent on a pcap_open_dead pcap_t")),
        Source::Netfilter(_) => return Err(PcapError::generic("inject not supported on netfilter devices")),
    };
    let device = &state.opts.device;
    if device == "any" {
        return Err(PcapError::generic("Sending packets isn't supported on the \"any\" device"));
    }
    if live.cooked.is_some() {
        return Err(PcapError::generic(format!(
            "Sending packets isn't supported in cooked mode (\"{device}\" has no link-layer header ringcap could send)"
        )));
    }
    let socket = &live.socket;
    // SAFETY: send() only reads `size` bytes from buf, and the kernel
    // checks that user memory itself (EFAULT), as it does for libpcap.
    let r = unsafe { libc::send(socket.fd(), buf, size, 0) };
    if r >= 0 {
        return Ok(r as c_int);
    }
    let e = errno();
    let mut text = format!("send: {}", errno_text(e));
    if let Some(detail) = why(socket, device, size, e) {
        text.push_str(&format!(" ({detail})"));
    }
    // The text above may have made system calls; the caller sees send()'s errno.
    set_errno(e);
    Err(PcapError::generic(text))
}

/// What the kernel's refusal means for this frame on this device now.
fn why(socket: &PacketSocket, device: &str, size: usize, e: c_int) -> Option<String> {
    let up = socket.interface_flags(device).ok().map(|f| f & libc::IFF_UP as u32 != 0);
    match e {
        libc::EMSGSIZE => {
            let iface = socket.interface(device).ok()?;
            let link = iface.link_header_len();
            Some(format!(
                "a {size}-byte frame; '{device}' sends at most {} bytes: its MTU {} + {link}-byte link header, 4 more with a VLAN tag",
                iface.mtu + link,
                iface.mtu
            ))
        }
        libc::ENETDOWN if up == Some(false) => Some(format!("'{device}' is down")),
        libc::ENETDOWN => Some(format!("'{device}' went down since the last send; it is up again")),
        libc::ENXIO | libc::ENODEV => Some(format!("'{device}' disappeared")),
        libc::EINVAL => {
            let link = socket.interface(device).ok()?.link_header_len();
            (size < link as usize).then(|| format!("a {size}-byte frame is shorter than the {link}-byte link header"))
        }
        libc::ENOBUFS => Some("the qdisc or the device dropped it, its queue being full; a retry may pass".to_string()),
        libc::EAGAIN => Some("the socket's send buffer is full in nonblocking mode; retry".to_string()),
        _ => None,
    }
}
