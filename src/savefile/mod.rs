//! Savefiles: reading pcap and pcapng files and writing pcap files, with
//! libpcap 1.10's semantics (the `pcap_open_offline*` / `pcap_dump*` C layer
//! wraps this module 1:1).
//!
//! * [`Reader`] reads pcap (both byte orders; microsecond, nanosecond and
//!   Kuznetzov "modified" magics) and pcapng (several sections and
//!   interfaces, `if_tsresol`, `if_tsoffset`; Enhanced, Simple and obsolete
//!   Packet blocks) from any [`std::io::Read`]: record by record (pipes),
//!   in large chunks ([`Reader::open_read_ahead`]), or in place from a
//!   memory mapping of a regular file ([`Reader::open_mapped`], what
//!   `pcap_open_offline` uses). Packets are handed out where they lie in
//!   one reused buffer or in the mapping: no allocation or copy per packet.
//! * [`Writer`] writes pcap in the microsecond or nanosecond format to any
//!   [`std::io::Write`], and [`Writer::append`] continues an existing file
//!   the way `pcap_dump_open_append` does.
//! * [`PcapngWriter`] writes pcapng: one section, one interface, Enhanced
//!   Packet Blocks (the native API's `ringcap_dumper_*`).
//!
//! Malformed input always ends in an [`Error`](crate::Error) with code
//! [`ErrorCode::SavefileMalformed`](crate::ErrorCode::SavefileMalformed) and
//! libpcap's message; memory use is bounded by the data actually present and
//! by libpcap's per-link-type limits.
//!
//! The tests compare results, messages and written bytes with the system
//! libpcap 1.10.3, so libpcap's quirks are kept on purpose: pcapng
//! interfaces after the first are checked against the first one's DLT_
//! using their raw LINKTYPE_ (a second LINKTYPE_RAW interface is refused),
//! byte-swapped pcap time stamps are zero-extended while native ones are
//! sign-extended, and the pseudo-headers libpcap converts in byte-swapped
//! files (pflog, Linux cooked CAN, Linux USB, NFLOG) are converted.
//!
//! # Differences from libpcap
//!
//! * [`Writer::dump`] reports write errors (libpcap's `pcap_dump` ignores
//!   them) and refuses data shorter than `caplen` (libpcap would read past
//!   the caller's buffer).
//! * Errors carry an [`ErrorCode`](crate::ErrorCode): `SavefileMalformed`
//!   for bad files, `InvalidArgument` for a handle that does not fit the
//!   file being appended to, `Io` (or the errno-specific code) for failed
//!   system calls. The messages are libpcap's.
//! * An unknown precision cannot be asked for (it is an enum); the C layer
//!   reports libpcap's "unknown time stamp resolution" itself.

mod input;
pub mod linktype;
mod mapped;
mod pcap;
mod pcapng;
mod pcapng_writer;
mod precision;
mod pseudo;
mod reader;
mod writer;

pub use pcapng_writer::PcapngWriter;
pub use precision::{Precision, Resolution};
pub use reader::Reader;
pub use writer::{Writer, WriterConfig};

/// The kind of savefile a [`Reader`] opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Classic pcap (magic 0xa1b2c3d4 or 0xa1b23c4d).
    Pcap,
    /// Alexey Kuznetzov's modified pcap (magic 0xa1b2cd34), whose record
    /// headers carry 8 more bytes (ifindex, protocol, packet type).
    ModifiedPcap,
    /// pcapng.
    Pcapng,
}

/// What libpcap reports about an open savefile (`pcap_datalink`,
/// `pcap_snapshot`, `pcap_major_version`, `pcap_minor_version`,
/// `pcap_is_swapped`), plus the file's own time stamp resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// pcap or pcapng.
    pub format: Format,
    /// The DLT_ value (`pcap_datalink`), mapped from the file's LINKTYPE_.
    /// For pcapng, the first interface's.
    pub dlt: i32,
    /// The upper 6 bits of a pcap header's link type field (FCS length
    /// information); 0 for pcapng.
    pub linktype_ext: u32,
    /// The snapshot length as libpcap adjusts it (`pcap_snapshot`); never
    /// above `i32::MAX`.
    pub snaplen: u32,
    /// File format major version (2 for pcap, 1 for pcapng).
    pub version_major: u16,
    /// File format minor version.
    pub version_minor: u16,
    /// The file's byte order is the opposite of this host's.
    pub swapped: bool,
    /// The time stamp resolution stored in the file: the magic's for pcap,
    /// the first interface's `if_tsresol` for pcapng.
    pub resolution: Resolution,
}

/// A packet's record header as `struct pcap_pkthdr` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PacketHeader {
    /// Seconds since the epoch (`ts.tv_sec`). From a pcap file, the stored
    /// 32-bit value sign-extended, or zero-extended if the file is
    /// byte-swapped (as libpcap does).
    pub ts_sec: i64,
    /// Fraction of a second (`ts.tv_usec`), in microseconds or nanoseconds
    /// as the reader (or the writer) was opened with. libpcap does not
    /// normalise it, so a damaged file can give values outside 0..1s.
    pub ts_frac: i64,
    /// Bytes captured (the length of the data).
    pub caplen: u32,
    /// Length of the packet on the wire.
    pub len: u32,
}

/// A packet read by [`Reader::next_packet`]; the data borrows the reader's
/// buffer until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The record header, time stamp in the reader's precision.
    pub header: PacketHeader,
    /// The captured bytes; `data.len() == header.caplen`.
    pub data: &'a [u8],
}
