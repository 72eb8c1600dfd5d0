//! One packet socket with both rings: RX and TX share a single mmap, RX
//! first (the kernel maps the TX ring right after the RX one), so a packet
//! read from the RX ring can be written to the TX ring with one copy.

use crate::error::{Error, Result};
use crate::rx::{Capture, CaptureConfig};
use crate::tx::{Transmitter, TxConfig};

/// Opens a capture and a transmitter on one socket. The interface, TPACKET
/// version, socket type and PACKET_RESERVE come from `rx`, since a socket
/// has only one of each; every other TX option comes from `tx`. Likewise
/// PACKET_TIMESTAMP is per socket: TX timestamps also set the RX source.
pub fn open(rx: &CaptureConfig, tx: &TxConfig) -> Result<(Capture, Transmitter)> {
    let mut tx = tx.clone();
    tx.interface = rx.interface.clone();
    tx.version = rx.version;
    tx.kind = rx.kind;
    let (capture, transmitter) = Capture::open_with_tx(rx, Some(&tx))?;
    let transmitter = transmitter.ok_or_else(|| Error::invalid("the TX ring was not set up"))?;
    Ok((capture, transmitter))
}
