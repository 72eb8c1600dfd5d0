//! ringcap: Linux packet capture and transmit on PACKET_MMAP rings.
//!
//! The safe Rust core (`geometry`, `ring`, `socket`, `rx`, `tx`, `duplex`,
//! `wait`, `stats`) knows nothing of C; `ffi` is the thin C boundary over it.

pub mod duplex;
pub mod error;
pub mod ffi;
pub mod geometry;
pub mod ring;
pub mod rx;
pub mod socket;
pub mod stats;
/// cbindgen:ignore
pub mod sys;
pub mod tx;
pub mod wait;

pub use error::{Error, ErrorCode, Result};
