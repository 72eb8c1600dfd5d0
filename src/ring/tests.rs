//! The ring views over fake memory and over a real mapping of /dev/zero:
//! layout checks, bounds of every accessor, the status-word protocol, and
//! the header layouts against the kernel's structs. No socket is needed.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::fake::{geometry, kernel_fills_frame, kernel_retires_block, mac_offset, FakeMemory};
use super::*;
use crate::geometry::Version;
use crate::sys;

#[test]
fn unsound_layouts_are_refused_with_the_reason() {
    let mut words = vec![0u64; 2 * 4096 / 8];
    let cases = [
        (geometry(Version::V2, 4096, 1, 1000, 4), "multiples of 16"),
        (geometry(Version::V2, 4096, 1, 8192, 1), "larger than its block"),
        (geometry(Version::V2, 4096, 2, 1024, 9), "more frames than the blocks hold"),
        (geometry(Version::V2, 4096, 3, 1024, 12), "larger than memory"),
    ];
    for (g, why) in cases {
        let e = RingMem::over_words(&mut words, g).err().unwrap_or_else(|| panic!("{g} accepted"));
        assert!(e.message().contains(why), "{g}: {e}");
    }
}

#[test]
fn a_ring_is_read_only_as_its_own_version() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V2, 4096, 1, 1024, 4));
    assert!(ring.frames::<V2>().is_ok());
    let e = ring.frames::<V3>().err().unwrap();
    assert!(e.message().contains("V2 ring read as V3"), "{e}");
    assert!(ring.blocks().err().unwrap().message().contains("no blocks"));
    // A frame must hold its header and sockaddr_ll.
    let mut mem = FakeMemory::new(4096);
    let tiny = mem.ring(geometry(Version::V3, 4096, 1, 48, 64));
    assert!(tiny.frames::<V3>().err().unwrap().message().contains("cannot hold their header"));
}

#[test]
fn region_accessors_check_every_offset() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V2, 4096, 1, 1024, 4));
    let frame = ring.frames::<V2>().unwrap().frame(1);
    let r = frame.region();
    assert_eq!(r.len(), 1024);
    assert!(r.write(1020, 0xdead_beefu32));
    assert_eq!(r.read::<u32>(1020), Some(0xdead_beef));
    assert_eq!(r.read::<u32>(1021), None, "a read across the frame's end");
    assert!(!r.write(1021, 1u32), "a write across the frame's end");
    assert_eq!(r.read::<u64>(usize::MAX - 2), None, "no overflow in the check");
    assert_eq!(r.bytes(1024, 0), Some(&[][..]));
    assert_eq!(r.bytes(1024, 1), None);
    assert_eq!(r.bytes_up_to(1020, 100).len(), 4, "a caplen past the end is cut at it");
    assert!(r.bytes_up_to(5000, 10).is_empty());
    assert!(r.sub(1000, 24).is_some() && r.sub(1000, 25).is_none());
    // Frame 1's last bytes are not frame 2's first.
    assert_eq!(ring.frames::<V2>().unwrap().frame(2).region().read::<u32>(0), Some(0));
}

#[test]
fn status_words_have_each_versions_width() {
    // V1's tp_status is an unsigned long: a release writes all 8 bytes.
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V1, 4096, 1, 1024, 4));
    let frame = ring.frames::<V1>().unwrap().frame(0);
    assert!(frame.region().write(0, u64::MAX));
    frame.release(sys::TP_STATUS_USER);
    assert_eq!(frame.region().read::<u64>(0), Some(1));
    assert_eq!(frame.status(), sys::TP_STATUS_USER);
    // V2's is a u32: the next field (tp_len) is left alone.
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V2, 4096, 1, 1024, 4));
    let frame = ring.frames::<V2>().unwrap().frame(0);
    assert!(frame.region().write(4, 77u32));
    frame.release(sys::TP_STATUS_SEND_REQUEST);
    assert_eq!(frame.region().read::<u32>(0), Some(sys::TP_STATUS_SEND_REQUEST));
    assert_eq!(frame.header().tp_len, 77);
}

#[test]
fn header_layouts_are_the_kernels() {
    fn check<H: TpacketHeader>(len: usize, snaplen: usize, mac: usize, net: usize, size: usize) {
        assert_eq!((H::TP_LEN, H::TP_SNAPLEN, H::TP_MAC, H::TP_NET, H::LEN), (len, snaplen, mac, net, size));
        assert_eq!(H::HDRLEN, H::VERSION.header_len(), "TPACKET{{1,2,3}}_HDRLEN");
    }
    check::<V1>(
        offset_of!(sys::tpacket_hdr, tp_len),
        offset_of!(sys::tpacket_hdr, tp_snaplen),
        offset_of!(sys::tpacket_hdr, tp_mac),
        offset_of!(sys::tpacket_hdr, tp_net),
        size_of::<sys::tpacket_hdr>(),
    );
    check::<V2>(
        offset_of!(sys::tpacket2_hdr, tp_len),
        offset_of!(sys::tpacket2_hdr, tp_snaplen),
        offset_of!(sys::tpacket2_hdr, tp_mac),
        offset_of!(sys::tpacket2_hdr, tp_net),
        size_of::<sys::tpacket2_hdr>(),
    );
    check::<V3>(
        offset_of!(sys::tpacket3_hdr, tp_len),
        offset_of!(sys::tpacket3_hdr, tp_snaplen),
        offset_of!(sys::tpacket3_hdr, tp_mac),
        offset_of!(sys::tpacket3_hdr, tp_net),
        size_of::<sys::tpacket3_hdr>(),
    );
    const { assert!(V1::STATUS_IS_LONG && !V2::STATUS_IS_LONG && !V3::STATUS_IS_LONG) };
    assert_eq!(
        (V1::TP_STATUS, V2::TP_STATUS, V3::TP_STATUS),
        (
            offset_of!(sys::tpacket_hdr, tp_status),
            offset_of!(sys::tpacket2_hdr, tp_status),
            offset_of!(sys::tpacket3_hdr, tp_status)
        )
    );
    assert_eq!(V3::TP_NEXT_OFFSET, Some(offset_of!(sys::tpacket3_hdr, tp_next_offset)));
    assert_eq!((V1::TP_NEXT_OFFSET, V2::TP_NEXT_OFFSET), (None, None));
}

