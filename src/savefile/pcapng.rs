//! The pcapng format: blocks, sections, interfaces and packets (libpcap's
//! sf-pcapng.c), including its restrictions: every interface must have the
//! first interface's link type and snapshot length, and every section the
//! first section's byte order.

use std::io::Read;

use super::input::{malformed, ByteOrder, Fields, Input};
use super::linktype::{adjust_snapshot, linktype_to_dlt, max_snaplen_for_dlt};
use super::precision::scale_fraction;
use super::{FileInfo, Format, PacketHeader, Precision, Resolution};
use crate::error::{Error, Result};

pub(crate) const BT_SHB: u32 = 0x0A0D_0D0A;
const BT_IDB: u32 = 1;
const BT_PB: u32 = 2;
const BT_SPB: u32 = 3;
const BT_EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const BLOCK_HEADER_LEN: usize = 8;
const BLOCK_TRAILER_LEN: usize = 4;
/// Fixed part of an Enhanced Packet Block after the block header.
const EPB_FIXED_LEN: usize = 20;
/// Fixed part of a Section Header Block after the block header.
const SHB_FIXED_LEN: usize = 16;
const SHB_INSANE_MAX: u32 = 1024 * 1024;
/// libpcap starts by refusing blocks over 16 MiB...
const INITIAL_MAX_BLOCKSIZE: u32 = 16 * 1024 * 1024;
/// ...and raises that to an EPB holding the link type's largest packet plus
/// 128 KiB of options.
const fn max_blocksize_for_snaplen(max_snaplen: u32) -> u32 {
    (BLOCK_HEADER_LEN + 20 + BLOCK_TRAILER_LEN) as u32 + max_snaplen + 131_072
}

const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// How to turn one interface's time stamps into the caller's.
#[derive(Debug, Clone, Copy)]
struct Interface {
    resolution: Resolution,
    offset: i64,
    /// The resolution's units per second, worked out once per interface.
    units: u64,
    /// The resolution is the precision asked for: fractions pass as they are.
    native: bool,
}

/// A block read whole; `body` is the part between header and trailer,
/// writable because a packet's pseudo-header may be converted in place.
struct Block<'a> {
    block_type: u32,
    body: &'a mut [u8],
}

/// State for reading blocks after the first interface.
#[derive(Debug)]
pub(crate) struct PcapngReader {
    order: ByteOrder,
    precision: Precision,
    dlt: i32,
    snapshot: u32,
    max_blocksize: u32,
    /// Interfaces of the current section, indexed by interface ID.
    interfaces: Vec<Interface>,
}

/// "block of type N in pcapng dump file is too short".
fn too_short(block_type: u32) -> Error {
    malformed(format!("block of type {block_type} in pcapng dump file is too short"))
}

/// If `magic` is a Section Header Block type, reads the SHB and blocks up to
/// the first Interface Description Block. `Ok(None)` means "not pcapng"
/// (which includes a file too short to hold the byte-order magic).
pub(crate) fn open<R: Read>(
    magic: [u8; 4],
    r: &mut Input<R>,
    precision: Precision,
) -> Result<Option<(FileInfo, PcapngReader)>> {
    if u32::from_ne_bytes(magic) != BT_SHB {
        return Ok(None);
    }
    let Ok(len_bytes) = <[u8; 4]>::try_from(&*r.take(4)?) else { return Ok(None) };
    let Ok(bom_bytes) = <[u8; 4]>::try_from(&*r.take(4)?) else { return Ok(None) };
    let swapped = match u32::from_ne_bytes(bom_bytes) {
        BYTE_ORDER_MAGIC => false,
        m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
        _ => return Ok(None),
    };
    let order = ByteOrder { swapped };
    let total_length = order.u32(len_bytes);
    let min = (BLOCK_HEADER_LEN + SHB_FIXED_LEN + BLOCK_TRAILER_LEN) as u32;
    if total_length < min || total_length > SHB_INSANE_MAX {
        return Err(malformed(format!(
            "Section Header Block in pcapng dump file has invalid length {min} < _{total_length}_ < {SHB_INSANE_MAX} (BT_SHB_INSANE_MAX)"
        )));
    }
    // The first SHB is taken as it is: libpcap reads the rest of it but does
    // not check its trailer or options.
    let want = u64::from(total_length) - 12;
    let shb = r.take(want as usize)?;
    if shb.len() as u64 != want {
        return Err(truncated(want, shb.len()));
    }
    let mut f = Fields::new(shb, order);
    let (Some(major), Some(minor)) = (f.u16(), f.u16()) else {
        return Err(too_short(BT_SHB));
    };
    if !(major == 1 && (minor == 0 || minor == 2)) {
        return Err(malformed(format!("unsupported pcapng savefile version {major}.{minor}")));
    }

    let mut reader = PcapngReader {
        order,
        precision,
        dlt: 0,
        snapshot: 0,
        max_blocksize: INITIAL_MAX_BLOCKSIZE,
        interfaces: Vec::new(),
    };
    loop {
        let Some(block) = reader.read_block(r)? else {
            return Err(malformed("the capture file has no Interface Description Blocks"));
        };
        match block.block_type {
            BT_IDB => {
                let mut body = Fields::new(block.body, order);
                let (linktype, snaplen) = idb_fixed(&mut body, block.block_type)?;
                reader.dlt = linktype_to_dlt(u32::from(linktype));
                reader.snapshot = adjust_snapshot(reader.dlt, snaplen);
                let iface = reader.add_interface(&mut body)?;
                let max = max_blocksize_for_snaplen(max_snaplen_for_dlt(reader.dlt));
                reader.max_blocksize = reader.max_blocksize.max(max);
                let info = FileInfo {
                    format: Format::Pcapng,
                    dlt: reader.dlt,
                    linktype_ext: 0,
                    snaplen: reader.snapshot,
                    version_major: major,
                    version_minor: minor,
                    swapped,
                    resolution: iface.resolution,
                };
                return Ok(Some((info, reader)));
            }
            BT_EPB | BT_SPB | BT_PB => {
                return Err(malformed("the capture file has a packet block before any Interface Description Blocks"))
            }
            _ => {}
        }
    }
}

