//! Reader logic over a fake ring in ordinary memory: the test writes frame
//! headers and status words as the kernel would, and checks what the
//! callback gets, what goes back to the kernel and what is counted. No
//! socket and no namespace are needed.

use std::mem::{offset_of, size_of};

use super::blocks::BlockReader;
use super::frames::FrameReader;
use super::{Delivery, Packet};
use crate::features::{Features, ReadOptions};
use crate::geometry::{Geometry, Version};
use crate::ring::{block_acquire, frame_acquire, Ring};
use crate::sys;
use crate::wait::Breaker;

/// Memory standing in for a mapping: u64 words, so frames are aligned for
/// their status words as in a page-aligned mapping.
struct FakeMapping {
    words: Vec<u64>,
}

impl FakeMapping {
    fn new(bytes: usize) -> FakeMapping {
        FakeMapping { words: vec![0; bytes.div_ceil(8)] }
    }

    fn ring(&mut self, geometry: Geometry) -> Ring {
        assert!(geometry.ring_bytes() <= self.words.len() * 8);
        // SAFETY: the ring lies inside `words`, which outlives every use in a test.
        unsafe { Ring::over_memory(self.words.as_mut_ptr().cast(), geometry) }
    }
}

fn v2_geometry(frame_size: u32, frame_nr: u32) -> Geometry {
    Geometry { version: Version::V2, block_size: 4096, block_nr: 1, frame_size, frame_nr, priv_size: 0, reserve: 0 }
}

/// Writes a V2 frame as the kernel hands it over: header, sockaddr_ll,
/// packet at tp_mac, then TP_STATUS_USER.
fn kernel_writes_v2(ring: &Ring, i: u32, packet: &[u8], len: u32, pkttype: u8) -> u16 {
    let frame = ring.frame(i);
    let mac = sys::tpacket_align(sys::tpacket_align(size_of::<sys::tpacket2_hdr>()) + size_of::<sys::sockaddr_ll>());
    let room = ring.geometry.frame_size as usize - mac;
    let caplen = packet.len().min(room);
    let hdr = sys::tpacket2_hdr {
        tp_status: 0,
        tp_len: len,
        tp_snaplen: caplen as u32,
        tp_mac: mac as u16,
        tp_net: mac as u16 + 14,
        tp_sec: 7,
        tp_nsec: 9,
        ..Default::default()
    };
    let sll = sys::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_ifindex: 3,
        sll_pkttype: pkttype,
        ..Default::default()
    };
    // SAFETY: the frame lies in the fake ring and the test owns it; each
    // write stays inside the frame.
    unsafe {
        std::ptr::write_unaligned(frame.cast::<sys::tpacket2_hdr>(), hdr);
        std::ptr::write_unaligned(
            frame.add(sys::tpacket_align(size_of::<sys::tpacket2_hdr>())).cast::<sys::sockaddr_ll>(),
            sll,
        );
        std::ptr::copy_nonoverlapping(packet.as_ptr(), frame.add(mac), caplen);
        let status = frame.add(offset_of!(sys::tpacket2_hdr, tp_status)).cast::<std::sync::atomic::AtomicU32>();
        (*status).store(sys::TP_STATUS_USER, std::sync::atomic::Ordering::Release);
    }
    mac as u16
}

fn status(ring: &Ring, i: u32) -> u32 {
    // SAFETY: frame i lies in the fake ring.
    unsafe { frame_acquire(ring.frame(i), ring.geometry.version) }
}

/// What one read delivered: (data, len, pkttype, block_seq) per packet, and the counters.
struct Read {
    packets: Vec<(Vec<u8>, u32, u8, u64)>,
    delivered: usize,
    skipped: u64,
    truncated: u64,
}

fn read(reader: &mut FrameReader, ring: &Ring, features: &Features, snaplen: u32) -> Read {
    read_with(features, snaplen, |d| reader.read(ring, d))
}

