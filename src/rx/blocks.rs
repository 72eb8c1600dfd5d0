//! TPACKET_V3 reading: the kernel fills whole blocks of variable-size
//! packets; a block goes back only after its last packet was delivered, and
//! a dispatch that runs out of budget mid-block resumes there next time.

use std::mem::size_of;

use crate::packet::{Headroom, PacketMeta, VnetHeader, VNET_HDR_LEN};
use crate::ring::{BlockMem, BlockRing, Region, Span, TpacketHeader, V3};
use crate::rx::{headroom, Delivery, Found, Packet};
use crate::sys;
use crate::wait::Breaker;

/// Position inside a block user space currently owns.
struct Cursor {
    remaining: u32,
    offset: usize,
    /// The block's seq_num.
    seq: u64,
    /// Where the block's private area starts, when the ring has one and it
    /// lies inside the block (checked once, when the block is opened).
    private: Option<usize>,
    /// How far into the block the cache has been asked to load.
    prefetched: usize,
}

pub struct BlockReader {
    block: u32,
    cursor: Option<Cursor>,
    /// Blocks handed back so far: how fast the ring fills, for pacing.
    released: u64,
    skip: Option<Skip>,
}

/// The packets a discard found in the block the kernel was still filling
/// and could not wait for (its retire timer is long, or never fires): they
/// predate the discard, so they are passed over when the block is opened.
struct Skip {
    block: u32,
    seq: u64,
    packets: u32,
}

impl BlockReader {
    pub fn new() -> BlockReader {
        BlockReader { block: 0, cursor: None, released: 0, skip: None }
    }

    pub fn ready(&self, ring: &BlockRing<'_>) -> bool {
        self.cursor.is_some() || ring.block(self.block).status() & sys::TP_STATUS_USER != 0
    }

    /// Opens the next block if the kernel has retired it.
    fn open_block(&mut self, ring: &BlockRing<'_>, priv_len: usize) -> bool {
        let block = ring.block(self.block);
        if block.status() & sys::TP_STATUS_USER == 0 {
            return false;
        }
        // User space owns the block after the acquire above.
        let desc = block.descriptor();
        let at = desc.offset_to_priv as usize;
        let private = (priv_len > 0 && block.region().sub(at, priv_len).is_some()).then_some(at);
        let offset = desc.offset_to_first_pkt as usize;
        let mut cur = Cursor { remaining: desc.num_pkts, offset, seq: desc.seq_num, private, prefetched: offset };
        if let Some(skip) = self.skip.take().filter(|s| s.block == self.block && s.seq == desc.seq_num) {
            for _ in 0..skip.packets.min(cur.remaining) {
                let Some(h) = block.region().read::<sys::tpacket3_hdr>(cur.offset) else {
                    cur.remaining = 0;
                    break;
                };
                cur.offset += h.tp_next_offset as usize;
                cur.remaining -= 1;
            }
            cur.prefetched = cur.offset;
        }
        self.cursor = Some(cur);
        true
    }

    fn close_block(&mut self, ring: &BlockRing<'_>) {
        // The block is owned by user space and fully read.
        ring.block(self.block).release();
        self.released += 1;
        self.cursor = None;
        self.block = (self.block + 1) % ring.block_nr();
    }

    /// Blocks handed back to the kernel since open.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Delivers up to `d.budget` packets; returns how many. `priv_len`: the
    /// ring's block private area size.
    pub fn read<F: FnMut(&Packet<'_>) + ?Sized>(
        &mut self,
        ring: &BlockRing<'_>,
        priv_len: usize,
        d: &mut Delivery<'_, F>,
    ) -> usize {
        let budget = d.budget;
        self.each_block(ring, priv_len, budget, |block, cur, left| read_block(block, cur, priv_len, d, left))
    }

    /// Hands up to `budget` packets to `each` as the kernel wrote them
    /// (see [`V3Frame`]); `each` says whether it took the packet, and the
    /// count of those is returned. Stops early when `breaker` asks.
    pub fn read_frames<E: FnMut(&V3Frame<'_>) -> bool>(
        &mut self,
        ring: &BlockRing<'_>,
        priv_len: usize,
        budget: usize,
        breaker: &Breaker,
        each: &mut E,
    ) -> usize {
        self.each_block(ring, priv_len, budget, |block, cur, left| {
            walk_block(block.region(), priv_len, cur, left, breaker, each)
        })
    }

