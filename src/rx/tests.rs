//! Reader logic over a fake ring in ordinary memory: the test writes frame
//! headers and status words as the kernel would, and checks what the
//! callback gets, what goes back to the kernel and what is counted. No
//! socket and no namespace are needed.

use super::blocks::BlockReader;
use super::frames::FrameReader;
use super::{Delivery, Packet, PacketMeta};
use crate::features::{Features, ReadOptions};
use crate::geometry::{Geometry, Version};
use crate::ring::fake::{geometry, kernel_fills_frame, kernel_retires_block, FakeMemory};
use crate::ring::{RingMem, TpacketHeader, V1, V2, V3};
use crate::socket::PacketSocket;
use crate::sys;
use crate::wait::Breaker;

fn v2_geometry(frame_size: u32, frame_nr: u32) -> Geometry {
    geometry(Version::V2, 4096, 1, frame_size, frame_nr)
}

fn kernel_writes_v2(ring: &RingMem<'_>, i: u32, packet: &[u8], len: u32, pkttype: u8) -> u16 {
    kernel_fills_frame::<V2>(ring, i, packet, len, pkttype)
}

fn status(ring: &RingMem<'_>, i: u32) -> u32 {
    ring.frames::<V2>().unwrap().frame(i).status()
}

/// What one read delivered: (data, len, pkttype, block_seq) per packet,
/// each packet's whole metadata, and the counters.
struct Read {
    packets: Vec<(Vec<u8>, u32, u8, u64)>,
    metas: Vec<PacketMeta>,
    delivered: usize,
    skipped: u64,
    truncated: u64,
}

fn read<H: TpacketHeader>(reader: &mut FrameReader<H>, ring: &RingMem<'_>, features: &Features, snaplen: u32) -> Read {
    // No copies are configured, so the socket is never read: any will do.
    let socket = PacketSocket::for_ioctls().unwrap();
    read_with(features, snaplen, |d| reader.read(&ring.frames().unwrap(), &socket, d))
}

fn read_with(features: &Features, snaplen: u32, read: impl FnOnce(&mut Delivery<'_>) -> usize) -> Read {
    read_budget(features, snaplen, usize::MAX, read)
}

/// Runs one reader call with a delivery of `budget` packets and records
/// what the callback got.
fn read_budget(
    features: &Features,
    snaplen: u32,
    budget: usize,
    read: impl FnOnce(&mut Delivery<'_>) -> usize,
) -> Read {
    let breaker = Breaker::new().unwrap();
    let mut options = ReadOptions::new(features);
    let mut packets = Vec::new();
    let mut metas = Vec::new();
    let mut callback = |p: &Packet<'_>| {
        packets.push((p.data.to_vec(), p.meta.len, p.meta.pkttype, p.meta.block_seq));
        metas.push(*p.meta);
    };
    let mut d = Delivery {
        budget,
        snaplen,
        breaker: &breaker,
        callback: &mut callback as &mut dyn FnMut(&Packet<'_>),
        options: &mut options,
        skipped: 0,
        truncated: 0,
    };
    let delivered = read(&mut d);
    let (skipped, truncated) = (d.skipped, d.truncated);
    Read { packets, metas, delivered, skipped, truncated }
}

fn datas(r: &Read) -> Vec<Vec<u8>> {
    r.packets.iter().map(|p| p.0.clone()).collect()
}

#[test]
fn frames_are_delivered_in_ring_order_and_handed_back() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::<V2>::new(0);
    assert!(!reader.ready(&ring.frames().unwrap()), "an empty ring has nothing for user space");
    let a: Vec<u8> = (0..60u8).collect();
    let b: Vec<u8> = (100..180u8).collect();
    kernel_writes_v2(&ring, 0, &a, 60, libc::PACKET_HOST);
    kernel_writes_v2(&ring, 1, &b, 80, libc::PACKET_HOST);
    assert!(reader.ready(&ring.frames().unwrap()));
    let r = read(&mut reader, &ring, &Features::default(), 65_535);
    assert_eq!(r.delivered, 2);
    assert_eq!(r.packets[0].0, a);
    assert_eq!(r.packets[1].0, b);
    assert_eq!((r.packets[0].1, r.packets[1].1), (60, 80));
    assert_eq!((status(&ring, 0), status(&ring, 1)), (sys::TP_STATUS_KERNEL, sys::TP_STATUS_KERNEL));
    assert!(!reader.ready(&ring.frames().unwrap()), "the reader moved past the frames it read");
    // The ring wraps: frames 2 and 3, then 0 again.
    for i in [2, 3, 0] {
        kernel_writes_v2(&ring, i, &a, 60, libc::PACKET_HOST);
    }
    assert_eq!(read(&mut reader, &ring, &Features::default(), 65_535).delivered, 3);
}

#[test]
fn snaplen_cuts_the_data_and_a_full_frame_counts_as_truncated() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(256, 16));
    let mut reader = FrameReader::<V2>::new(0);
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
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::<V2>::new(0);
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
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let mut reader = FrameReader::<V2>::new(0);
    let p = vec![1u8; 60];
    for i in 0..3 {
        kernel_writes_v2(&ring, i, &p, 60, libc::PACKET_HOST);
    }
    assert_eq!(reader.discard(&ring.frames().unwrap()), 3);
    assert!((0..4).all(|i| status(&ring, i) == sys::TP_STATUS_KERNEL));
    assert_eq!(read(&mut reader, &ring, &Features::default(), 65_535).delivered, 0);
}