fn read_with(features: &Features, snaplen: u32, read: impl FnOnce(&mut Delivery<'_>) -> usize) -> Read {
    let breaker = Breaker::new().unwrap();
    let mut options = ReadOptions::new(features);
    let mut packets = Vec::new();
    let mut callback = |p: &Packet<'_>| packets.push((p.data.to_vec(), p.meta.len, p.meta.pkttype, p.meta.block_seq));
    let mut d = Delivery {
        budget: usize::MAX,
        snaplen,
        breaker: &breaker,
        callback: &mut callback,
        options: &mut options,
        skipped: 0,
        truncated: 0,
    };
    let delivered = read(&mut d);
    let (skipped, truncated) = (d.skipped, d.truncated);
    Read { packets, delivered, skipped, truncated }
}

#[test]
fn frames_are_delivered_in_ring_order_and_handed_back() {
    let mut mem = FakeMapping::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::new(Version::V2, -1, 0);
    assert!(!reader.ready(&ring), "an empty ring has nothing for user space");
    let a: Vec<u8> = (0..60u8).collect();
    let b: Vec<u8> = (100..180u8).collect();
    kernel_writes_v2(&ring, 0, &a, 60, libc::PACKET_HOST);
    kernel_writes_v2(&ring, 1, &b, 80, libc::PACKET_HOST);
    assert!(reader.ready(&ring));
    let r = read(&mut reader, &ring, &Features::default(), 65_535);
    assert_eq!(r.delivered, 2);
    assert_eq!(r.packets[0].0, a);
    assert_eq!(r.packets[1].0, b);
    assert_eq!((r.packets[0].1, r.packets[1].1), (60, 80));
    assert_eq!((status(&ring, 0), status(&ring, 1)), (sys::TP_STATUS_KERNEL, sys::TP_STATUS_KERNEL));
    assert!(!reader.ready(&ring), "the reader moved past the frames it read");
    // The ring wraps: frames 2 and 3, then 0 again.
    for i in [2, 3, 0] {
        kernel_writes_v2(&ring, i, &a, 60, libc::PACKET_HOST);
    }
    assert_eq!(read(&mut reader, &ring, &Features::default(), 65_535).delivered, 3);
}

#[test]
fn snaplen_cuts_the_data_and_a_full_frame_counts_as_truncated() {
    let mut mem = FakeMapping::new(4096);
    let ring = mem.ring(v2_geometry(256, 16));
    let mut reader = FrameReader::new(Version::V2, -1, 0);
    let big = vec![0xabu8; 1000];
    let mac = kernel_writes_v2(&ring, 0, &big, 1000, libc::PACKET_HOST);
    let small = vec![0xcdu8; 100];
    kernel_writes_v2(&ring, 1, &small, 100, libc::PACKET_HOST);
    let r = read(&mut reader, &ring, &Features::default(), 64);
    assert_eq!(r.delivered, 2);
    assert_eq!(r.packets[0].0.len(), 64, "snaplen 64");
    assert_eq!(r.packets[0].1, 1000, "len stays the wire length");
    assert_eq!(r.truncated, 1, "the 1000-byte packet filled its {}-byte frame from {mac}", 256);
}

#[test]
fn the_direction_option_skips_without_delivering_and_frees_the_frame() {
    let mut mem = FakeMapping::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::new(Version::V2, -1, 0);
    let p = vec![1u8; 60];
    kernel_writes_v2(&ring, 0, &p, 60, libc::PACKET_OUTGOING);
    kernel_writes_v2(&ring, 1, &p, 60, libc::PACKET_HOST);
    let features = Features { direction: crate::direction::Direction::Incoming, ..Features::default() };
    let r = read(&mut reader, &ring, &features, 65_535);
    assert_eq!((r.delivered, r.skipped), (1, 1));
    assert_eq!(r.packets[0].2, libc::PACKET_HOST);
    assert_eq!(status(&ring, 0), sys::TP_STATUS_KERNEL, "a skipped frame goes back too");
}

#[test]
fn discard_hands_back_every_owned_frame_unread() {
    let mut mem = FakeMapping::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::new(Version::V2, -1, 0);
    let p = vec![1u8; 60];
    for i in 0..3 {
        kernel_writes_v2(&ring, i, &p, 60, libc::PACKET_HOST);
    }
    assert_eq!(reader.discard(&ring), 3);
    assert!((0..4).all(|i| status(&ring, i) == sys::TP_STATUS_KERNEL));
    assert_eq!(read(&mut reader, &ring, &Features::default(), 65_535).delivered, 0);
}

#[test]
fn frames_never_span_blocks() {
    let mut mem = FakeMapping::new(3 * 4096);
    // 1536-byte frames: two per 4096-byte block, then a 1024-byte gap.
    let g = Geometry {
        version: Version::V2,
        block_size: 4096,
        block_nr: 3,
        frame_size: 1536,
        frame_nr: 6,
        priv_size: 0,
        reserve: 0,
    };
    let ring = mem.ring(g);
    let base = ring.frame(0) as usize;
    let offsets: Vec<usize> = (0..6).map(|i| ring.frame(i) as usize - base).collect();
    assert_eq!(offsets, [0, 1536, 4096, 5632, 8192, 9728]);
}

/// Writes a V3 block as the kernel retires it: packets one after another
/// from offset_to_first_pkt, each with its sockaddr_ll, then the block
/// descriptor's TP_STATUS_USER.
fn kernel_retires_v3_block(ring: &Ring, b: u32, packets: &[&[u8]], seq: u64) {
    let block = ring.block(b);
    let first = sys::v3_block_plus_priv(0);
    let mac = sys::tpacket_align(sys::tpacket_align(size_of::<sys::tpacket3_hdr>()) + size_of::<sys::sockaddr_ll>());
    let mut at = first;
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
        // SAFETY: the block lies in the fake ring, the test owns it, and
        // every write stays inside the block.
        unsafe {
            std::ptr::write_unaligned(block.add(at).cast::<sys::tpacket3_hdr>(), hdr);
            std::ptr::write_unaligned(
                block.add(at + sys::tpacket_align(size_of::<sys::tpacket3_hdr>())).cast::<sys::sockaddr_ll>(),
                sll,
            );
            std::ptr::copy_nonoverlapping(p.as_ptr(), block.add(at + mac), p.len());
        }
        at += next as usize;
    }
    let bh1 = offset_of!(sys::tpacket_block_desc, hdr);
    // SAFETY: as above; the descriptor is at the start of the block.
    unsafe {
        let put = |off: usize, v: u32| std::ptr::write_unaligned(block.add(bh1 + off).cast::<u32>(), v);
        put(offset_of!(sys::tpacket_hdr_v1, num_pkts), packets.len() as u32);
        put(offset_of!(sys::tpacket_hdr_v1, offset_to_first_pkt), first as u32);
        std::ptr::write_unaligned(block.add(bh1 + offset_of!(sys::tpacket_hdr_v1, seq_num)).cast::<u64>(), seq);
        let status =
            block.add(bh1 + offset_of!(sys::tpacket_hdr_v1, block_status)).cast::<std::sync::atomic::AtomicU32>();
        (*status).store(sys::TP_STATUS_USER, std::sync::atomic::Ordering::Release);
    }
}

