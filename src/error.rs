//! One error type for the whole library: a stable numeric code (the C ABI's
//! `ringcap_result`) plus a message that says what was wrong and what would
//! be valid.

use std::ffi::CStr;
use std::fmt;
use std::io;

/// Result codes. Values are part of the ABI: never renumber or reuse one.
/// Failures are negative; `Ok` is zero; warnings are positive (the call
/// succeeded but something the caller asked for could not be honoured).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Success.
    Ok = 0,
    /// A Rust panic was caught at the C boundary; the handle may be unusable.
    Panic = -1,
    /// A required pointer argument was NULL.
    NullParameter = -2,
    /// The handle was closed, freed, or never returned by ringcap.
    InvalidHandle = -3,
    /// An argument is out of range or inconsistent with another.
    InvalidArgument = -4,
    /// No network interface has the given name.
    UnknownInterface = -5,
    /// The operation needs CAP_NET_RAW or CAP_NET_ADMIN.
    Permission = -6,
    /// A system call failed; the message carries errno's text.
    Io = -7,
    /// The kernel could not allocate the ring, even after shrinking it.
    NoMemory = -8,
    /// The loop was ended by ringcap_capture_breakloop() before any packet was delivered.
    Break = -9,
    /// The handle is in use by a dispatch running on this thread (called from a callback).
    Busy = -10,
    /// The interface went down or disappeared while capturing.
    InterfaceDown = -11,
    /// The kernel or the device does not support what was asked.
    Unsupported = -12,
    /// Too many handles are open at once.
    TooManyHandles = -13,
    /// The operation is not valid in the handle's current state.
    WrongState = -14,
    /// Ring block size is not a positive multiple of the page size.
    BlockSizeNotPageMultiple = -20,
    /// Ring frame size is not a multiple of TPACKET_ALIGNMENT (16).
    FrameSizeNotAligned = -21,
    /// Ring frame size does not exceed the version's frame header length.
    FrameSizeTooSmall = -22,
    /// Ring frame count is not frames_per_block * block count.
    FrameCountMismatch = -23,
    /// A ring frame is larger than a block (frames may not span blocks).
    FrameLargerThanBlock = -24,
    /// Ring block count is zero.
    BlockCountZero = -25,
    /// A V3 block cannot hold its header, the private area and one frame.
    BlockTooSmallForV3 = -26,
    /// The ring's total size overflows what the kernel accepts.
    RingTooLarge = -27,
    /// Unknown TPACKET version (valid: 1, 2, 3).
    InvalidVersion = -28,
    /// A packet is larger than the frame's data space or the device MTU.
    PacketTooLarge = -40,
    /// The TX ring has no free frame.
    RingFull = -41,
    /// The kernel rejected a TX frame (TP_STATUS_WRONG_FORMAT).
    WrongFormat = -42,
    /// A filter expression does not parse or cannot be compiled.
    FilterSyntax = -50,
    /// A BPF program fails validation.
    FilterInvalid = -51,
    /// A savefile is malformed or truncated.
    SavefileMalformed = -60,
    /// Warning: hardware timestamps are unavailable; software ones are used.
    WarningTimestampFallback = 1,
    /// Warning: the ring was shrunk because the kernel was short of memory.
    WarningRingShrunk = 2,
}

impl ErrorCode {
    /// Every code, for lookups from C integers.
    pub const ALL: [ErrorCode; 32] = {
        use ErrorCode::*;
        [
            Ok,
            Panic,
            NullParameter,
            InvalidHandle,
            InvalidArgument,
            UnknownInterface,
            Permission,
            Io,
            NoMemory,
            Break,
            Busy,
            InterfaceDown,
            Unsupported,
            TooManyHandles,
            WrongState,
            BlockSizeNotPageMultiple,
            FrameSizeNotAligned,
            FrameSizeTooSmall,
            FrameCountMismatch,
            FrameLargerThanBlock,
            BlockCountZero,
            BlockTooSmallForV3,
            RingTooLarge,
            InvalidVersion,
            PacketTooLarge,
            RingFull,
            WrongFormat,
            FilterSyntax,
            FilterInvalid,
            SavefileMalformed,
            WarningTimestampFallback,
            WarningRingShrunk,
        ]
    };

    pub fn from_i32(v: i32) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| *c as i32 == v)
    }

    /// Short, static description of the code.
    pub fn description(self) -> &'static str {
        self.description_c().to_str().unwrap_or("")
    }

    /// The description as a C string (what ringcap_strerror returns).
    pub fn description_c(self) -> &'static CStr {
        use ErrorCode::*;
        match self {
            Ok => c"success",
            Panic => c"internal error (a panic was caught at the C boundary)",
            NullParameter => c"a required pointer argument was NULL",
            InvalidHandle => c"the handle is closed or invalid",
            InvalidArgument => c"invalid argument",
            UnknownInterface => c"no such network interface",
            Permission => c"permission denied (needs CAP_NET_RAW / CAP_NET_ADMIN)",
            Io => c"system call failed",
            NoMemory => c"the kernel could not allocate the ring",
            Break => c"loop ended by breakloop",
            Busy => c"handle is busy in a dispatch on this thread",
            InterfaceDown => c"the interface went down",
            Unsupported => c"not supported by the kernel or the device",
            TooManyHandles => c"too many open handles",
            WrongState => c"operation not valid in the handle's state",
            BlockSizeNotPageMultiple => c"ring block size is not a multiple of the page size",
            FrameSizeNotAligned => c"ring frame size is not a multiple of TPACKET_ALIGNMENT (16)",
            FrameSizeTooSmall => c"ring frame size is not larger than the frame header",
            FrameCountMismatch => c"ring frame count is not frames_per_block * block count",
            FrameLargerThanBlock => c"ring frame size exceeds the block size",
            BlockCountZero => c"ring block count is zero",
            BlockTooSmallForV3 => c"V3 block cannot hold header, private area and one frame",
            RingTooLarge => c"ring is too large",
            InvalidVersion => c"unknown TPACKET version (valid: 1, 2, 3)",
            PacketTooLarge => c"packet is larger than the frame or the device MTU",
            RingFull => c"TX ring is full",
            WrongFormat => c"kernel rejected a TX frame (wrong format)",
            FilterSyntax => c"filter expression does not compile",
            FilterInvalid => c"BPF program is invalid",
            SavefileMalformed => c"savefile is malformed or truncated",
            WarningTimestampFallback => c"warning: hardware timestamps unavailable, using software timestamps",
            WarningRingShrunk => c"warning: ring was shrunk to fit the kernel's memory",
        }
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
