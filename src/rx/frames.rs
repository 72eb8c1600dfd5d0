//! TPACKET_V1/V2 reading: one packet per frame, each frame handed back to
//! the kernel right after its callback. Generic over the frame header, so
//! the version is fixed when the capture opens.

use std::marker::PhantomData;

use crate::packet::{PacketMeta, VnetHeader, VNET_HDR_LEN};
use crate::ring::{FrameMem, FrameRing, Span, TpacketHeader};
use crate::rx::{headroom, Delivery, Found, Packet};
use crate::socket::PacketSocket;
use crate::sys;

pub struct FrameReader<H> {
    next: u32,
    /// With PACKET_COPY_THRESH the kernel also queues a packet that did not
    /// fit its frame on the socket (TP_STATUS_COPY); it is read into this
    /// buffer so the callback gets it whole. Empty when the option is off.
    copy: Vec<u8>,
    _h: PhantomData<H>,
}

impl<H: TpacketHeader> FrameReader<H> {
    /// `copy_len`: bytes a copy may bring (snaplen, plus the virtio-net
    /// header when the capture asked for one); 0 without PACKET_COPY_THRESH.
    pub fn new(copy_len: usize) -> FrameReader<H> {
        FrameReader { next: 0, copy: vec![0; copy_len], _h: PhantomData }
    }

    /// Reads the queued copy of a packet that overflowed its frame:
    /// (bytes copied, packet length); None if the kernel could not queue
    /// one (socket buffer full).
    fn read_copy(&mut self, socket: &PacketSocket) -> Option<(usize, usize)> {
        if self.copy.is_empty() {
            return None;
        }
        socket.recv_queued(&mut self.copy)
    }

    /// Whether the kernel has handed over the next frame.
    pub fn ready(&self, ring: &FrameRing<'_, H>) -> bool {
        ring.frame(self.next).status() & sys::TP_STATUS_USER != 0
    }

    /// Delivers up to `d.budget` packets; returns how many. `socket`
    /// brings the copies of PACKET_COPY_THRESH.
    pub fn read<F: FnMut(&Packet<'_>) + ?Sized>(
        &mut self,
        ring: &FrameRing<'_, H>,
        socket: &PacketSocket,
        d: &mut Delivery<'_, F>,
    ) -> usize {
        let mut n = 0;
        while n < d.budget {
            let frame = ring.frame(self.next);
            let status = frame.status();
            if status & sys::TP_STATUS_USER == 0 {
                break;
            }
            let mut meta = parse(&frame, status);
            let bytes = frame.region();
            let frame_size = bytes.len();
            let offset = (meta.mac_offset as usize).min(frame_size);
            let copied = if status & sys::TP_STATUS_COPY != 0 { self.read_copy(socket) } else { None };
            let delivered = match copied {
                Some((len, _)) => {
                    // With PACKET_VNET_HDR, recv puts the header in front of the copy.
                    let skip = if d.vnet() { VNET_HDR_LEN.min(len) } else { 0 };
                    if skip > 0 {
                        meta.vnet = VnetHeader::from_bytes(&self.copy[..len]).unwrap_or_default();
                        meta.vnet_valid = true;
                    }
                    d.deliver(Found {
                        data: Span::from(&self.copy[skip..len]),
                        meta: &mut meta,
                        cut_by_frame: false,
                        headroom: None,
                    })
                }
                None => {
                    let data = bytes.span_up_to(offset, meta.caplen as usize);
                    if d.vnet() {
                        // The kernel wrote the header just before the packet, inside the frame.
                        if let Some(hdr) = offset.checked_sub(VNET_HDR_LEN).and_then(|at| bytes.bytes(at, VNET_HDR_LEN))
                        {
                            meta.vnet = VnetHeader::from_bytes(hdr).unwrap_or_default();
                            meta.vnet_valid = true;
                        }
                    }
                    // The kernel shortens tp_snaplen to the frame's end and to a
                    // socket filter's verdict only; reaching the end means the frame did it.
                    let cut_by_frame = meta.caplen < meta.len && offset + meta.caplen as usize >= frame_size;
                    let headroom = headroom(&bytes, H::HDRLEN, offset);
                    d.deliver(Found { data, meta: &mut meta, cut_by_frame, headroom })
                }
            };
            // Done reading: give the frame back to the kernel.
            frame.release(sys::TP_STATUS_KERNEL);
            self.next = (self.next + 1) % ring.frame_nr();
            n += usize::from(delivered);
            if d.should_stop() {
                break;
            }
        }
        n
    }

    /// Gives every frame user space owns back to the kernel undelivered
    /// (a filter change discards what the old filter accepted).
    pub fn discard(&mut self, ring: &FrameRing<'_, H>) -> usize {
        let mut n = 0;
        while n < ring.frame_nr() as usize {
            let frame = ring.frame(self.next);
            if frame.status() & sys::TP_STATUS_USER == 0 {
                break;
            }
            frame.release(sys::TP_STATUS_KERNEL);
            self.next = (self.next + 1) % ring.frame_nr();
            n += 1;
        }
        n
    }
}

/// The frame header and the sockaddr_ll behind it, of a frame user space owns.
fn parse<H: TpacketHeader>(frame: &FrameMem<'_, H>, status: u32) -> PacketMeta {
    let mut meta = PacketMeta { status, ..PacketMeta::default() };
    H::fill_meta(&frame.header(), &mut meta);
    meta.fill_link(&frame.link());
    meta
}
