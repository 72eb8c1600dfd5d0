//! Writing pcap savefiles (libpcap's `pcap_dump_open`, `pcap_dump_fopen`,
//! `pcap_dump_open_append`, `pcap_dump`, `pcap_dump_flush`,
//! `pcap_dump_ftell`).

use std::io::{Read, Seek, SeekFrom, Write};

use super::input::{io_error, malformed, read_full_io};
use super::linktype::dlt_to_linktype;
use super::pcap::{
    FILE_HEADER_LEN, KUZNETZOV_TCPDUMP_MAGIC, NAVTEL_TCPDUMP_MAGIC, NSEC_TCPDUMP_MAGIC, RECORD_HEADER_LEN,
    TCPDUMP_MAGIC, VERSION_MAJOR, VERSION_MINOR,
};
use super::{PacketHeader, Precision};
use crate::error::{Error, Result};

/// What a savefile is written with: the capture handle's link type, snapshot
/// length and time stamp precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// The DLT_ value (`pcap_datalink`); stored as its LINKTYPE_.
    pub dlt: i32,
    /// Extra link type bits (FCS information) OR-ed into the stored link
    /// type, as libpcap's `linktype_ext`.
    pub linktype_ext: u32,
    /// The snapshot length to record in the header.
    pub snaplen: u32,
    /// Microsecond or nanosecond magic; [`Writer::dump`] takes time stamps
    /// in this precision.
    pub precision: Precision,
}

impl WriterConfig {
    /// A configuration without extra link type bits.
    pub fn new(dlt: i32, snaplen: u32, precision: Precision) -> Self {
        WriterConfig { dlt, linktype_ext: 0, snaplen, precision }
    }

    fn magic(&self) -> u32 {
        match self.precision {
            Precision::Micro => TCPDUMP_MAGIC,
            Precision::Nano => NSEC_TCPDUMP_MAGIC,
        }
    }

    /// The value for the header's link type field.
    pub(super) fn linktype(&self, name: &str, reported_dlt: i32) -> Result<u32> {
        dlt_to_linktype(self.dlt).map(|lt| lt | self.linktype_ext).ok_or_else(|| {
            Error::invalid(format!("{name}: link-layer type {reported_dlt} isn't supported in savefiles"))
        })
    }

    fn header(&self, linktype: u32) -> [u8; FILE_HEADER_LEN] {
        let mut h = [0u8; FILE_HEADER_LEN];
        let fields = [
            &self.magic().to_ne_bytes()[..],
            &VERSION_MAJOR.to_ne_bytes(),
            &VERSION_MINOR.to_ne_bytes(),
            &0i32.to_ne_bytes(), // thiszone: always 0
            &0u32.to_ne_bytes(), // sigfigs: always 0
            &self.snaplen.to_ne_bytes(),
            &linktype.to_ne_bytes(),
        ];
        let mut at = 0;
        for f in fields {
            if let Some(dst) = h.get_mut(at..at + f.len()) {
                dst.copy_from_slice(f);
            }
            at += f.len();
        }
        h
    }
}

/// Writes pcap savefiles in this host's byte order, straight to the sink:
/// buffer it (a `BufWriter`, or a stdio `FILE *` as libpcap's dumpers use)
/// where that matters, so bytes are never held where the sink's owner
/// cannot flush them (a C program exiting flushes its stdio buffers only).
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: Output<W>,
    precision: Precision,
}

/// A savefile's sink as both writers (pcap and pcapng) use it: it counts
/// the bytes written, names the file in I/O errors, and latches the first
/// write error.
#[derive(Debug)]
pub(super) struct Output<W: Write> {
    pub(super) sink: W,
    name: String,
    pub(super) position: u64,
    /// The first write error. After it nothing more is written, so a full
    /// disk leaves a file that ends with at most one partial record
    /// (which readers report as truncated) instead of misaligned records.
    failed: Option<Error>,
}

impl<W: Write> Output<W> {
    pub(super) fn new(sink: W, name: &str, position: u64) -> Self {
        Output { sink, name: name.to_owned(), position, failed: None }
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.write_parts(bytes, &[])
    }