#[test]
fn frames_never_span_blocks() {
    let mut mem = FakeMemory::new(3 * 4096);
    // 1536-byte frames: two per 4096-byte block, then a 1024-byte gap.
    let g = geometry(Version::V2, 4096, 3, 1536, 6);
    let ring = mem.ring(g);
    let frames = ring.frames::<V2>().unwrap();
    let at = |i: u32| frames.frame(i).region().ptr_at(0, 1).unwrap() as usize;
    let offsets: Vec<usize> = (0..6).map(|i| at(i) - at(0)).collect();
    assert_eq!(offsets, [0, 1536, 4096, 5632, 8192, 9728]);
    assert_eq!(at(6), at(0), "frame numbers count round the ring");
}

fn kernel_retires_v3_block(ring: &RingMem<'_>, b: u32, packets: &[&[u8]], seq: u64) {
    kernel_retires_block(ring, b, packets, seq, 0)
}

#[test]
fn v3_blocks_deliver_their_packets_then_go_back_whole() {
    let mut mem = FakeMemory::new(2 * 4096);
    let g = geometry(Version::V3, 4096, 2, 2048, 4);
    let ring = mem.ring(g);
    let mut reader = BlockReader::new();
    let blocks = ring.blocks().unwrap();
    assert!(!reader.ready(&blocks));
    let a: Vec<u8> = (0..60u8).collect();
    let b: Vec<u8> = (0..200u8).collect();
    kernel_retires_v3_block(&ring, 0, &[&a, &b], 41);
    kernel_retires_v3_block(&ring, 1, &[&b], 42);
    assert!(reader.ready(&blocks));
    let r = read_with(&Features::default(), 65_535, |d| reader.read(&blocks, 0, d));
    assert_eq!(r.delivered, 3);
    assert_eq!((r.packets[0].0.clone(), r.packets[1].0.clone(), r.packets[2].0.clone()), (a, b.clone(), b));
    assert_eq!(
        (r.packets[0].3, r.packets[1].3, r.packets[2].3),
        (41, 41, 42),
        "each packet carries its block's sequence number"
    );
    let statuses = (blocks.block(0).status(), blocks.block(1).status());
    assert_eq!(statuses, (sys::TP_STATUS_KERNEL, sys::TP_STATUS_KERNEL), "read blocks go back to the kernel");
    assert!(!reader.ready(&blocks));
}

