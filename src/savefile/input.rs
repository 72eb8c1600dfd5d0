//! Reading helpers shared by the pcap and pcapng readers: `fread`-like
//! short-read accounting, allocation that grows only as data arrives, and
//! byte-order aware field access on bounds-checked slices.

use std::io::{self, Read};

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

/// [`read_full_io`] with libpcap's message for a failed read.
pub(crate) fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    read_full_io(r, buf).map_err(|e| io_error(READ_ERROR, e))
}

/// Replaces `buf`'s contents with up to `len` bytes from `r`, returning how
/// many arrived. The vector grows with the data actually read, so a length
/// field claiming gigabytes in a short file costs no more than the file.
pub(crate) fn read_into_vec<R: Read>(r: &mut R, buf: &mut Vec<u8>, len: u64) -> Result<usize> {
    buf.clear();
    loop {
        let want = len.saturating_sub(buf.len() as u64);
        if want == 0 {
            break;
        }
        match r.by_ref().take(want).read_to_end(buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(READ_ERROR, e)),
        }
    }
    Ok(buf.len())
}

/// Reads and throws away up to `len` bytes; returns how many there were.
pub(crate) fn discard<R: Read>(r: &mut R, len: u64) -> Result<u64> {
    let mut done = 0;
    loop {
        match io::copy(&mut r.by_ref().take(len - done), &mut io::sink()) {
            Ok(0) => return Ok(done),
            Ok(n) => {
                done += n;
                if done == len {
                    return Ok(done);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(READ_ERROR, e)),
        }
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
    fn vec_read_is_bounded_by_data() {
        let mut buf = Vec::new();
        let n = read_into_vec(&mut &[7u8; 10][..], &mut buf, u64::from(u32::MAX)).unwrap();
        assert_eq!(n, 10);
        assert!(buf.capacity() < 1 << 20);
        assert_eq!(discard(&mut &[0u8; 5000][..], 4097).unwrap(), 4097);
        assert_eq!(discard(&mut &[0u8; 5][..], 10).unwrap(), 5);
    }
}
