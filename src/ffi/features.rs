//! C API for the optional kernel features: fanout, socket filters,
//! memberships (promiscuous, all-multicast, multicast addresses),
//! direction, timestamps, VLAN re-insertion, copy threshold, and per-packet
//! status helpers. Config setters first, then calls on an open capture.

use std::ffi::c_char;

use crate::direction::Direction;
use crate::error::{Error, ErrorCode, Result};
use crate::fanout::{Fanout, FanoutMode};
use crate::ffi::boundary::{c_str, in_ref, out_ref};
use crate::ffi::capture::{ringcap_capture, with_handle};
use crate::ffi::config::{ringcap_config, with_config};
use crate::membership::Membership;
use crate::rx::PacketMeta;
use crate::sockfilter::{Insn, MAX_INSNS};
use crate::timestamp::{PacketTimestamp, TimestampSource};

/// A fanout group to join. Zero-initialise it, then set the fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ringcap_fanout {
    /// Group id, shared by every member (must be 0 with RINGCAP_FANOUT_FLAG_UNIQUE_ID).
    pub id: u16,
    /// A ringcap_fanout_mode.
    pub mode: u32,
    /// ringcap_fanout_flag bits ORed together.
    pub flags: u32,
    /// RINGCAP_FANOUT_MODE_CBPF: the program that returns the member index
    /// for each packet (copied; it need not outlive the call). NULL otherwise.
    /// The kernel runs fanout programs (CBPF and EBPF) before the packet
    /// socket has pushed the link-layer header back: offset 0 is the
    /// network header (the IP header for IP), whatever the socket type, so
    /// a program written for `tcpdump -dd` output on Ethernet must drop the
    /// 14-byte header from its offsets; the link header stays reachable
    /// through SKF_LL_OFF (0xfff00000) + offset.
    pub program: *const Insn,
    /// Instructions in `program`.
    pub program_len: usize,
    /// RINGCAP_FANOUT_MODE_EBPF: a loaded BPF_PROG_TYPE_SOCKET_FILTER program
    /// fd. Ignored by the other modes.
    pub ebpf_fd: i32,
    /// Maximum group size (0: the kernel's default of 256).
    pub max_members: u32,
}

/// Reads a program argument: `len` instructions at `prog` (NULL only with len 0).
fn program(prog: *const Insn, len: usize) -> Result<Vec<Insn>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if prog.is_null() {
        return Err(Error::new(ErrorCode::NullParameter, "BPF program is NULL but its length is not 0"));
    }
    if len > MAX_INSNS {
        return Err(Error::new(
            ErrorCode::FilterInvalid,
            format!("BPF program has {len} instructions; the kernel accepts at most {MAX_INSNS}"),
        ));
    }
    // SAFETY: non-NULL and, per the documented contract, valid for `len` instructions.
    Ok(unsafe { std::slice::from_raw_parts(prog, len) }.to_vec())
}

fn fanout_from_c(f: &ringcap_fanout) -> Result<Fanout> {
    let mode = FanoutMode::from_u32(f.mode)?;
    if mode != FanoutMode::Cbpf && (!f.program.is_null() || f.program_len != 0) {
        return Err(Error::invalid(format!("a fanout program is only used by mode CBPF, not {mode:?}")));
    }
    let fanout = Fanout {
        id: f.id,
        mode,
        flags: f.flags,
        program: program(f.program, f.program_len)?,
        ebpf_fd: if mode == FanoutMode::Ebpf { f.ebpf_fd } else { -1 },
        max_members: f.max_members,
    };
    fanout.check()?;
    Ok(fanout)
}

fn mac(p: *const u8) -> Result<[u8; 6]> {
    if p.is_null() {
        return Err(Error::new(ErrorCode::NullParameter, "MAC address is NULL"));
    }
    let mut m = [0u8; 6];
    // SAFETY: non-NULL and, per the contract, valid for 6 bytes.
    m.copy_from_slice(unsafe { std::slice::from_raw_parts(p, 6) });
    Ok(m)
}

// ---------------------------------------------------------------------------
// Configuration

