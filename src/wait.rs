//! Waiting for the ring: poll on the socket plus an eventfd that
//! breakloop writes to, so a blocked loop ends at once.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::sys::event::{poll, EventFd};

/// Ends a blocked or running loop. `request` only stores a flag and writes
/// to an eventfd, both async-signal-safe, so it may be called from another
/// thread or from a signal handler.
///
/// The eventfd exists only once something waits on the breaker (`arm`):
/// a handle that never polls (a savefile, a dead pcap_t) holds no
/// descriptor, so thousands of them do not exhaust the process's limit.
pub struct Breaker {
    requested: AtomicBool,
    event: OnceLock<EventFd>,
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
        let fd = EventFd::new().map_err(|e| Error::os("eventfd", e))?;
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
            event.signal();
        }
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Consumes a request: clears the flag and drains the eventfd.
    pub fn clear(&self) {
        self.requested.store(false, Ordering::Release);
        if let Some(event) = self.event.get() {
            event.drain();
        }
    }

    /// The eventfd, or -1 before `arm` (poll ignores negative descriptors).
    pub fn fd(&self) -> RawFd {
        self.event.get().map_or(-1, EventFd::fd)
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
    if let Err(err) = poll(&mut fds, timeout_ms) {
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
    let mut fds = [libc::pollfd { fd: breaker.fd(), events: libc::POLLIN, revents: 0 }];
    if let Err(err) = poll(&mut fds, timeout_ms) {
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::os("poll", err));
        }
    }
    Ok(if breaker.is_requested() || fds[0].revents != 0 { Wake::Break } else { Wake::Timeout })
}

/// What to wait for before a dispatch's next step: the ring (socket and
/// breaker), or the breaker alone (a coalescing pause), for up to
/// `timeout_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitFor {
    pub ring: bool,
    pub timeout_ms: i32,
}

/// Waits as `w` says on `socket` and `breaker`.
pub fn wait_for(socket: RawFd, breaker: &Breaker, w: WaitFor) -> Result<Wake> {
    if w.ring {
        wait(socket, breaker, w.timeout_ms)
    } else {
        pause(breaker, w.timeout_ms)
    }
}
