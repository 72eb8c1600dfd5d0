//! TPACKET_V3 reading: the kernel fills whole blocks of variable-size
//! packets; a block goes back only after its last packet was delivered, and
//! a dispatch that runs out of budget mid-block resumes there next time.

use std::mem::offset_of;
use std::ptr;

use crate::packet::{PacketMeta, VnetHeader, VNET_HDR_LEN};
use crate::ring::{block_acquire, block_release, Ring};
use crate::rx::{Delivery, Found};
use crate::sys;

/// Position inside a block user space currently owns.
struct Cursor {
    remaining: u32,
    offset: usize,
    /// The block's seq_num and where its private area starts.
    seq: u64,
    priv_offset: usize,
}

pub struct BlockReader {
    block: u32,
    cursor: Option<Cursor>,
}

impl BlockReader {
    pub fn new() -> BlockReader {
        BlockReader { block: 0, cursor: None }
    }

    pub fn ready(&self, ring: &Ring) -> bool {
        // SAFETY: block < block_nr, inside the live ring.
        self.cursor.is_some() || unsafe { block_acquire(ring.block(self.block)) } & sys::TP_STATUS_USER != 0
    }

    /// Opens the next block if the kernel has retired it.
    fn open_block(&mut self, ring: &Ring) -> bool {
        let block = ring.block(self.block);
        // SAFETY: block is inside the live ring.
        if unsafe { block_acquire(block) } & sys::TP_STATUS_USER == 0 {
            return false;
        }
        // SAFETY: user space owns the block after the acquire above.
        let desc: sys::tpacket_block_desc = unsafe { ptr::read_unaligned(block.cast()) };
        // SAFETY: reading the V1 block header variant, the only one the kernel writes.
        let h1 = unsafe { desc.hdr.bh1 };
        self.cursor = Some(Cursor {
            remaining: h1.num_pkts,
            offset: h1.offset_to_first_pkt as usize,
            seq: h1.seq_num,
            priv_offset: desc.offset_to_priv as usize,
        });
        true
    }

    fn close_block(&mut self, ring: &Ring) {
        // SAFETY: the block is owned by user space and fully read.
        unsafe { block_release(ring.block(self.block)) };
        self.cursor = None;
        self.block = (self.block + 1) % ring.geometry.block_nr;
    }