#[test]
fn a_filled_frame_reads_back_through_the_trait() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V2, 4096, 1, 1024, 4));
    let p: Vec<u8> = (0..100u8).collect();
    let mac = kernel_fills_frame::<V2>(&ring, 3, &p, 1500, libc::PACKET_BROADCAST);
    assert_eq!(mac as usize, mac_offset::<V2>());
    let frame = ring.frames::<V2>().unwrap().frame(3);
    assert_eq!(frame.status(), sys::TP_STATUS_USER);
    let mut meta = crate::packet::PacketMeta::default();
    V2::fill_meta(&frame.header(), &mut meta);
    meta.fill_link(&frame.link());
    assert_eq!((meta.len, meta.caplen, meta.mac_offset, meta.pkttype), (1500, 100, mac.into(), libc::PACKET_BROADCAST));
    assert_eq!(frame.region().bytes(mac as usize, 100), Some(&p[..]));
}

#[test]
fn tx_headers_leave_the_status_word_to_release() {
    let mut mem = FakeMemory::new(4096);
    let ring = mem.ring(geometry(Version::V3, 4096, 1, 1024, 4));
    let frame = ring.frames::<V3>().unwrap().frame(2);
    frame.set_tx_header(300, Some((OffsetField::Net, 64)), 0);
    let h = frame.header();
    assert_eq!((h.tp_len, h.tp_snaplen, h.tp_net, h.tp_mac, h.tp_next_offset), (300, 300, 64, 0, 0));
    assert_eq!(frame.status(), sys::TP_STATUS_AVAILABLE, "not handed over yet");
    frame.set_tx_header(60, Some((OffsetField::Mac, 48)), 16);
    let h = frame.header();
    assert_eq!((h.tp_len, h.tp_mac, h.tp_next_offset), (60, 48, 16));
}

#[test]
fn blocks_expose_their_descriptor_and_status() {
    let mut mem = FakeMemory::new(3 * 4096);
    let ring = mem.ring(geometry(Version::V3, 4096, 3, 2048, 6));
    let blocks = ring.blocks().unwrap();
    assert_eq!(blocks.block(1).status(), sys::TP_STATUS_KERNEL);
    kernel_retires_block(&ring, 1, &[&[1u8; 60], &[2u8; 61]], 99, 0);
    let b = blocks.block(1);
    assert_eq!(b.status(), sys::TP_STATUS_USER);
    let d = b.descriptor();
    assert_eq!((d.num_pkts, d.offset_to_first_pkt as usize, d.seq_num), (2, sys::v3_block_plus_priv(0), 99));
    assert_eq!(b.packets_so_far(), 2);
    b.release();
    assert_eq!(b.status(), sys::TP_STATUS_KERNEL);
    assert_eq!(blocks.block(4).region().ptr_at(0, 1), b.region().ptr_at(0, 1), "block numbers count round the ring");
}

/// A real mapping (of /dev/zero): the ring must lie inside it, and a
/// MappedRing's view is the ring at its offset.
#[test]
fn rings_are_checked_against_their_mapping() {
    let zero = std::fs::OpenOptions::new().read(true).write(true).open("/dev/zero").unwrap();
    let mapping = Arc::new(Mapping::new(std::os::fd::AsRawFd::as_raw_fd(&zero), 3 * 4096, false).unwrap());
    let g = geometry(Version::V2, 4096, 2, 2048, 4);
    let e = RingMem::new(&mapping, 8192, g).err().unwrap();
    assert!(e.message().contains("lies outside the 12288-byte mapping"), "{e}");
    assert!(RingMem::new(&mapping, usize::MAX - 10, g).is_err(), "no overflow in the check");
    let tx = MappedRing::new(mapping.clone(), 4096, geometry(Version::V2, 4096, 2, 2048, 4)).unwrap();
    let rx = MappedRing::new(mapping, 0, geometry(Version::V2, 4096, 1, 2048, 2)).unwrap();
    // TX frame 0 is the mapping's second page, right after the RX block.
    let frame = tx.mem().frames::<V2>().unwrap().frame(0);
    assert!(frame.region().write(100, 0x5au8));
    let rx_past_end = rx.mem().frames::<V2>().unwrap().frame(1).region().ptr_at(2047, 1).unwrap();
    assert_eq!(frame.region().ptr_at(0, 1).unwrap() as usize, rx_past_end as usize + 1);
    assert_eq!(tx.geometry().block_nr, 2);
}
