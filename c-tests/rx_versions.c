/*
 * Every TPACKET version with SOCK_RAW and SOCK_DGRAM: a known sequence of
 * frames (42 to 1514 bytes) sent from the peer arrives once each, in order,
 * with exact lengths, bytes, link-layer fields and sane timestamps.
 * Usage: rx_versions <1|2|3> <raw|dgram>
 */
#include "rc_test.h"

#define COUNT 300

struct expect {
    unsigned got;
    int dgram;
    int ifindex;
    uint8_t src[6], dst[6];
    uint64_t last_ts, t0;
    unsigned bad_len, bad_bytes, bad_link, bad_ts, bad_order;
    char first_problem[200];
};

static void note(struct expect *e, const char *what, unsigned seq) {
    if (!e->first_problem[0]) {
        snprintf(e->first_problem, sizeof e->first_problem, "%s at packet %u", what, seq);
    }
}

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct expect *e = user;
    unsigned seq = e->got++;
    uint8_t frame[1514];
    size_t len = rc_frame_size(seq);
    rc_build_frame(frame, len, seq, e->dst, e->src);
    const uint8_t *want = e->dgram ? frame + 14 : frame;
    size_t want_len = e->dgram ? len - 14 : len;
    if (m->len != want_len || m->caplen != want_len) {
        e->bad_len++;
        note(e, "length", seq);
        return;
    }
    if (memcmp(data, want, want_len) != 0) {
        /* Tell a reordering from corruption by the sequence number. */
        const uint8_t *s = e->dgram ? data : data + 14;
        unsigned got_seq = (unsigned)s[0] << 24 | (unsigned)s[1] << 16 | (unsigned)s[2] << 8 | s[3];
        if (got_seq != seq) {
            e->bad_order++;
            note(e, "order", seq);
        } else {
            e->bad_bytes++;
            note(e, "bytes", seq);
        }
    }
    if (m->ifindex != e->ifindex || m->hatype != 1 /* ARPHRD_ETHER */ || m->pkttype != PACKET_HOST ||
        m->protocol != RC_ETHERTYPE || m->halen != 6 || memcmp(m->addr, e->src, 6) != 0) {
        e->bad_link++;
        note(e, "sockaddr_ll fields", seq);
    }
    uint64_t ts = m->ts_sec * 1000000000ull + m->ts_nsec;
    uint64_t now = rc_now_ns();
    if (ts < e->last_ts || ts + 1000000ull < e->t0 || ts > now + 1000000ull || m->ts_nsec >= 1000000000u) {
        e->bad_ts++;
        note(e, "timestamp", seq);
    }
    e->last_ts = ts;
}

int main(int argc, char **argv) {
    REQUIRE(argc == 3, "usage: rx_versions <1|2|3> <raw|dgram>");
    int version = atoi(argv[1]);
    int dgram = strcmp(argv[2], "dgram") == 0;
    printf("TPACKET_V%d %s\n", version, dgram ? "SOCK_DGRAM" : "SOCK_RAW");
    rc_test_netns();

    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");
    CHECK(ringcap_config_set_interface(cfg, "rc0") == 0, "%s", ringcap_last_error());
    CHECK(ringcap_config_set_version(cfg, version) == 0, "%s", ringcap_last_error());
    CHECK(ringcap_config_set_socket_type(cfg, dgram ? RINGCAP_SOCKET_TYPE_DGRAM : RINGCAP_SOCKET_TYPE_RAW) == 0, "%s",
          ringcap_last_error());
    CHECK(ringcap_config_set_timeout(cfg, 200) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = NULL;
    int r = ringcap_capture_open(cfg, &h);
    REQUIRE(r == 0 && h != NULL, "open: %d %s", r, ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);

    ringcap_ring_info info;
    CHECK(ringcap_capture_ring_info(h, &info) == 0 && info.version == (uint32_t)version, "ring info");
    printf("ring: %u blocks x %u bytes, frames %u x %u\n", info.block_nr, info.block_size, info.frame_nr,
           info.frame_size);

    struct expect e;
    memset(&e, 0, sizeof e);
    e.dgram = dgram;
    e.ifindex = (int)if_nametoindex("rc0");
    rc_mac("rc1", e.src);
    rc_mac("rc0", e.dst);
    e.t0 = rc_now_ns();
    rc_send_sequence("rc1", "rc0", 0, COUNT);

    uint64_t deadline = rc_mono_ns() + 5000000000ull;
    while (e.got < COUNT && rc_mono_ns() < deadline) {
        r = ringcap_capture_dispatch(h, 7, on_packet, &e); /* small budget: V3 resumes mid-block */
        REQUIRE(r >= 0, "dispatch: %d %s", r, ringcap_capture_last_error(h));
    }
    /* Nothing more may arrive: each packet exactly once. */
    r = ringcap_capture_dispatch(h, 0, on_packet, &e);
    CHECK(r == 0, "extra packets after the sequence: %d", r);

    CHECK(e.got == COUNT, "received %u of %u", e.got, COUNT);
    CHECK(e.bad_len == 0, "%u with wrong length (%s)", e.bad_len, e.first_problem);
    CHECK(e.bad_order == 0, "%u out of order (%s)", e.bad_order, e.first_problem);
    CHECK(e.bad_bytes == 0, "%u with wrong bytes (%s)", e.bad_bytes, e.first_problem);
    CHECK(e.bad_link == 0, "%u with wrong sll fields (%s)", e.bad_link, e.first_problem);
    CHECK(e.bad_ts == 0, "%u with bad timestamps (%s)", e.bad_ts, e.first_problem);

    ringcap_stats st;
    CHECK(ringcap_capture_stats(h, &st) == 0, "stats");
    CHECK(st.received == COUNT && st.dropped == 0 && st.delivered == COUNT,
          "stats received %llu dropped %llu delivered %llu", (unsigned long long)st.received,
          (unsigned long long)st.dropped, (unsigned long long)st.delivered);
    CHECK(ringcap_capture_close(h) == 0, "close");
    CHECK(ringcap_capture_close(h) == 0, "second close is a no-op");
    return rc_test_done();
}