    pub fn read(&mut self, ring: &Ring, d: &mut Delivery<'_>) -> usize {
        let block_size = ring.geometry.block_size as usize;
        let hdr_len = std::mem::size_of::<sys::tpacket3_hdr>();
        let mut n = 0;
        while n < d.budget {
            if self.cursor.is_none() && !self.open_block(ring) {
                break;
            }
            let block = ring.block(self.block);
            let Some(cur) = self.cursor.as_mut() else { break };
            // A header that would run past the block means a corrupt block:
            // give it back rather than read beyond it.
            if cur.remaining == 0 || cur.offset + hdr_len > block_size {
                self.close_block(ring);
                continue;
            }
            // SAFETY: offset + header is inside the owned block (checked above).
            let pkt = unsafe { block.add(cur.offset) };
            // SAFETY: as above.
            let h: sys::tpacket3_hdr = unsafe { ptr::read_unaligned(pkt.cast()) };
            let mut meta = PacketMeta {
                caplen: h.tp_snaplen,
                len: h.tp_len,
                ts_sec: h.tp_sec as u64,
                ts_nsec: h.tp_nsec,
                status: h.tp_status,
                mac_offset: u32::from(h.tp_mac),
                net_offset: u32::from(h.tp_net),
                block_seq: cur.seq,
                ..PacketMeta::default()
            };
            // SAFETY: the union's hv1 variant is the one the kernel fills.
            let hv1 = unsafe { h.__bindgen_anon_1.hv1 };
            meta.rxhash = hv1.tp_rxhash;
            meta.vlan_tci = hv1.tp_vlan_tci as u16;
            meta.vlan_tpid = hv1.tp_vlan_tpid;
            let sll_at = cur.offset + sys::tpacket_align(hdr_len);
            if sll_at + std::mem::size_of::<sys::sockaddr_ll>() <= block_size {
                // SAFETY: inside the owned block (checked).
                let sll: sys::sockaddr_ll = unsafe { ptr::read_unaligned(block.add(sll_at).cast()) };
                meta.fill_link(&sll);
            }
            let priv_len = ring.geometry.priv_size as usize;
            if priv_len > 0 && cur.priv_offset + priv_len <= block_size {
                // SAFETY: the private area is inside the owned block (checked);
                // the callback may use it until the block is released.
                meta.block_private = unsafe { block.add(cur.priv_offset) };
                meta.block_private_len = priv_len as u32;
            }
            let data_at = (cur.offset + h.tp_mac as usize).min(block_size);
            let len = (meta.caplen as usize).min(block_size - data_at);
            if d.vnet() && data_at >= cur.offset + VNET_HDR_LEN {
                // SAFETY: the kernel wrote the header just before the packet, inside the owned block.
                let hdr = unsafe { std::slice::from_raw_parts(block.add(data_at - VNET_HDR_LEN), VNET_HDR_LEN) };
                meta.vnet = VnetHeader::from_bytes(hdr).unwrap_or_default();
                meta.vnet_valid = true;
            }
            // V3 has no copies: the kernel cuts a packet to the block's room
            // for one packet (max_frame_len), and only then is tp_snaplen short
            // of tp_len without a socket filter asking for it.
            let max_frame = block_size.saturating_sub(sys::v3_block_plus_priv(priv_len));
            let cut_by_frame = meta.caplen < meta.len && h.tp_mac as usize + meta.caplen as usize >= max_frame;
            // SAFETY: data_at + len is inside the owned block.
            let data = unsafe { std::slice::from_raw_parts(block.add(data_at), len) };
            cur.remaining -= 1;
            cur.offset += h.tp_next_offset as usize;
            if cur.remaining > 0 {
                prefetch_packet(block, cur.offset, block_size);
            }
            let last = cur.remaining == 0;
            let delivered = d.deliver(Found { data, meta: &mut meta, cut_by_frame });
            if last {
                self.close_block(ring);
            }
            n += usize::from(delivered);
            if d.should_stop() {
                break;
            }
        }
        n
    }
}

impl BlockReader {
    /// Gives every block user space owns (and the rest of a partly read
    /// one) back undelivered; returns the packets discarded. The block the
    /// kernel is filling is only handed over when its timer retires it, so
    /// if it already holds packets this waits for that, up to `settle_ms`.
    pub fn discard(&mut self, ring: &Ring, settle_ms: u64) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(settle_ms);
        let mut n = 0usize;
        loop {
            let mut released = 0;
            while released < ring.geometry.block_nr {
                if self.cursor.is_none() && !self.open_block(ring) {
                    break;
                }
                n += self.cursor.as_ref().map_or(0, |c| c.remaining as usize);
                self.close_block(ring);
                released += 1;
            }
            if self.kernel_block_packets(ring) == 0 || std::time::Instant::now() >= deadline {
                return n;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Packets already in the block the kernel owns next (the one it is filling).
    fn kernel_block_packets(&self, ring: &Ring) -> u32 {
        let block = ring.block(self.block);
        let at = offset_of!(sys::tpacket_block_desc, hdr) + offset_of!(sys::tpacket_hdr_v1, num_pkts);
        // SAFETY: inside the live ring; the kernel updates this word while
        // filling, so it is read once, volatile, and only compared with 0.
        unsafe { ptr::read_volatile(block.add(at).cast::<u32>()) }
    }
}

/// Asks for the next packet's header and link header while this one is
/// delivered. The kernel wrote them on another CPU, so the first touch is
/// a cache miss that otherwise stalls every packet (most of a V3 reader's
/// time at full rate, measured with perf).
#[inline(always)]
fn prefetch_packet(block: *const u8, offset: usize, block_size: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in [0usize, 64, 256, 320] {
        if offset + line < block_size {
            // SAFETY: the address is inside the mapped block; a prefetch
            // is only a hint and never faults.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(block.add(offset + line).cast())
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (block, offset, block_size);
}

impl Default for BlockReader {
    fn default() -> Self {
        Self::new()
    }
}

// The block descriptor layout this reader relies on.
const _: () = assert!(offset_of!(sys::tpacket_block_desc, hdr) == 8);
