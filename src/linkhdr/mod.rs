//! Link-layer header layouts exactly as libpcap 1.10's public headers
//! declare them (pcap/sll.h, vlan.h, usb.h, nflog.h, ipnet.h, bluetooth.h,
//! can_socketcan.h). Each submodule is the single source of one installed
//! header: build.rs runs cbindgen over it, so the C declarations and the
//! Rust ones the capture code uses cannot differ. The layout tests pin
//! every size to libpcap's.
#![allow(non_camel_case_types)]

pub mod bluetooth;
pub mod can_socketcan;
pub mod ipnet;
pub mod nflog;
pub mod sll;
pub mod usb;
pub mod vlan;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, size_of};

    #[test]
    fn sizes_are_libpcaps() {
        assert_eq!(size_of::<sll::sll_header>(), sll::SLL_HDR_LEN);
        assert_eq!(size_of::<sll::sll2_header>(), sll::SLL2_HDR_LEN);
        assert_eq!(size_of::<vlan::vlan_tag>(), vlan::VLAN_TAG_LEN);
        assert_eq!(size_of::<usb::_usb_setup>(), 8);
        assert_eq!(size_of::<usb::_usb_header>(), 48);
        assert_eq!(size_of::<usb::_usb_header_mmapped>(), 64);
        assert_eq!(size_of::<usb::_usb_isodesc>(), 16);
        assert_eq!(size_of::<nflog::nflog_hdr>(), 4);
        assert_eq!(size_of::<nflog::nflog_tlv>(), 4);
        assert_eq!(size_of::<nflog::nflog_packet_hdr>(), 4);
        assert_eq!(size_of::<nflog::nflog_hwaddr>(), 12);
        assert_eq!(size_of::<nflog::nflog_timestamp>(), 16);
        assert_eq!(size_of::<bluetooth::_pcap_bluetooth_h4_header>(), 4);
        assert_eq!(size_of::<bluetooth::_pcap_bluetooth_linux_monitor_header>(), 4);
        assert_eq!(size_of::<can_socketcan::pcap_can_socketcan_hdr>(), 8);
        assert_eq!(align_of::<usb::_usb_header>(), 8);
    }
}
