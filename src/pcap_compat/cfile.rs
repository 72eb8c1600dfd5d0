//! C stdio streams as Rust I/O, for the savefile functions that take or
//! return a `FILE *` (pcap_fopen_offline, pcap_dump_fopen, pcap_file …).

use std::ffi::CString;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::sys;

extern "C" {
    static mut stdin: *mut libc::FILE;
    fn flockfile(stream: *mut libc::FILE);
    fn funlockfile(stream: *mut libc::FILE);
    fn fwrite_unlocked(ptr: *const libc::c_void, size: usize, n: usize, stream: *mut libc::FILE) -> usize;
    static mut stdout: *mut libc::FILE;
}

/// A `FILE *`, closed on drop when ringcap opened it.
pub struct CFile {
    file: *mut libc::FILE,
    owned: bool,
    /// The stream's buffer when ringcap gave it one (`with_dump_buffer`):
    /// freed after the stream is closed, by field order.
    buffer: Option<Box<[u8]>>,
}

/// The buffer of a savefile the dumper opens itself. stdio's default is the
/// file's block size, 4 KiB, so writing a capture costs a write(2) per
/// 4 KiB: a quarter of tcpdump's CPU at full rate on this library (and
/// about a sixth on libpcap), measured with perf.
const DUMP_BUFFER_BYTES: usize = 64 << 10;

// SAFETY: glibc locks each FILE internally, and a CFile is used by the one
// handle that holds it.
unsafe impl Send for CFile {}

impl CFile {
    /// fopen(path, mode); "-" means the process's stdin or stdout, as in libpcap.
    pub fn open(path: &str, mode: &str) -> io::Result<CFile> {
        if path == "-" {
            // SAFETY: reading glibc's stdin/stdout pointers.
            let file = unsafe {
                if mode.starts_with('r') {
                    stdin
                } else {
                    stdout
                }
            };
            return Ok(CFile { file, owned: false, buffer: None });
        }
        let cpath = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let cmode = CString::new(mode).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: both are valid C strings.
        let file = unsafe { libc::fopen(cpath.as_ptr(), cmode.as_ptr()) };
        if file.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(CFile { file, owned: true, buffer: None })
    }

    /// A stream ringcap opened for writing a savefile, with a buffer of
    /// DUMP_BUFFER_BYTES; the process's standard output keeps its own.
    pub fn with_dump_buffer(mut self) -> CFile {
        if !self.owned {
            return self;
        }
        let mut buf = vec![0u8; DUMP_BUFFER_BYTES].into_boxed_slice();
        // SAFETY: a stream ringcap just opened, before any I/O on it; the
        // buffer stays in this CFile until after the stream is closed.
        if unsafe { libc::setvbuf(self.file, buf.as_mut_ptr().cast(), libc::_IOFBF, buf.len()) } == 0 {
            self.buffer = Some(buf);
        }
        self
    }

    /// A caller's stream; it is closed by pcap_close/pcap_dump_close as libpcap does.
    pub fn adopt(file: *mut libc::FILE) -> CFile {
        CFile { file, owned: true, buffer: None }
    }

    pub fn as_ptr(&self) -> *mut libc::FILE {
        self.file
    }

    /// Whether the stream is a regular file (not a pipe, socket or terminal).
    pub fn is_regular_file(&self) -> bool {
        // SAFETY: a live FILE; fstat writes only into `st`.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            libc::fstat(libc::fileno(self.file), &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFREG
        }
    }

    /// Whether ftell works (regular files: yes; pipes and terminals: no).
    pub fn is_seekable(&self) -> bool {
        // SAFETY: a live FILE.
        unsafe { libc::ftello(self.file) >= 0 }
    }
}

impl CFile {
    /// `fwrite_unlocked` of each part in turn. The caller holds the lock.
    fn fwrite_parts(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut done = 0;
        for b in bufs {
            // SAFETY: b is valid for reads of b.len() bytes; the caller holds the lock.
            let n = unsafe { fwrite_unlocked(b.as_ptr().cast(), 1, b.len(), self.file) };
            done += n;
            if n < b.len() {
                let e = io::Error::last_os_error();
                // Part went out: say how much, so the writer knows the rest failed.
                return if done == 0 { Err(e) } else { Ok(done) };
            }
        }
        Ok(done)
    }
}

/// Holds a stream's lock; releases it also when the body panics.
pub(crate) struct StreamLock(Option<*mut libc::FILE>);

