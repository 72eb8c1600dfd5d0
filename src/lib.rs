//! ringcap: Linux packet capture and transmit on PACKET_MMAP rings.
//!
//! The safe Rust core (`geometry`, `ring`, `socket`, `rx`, `wait`, `stats`)
//! knows nothing of C; `ffi` is the thin C boundary over it.

pub mod error;
pub mod ffi;
/// cbindgen:ignore
pub mod filter;
pub mod sys;

pub use error::{Error, ErrorCode, Result};
