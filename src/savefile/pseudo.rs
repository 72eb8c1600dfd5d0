//! Link-layer pseudo-headers that the capturing host wrote in its own byte
//! order, which libpcap converts when the file's byte order is not this
//! host's (`swap_pseudo_headers`), and its repair of the on-the-wire length
//! of old memory-mapped Linux USB isochronous captures.
//!
//! Every field is touched only if the captured data holds it, so short or
//! damaged packets are left as they are, exactly as libpcap leaves them.

use super::PacketHeader;

const DLT_LINUX_SLL: i32 = 113;
const DLT_PFLOG: i32 = 117;
const DLT_USB_LINUX: i32 = 189;
const DLT_USB_LINUX_MMAPPED: i32 = 220;
const DLT_NFLOG: i32 = 239;
const DLT_LINUX_SLL2: i32 = 276;

const URB_ISOCHRONOUS: u8 = 0;
const URB_COMPLETE: u8 = b'C';
const URB_TRANSFER_IN: u8 = 0x80;
/// `sizeof(pcap_usb_header_mmapped)`.
const USB_MMAPPED_HEADER_LEN: u32 = 64;
/// `sizeof(usb_isodesc)`.
const USB_ISODESC_LEN: u32 = 16;

/// Whether [`post_process`] can change anything in a file of this link
/// type and byte order (most files: no, and the call is skipped).
pub(crate) fn needed(dlt: i32, swapped: bool) -> bool {
    swapped || dlt == DLT_USB_LINUX_MMAPPED
}

/// Applies libpcap's per-packet fix-ups for `dlt` to a packet just read.
pub(crate) fn post_process(dlt: i32, swapped: bool, header: &mut PacketHeader, data: &mut [u8]) {
    if swapped {
        swap_pseudo_headers(dlt, header, data);
    }
    if dlt == DLT_USB_LINUX_MMAPPED {
        fix_usb_mmapped_length(header, data);
    }
}

/// Reverses the `width` bytes at `at`, if they were captured.
fn swap(data: &mut [u8], at: usize, width: usize) {
    if let Some(field) = data.get_mut(at..at + width) {
        field.reverse();
    }
}

fn u8_at(data: &[u8], at: usize) -> u8 {
    data.get(at).copied().unwrap_or_default()
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    data.get(at..at + 2).and_then(|b| b.try_into().ok()).map_or(0, u16::from_ne_bytes)
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_ne_bytes)
}

fn swap_pseudo_headers(dlt: i32, h: &PacketHeader, data: &mut [u8]) {
    match dlt {
        DLT_PFLOG => swap_pflog(h, data),
        DLT_LINUX_SLL => swap_sll_can(h, data, 16, 14),
        DLT_LINUX_SLL2 => swap_sll_can(h, data, 20, 0),
        DLT_USB_LINUX => swap_usb(h, data, false),
        DLT_USB_LINUX_MMAPPED => swap_usb(h, data, true),
        DLT_NFLOG => swap_nflog(h, data),
        _ => {}
    }
}

/// pfloghdr: uid, pid, rule_uid and rule_pid (offsets 44..60) are in the
/// writer's order; each is converted only if both the captured data and
/// the header's own length field cover it.
fn swap_pflog(h: &PacketHeader, data: &mut [u8]) {
    let header_len = u32::from(u8_at(data, 0));
    for at in [44u32, 48, 52, 56] {
        let end = at + 4;
        if h.caplen < end || h.len < end || header_len < end {
            return;
        }
        swap(data, at as usize, 4);
    }
}

/// SocketCAN headers after a cooked (SLL/SLL2) header.
fn swap_sll_can(h: &PacketHeader, data: &mut [u8], sll_len: u32, protocol_at: usize) {
    if h.caplen < sll_len || h.len < sll_len {
        return;
    }
    // Always big-endian on the wire.
    let protocol = u16::from_be(u16_at(data, protocol_at));
    let (caplen, len) = (h.caplen - sll_len, h.len - sll_len);
    let Some(can) = data.get_mut(sll_len as usize..) else {
        return;
    };
    // CAN and CAN FD carry the CAN ID in the writer's order. (libpcap 1.10
    // does not know CAN XL, 0x000E, and leaves it alone.)
    if matches!(protocol, 0x000C | 0x000D) && caplen >= 4 && len >= 4 {
        swap(can, 0, 4);
    }
}

/// Walks the USB header converting fields in order, stopping at the first
/// one that is not wholly captured (libpcap's `swap_linux_usb_header`).
struct UsbFields<'a> {
    data: &'a mut [u8],
    caplen: usize,
    at: usize,
}

impl UsbFields<'_> {
    fn skip(&mut self, n: usize) {
        self.at += n;
    }

    /// Converts the next `width`-byte field; false if it was not captured.
    fn swap(&mut self, width: usize) -> bool {
        if self.caplen < self.at + width {
            return false;
        }
        swap(self.data, self.at, width);
        self.at += width;
        true
    }

    fn swap_all(&mut self, widths: &[usize]) -> bool {
        widths.iter().all(|&w| self.swap(w))
    }
}

