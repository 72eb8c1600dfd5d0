//! The pcap layer's error: libpcap's status code and its error buffer's
//! text, and how the core's errors map to them.

use std::ffi::c_int;

use crate::error::{Error, ErrorCode};
use crate::pcap_compat::abi::*;
use crate::rx::DISAPPEARED;

/// A libpcap-style failure: the status code and the error buffer's text.
#[derive(Debug)]
pub struct PcapError {
    pub status: c_int,
    pub message: String,
}

impl PcapError {
    pub fn new(status: c_int, message: impl Into<String>) -> Self {
        PcapError { status, message: message.into() }
    }

    pub fn generic(message: impl Into<String>) -> Self {
        PcapError::new(PCAP_ERROR, message)
    }
}

impl From<Error> for PcapError {
    fn from(e: Error) -> Self {
        if e.code() == ErrorCode::InterfaceDown && e.message().starts_with(DISAPPEARED) {
            return PcapError::generic(DISAPPEARED);
        }
        let status = match e.code() {
            ErrorCode::Break => PCAP_ERROR_BREAK,
            ErrorCode::UnknownInterface => PCAP_ERROR_NO_SUCH_DEVICE,
            ErrorCode::Permission => PCAP_ERROR_PERM_DENIED,
            _ => PCAP_ERROR,
        };
        PcapError::new(status, e.message().to_string())
    }
}

pub type PResult<T> = std::result::Result<T, PcapError>;