/// Which packets to capture: RINGCAP_DIRECTION_BOTH (default),
/// RINGCAP_DIRECTION_INCOMING (also sets PACKET_IGNORE_OUTGOING so the
/// kernel does not copy sent packets at all) or RINGCAP_DIRECTION_OUTGOING.
/// Filtering uses the packet type (PACKET_OUTGOING); packets skipped after
/// the kernel put them in the ring are counted in ringcap_stats.filtered, so
/// received == delivered + dropped + filtered still holds.
#[no_mangle]
pub extern "C" fn ringcap_config_set_direction(cfg: *mut ringcap_config, direction: i32) -> i32 {
    with_config(cfg, "ringcap_config_set_direction", |c| {
        c.features.direction = Direction::from_i32(direction)?;
        Ok(())
    })
}

/// RINGCAP_TIMESTAMP_SOURCE_SOFTWARE (default: the kernel's receive time,
/// nanoseconds with V2/V3) or RINGCAP_TIMESTAMP_SOURCE_HARDWARE (the NIC's
/// raw clock: SIOCSHWTSTAMP on the device plus PACKET_TIMESTAMP with
/// SOF_TIMESTAMPING_RAW_HARDWARE; needs CAP_NET_ADMIN and changes the
/// device's setting for every user). When the device cannot stamp,
/// ringcap_capture_open() returns RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK
/// and the handle uses software stamps. Each packet tells which clock
/// stamped it: ringcap_packet_timestamp_source().
#[no_mangle]
pub extern "C" fn ringcap_config_set_timestamp_source(cfg: *mut ringcap_config, source: i32) -> i32 {
    with_config(cfg, "ringcap_config_set_timestamp_source", |c| {
        c.features.timestamp = TimestampSource::from_i32(source)?;
        Ok(())
    })
}

/// Re-insert VLAN tags the kernel took out of packets (TP_STATUS_VLAN_VALID)
/// into the data after the MAC addresses, with the reported TPID (802.1Q
/// 0x8100 or 802.1ad 0x88a8; 0x8100 when the kernel does not report one),
/// as libpcap does. meta->len and caplen include the 4 tag bytes; the
/// metadata still carries the TCI/TPID. Untagged packets are still
/// delivered straight from the ring; tagged ones are rebuilt in a buffer
/// the handle owns. SOCK_RAW Ethernet captures on TPACKET_V2 or V3 only
/// (a V1 frame header has no VLAN fields, so V1 cannot put tags back):
/// refused with RINGCAP_RESULT_INVALID_ARGUMENT otherwise (default off).
#[no_mangle]
pub extern "C" fn ringcap_config_set_vlan_reinsert(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_vlan_reinsert", |c| {
        let old = c.features.vlan_reinsert;
        c.features.vlan_reinsert = on;
        c.check().inspect_err(|_| c.features.vlan_reinsert = old)
    })
}

/// PACKET_ORIGDEV (default off): meta->ifindex names the device the packet
/// arrived on rather than the one the capture is bound to, e.g. the
/// physical port under a VLAN or bond device.
#[no_mangle]
pub extern "C" fn ringcap_config_set_origdev(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_origdev", |c| {
        c.features.origdev = on;
        Ok(())
    })
}

/// PACKET_VNET_HDR (default off): the kernel writes a virtio-net header in
/// front of each received packet, and meta->vnet carries it (meta->vnet_valid
/// set): the GSO type and segment size of an aggregated packet, and whether
/// its checksum is still to be computed (VIRTIO_NET_HDR_F_NEEDS_CSUM, with
/// csum_start/csum_offset) or was verified. The data pointer still starts at
/// the link-layer header. SOCK_RAW only.
#[no_mangle]
pub extern "C" fn ringcap_config_set_vnet_header(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_vnet_header", |c| {
        let old = c.features.vnet_header;
        c.features.vnet_header = on;
        c.features.check(c.kind).inspect_err(|_| c.features.vnet_header = old)
    })
}

