//! TPACKET_V1/V2 reading: one packet per frame, each frame handed back to
//! the kernel right after its callback.

use std::ptr;

use crate::geometry::Version;
use crate::packet::{PacketMeta, VnetHeader, VNET_HDR_LEN};
use crate::ring::{frame_acquire, frame_release, Ring};
use crate::rx::{Delivery, Found};
use crate::sys;

pub struct FrameReader {
    version: Version,
    next: u32,
    /// With PACKET_COPY_THRESH the kernel also queues a packet that did not
    /// fit its frame on the socket (TP_STATUS_COPY); it is read into this
    /// buffer so the callback gets it whole. Empty when the option is off.
    copy: Vec<u8>,
    socket: i32,
}

impl FrameReader {
    /// `copy_len`: bytes a copy may bring (snaplen, plus the virtio-net
    /// header when the capture asked for one); 0 without PACKET_COPY_THRESH.
    pub fn new(version: Version, socket: i32, copy_len: usize) -> FrameReader {
        debug_assert!(version != Version::V3);
        FrameReader { version, next: 0, copy: vec![0; copy_len], socket }
    }

    /// Reads the queued copy of a packet that overflowed its frame; None if
    /// the kernel could not queue one (socket buffer full).
    fn read_copy(&mut self) -> Option<(usize, usize)> {
        // Returns (bytes copied, packet length).
        if self.copy.is_empty() {
            return None;
        }
        // SAFETY: the buffer is valid for writes of its length; MSG_TRUNC
        // makes recv report the packet's full length.
        let n = unsafe {
            libc::recv(
                self.socket,
                self.copy.as_mut_ptr().cast(),
                self.copy.len(),
                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
            )
        };
        (n >= 0).then(|| ((n as usize).min(self.copy.len()), n as usize))
    }

    /// Whether the kernel has handed over the next frame.
    pub fn ready(&self, ring: &Ring) -> bool {
        // SAFETY: next < frame_nr, so the frame is inside the live ring.
        unsafe { frame_acquire(ring.frame(self.next), self.version) & sys::TP_STATUS_USER != 0 }
    }

    /// Delivers up to `d.budget` packets; returns how many.
    pub fn read(&mut self, ring: &Ring, d: &mut Delivery<'_>) -> usize {
        let frame_size = ring.geometry.frame_size as usize;
        let mut n = 0;
        while n < d.budget {
            let frame = ring.frame(self.next);
            // SAFETY: the frame is inside the live ring.
            let status = unsafe { frame_acquire(frame, self.version) };
            if status & sys::TP_STATUS_USER == 0 {
                break;
            }
            // SAFETY: user space owns the frame until frame_release below.
            let mut meta = unsafe { self.parse(frame, status) };
            let offset = (meta.mac_offset as usize).min(frame_size);
            let copied = if status & sys::TP_STATUS_COPY != 0 { self.read_copy() } else { None };
            let delivered = match copied {
                Some((len, _)) => {
                    // With PACKET_VNET_HDR, recv puts the header in front of the copy.
                    let skip = if d.vnet() { VNET_HDR_LEN.min(len) } else { 0 };
                    if skip > 0 {
                        meta.vnet = VnetHeader::from_bytes(&self.copy[..len]).unwrap_or_default();
                        meta.vnet_valid = true;
                    }
                    d.deliver(Found { data: &self.copy[skip..len], meta: &mut meta, cut_by_frame: false })
                }
                None => {
                    let len = (meta.caplen as usize).min(frame_size - offset);
                    // SAFETY: offset + len stays inside the frame, which user space owns.
                    let data = unsafe { std::slice::from_raw_parts(frame.add(offset), len) };
                    if d.vnet() && offset >= VNET_HDR_LEN {
                        // SAFETY: the kernel wrote the header just before the packet, inside the frame.
                        let hdr = unsafe { std::slice::from_raw_parts(frame.add(offset - VNET_HDR_LEN), VNET_HDR_LEN) };
                        meta.vnet = VnetHeader::from_bytes(hdr).unwrap_or_default();
                        meta.vnet_valid = true;
                    }
                    // The kernel shortens tp_snaplen to the frame's end and to a
                    // socket filter's verdict only; reaching the end means the frame did it.
                    let cut_by_frame = meta.caplen < meta.len && offset + meta.caplen as usize >= frame_size;
                    d.deliver(Found { data, meta: &mut meta, cut_by_frame })
                }
            };
            // SAFETY: done reading; give the frame back to the kernel.
            unsafe { frame_release(frame, self.version, sys::TP_STATUS_KERNEL) };
            self.next = (self.next + 1) % ring.geometry.frame_nr;
            n += usize::from(delivered);
            if d.should_stop() {
                break;
            }
        }
        n
    }

    /// Gives every frame user space owns back to the kernel undelivered
    /// (a filter change discards what the old filter accepted).
    pub fn discard(&mut self, ring: &Ring) -> usize {
        let mut n = 0;
        while n < ring.geometry.frame_nr as usize {
            let frame = ring.frame(self.next);
            // SAFETY: the frame is inside the live ring.
            if unsafe { frame_acquire(frame, self.version) } & sys::TP_STATUS_USER == 0 {
                break;
            }
            // SAFETY: user space owns the frame; hand it back unread.
            unsafe { frame_release(frame, self.version, sys::TP_STATUS_KERNEL) };
            self.next = (self.next + 1) % ring.geometry.frame_nr;
            n += 1;
        }
        n
    }

    /// Reads the frame header and the sockaddr_ll behind it.
    ///
    /// # Safety
    /// `frame` is a frame of this reader's ring that user space owns.
    unsafe fn parse(&self, frame: *mut u8, status: u32) -> PacketMeta {
        let mut meta = PacketMeta { status, ..PacketMeta::default() };
        let hdr_size = match self.version {
            Version::V1 => {
                // SAFETY: the frame starts with a tpacket_hdr (caller's contract).
                let h: sys::tpacket_hdr = unsafe { ptr::read_unaligned(frame.cast()) };
                meta.len = h.tp_len;
                meta.caplen = h.tp_snaplen;
                meta.ts_sec = h.tp_sec as u64;
                meta.ts_nsec = h.tp_usec.saturating_mul(1000);
                meta.mac_offset = u32::from(h.tp_mac);
                meta.net_offset = u32::from(h.tp_net);
                std::mem::size_of::<sys::tpacket_hdr>()
            }
            _ => {
                // SAFETY: the frame starts with a tpacket2_hdr (caller's contract).
                let h: sys::tpacket2_hdr = unsafe { ptr::read_unaligned(frame.cast()) };
                meta.len = h.tp_len;
                meta.caplen = h.tp_snaplen;
                meta.ts_sec = h.tp_sec as u64;
                meta.ts_nsec = h.tp_nsec;
                meta.vlan_tci = h.tp_vlan_tci;
                meta.vlan_tpid = h.tp_vlan_tpid;
                meta.mac_offset = u32::from(h.tp_mac);
                meta.net_offset = u32::from(h.tp_net);
                std::mem::size_of::<sys::tpacket2_hdr>()
            }
        };
        // SAFETY: the sockaddr_ll follows the aligned header inside the frame.
        let sll: sys::sockaddr_ll = unsafe { ptr::read_unaligned(frame.add(sys::tpacket_align(hdr_size)).cast()) };
        meta.fill_link(&sll);
        meta
    }
}
