//! Checked views over ring memory, the only code that dereferences it.
//!
//! A `RingMem<'m>` borrows the mapping (so no view outlives the munmap) and
//! checks the ring's layout against it once, where it is made: the ring
//! lies inside the mapping, frames and blocks are aligned for their status
//! words, frames never run past their block. After that a frame or block
//! view is in bounds by construction, and every read at an offset the
//! kernel wrote (a V3 packet's header, a frame's data) is checked against
//! the view it is in. Readers and TX work on these views, never on raw
//! pointers.
//!
//! The status words are reached only through `FrameMem::{status, release}`
//! and `BlockMem::{status, release}`: an acquire load before the frame's
//! contents are read, a release store after the last access.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use super::header::{OffsetField, Plain, TpacketHeader};
use super::Mapping;
use crate::error::{Error, Result};
use crate::geometry::{Geometry, Version};
use crate::sys;

/// Status words (u32, or V1's unsigned long) sit at aligned offsets of
/// frame headers (TpacketHeader::TP_STATUS) and at offset 8 of V3 blocks; frames and blocks start at multiples of
/// TPACKET_ALIGNMENT (16) from a base aligned for an unsigned long, so
/// every status word is aligned.
const ALIGN: usize = sys::TPACKET_ALIGNMENT_USIZE;
const BASE_ALIGN: usize = align_of::<AtomicUsize>();

/// A span of memory shared with the kernel. Accessors check every offset
/// against the span; the contents of a frame or block are only meaningful
/// while its status word says user space owns it.
#[derive(Clone, Copy)]
pub struct Region<'m> {
    ptr: NonNull<u8>,
    len: usize,
    /// Shared, mutable (by the kernel) memory borrowed for 'm.
    _mem: PhantomData<&'m UnsafeCell<[u8]>>,
}

/// Bytes a reader found a packet in, not yet viewed as a slice: a packet
/// goes to delivery like this, so that it can still be rewritten in place
/// (a VLAN tag put back, as libpcap does) before anything reads it through
/// a shared slice.
#[derive(Clone, Copy)]
pub struct Span<'m> {
    ptr: NonNull<u8>,
    len: usize,
    _mem: PhantomData<&'m [u8]>,
}

impl<'m> Span<'m> {
    /// # Safety
    /// `ptr` is valid for reads of `len` bytes for 'm, with the provenance
    /// of the memory it lies in.
    pub unsafe fn from_raw(ptr: NonNull<u8>, len: usize) -> Span<'m> {
        Span { ptr, len, _mem: PhantomData }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// The bytes, read-only from now on.
    #[inline]
    pub fn as_slice(self) -> &'m [u8] {
        // SAFETY: valid for reads of len bytes for 'm (`from_raw`, `From`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<'m> From<&'m [u8]> for Span<'m> {
    fn from(bytes: &'m [u8]) -> Span<'m> {
        Span { ptr: NonNull::from(bytes).cast(), len: bytes.len(), _mem: PhantomData }
    }
}

impl<'m> Region<'m> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of `n` bytes at `off`, if they lie inside the span.
    #[inline]
    fn at(&self, off: usize, n: usize) -> Option<NonNull<u8>> {
        if n > self.len || off > self.len - n {
            return None;
        }
        // SAFETY: off + n <= len, so the result stays inside the span.
        Some(unsafe { self.ptr.add(off) })
    }