/// V1/V2: PACKET_COPY_THRESH (default on). Frames are sized for the MTU and
/// a larger (GRO/GSO-aggregated) packet is also queued on the socket and
/// read whole into a handle buffer; its status has RINGCAP_TP_STATUS_COPY.
/// Off: frames are sized for 64 KiB packets on devices that aggregate.
#[no_mangle]
pub extern "C" fn ringcap_config_set_copy_threshold(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_copy_threshold", |c| {
        c.copy_threshold = on;
        Ok(())
    })
}

/// Put the device in promiscuous mode for the life of the handle
/// (PACKET_MR_PROMISC: counted by the kernel, dropped when the handle
/// closes). Needs a named interface, not "any".
#[no_mangle]
pub extern "C" fn ringcap_config_set_promiscuous(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_promiscuous", |c| {
        c.features.promiscuous = on;
        Ok(())
    })
}

/// Receive all multicast frames (PACKET_MR_ALLMULTI) while the handle is open.
#[no_mangle]
pub extern "C" fn ringcap_config_set_all_multicast(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_all_multicast", |c| {
        c.features.all_multicast = on;
        Ok(())
    })
}

/// Join the link-layer multicast group `mac` (6 bytes, group bit set) while
/// the handle is open (PACKET_MR_MULTICAST). May be called several times.
#[no_mangle]
pub extern "C" fn ringcap_config_add_multicast(cfg: *mut ringcap_config, mac_address: *const u8) -> i32 {
    with_config(cfg, "ringcap_config_add_multicast", |c| {
        let m = mac(mac_address)?;
        crate::membership::check_multicast(&m)?;
        if !c.features.multicast.contains(&m) {
            c.features.multicast.push(m);
        }
        Ok(())
    })
}

/// A classic BPF socket filter (`len` instructions, e.g. from
/// `tcpdump -dd`), attached before the socket is bound so no unfiltered
/// packet ever reaches the ring. Validated at once: bad opcodes, jumps out
/// of range, division by a constant 0, scratch index over 15 or read before
/// written, no final return, more than 4096 instructions all give
/// RINGCAP_RESULT_FILTER_INVALID naming the instruction. NULL/0 removes it.
#[no_mangle]
pub extern "C" fn ringcap_config_set_filter(cfg: *mut ringcap_config, prog: *const Insn, len: usize) -> i32 {
    with_config(cfg, "ringcap_config_set_filter", |c| {
        let p = program(prog, len)?;
        if p.is_empty() {
            c.features.filter = None;
            return Ok(());
        }
        crate::sockfilter::validate(&p)?;
        c.features.filter = Some(p);
        Ok(())
    })
}

/// Lock the filter set with ringcap_config_set_filter() (SO_LOCK_FILTER):
/// it can then neither be replaced nor removed until the handle closes.
#[no_mangle]
pub extern "C" fn ringcap_config_set_lock_filter(cfg: *mut ringcap_config, on: bool) -> i32 {
    with_config(cfg, "ringcap_config_set_lock_filter", |c| {
        c.features.lock_filter = on;
        Ok(())
    })
}