    /// Runs `read` over the owned blocks in ring order, from the cursor
    /// on, until `budget` packets were taken or it asks to stop; each block
    /// read to its end goes back to the kernel.
    #[inline(always)]
    fn each_block(
        &mut self,
        ring: &BlockRing<'_>,
        priv_len: usize,
        budget: usize,
        mut read: impl FnMut(BlockMem<'_>, &mut Cursor, usize) -> (usize, bool),
    ) -> usize {
        let mut n = 0;
        while n < budget {
            if self.cursor.is_none() && !self.open_block(ring, priv_len) {
                break;
            }
            let block = ring.block(self.block);
            let Some(cur) = self.cursor.as_mut() else { break };
            let (got, stop) = read(block, cur, budget - n);
            n += got;
            if cur.remaining == 0 {
                self.close_block(ring);
            }
            if stop {
                break;
            }
        }
        n
    }
}

/// One packet of a block user space owns, as the walk found it: the
/// kernel's header for it, already read (in bounds); everything past the
/// header is reached through the block's bounds. Valid while the block is,
/// until the packet's callback returns.
pub(crate) struct V3Frame<'d> {
    block: Region<'d>,
    /// Where the packet's tpacket3_hdr starts in the block.
    at: usize,
    /// The block's room for one packet (the kernel's max_frame_len).
    max_frame: usize,
    pub hdr: sys::tpacket3_hdr,
}

impl<'d> V3Frame<'d> {
    /// The frame's sockaddr_ll (zeroed if a corrupt header put it past the block).
    #[inline(always)]
    pub fn link(&self) -> sys::sockaddr_ll {
        self.block.read::<sys::sockaddr_ll>(self.at + V3::SLL_AT).unwrap_or_default()
    }

    fn data_at(&self) -> usize {
        self.at + self.hdr.tp_mac as usize
    }

    /// The packet's captured bytes (tp_snaplen of them, cut at the block's end).
    #[inline(always)]
    pub fn data(&self) -> Span<'d> {
        self.block.span_up_to(self.data_at(), self.hdr.tp_snaplen as usize)
    }

    /// The ring bytes free before the packet, for a header written in place.
    #[inline(always)]
    pub fn headroom(&self) -> Option<Headroom> {
        headroom(&self.block, self.at + V3::HDRLEN, self.data_at())
    }

    /// Whether the kernel took a VLAN tag out of the packet (libpcap's
    /// VLAN_VALID: a nonzero TCI, or the status bit for TCI 0).
    #[inline(always)]
    pub fn has_tag(&self) -> bool {
        // SAFETY: hv1 is the union's only variant, and plain data.
        let hv1 = unsafe { self.hdr.__bindgen_anon_1.hv1 };
        hv1.tp_vlan_tci != 0 || self.hdr.tp_status & sys::TP_STATUS_VLAN_VALID != 0
    }

    /// The fields of `meta` that are the packet's own: header, link address, status.
    #[inline(always)]
    pub fn fill_meta(&self, meta: &mut PacketMeta) {
        meta.status = self.hdr.tp_status;
        V3::fill_meta(&self.hdr, meta);
        meta.fill_link(&self.link());
    }

    /// Whether the kernel cut the packet to fit the block's room for one,
    /// rather than to the snaplen: V3 has no copies, so only then is
    /// tp_snaplen short of tp_len without a socket filter asking.
    #[inline(always)]
    pub fn cut_by_frame(&self) -> bool {
        self.hdr.tp_snaplen < self.hdr.tp_len
            && self.hdr.tp_mac as usize + self.hdr.tp_snaplen as usize >= self.max_frame
    }
}

/// How far ahead of the packet being delivered the block's lines are
/// asked for: several minimum-size packets, or the head of a large one.
const PREFETCH_AHEAD: usize = 1024;
const CACHE_LINE: usize = 64;

