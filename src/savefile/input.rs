//! Reading helpers shared by the pcap and pcapng readers: `fread`-like
//! short-read accounting, allocation that grows only as data arrives, and
//! byte-order aware field access on bounds-checked slices.

use std::io::{self, Read};

use super::mapped::Mapping;
use crate::error::{Error, ErrorCode, Result};

/// libpcap's message prefix for a failed read.
const READ_ERROR: &str = "error reading dump file";

/// A malformed-file error.
pub(crate) fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::SavefileMalformed, message)
}

/// An I/O error worded as libpcap words it, "what: strerror text" (Rust
/// appends " (os error N)", which libpcap does not).
pub(crate) fn io_error(what: &str, err: io::Error) -> Error {
    let e = Error::os(what, err);
    match e.message().rsplit_once(" (os error ") {
        Some((text, _)) => Error::new(e.code(), text),
        None => e,
    }
}

/// Reads until `buf` is full or EOF, like `fread`; returns how much was read.
pub(crate) fn read_full_io<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|rest| !rest.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// How much an [`Input`] reads from its stream at a time once read-ahead is
/// on: large enough that one `read` serves thousands of small records.
const CHUNK: usize = 256 * 1024;

/// A savefile's bytes as borrowed slices of one reusable buffer, so a record
/// costs no allocation and no copy beyond the one from the stream.
///
/// With read-ahead (regular files) the stream is read [`CHUNK`] bytes at a
/// time; without it (pipes, terminals: a writer may be producing the file
/// live) exactly the bytes the current record needs are asked for, as
/// libpcap's `fread` calls do, so a record is handed out as soon as it
/// has arrived. Either way the buffer grows only when full of data, so
/// memory stays bounded by the data actually present, whatever length a
/// damaged header claims.
///
/// Given a [`Mapping`] of the file, records are taken from it in place
/// until it ends; the stream, positioned at the mapping's end, then serves
/// whatever the file grew by since.
#[derive(Debug)]
pub(crate) struct Input<R> {
    inner: R,
    /// Always initialised up to its length; `start..end` is unread data.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    read_ahead: bool,
    /// Where the last slice handed out is.
    last: std::ops::Range<usize>,
    last_in_map: bool,
    /// Kept until the end even after reading moves on to the stream, as
    /// the last slice handed out may point into it.
    map: Option<Mapping>,
    /// The next unread byte of `map`, and its end while records come from
    /// it (0 once they come from the stream).
    map_pos: usize,
    map_end: usize,
    /// How far ahead of `map_pos` cache lines have been prefetched.
    prefetched: usize,
}

/// How far ahead of the record being read the mapping is prefetched: a
/// few records, enough to cover a miss to memory at this pace.
const PREFETCH_AHEAD: usize = 1024;
const CACHE_LINE: usize = 64;

impl<R: Read> Input<R> {
    pub fn new(inner: R, read_ahead: bool) -> Self {
        Input {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            read_ahead,
            last: 0..0,
            last_in_map: false,
            map: None,
            map_pos: 0,
            map_end: 0,
            prefetched: 0,
        }
    }

    /// Reads `map` from byte `from` on; `inner` must be positioned at the
    /// mapping's end.
    pub fn mapped(inner: R, map: Mapping, from: usize) -> Self {
        let mut input = Input::new(inner, true);
        input.map_end = map.len();
        input.map_pos = from.min(map.len());
        input.map = Some(map);
        input
    }

    /// Moves the mapping's unread tail, from `at`, into the buffer: the
    /// records from here on are read from the stream.
    fn leave_map(&mut self, at: usize) {
        if let Some(map) = self.map.as_mut() {
            self.buf.clear();
            self.buf.extend_from_slice(map.bytes().get(at..).unwrap_or_default());
            (self.start, self.end) = (0, self.buf.len());
        }
        (self.map_pos, self.map_end) = (0, 0);
    }

    #[inline]
    fn map_bytes(&mut self, range: std::ops::Range<usize>) -> &mut [u8] {
        match self.map.as_mut() {
            Some(map) => map.bytes().get_mut(range).unwrap_or_default(),
            None => Default::default(),
        }
    }

