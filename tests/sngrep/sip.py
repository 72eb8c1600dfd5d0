#!/usr/bin/env python3
"""Sends N SIP INVITEs (UDP 5060, one call each) out of one interface
through an AF_PACKET socket, 10 ms apart, so that the sngrep test has SIP
dialogs to capture on the veth peer.

usage: sip.py IFACE DST_MAC N
"""
import socket
import struct
import sys
import time


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


SRC_MAC = bytes.fromhex("020000000001")
IP_A, IP_B = bytes([10, 78, 0, 1]), bytes([10, 78, 0, 2])


def invite(i):
    return (
        "INVITE sip:bob@10.78.0.2 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.78.0.1:5060;branch=z9hG4bK%d\r\n"
        "From: <sip:alice@10.78.0.1>;tag=%d\r\n"
        "To: <sip:bob@10.78.0.2>\r\n"
        "Call-ID: call%d@ringcap.test\r\n"
        "CSeq: 1 INVITE\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n" % (i, i, i)
    ).encode()


def frame(dst, i):
    data = invite(i)
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(data), 0) + data
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, IP_A, IP_B)
    ip = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + udp
    return dst + SRC_MAC + struct.pack("!H", 0x0800) + ip


def main():
    iface, dst, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for i in range(n):
        s.send(frame(dst, i))
        time.sleep(0.01)


if __name__ == "__main__":
    main()
