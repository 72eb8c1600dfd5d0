//! Link-layer memberships (PACKET_ADD_MEMBERSHIP): promiscuous mode,
//! all-multicast, and single multicast addresses. They are counted per
//! device by the kernel and belong to the socket, so closing the socket
//! drops them; nothing is left behind if the process dies.

use crate::error::{Error, ErrorCode, Result};
use crate::socket::{Interface, PacketSocket};
use crate::sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Receive every frame, whatever its destination.
    Promiscuous,
    /// Receive every multicast frame.
    AllMulticast,
    /// Receive frames for this multicast MAC address.
    Multicast([u8; 6]),
}

impl Membership {
    fn mreq(self, ifindex: i32) -> sys::packet_mreq {
        let mut m = sys::packet_mreq { mr_ifindex: ifindex, ..Default::default() };
        match self {
            Membership::Promiscuous => m.mr_type = sys::PACKET_MR_PROMISC as u16,
            Membership::AllMulticast => m.mr_type = sys::PACKET_MR_ALLMULTI as u16,
            Membership::Multicast(mac) => {
                m.mr_type = sys::PACKET_MR_MULTICAST as u16;
                m.mr_alen = 6;
                m.mr_address[..6].copy_from_slice(&mac);
            }
        }
        m
    }

    fn describe(self) -> String {
        match self {
            Membership::Promiscuous => "promiscuous mode".into(),
            Membership::AllMulticast => "all-multicast mode".into(),
            Membership::Multicast(m) => format!(
                "multicast address {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
        }
    }
}

/// Checks a multicast MAC: the group bit (lowest bit of the first byte) must be set.
pub fn check_multicast(mac: &[u8; 6]) -> Result<()> {
    if mac[0] & 1 == 0 {
        return Err(Error::invalid(format!(
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} is not a multicast MAC address (the lowest bit of the first byte must be 1)",
            mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
        )));
    }
    Ok(())
}

fn needs_device(iface: &Interface, m: Membership) -> Result<()> {
    if iface.index == 0 {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "{} applies to one device; it cannot be set on \"any\" (open the capture on a named interface)",
                m.describe()
            ),
        ));
    }
    Ok(())
}

/// Adds a membership on the capture's device.
pub fn add(socket: &PacketSocket, iface: &Interface, m: Membership) -> Result<()> {
    needs_device(iface, m)?;
    if let Membership::Multicast(mac) = m {
        check_multicast(&mac)?;
    }
    socket
        .set_packet_option(sys::PACKET_ADD_MEMBERSHIP, &m.mreq(iface.index), "setsockopt(PACKET_ADD_MEMBERSHIP)")
        .map_err(|e| Error::new(e.code(), format!("enabling {} on '{}': {e}", m.describe(), iface.name)))
}

/// Drops a membership this socket added earlier. The kernel counts them
/// per socket, so dropping one the socket does not hold changes nothing.
pub fn drop(socket: &PacketSocket, iface: &Interface, m: Membership) -> Result<()> {
    needs_device(iface, m)?;
    socket
        .set_packet_option(sys::PACKET_DROP_MEMBERSHIP, &m.mreq(iface.index), "setsockopt(PACKET_DROP_MEMBERSHIP)")
        .map_err(|e| {
            Error::new(
                if e.errno() == Some(libc::EADDRNOTAVAIL) { ErrorCode::WrongState } else { e.code() },
                format!(
                    "dropping {} on '{}': {e} (only memberships this handle added can be dropped)",
                    m.describe(),
                    iface.name
                ),
            )
        })
}