fn truncated(want: u64, got: usize) -> Error {
    malformed(format!("truncated pcapng dump file; tried to read {want} bytes, only got {got}"))
}

/// The fixed part of an IDB: link type and snapshot length.
fn idb_fixed(body: &mut Fields<'_>, block_type: u32) -> Result<(u16, u32)> {
    let (Some(linktype), Some(_reserved), Some(snaplen)) = (body.u16(), body.u16(), body.u32()) else {
        return Err(too_short(block_type));
    };
    Ok((linktype, snaplen))
}

impl PcapngReader {
    /// Reads one whole block into `buf`; `Ok(None)` at a clean end of file.
    fn read_block<'b, R: Read>(&self, r: &'b mut Input<R>) -> Result<Option<Block<'b>>> {
        let hdr = r.take(BLOCK_HEADER_LEN)?;
        let got = hdr.len();
        if got == 0 {
            return Ok(None);
        }
        if got != BLOCK_HEADER_LEN {
            return Err(truncated(BLOCK_HEADER_LEN as u64, got));
        }
        let mut f = Fields::new(hdr, self.order);
        let (Some(block_type), Some(total_length)) = (f.u32(), f.u32()) else {
            return Err(truncated(BLOCK_HEADER_LEN as u64, got));
        };
        let min = BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN;
        if (total_length as usize) < min {
            return Err(malformed(format!("block in pcapng dump file has a length of {total_length} < {min}")));
        }
        if total_length % 4 != 0 {
            return Err(malformed(format!(
                "block in pcapng dump file has a length of {total_length} that is not a multiple of 4"
            )));
        }
        if total_length > self.max_blocksize {
            return Err(malformed(format!("pcapng block size {total_length} > maximum {}", self.max_blocksize)));
        }
        let want = u64::from(total_length) - BLOCK_HEADER_LEN as u64;
        let buf = r.take(want as usize)?;
        let got = buf.len();
        if got as u64 != want {
            return Err(truncated(want, got));
        }
        let body_len = got - BLOCK_TRAILER_LEN;
        let (body, trailer) = buf.split_at_mut(body_len);
        let trailer_len = Fields::new(trailer, self.order).u32().unwrap_or_default();
        if trailer_len != total_length {
            // libpcap 1.10 does not say what the two lengths were.
            return Err(malformed("block total length in header and trailer don't match"));
        }
        Ok(Some(Block { block_type, body }))
    }

    /// Parses an IDB's options and records the interface for this section.
    fn add_interface(&mut self, opts: &mut Fields<'_>) -> Result<Interface> {
        let mut resolution = Resolution::Decimal(6);
        let mut offset = 0i64;
        let (mut saw_tsresol, mut saw_tsoffset) = (false, false);
        while opts.remaining() != 0 {
            let (Some(code), Some(len)) = (opts.u16(), opts.u16()) else {
                return Err(too_short(BT_IDB));
            };
            let padded = usize::from(len).div_ceil(4) * 4;
            let Some(value) = opts.take(padded) else {
                return Err(too_short(BT_IDB));
            };
            match code {
                OPT_ENDOFOPT => {
                    if len != 0 {
                        return Err(malformed(format!(
                            "Interface Description Block has opt_endofopt option with length {len} != 0"
                        )));
                    }
                    break;
                }
                IF_TSRESOL => {
                    if len != 1 {
                        return Err(malformed(format!(
                            "Interface Description Block has if_tsresol option with length {len} != 1"
                        )));
                    }
                    if saw_tsresol {
                        return Err(malformed("Interface Description Block has more than one if_tsresol option"));
                    }
                    saw_tsresol = true;
                    let v = value.first().copied().unwrap_or_default();
                    resolution = if v & 0x80 != 0 {
                        let shift = v & 0x7f;
                        if shift > 63 {
                            return Err(malformed(format!(
                                "Interface Description Block if_tsresol option resolution 2^-{shift} is too high"
                            )));
                        }
                        Resolution::Binary(shift)
                    } else {
                        if v > 19 {
                            return Err(malformed(format!(
                                "Interface Description Block if_tsresol option resolution 10^-{v} is too high"
                            )));
                        }
                        Resolution::Decimal(v)
                    };
                }
                IF_TSOFFSET => {
                    if len != 8 {
                        return Err(malformed(format!(
                            "Interface Description Block has if_tsoffset option with length {len} != 8"
                        )));
                    }
                    if saw_tsoffset {
                        return Err(malformed("Interface Description Block has more than one if_tsoffset option"));
                    }
                    saw_tsoffset = true;
                    offset = Fields::new(value, self.order).u64().unwrap_or_default() as i64;
                }
                _ => {}
            }
        }
        let units = resolution.units_per_second();
        let native = units == self.precision.units_per_second();
        let iface = Interface { resolution, offset, units, native };
        self.interfaces.push(iface);
        Ok(iface)
    }

    /// A packet's header, its time stamp `t` (in `iface`'s units) turned
    /// into the caller's precision as libpcap does.
    #[inline(always)]
    fn packet_header(&self, iface: &Interface, t: u64, caplen: u32, len: u32) -> PacketHeader {
        // The usual resolutions get divisions by a constant, which the
        // compiler turns into multiplications.
        let (whole, part) = match iface.units {
            1_000_000 => (t / 1_000_000, t % 1_000_000),
            1_000_000_000 => (t / 1_000_000_000, t % 1_000_000_000),
            units => (t / units, t % units),
        };
        let sec = whole.wrapping_add(iface.offset as u64);
        let frac = if iface.native { part } else { scale_fraction(part, iface.resolution, self.precision) };
        PacketHeader {
            ts_sec: sec as i64,
            // libpcap stores the fraction through an `int`.
            ts_frac: i64::from(frac as i32),
            caplen,
            len,
        }
    }

    /// The block at the start of `ready`, if it is an Enhanced Packet Block
    /// that is whole in view and passes every check the general path
    /// makes: its packet's header, where the data is in the block, and the
    /// block's length. None sends the block the general way, which
    /// checks it again and reports what is wrong.
    #[inline]
    fn plain_epb(&self, ready: &[u8]) -> Option<(PacketHeader, std::ops::Range<usize>, usize)> {
        // One copy per byte order: the fields are read without a test of
        // the order each (seven per block).
        if self.order.swapped {
            self.plain_epb_in::<true>(ready)
        } else {
            self.plain_epb_in::<false>(ready)
        }
    }

    #[inline(always)]
    fn plain_epb_in<const SWAPPED: bool>(&self, ready: &[u8]) -> Option<(PacketHeader, std::ops::Range<usize>, usize)> {
        const FIXED: usize = BLOCK_HEADER_LEN + EPB_FIXED_LEN;
        let fixed = ready.first_chunk::<FIXED>()?;
        let word = |b: [u8; 4]| {
            let v = u32::from_ne_bytes(b);
            if SWAPPED {
                v.swap_bytes()
            } else {
                v
            }
        };
        let field = |at: usize| word([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]]);
        let total = field(4);
        if field(0) != BT_EPB || total % 4 != 0 || total > self.max_blocksize {
            return None;
        }
        let total = total as usize;
        let trailer = ready.get(total.checked_sub(BLOCK_TRAILER_LEN)?..total)?.first_chunk::<4>()?;
        if word(*trailer) as usize != total {
            return None;
        }
        let (id, hi, lo, caplen, len) = (field(8), field(12), field(16), field(20), field(24));
        let iface = self.interfaces.get(id as usize)?;
        let data = FIXED..FIXED + caplen as usize;
        if caplen > self.snapshot || data.end > total - BLOCK_TRAILER_LEN {
            return None;
        }
        let header = self.packet_header(iface, u64::from(hi) << 32 | u64::from(lo), caplen, len);
        Some((header, data, total))
    }

    /// Reads blocks until a packet; returns its header and where its data is
    /// in `r`'s buffer. `Ok(None)` at a clean end of file.
    #[inline]
    pub(crate) fn next<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Result<Option<(PacketHeader, &'r mut [u8])>> {
        if let Some((header, data, total)) = self.plain_epb(r.ready()) {
            return Ok(Some((header, r.take_ready(total).get_mut(data).unwrap_or_default())));
        }
        self.next_blocks(r)
    }

    /// The next block if it is a plain Enhanced Packet Block whole in what
    /// `r` has at hand; None (nothing consumed) sends it the general way.
    #[inline]
    pub(crate) fn next_whole<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Option<(PacketHeader, &'r mut [u8])> {
        let (header, data, total) = self.plain_epb(r.ready())?;
        Some((header, r.take_ready(total).get_mut(data).unwrap_or_default()))
    }

    /// [`PcapngReader::next`] for every case: block by block, each checked.
    #[inline(never)]
    fn next_blocks<'r, R: Read>(&mut self, r: &'r mut Input<R>) -> Result<Option<(PacketHeader, &'r mut [u8])>> {
        let (header, data) = loop {
            let Some(block) = self.read_block(r)? else {
                return Ok(None);
            };
            let block_type = block.block_type;
            let mut body = Fields::new(block.body, self.order);
            let b = &mut body;
            let (interface_id, caplen, len, t) = match block_type {
                BT_EPB => {
                    let (Some(id), Some(hi), Some(lo), Some(caplen), Some(len)) =
                        (b.u32(), b.u32(), b.u32(), b.u32(), b.u32())
                    else {
                        return Err(too_short(block_type));
                    };
                    (id, caplen, len, u64::from(hi) << 32 | u64::from(lo))
                }
                BT_PB => {
                    let (Some(id), Some(_drops), Some(hi), Some(lo), Some(caplen), Some(len)) =
                        (b.u16(), b.u16(), b.u32(), b.u32(), b.u32(), b.u32())
                    else {
                        return Err(too_short(block_type));
                    };
                    (u32::from(id), caplen, len, u64::from(hi) << 32 | u64::from(lo))
                }
                BT_SPB => {
                    let Some(len) = b.u32() else {
                        return Err(too_short(block_type));
                    };
                    // No captured length or time stamp: the packet is cut at
                    // the snapshot length and came from interface 0.
                    (0, len.min(self.snapshot), len, 0)
                }
                BT_IDB => {
                    let (linktype, snaplen) = idb_fixed(b, block_type)?;
                    // libpcap compares the first interface's DLT_ with this
                    // one's raw LINKTYPE_; so do we.
                    if i64::from(self.dlt) != i64::from(linktype) {
                        return Err(malformed(format!(
                            "an interface has a type {linktype} different from the type of the first interface"
                        )));
                    }
                    if self.snapshot != adjust_snapshot(self.dlt, snaplen) {
                        return Err(malformed(format!(
                            "an interface has a snapshot length {snaplen} different from the snapshot length of the first interface"
                        )));
                    }
                    self.add_interface(b)?;
                    continue;
                }
                BT_SHB => {
                    self.check_later_section(b)?;
                    self.interfaces.clear();
                    continue;
                }
                _ => continue,
            };

            let Some(iface) = self.interfaces.get(interface_id as usize).copied() else {
                return Err(malformed(format!(
                    "a packet arrived on interface {interface_id}, but there's no Interface Description Block for that interface"
                )));
            };
            if caplen > self.snapshot {
                return Err(malformed(format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    self.snapshot
                )));
            }
            let header = self.packet_header(&iface, t, caplen, len);
            let data_start = b.position();
            if b.take(caplen as usize).is_none() {
                return Err(too_short(block_type));
            }
            break (header, data_start..data_start + caplen as usize);
        };
        // The block was the last thing taken from `r` (a borrow returned
        // from inside the loop would outlive the iterations that skip blocks).
        Ok(Some((header, r.last_taken().get_mut(data).unwrap_or_default())))
    }

    /// A later SHB must keep the byte order and major version.
    fn check_later_section(&self, b: &mut Fields<'_>) -> Result<()> {
        let Some(fixed) = b.take(SHB_FIXED_LEN) else {
            return Err(too_short(BT_SHB));
        };
        let mut f = Fields::new(fixed, self.order);
        let (Some(bom), Some(major)) = (f.u32(), f.u16()) else {
            return Err(too_short(BT_SHB));
        };
        match bom {
            BYTE_ORDER_MAGIC => {}
            m if m == BYTE_ORDER_MAGIC.swap_bytes() => {
                return Err(malformed("the file has sections with different byte orders"))
            }
            _ => return Err(malformed("the file has a section with a bad byte order magic field")),
        }
        if major != 1 {
            return Err(malformed(format!("unknown pcapng savefile major version number {major}")));
        }
        Ok(())
    }
}