#[test]
fn v1_frames_are_read_through_their_own_header() {
    let mut mem = FakeMemory::new(4096);
    let g = Geometry { version: Version::V1, ..v2_geometry(1024, 4) };
    let ring = mem.ring(g);
    let p: Vec<u8> = (0..90u8).collect();
    kernel_fills_frame::<V1>(&ring, 0, &p, 90, libc::PACKET_HOST);
    // The kernel's V1 stamp is in microseconds.
    let frame = ring.frames::<V1>().unwrap().frame(0);
    assert!(frame.region().write(std::mem::offset_of!(sys::tpacket_hdr, tp_usec), 7u32));
    let mut reader = FrameReader::<V1>::new(0);
    let r = read(&mut reader, &ring, &Features::default(), 65_535);
    assert_eq!(r.delivered, 1);
    assert_eq!(datas(&r), vec![p]);
    assert_eq!(r.metas[0].ts_nsec, 7000);
    assert_eq!(frame.status(), sys::TP_STATUS_KERNEL, "V1's unsigned long status word is handed back");
}

/// A V3 read that runs out of budget mid-block resumes at the next packet
/// and gives the block back only after its last one.
#[test]
fn v3_budget_stops_mid_block_and_resumes_there() {
    let mut mem = FakeMemory::new(2 * 4096);
    let g = geometry(Version::V3, 4096, 2, 2048, 4);
    let ring = mem.ring(g);
    let blocks = ring.blocks().unwrap();
    let mut reader = BlockReader::new();
    let (a, b, c) = (vec![1u8; 60], vec![2u8; 70], vec![3u8; 80]);
    kernel_retires_block(&ring, 0, &[&a, &b, &c], 7, 0);
    let first = read_budget(&Features::default(), 65_535, 2, |d| reader.read(&blocks, 0, d));
    assert_eq!(datas(&first), vec![a.clone(), b.clone()]);
    assert_eq!(blocks.block(0).status(), sys::TP_STATUS_USER, "a partly read block stays user space's");
    assert!(reader.ready(&blocks), "the rest of the block is still to read");
    let rest = read_with(&Features::default(), 65_535, |d| reader.read(&blocks, 0, d));
    assert_eq!(datas(&rest), vec![c]);
    assert_eq!(blocks.block(0).status(), sys::TP_STATUS_KERNEL);
}

/// A packet header the kernel could not have written (past the block's
/// end) ends the block: nothing beyond it is read, and the block goes back.
#[test]
fn v3_a_corrupt_offset_never_reads_past_the_block() {
    let mut mem = FakeMemory::new(4096);
    let g = geometry(Version::V3, 4096, 1, 2048, 2);
    let ring = mem.ring(g);
    let a = vec![9u8; 100];
    kernel_retires_block(&ring, 0, &[&a, &a], 1, 0);
    let blocks = ring.blocks().unwrap();
    // The first packet's tp_next_offset points 8 bytes before the block's end.
    let first = sys::v3_block_plus_priv(0);
    assert!(blocks.block(0).region().write(first, 4096u32 - first as u32 - 8));
    let mut reader = BlockReader::new();
    let r = read_with(&Features::default(), 65_535, |d| reader.read(&blocks, 0, d));
    assert_eq!(datas(&r), vec![a], "only the packet inside the block");
    assert_eq!(blocks.block(0).status(), sys::TP_STATUS_KERNEL, "the corrupt block goes back");
}

/// The V3 private area is checked once per block and handed with each packet.
#[test]
fn v3_packets_carry_the_block_private_area() {
    let mut mem = FakeMemory::new(4096);
    let g = Geometry { priv_size: 16, ..geometry(Version::V3, 4096, 1, 2048, 2) };
    let ring = mem.ring(g);
    let blocks = ring.blocks().unwrap();
    kernel_retires_block(&ring, 0, &[&[5u8; 60], &[6u8; 60]], 3, 16);
    assert!(blocks.block(0).region().write_bytes(sys::V3_BLOCK_HEADER_LEN, b"private-area-16b"));
    let r = read_with(&Features::default(), 65_535, |d| BlockReader::new().read(&blocks, 16, d));
    assert_eq!(r.delivered, 2);
    let private: Vec<Vec<u8>> = r
        .metas
        .iter()
        .map(|m| {
            // SAFETY: the area lies in the fake ring, which outlives this read.
            unsafe { std::slice::from_raw_parts(m.block_private, m.block_private_len as usize) }.to_vec()
        })
        .collect();
    assert_eq!(private, vec![b"private-area-16b".to_vec(); 2]);
}

