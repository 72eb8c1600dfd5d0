//! ringcap: Linux packet capture and transmit on PACKET_MMAP rings.
//!
//! The safe Rust core (`geometry`, `ring`, `socket`, `rx`, `tx`, `duplex`,
//! `wait`, `stats`) knows nothing of C; `ffi` is the thin C boundary over
//! it. Optional kernel features each have their own module (`fanout`,
//! `sockfilter`, `membership`, `direction`, `timestamp`, `vlan`,
//! `interfaces`), gathered for the open pipeline by `features`. `filter`
//! compiles pcap-filter expressions, `savefile` reads and writes capture
//! files, and `pcap_compat` is libpcap's API built on all of them.

pub mod cancel;
pub mod direction;
pub mod duplex;
pub mod error;
pub mod fanout;
pub mod features;
pub mod ffi;
pub mod filter;
pub mod geometry;
pub mod interfaces;
pub mod linkhdr;
pub mod membership;
pub mod netfilter;
pub mod pcap_compat;
pub mod ring;
pub mod rx;
pub mod savefile;
pub mod socket;
pub mod sockfilter;
pub mod stats;
/// cbindgen:ignore
pub mod sys;
pub mod timestamp;
pub mod timestamp_caps;
pub mod tx;
pub mod vlan;
pub mod wait;

pub use error::{Error, ErrorCode, Result};
