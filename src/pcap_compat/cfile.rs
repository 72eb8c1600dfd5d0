//! C stdio streams as Rust I/O, for the savefile functions that take or
//! return a `FILE *` (pcap_fopen_offline, pcap_dump_fopen, pcap_file …).

use std::ffi::CString;
use std::io::{self, Read, Seek, SeekFrom, Write};

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
}

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
            return Ok(CFile { file, owned: false });
        }
        let cpath = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let cmode = CString::new(mode).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: both are valid C strings.
        let file = unsafe { libc::fopen(cpath.as_ptr(), cmode.as_ptr()) };
        if file.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(CFile { file, owned: true })
    }

    /// A caller's stream; it is closed by pcap_close/pcap_dump_close as libpcap does.
    pub fn adopt(file: *mut libc::FILE) -> CFile {
        CFile { file, owned: true }
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
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        // SAFETY: a live FILE; every fwrite_unlocked below runs while this
        // thread holds its lock.
        unsafe { flockfile(self.file) };
        let mut done = 0;
        let mut result = Ok(());
        for b in bufs {
            // SAFETY: b is valid for reads of b.len() bytes; the lock is held.
            let n = unsafe { fwrite_unlocked(b.as_ptr().cast(), 1, b.len(), self.file) };
            done += n;
            if n < b.len() {
                result = Err(io::Error::last_os_error());
                break;
            }
        }
        // SAFETY: releasing the lock taken above.
        unsafe { funlockfile(self.file) };
        match result {
            Ok(()) => Ok(done),
            Err(e) if done == 0 => Err(e),
            // Part went out: say how much, so the writer knows the rest failed.
            Err(_) => Ok(done),
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
