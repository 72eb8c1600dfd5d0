//! The C boundary: a thin shell over the safe core.
//!
//! Every export runs inside [`boundary`], which catches panics and records the
//! error text; handles are looked up in the one [`handles`] table (shared with
//! the pcap layer) so that NULL, closed and foreign pointers are answered
//! with an error instead of undefined behaviour.

// C type names are the ABI's (ringcap_capture, not RingcapCapture).
#![allow(non_camel_case_types)]
// Exports take C pointers by design; each is checked for NULL by the
// boundary helpers before use and documented in the header.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod boundary;
pub mod capture;
pub mod config;
pub mod dumper;
pub mod features;
pub mod filter;
pub mod handles;
pub mod interfaces;
pub mod result;
pub mod transmit;
