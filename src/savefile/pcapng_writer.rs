//! Writing pcapng savefiles: one section, one interface (the capture's link
//! type, snapshot length and time stamp resolution), then an Enhanced
//! Packet Block per packet, in this host's byte order. The reader in
//! `pcapng` reads them back; so do libpcap, tshark and tcpdump.

use std::io::Write;

use super::writer::{captured, Output};
use super::{PacketHeader, Precision, WriterConfig};
use crate::error::{Error, Result};

const BT_SHB: u32 = 0x0A0D_0D0A;
const BT_IDB: u32 = 1;
const BT_EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const IF_TSRESOL: u16 = 9;

/// Writes a pcapng file to the sink (buffer it, as with [`super::Writer`]).
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: Output<W>,
    precision: Precision,
}

/// One block: type, total length, body padded to 32 bits, total length again.
fn block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&block_type.to_ne_bytes());
    b.extend_from_slice(&total.to_ne_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&total.to_ne_bytes());
    b
}

impl<W: Write> PcapngWriter<W> {
    /// Starts the file: a Section Header Block and the Interface
    /// Description Block of interface 0, whose if_tsresol says whether
    /// time stamps are microseconds or nanoseconds.
    ///
    /// Errors: `InvalidArgument` if the DLT has no LINKTYPE_; I/O errors
    /// "Can't write to NAME: ...".
    pub fn new(sink: W, name: &str, config: &WriterConfig) -> Result<Self> {
        let linktype = config.linktype(name, config.dlt)?;
        let linktype = u16::try_from(linktype)
            .map_err(|_| Error::invalid(format!("{name}: link type {linktype} does not fit a pcapng interface")))?;
        let mut w = PcapngWriter { out: Output::new(sink, name, 0), precision: config.precision };
        let mut shb = Vec::with_capacity(16);
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_ne_bytes());
        shb.extend_from_slice(&1u16.to_ne_bytes());
        shb.extend_from_slice(&0u16.to_ne_bytes());
        shb.extend_from_slice(&(-1i64).to_ne_bytes()); // section length: not given
        w.out.write(&block(BT_SHB, &shb))?;
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&linktype.to_ne_bytes());
        idb.extend_from_slice(&0u16.to_ne_bytes());
        idb.extend_from_slice(&config.snaplen.to_ne_bytes());
        let resolution: u8 = match config.precision {
            Precision::Micro => 6,
            Precision::Nano => 9,
        };
        idb.extend_from_slice(&IF_TSRESOL.to_ne_bytes());
        idb.extend_from_slice(&1u16.to_ne_bytes());
        idb.extend_from_slice(&[resolution, 0, 0, 0]);
        idb.extend_from_slice(&[0; 4]); // opt_endofopt
        w.out.write(&block(BT_IDB, &idb))?;
        Ok(w)
    }

    /// Appends one packet as an Enhanced Packet Block on interface 0; the
    /// time stamp is in the writer's precision, `header.caplen` bytes of
    /// `data` are written.
    ///
    /// Errors: `InvalidArgument` if `data` is shorter than `header.caplen`
    /// or the time stamp is before 1970 (nothing is written); I/O errors.
    pub fn dump(&mut self, header: &PacketHeader, data: &[u8]) -> Result<()> {
        let data = captured(header, data)?;
        let units = u64::try_from(header.ts_sec)
            .ok()
            .and_then(|s| s.checked_mul(self.precision.units_per_second()))
            .and_then(|t| t.checked_add(u64::try_from(header.ts_frac).ok()?))
            .ok_or_else(|| {
                Error::invalid(format!("time stamp {}.{} cannot be stored in pcapng", header.ts_sec, header.ts_frac))
            })?;
        let mut epb = Vec::with_capacity(20 + data.len());
        epb.extend_from_slice(&0u32.to_ne_bytes()); // interface 0
        epb.extend_from_slice(&((units >> 32) as u32).to_ne_bytes());
        epb.extend_from_slice(&(units as u32).to_ne_bytes());
        epb.extend_from_slice(&header.caplen.to_ne_bytes());
        epb.extend_from_slice(&header.len.to_ne_bytes());
        epb.extend_from_slice(data);
        self.out.write(&block(BT_EPB, &epb))
    }

    /// Pushes buffered output to the sink and flushes it.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()
    }

    /// The precision [`PcapngWriter::dump`] expects time stamps in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Flushes and gives back the sink.
    pub fn into_inner(mut self) -> Result<W> {
        self.flush()?;
        Ok(self.out.sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::savefile::{Format, Reader};

    #[test]
    fn reads_back_with_the_pcapng_reader() {
        for precision in [Precision::Micro, Precision::Nano] {
            let config = WriterConfig::new(1, 262144, precision);
            let mut w = PcapngWriter::new(Vec::new(), "mem", &config).unwrap();
            let packets: Vec<(PacketHeader, Vec<u8>)> = (0u8..5)
                .map(|i| {
                    let data: Vec<u8> = (0..60 + i as usize).map(|b| b as u8 ^ i).collect();
                    let h = PacketHeader {
                        ts_sec: 1_700_000_000 + i as i64,
                        ts_frac: 123 * i as i64,
                        caplen: data.len() as u32 - 1,
                        len: data.len() as u32 + 100,
                    };
                    (h, data)
                })
                .collect();
            for (h, d) in &packets {
                w.dump(h, d).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let mut r = Reader::open_with_precision(&bytes[..], precision).unwrap();
            assert_eq!(r.info().format, Format::Pcapng);
            assert_eq!((r.info().dlt, r.info().snaplen), (1, 262144));
            for (h, d) in &packets {
                let p = r.next_packet().unwrap().expect("a packet");
                assert_eq!(p.header, *h);
                assert_eq!(p.data, &d[..h.caplen as usize]);
            }
            assert!(r.next_packet().unwrap().is_none());
        }
    }
}
