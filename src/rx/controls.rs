//! Changes to an open capture that go through its socket: the socket
//! filter (swapped without letting packets through that the old one
//! accepted) and link-layer memberships. The kernel side of each is a
//! function on the socket in `sockfilter` and `membership`; this module only
//! gives them the handle's socket, interface and ring.

use super::Capture;
use crate::error::{Error, Result};
use crate::filter::{self, LinkType};
use crate::membership::{self, Membership};
use crate::socket::SocketKind;
use crate::sockfilter::{self, Insn};
use crate::sys;

/// The longest V3 block timeout a filter change waits out.
const SETTLE_TIMEOUT_MAX_MS: u32 = 100;

impl Capture {
    /// Replaces the socket filter without letting a packet the old filter
    /// accepted through: a reject-all program goes in first, whatever the
    /// ring and the socket queue hold is discarded, then `prog` is attached
    /// (libpcap's approach). Returns the number of packets discarded. If the
    /// kernel refuses `prog` after validation passed, the handle is left
    /// with the reject-all filter and the error says so.
    pub fn set_filter(&mut self, prog: &[Insn]) -> Result<usize> {
        sockfilter::validate(prog)?;
        sockfilter::attach(self.socket(), &sockfilter::REJECT_ALL)?;
        // A V3 block being filled is handed over by its retire timer: allow
        // a few periods of a short one (8 ms is the kernel's choice when
        // asked for 0), which also lets a packet the old filter was still
        // passing land. Past that, or with a long timer (libpcap's to_ms 0
        // never fires), its packets so far are passed over when it is opened.
        let settle = match self.block_timeout_ms() {
            ms if ms <= SETTLE_TIMEOUT_MAX_MS => 4 * u64::from(ms.max(8)) + 20,
            _ => 0,
        };
        let discarded = self.discard_pending(settle);
        sockfilter::attach(self.socket(), prog).map_err(|e| {
            Error::new(e.code(), format!("{e}; the handle now rejects every packet until a filter is set"))
        })?;
        Ok(discarded)
    }

    /// The link type a socket filter on this capture sees: the kernel runs
    /// it on the packet as the ring gets it (the link-layer header with
    /// SOCK_RAW, the network header with SOCK_DGRAM), VLAN tags already in
    /// metadata.
    pub fn filter_link_type(&self) -> Result<LinkType> {
        match (self.kind(), self.interface().hatype as u32) {
            (SocketKind::Dgram, _) => Ok(LinkType::Raw),
            (SocketKind::Raw, _) if self.interface().index == 0 => Err(Error::invalid(
                "a SOCK_RAW capture on \"any\" has no single link type (each device's packets keep their own \
                 header), so a filter expression cannot be compiled for it; open it with \
                 RINGCAP_SOCKET_TYPE_DGRAM, or compile for one link type with ringcap_filter_compile()",
            )),
            (SocketKind::Raw, sys::ARPHRD_ETHER | sys::ARPHRD_LOOPBACK) => Ok(LinkType::Ethernet),
            (SocketKind::Raw, sys::ARPHRD_NONE) => Ok(LinkType::Raw),
            (SocketKind::Raw, other) => Err(Error::invalid(format!(
                "interface '{}' has hardware type {other}, whose link layer the filter compiler does not know; \
                 open it with RINGCAP_SOCKET_TYPE_DGRAM to filter on the network layer",
                self.interface().name
            ))),
        }
    }

    /// Compiles `expr` for this capture (its link type, the kernel's VLAN
    /// metadata, its snaplen) and swaps it in as [`Capture::set_filter`]
    /// does (what pcap_setfilter does with pcap_compile's program).
    pub fn set_filter_expression(&mut self, expr: &str, netmask: u32) -> Result<usize> {
        let mut opts = filter::Options::new(self.filter_link_type()?, self.snaplen(), netmask);
        opts.vlan_extensions = true;
        let program = filter::compile_with(expr, &opts)?;
        self.set_filter(program.instructions())
    }

    /// Removes the socket filter: every packet is captured again.
    pub fn remove_filter(&mut self) -> Result<()> {
        sockfilter::detach(self.socket())
    }

    /// Locks the current filter (SO_LOCK_FILTER) for the life of the handle.
    pub fn lock_filter(&mut self) -> Result<()> {
        sockfilter::lock(self.socket())
    }
}

impl Capture {
    /// Adds (`on`) or drops a membership on an open capture's device.
    pub fn set_membership(&mut self, m: Membership, on: bool) -> Result<()> {
        if on {
            membership::add(self.socket(), self.interface(), m)
        } else {
            membership::drop(self.socket(), self.interface(), m)
        }
    }
}