#[test]
fn v3_blocks_deliver_their_packets_then_go_back_whole() {
    let mut mem = FakeMapping::new(2 * 4096);
    let g = Geometry {
        version: Version::V3,
        block_size: 4096,
        block_nr: 2,
        frame_size: 2048,
        frame_nr: 4,
        priv_size: 0,
        reserve: 0,
    };
    let ring = mem.ring(g);
    let mut reader = BlockReader::new();
    assert!(!reader.ready(&ring));
    let a: Vec<u8> = (0..60u8).collect();
    let b: Vec<u8> = (0..200u8).collect();
    kernel_retires_v3_block(&ring, 0, &[&a, &b], 41);
    kernel_retires_v3_block(&ring, 1, &[&b], 42);
    assert!(reader.ready(&ring));
    let r = read_with(&Features::default(), 65_535, |d| reader.read(&ring, d));
    assert_eq!(r.delivered, 3);
    assert_eq!((r.packets[0].0.clone(), r.packets[1].0.clone(), r.packets[2].0.clone()), (a, b.clone(), b));
    assert_eq!(
        (r.packets[0].3, r.packets[1].3, r.packets[2].3),
        (41, 41, 42),
        "each packet carries its block's sequence number"
    );
    // SAFETY: both blocks lie in the fake ring.
    let statuses = unsafe { (block_acquire(ring.block(0)), block_acquire(ring.block(1))) };
    assert_eq!(statuses, (sys::TP_STATUS_KERNEL, sys::TP_STATUS_KERNEL), "read blocks go back to the kernel");
    assert!(!reader.ready(&ring));
}