    /// The `n`-byte span at `off`.
    pub fn sub(&self, off: usize, n: usize) -> Option<Region<'m>> {
        Some(Region { ptr: self.at(off, n)?, len: n, _mem: PhantomData })
    }

    /// A T at `off` (unaligned: the kernel's offsets are).
    #[inline]
    pub fn read<T: Plain>(&self, off: usize) -> Option<T> {
        let p = self.at(off, size_of::<T>())?;
        // SAFETY: the bytes are inside the span, and any bit pattern is a T (Plain).
        Some(unsafe { p.as_ptr().cast::<T>().read_unaligned() })
    }

    /// Writes a T at `off`; false (nothing written) when it does not fit.
    #[must_use]
    pub fn write<T: Plain>(&self, off: usize, value: T) -> bool {
        let Some(p) = self.at(off, size_of::<T>()) else { return false };
        // SAFETY: the bytes are inside the span; the caller's side owns them
        // (status-word protocol), so nobody reads them meanwhile.
        unsafe { p.as_ptr().cast::<T>().write_unaligned(value) };
        true
    }

    /// Copies `data` to `off`; false (nothing written) when it does not fit.
    #[must_use]
    pub fn write_bytes(&self, off: usize, data: &[u8]) -> bool {
        let Some(p) = self.at(off, data.len()) else { return false };
        // SAFETY: as in write; `data` is ordinary memory, never the ring.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p.as_ptr(), data.len()) };
        true
    }

    /// Asks the CPU to load the cache line at `off`; nothing past the span.
    #[inline(always)]
    pub fn prefetch(&self, off: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(p) = self.at(off, 1) {
            // SAFETY: the address is inside the span; a prefetch is a hint
            // that reads nothing and never faults.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.as_ptr().cast_const().cast())
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
    }

    /// The `n` bytes at `off`.
    #[inline]
    pub fn bytes(&self, off: usize, n: usize) -> Option<&'m [u8]> {
        let p = self.at(off, n)?;
        // SAFETY: inside the span, which lives for 'm; the owner of the
        // frame or block (status-word protocol) is the only writer.
        Some(unsafe { std::slice::from_raw_parts(p.as_ptr(), n) })
    }

    /// Up to `n` bytes from `off`, cut at the span's end (empty past it):
    /// for a packet whose caplen the kernel wrote.
    #[inline]
    pub fn bytes_up_to(&self, off: usize, n: usize) -> &'m [u8] {
        self.span_up_to(off, n).as_slice()
    }

    /// The same bytes not yet viewed as a slice, so that their owner may
    /// still rewrite them in place (see [`Span`]).
    #[inline]
    pub fn span_up_to(&self, off: usize, n: usize) -> Span<'m> {
        let off = off.min(self.len);
        let n = n.min(self.len - off);
        match self.at(off, n) {
            // SAFETY: inside this span, which lives for 'm.
            Some(ptr) => unsafe { Span::from_raw(ptr, n) },
            None => Span::from(&[][..]),
        }
    }

    /// The `n` bytes at `off`, writable.
    ///
    /// # Safety
    /// This side owns the bytes (status-word protocol) and no other
    /// reference to them exists while the slice lives.
    pub unsafe fn bytes_mut(&self, off: usize, n: usize) -> Option<&'m mut [u8]> {
        let p = self.at(off, n)?;
        // SAFETY: inside the span; exclusivity is the caller's contract.
        Some(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), n) })
    }

    /// The address of the `n` bytes at `off`, for handing to C (the V3
    /// block private area).
    pub fn ptr_at(&self, off: usize, n: usize) -> Option<*mut u8> {
        self.at(off, n).map(NonNull::as_ptr)
    }

    /// An aligned word at `off` as an atomic.
    fn atomic_u32(&self, off: usize) -> &'m AtomicU32 {
        let p = self.at(off, size_of::<u32>()).expect("status word inside the checked layout");
        debug_assert!(p.as_ptr() as usize % align_of::<AtomicU32>() == 0);
        // SAFETY: inside the span for 'm, aligned (the ALIGN rules checked
        // in RingMem::over), and only ever accessed atomically by both sides.
        unsafe { AtomicU32::from_ptr(p.as_ptr().cast()) }
    }

    fn atomic_usize(&self, off: usize) -> &'m AtomicUsize {
        let p = self.at(off, size_of::<usize>()).expect("status word inside the checked layout");
        debug_assert!(p.as_ptr() as usize % align_of::<AtomicUsize>() == 0);
        // SAFETY: as in atomic_u32.
        unsafe { AtomicUsize::from_ptr(p.as_ptr().cast()) }
    }
}