/// Join fanout group `*fanout` when the handle opens (right after bind, as
/// the kernel requires). NULL: no fanout. The group id actually joined
/// (the kernel's pick with RINGCAP_FANOUT_FLAG_UNIQUE_ID) is read with
/// ringcap_capture_fanout_group().
#[no_mangle]
pub extern "C" fn ringcap_config_set_fanout(cfg: *mut ringcap_config, fanout: *const ringcap_fanout) -> i32 {
    with_config(cfg, "ringcap_config_set_fanout", |c| {
        c.features.fanout = match fanout.is_null() {
            true => None,
            // SAFETY: non-NULL, C passes a readable ringcap_fanout.
            false => Some(fanout_from_c(unsafe { in_ref(fanout, "fanout") }?)?),
        };
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Open captures

/// Replaces the handle's socket filter. No packet accepted by the old filter
/// is delivered afterwards: a reject-all filter is attached first, packets
/// already in the ring or socket queue are discarded (for V3 this may wait
/// for the kernel to retire the block it is filling, a few block timeouts
/// at most), then the new program is attached. Returns the number of
/// packets discarded (>= 0; the statistics count them in `filtered`), or
/// RINGCAP_RESULT_FILTER_INVALID (nothing changed),
/// RINGCAP_RESULT_WRONG_STATE (the filter is locked).
#[no_mangle]
pub extern "C" fn ringcap_capture_set_filter(h: *mut ringcap_capture, prog: *const Insn, len: usize) -> i32 {
    with_handle(h, |handle| {
        let p = program(prog, len)?;
        if p.is_empty() {
            return Err(Error::new(
                ErrorCode::FilterInvalid,
                "BPF program is empty; use ringcap_capture_remove_filter() to capture everything",
            ));
        }
        handle.with(|c| c.set_filter(&p)).map(|n| i32::try_from(n).unwrap_or(i32::MAX))
    })
}

/// Compiles the pcap-filter(7) expression `expr` for this capture and
/// attaches it, as pcap_setfilter() does with pcap_compile()'s program: the
/// link type is the handle's (EN10MB for SOCK_RAW on Ethernet and loopback,
/// RAW for SOCK_DGRAM, whose filters see the network header), VLAN tests
/// read the kernel's tag metadata, an accepted packet keeps the handle's
/// snaplen, and the optimizer is on. `netmask` (host order) serves
/// `ip broadcast`; 0xffffffff when unknown. The swap is the one of
/// ringcap_capture_set_filter(): returns the packets discarded (>= 0), or
/// RINGCAP_RESULT_FILTER_SYNTAX (nothing changed), RINGCAP_RESULT_INVALID_ARGUMENT
/// (SOCK_RAW on "any", or a link type the compiler does not know),
/// RINGCAP_RESULT_WRONG_STATE (the filter is locked).
#[no_mangle]
pub extern "C" fn ringcap_capture_set_filter_expression(
    h: *mut ringcap_capture,
    expr: *const c_char,
    netmask: u32,
) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a NUL-terminated string or NULL.
        let expr = unsafe { c_str(expr, "expr") }?;
        handle.with(|c| c.set_filter_expression(expr, netmask)).map(|n| i32::try_from(n).unwrap_or(i32::MAX))
    })
}

/// Removes the socket filter. RINGCAP_RESULT_WRONG_STATE if it is locked.
#[no_mangle]
pub extern "C" fn ringcap_capture_remove_filter(h: *mut ringcap_capture) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.remove_filter()).map(|()| 0))
}

/// Locks the current socket filter (SO_LOCK_FILTER) until the handle closes.
#[no_mangle]
pub extern "C" fn ringcap_capture_lock_filter(h: *mut ringcap_capture) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.lock_filter()).map(|()| 0))
}

/// Joins fanout group `*fanout` and stores the group id joined in
/// `*group_out` (may be NULL). Errors: RINGCAP_RESULT_INVALID_ARGUMENT (bad
/// mode or flags; or the id is in use in this network namespace with
/// another mode, flags or max members, or on another interface or
/// protocol), RINGCAP_RESULT_WRONG_STATE (already in a group),
/// RINGCAP_RESULT_FILTER_INVALID (the CBPF/EBPF program was refused).
#[no_mangle]
pub extern "C" fn ringcap_capture_fanout_join(
    h: *mut ringcap_capture,
    fanout: *const ringcap_fanout,
    group_out: *mut u16,
) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a readable ringcap_fanout or NULL.
        let f = fanout_from_c(unsafe { in_ref(fanout, "fanout") }?)?;
        let id = handle.with(|c| crate::fanout::join(c.socket(), &f))?;
        // SAFETY: C passes a writable uint16_t or NULL (optional).
        if let Some(out) = unsafe { group_out.as_mut() } {
            *out = id;
        }
        Ok(0)
    })
}