/// Delivers packets of one owned block from the cursor on, up to `budget`,
/// as the native API hands them (a [`PacketMeta`] each); returns how many
/// were delivered and whether a break was asked for.
#[inline(always)]
fn read_block<F: FnMut(&Packet<'_>) + ?Sized>(
    block: BlockMem<'_>,
    cur: &mut Cursor,
    priv_len: usize,
    d: &mut Delivery<'_, F>,
    budget: usize,
) -> (usize, bool) {
    let bytes = block.region();
    let vnet = d.vnet();
    // One meta for the block's packets: what is the block's is set here,
    // and each packet sets every field of its own (zeroing the whole struct
    // per packet was a third of the loop's stores). Delivery changes only
    // caplen and len, which every packet sets.
    let mut meta = PacketMeta { block_seq: cur.seq, ..PacketMeta::default() };
    if let Some(p) = cur.private.and_then(|at| bytes.ptr_at(at, priv_len)) {
        // The callback may use it until the block is released.
        meta.block_private = p;
        meta.block_private_len = priv_len as u32;
    }
    let breaker = d.breaker;
    walk_block(bytes, priv_len, cur, budget, breaker, &mut |f: &V3Frame<'_>| {
        f.fill_meta(&mut meta);
        if vnet {
            // The kernel wrote the header just before the packet.
            let hdr = (f.hdr.tp_mac as usize >= VNET_HDR_LEN)
                .then(|| bytes.bytes(f.data_at() - VNET_HDR_LEN, VNET_HDR_LEN))
                .flatten();
            meta.vnet = hdr.and_then(VnetHeader::from_bytes).unwrap_or_default();
            meta.vnet_valid = hdr.is_some();
        }
        let found = Found { data: f.data(), meta: &mut meta, cut_by_frame: f.cut_by_frame(), headroom: f.headroom() };
        d.deliver(found)
    })
}

/// Walks one owned block's packets from the cursor on, up to `budget`,
/// handing each to `each` (true: it took the packet); returns how many it
/// took and whether a break was asked for. The block's bounds are fixed
/// here, so each packet costs only the checks of the offsets the kernel
/// wrote for it. A header that would run past the block means a corrupt
/// block: its remaining packets are dropped (the cursor emptied) rather
/// than read beyond it.
#[inline(always)]
fn walk_block<E: FnMut(&V3Frame<'_>) -> bool + ?Sized>(
    bytes: Region<'_>,
    priv_len: usize,
    cur: &mut Cursor,
    budget: usize,
    breaker: &Breaker,
    each: &mut E,
) -> (usize, bool) {
    let block_size = bytes.len();
    let max_frame = block_size.saturating_sub(sys::v3_block_plus_priv(priv_len));
    let mut n = 0;
    while cur.remaining > 0 && n < budget {
        let Some(hdr) = bytes.read::<sys::tpacket3_hdr>(cur.offset) else {
            cur.remaining = 0;
            break;
        };
        let frame = V3Frame { block: bytes, at: cur.offset, max_frame, hdr };
        cur.remaining -= 1;
        cur.offset += hdr.tp_next_offset as usize;
        // The kernel wrote the packets on another CPU: the first touch of
        // each line is a cache miss that, unasked for, stalls every packet
        // (most of this loop's time at full rate, measured with perf). Keep
        // the lines up to PREFETCH_AHEAD bytes past this packet asked for,
        // each once: the next packets' headers, and the bytes a callback
        // that copies packets (pcap_dump) reads.
        if cur.remaining > 0 {
            let until = (cur.offset + PREFETCH_AHEAD).min(block_size);
            while cur.prefetched < until {
                bytes.prefetch(cur.prefetched);
                cur.prefetched += CACHE_LINE;
            }
        }
        n += usize::from(each(&frame));
        if breaker.is_requested() {
            return (n, true);
        }
    }
    (n, false)
}

impl BlockReader {
    /// Gives every block user space owns (and the rest of a partly read
    /// one) back undelivered; returns the packets discarded. The block the
    /// kernel is filling is only handed over when its timer retires it, so
    /// if it already holds packets this waits for that, up to `settle_ms`;
    /// packets it still holds then are passed over when it is opened.
    pub fn discard(&mut self, ring: &BlockRing<'_>, settle_ms: u64) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(settle_ms);
        let mut n = 0usize;
        loop {
            let mut released = 0;
            while released < ring.block_nr() {
                if self.cursor.is_none() && !self.open_block(ring, 0) {
                    break;
                }
                n += self.cursor.as_ref().map_or(0, |c| c.remaining as usize);
                self.close_block(ring);
                released += 1;
            }
            // The block the kernel owns next is the one it is filling.
            let filling = ring.block(self.block);
            let packets = filling.packets_so_far();
            if packets == 0 {
                return n;
            }
            if std::time::Instant::now() >= deadline {
                let seq = filling.descriptor().seq_num;
                // A discard before this one may have passed over the first of them.
                let counted = match &self.skip {
                    Some(s) if s.block == self.block && s.seq == seq => s.packets,
                    _ => 0,
                };
                self.skip = Some(Skip { block: self.block, seq, packets });
                return n + packets.saturating_sub(counted) as usize;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

impl Default for BlockReader {
    fn default() -> Self {
        Self::new()
    }
}

const _: () = assert!(V3::SLL_AT == sys::tpacket_align(size_of::<sys::tpacket3_hdr>()));
