#!/usr/bin/env python3
"""Sends a fixed, mixed set of frames out of one interface through an
AF_PACKET socket: ARP, IPv4 and IPv6 TCP/UDP/ICMP on several ports,
802.1Q and QinQ tagged frames, a broadcast, a runt payload. The tcpdump
tests capture it on the veth peer with stock tcpdump and with tcpdump on
ringcap, and compare.

usage: traffic.py IFACE DST_MAC [ROUNDS]
"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


SRC_MAC = bytes.fromhex("020000000001")
IP_A, IP_B = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
IP6_A = bytes.fromhex("fd000000000000000000000000000001")
IP6_B = bytes.fromhex("fd000000000000000000000000000002")


def ipv4(proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, IP_A, IP_B)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv6(nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, IP6_A, IP6_B) + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, seq, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 8192, 0, 0) + data


def icmp_echo(ident, seq, data):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def eth(dst, ethertype, payload, tags=()):
    out = dst + SRC_MAC
    for tpid, tci in tags:
        out += struct.pack("!HH", tpid, tci)
    return out + struct.pack("!H", ethertype) + payload


def frames(dst, round_no):
    r = round_no
    payload = bytes((i * 13 + r) & 0xFF for i in range(64))
    out = []
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC, IP_A, b"\0" * 6, IP_B)
    out.append(eth(b"\xff" * 6, 0x0806, arp))
    for i, port in enumerate((80, 443, 22)):
        out.append(eth(dst, 0x0800, ipv4(6, tcp(40000 + i, port, 1000 * r + i, 0x02), 100 + i)))
        out.append(eth(dst, 0x0800, ipv4(6, tcp(port, 40000 + i, 2000 * r + i, 0x18, payload[: 10 + i]), 110 + i)))
    for i, port in enumerate((53, 5000, 123)):
        out.append(eth(dst, 0x0800, ipv4(17, udp(30000 + i, port, payload[: 20 + i]), 200 + i)))
    out.append(eth(dst, 0x0800, ipv4(1, icmp_echo(7, r, payload[:32]), 300)))
    out.append(eth(dst, 0x86DD, ipv6(17, udp(1111, 53, payload[:16]))))
    out.append(eth(dst, 0x86DD, ipv6(6, tcp(2222, 80, r, 0x02))))
    out.append(eth(dst, 0x0800, ipv4(17, udp(7, 8, payload[:4]), 400), tags=((0x8100, 100),)))
    out.append(eth(dst, 0x0800, ipv4(6, tcp(4444, 80, r, 0x02), 401), tags=((0x8100, 0x2000 | 200),)))
    out.append(eth(dst, 0x0800, ipv4(17, udp(9, 53, payload[:8]), 402), tags=((0x88A8, 300), (0x8100, 301))))
    out.append(eth(b"\xff" * 6, 0x0800, ipv4(17, udp(68, 67, payload), 500)))
    # More tags, MPLS and a PPPoE session, for the vlan/mpls/pppoes
    # combinations the filter tests use.
    out.append(eth(dst, 0x0800, ipv4(6, tcp(4445, 80, r, 0x02), 403), tags=((0x8100, 101),)))
    out.append(eth(dst, 0x0800, ipv4(17, udp(10, 11, payload[:6]), 404), tags=((0x8100, 105),)))
    out.append(eth(b"\xff" * 6, 0x0806, arp, tags=((0x8100, 106),)))
    mpls = struct.pack("!I", (16 << 12) | 0x100 | 64)
    out.append(eth(dst, 0x8847, mpls + ipv4(17, udp(12, 53, payload[:10]), 405)))
    ppp = struct.pack("!H", 0x21) + ipv4(6, tcp(4446, 80, r, 0x02), 406)
    out.append(eth(dst, 0x8864, struct.pack("!BBHH", 0x11, 0, 5, len(ppp)) + ppp))
    out.append(eth(dst, 0x8864, struct.pack("!BBHH", 0x11, 0, 7, len(ppp)) + ppp, tags=((0x8100, 100),)))
    return out


def main():
    iface, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent = 0
    for r in range(rounds):
        for f in frames(dst, r):
            if len(f) < 60:
                f += b"\0" * (60 - len(f))
            s.send(f)
            sent += 1
    print(sent)


if __name__ == "__main__":
    main()