/// One ring (RX or TX) of a mapping, its layout checked against it.
#[derive(Clone, Copy)]
pub struct RingMem<'m> {
    region: Region<'m>,
    geometry: Geometry,
}

impl<'m> RingMem<'m> {
    /// The ring `geometry` describes, `offset` bytes into `mapping`.
    pub fn new(mapping: &'m Mapping, offset: usize, geometry: Geometry) -> Result<RingMem<'m>> {
        let whole = Region { ptr: mapping.base(), len: mapping.len(), _mem: PhantomData };
        let region = whole.sub(offset, geometry.ring_bytes()).ok_or_else(|| {
            Error::invalid(format!(
                "the {}-byte ring at offset {offset} lies outside the {}-byte mapping",
                geometry.ring_bytes(),
                mapping.len()
            ))
        })?;
        RingMem::over(region, geometry)
    }

    /// A ring over ordinary memory, standing in for a mapping in unit tests
    /// (the test plays the kernel through the same views).
    #[cfg(test)]
    pub fn over_words(words: &'m mut [u64], geometry: Geometry) -> Result<RingMem<'m>> {
        let len = std::mem::size_of_val(words);
        let region = Region { ptr: NonNull::from(words).cast(), len, _mem: PhantomData };
        RingMem::over(
            region.sub(0, geometry.ring_bytes()).ok_or_else(|| Error::invalid("ring larger than memory"))?,
            geometry,
        )
    }

    fn over(region: Region<'m>, g: Geometry) -> Result<RingMem<'m>> {
        let bad = |why: String| Err(Error::invalid(format!("ring layout {g}: {why}")));
        if region.ptr.as_ptr() as usize % BASE_ALIGN != 0 {
            return bad(format!("the ring does not start on a {BASE_ALIGN}-byte boundary"));
        }
        let (block, frame) = (g.block_size as usize, g.frame_size as usize);
        if block == 0 || block % ALIGN != 0 || frame == 0 || frame % ALIGN != 0 {
            return bad(format!("block and frame sizes must be non-zero multiples of {ALIGN}"));
        }
        if frame > block {
            return bad("a frame is larger than its block".into());
        }
        if u64::from(g.frame_nr) > u64::from(g.frames_per_block()) * u64::from(g.block_nr) {
            return bad("more frames than the blocks hold".into());
        }
        Ok(RingMem { region, geometry: g })
    }

    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The ring's frames as `H`'s: V1/V2 RX and TX, and V3 TX (frame based too).
    pub fn frames<H: TpacketHeader>(&self) -> Result<FrameRing<'m, H>> {
        let g = &self.geometry;
        if g.version != H::VERSION {
            return Err(Error::invalid(format!("a {:?} ring read as {:?} frames", g.version, H::VERSION)));
        }
        if (g.frame_size as usize) < H::HDRLEN {
            return Err(Error::invalid(format!("{}-byte frames cannot hold their header", g.frame_size)));
        }
        Ok(FrameRing { ring: *self, per_block: g.frames_per_block(), _h: PhantomData })
    }

    /// The ring's blocks (V3 RX).
    pub fn blocks(&self) -> Result<BlockRing<'m>> {
        if self.geometry.version != Version::V3 {
            return Err(Error::invalid(format!("a {:?} ring has no blocks to read", self.geometry.version)));
        }
        if (self.geometry.block_size as usize) < sys::V3_BLOCK_HEADER_LEN {
            return Err(Error::invalid("blocks too small for their descriptor"));
        }
        Ok(BlockRing { ring: *self })
    }
}

/// A ring's layout checked against the mapping it lies in, kept with (a
/// share of) the mapping: what a handle holds, making its `RingMem` view
/// whenever it reads or writes the ring, without checking again.
pub struct MappedRing {
    mapping: Arc<Mapping>,
    offset: usize,
    geometry: Geometry,
}

impl MappedRing {
    pub fn new(mapping: Arc<Mapping>, offset: usize, geometry: Geometry) -> Result<MappedRing> {
        RingMem::new(&mapping, offset, geometry)?;
        Ok(MappedRing { mapping, offset, geometry })
    }

