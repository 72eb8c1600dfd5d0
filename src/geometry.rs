//! Ring geometry: block and frame layout, checked against every constraint
//! of Documentation/networking/packet_mmap.rst before the kernel sees it, and
//! derived from a buffer size without libpcap's waste.

use crate::error::{Error, ErrorCode, Result};
use crate::sys;

/// TPACKET header version of a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V1,
    V2,
    V3,
}

impl Version {
    /// From the user-facing number 1, 2 or 3.
    pub fn from_number(n: i64) -> Result<Version> {
        match n {
            1 => Ok(Version::V1),
            2 => Ok(Version::V2),
            3 => Ok(Version::V3),
            _ => Err(Error::new(
                ErrorCode::InvalidVersion,
                format!("TPACKET version {n} is unknown; valid versions are 1, 2 and 3"),
            )),
        }
    }

    pub fn number(self) -> u32 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }

    /// The value PACKET_VERSION takes.
    pub fn kernel_value(self) -> i32 {
        (match self {
            Version::V1 => sys::tpacket_versions_TPACKET_V1,
            Version::V2 => sys::tpacket_versions_TPACKET_V2,
            Version::V3 => sys::tpacket_versions_TPACKET_V3,
        }) as i32
    }

    /// TPACKET{,2,3}_HDRLEN: the frame header plus its sockaddr_ll.
    pub fn header_len(self) -> usize {
        match self {
            Version::V1 => sys::TPACKET1_HDRLEN,
            Version::V2 => sys::TPACKET2_HDRLEN,
            Version::V3 => sys::TPACKET3_HDRLEN,
        }
    }
}

pub use crate::sys::page_size;

/// The smallest block the page allocator gives whole that holds `bytes`:
/// a power-of-two number of pages (libpcap's block rule, and the one that
/// wastes no page of the kernel's allocation).
pub fn pages_holding(bytes: usize) -> usize {
    let mut block = page_size();
    while block < bytes {
        block *= 2;
    }
    block
}

/// Explicit ring layout requested by the caller instead of the sizing helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
}

/// One ring's layout, as passed to PACKET_RX_RING / PACKET_TX_RING.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub version: Version,
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
    /// V3 only: bytes of per-block private area (tp_sizeof_priv).
    pub priv_size: u32,
    /// PACKET_RESERVE headroom in each frame.
    pub reserve: u32,
}

fn round_down(v: u64, m: u64) -> u64 {
    v / m * m
}

fn round_up(v: u64, m: u64) -> u64 {
    v.div_ceil(m) * m
}

fn nearest_multiples(v: u64, m: u64) -> String {
    let down = round_down(v, m);
    let up = round_up(v.max(1), m);
    if down == 0 || down == up {
        format!("{up}")
    } else {
        format!("{down} or {up}")
    }
}

impl Geometry {
    pub fn frames_per_block(&self) -> u32 {
        self.block_size.checked_div(self.frame_size).unwrap_or(0)
    }

    /// Bytes the ring maps.
    pub fn ring_bytes(&self) -> usize {
        self.block_size as usize * self.block_nr as usize
    }

    /// The smallest frame the kernel accepts for this version and reserve.
    fn min_frame(&self) -> usize {
        self.version.header_len() + self.reserve as usize
    }

