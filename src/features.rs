//! The optional kernel features a capture can be opened with, gathered in
//! one configuration group so the open pipeline gains only two steps:
//! `before_bind` (everything that must hold for the first packet) and
//! `after_bind` (what the kernel only allows on a running socket).

use crate::direction::{self, Direction};
use crate::error::{Error, Result};
use crate::fanout::{self, Fanout};
use crate::membership::{self, Membership};
use crate::socket::{Interface, PacketSocket, SocketKind};
use crate::sockfilter::{self, Insn};
use crate::sys;
use crate::timestamp::{self, TimestampSource};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    pub direction: Direction,
    pub timestamp: TimestampSource,
    /// Put VLAN tags the kernel took out back into the packet data (SOCK_RAW only).
    pub vlan_reinsert: bool,
    pub promiscuous: bool,
    pub all_multicast: bool,
    pub multicast: Vec<[u8; 6]>,
    /// Classic BPF socket filter attached before bind, so no packet ever
    /// reaches the ring unfiltered.
    pub filter: Option<Vec<Insn>>,
    pub lock_filter: bool,
    pub fanout: Option<Fanout>,
    /// PACKET_ORIGDEV: report the device a packet arrived on (a bond or
    /// VLAN device's lower device) in sll_ifindex, not the upper device.
    pub origdev: bool,
    /// PACKET_VNET_HDR: the kernel writes a virtio-net header (GSO and
    /// checksum state) in front of each packet (SOCK_RAW only).
    pub vnet_header: bool,
}

/// What the open pipeline learned while applying the features.
#[derive(Debug, Default)]
pub struct Applied {
    /// Set when hardware timestamps were asked for and software ones are used.
    pub timestamp_warning: Option<Error>,
    /// The fanout group joined (the kernel's id with UNIQUEID).
    pub fanout_group: Option<u16>,
}

impl Features {
    /// Checks what needs no kernel.
    pub fn check(&self, kind: SocketKind) -> Result<()> {
        if self.vnet_header && kind == SocketKind::Dgram {
            return Err(Error::invalid(
                "virtio-net headers (PACKET_VNET_HDR) need SOCK_RAW: the kernel refuses them on SOCK_DGRAM sockets",
            ));
        }
        if self.vlan_reinsert && kind == SocketKind::Dgram {
            return Err(Error::invalid(
                "VLAN tag re-insertion needs SOCK_RAW: a SOCK_DGRAM capture has no link-layer header to put the tag in",
            ));
        }
        if let Some(p) = &self.filter {
            sockfilter::validate(p)?;
        }
        if self.lock_filter && self.filter.is_none() {
            return Err(Error::invalid("locking the socket filter needs a filter; set one first"));
        }
        for m in &self.multicast {
            membership::check_multicast(m)?;
        }
        if let Some(f) = &self.fanout {
            f.check()?;
        }
        Ok(())
    }

    fn memberships(&self) -> impl Iterator<Item = Membership> + '_ {
        let promisc = self.promiscuous.then_some(Membership::Promiscuous);
        let allmulti = self.all_multicast.then_some(Membership::AllMulticast);
        promisc.into_iter().chain(allmulti).chain(self.multicast.iter().map(|m| Membership::Multicast(*m)))
    }

    /// Socket options that must be in place before packets start to flow.
    pub fn before_bind(&self, socket: &PacketSocket, iface: &Interface, applied: &mut Applied) -> Result<()> {
        if let Some(p) = &self.filter {
            sockfilter::attach(socket, p)?;
            if self.lock_filter {
                sockfilter::lock(socket)?;
            }
        }
        direction::configure(socket, self.direction)?;
        if self.origdev {
            socket.set_packet_option(sys::PACKET_ORIGDEV, &1i32, "setsockopt(PACKET_ORIGDEV)")?;
        }
        // Before the ring: the kernel refuses PACKET_VNET_HDR (EBUSY) once one exists.
        if self.vnet_header {
            socket.set_packet_option(sys::PACKET_VNET_HDR, &1i32, "setsockopt(PACKET_VNET_HDR)")?;
        }
        applied.timestamp_warning = timestamp::configure(socket, iface, self.timestamp)?;
        for m in self.memberships() {
            membership::add(socket, iface, m)?;
        }
        Ok(())
    }

    /// Steps the kernel allows only on a bound socket.
    pub fn after_bind(&self, socket: &PacketSocket, applied: &mut Applied) -> Result<()> {
        if let Some(f) = &self.fanout {
            applied.fanout_group = Some(fanout::join(socket, f)?);
        }
        Ok(())
    }
}

/// What the readers apply to each packet, fixed at open.
#[derive(Debug, Default)]
pub struct ReadOptions {
    pub direction: Direction,
    /// Some when VLAN re-insertion is on: the buffer tagged packets are rebuilt in.
    pub vlan_buffer: Option<Vec<u8>>,
    /// A virtio-net header precedes each packet (PACKET_VNET_HDR).
    pub vnet: bool,
}

impl ReadOptions {
    pub fn new(f: &Features) -> ReadOptions {
        ReadOptions { direction: f.direction, vlan_buffer: f.vlan_reinsert.then(Vec::new), vnet: f.vnet_header }
    }
}
