//! pcap/usb.h: the Linux usbmon headers of DLT_USB_LINUX and
//! DLT_USB_LINUX_MMAPPED, in host byte order.

#![allow(non_snake_case)] // the field names are libpcap's (and the USB spec's)

use std::ffi::c_char;

/// Direction bit of the endpoint number.
pub const URB_TRANSFER_IN: u8 = 0x80;
/// Transfer types.
pub const URB_ISOCHRONOUS: u8 = 0x0;
pub const URB_INTERRUPT: u8 = 0x1;
pub const URB_CONTROL: u8 = 0x2;
pub const URB_BULK: u8 = 0x3;
/// Event types ('S', 'C', 'E').
pub const URB_SUBMIT: u8 = b'S';
pub const URB_COMPLETE: u8 = b'C';
pub const URB_ERROR: u8 = b'E';

/// The USB setup packet.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _usb_setup {
    pub bmRequestType: u8,
    pub bRequest: u8,
    pub wValue: u16,
    pub wIndex: u16,
    pub wLength: u16,
}
pub type pcap_usb_setup = _usb_setup;

/// Isochronous transfer summary.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _iso_rec {
    pub error_count: i32,
    pub numdesc: i32,
}
pub type iso_rec = _iso_rec;

/// The 48-byte header of DLT_USB_LINUX.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _usb_header {
    pub id: u64,
    pub event_type: u8,
    pub transfer_type: u8,
    pub endpoint_number: u8,
    pub device_address: u8,
    pub bus_id: u16,
    /// If nonzero, the URB setup header is not present.
    pub setup_flag: c_char,
    /// If nonzero, no URB data is present.
    pub data_flag: c_char,
    pub ts_sec: i64,
    pub ts_usec: i32,
    pub status: i32,
    pub urb_len: u32,
    /// Amount of URB data really present in this event.
    pub data_len: u32,
    pub setup: pcap_usb_setup,
}
pub type pcap_usb_header = _usb_header;

/// The setup packet or, for isochronous events, the transfer summary.
#[repr(C)]
#[derive(Clone, Copy)]
pub union _usb_setup_or_iso {
    pub setup: pcap_usb_setup,
    pub iso: iso_rec,
}

/// The 64-byte header of DLT_USB_LINUX_MMAPPED.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct _usb_header_mmapped {
    pub id: u64,
    pub event_type: u8,
    pub transfer_type: u8,
    pub endpoint_number: u8,
    pub device_address: u8,
    pub bus_id: u16,
    /// If nonzero, the URB setup header is not present.
    pub setup_flag: c_char,
    /// If nonzero, no URB data is present.
    pub data_flag: c_char,
    pub ts_sec: i64,
    pub ts_usec: i32,
    pub status: i32,
    pub urb_len: u32,
    /// Amount of URB data really present in this event.
    pub data_len: u32,
    pub s: _usb_setup_or_iso,
    /// For interrupt and isochronous events.
    pub interval: i32,
    /// For isochronous events.
    pub start_frame: i32,
    /// A copy of the URB's transfer flags.
    pub xfer_flags: u32,
    /// Number of isochronous descriptors.
    pub ndesc: u32,
}
pub type pcap_usb_header_mmapped = _usb_header_mmapped;

/// One isochronous descriptor.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _usb_isodesc {
    pub status: i32,
    pub offset: u32,
    pub len: u32,
    pub pad: [u8; 4],
}
pub type usb_isodesc = _usb_isodesc;
