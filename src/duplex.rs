//! One packet socket with both rings: RX and TX share a single mmap, RX
//! first (the kernel maps the TX ring right after the RX one), so a packet
//! read from the RX ring can be written to the TX ring with one copy.

use crate::error::{Error, Result};
use crate::rx::{Capture, CaptureConfig, RxPlan};
use crate::setup;
use crate::tx::{Transmitter, TxConfig, TxPlan};

/// Opens a capture and a transmitter on one socket. The interface, TPACKET
/// version, socket type and PACKET_RESERVE come from `rx`, since a socket
/// has only one of each; every other TX option comes from `tx`. Likewise
/// PACKET_TIMESTAMP is per socket: TX timestamps also set the RX source.
pub fn open(rx: &CaptureConfig, tx: &TxConfig) -> Result<(Capture, Transmitter)> {
    let mut tx = tx.clone();
    tx.interface = rx.interface.clone();
    tx.version = rx.version;
    tx.kind = rx.kind;
    if tx.vnet_header != rx.features.vnet_header {
        return Err(Error::invalid(
            "PACKET_VNET_HDR is one option of the socket, for both rings: ask for virtio-net headers in both the \
             capture and the TX configuration, or in neither",
        ));
    }
    // The steps of crate::setup, each done for both rings.
    RxPlan::check(rx)?;
    let (socket, interface) = setup::socket(rx.kind, &rx.interface)?;
    setup::version(&socket, rx.version)?;
    setup::reserve(&socket, rx.reserve)?;
    // TX options first: the kernel refuses some of them once a ring exists.
    let mut tx_plan = TxPlan::prepare(&socket, &interface, &tx)?;
    let mut rx_plan = RxPlan::prepare(rx, &socket, &interface)?;
    rx_plan.request_ring(&socket)?;
    tx_plan.request_ring(&socket, rx.reserve)?;
    rx_plan.size_receive_buffer(&socket)?;
    let rx_bytes = rx_plan.ring_bytes();
    let mapping = setup::mmap(&socket, rx_bytes + tx_plan.ring_bytes(), rx.lock_memory)?;
    setup::bind(&socket, &interface, rx.protocol)?;
    let capture = Capture::from_parts(rx, rx_plan, socket, interface.clone(), mapping.clone())?;
    let transmitter = Transmitter::from_plan(mapping, rx_bytes, capture.shared_socket(), interface, tx_plan)?;
    Ok((capture, transmitter))
}
