//! The classic pcap format: file header and record parsing (libpcap's
//! sf-pcap.c reading side).

use std::io::Read;

use super::input::{malformed, ByteOrder, Fields, Input};
use super::linktype::{adjust_snapshot, linktype_to_dlt, max_snaplen_for_dlt};
use super::{FileInfo, Format, PacketHeader, Precision, Resolution};
use crate::error::Result;

pub(crate) const TCPDUMP_MAGIC: u32 = 0xa1b2_c3d4;
pub(crate) const NSEC_TCPDUMP_MAGIC: u32 = 0xa1b2_3c4d;
pub(crate) const KUZNETZOV_TCPDUMP_MAGIC: u32 = 0xa1b2_cd34;
pub(crate) const NAVTEL_TCPDUMP_MAGIC: u32 = 0xa12b_3c4d;
pub(crate) const VERSION_MAJOR: u16 = 2;
pub(crate) const VERSION_MINOR: u16 = 4;
/// Size of `struct pcap_file_header`.
pub(crate) const FILE_HEADER_LEN: usize = 24;
/// Size of `struct pcap_sf_pkthdr`.
pub(crate) const RECORD_HEADER_LEN: usize = 16;
/// Size of the Kuznetzov `struct pcap_sf_patched_pkthdr`.
const PATCHED_RECORD_HEADER_LEN: usize = 24;

const DLT_EN10MB: i32 = 1;
const LINKTYPE_MASK: u32 = 0x03FF_FFFF;

/// Whether caplen and len are stored the wrong way round: files before
/// version 2.3 (and DG/UX's 543.0) have them swapped, and some 2.3 files do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LengthOrder {
    Normal,
    Swapped,
    MaybeSwapped,
}

/// State for reading records after the header.
#[derive(Debug)]
pub(crate) struct PcapReader {
    order: ByteOrder,
    record_header_len: usize,
    lengths: LengthOrder,
    file_precision: Precision,
    precision: Precision,
    snapshot: u32,
    /// The link type's largest packet, libpcap's bound on caplen.
    max_caplen: u32,
}

/// If `magic` (the file's first four bytes) is a pcap magic, reads the rest
/// of the file header and returns the file's description and a record
/// reader; `Ok(None)` means "not a pcap file".
pub(crate) fn open<R: Read>(
    magic: [u8; 4],
    r: &mut Input<R>,
    precision: Precision,
) -> Result<Option<(FileInfo, PcapReader)>> {
    let known = [TCPDUMP_MAGIC, KUZNETZOV_TCPDUMP_MAGIC, NSEC_TCPDUMP_MAGIC];
    let native = u32::from_ne_bytes(magic);
    let (magic_int, swapped) = if known.contains(&native) {
        (native, false)
    } else if known.contains(&native.swap_bytes()) {
        (native.swap_bytes(), true)
    } else {
        return Ok(None);
    };

    let rest = r.take(FILE_HEADER_LEN - 4)?;
    let got = rest.len();
    if got != FILE_HEADER_LEN - 4 {
        return Err(malformed(format!(
            "truncated dump file; tried to read {FILE_HEADER_LEN} file header bytes, only got {got}"
        )));
    }
    let order = ByteOrder { swapped };
    let mut f = Fields::new(rest, order);
    let (Some(major), Some(minor), Some(_thiszone), Some(_sigfigs), Some(snaplen), Some(linktype)) =
        (f.u16(), f.u16(), f.u32(), f.u32(), f.u32(), f.u32())
    else {
        return Err(malformed("unknown file format"));
    };

    if major < VERSION_MAJOR {
        return Err(malformed("archaic pcap savefile format"));
    }
    if !((major == VERSION_MAJOR && minor <= VERSION_MINOR) || (major == 543 && minor == 0)) {
        return Err(malformed(format!("unsupported pcap savefile version {major}.{minor}")));
    }

    let dlt = linktype_to_dlt(linktype & LINKTYPE_MASK);
    let mut snapshot = adjust_snapshot(dlt, snaplen);
    let lengths = match (major, minor) {
        (2, m) if m < 3 => LengthOrder::Swapped,
        (2, 3) => LengthOrder::MaybeSwapped,
        (543, _) => LengthOrder::Swapped,
        _ => LengthOrder::Normal,
    };
    let (format, record_header_len) = if magic_int == KUZNETZOV_TCPDUMP_MAGIC {
        // Such captures may have been made in cooked mode, where a fake
        // 14-byte Ethernet header was added after snapping; libpcap allows
        // for it.
        if dlt == DLT_EN10MB {
            snapshot = snapshot.saturating_add(14).min(i32::MAX as u32);
        }
        (Format::ModifiedPcap, PATCHED_RECORD_HEADER_LEN)
    } else {
        (Format::Pcap, RECORD_HEADER_LEN)
    };
    let file_precision = if magic_int == NSEC_TCPDUMP_MAGIC { Precision::Nano } else { Precision::Micro };

    let info = FileInfo {
        format,
        dlt,
        linktype_ext: linktype & !LINKTYPE_MASK,
        snaplen: snapshot,
        version_major: major,
        version_minor: minor,
        swapped,
        resolution: Resolution::of(file_precision),
    };
    let max_caplen = max_snaplen_for_dlt(dlt);
    let reader = PcapReader { order, record_header_len, lengths, file_precision, precision, snapshot, max_caplen };
    Ok(Some((info, reader)))
}