    /// Writes `a` then `b` in one call to the sink where it takes vectored
    /// writes (a stdio stream: one lock, no copy), latching any failure.
    #[inline]
    pub(super) fn write_parts(&mut self, a: &[u8], b: &[u8]) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let total = a.len() + b.len();
        let result = match self.sink.write_vectored(&[std::io::IoSlice::new(a), std::io::IoSlice::new(b)]) {
            Ok(n) if n == total => Ok(()),
            // A sink that took part of it: finish with plain writes.
            Ok(n) if n < a.len() => self.sink.write_all(&a[n..]).and_then(|()| self.sink.write_all(b)),
            Ok(n) => self.sink.write_all(&b[n - a.len()..]),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                self.position += total as u64;
                Ok(())
            }
            Err(e) => {
                let e = io_error(&format!("Can't write to {}", self.name), e);
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    pub(super) fn flush(&mut self) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        // A failed flush latches too: the stream's buffer may have gone out
        // in part, and nothing may follow a partial record.
        self.sink.flush().map_err(|e| {
            let e = io_error(&format!("Can't write to {}", self.name), e);
            self.failed = Some(e.clone());
            e
        })
    }

    pub(super) fn failure(&self) -> Option<&Error> {
        self.failed.as_ref()
    }
}

/// The `header.caplen` bytes of `data` a record holds, or an error (and
/// nothing written) when the caller gave fewer.
pub(super) fn captured<'d>(header: &PacketHeader, data: &'d [u8]) -> Result<&'d [u8]> {
    data.get(..header.caplen as usize).ok_or_else(|| {
        Error::invalid(format!(
            "packet header says caplen {} but only {} bytes of data were given",
            header.caplen,
            data.len()
        ))
    })
}

impl<W: Write> Writer<W> {
    /// Starts a savefile on `sink` by writing the file header
    /// (`pcap_dump_fopen`; `name` is used in messages, "stream" there).
    /// [`Writer::position`] counts from 0.
    ///
    /// Errors: `InvalidArgument` "NAME: link-layer type N isn't supported in
    /// savefiles" if the DLT has no LINKTYPE_; I/O errors "Can't write to
    /// NAME: ...".
    pub fn new(sink: W, name: &str, config: &WriterConfig) -> Result<Self> {
        Self::start(sink, name, config, 0)
    }

    fn start(sink: W, name: &str, config: &WriterConfig, position: u64) -> Result<Self> {
        let linktype = config.linktype(name, config.dlt)?;
        let mut w = Writer { out: Output::new(sink, name, position), precision: config.precision };
        w.out.write(&config.header(linktype))?;
        Ok(w)
    }

    /// The first write error, if any (after it the writer writes nothing).
    pub fn failure(&self) -> Option<&Error> {
        self.out.failure()
    }

    /// Appends one packet (`pcap_dump`): the header's time stamp must be in
    /// the writer's precision; `header.caplen` bytes of `data` are written.
    /// Seconds and fraction are stored as 32-bit values, as libpcap does.
    ///
    /// Errors: `InvalidArgument` if `data` is shorter than `header.caplen`
    /// (nothing is written); I/O errors, which libpcap ignores.
    #[inline]
    pub fn dump(&mut self, header: &PacketHeader, data: &[u8]) -> Result<()> {
        let data = captured(header, data)?;
        // Built in registers and stored whole: four 4-byte stores read back
        // by the copy's one 16-byte load cannot be forwarded, a stall per
        // packet in pcap_dump (perf: a fifth of its samples).
        let words = [header.ts_sec as i32 as u32, header.ts_frac as i32 as u32, header.caplen, header.len];
        let rec = record_header(words);
        self.out.write_parts(&rec, data)
    }

    /// Pushes buffered output to the sink and flushes it (`pcap_dump_flush`).
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()
    }

    /// The offset the next byte will be written at (`pcap_dump_ftell64`),
    /// counting buffered output.
    pub fn position(&self) -> u64 {
        self.out.position
    }

    /// The precision [`Writer::dump`] expects time stamps in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The sink.
    pub fn get_ref(&self) -> &W {
        &self.out.sink
    }

    /// Flushes and gives back the sink.
    pub fn into_inner(mut self) -> Result<W> {
        self.flush()?;
        Ok(self.out.sink)
    }
}

impl<W: Write + Seek> Writer<W> {
    /// Like [`Writer::new`], but [`Writer::position`] starts at the sink's
    /// current offset, as `ftell` on a `FILE *` handed to `pcap_dump_fopen`.
    pub fn new_seekable(mut sink: W, name: &str, config: &WriterConfig) -> Result<Self> {
        let at = sink.stream_position().map_err(|e| io_error(name, e))?;
        Self::start(sink, name, config, at)
    }
}