/// The fanout group the handle is in: returns 1 and stores its id in `*id`,
/// or 0 when it is in none (a group with id 0, mode HASH and no flags also
/// reads as none: the kernel reports both as 0).
#[no_mangle]
pub extern "C" fn ringcap_capture_fanout_group(h: *mut ringcap_capture, id: *mut u16) -> i32 {
    with_handle(h, |handle| {
        // SAFETY: C passes a writable uint16_t or NULL.
        let out = unsafe { out_ref(id, "id") }?;
        match handle.with(|c| crate::fanout::group(c.socket()))? {
            Some(m) => {
                *out = m.id;
                Ok(1)
            }
            None => Ok(0),
        }
    })
}

/// Turns promiscuous mode on or off for this handle (the kernel counts
/// users per device; only this handle's own request is dropped).
#[no_mangle]
pub extern "C" fn ringcap_capture_set_promiscuous(h: *mut ringcap_capture, on: bool) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.set_membership(Membership::Promiscuous, on)).map(|()| 0))
}

/// Turns all-multicast reception on or off for this handle.
#[no_mangle]
pub extern "C" fn ringcap_capture_set_all_multicast(h: *mut ringcap_capture, on: bool) -> i32 {
    with_handle(h, |handle| handle.with(|c| c.set_membership(Membership::AllMulticast, on)).map(|()| 0))
}

/// Joins (`on`) or leaves the link-layer multicast group `mac_address` (6 bytes).
#[no_mangle]
pub extern "C" fn ringcap_capture_set_multicast(h: *mut ringcap_capture, mac_address: *const u8, on: bool) -> i32 {
    with_handle(h, |handle| {
        let m = mac(mac_address)?;
        handle.with(|c| c.set_membership(Membership::Multicast(m), on)).map(|()| 0)
    })
}

// ---------------------------------------------------------------------------
// Per-packet helpers

/// Which clock stamped the packet (from its TP_STATUS_TS_* bits): a
/// ringcap_packet_timestamp value, or a negative ringcap_result.
#[no_mangle]
pub extern "C" fn ringcap_packet_timestamp_source(meta: *const PacketMeta) -> i32 {
    crate::ffi::boundary::boundary(None, || {
        // SAFETY: C passes a readable ringcap_packet_meta or NULL.
        let m = unsafe { in_ref(meta, "meta") }?;
        Ok(PacketTimestamp::from_status(m.status) as i32)
    })
}

/// The V3 block private area of the block holding the packet (sized with
/// ringcap_config_set_block_private_size()): returns a pointer to it and
/// stores its length in `*len` (if not NULL), or NULL (length 0) when the
/// capture has none (V1/V2, or size 0). Like the packet data it points into
/// the ring, is valid until the callback returns, and may be written: it
/// is shared by every packet of the block and kept by the kernel while the
/// block is user space's, e.g. for per-block bookkeeping.
#[no_mangle]
pub extern "C" fn ringcap_packet_block_private(meta: *const PacketMeta, len: *mut usize) -> *mut u8 {
    // SAFETY: C passes a readable ringcap_packet_meta or NULL.
    let Ok(m) = (unsafe { in_ref(meta, "meta") }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: C passes a writable size_t or NULL (optional).
    if let Some(l) = unsafe { len.as_mut() } {
        *l = if m.block_private.is_null() { 0 } else { m.block_private_len as usize };
    }
    m.block_private
}

/// Whether the kernel took a VLAN tag out of the packet: returns 1 and
/// stores the TCI and TPID (0x8100 when the kernel did not report one) in
/// the non-NULL out-parameters, or 0 when untagged.
#[no_mangle]
pub extern "C" fn ringcap_packet_vlan(meta: *const PacketMeta, tci: *mut u16, tpid: *mut u16) -> i32 {
    crate::ffi::boundary::boundary(None, || {
        // SAFETY: C passes a readable ringcap_packet_meta or NULL.
        let m = unsafe { in_ref(meta, "meta") }?;
        if !crate::vlan::has_tag(m) {
            return Ok(0);
        }
        // SAFETY: C passes writable pointers or NULL (optional).
        if let Some(t) = unsafe { tci.as_mut() } {
            *t = m.vlan_tci;
        }
        // SAFETY: as above.
        if let Some(t) = unsafe { tpid.as_mut() } {
            *t = crate::vlan::tpid(m);
        }
        Ok(1)
    })
}