/// The Linux USB header (48 bytes, or 64 for the memory-mapped form) and,
/// in the 64-byte form, the isochronous descriptors that follow it.
fn swap_usb(h: &PacketHeader, data: &mut [u8], long_header: bool) {
    let isochronous = u8_at(data, 9) == URB_ISOCHRONOUS;
    let mut f = UsbFields { data, caplen: h.caplen as usize, at: 0 };
    // id; then bus_id after four 1-byte fields
    if !f.swap(8) {
        return;
    }
    f.skip(4);
    if !f.swap(2) {
        return;
    }
    // ts_sec after two 1-byte flags; ts_usec, status, urb_len, data_len
    f.skip(2);
    if !f.swap_all(&[8, 4, 4, 4, 4]) {
        return;
    }
    if isochronous {
        // error_count, numdesc
        if !f.swap_all(&[4, 4]) {
            return;
        }
    } else {
        f.skip(8); // the setup packet is bytes
    }
    // interval, start_frame, xfer_flags, ndesc
    if !long_header || !f.swap_all(&[4, 4, 4, 4]) {
        return;
    }
    if isochronous {
        let ndesc = u32_at(f.data, 60);
        for _ in 0..ndesc {
            // status, offset, len, then padding
            if !f.swap_all(&[4, 4, 4]) {
                return;
            }
            f.skip(4);
        }
    }
}

/// NFLOG: a big-endian 4-byte header, then TLVs whose length and type are
/// in the writer's order.
fn swap_nflog(h: &PacketHeader, data: &mut [u8]) {
    if h.caplen < 4 || h.len < 4 || u8_at(data, 1) != 0 {
        return;
    }
    let (mut caplen, mut len, mut at) = (h.caplen - 4, h.len - 4, 4usize);
    while caplen >= 4 {
        swap(data, at, 2);
        swap(data, at + 2, 2);
        let size = u32::from(u16_at(data, at)).div_ceil(4) * 4;
        if size < 4 || caplen < size || len < size {
            return;
        }
        caplen -= size;
        len -= size;
        at += size as usize;
    }
}

/// Old libpcaps computed the length of completion events for incoming
/// isochronous transfers from the URB length; libpcap recomputes it from
/// the captured descriptors when the stored length looks like that.
fn fix_usb_mmapped_length(h: &mut PacketHeader, data: &[u8]) {
    if h.caplen < USB_MMAPPED_HEADER_LEN {
        return;
    }
    let ndesc = u32_at(data, 60);
    let urb_len = u32_at(data, 32);
    // libpcap 1.10 compares in size_t (64-bit) arithmetic, so a huge ndesc
    // does not wrap into a match.
    let old_style_len =
        u64::from(USB_MMAPPED_HEADER_LEN) + u64::from(ndesc) * u64::from(USB_ISODESC_LEN) + u64::from(urb_len);
    let data_flag = u8_at(data, 15);
    if data_flag != 0
        || u8_at(data, 9) != URB_ISOCHRONOUS
        || u8_at(data, 8) != URB_COMPLETE
        || u8_at(data, 10) & URB_TRANSFER_IN == 0
        || u64::from(h.len) != old_style_len
    {
        return;
    }
    let mut data_len = 0u32;
    let mut left = h.caplen - USB_MMAPPED_HEADER_LEN;
    let mut at = USB_MMAPPED_HEADER_LEN as usize;
    let mut desc = 0;
    while desc < ndesc && left >= USB_ISODESC_LEN {
        let (offset, len) = (u32_at(data, at + 4), u32_at(data, at + 8));
        if len != 0 {
            data_len = data_len.max(offset.wrapping_add(len));
        }
        desc += 1;
        left -= USB_ISODESC_LEN;
        at += USB_ISODESC_LEN as usize;
    }
    // Stored through a 32-bit variable: wraps.
    let computed = USB_MMAPPED_HEADER_LEN.wrapping_add(ndesc.wrapping_mul(USB_ISODESC_LEN)).wrapping_add(data_len);
    if computed >= h.caplen {
        h.len = computed;
    }
    if h.caplen > h.len {
        h.len = h.caplen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sll(protocol: u16) -> Vec<u8> {
        let mut d: Vec<u8> = (0..28).collect();
        d[14..16].copy_from_slice(&protocol.to_be_bytes());
        let mut h = PacketHeader { ts_sec: 0, ts_frac: 0, caplen: 28, len: 28 };
        post_process(DLT_LINUX_SLL, true, &mut h, &mut d);
        d
    }

    #[test]
    fn only_can_and_can_fd_ids_are_swapped() {
        assert_eq!(&sll(0x000C)[16..21], &[19, 18, 17, 16, 20]);
        assert_eq!(&sll(0x000D)[16..21], &[19, 18, 17, 16, 20]);
        assert_eq!(&sll(0x000E)[16..21], &[16, 17, 18, 19, 20]);
        assert_eq!(&sll(0x0800)[16..21], &[16, 17, 18, 19, 20]);
    }

    #[test]
    fn short_usb_headers_are_swapped_as_far_as_captured() {
        let mut d: Vec<u8> = (0..13).collect();
        let mut h = PacketHeader { ts_sec: 0, ts_frac: 0, caplen: 13, len: 100 };
        post_process(DLT_USB_LINUX, true, &mut h, &mut d);
        assert_eq!(d, [7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12]);
    }
}
