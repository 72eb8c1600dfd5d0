//! One error type for the whole library: a stable numeric code (the C ABI's
//! `ringcap_result`) plus a message that says what was wrong and what would
//! be valid.

use std::ffi::CStr;
use std::fmt;
use std::io;

/// Result codes. Values are part of the ABI: never renumber or reuse one.
/// Each code's first comment line is what ringcap_strerror() returns for
/// it (build.rs makes the lookup tables from this one declaration).
/// Failures are negative; `Ok` is zero; warnings are positive (the call
/// succeeded but something the caller asked for could not be honoured).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// success
    Ok = 0,
    /// internal error (a panic was caught at the C boundary)
    ///
    /// A Rust panic was caught at the C boundary; the handle may be unusable.
    Panic = -1,
    /// a required pointer argument was NULL
    NullParameter = -2,
    /// the handle is closed or invalid
    ///
    /// The handle was closed, freed, or never returned by ringcap.
    InvalidHandle = -3,
    /// invalid argument
    ///
    /// An argument is out of range or inconsistent with another.
    InvalidArgument = -4,
    /// no such network interface
    ///
    /// No network interface has the given name.
    UnknownInterface = -5,
    /// permission denied (needs CAP_NET_RAW / CAP_NET_ADMIN)
    ///
    /// The operation needs CAP_NET_RAW or CAP_NET_ADMIN.
    Permission = -6,
    /// system call failed
    ///
    /// A system call failed; the message carries errno's text.
    Io = -7,
    /// the kernel could not allocate the ring
    ///
    /// The kernel could not allocate the ring, even after shrinking it.
    NoMemory = -8,
    /// loop ended by breakloop
    ///
    /// The loop was ended by ringcap_capture_breakloop() before any packet was delivered.
    Break = -9,
    /// handle is busy in a dispatch on this thread
    ///
    /// The handle is in use by a dispatch running on this thread (called from a callback).
    Busy = -10,
    /// the interface went down
    ///
    /// The interface went down or disappeared while capturing.
    InterfaceDown = -11,
    /// not supported by the kernel or the device
    ///
    /// The kernel or the device does not support what was asked.
    Unsupported = -12,
    /// too many open handles
    ///
    /// Too many handles are open at once.
    TooManyHandles = -13,
    /// operation not valid in the handle's state
    ///
    /// The operation is not valid in the handle's current state.
    WrongState = -14,
    /// ring block size is not a multiple of the page size
    ///
    /// Ring block size is not a positive multiple of the page size.
    BlockSizeNotPageMultiple = -20,
    /// ring frame size is not a multiple of TPACKET_ALIGNMENT (16)
    FrameSizeNotAligned = -21,
    /// ring frame size is not larger than the frame header
    ///
    /// Ring frame size does not exceed the version's frame header length.
    FrameSizeTooSmall = -22,
    /// ring frame count is not frames_per_block * block count
    FrameCountMismatch = -23,
    /// ring frame size exceeds the block size
    ///
    /// A ring frame is larger than a block (frames may not span blocks).
    FrameLargerThanBlock = -24,
    /// ring block count is zero
    BlockCountZero = -25,
    /// V3 block cannot hold header, private area and one frame
    ///
    /// A V3 block cannot hold its header, the private area and one frame.
    BlockTooSmallForV3 = -26,
    /// ring is too large
    ///
    /// The ring's total size overflows what the kernel accepts.
    RingTooLarge = -27,
    /// unknown TPACKET version (valid: 1, 2, 3)
    InvalidVersion = -28,
    /// packet is larger than the frame or the device MTU
    ///
    /// A packet is larger than the frame's data space or the device MTU.
    PacketTooLarge = -40,
    /// TX ring is full
    ///
    /// The TX ring has no free frame.
    RingFull = -41,
    /// kernel rejected a TX frame (wrong format)
    ///
    /// The kernel rejected a TX frame (TP_STATUS_WRONG_FORMAT).
    WrongFormat = -42,
    /// filter expression does not compile
    ///
    /// A filter expression does not parse or cannot be compiled.
    FilterSyntax = -50,
    /// BPF program is invalid
    ///
    /// A BPF program fails validation.
    FilterInvalid = -51,
    /// savefile is malformed or truncated
    ///
    /// A savefile is malformed or truncated.
    SavefileMalformed = -60,
    /// warning: hardware timestamps unavailable, using software timestamps
    ///
    /// Warning: hardware timestamps are unavailable; software ones are used.
    WarningTimestampFallback = 1,
    /// warning: ring was shrunk to fit the kernel's memory
    ///
    /// Warning: the ring was shrunk because the kernel was short of memory.
    WarningRingShrunk = 2,
}

include!(concat!(env!("OUT_DIR"), "/error_codes.rs"));

impl ErrorCode {
    /// Short, static description of the code.
    pub fn description(self) -> &'static str {
        self.description_c().to_str().unwrap_or("")
    }

    /// The code as the C ABI returns it.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// An error: the code and a message naming the bad value and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    /// The errno of the failed system call, for callers that must tell
    /// one cause from another without reading the message.
    errno: Option<i32>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), errno: None }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    /// An OS error from `what` (the failed call), mapped to the closest code.
    pub fn os(what: &str, err: io::Error) -> Self {
        let code = match err.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => ErrorCode::Permission,
            Some(libc::ENOMEM) => ErrorCode::NoMemory,
            Some(libc::ENODEV) | Some(libc::ENXIO) => ErrorCode::UnknownInterface,
            Some(libc::ENETDOWN) => ErrorCode::InterfaceDown,
            Some(libc::EOPNOTSUPP) | Some(libc::ENOPROTOOPT) => ErrorCode::Unsupported,
            _ => ErrorCode::Io,
        };
        Error { errno: err.raw_os_error(), ..Error::new(code, format!("{what}: {err}")) }
    }

    /// The last OS error (errno) from `what`.
    pub fn last_os(what: &str) -> Self {
        Error::os(what, io::Error::last_os_error())
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error (code and errno) with a message that says more.
    pub fn reworded(self, message: impl Into<String>) -> Error {
        Error { message: message.into(), ..self }
    }

    /// The errno behind an OS error (None for errors ringcap found itself).
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// An OS error's text as C's strerror gives it, without the
/// " (os error N)" Rust appends: what libpcap's messages hold.
pub fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.split_once(" (os error") {
        Some((head, _)) => head.to_string(),
        None => text,
    }
}

/// [`os_text`] of an errno value.
pub fn errno_text(errno: i32) -> String {
    os_text(&io::Error::from_raw_os_error(errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_its_text() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code as i32), "{code:?}'s value is used twice");
            assert_eq!(ErrorCode::from_i32(code as i32), Some(code));
            assert!(!code.description().is_empty(), "{code:?} has no text");
        }
        assert_eq!(ErrorCode::from_i32(-999), None);
        assert_eq!(
            ErrorCode::FrameSizeNotAligned.description(),
            "ring frame size is not a multiple of TPACKET_ALIGNMENT (16)"
        );
        assert_eq!(ErrorCode::Ok.description(), "success");
    }
}
