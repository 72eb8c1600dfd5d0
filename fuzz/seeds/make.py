#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora.

fuzz/seeds/filter_compile/: every expression of bench/filter_exprs.txt on
one link type each (cycling through the bench's link types and a few
unknown DLTs), with a packet built for that link type's header length;
each input is the link type byte, the options byte, the packet length byte,
the packet and the expression (see fuzz/common/filter_check.rs).

fuzz/seeds/savefile_read/:
small pcap and pcapng files in both byte orders and both time stamp
precisions, with the record and block kinds the readers know, the
pseudo-headers converted in byte-swapped files, and a few damaged ones.
Each input is one selector byte (bit 0: read in nanoseconds) followed by
the file. Run from anywhere; the output is deterministic."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "savefile_read")
FILTER_OUT = os.path.join(HERE, "filter_compile")
EXPRS = os.path.join(HERE, "..", "..", "bench", "filter_exprs.txt")
# The bench's link types, and DLT values libpcap rejects (-1, 2, 300).
FILTER_DLTS = [1, 113, 276, 12, 0, 9, 104, 10, 6, 105, 127, 192, 119, 123, 117, 7, 226, 178, 147, -1, 2, 300]
TCP = bytes.fromhex("45000028000140004006000" "00a0000010a000002"
                    "0050d4310000000100000000500220000000" "0000")

ETH = bytes.fromhex("ffffffffffff020000000001080045000020000140004011000"
                    "00a0000010a000002d431270f000c00006869")
ARP = bytes.fromhex("ffffffffffff0200000000010806000108000604000102000000"
                    "00010a0000010000000000000a000002")


def pcap(order, magic, records, linktype=1, snaplen=65535, version=(2, 4), patched=False):
    out = struct.pack(order + "IHHiIII", magic, version[0], version[1], 0, 0, snaplen, linktype)
    for i, (data, caplen, length) in enumerate(records):
        out += struct.pack(order + "IIII", 1700000000 + i, 1000 * i + 7, caplen, length)
        if patched:
            out += struct.pack(order + "iHBB", 2, 0x0800, 0, 0)
        out += data[:caplen]
    return out


def block(order, btype, body):
    body += bytes(-len(body) % 4)
    total = len(body) + 12
    return struct.pack(order + "II", btype, total) + body + struct.pack(order + "I", total)


