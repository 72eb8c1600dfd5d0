//! TPACKET_V3 reading: the kernel fills whole blocks of variable-size
//! packets; a block goes back only after its last packet was delivered, and
//! a dispatch that runs out of budget mid-block resumes there next time.

use std::mem::size_of;

use crate::packet::{PacketMeta, VnetHeader, VNET_HDR_LEN};
use crate::ring::{BlockMem, BlockRing, TpacketHeader, V3};
use crate::rx::{headroom, Delivery, Found, Packet};
use crate::sys;

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
        let mut n = 0;
        while n < d.budget {
            if self.cursor.is_none() && !self.open_block(ring, priv_len) {
                break;
            }
            let block = ring.block(self.block);
            let Some(cur) = self.cursor.as_mut() else { break };
            let budget = d.budget - n;
            let (got, stop) = read_block(block, cur, priv_len, d, budget);
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

/// How far ahead of the packet being delivered the block's lines are
/// asked for: several minimum-size packets, or the head of a large one.
const PREFETCH_AHEAD: usize = 1024;
const CACHE_LINE: usize = 64;

/// Delivers packets of one owned block from the cursor on, up to `budget`;
/// returns how many were delivered and whether a break was asked for. The
/// block's bounds are fixed here, so each packet costs only the checks of
/// the offsets the kernel wrote for it. A header that would run past the
/// block means a corrupt block: its remaining packets are dropped (the
/// cursor emptied) rather than read beyond it.
#[inline(always)]
fn read_block<F: FnMut(&Packet<'_>) + ?Sized>(
    block: BlockMem<'_>,
    cur: &mut Cursor,
    priv_len: usize,
    d: &mut Delivery<'_, F>,
    budget: usize,
) -> (usize, bool) {
    let bytes = block.region();
    let block_size = bytes.len();
    // V3 has no copies: the kernel cuts a packet to the block's room for
    // one packet (max_frame_len), and only then is tp_snaplen short of
    // tp_len without a socket filter asking for it.
    let max_frame = block_size.saturating_sub(sys::v3_block_plus_priv(priv_len));
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
    let mut n = 0;
    while cur.remaining > 0 && n < budget {
        let Some(h) = bytes.read::<sys::tpacket3_hdr>(cur.offset) else {
            cur.remaining = 0;
            break;
        };
        meta.status = h.tp_status;
        V3::fill_meta(&h, &mut meta);
        match bytes.read::<sys::sockaddr_ll>(cur.offset + V3::SLL_AT) {
            Some(sll) => meta.fill_link(&sll),
            None => meta.fill_link(&sys::sockaddr_ll::default()),
        }
        let data_at = cur.offset + h.tp_mac as usize;
        if vnet {
            // The kernel wrote the header just before the packet.
            let hdr = (h.tp_mac as usize >= VNET_HDR_LEN)
                .then(|| bytes.bytes(data_at - VNET_HDR_LEN, VNET_HDR_LEN))
                .flatten();
            meta.vnet = hdr.and_then(VnetHeader::from_bytes).unwrap_or_default();
            meta.vnet_valid = hdr.is_some();
        }
        let cut_by_frame = meta.caplen < meta.len && h.tp_mac as usize + meta.caplen as usize >= max_frame;
        let data = bytes.span_up_to(data_at, meta.caplen as usize);
        let cur_packet = cur.offset;
        cur.remaining -= 1;
        cur.offset += h.tp_next_offset as usize;
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
        let headroom = headroom(&bytes, cur_packet + V3::HDRLEN, data_at);
        n += usize::from(d.deliver(Found { data, meta: &mut meta, cut_by_frame, headroom }));
        if d.should_stop() {
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