    /// Checks every rule the kernel applies in packet_set_ring, in the
    /// kernel's order and with the kernel's arithmetic, each with its own
    /// code and a message naming the bad value and a valid one. A geometry
    /// that passes is one the kernel accepts (memory permitting).
    pub fn validate(&self) -> Result<()> {
        let page = page_size() as u64;
        let (bs, bn, fs, fn_) =
            (self.block_size as u64, self.block_nr as u64, self.frame_size as u64, self.frame_nr as u64);
        let align = sys::TPACKET_ALIGNMENT_USIZE as u64;
        // tp_block_nr 0 asks the kernel to tear a ring down, not to build one.
        if bn == 0 {
            return Err(Error::new(ErrorCode::BlockCountZero, "ring block count is 0; at least 1 block is needed"));
        }
        // The kernel reads the block size as an int: 2 GiB and more is negative.
        let max_block = round_down(i32::MAX as u64, page);
        if bs > i32::MAX as u64 {
            return Err(Error::new(
                ErrorCode::RingTooLarge,
                format!(
                    "ring block size {bs} is too large: the kernel takes blocks of at most {max_block} bytes (below 2 GiB); use more, smaller blocks"
                ),
            ));
        }
        if bs == 0 || bs % page != 0 {
            return Err(Error::new(
                ErrorCode::BlockSizeNotPageMultiple,
                format!(
                    "ring block size {bs} is not a positive multiple of the page size ({page}); nearest valid: {}",
                    if bs > max_block { max_block.to_string() } else { nearest_multiples(bs, page) }
                ),
            ));
        }
        let min = self.min_frame() as u64;
        if self.version == Version::V3 {
            // BLK_PLUS_PRIV((u64)tp_sizeof_priv) + min_frame_size > tp_block_size.
            let needed = sys::v3_block_plus_priv(self.priv_size as usize) as u64 + min;
            if bs < needed {
                return Err(Error::new(
                    ErrorCode::BlockTooSmallForV3,
                    format!(
                        "V3 block size {bs} cannot hold the block header ({}), the private area ({} bytes, {} aligned) and one TPACKET_V3 frame header ({}) plus reserve ({}); smallest valid block size: {}",
                        sys::V3_BLOCK_HEADER_LEN,
                        self.priv_size,
                        sys::v3_block_plus_priv(self.priv_size as usize) - sys::V3_BLOCK_HEADER_LEN,
                        self.version.header_len(),
                        self.reserve,
                        round_up(needed, page)
                    ),
                ));
            }
        }
        if fs < min {
            return Err(Error::new(
                ErrorCode::FrameSizeTooSmall,
                format!(
                    "ring frame size {fs} is smaller than the TPACKET_V{} frame header ({} bytes) plus reserve ({}); smallest valid: {}",
                    self.version.number(),
                    self.version.header_len(),
                    self.reserve,
                    round_up(min, align)
                ),
            ));
        }
        if fs % align != 0 {
            return Err(Error::new(
                ErrorCode::FrameSizeNotAligned,
                format!(
                    "ring frame size {fs} is not a multiple of TPACKET_ALIGNMENT ({align}); nearest valid: {}",
                    nearest_multiples(fs, align)
                ),
            ));
        }
        let fpb = bs / fs;
        if fpb == 0 {
            return Err(Error::new(
                ErrorCode::FrameLargerThanBlock,
                format!("ring frame size {fs} exceeds the block size {bs} and frames cannot span blocks; use a frame size of at most {bs} or a block size of at least {}", round_up(fs, page)),
            ));
        }
        // The kernel counts frames in an unsigned int and refuses a product that overflows it.
        if fpb > u32::MAX as u64 / bn {
            return Err(Error::new(
                ErrorCode::RingTooLarge,
                format!(
                    "ring of {bn} blocks x {fpb} frames per block ({bs} / {fs}) has more than {} frames, the kernel's limit; use at most {} blocks of this layout, or larger frames",
                    u32::MAX,
                    u32::MAX as u64 / fpb
                ),
            ));
        }
        if fpb * bn != fn_ {
            return Err(Error::new(
                ErrorCode::FrameCountMismatch,
                format!(
                    "ring frame count {fn_} must be exactly frames_per_block ({fpb} = {bs} / {fs}) x block count ({bn}) = {}",
                    fpb * bn
                ),
            ));
        }
        if self.version != Version::V3 && self.priv_size != 0 {
            return Err(Error::invalid(format!(
                "a block private area ({} bytes) is a TPACKET_V3 feature; use version 3 or a private area of 0",
                self.priv_size
            )));
        }
        // The kernel maps any number of blocks; only this process's address space bounds it.
        if usize::try_from(bs * bn).is_err() {
            return Err(Error::new(
                ErrorCode::RingTooLarge,
                format!(
                    "ring of {bn} blocks x {bs} bytes = {} bytes does not fit this process's address space",
                    bs * bn
                ),
            ));
        }
        Ok(())
    }

    /// The same ring with half the blocks, for a retry after ENOMEM; None
    /// once a single block is left.
    pub fn halved(&self) -> Option<Geometry> {
        if self.block_nr <= 1 {
            return None;
        }
        let block_nr = self.block_nr / 2;
        Some(Geometry { block_nr, frame_nr: self.frames_per_block() * block_nr, ..*self })
    }
}

/// How messages name a ring: the four numbers of the kernel request.
impl std::fmt::Display for Geometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TPACKET_V{}, {} blocks of {} bytes, {} frames of {} bytes",
            self.version.number(),
            self.block_nr,
            self.block_size,
            self.frame_nr,
            self.frame_size
        )?;
        if self.priv_size != 0 {
            write!(f, ", {}-byte block private area", self.priv_size)?;
        }
        Ok(())
    }
}

/// What the sizing helper derives a geometry from.
#[derive(Debug, Clone, Copy)]
pub struct Sizing {
    pub version: Version,
    /// Bytes the caller is willing to spend on the ring.
    pub buffer_bytes: usize,
    /// Largest number of packet bytes the caller wants per packet.
    pub snaplen: u32,
    /// Largest packet the link can deliver, link header included
    /// (MTU + header, or 64 KiB + header when the device aggregates with GRO/GSO).
    pub max_packet: u32,
    /// Link header length in front of the network header (0 for SOCK_DGRAM).
    pub link_header: u32,
    pub reserve: u32,
    pub priv_size: u32,
}

