//! libpcap's name tables: link types (DLT_*) and time stamp types, with
//! the names and descriptions pcap_datalink_val_to_name() and friends give.

use std::ffi::{c_int, CStr};

/// (value, name without "DLT_", description), as in libpcap 1.10's dlt_choices.
pub const DLTS: &[(c_int, &CStr, &CStr)] = &[
    (0, c"NULL", c"BSD loopback"),
    (1, c"EN10MB", c"Ethernet"),
    (6, c"IEEE802", c"Token ring"),
    (7, c"ARCNET", c"BSD ARCNET"),
    (8, c"SLIP", c"SLIP"),
    (9, c"PPP", c"PPP"),
    (10, c"FDDI", c"FDDI"),
    (11, c"ATM_RFC1483", c"RFC 1483 LLC-encapsulated ATM"),
    (12, c"RAW", c"Raw IP"),
    (15, c"SLIP_BSDOS", c"BSD/OS SLIP"),
    (16, c"PPP_BSDOS", c"BSD/OS PPP"),
    (19, c"ATM_CLIP", c"Linux Classical IP over ATM"),
    (50, c"PPP_SERIAL", c"PPP over serial"),
    (51, c"PPP_ETHER", c"PPPoE"),
    (104, c"C_HDLC", c"Cisco HDLC"),
    (105, c"IEEE802_11", c"802.11"),
    (107, c"FRELAY", c"Frame Relay"),
    (108, c"LOOP", c"OpenBSD loopback"),
    (109, c"ENC", c"OpenBSD encapsulated IP"),
    (113, c"LINUX_SLL", c"Linux cooked v1"),
    (114, c"LTALK", c"Localtalk"),
    (117, c"PFLOG", c"OpenBSD pflog file"),
    (119, c"PRISM_HEADER", c"802.11 plus Prism header"),
    (122, c"IP_OVER_FC", c"RFC 2625 IP-over-Fibre Channel"),
    (123, c"SUNATM", c"Sun raw ATM"),
    (127, c"IEEE802_11_RADIO", c"802.11 plus radiotap header"),
    (129, c"ARCNET_LINUX", c"Linux ARCNET"),
    (138, c"APPLE_IP_OVER_IEEE1394", c"Apple IP-over-IEEE 1394"),
    (139, c"MTP2_WITH_PHDR", c"SS7 MTP2 with Pseudo-header"),
    (140, c"MTP2", c"SS7 MTP2"),
    (141, c"MTP3", c"SS7 MTP3"),
    (142, c"SCCP", c"SS7 SCCP"),
    (143, c"DOCSIS", c"DOCSIS"),
    (144, c"LINUX_IRDA", c"Linux IrDA"),
    (163, c"IEEE802_11_RADIO_AVS", c"802.11 plus AVS radio information header"),
    (165, c"BACNET_MS_TP", c"BACnet MS/TP"),
    (166, c"PPP_PPPD", c"PPP for pppd, with direction flag"),
    (169, c"GPRS_LLC", c"GPRS LLC"),
    (177, c"LINUX_LAPD", c"Linux vISDN LAPD"),
    (187, c"BLUETOOTH_HCI_H4", c"Bluetooth HCI UART transport layer"),
    (189, c"USB_LINUX", c"USB with Linux header"),
    (192, c"PPI", c"Per-Packet Information"),
    (195, c"IEEE802_15_4_WITHFCS", c"IEEE 802.15.4 with FCS"),
    (196, c"SITA", c"SITA pseudo-header"),
    (197, c"ERF", c"Endace ERF header"),
    (201, c"BLUETOOTH_HCI_H4_WITH_PHDR", c"Bluetooth HCI UART transport layer plus pseudo-header"),
    (202, c"AX25_KISS", c"AX.25 with KISS header"),
    (209, c"IPMB_LINUX", c"IPMB with Linux/Pigeon Point pseudo-header"),
    (215, c"IEEE802_15_4_NONASK_PHY", c"IEEE 802.15.4 with non-ASK PHY data"),
    (220, c"USB_LINUX_MMAPPED", c"USB with padded Linux header"),
    (224, c"FC_2", c"Fibre Channel FC-2"),
    (225, c"FC_2_WITH_FRAME_DELIMS", c"Fibre Channel FC-2 with frame delimiters"),
    (226, c"IPNET", c"Solaris ipnet"),
    (227, c"CAN_SOCKETCAN", c"CAN-bus with SocketCAN headers"),
    (228, c"IPV4", c"Raw IPv4"),
    (229, c"IPV6", c"Raw IPv6"),
    (230, c"IEEE802_15_4_NOFCS", c"IEEE 802.15.4 without FCS"),
    (231, c"DBUS", c"D-Bus"),
    (235, c"DVB_CI", c"DVB-CI"),
    (236, c"MUX27010", c"MUX27010"),
    (239, c"NFLOG", c"Linux netfilter log messages"),
    (240, c"NETANALYZER", c"Ethernet with Hilscher netANALYZER pseudo-header"),
    (241, c"NETANALYZER_TRANSPARENT", c"Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD"),
    (242, c"IPOIB", c"RFC 4391 IP-over-Infiniband"),
    (243, c"MPEG_2_TS", c"MPEG-2 transport stream"),
    (244, c"NG40", c"ng40 protocol tester Iub/Iur"),
    (245, c"NFC_LLCP", c"NFC LLCP PDUs with pseudo-header"),
    (247, c"INFINIBAND", c"InfiniBand"),
    (248, c"SCTP", c"SCTP"),
    (249, c"USBPCAP", c"USB with USBPcap header"),
    (250, c"RTAC_SERIAL", c"Schweitzer Engineering Laboratories RTAC packets"),
    (251, c"BLUETOOTH_LE_LL", c"Bluetooth Low Energy air interface"),
    (253, c"NETLINK", c"Linux netlink"),
    (254, c"BLUETOOTH_LINUX_MONITOR", c"Bluetooth Linux Monitor"),
    (255, c"BLUETOOTH_BREDR_BB", c"Bluetooth Basic Rate/Enhanced Data Rate baseband packets"),
    (256, c"BLUETOOTH_LE_LL_WITH_PHDR", c"Bluetooth Low Energy air interface with pseudo-header"),
    (257, c"PROFIBUS_DL", c"PROFIBUS data link layer"),
    (258, c"PKTAP", c"Apple DLT_PKTAP"),
    (259, c"EPON", c"Ethernet with 802.3 Clause 65 EPON preamble"),
    (260, c"IPMI_HPM_2", c"IPMI trace packets"),
    (261, c"ZWAVE_R1_R2", c"Z-Wave RF profile R1 and R2 packets"),
    (262, c"ZWAVE_R3", c"Z-Wave RF profile R3 packets"),
    (263, c"WATTSTOPPER_DLM", c"WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol packets"),
    (264, c"ISO_14443", c"ISO 14443 messages"),
    (265, c"RDS", c"IEC 62106 Radio Data System groups"),
    (266, c"USB_DARWIN", c"USB with Darwin header"),
    (268, c"SDLC", c"IBM SDLC frames"),
    (270, c"LORATAP", c"LoRa radio information header"),
    (271, c"VSOCK", c"Linux vsock"),
    (272, c"NORDIC_BLE", c"Nordic Semiconductor Bluetooth LE sniffer frames"),
    (273, c"DOCSIS31_XRA31", c"Excentis XRA-31 DOCSIS 3.1 RF sniffer frames"),
    (274, c"ETHERNET_MPACKET", c"802.3br mPackets"),
    (275, c"DISPLAYPORT_AUX", c"DisplayPort AUX channel monitoring data"),
    (276, c"LINUX_SLL2", c"Linux cooked v2"),
    (278, c"OPENVIZSLA", c"OpenVizsla USB"),
    (279, c"EBHSCR", c"Elektrobit High Speed Capture and Replay (EBHSCR)"),
    (281, c"ZBOSS_NCP", c"ZBOSS NCP protocol with pseudo-header"),
];

