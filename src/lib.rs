//! ringcap: Linux packet capture and transmit on PACKET_MMAP rings.
//!
//! The safe Rust core knows nothing of C; `ffi` is the thin C boundary over
//! it, `filter` compiles pcap-filter expressions, `savefile` reads and
//! writes capture files, and `pcap_compat` is libpcap's API built on all of
//! them.
//!
//! Modules depend on each other in one direction only (no import cycle;
//! `tests/module_graph.rs` checks it). From the bottom up:
//!
//! 1. `error`, then `sys` (bindgen's kernel ABI, `sys::netdev`, the
//!    device-listing system calls, and `sys::netlink`), `wait`, `cancel`,
//!    `linkhdr`.
//! 2. Leaves over them: `packet` (what a reader hands the callback),
//!    `geometry` (ring sizes and the kernel's rules for them, `Layout`),
//!    `socket` (the packet socket and the system calls on it),
//!    `netfilter`, `filter`, `savefile`.
//! 3. Over the socket: `interfaces`, `timestamp_caps`; the kernel features,
//!    each a set of functions on a `PacketSocket` (`sockfilter`, `fanout`,
//!    `membership`, `direction`, `timestamp`, `vlan`, `stats`); `ring` (the
//!    mapping, the checked `RingMem` views over it with the frame ownership
//!    protocol, and the `TpacketHeader` layouts).
//! 4. `features` gathers the feature steps for an open; `setup` names the
//!    open's steps in the kernel documentation's order.
//! 5. `tx` and `rx`, each built from `setup`'s steps and knowing nothing
//!    of the other; `duplex` composes the two on one socket.
//! 6. `ffi` over the core, and `pcap_compat` over the core and `ffi`.

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
pub mod packet;
pub mod pcap_compat;
pub mod ring;
pub mod rx;
pub mod savefile;
pub mod setup;
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
