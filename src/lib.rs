//! ringcap: Linux packet capture and transmit on PACKET_MMAP rings.
//!
//! The safe Rust core (`geometry`, `ring`, `socket`, `rx`, `wait`, `stats`)
//! knows nothing of C; `ffi` is the thin C boundary over it.

pub mod error;
pub mod ffi;
pub mod filter;
pub mod geometry;
pub mod pcap_compat;
pub mod ring;
pub mod rx;
pub mod savefile;
pub mod socket;
pub mod stats;
/// cbindgen:ignore
pub mod sys;
pub mod wait;

pub use error::{Error, ErrorCode, Result};
