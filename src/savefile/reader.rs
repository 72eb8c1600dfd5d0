//! Opening a savefile: format detection on the first four bytes, then
//! packet-by-packet reading (libpcap's savefile.c).

use std::io::Read;

use super::input::{malformed, read_full};
use super::pcap::{self, PcapReader};
use super::pcapng::{self, PcapngReader};
use super::{pseudo, FileInfo, Packet, PacketHeader, Precision};
use crate::error::Result;

#[derive(Debug)]
enum FormatReader {
    Pcap(PcapReader),
    Pcapng(PcapngReader),
}

/// Reads packets from a pcap or pcapng savefile, as
/// `pcap_open_offline_with_tstamp_precision` + `pcap_next_ex` do.
///
/// The reader pulls exactly the bytes it needs from `R` (no read-ahead
/// beyond the current record or block), so it works on pipes and can be
/// handed a `BufReader` for speed.
#[derive(Debug)]
pub struct Reader<R: Read> {
    input: R,
    info: FileInfo,
    precision: Precision,
    format: FormatReader,
    /// The current record or block; packet data borrows from it.
    buf: Vec<u8>,
}

impl<R: Read> Reader<R> {
    /// Opens a savefile with microsecond time stamps (`pcap_open_offline`).
    pub fn open(input: R) -> Result<Self> {
        Self::open_with_precision(input, Precision::Micro)
    }

    /// Opens a savefile, reporting time stamps in `precision`
    /// (`pcap_open_offline_with_tstamp_precision`). Reads the file header
    /// (for pcapng, up to and including the first Interface Description
    /// Block).
    ///
    /// Errors: [`ErrorCode::SavefileMalformed`](crate::ErrorCode) with
    /// libpcap's message ("unknown file format", "truncated dump file; ...",
    /// ...), or an I/O error ("error reading dump file: ...").
    pub fn open_with_precision(mut input: R, precision: Precision) -> Result<Self> {
        let mut magic = [0u8; 4];
        let got = read_full(&mut input, &mut magic)?;
        if got != magic.len() {
            return Err(malformed(format!(
                "truncated dump file; tried to read {} file header bytes, only got {got}",
                magic.len()
            )));
        }
        let mut buf = Vec::new();
        let (info, format) = if let Some((info, r)) = pcap::open(magic, &mut input, precision)? {
            (info, FormatReader::Pcap(r))
        } else if let Some((info, r)) = pcapng::open(magic, &mut input, precision, &mut buf)? {
            (info, FormatReader::Pcapng(r))
        } else {
            return Err(malformed("unknown file format"));
        };
        Ok(Reader { input, info, precision, format, buf })
    }

    /// The file's link type, snapshot length, version, byte order and
    /// resolution.
    pub fn info(&self) -> &FileInfo {
        &self.info
    }

    /// The precision packet time stamps are reported in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The next packet, or `Ok(None)` at the end of the file (`pcap_next_ex`
    /// returning `PCAP_ERROR_BREAK`). After an error the reader's position in
    /// the file is unspecified, as with libpcap.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>> {
        match &mut self.format {
            FormatReader::Pcap(r) => {
                let Some(header) = r.next(&mut self.input, &mut self.buf)? else {
                    return Ok(None);
                };
                Ok(Some(Self::finish(&self.info, header, &mut self.buf)))
            }
            FormatReader::Pcapng(r) => {
                let Some((header, range)) = r.next(&mut self.input, &mut self.buf)? else {
                    return Ok(None);
                };
                let data = self.buf.get_mut(range).unwrap_or_default();
                Ok(Some(Self::finish(&self.info, header, data)))
            }
        }
    }

    /// libpcap's per-packet fix-ups, then the packet as handed out.
    fn finish<'a>(info: &FileInfo, mut header: PacketHeader, data: &'a mut [u8]) -> Packet<'a> {
        pseudo::post_process(info.dlt, info.swapped, &mut header, data);
        Packet { header, data }
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.input
    }

    /// The underlying stream, mutably (reading from it desynchronises the
    /// reader).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.input
    }

    /// Gives back the underlying stream.
    pub fn into_inner(self) -> R {
        self.input
    }
}