impl PcapReader {
    /// A record header's fields as libpcap reads them.
    #[inline]
    fn header(&self, fixed: &[u8; RECORD_HEADER_LEN]) -> PacketHeader {
        let field = |at: usize| self.order.u32([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]]);
        let (sec, frac, mut caplen, mut len) = (field(0), field(4), field(8), field(12));
        // libpcap widens the on-disk 32-bit fields to the 64-bit timeval as
        // signed values, except in byte-swapped files, where its swap macro
        // yields unsigned ones; then it scales in 64-bit arithmetic.
        let widen = |v: u32| {
            if self.order.swapped {
                i64::from(v)
            } else {
                i64::from(v as i32)
            }
        };
        let (ts_sec, frac) = (widen(sec), widen(frac));
        let ts_frac = match (self.file_precision, self.precision) {
            (Precision::Micro, Precision::Nano) => frac * 1000,
            (Precision::Nano, Precision::Micro) => frac / 1000,
            _ => frac,
        };
        let swap = match self.lengths {
            LengthOrder::Normal => false,
            LengthOrder::Swapped => true,
            LengthOrder::MaybeSwapped => caplen > len,
        };
        if swap {
            std::mem::swap(&mut caplen, &mut len);
        }
        PacketHeader { ts_sec, ts_frac, caplen, len }
    }

    /// Reads the next record; `Ok(None)` at a clean end of file. The data
    /// borrows `r`'s buffer.
    #[inline]
    pub(crate) fn next<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Result<Option<(PacketHeader, &'r mut [u8])>> {
        // The common record, whole in view and within the limits, is taken
        // in one piece; anything else (the file's end, a record cut short,
        // lengths over the limits) goes the general way, which reads the
        // same header again and reports it as libpcap does.
        if let Some((header, whole)) = self.whole_record(r.ready()) {
            return Ok(Some(self.take_whole(r, header, whole)));
        }
        self.next_general(r)
    }

    /// The next record if it is whole in what `r` has at hand and within
    /// the limits; None (nothing consumed) sends it the general way.
    #[inline]
    pub(crate) fn next_whole<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Option<(PacketHeader, &'r mut [u8])> {
        let (header, whole) = self.whole_record(r.ready())?;
        Some(self.take_whole(r, header, whole))
    }

    /// The header of the record at the start of `ready` and the record's
    /// length, if it is all there and within the limits.
    #[inline(always)]
    fn whole_record(&self, ready: &[u8]) -> Option<(PacketHeader, usize)> {
        let header = self.header(ready.first_chunk::<RECORD_HEADER_LEN>()?);
        let whole = self.record_header_len + header.caplen as usize;
        if header.caplen > self.snapshot || header.caplen > self.max_caplen || ready.len() < whole {
            return None;
        }
        Some((header, whole))
    }

    #[inline(always)]
    fn take_whole<'r, R: Read>(
        &self,
        r: &'r mut Input<R>,
        header: PacketHeader,
        whole: usize,
    ) -> (PacketHeader, &'r mut [u8]) {
        let record = r.take_ready(whole);
        (header, record.get_mut(self.record_header_len..).unwrap_or_default())
    }

    /// [`PcapReader::next`] for every case, one read per part.
    #[inline(never)]
    fn next_general<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Result<Option<(PacketHeader, &'r mut [u8])>> {
        let raw = r.take(self.record_header_len)?;
        let got = raw.len();
        if got == 0 {
            return Ok(None);
        }
        if got != self.record_header_len {
            return Err(malformed(format!(
                "truncated dump file; tried to read {} header bytes, only got {got}",
                self.record_header_len
            )));
        }
        // The four fields every record header starts with.
        let Some(fixed) = raw.first_chunk::<RECORD_HEADER_LEN>() else {
            return Err(malformed("unknown file format"));
        };
        let PacketHeader { ts_sec, ts_frac, mut caplen, len } = self.header(fixed);

        let max = self.max_caplen;
        if caplen > max {
            return Err(malformed(if caplen > self.snapshot {
                format!("invalid packet capture length {caplen}, bigger than snaplen of {}", self.snapshot)
            } else {
                format!("invalid packet capture length {caplen}, bigger than maximum of {max}")
            }));
        }

        // caplen is at most the link type's maximum here, so the whole
        // record can be taken at once even when only its first snapshot
        // bytes are handed out.
        let data = r.take(caplen as usize)?;
        let got = data.len() as u32;
        if caplen > self.snapshot {
            // Some writers put a too-small snaplen in the header; libpcap
            // hands back only the first snapshot bytes so callers can trust
            // caplen <= snaplen, and skips the rest.
            if got < self.snapshot {
                return Err(malformed(format!(
                    "truncated dump file; tried to read {} captured bytes, only got {got}",
                    self.snapshot
                )));
            }
            if got != caplen {
                return Err(malformed(format!(
                    "truncated dump file; tried to read {caplen} captured bytes, only got {got}"
                )));
            }
            caplen = self.snapshot;
        } else if got != caplen {
            return Err(malformed(format!(
                "truncated dump file; tried to read {caplen} captured bytes, only got {got}"
            )));
        }
        let data = data.get_mut(..caplen as usize).unwrap_or_default();
        Ok(Some((PacketHeader { ts_sec, ts_frac, caplen, len }, data)))
    }
}