impl<W: Read + Write + Seek> Writer<W> {
    /// Continues a savefile (`pcap_dump_open_append`). `sink` should be
    /// opened for reading and appending (`OpenOptions::new().read(true)
    /// .append(true).create(true)`). An empty file gets a header; otherwise
    /// its header must be a pcap header in this host's byte order with the
    /// config's precision, version 2.4, link type and snapshot length, and
    /// packets are added at the end.
    ///
    /// Errors (libpcap's messages, prefixed with `name`): `InvalidArgument`
    /// for "different time stamp precision", "different byte order",
    /// "different linktype", "different snaplen" and an unsupported link
    /// type; `SavefileMalformed` for "truncated pcap file header", "not a
    /// pcap file", "not a pcap file to which we can append" and "version is
    /// X.Y"; I/O errors.
    pub fn append(mut sink: W, name: &str, config: &WriterConfig) -> Result<Self> {
        // libpcap reports -1 here rather than the DLT; keep its message.
        let linktype = config.linktype(name, -1)?;
        sink.seek(SeekFrom::Start(0)).map_err(|e| io_error(&format!("Can't seek to the beginning of {name}"), e))?;
        let mut hdr = [0u8; FILE_HEADER_LEN];
        let got = read_full_io(&mut sink, &mut hdr).map_err(|e| io_error(name, e))?;
        if got == 0 {
            // An empty (new) file: write the header now, as pcap_dump_open.
            return Self::start(sink, name, config, 0);
        }
        if got < hdr.len() {
            return Err(malformed(format!("{name}: truncated pcap file header")));
        }
        check_append_header(&hdr, name, config, linktype)?;
        let at = sink.seek(SeekFrom::End(0)).map_err(|e| io_error(&format!("Can't seek to the end of {name}"), e))?;
        Ok(Writer { out: Output::new(sink, name, at), precision: config.precision })
    }
}

/// Whether packets written with `config` may be appended after `hdr`.
fn check_append_header(hdr: &[u8; FILE_HEADER_LEN], name: &str, config: &WriterConfig, linktype: u32) -> Result<()> {
    let word = |at: usize| hdr.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_ne_bytes);
    let half = |at: usize| hdr.get(at..at + 2).and_then(|b| b.try_into().ok()).map_or(0, u16::from_ne_bytes);
    let mismatch = |what: &str| Err(Error::invalid(format!("{name}: different {what}, cannot append to file")));
    match word(0) {
        TCPDUMP_MAGIC if config.precision != Precision::Micro => return mismatch("time stamp precision"),
        NSEC_TCPDUMP_MAGIC if config.precision != Precision::Nano => return mismatch("time stamp precision"),
        TCPDUMP_MAGIC | NSEC_TCPDUMP_MAGIC => {}
        m if m == TCPDUMP_MAGIC.swap_bytes() || m == NSEC_TCPDUMP_MAGIC.swap_bytes() => return mismatch("byte order"),
        m if [KUZNETZOV_TCPDUMP_MAGIC, NAVTEL_TCPDUMP_MAGIC].iter().any(|k| m == *k || m == k.swap_bytes()) => {
            return Err(malformed(format!("{name}: not a pcap file to which we can append")))
        }
        _ => return Err(malformed(format!("{name}: not a pcap file"))),
    }
    let (major, minor) = (half(4), half(6));
    if major != VERSION_MAJOR || minor != VERSION_MINOR {
        return Err(malformed(format!("{name}: version is {major}.{minor}, cannot append to file")));
    }
    if word(20) != linktype {
        return mismatch("linktype");
    }
    if word(16) != config.snaplen {
        return mismatch("snaplen");
    }
    Ok(())
}

/// A record header's four native-endian words as 16 bytes, stored with
/// one 16-byte store on x86_64.
#[inline(always)]
fn record_header(words: [u32; 4]) -> [u8; RECORD_HEADER_LEN] {
    let mut rec = [0u8; RECORD_HEADER_LEN];
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_set_epi32, _mm_storeu_si128};
        let [a, b, c, d] = words.map(|w| w as i32);
        // SAFETY: SSE2 is part of x86_64; the store covers exactly `rec`.
        unsafe { _mm_storeu_si128(rec.as_mut_ptr().cast::<__m128i>(), _mm_set_epi32(d, c, b, a)) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (dst, w) in rec.chunks_exact_mut(4).zip(words) {
        dst.copy_from_slice(&w.to_ne_bytes());
    }
    rec
}
