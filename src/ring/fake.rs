//! A fake ring in ordinary memory, and the kernel's side of it, for unit
//! tests of the readers and TX: the test writes frames and blocks as the
//! kernel would, through the same checked views the library reads them
//! with, and no socket or namespace is needed.
//!
//! ```ignore
//! let mut mem = FakeMemory::new(4096);
//! let ring = mem.ring(geometry);
//! kernel_fills_frame::<V2>(&ring, 0, &packet, packet.len() as u32, libc::PACKET_HOST);
//! // ... run a reader over `ring` and check what its callback got.
//! ```

use std::mem::offset_of;

use super::{RingMem, TpacketHeader, V3};
use crate::geometry::{Geometry, Version};
use crate::sys;

/// A ring layout with no private area or reserve.
pub fn geometry(version: Version, block_size: u32, block_nr: u32, frame_size: u32, frame_nr: u32) -> Geometry {
    Geometry { version, block_size, block_nr, frame_size, frame_nr, priv_size: 0, reserve: 0 }
}

/// Memory standing in for a mapping: u64 words, so frames are aligned for
/// their status words as in a page-aligned mapping.
pub struct FakeMemory {
    words: Vec<u64>,
}

impl FakeMemory {
    pub fn new(bytes: usize) -> FakeMemory {
        FakeMemory { words: vec![0; bytes.div_ceil(8)] }
    }

    /// The ring `geometry` describes, over this memory.
    pub fn ring(&mut self, geometry: Geometry) -> RingMem<'_> {
        RingMem::over_words(&mut self.words, geometry).expect("a fake ring with a sound layout")
    }
}

/// Where the kernel puts a packet in a frame of header `H` (no reserve):
/// the aligned header and sockaddr_ll, then TPACKET_ALIGN.
pub fn mac_offset<H: TpacketHeader>() -> usize {
    sys::tpacket_align(H::HDRLEN)
}

/// Fills RX frame `i` as the kernel hands it over: header (tp_len `len`,
/// tp_snaplen what fits), sockaddr_ll, the packet at tp_mac, then
/// TP_STATUS_USER. Returns tp_mac.
pub fn kernel_fills_frame<H: TpacketHeader>(ring: &RingMem<'_>, i: u32, packet: &[u8], len: u32, pkttype: u8) -> u16 {
    let frame = ring.frames::<H>().expect("frames of this version").frame(i);
    let r = frame.region();
    let mac = mac_offset::<H>();
    let caplen = packet.len().min(r.len() - mac);
    let sll = sys::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_ifindex: 3,
        sll_pkttype: pkttype,
        ..Default::default()
    };
    let ok = r.write(0, H::Raw::default())
        & r.write(H::TP_LEN, len)
        & r.write(H::TP_SNAPLEN, caplen as u32)
        & r.write(H::TP_MAC, mac as u16)
        & r.write(H::TP_NET, mac as u16 + 14)
        & r.write(H::SLL_AT, sll)
        & r.write_bytes(mac, &packet[..caplen]);
    assert!(ok, "the frame holds its header and packet");
    frame.release(sys::TP_STATUS_USER);
    mac as u16
}

/// Fills V3 block `b` as the kernel retires it: the private area of
/// `priv_size` bytes after the descriptor, packets one after another from
/// offset_to_first_pkt, each with its sockaddr_ll, then the descriptor's
/// TP_STATUS_USER.
pub fn kernel_retires_block(ring: &RingMem<'_>, b: u32, packets: &[&[u8]], seq: u64, priv_size: usize) {
    let block = ring.blocks().expect("a V3 ring").block(b);
    let r = block.region();
    let first = sys::v3_block_plus_priv(priv_size);
    let mac = mac_offset::<V3>();
    let mut at = first;
    let mut ok = true;
    for (k, p) in packets.iter().enumerate() {
        let next = if k + 1 == packets.len() { 0 } else { sys::tpacket_align(mac + p.len()) as u32 };
        let hdr = sys::tpacket3_hdr {
            tp_next_offset: next,
            tp_snaplen: p.len() as u32,
            tp_len: p.len() as u32,
            tp_status: sys::TP_STATUS_USER,
            tp_mac: mac as u16,
            tp_net: mac as u16 + 14,
            ..Default::default()
        };
        let sll = sys::sockaddr_ll {
            sll_family: libc::AF_PACKET as u16,
            sll_pkttype: libc::PACKET_HOST,
            ..Default::default()
        };
        ok &= r.write(at, hdr) & r.write(at + V3::SLL_AT, sll) & r.write_bytes(at + mac, p);
        at += next as usize;
    }
    let bh1 = offset_of!(sys::tpacket_block_desc, hdr);
    ok &= r.write(offset_of!(sys::tpacket_block_desc, offset_to_priv), sys::V3_BLOCK_HEADER_LEN as u32)
        & r.write(bh1 + offset_of!(sys::tpacket_hdr_v1, num_pkts), packets.len() as u32)
        & r.write(bh1 + offset_of!(sys::tpacket_hdr_v1, offset_to_first_pkt), first as u32)
        & r.write(bh1 + offset_of!(sys::tpacket_hdr_v1, seq_num), seq);
    assert!(ok, "the block holds its packets");
    block.retire();
}