def opt(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def pcapng(order, tsresol=None, tsoffset=None, linktype=1, extra=b"", second_section=False):
    shb = block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(order, 0, b""))
    opts = b""
    if tsresol is not None:
        opts += opt(order, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += opt(order, 14, struct.pack(order + "q", tsoffset))
    opts += opt(order, 2, b"eth0") + opt(order, 0, b"")
    idb = block(order, 1, struct.pack(order + "HHI", linktype, 0, 262144) + opts)
    t = 1700000000123456789 // 1000
    epb = block(order, 6, struct.pack(order + "IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(ETH), len(ETH)) + ETH
                + opt(order, 1, b"a comment") + opt(order, 0, b""))
    spb = block(order, 3, struct.pack(order + "I", len(ARP)) + ARP)
    pb = block(order, 2, struct.pack(order + "HHIIII", 0, 0, t >> 32, t & 0xFFFFFFFF, 20, len(ARP)) + ARP[:20])
    unknown = block(order, 0x0BAD, b"\x01\x02\x03")
    isb = block(order, 5, struct.pack(order + "III", 0, t >> 32, t & 0xFFFFFFFF))
    out = shb + idb + epb + spb + pb + unknown + isb + extra
    if second_section:
        out += shb + idb + epb
    return out


def usb_linux(order):
    # 64-byte Linux USB header (DLT_USB_LINUX_MMAPPED) with fields libpcap swaps.
    hdr = struct.pack(order + "QBBBBHcciiIi", 0x1234, ord("C"), 0x81, 1, 2, 0, b"\0", b"\0", 1700000000, 5, 0, 8)
    hdr += struct.pack(order + "II", 0, 0) + bytes(64 - len(hdr) - 8)
    return hdr + bytes(8)


def nflog(order):
    tlvs = struct.pack("<HH", 8, 1) + struct.pack(">HBB", 0x0800, 0, 0) + struct.pack("<HH", 5, 10) + b"x\0\0\0"
    return bytes([2, 0, 0, 1]) + tlvs


def filter_seeds():
    os.makedirs(FILTER_OUT, exist_ok=True)
    with open(EXPRS) as f:
        exprs = [line.rstrip("\n") for line in f]
    for i, expr in enumerate(exprs):
        dlt = FILTER_DLTS[i % len(FILTER_DLTS)]
        byte = (dlt + 1) % 256
        # Bit 5 extends the link type; 4, 6 and 7 are the options, 3 the
        # wire length (see fuzz/common/filter_check.rs).
        options = (0, 16, 64, 64 | 128)[i % 4]
        sel = (32 if dlt + 1 >= 256 else 0) | options | (8 if i % 3 == 0 else 0)
        pkt = (ETH if i % 2 == 0 else bytes(i % 40) + TCP)[:255]
        with open(os.path.join(FILTER_OUT, f"expr-{i:03}"), "wb") as f:
            f.write(bytes([byte, sel, len(pkt)]) + pkt + expr.encode())


def main():
    filter_seeds()
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    records = [(ETH, len(ETH), len(ETH)), (ARP, len(ARP), 60), (ETH, 10, len(ETH))]
    for order, name in (("<", "le"), (">", "be")):
        seeds[f"pcap-{name}-usec"] = (0, pcap(order, 0xA1B2C3D4, records))
        seeds[f"pcap-{name}-nsec"] = (1, pcap(order, 0xA1B23C4D, records))
        seeds[f"pcap-{name}-usec-as-nsec"] = (1, pcap(order, 0xA1B2C3D4, records))
        seeds[f"pcap-{name}-modified"] = (0, pcap(order, 0xA1B2CD34, records, patched=True))
        seeds[f"pcap-{name}-v2.3-swapped-lengths"] = (0, pcap(order, 0xA1B2C3D4, [(ETH, len(ETH), 20)], version=(2, 3)))
        seeds[f"pcap-{name}-caplen-over-snaplen"] = (0, pcap(order, 0xA1B2C3D4, records, snaplen=16))
        seeds[f"pcap-{name}-usb"] = (0, pcap(order, 0xA1B2C3D4, [(usb_linux(order), 72, 72)], linktype=220))
        seeds[f"pcap-{name}-nflog"] = (1, pcap(order, 0xA1B2C3D4, [(nflog(order), 20, 20)], linktype=239))
        seeds[f"pcap-{name}-sll"] = (0, pcap(order, 0xA1B2C3D4, [(bytes(16) + ETH[14:], 46, 46)], linktype=113))
        seeds[f"pcapng-{name}"] = (0, pcapng(order))
        seeds[f"pcapng-{name}-nsec"] = (1, pcapng(order, tsresol=9))
        seeds[f"pcapng-{name}-binary-res-offset"] = (0, pcapng(order, tsresol=0x94, tsoffset=-3600))
        seeds[f"pcapng-{name}-two-sections"] = (1, pcapng(order, tsresol=3, second_section=True))
        seeds[f"pcapng-{name}-usb"] = (0, pcapng(order, linktype=220))
    whole = seeds["pcap-le-usec"][1]
    seeds["pcap-truncated-record"] = (0, whole[:-7])
    seeds["pcap-truncated-header"] = (0, whole[:30])
    ng = seeds["pcapng-be"][1]
    seeds["pcapng-truncated"] = (1, ng[:-5])
    seeds["pcapng-bad-trailer"] = (0, ng[:-1] + b"\x55")
    seeds["not-a-savefile"] = (0, b"this is not a capture file")
    for name, (sel, data) in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([sel]) + data)


if __name__ == "__main__":
    main()
