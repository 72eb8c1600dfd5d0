//! Waiting for the ring: poll on the socket plus an eventfd that
//! breakloop writes to, so a blocked loop ends at once.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Ends a blocked or running loop. `request` only stores a flag and writes
/// to an eventfd, both async-signal-safe, so it may be called from another
/// thread or from a signal handler.
///
/// The eventfd exists only once something waits on the breaker (`arm`):
/// a handle that never polls (a savefile, a dead pcap_t) holds no
/// descriptor, so thousands of them do not exhaust the process's limit.
pub struct Breaker {
    requested: AtomicBool,
    event: OnceLock<OwnedFd>,
}

impl Breaker {
    /// A breaker with its eventfd, ready for `wait`.
    pub fn new() -> Result<Breaker> {
        let b = Breaker::unarmed();
        b.arm()?;
        Ok(b)
    }

    /// A breaker that is only a flag until `arm` is called.
    pub fn unarmed() -> Breaker {
        Breaker { requested: AtomicBool::new(false), event: OnceLock::new() }
    }

    /// Gives the breaker its eventfd (once), for loops that poll.
    pub fn arm(&self) -> Result<()> {
        if self.event.get().is_some() {
            return Ok(());
        }
        // SAFETY: plain eventfd(2) call; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(Error::last_os("eventfd"));
        }
        // SAFETY: fd is fresh and owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // Two threads arming at once: the loser's fd is closed on drop.
        let _ = self.event.set(fd);
        // A request made before the fd existed must still wake the poll.
        if self.is_requested() {
            self.request();
        }
        Ok(())
    }

    /// Asks the loop to stop.
    pub fn request(&self) {
        self.requested.store(true, Ordering::Release);
        if let Some(event) = self.event.get() {
            let one: u64 = 1;
            // SAFETY: writing 8 bytes from a live u64 to our eventfd; a full
            // counter (EAGAIN) still leaves the fd readable, which is all we need.
            unsafe { libc::write(event.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Consumes a request: clears the flag and drains the eventfd.
    pub fn clear(&self) {
        self.requested.store(false, Ordering::Release);
        if let Some(event) = self.event.get() {
            let mut buf: u64 = 0;
            // SAFETY: reading 8 bytes into a live u64 from a nonblocking eventfd.
            unsafe { libc::read(event.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
        }
    }

    /// The eventfd, or -1 before `arm` (poll ignores negative descriptors).
    pub fn fd(&self) -> RawFd {
        self.event.get().map_or(-1, |e| e.as_raw_fd())
    }
}

/// What a wait ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    Ready,
    Timeout,
    Break,
    /// The socket reported an error or hang-up (device gone or down).
    SocketError,
}

/// Waits until the socket is readable, the breaker fires, or `timeout_ms`
/// passes (-1: forever). EINTR is a wake-up like any other: the caller
/// checks the breaker, which a signal handler may just have set.
pub fn wait(socket: RawFd, breaker: &Breaker, timeout_ms: i32) -> Result<Wake> {
    let mut fds = [
        libc::pollfd { fd: socket, events: libc::POLLIN, revents: 0 },
        libc::pollfd { fd: breaker.fd(), events: libc::POLLIN, revents: 0 },
    ];
    // SAFETY: fds is a valid array of two pollfd.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout_ms) };
    if n < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(if breaker.is_requested() { Wake::Break } else { Wake::Timeout });
        }
        return Err(Error::os("poll", err));
    }
    if fds[1].revents != 0 || breaker.is_requested() {
        return Ok(Wake::Break);
    }
    if fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
        return Ok(Wake::SocketError);
    }
    if fds[0].revents & libc::POLLIN != 0 {
        return Ok(Wake::Ready);
    }
    Ok(Wake::Timeout)
}

/// Waits `timeout_ms` unless the breaker fires first (Wake::Break).
pub fn pause(breaker: &Breaker, timeout_ms: i32) -> Result<Wake> {
    if timeout_ms <= 0 {
        return Ok(if breaker.is_requested() { Wake::Break } else { Wake::Timeout });
    }
    let mut fd = libc::pollfd { fd: breaker.fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: fd is one valid pollfd.
    let n = unsafe { libc::poll(&mut fd, 1, timeout_ms) };
    if n < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::os("poll", err));
        }
    }
    Ok(if breaker.is_requested() || fd.revents != 0 { Wake::Break } else { Wake::Timeout })
}
