//! pcap/bluetooth.h: pseudo-headers of the Bluetooth link types.

/// DLT_BLUETOOTH_HCI_H4_WITH_PHDR: the direction word, in network order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _pcap_bluetooth_h4_header {
    /// If the first bit is set, the direction is incoming.
    pub direction: u32,
}
pub type pcap_bluetooth_h4_header = _pcap_bluetooth_h4_header;

/// DLT_BLUETOOTH_LINUX_MONITOR, in network order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct _pcap_bluetooth_linux_monitor_header {
    pub adapter_id: u16,
    pub opcode: u16,
}
pub type pcap_bluetooth_linux_monitor_header = _pcap_bluetooth_linux_monitor_header;
