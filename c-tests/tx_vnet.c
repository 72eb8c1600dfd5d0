/*
 * PACKET_VNET_HDR on TX: a virtio-net header in front of a frame asks the
 * kernel to segment a large TCP packet (GSO) and to fill in checksums.
 * rc0 has segmentation and checksum offload switched off, so the stack
 * does both in software before the packet crosses the veth, and the peer
 * (rc1, a ringcap capture) sees what a wire would carry: MSS-sized
 * segments, consecutive sequence numbers, correct IP and TCP checksums,
 * the payload whole. Then the refusals: SOCK_DGRAM, a header on a handle
 * opened without PACKET_VNET_HDR, and headers the kernel would reject.
 */
#include "tx_test.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>

#define MSS 1448u
#define PAYLOAD 4000u
#define HDRS (14u + 20u + 20u)
#define TCP_PORT_SRC 40000u
#define TCP_PORT_DST 5001u
#define SEQ0 1000000u

static uint8_t dst[6], src[6];

/* Legacy ethtool set commands: one feature each, no feature-name lookup. */
static void ethtool_off(const char *ifname, uint32_t cmd, const char *what) {
    struct ethtool_value v = {.cmd = cmd, .data = 0};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    ifr.ifr_data = (char *)&v;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0, "%s off on %s: %s", what, ifname, strerror(errno));
    close(fd);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum) {
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/* The TCP pseudo-header sum over addresses, protocol and `tcp_len`. */
static uint32_t pseudo(const uint8_t *ip, size_t tcp_len) {
    return sum16(ip + 12, 8, 0) + 6 + (uint32_t)tcp_len;
}

static uint8_t payload_byte(size_t i) {
    return (uint8_t)(i * 31 + 7);
}

/* An Ethernet + IPv4 + TCP packet with `plen` payload bytes, its IP
 * checksum filled and its TCP checksum holding the pseudo-header sum, as a
 * NEEDS_CSUM packet must (the kernel adds the rest). */
static size_t build_tcp(uint8_t *p, size_t plen, uint16_t ip_id) {
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p[12] = 0x08;
    p[13] = 0x00;
    uint8_t *ip = p + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    size_t total = 40 + plen;
    ip[2] = (uint8_t)(total >> 8);
    ip[3] = (uint8_t)total;
    ip[4] = (uint8_t)(ip_id >> 8);
    ip[5] = (uint8_t)ip_id;
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 6;
    uint8_t sa[4] = {10, 0, 0, 1}, da[4] = {10, 0, 0, 2};
    memcpy(ip + 12, sa, 4);
    memcpy(ip + 16, da, 4);
    uint16_t c = (uint16_t)~fold(sum16(ip, 20, 0));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *tcp = ip + 20;
    memset(tcp, 0, 20);
    tcp[0] = TCP_PORT_SRC >> 8;
    tcp[1] = TCP_PORT_SRC & 0xff;
    tcp[2] = TCP_PORT_DST >> 8;
    tcp[3] = TCP_PORT_DST & 0xff;
    tcp[4] = (uint8_t)(SEQ0 >> 24);
    tcp[5] = (uint8_t)(SEQ0 >> 16);
    tcp[6] = (uint8_t)(SEQ0 >> 8);
    tcp[7] = (uint8_t)SEQ0;
    tcp[12] = 5 << 4;
    tcp[13] = 0x18; /* PSH ACK */
    tcp[14] = 0xff;
    tcp[15] = 0xff;
    for (size_t i = 0; i < plen; i++) {
        tcp[20 + i] = payload_byte(i);
    }
    uint16_t ps = fold(pseudo(ip, 20 + plen));
    tcp[16] = (uint8_t)(ps >> 8);
    tcp[17] = (uint8_t)ps;
    return HDRS + plen;
}

/* What the peer saw of the test flow. */
struct flow {
    unsigned segments, bad_ip_csum, bad_tcp_csum, bad_len, bad_seq, bad_bytes, oversize;
    size_t payload;
    uint32_t next_seq;
    size_t lens[16];
};

static void seen_tcp(void *user, const uint8_t *d, const ringcap_packet_meta *m) {
    struct flow *f = user;
    if (m->pkttype == PACKET_OUTGOING || m->caplen < HDRS || d[12] != 0x08 || d[13] != 0x00 || d[23] != 6) {
        return;
    }
    const uint8_t *ip = d + 14, *tcp = ip + 20;
    if ((tcp[2] << 8 | tcp[3]) != (int)TCP_PORT_DST) {
        return;
    }
    size_t total = (size_t)ip[2] << 8 | ip[3];
    size_t plen = total - 40;
    if (f->segments < 16) {
        f->lens[f->segments] = plen;
    }
    f->segments++;
    if (m->caplen != m->len || m->caplen != 14 + total) {
        f->bad_len++;
        return;
    }
    if (m->len > 1514) {
        f->oversize++;
    }
    f->bad_ip_csum += fold(sum16(ip, 20, 0)) != 0xffff;
    f->bad_tcp_csum += fold(sum16(tcp, 20 + plen, pseudo(ip, 20 + plen))) != 0xffff;
    uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    f->bad_seq += seq != f->next_seq;
    for (size_t i = 0; i < plen; i++) {
        if (tcp[20 + i] != payload_byte(seq - SEQ0 + i)) {
            f->bad_bytes++;
            break;
        }
    }
    f->next_seq = seq + (uint32_t)plen;
    f->payload += plen;
}

static void collect(ringcap_capture *peer, struct flow *f, size_t want_payload) {
    uint64_t deadline = rc_mono_ns() + 3000000000ull;
    while (f->payload < want_payload && rc_mono_ns() < deadline) {
        int r = ringcap_capture_dispatch(peer, -1, seen_tcp, f);
        REQUIRE(r >= 0, "dispatch: %d %s", r, ringcap_capture_last_error(peer));
    }
    ringcap_capture_dispatch(peer, -1, seen_tcp, f); /* anything more? (50 ms) */
}

static ringcap_capture *tcp_peer(void) {
    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");
    REQUIRE(ringcap_config_set_interface(cfg, "rc1") == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_protocol(cfg, 0x0800) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_timeout(cfg, 50) == 0, "%s", ringcap_last_error());
    ringcap_capture *c = NULL;
    REQUIRE(ringcap_capture_open(cfg, &c) >= 0 && c != NULL, "peer: %s", ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);
    return c;
}

static ringcap_tx *vnet_tx(int version) {
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    REQUIRE(ringcap_tx_config_set_vnet_header(cfg, true) == 0, "%s", ringcap_tx_config_last_error(cfg));
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    return tx;
}

/* One 4000-byte TCP payload under a TCPv4 GSO header: three segments. */
static void gso(int version, int zero_copy) {
    ringcap_capture *peer = tcp_peer();
    ringcap_tx *tx = vnet_tx(version);
    CHECK(ringcap_tx_max_gso_packet(tx) >= (int)(HDRS + PAYLOAD), "V%d GSO room %d", version,
          ringcap_tx_max_gso_packet(tx));
    CHECK(ringcap_tx_max_packet(tx) == 1514, "V%d plain packets still stop at the MTU: %d", version,
          ringcap_tx_max_packet(tx));
    static uint8_t pkt[HDRS + PAYLOAD];
    size_t len = build_tcp(pkt, PAYLOAD, 1);
    ringcap_vnet_header h = {.flags = 1, /* NEEDS_CSUM */
                             .gso_type = 1, /* TCPV4 */
                             .hdr_len = HDRS,
                             .gso_size = MSS,
                             .csum_start = 34,
                             .csum_offset = 16};
    int r;
    if (zero_copy) {
        uint8_t *buf = NULL;
        size_t room = 0;
        REQUIRE(ringcap_tx_frame(tx, &buf, &room) == 0, "frame: %s", ringcap_tx_last_error(tx));
        CHECK(room >= len, "V%d the frame takes the GSO packet: room %zu", version, room);
        memcpy(buf, pkt, len);
        r = ringcap_tx_commit_vnet(tx, &h, len);
    } else {
        r = ringcap_tx_send_vnet(tx, &h, pkt, len);
    }
    CHECK(r == 0, "V%d send GSO: %d %s", version, r, ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_flush(tx) == 0, "V%d flush: %s", version, ringcap_tx_last_error(tx));
    struct flow f = {.next_seq = SEQ0};
    collect(peer, &f, PAYLOAD);
    CHECK(f.segments == 3, "V%d %s: 3 segments, got %u", version, zero_copy ? "commit_vnet" : "send_vnet", f.segments);
    CHECK(f.lens[0] == MSS && f.lens[1] == MSS && f.lens[2] == PAYLOAD - 2 * MSS, "V%d segment payloads %zu %zu %zu",
          version, f.lens[0], f.lens[1], f.lens[2]);
    CHECK(f.payload == PAYLOAD && f.bad_bytes == 0 && f.bad_seq == 0, "V%d payload %zu bad bytes %u bad seq %u",
          version, f.payload, f.bad_bytes, f.bad_seq);
    CHECK(f.bad_ip_csum == 0 && f.bad_tcp_csum == 0 && f.bad_len == 0 && f.oversize == 0,
          "V%d checksums ip %u tcp %u, lengths %u, oversize %u", version, f.bad_ip_csum, f.bad_tcp_csum, f.bad_len,
          f.oversize);
    ringcap_tx_close(tx);
    ringcap_capture_close(peer);
}

/* No GSO, checksum only: the stack fills in the TCP checksum; a plain send
 * on the same handle (an all-zero header) goes out as written. */
static void checksum_only(int version) {
    ringcap_capture *peer = tcp_peer();
    ringcap_tx *tx = vnet_tx(version);
    uint8_t pkt[HDRS + 500];
    size_t len = build_tcp(pkt, 500, 2);
    ringcap_vnet_header h = {.flags = 1, .csum_start = 34, .csum_offset = 16};
    CHECK(ringcap_tx_send_vnet(tx, &h, pkt, len) == 0, "V%d checksum: %s", version, ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_flush(tx) == 0, "flush: %s", ringcap_tx_last_error(tx));
    struct flow f = {.next_seq = SEQ0};
    collect(peer, &f, 500);
    CHECK(f.segments == 1 && f.payload == 500 && f.bad_tcp_csum == 0 && f.bad_ip_csum == 0,
          "V%d checksum filled in: segments %u payload %zu bad tcp csum %u", version, f.segments, f.payload,
          f.bad_tcp_csum);
    /* The same packet with its checksum completed by hand, sent plainly. */
    uint8_t *tcp = pkt + 34;
    tcp[16] = tcp[17] = 0;
    uint16_t c = (uint16_t)~fold(sum16(tcp, 520, pseudo(pkt + 14, 520)));
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
    CHECK(ringcap_tx_send(tx, pkt, len) == 0, "V%d plain send on a vnet handle: %s", version, ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_flush(tx) == 0, "flush: %s", ringcap_tx_last_error(tx));
    struct flow g = {.next_seq = SEQ0};
    collect(peer, &g, 500);
    CHECK(g.segments == 1 && g.payload == 500 && g.bad_tcp_csum == 0, "V%d plain: segments %u bad tcp csum %u", version,
          g.segments, g.bad_tcp_csum);
    ringcap_tx_close(tx);
    ringcap_capture_close(peer);
}

static void refusals(void) {
    ringcap_tx_config *cfg = rc_tx_config("rc0", 2);
    CHECK(ringcap_tx_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "dgram");
    CHECK(ringcap_tx_config_set_destination(cfg, dst, 6, 0x0800) == 0, "%s", ringcap_tx_config_last_error(cfg));
    int r = ringcap_tx_config_set_vnet_header(cfg, true);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_tx_config_last_error(cfg), "need SOCK_RAW"),
          "SOCK_DGRAM refused: %d %s", r, ringcap_tx_config_last_error(cfg));
    ringcap_tx_config_free(cfg);
    /* The other order: the open refuses it. */
    cfg = rc_tx_config("rc0", 2);
    CHECK(ringcap_tx_config_set_vnet_header(cfg, true) == 0, "vnet");
    CHECK(ringcap_tx_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "dgram");
    CHECK(ringcap_tx_config_set_destination(cfg, dst, 6, 0x0800) == 0, "%s", ringcap_tx_config_last_error(cfg));
    ringcap_tx *none = NULL;
    r = ringcap_tx_open(cfg, &none);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && none == NULL && strstr(ringcap_tx_config_last_error(cfg), "need SOCK_RAW"),
          "SOCK_DGRAM open refused: %d %s", r, ringcap_tx_config_last_error(cfg));
    ringcap_tx_config_free(cfg);

    /* One socket, one PACKET_VNET_HDR: a combined socket needs both configs to agree. */
    ringcap_config *rx = ringcap_config_new();
    REQUIRE(rx != NULL && ringcap_config_set_interface(rx, "rc0") == 0, "rx config");
    cfg = rc_tx_config("rc0", 2);
    CHECK(ringcap_tx_config_set_vnet_header(cfg, true) == 0, "vnet");
    ringcap_capture *cap = NULL;
    r = ringcap_duplex_open(rx, cfg, &cap, &none);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_config_last_error(rx), "one option of the socket"),
          "duplex with vnet on TX only: %d %s", r, ringcap_config_last_error(rx));
    CHECK(ringcap_config_set_vnet_header(rx, true) == 0, "%s", ringcap_config_last_error(rx));
    r = ringcap_duplex_open(rx, cfg, &cap, &none);
    CHECK(r >= 0 && cap != NULL && none != NULL, "duplex with vnet on both: %d %s", r, ringcap_config_last_error(rx));
    if (none) {
        CHECK(ringcap_tx_max_gso_packet(none) >= (int)(HDRS + PAYLOAD), "duplex GSO room %d",
              ringcap_tx_max_gso_packet(none));
        ringcap_tx_close(none);
        ringcap_capture_close(cap);
    }
    ringcap_tx_config_free(cfg);
    ringcap_config_free(rx);

    uint8_t pkt[HDRS + PAYLOAD];
    size_t len = build_tcp(pkt, PAYLOAD, 3);
    ringcap_vnet_header h = {.flags = 1, .gso_type = 1, .hdr_len = HDRS, .gso_size = MSS, .csum_start = 34, .csum_offset = 16};
    cfg = rc_tx_config("rc0", 2);
    ringcap_tx *plain = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    r = ringcap_tx_send_vnet(plain, &h, pkt, len);
    CHECK(r == RINGCAP_RESULT_WRONG_STATE && strstr(ringcap_tx_last_error(plain), "PACKET_VNET_HDR"),
          "a header without PACKET_VNET_HDR: %d %s", r, ringcap_tx_last_error(plain));
    r = ringcap_tx_send(plain, pkt, len);
    CHECK(r == RINGCAP_RESULT_PACKET_TOO_LARGE, "a GSO-sized packet without a header: %d %s", r,
          ringcap_tx_last_error(plain));
    ringcap_tx_close(plain);

    ringcap_tx *tx = vnet_tx(2);
    ringcap_vnet_header bad = h;
    bad.gso_type = 2;
    r = ringcap_tx_send_vnet(tx, &bad, pkt, len);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_tx_last_error(tx), "gso_type 2 is unknown"),
          "gso_type 2: %d %s", r, ringcap_tx_last_error(tx));
    bad = h;
    bad.gso_size = 0;
    r = ringcap_tx_send_vnet(tx, &bad, pkt, len);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_tx_last_error(tx), "gso_size"), "gso_size 0: %d %s", r,
          ringcap_tx_last_error(tx));
    bad = h;
    bad.csum_start = (uint16_t)len;
    r = ringcap_tx_send_vnet(tx, &bad, pkt, len);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_tx_last_error(tx), "past the"),
          "checksum past the end: %d %s", r, ringcap_tx_last_error(tx));
    r = ringcap_tx_send(tx, pkt, len);
    CHECK(r == RINGCAP_RESULT_PACKET_TOO_LARGE, "no GSO asked: the MTU limit stays: %d %s", r, ringcap_tx_last_error(tx));
    r = ringcap_tx_send_vnet(tx, NULL, pkt, len);
    CHECK(r == RINGCAP_RESULT_NULL_PARAMETER, "NULL header: %d", r);
    struct ringcap_tx_counters c;
    CHECK(ringcap_tx_stats(tx, &c) == 0 && c.queued == 0, "nothing refused was queued: %llu",
          (unsigned long long)c.queued);
    ringcap_tx_close(tx);
}

int main(void) {
    rc_test_netns();
    /* Software segmentation and checksums on the sender, so the peer sees
     * what a wire would carry. */
    ethtool_off("rc0", ETHTOOL_STSO, "tso");
    ethtool_off("rc0", ETHTOOL_SGSO, "gso");
    ethtool_off("rc0", ETHTOOL_STXCSUM, "tx-checksumming");
    rc_mac("rc1", dst);
    rc_mac("rc0", src);
    for (int v = 1; v <= 3; v++) {
        gso(v, 0);
        gso(v, 1);
        checksum_only(v);
    }
    refusals();
    return rc_test_done();
}
