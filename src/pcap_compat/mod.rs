//! libpcap's API on ringcap: the `pcap_*` functions with libpcap 1.10's
//! ABI, so C programs written for libpcap link against ringcap and tools
//! like tcpdump run on it under LD_PRELOAD.
//!
//! Built only from the core's public Rust API: it owns no ring logic.

// C type names are libpcap's (pcap_t, pcap_handler).
#![allow(non_camel_case_types)]
// Exports take C pointers by design; each is checked before use.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod abi;
mod api_capture;
mod api_devices;
mod api_filter;
mod api_info;
mod api_names;
mod api_savefile;
pub mod bpf_abi;
mod cfile;
mod cooked;
mod devices;
pub mod dlt;
mod error;
mod handle;
mod inject;
mod names;
mod netfilter;
mod registry;
mod tstamp;