    /// The ring's view, borrowing the mapping.
    #[inline]
    pub fn mem(&self) -> RingMem<'_> {
        // SAFETY: new() checked that ring_bytes() from offset lie inside the
        // mapping, and that the layout is sound; none of the three changes.
        let ptr = unsafe { self.mapping.base().add(self.offset) };
        RingMem { region: Region { ptr, len: self.geometry.ring_bytes(), _mem: PhantomData }, geometry: self.geometry }
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }
}

/// The frames of a ring whose layout and header size were checked.
#[derive(Clone, Copy)]
pub struct FrameRing<'m, H> {
    ring: RingMem<'m>,
    per_block: u32,
    _h: PhantomData<H>,
}

impl<'m, H: TpacketHeader> FrameRing<'m, H> {
    pub fn frame_nr(&self) -> u32 {
        self.ring.geometry.frame_nr
    }

    /// Frame `i`, counting round the ring (i mod frame_nr). Frames never
    /// span blocks, so a block may end in a gap.
    #[inline]
    pub fn frame(&self, i: u32) -> FrameMem<'m, H> {
        let g = &self.ring.geometry;
        let i = if i < g.frame_nr { i } else { i % g.frame_nr };
        let off = (i / self.per_block) as usize * g.block_size as usize
            + (i % self.per_block) as usize * g.frame_size as usize;
        let region = self.ring.region.sub(off, g.frame_size as usize).expect("frames lie inside the checked layout");
        FrameMem { region, _h: PhantomData }
    }
}

/// One frame: its header of version `H`, its status word, its bytes.
#[derive(Clone, Copy)]
pub struct FrameMem<'m, H> {
    region: Region<'m>,
    _h: PhantomData<H>,
}

impl<'m, H: TpacketHeader> FrameMem<'m, H> {
    /// Reads the frame's status; the acquire pairs with the kernel's
    /// smp_wmb before it publishes the frame, so its contents are visible
    /// afterwards.
    #[inline]
    pub fn status(&self) -> u32 {
        if H::STATUS_IS_LONG {
            self.region.atomic_usize(H::TP_STATUS).load(Ordering::Acquire) as u32
        } else {
            self.region.atomic_u32(H::TP_STATUS).load(Ordering::Acquire)
        }
    }

    /// Hands the frame to the other side with `status`; the release orders
    /// all earlier reads (RX) or writes (TX) of the frame before the handover.
    #[inline]
    pub fn release(&self, status: u32) {
        if H::STATUS_IS_LONG {
            self.region.atomic_usize(H::TP_STATUS).store(status as usize, Ordering::Release)
        } else {
            self.region.atomic_u32(H::TP_STATUS).store(status, Ordering::Release)
        }
    }

    /// The frame header (FrameRing checked that frames hold it).
    #[inline]
    pub fn header(&self) -> H::Raw {
        self.region.read(0).unwrap_or_default()
    }

    /// The sockaddr_ll after the header (FrameRing checked it fits).
    #[inline]
    pub fn link(&self) -> sys::sockaddr_ll {
        self.region.read(H::SLL_AT).unwrap_or_default()
    }

    /// The whole frame, header included.
    pub fn region(&self) -> Region<'m> {
        self.region
    }

    /// Fills the header fields TX sets for a `len`-byte packet whose data
    /// starts `data_offset` bytes in; the status word is left for `release`.
    pub fn set_tx_header(&self, len: u32, data_offset: Option<(OffsetField, u16)>, next_offset: u32) {
        let r = &self.region;
        // The offsets are H's own fields, inside the header FrameRing checked.
        let mut ok = r.write(H::TP_LEN, len) & r.write(H::TP_SNAPLEN, len);
        if let Some(at) = H::TP_NEXT_OFFSET {
            ok &= r.write(at, next_offset);
        }
        if let Some((field, offset)) = data_offset {
            ok &= r.write(if field == OffsetField::Net { H::TP_NET } else { H::TP_MAC }, offset);
        }
        debug_assert!(ok, "header fields lie inside the header");
    }
}

