//! Opening a savefile: format detection on the first four bytes, then
//! packet-by-packet reading (libpcap's savefile.c).

use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;

use super::input::{io_error, malformed, Input};
use super::mapped::Mapping;
use super::pcap::{self, PcapReader};
use super::pcapng::{self, PcapngReader};
use super::{pseudo, FileInfo, Packet, Precision};
use crate::error::Result;

#[derive(Debug)]
enum FormatReader {
    Pcap(PcapReader),
    Pcapng(PcapngReader),
}

/// Reads packets from a pcap or pcapng savefile, as
/// `pcap_open_offline_with_tstamp_precision` + `pcap_next_ex` do, handing
/// out each packet's bytes in place in one reused buffer.
///
/// Opened with [`Reader::open`] or [`Reader::open_with_precision`], the
/// reader pulls exactly the bytes it needs from `R` (no read-ahead beyond
/// the current record or block), so a packet written to a pipe is read as
/// soon as it is complete. [`Reader::open_read_ahead`] reads large chunks
/// instead, for regular files.
#[derive(Debug)]
pub struct Reader<R: Read> {
    input: Input<R>,
    info: FileInfo,
    precision: Precision,
    format: FormatReader,
    /// The file has pseudo-headers or lengths libpcap fixes up.
    fixups: bool,
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
    pub fn open_with_precision(input: R, precision: Precision) -> Result<Self> {
        Self::open_input(Input::new(input, false), precision)
    }

    /// Like [`Reader::open_with_precision`], reading the stream in large
    /// chunks: the fastest way through a regular file, but the stream's
    /// position runs ahead of the packets read (see
    /// [`Reader::stop_read_ahead`]), and a pipe's packets would wait for a
    /// whole chunk.
    pub fn open_read_ahead(input: R, precision: Precision) -> Result<Self> {
        Self::open_input(Input::new(input, true), precision)
    }

    /// Like [`Reader::open_read_ahead`], but a regular file is mapped into
    /// memory and its packets are handed out in place (any other stream is
    /// read ahead). The stream's position is moved to the file's end, and
    /// reading carries on from there if the file grows.
    pub fn open_mapped(mut input: R, precision: Precision) -> Result<Self>
    where
        R: Seek + AsRawFd,
    {
        let map = Mapping::of_file(input.as_raw_fd());
        let from = input.stream_position().ok().and_then(|p| usize::try_from(p).ok());
        let input = match (map, from) {
            (Some(map), Some(from)) if input.seek(SeekFrom::Start(map.len() as u64)).is_ok() => {
                Input::mapped(input, map, from)
            }
            _ => Input::new(input, true),
        };
        Self::open_input(input, precision)
    }

    fn open_input(mut input: Input<R>, precision: Precision) -> Result<Self> {
        let got = input.take(4)?.len();
        let Ok(magic) = <[u8; 4]>::try_from(input.last_taken()) else {
            return Err(malformed(format!("truncated dump file; tried to read 4 file header bytes, only got {got}")));
        };
        let (info, format) = if let Some((info, r)) = pcap::open(magic, &mut input, precision)? {
            (info, FormatReader::Pcap(r))
        } else if let Some((info, r)) = pcapng::open(magic, &mut input, precision)? {
            (info, FormatReader::Pcapng(r))
        } else {
            return Err(malformed("unknown file format"));
        };
        let fixups = pseudo::needed(info.dlt, info.swapped);
        Ok(Reader { input, info, precision, format, fixups })
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
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>> {
        let next = match &mut self.format {
            FormatReader::Pcap(r) => r.next(&mut self.input)?,
            FormatReader::Pcapng(r) => r.next(&mut self.input)?,
        };
        Ok(next.map(|(mut header, data)| {
            if self.fixups {
                pseudo::post_process(self.info.dlt, self.info.swapped, &mut header, data);
            }
            Packet { header, data }
        }))
    }

    /// The next packet if it lies whole in the file's mapping and needs
    /// none of the general path's checks or reads: no system call, no
    /// error possible. None (nothing consumed) when the general
    /// [`Reader::next_packet`] must run: not mapped, the mapping's end,
    /// a damaged record, a pcapng block other than a plain Enhanced Packet
    /// Block.
    #[inline]
    pub fn next_packet_in_memory(&mut self) -> Option<Packet<'_>> {
        if !self.input.in_map() {
            return None;
        }
        let (mut header, data) = match &mut self.format {
            FormatReader::Pcap(r) => r.next_whole(&mut self.input)?,
            FormatReader::Pcapng(r) => r.next_whole(&mut self.input)?,
        };
        if self.fixups {
            pseudo::post_process(self.info.dlt, self.info.swapped, &mut header, data);
        }
        Some(Packet { header, data })
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        self.input.get_ref()
    }

    /// The underlying stream, mutably (reading from it desynchronises the
    /// reader; with read-ahead, call [`Reader::stop_read_ahead`] first).
    pub fn get_mut(&mut self) -> &mut R {
        self.input.get_mut()
    }

    /// Gives back the underlying stream (with read-ahead, possibly past
    /// the last packet read).
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }

    /// Bytes read from the stream ahead of the packets handed out.
    pub fn read_ahead_bytes(&self) -> usize {
        self.input.buffered()
    }
}

impl<R: Read + Seek> Reader<R> {
    /// Puts the stream back just after the last record read and reads
    /// exactly what each record needs from now on, so that whoever else
    /// uses the stream (`pcap_file`'s callers: ftell, fseek) finds it where
    /// libpcap would leave it. The last packet's bytes stay valid.
    ///
    /// Errors: the seek's (a pipe cannot go back; it is then left as it
    /// was, still reading ahead).
    pub fn stop_read_ahead(&mut self) -> Result<()> {
        let ahead = self.input.buffered();
        if ahead > 0 {
            self.input
                .get_mut()
                .seek(SeekFrom::Current(-(ahead as i64)))
                .map_err(|e| io_error("error seeking in dump file", e))?;
        }
        self.input.drop_read_ahead();
        Ok(())
    }
}