/// With PACKET_VNET_HDR the kernel writes the virtio-net header just
/// before the packet; the reader reports it and still starts the data at
/// the link-layer header.
#[test]
fn vnet_headers_in_front_of_v2_packets_are_reported() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(1024, 4));
    let p = vec![4u8; 60];
    let mac = kernel_writes_v2(&ring, 0, &p, 60, libc::PACKET_HOST) as usize;
    let hdr: [u8; 10] = [1, 4, 54, 0, 0xa8, 0x05, 34, 0, 16, 0];
    assert!(ring.frames::<V2>().unwrap().frame(0).region().write_bytes(mac - 10, &hdr));
    let features = Features { vnet_header: true, ..Features::default() };
    let mut reader = FrameReader::<V2>::new(0);
    let r = read(&mut reader, &ring, &features, 65_535);
    let (data, valid, vnet) = (r.packets[0].0.clone(), r.metas[0].vnet_valid, r.metas[0].vnet);
    assert_eq!(data, p);
    assert!(valid);
    assert_eq!((vnet.flags, vnet.gso_type, vnet.hdr_len, vnet.gso_size), (1, 4, 54, 1448));
    assert_eq!((vnet.csum_start, vnet.csum_offset), (34, 16));
}

#[test]
fn a_header_goes_in_place_into_the_room_before_the_packet_once() {
    let mut mem = FakeMemory::new(2 * 4096);
    let g = geometry(Version::V3, 4096, 2, 2048, 4);
    let ring = mem.ring(g);
    let blocks = ring.blocks().unwrap();
    let a: Vec<u8> = (0..60u8).collect();
    kernel_retires_v3_block(&ring, 0, &[&a, &a], 1);
    // The fake kernel puts the packet at the first aligned offset after
    // the sockaddr_ll: that gap is the room.
    let room = crate::ring::fake::mac_offset::<V3>() - V3::HDRLEN;
    let breaker = Breaker::new().unwrap();
    let mut options = ReadOptions::new(&Features::default());
    let mut seen = Vec::new();
    let mut callback = |p: &Packet<'_>| {
        let too_long = vec![0xee; room + 1];
        assert!(p.with_header(&too_long).is_none(), "more than the room is refused");
        let header = vec![0xaa; room];
        let framed = p.with_header(&header).expect("the room takes a header of its size");
        seen.push(framed.to_vec());
        assert!(p.with_header(&header).is_none(), "the room is used once per packet");
    };
    let mut d = Delivery {
        budget: usize::MAX,
        snaplen: 65_535,
        breaker: &breaker,
        callback: &mut callback as &mut dyn FnMut(&Packet<'_>),
        options: &mut options,
        skipped: 0,
        truncated: 0,
    };
    let mut reader = BlockReader::new();
    assert_eq!(reader.read(&blocks, 0, &mut d), 2);
    let mut want = vec![0xaa; room];
    want.extend_from_slice(&a);
    assert_eq!(seen, [want.clone(), want], "header then the packet's bytes, contiguous in the ring");
}

