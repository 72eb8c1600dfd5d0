//! libpcap 1.10's C ABI: the structures, codes and constants its callers
//! are compiled against. Layouts must match pcap/pcap.h exactly.

use std::ffi::{c_char, c_int, c_uint};

/// PCAP_ERRBUF_SIZE.
pub const PCAP_ERRBUF_SIZE: usize = 256;

pub const PCAP_ERROR: c_int = -1;
pub const PCAP_ERROR_BREAK: c_int = -2;
pub const PCAP_ERROR_NOT_ACTIVATED: c_int = -3;
pub const PCAP_ERROR_ACTIVATED: c_int = -4;
pub const PCAP_ERROR_NO_SUCH_DEVICE: c_int = -5;
pub const PCAP_ERROR_RFMON_NOTSUP: c_int = -6;
pub const PCAP_ERROR_NOT_RFMON: c_int = -7;
pub const PCAP_ERROR_PERM_DENIED: c_int = -8;
pub const PCAP_ERROR_IFACE_NOT_UP: c_int = -9;
pub const PCAP_ERROR_CANTSET_TSTAMP_TYPE: c_int = -10;
pub const PCAP_ERROR_PROMISC_PERM_DENIED: c_int = -11;
pub const PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: c_int = -12;
pub const PCAP_WARNING: c_int = 1;
pub const PCAP_WARNING_PROMISC_NOTSUP: c_int = 2;
pub const PCAP_WARNING_TSTAMP_TYPE_NOTSUP: c_int = 3;

pub const PCAP_NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// pcap_init options: strings in the local character encoding, or UTF-8.
pub const PCAP_CHAR_ENC_LOCAL: u32 = 0;
pub const PCAP_CHAR_ENC_UTF_8: u32 = 1;

pub const PCAP_TSTAMP_HOST: c_int = 0;
pub const PCAP_TSTAMP_HOST_LOWPREC: c_int = 1;
pub const PCAP_TSTAMP_HOST_HIPREC: c_int = 2;
pub const PCAP_TSTAMP_ADAPTER: c_int = 3;
pub const PCAP_TSTAMP_ADAPTER_UNSYNCED: c_int = 4;
pub const PCAP_TSTAMP_HOST_HIPREC_UNSYNCED: c_int = 5;
pub const PCAP_TSTAMP_PRECISION_MICRO: c_int = 0;
pub const PCAP_TSTAMP_PRECISION_NANO: c_int = 1;

pub const PCAP_D_INOUT: c_int = 0;
pub const PCAP_D_IN: c_int = 1;
pub const PCAP_D_OUT: c_int = 2;

pub const PCAP_IF_LOOPBACK: u32 = 0x1;
pub const PCAP_IF_UP: u32 = 0x2;
pub const PCAP_IF_RUNNING: u32 = 0x4;
pub const PCAP_IF_WIRELESS: u32 = 0x8;
pub const PCAP_IF_CONNECTION_STATUS_UNKNOWN: u32 = 0x0;
pub const PCAP_IF_CONNECTION_STATUS_CONNECTED: u32 = 0x10;
pub const PCAP_IF_CONNECTION_STATUS_DISCONNECTED: u32 = 0x20;
pub const PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE: u32 = 0x30;

/// struct pcap_pkthdr.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct pcap_pkthdr {
    pub ts: libc::timeval,
    pub caplen: u32,
    pub len: u32,
}

impl Default for pcap_pkthdr {
    fn default() -> Self {
        pcap_pkthdr { ts: libc::timeval { tv_sec: 0, tv_usec: 0 }, caplen: 0, len: 0 }
    }
}

/// struct pcap_stat (the Linux layout: no Windows-only fields).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct pcap_stat {
    pub ps_recv: c_uint,
    pub ps_drop: c_uint,
    pub ps_ifdrop: c_uint,
}

/// struct bpf_insn.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct bpf_insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// struct bpf_program.
#[repr(C)]
pub struct bpf_program {
    pub bf_len: c_uint,
    pub bf_insns: *mut bpf_insn,
}

/// struct pcap_addr.
#[repr(C)]
pub struct pcap_addr {
    pub next: *mut pcap_addr,
    pub addr: *mut libc::sockaddr,
    pub netmask: *mut libc::sockaddr,
    pub broadaddr: *mut libc::sockaddr,
    pub dstaddr: *mut libc::sockaddr,
}

/// struct pcap_if.
#[repr(C)]
pub struct pcap_if {
    pub next: *mut pcap_if,
    pub name: *mut c_char,
    pub description: *mut c_char,
    pub addresses: *mut pcap_addr,
    pub flags: u32,
}

/// pcap_handler.
pub type pcap_handler = Option<unsafe extern "C" fn(user: *mut u8, h: *const pcap_pkthdr, bytes: *const u8)>;

const _: () = assert!(std::mem::size_of::<pcap_pkthdr>() == 24);
const _: () = assert!(std::mem::size_of::<bpf_program>() == 16);
const _: () = assert!(std::mem::size_of::<pcap_if>() == 40);