    /// The next `n` bytes, or fewer only at the end of the stream. The slice
    /// stays valid (and the memory behind it untouched) until the next call.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&mut [u8]> {
        // The mapped case is the hot one (every record of a regular file):
        // kept small enough to inline into the record readers.
        if self.map_end != 0 && self.map_end - self.map_pos >= n {
            return Ok(self.take_mapped(n));
        }
        self.take_buffered(n)
    }

    /// [`Input::take`] of `n` bytes the mapping holds.
    #[inline(always)]
    fn take_mapped(&mut self, n: usize) -> &mut [u8] {
        let at = self.map_pos;
        self.map_pos = at + n;
        self.last = at..at + n;
        self.last_in_map = true;
        if let Some(map) = self.map.as_ref() {
            // Lines of the records being handed out now are past help.
            let mut line = self.prefetched.max(at + n);
            while line < at + n + PREFETCH_AHEAD {
                map.prefetch(line);
                line += CACHE_LINE;
            }
            self.prefetched = line;
        }
        self.map_bytes(at..at + n)
    }

    /// [`Input::take`] of bytes [`Input::ready`] holds (at most what it
    /// holds): never reads the stream, so never fails.
    #[inline]
    pub fn take_ready(&mut self, n: usize) -> &mut [u8] {
        if self.map_end != 0 {
            return self.take_mapped(n.min(self.map_end - self.map_pos));
        }
        let at = self.start;
        let got = n.min(self.end - at);
        self.start += got;
        self.last = at..at + got;
        self.last_in_map = false;
        self.buf.get_mut(at..at + got).unwrap_or_default()
    }

    /// The unread bytes that are at hand without reading the stream: the
    /// rest of the mapping, or what the buffer holds. A record reader
    /// parses a header here, then takes the whole record at once when it
    /// is all in view (one call where the general path needs several).
    #[inline]
    pub fn ready(&self) -> &[u8] {
        if self.map_end != 0 {
            return match self.map.as_ref() {
                Some(map) => map.bytes_ref().get(self.map_pos..self.map_end).unwrap_or_default(),
                None => Default::default(),
            };
        }
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// [`Input::take`] from the buffer (and the stream behind it).
    #[inline(never)]
    fn take_buffered(&mut self, n: usize) -> Result<&mut [u8]> {
        if self.map_end != 0 {
            self.leave_map(self.map_pos);
        }
        self.last_in_map = false;
        if self.end - self.start < n {
            self.fill(n)?;
        }
        let at = self.start;
        let got = n.min(self.end - at);
        self.start += got;
        self.last = at..at + got;
        Ok(self.buf.get_mut(at..at + got).unwrap_or_default())
    }

    /// The slice the last [`Input::take`] handed out, again.
    pub fn last_taken(&mut self) -> &mut [u8] {
        if self.last_in_map {
            return self.map_bytes(self.last.clone());
        }
        self.buf.get_mut(self.last.clone()).unwrap_or_default()
    }

    /// Reads until `n` bytes are buffered (more with read-ahead) or the
    /// stream ends.
    fn fill(&mut self, n: usize) -> Result<()> {
        if self.start > 0 {
            // The previous record's bytes may still be in the caller's hands
            // only until this call, so the unread tail can move to the front.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let goal = if self.read_ahead { n.max(CHUNK) } else { n };
        while self.end < n {
            if self.end == self.buf.len() {
                let grown = (self.buf.len() * 2).clamp(4096, goal.max(4096));
                self.buf.resize(grown.max(self.end + 1), 0);
            }
            let limit = if self.read_ahead { self.buf.len() } else { n.min(self.buf.len()) };
            match self.inner.read(&mut self.buf[self.end..limit]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(READ_ERROR, e)),
            }
        }
        Ok(())
    }

    /// Whether records come from the mapping.
    pub fn in_map(&self) -> bool {
        self.map_end != 0
    }

    /// Bytes read from the stream but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.map_end - self.map_pos + self.end - self.start
    }

    /// Forgets the read-ahead bytes (the caller has put the stream back
    /// where consumption stands) and reads exactly what records need from
    /// now on. The memory of the last slice handed out is left as it was.
    pub fn drop_read_ahead(&mut self) {
        self.end = self.start;
        (self.map_pos, self.map_end) = (0, 0);
        self.read_ahead = false;
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Whether a file's fields are in the opposite byte order to this host's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteOrder {
    pub swapped: bool,
}

impl ByteOrder {
    pub fn u16(self, b: [u8; 2]) -> u16 {
        let v = u16::from_ne_bytes(b);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    pub fn u32(self, b: [u8; 4]) -> u32 {
        let v = u32::from_ne_bytes(b);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    pub fn u64(self, b: [u8; 8]) -> u64 {
        let v = u64::from_ne_bytes(b);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }
}

/// A bounds-checked walk over a byte slice: every access that would run past
/// the end returns `None` instead of panicking.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
    len: usize,
    order: ByteOrder,
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8], order: ByteOrder) -> Self {
        Fields { rest: data, len: data.len(), order }
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// How many bytes have been consumed from the start.
    pub fn position(&self) -> usize {
        self.len - self.rest.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.array().map(|b| self.order.u16(b))
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(|b| self.order.u32(b))
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.array().map(|b| self.order.u64(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_stop_at_the_end() {
        let data = [1u8, 0, 0, 0, 2, 0];
        let mut f = Fields::new(&data, ByteOrder { swapped: false });
        assert_eq!(f.u32(), Some(u32::from_ne_bytes([1, 0, 0, 0])));
        assert_eq!(f.u32(), None);
        assert_eq!(f.remaining(), 2);
        assert_eq!(f.u16(), Some(u16::from_ne_bytes([2, 0])));
        assert_eq!(f.take(1), None);
    }

    #[test]
    fn input_is_bounded_by_data() {
        for read_ahead in [false, true] {
            let data = [7u8; 10];
            let mut input = Input::new(&data[..], read_ahead);
            assert_eq!(input.take(u32::MAX as usize).unwrap().len(), 10);
            assert!(input.buf.capacity() < 1 << 20);
            let zeros = [0u8; 5000];
            let mut input = Input::new(&zeros[..], read_ahead);
            assert_eq!(input.take(4097).unwrap().len(), 4097);
            assert_eq!(input.take(3).unwrap(), &[0, 0, 0]);
            assert_eq!(input.take(10_000).unwrap().len(), 900);
            assert!(input.take(1).unwrap().is_empty());
        }
    }

    #[test]
    fn exact_mode_reads_only_what_is_asked() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut input = Input::new(&data[..], false);
        assert_eq!(input.take(3).unwrap(), &[0, 1, 2]);
        assert_eq!(input.buffered(), 0);
        assert_eq!(input.get_ref().len(), 97);
        let mut ahead = Input::new(&data[..], true);
        assert_eq!(ahead.take(3).unwrap(), &[0, 1, 2]);
        assert_eq!(ahead.buffered(), 97);
        ahead.drop_read_ahead();
        assert_eq!(ahead.buffered(), 0);
    }
}
