//! A regular file mapped into memory for reading, so its records are read
//! in place: no `read` copy into a buffer, and the page cache's pages are
//! the packets handed out.

use std::os::fd::RawFd;
use std::ptr::NonNull;

/// A private, copy-on-write mapping of a file's first `len` bytes.
/// Writable because a byte-swapped file's pseudo-headers are converted in
/// place; the writes stay in this process's copy of the page.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is private memory owned by this value; nothing else
// holds its address except borrows of `bytes()`, which the borrow checker
// ties to the value.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Maps the whole of regular file `fd` as it is now, or returns None
    /// (empty file, or the kernel refused: the caller then reads instead).
    pub fn of_file(fd: RawFd) -> Option<Mapping> {
        // SAFETY: fstat writes only into `st`.
        let st = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            (libc::fstat(fd, &mut st) == 0).then_some(st)
        }?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return None;
        }
        let len = usize::try_from(st.st_size).ok().filter(|&l| l > 0)?;
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: a new private mapping of a file we hold open; checked below.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_PRIVATE, fd, 0) };
        if p == libc::MAP_FAILED {
            return None;
        }
        // The file is read front to back once: let the kernel read ahead
        // and map pages in large batches. Advice only; failure is harmless.
        // SAFETY: advising on the mapping just made.
        unsafe { libc::madvise(p, len, libc::MADV_SEQUENTIAL) };
        Some(Mapping { base: NonNull::new(p.cast())?, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Asks the CPU to start loading the cache line holding byte `at`
    /// (ignored past the end). The reader walks the file record by record,
    /// each header saying where the next one is, so without this every
    /// record waits for its own miss to memory: measured as most of the
    /// CPU time of a `pcap_loop` over a file in the page cache.
    #[inline(always)]
    pub fn prefetch(&self, at: usize) {
        if at >= self.len {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint that never faults; the address is
        // inside the mapping anyway. SSE is part of the x86_64 baseline.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.base.as_ptr().add(at).cast::<i8>());
        }
    }

    pub fn bytes_ref(&self) -> &[u8] {
        // SAFETY: base..base+len is mapped readable for as long as self
        // lives; writes go through `bytes`, which needs &mut self.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: base..base+len is mapped readable and writable for as long
        // as self lives, and only reachable through &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base/len came from a successful mmap and are unmapped once.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}