/// (value, name, description) of the time stamp types.
pub const TSTAMP_TYPES: &[(c_int, &CStr, &CStr)] = &[
    (0, c"host", c"Host"),
    (1, c"host_lowprec", c"Host, low precision"),
    (2, c"host_hiprec", c"Host, high precision"),
    (3, c"adapter", c"Adapter"),
    (4, c"adapter_unsynced", c"Adapter, not synced with system time"),
    (5, c"host_hiprec_unsynced", c"Host, high precision, not synced with system time"),
];

pub fn dlt_by_value(v: c_int) -> Option<&'static (c_int, &'static CStr, &'static CStr)> {
    DLTS.iter().find(|d| d.0 == v)
}

/// Case-insensitive, like libpcap's pcap_strcasecmp; "DLT_" is not part of the name.
pub fn dlt_by_name(name: &str) -> Option<c_int> {
    DLTS.iter().find(|d| d.1.to_str().is_ok_and(|n| n.eq_ignore_ascii_case(name))).map(|d| d.0)
}

pub fn tstamp_by_value(v: c_int) -> Option<&'static (c_int, &'static CStr, &'static CStr)> {
    TSTAMP_TYPES.iter().find(|t| t.0 == v)
}

pub fn tstamp_by_name(name: &str) -> Option<c_int> {
    TSTAMP_TYPES.iter().find(|t| t.1.to_str().is_ok_and(|n| n.eq_ignore_ascii_case(name))).map(|t| t.0)
}