#[test]
fn coalescing_pause_holds_to_a_quarter_of_the_ring_and_to_one_unit() {
    use super::coalescing_pause_ms as pause;
    // 64 blocks retiring every millisecond: a quarter is 16 ms.
    assert_eq!(pause(16, 64, 4, 4_000), 16);
    assert_eq!(pause(4, 64, 4, 4_000), 4);
    // 8 blocks, one every 5 ms: a quarter (2 blocks) takes 10 ms.
    assert_eq!(pause(16, 8, 1, 5_000), 10);
    // Filling fast: a quarter of 8 blocks in under a millisecond is no pause.
    assert_eq!(pause(16, 8, 40, 4_000), 0);
    // One block a second (to_ms 1000 at 1 000 pps): 16 ms hands over nothing.
    assert_eq!(pause(16, 8, 1, 1_000_000), 0);
    // Off.
    assert_eq!(pause(0, 64, 4, 4_000), 0);
}

#[test]
fn a_vlan_tag_goes_back_in_place_before_the_packet() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(v2_geometry(2048, 2));
    let packet: Vec<u8> = (0..60u8).collect();
    let mac = kernel_writes_v2(&ring, 0, &packet, 60, 0) as usize;
    let frame = ring.frames::<V2>().unwrap().frame(0);
    let r = frame.region();
    let sll = sys::sockaddr_ll { sll_family: libc::AF_PACKET as u16, sll_hatype: 1, ..Default::default() };
    // tpacket2_hdr's tp_vlan_tci, and the status bit that makes it valid.
    assert!(r.write(V2::SLL_AT, sll) & r.write(24usize, 100u16));
    frame.release(sys::TP_STATUS_USER | sys::TP_STATUS_VLAN_VALID);
    let features = Features { vlan_reinsert: true, ..Features::default() };
    let got = read(&mut FrameReader::<V2>::new(0), &ring, &features, 65_535);
    let tagged: Vec<u8> = (0..12u8).chain([0x81, 0x00, 0x00, 100]).chain(12..60u8).collect();
    assert_eq!(got.packets[0].0, tagged);
    assert_eq!(got.packets[0].1, 64, "the length counts the tag");
    assert_eq!(r.bytes(mac - 4, 64).unwrap(), &tagged[..], "rebuilt in the ring, not in a copy");
}

/// The frames walk (the pcap layer's V3 path) finds what the native reader
/// delivers, packet for packet, stops at its budget of taken packets, and
/// gives each block back after its last packet, taken or not.
#[test]
fn v3_frames_walk_sees_what_the_native_reader_delivers() {
    let mut mem = FakeMemory::new(2 * 4096);
    let g = geometry(Version::V3, 4096, 2, 2048, 4);
    let ring = mem.ring(g);
    let blocks = ring.blocks().unwrap();
    let (a, b, c): (Vec<u8>, Vec<u8>, Vec<u8>) = ((0..60u8).collect(), (0..200u8).collect(), vec![7u8; 90]);
    let retire_both = || {
        kernel_retires_v3_block(&ring, 0, &[&a, &b], 1);
        kernel_retires_v3_block(&ring, 1, &[&c], 2);
    };
    retire_both();
    let native = read_with(&Features::default(), 65_535, |d| BlockReader::new().read(&blocks, 0, d));
    retire_both();
    let breaker = Breaker::new().unwrap();
    let mut reader = BlockReader::new();
    let mut seen = Vec::new();
    let mut each = |f: &super::V3Frame<'_>| {
        seen.push((f.data().as_slice().to_vec(), f.hdr.tp_len, f.link().sll_pkttype, f.has_tag()));
        seen.len() != 2 // the second packet is refused
    };
    // A budget of 2 taken packets: the refused one does not count against it.
    let took = reader.read_frames(&blocks, 0, 2, &breaker, &mut each);
    assert_eq!(took, 2);
    let expected: Vec<_> = native.packets.iter().map(|p| (p.0.clone(), p.1, p.2, false)).collect();
    assert_eq!(seen, expected, "the same bytes, lengths and packet types, in ring order");
    let statuses = (blocks.block(0).status(), blocks.block(1).status());
    assert_eq!(statuses, (sys::TP_STATUS_KERNEL, sys::TP_STATUS_KERNEL), "both blocks go back once walked");
    assert!(!reader.ready(&blocks));
}