impl StreamLock {
    /// Takes `file`'s lock (flockfile), as fwrite would: not while the
    /// process has one thread, for then no other thread can hold it. This
    /// is glibc's own rule for its stdio calls (<sys/single_threaded.h>),
    /// and what keeps tcpdump's pcap_dump free of atomic operations.
    ///
    /// # Safety
    /// `file` is a live FILE that stays open while the lock is held.
    pub(crate) unsafe fn take(file: *mut libc::FILE) -> StreamLock {
        // With one thread no other can take the lock while this call runs.
        if sys::single_threaded() {
            return StreamLock(None);
        }
        // SAFETY: a live FILE, per the caller.
        unsafe { flockfile(file) };
        StreamLock(Some(file))
    }
}

impl Drop for StreamLock {
    fn drop(&mut self) {
        if let Some(file) = self.0 {
            // SAFETY: releasing the lock `take` took on this thread.
            unsafe { funlockfile(file) };
        }
    }
}

/// Copies `parts` into the stream's put area when they all fit, exactly as
/// glibc's own `putc_unlocked` macro stores a byte: the area between
/// `_IO_write_ptr` and `_IO_write_end` is public ABI
/// (<bits/types/struct_FILE.h>), and glibc keeps it empty whenever a byte
/// may not simply be stored there (line-buffered or unbuffered streams, a
/// stream last read from). None means stdio must take the bytes itself;
/// so does a stream not yet oriented to bytes, which fwrite orients.
/// pcap_dump's record costs two copies instead of two stdio calls.
///
/// # Safety
/// `file` is a live FILE whose lock this thread holds.
unsafe fn put_in_buffer(file: *mut libc::FILE, parts: &[io::IoSlice<'_>]) -> Option<usize> {
    let f = file.cast::<sys::_IO_FILE>();
    // SAFETY: a live FILE is a glibc _IO_FILE; the lock makes its put area ours.
    let (at, end, mode) = unsafe { ((*f)._IO_write_ptr, (*f)._IO_write_end, (*f)._mode) };
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if mode >= 0 || at.is_null() || (end as usize).saturating_sub(at as usize) < total {
        return None;
    }
    let mut to = at.cast::<u8>();
    for p in parts {
        // SAFETY: [at, at + total) is inside the put area (checked above),
        // and the caller's buffers never overlap the stream's own.
        unsafe {
            std::ptr::copy_nonoverlapping(p.as_ptr(), to, p.len());
            to = to.add(p.len());
        }
    }
    // SAFETY: as above; the bytes now belong to the buffer, as after putc.
    unsafe { (*f)._IO_write_ptr = to.cast() };
    Some(total)
}

impl std::os::fd::AsRawFd for CFile {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        // SAFETY: a live FILE.
        unsafe { libc::fileno(self.file) }
    }
}

impl Read for CFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for writes of buf.len() bytes.
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), self.file) };
        // SAFETY: a live FILE.
        if n == 0 && !buf.is_empty() && unsafe { libc::ferror(self.file) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n)
    }
}

impl Write for CFile {
    /// All parts under one lock of the stream: a packet record's header and
    /// data cost one locked stdio call, not two.
    #[inline]
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        // SAFETY: a live FILE, open until this CFile drops.
        let _lock = unsafe { StreamLock::take(self.file) };
        // SAFETY: the lock is held.
        match unsafe { put_in_buffer(self.file, bufs) } {
            Some(n) => Ok(n),
            None => {
                // stdio may write(2) now, a cancellation point; pcap_dump
                // comes here without the export guard's switch.
                let _off = crate::cancel::enter();
                self.fwrite_parts(bufs)
            }
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for reads of buf.len() bytes.
        let n = unsafe { libc::fwrite(buf.as_ptr().cast(), 1, buf.len(), self.file) };
        if n < buf.len() {
            return Err(io::Error::last_os_error());
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // SAFETY: a live FILE.
        if unsafe { libc::fflush(self.file) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Seek for CFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (off, whence) = match pos {
            SeekFrom::Start(o) => (o as i64, libc::SEEK_SET),
            SeekFrom::End(o) => (o, libc::SEEK_END),
            SeekFrom::Current(o) => (o, libc::SEEK_CUR),
        };
        // SAFETY: a live FILE.
        if unsafe { libc::fseeko(self.file, off, whence) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a live FILE.
        let at = unsafe { libc::ftello(self.file) };
        if at < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(at as u64)
    }
}

impl Drop for CFile {
    fn drop(&mut self) {
        if self.owned && !self.file.is_null() {
            // SAFETY: the FILE is ours to close, once.
            unsafe { libc::fclose(self.file) };
        }
    }
}