/// The blocks of a V3 RX ring.
#[derive(Clone, Copy)]
pub struct BlockRing<'m> {
    ring: RingMem<'m>,
}

impl<'m> BlockRing<'m> {
    pub fn block_nr(&self) -> u32 {
        self.ring.geometry.block_nr
    }

    /// Block `i`, counting round the ring (i mod block_nr).
    #[inline]
    pub fn block(&self, i: u32) -> BlockMem<'m> {
        let g = &self.ring.geometry;
        let i = if i < g.block_nr { i } else { i % g.block_nr };
        let size = g.block_size as usize;
        let region = self.ring.region.sub(i as usize * size, size).expect("blocks lie inside the checked layout");
        BlockMem { region }
    }
}

/// What a retired V3 block's descriptor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockDesc {
    pub num_pkts: u32,
    pub offset_to_first_pkt: u32,
    pub seq_num: u64,
    pub offset_to_priv: u32,
}

const BLOCK_HDR: usize = offset_of!(sys::tpacket_block_desc, hdr);
const BLOCK_STATUS: usize = BLOCK_HDR + offset_of!(sys::tpacket_hdr_v1, block_status);
const BLOCK_NUM_PKTS: usize = BLOCK_HDR + offset_of!(sys::tpacket_hdr_v1, num_pkts);

/// One V3 block: its descriptor, its status word, its packets.
#[derive(Clone, Copy)]
pub struct BlockMem<'m> {
    region: Region<'m>,
}

impl<'m> BlockMem<'m> {
    /// The block's status, with acquire semantics (see FrameMem::status).
    #[inline]
    pub fn status(&self) -> u32 {
        self.region.atomic_u32(BLOCK_STATUS).load(Ordering::Acquire)
    }

    /// Returns the block to the kernel after its last packet was read.
    #[inline]
    pub fn release(&self) {
        self.region.atomic_u32(BLOCK_STATUS).store(sys::TP_STATUS_KERNEL, Ordering::Release)
    }

    /// Hands the block to user space, as the kernel retires it (fake rings
    /// of unit tests).
    #[cfg(test)]
    pub fn retire(&self) {
        self.region.atomic_u32(BLOCK_STATUS).store(sys::TP_STATUS_USER, Ordering::Release)
    }

    /// The descriptor (BlockRing checked that blocks hold it).
    pub fn descriptor(&self) -> BlockDesc {
        let desc: sys::tpacket_block_desc = self.region.read(0).unwrap_or_default();
        // SAFETY: bh1 is the union's only variant, and plain data.
        let h1 = unsafe { desc.hdr.bh1 };
        BlockDesc {
            num_pkts: h1.num_pkts,
            offset_to_first_pkt: h1.offset_to_first_pkt,
            seq_num: h1.seq_num,
            offset_to_priv: desc.offset_to_priv,
        }
    }

    /// Packets already in a block the kernel is still filling. The kernel
    /// updates this word meanwhile, so it is read once, atomically, and
    /// only good for comparing with 0.
    pub fn packets_so_far(&self) -> u32 {
        self.region.atomic_u32(BLOCK_NUM_PKTS).load(Ordering::Relaxed)
    }

    /// The whole block.
    pub fn region(&self) -> Region<'m> {
        self.region
    }
}

// The block descriptor layout this relies on.
const _: () = assert!(BLOCK_HDR == 8 && BLOCK_STATUS % 4 == 0 && BLOCK_NUM_PKTS % 4 == 0);