/// Preferred V3 block: the smallest power-of-two size that holds a 64 KiB
/// aggregated packet with its headers. Under moderate rates blocks are
/// retired by the timer long before they fill, so the ring's capacity is
/// counted in blocks x timeout: small blocks give more of them (8 MiB =
/// 64 blocks = 64 ms at a 1 ms timeout; measured in bench/ANALYSIS.md).
const V3_PREFERRED_BLOCK: usize = 128 * 1024;
/// Largest block the sizing helper picks for V1/V2 (order-7 pages on x86).
const V2_MAX_BLOCK: usize = 512 * 1024;

impl Sizing {
    /// Bytes of a frame that holds one packet of `max_bytes` (the kernel puts
    /// the packet at TPACKET_ALIGN(hdrlen + max(maclen, 16)) + reserve - maclen).
    fn frame_for(&self, max_bytes: usize) -> usize {
        let hdr = self.version.header_len();
        let netoff = sys::tpacket_align(hdr + (self.link_header as usize).max(16)) + self.reserve as usize;
        sys::tpacket_align(netoff + max_bytes)
    }

    /// A valid geometry that spends close to `buffer_bytes` (never more than
    /// one block over) and wastes as little of each block as the page
    /// allocator allows.
    pub fn geometry(&self) -> Result<Geometry> {
        if self.snaplen == 0 {
            return Err(Error::invalid("snaplen 0 is invalid; use 1 to 262144"));
        }
        let packet = (self.snaplen.min(self.max_packet.max(1))) as usize;
        let frame = self.frame_for(packet);
        let (block_size, frame_size) = match self.version {
            Version::V3 => {
                let block = pages_holding(sys::v3_block_plus_priv(self.priv_size as usize) + frame);
                // Several blocks must fit in the buffer, or the kernel has
                // nowhere to write while the reader holds one.
                let mut preferred = V3_PREFERRED_BLOCK;
                while preferred > block && self.buffer_bytes / preferred < 8 {
                    preferred /= 2;
                }
                (block.max(preferred), frame)
            }
            Version::V1 | Version::V2 => {
                let mut best = None;
                let mut block = pages_holding(frame);
                while block <= V2_MAX_BLOCK.max(frame.next_power_of_two()) {
                    let waste = (block % frame) as f64 / block as f64;
                    match best {
                        Some((_, w)) if w <= waste + 1e-9 => {}
                        _ => best = Some((block, waste)),
                    }
                    if block > self.buffer_bytes {
                        break;
                    }
                    block *= 2;
                }
                let (block, _) = best.unwrap_or((block, 0.0));
                (block, frame)
            }
        };
        let block_nr = ((self.buffer_bytes + block_size / 2) / block_size).max(1);
        let block_nr = u32::try_from(block_nr).map_err(|_| {
            Error::new(ErrorCode::RingTooLarge, format!("buffer of {} bytes is too large", self.buffer_bytes))
        })?;
        let fpb = (block_size / frame_size) as u32;
        let block_size = u32::try_from(block_size).map_err(|_| {
            Error::new(
                ErrorCode::RingTooLarge,
                format!(
                    "a block for a {}-byte private area and {frame_size}-byte frames would be {block_size} bytes; the kernel takes blocks below 2 GiB",
                    self.priv_size
                ),
            )
        })?;
        let geometry = Geometry {
            version: self.version,
            block_size,
            block_nr,
            frame_size: frame_size as u32,
            frame_nr: fpb
                .checked_mul(block_nr)
                .ok_or_else(|| Error::new(ErrorCode::RingTooLarge, "too many frames"))?,
            priv_size: self.priv_size,
            reserve: self.reserve,
        };
        geometry.validate()?;
        Ok(geometry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(version: Version, bs: u32, bn: u32, fs: u32, fnr: u32) -> Geometry {
        Geometry { version, block_size: bs, block_nr: bn, frame_size: fs, frame_nr: fnr, priv_size: 0, reserve: 0 }
    }

    #[test]
    fn every_rule_has_its_code() {
        let p = page_size() as u32;
        assert!(g(Version::V2, p, 4, 2048, 2 * 4 * p / 4096).validate().is_ok());
        assert_eq!(g(Version::V2, p, 0, 2048, 0).validate().unwrap_err().code(), ErrorCode::BlockCountZero);
        let e = g(Version::V2, p + 1, 1, 2048, 2).validate().unwrap_err();
        assert_eq!(e.code(), ErrorCode::BlockSizeNotPageMultiple);
        assert!(e.message().contains(&format!("{p} or {}", 2 * p)), "{}", e.message());
        assert_eq!(g(Version::V2, p, 1, 2040, 2).validate().unwrap_err().code(), ErrorCode::FrameSizeNotAligned);
        assert_eq!(g(Version::V2, p, 1, 48, 85).validate().unwrap_err().code(), ErrorCode::FrameSizeTooSmall);
        assert_eq!(g(Version::V2, p, 1, 2 * p, 1).validate().unwrap_err().code(), ErrorCode::FrameLargerThanBlock);
        assert_eq!(g(Version::V2, p, 2, 2048, 5).validate().unwrap_err().code(), ErrorCode::FrameCountMismatch);
        let v3 = |priv_size: u32| Geometry { priv_size, ..g(Version::V3, p, 1, p, 1) };
        let hdr = sys::TPACKET3_HDRLEN as u32;
        // The kernel's V3 rule: header + aligned private area + one frame header, not one whole frame.
        assert!(v3(0).validate().is_ok());
        let largest = (p - 48 - hdr) / 8 * 8;
        assert!(v3(largest).validate().is_ok());
        assert_eq!(v3(largest + 1).validate().unwrap_err().code(), ErrorCode::BlockTooSmallForV3);
        // A frame of exactly header + reserve is accepted, as the kernel does.
        let tiny = sys::tpacket_align(sys::TPACKET2_HDRLEN) as u32;
        let reserve = tiny - sys::TPACKET2_HDRLEN as u32;
        assert!(Geometry { reserve, ..g(Version::V2, p, 1, tiny, p / tiny) }.validate().is_ok());
        // The kernel reads the block size as an int.
        let e = g(Version::V2, 1 << 31, 1, 1 << 20, 1 << 11).validate().unwrap_err();
        assert_eq!(e.code(), ErrorCode::RingTooLarge);
        assert!(e.message().contains(&format!("at most {}", (1u64 << 31) - p as u64)), "{}", e.message());
        // Rings above 4 GiB are the kernel's to refuse (ENOMEM), not a rule.
        assert!(g(Version::V2, 1 << 30, 8, 1 << 20, 8 << 10).validate().is_ok());
        assert!(g(Version::V3, 1 << 22, 1025, 1 << 22, 1025).validate().is_ok());
        // frames_per_block x block_nr overflowing 32 bits is its own rule.
        let e = g(Version::V2, 1 << 20, 1 << 20, 16 << 4, 0).validate().unwrap_err();
        assert_eq!(e.code(), ErrorCode::RingTooLarge);
        assert!(!e.message().contains("mismatch") && e.message().contains("at most 1048575 blocks"), "{}", e.message());
        for e in [e, g(Version::V2, p, 2, 2048, 5).validate().unwrap_err()] {
            assert!(!e.message().contains('{'), "no Debug dump: {}", e.message());
        }
    }

    #[test]
    fn sizing_stays_within_the_budget() {
        for version in [Version::V1, Version::V2, Version::V3] {
            for (buffer, snap) in [(2 << 20, 65535), (64 << 20, 1514), (8 << 20, 96), (1 << 20, 262144)] {
                let s = Sizing {
                    version,
                    buffer_bytes: buffer,
                    snaplen: snap,
                    max_packet: 1514,
                    link_header: 14,
                    reserve: 0,
                    priv_size: 0,
                };
                let geo = s.geometry().unwrap();
                let ratio = geo.ring_bytes() as f64 / buffer as f64;
                assert!((0.9..=1.1).contains(&ratio), "{version:?} {buffer} {snap}: {geo:?} ratio {ratio}");
                let packet = snap.min(1514) as usize;
                assert!(s.frame_for(packet) <= geo.frame_size as usize);
            }
        }
    }

    #[test]
    fn sizing_refuses_a_private_area_no_block_can_hold() {
        let s = Sizing {
            version: Version::V3,
            buffer_bytes: 8 << 20,
            snaplen: 1514,
            max_packet: 1514,
            link_header: 14,
            reserve: 0,
            priv_size: 3 << 30,
        };
        let e = s.geometry().unwrap_err();
        assert_eq!(e.code(), ErrorCode::RingTooLarge, "{}", e.message());
        assert!(e.message().contains("below 2 GiB"), "{}", e.message());
    }

    #[test]
    fn halving_keeps_geometry_valid() {
        let s = Sizing {
            version: Version::V2,
            buffer_bytes: 4 << 20,
            snaplen: 1514,
            max_packet: 1514,
            link_header: 14,
            reserve: 0,
            priv_size: 0,
        };
        let mut geo = s.geometry().unwrap();
        while let Some(h) = geo.halved() {
            h.validate().unwrap();
            geo = h;
        }
        assert_eq!(geo.block_nr, 1);
    }
}
