/*
 * Support for the TX tests: open a TX handle, and check on the peer end,
 * with ringcap's own capture, that an expected sequence of test frames
 * (rc_build_frame) arrived complete, in order and byte-exact.
 */
#ifndef TX_TEST_H
#define TX_TEST_H

#include "rc_test.h"

/* What arrived at the peer, compared with the expected sequence. */
struct rc_seen {
    const unsigned *seqs; /* expected sequence numbers, in arrival order */
    unsigned want;
    unsigned got, extra, bad_len, bad_bytes, bad_order;
    uint8_t dst[6], src[6];
    char first_problem[200];
};

static inline void rc_seen_note(struct rc_seen *s, const char *what, unsigned i) {
    if (!s->first_problem[0]) {
        snprintf(s->first_problem, sizeof s->first_problem, "%s at arrival %u", what, i);
    }
}

static inline void rc_seen_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct rc_seen *s = user;
    if (m->pkttype == PACKET_OUTGOING) {
        return;
    }
    unsigned i = s->got++;
    if (i >= s->want) {
        s->extra++;
        return;
    }
    unsigned seq = s->seqs[i];
    uint8_t frame[1514];
    size_t len = rc_frame_size(seq);
    rc_build_frame(frame, len, seq, s->dst, s->src);
    if (m->caplen != len || m->len != len) {
        s->bad_len++;
        rc_seen_note(s, "length", i);
        return;
    }
    if (memcmp(data, frame, len) != 0) {
        unsigned got_seq = (unsigned)data[14] << 24 | (unsigned)data[15] << 16 | (unsigned)data[16] << 8 | data[17];
        if (got_seq != seq) {
            s->bad_order++;
            rc_seen_note(s, "order", i);
        } else {
            s->bad_bytes++;
            rc_seen_note(s, "bytes", i);
        }
    }
}

/* A capture on `ifname` for test frames only (EtherType RC_ETHERTYPE). */
static inline ringcap_capture *rc_peer_capture(const char *ifname) {
    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");
    REQUIRE(ringcap_config_set_interface(cfg, ifname) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_protocol(cfg, RC_ETHERTYPE) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_buffer_size(cfg, 32 << 20) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_timeout(cfg, 50) == 0, "%s", ringcap_last_error());
    ringcap_capture *c = NULL;
    int r = ringcap_capture_open(cfg, &c);
    REQUIRE(r >= 0 && c != NULL, "peer capture on %s: %d %s", ifname, r, ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);
    return c;
}

/* Collects what `cap` receives until `s->want` frames arrived (plus a short
 * wait for extras) or 5 s passed, then checks the sequence. */
static inline void rc_expect(ringcap_capture *cap, struct rc_seen *s, const char *label) {
    uint64_t deadline = rc_mono_ns() + 5000000000ull;
    while (s->got < s->want && rc_mono_ns() < deadline) {
        int r = ringcap_capture_dispatch(cap, -1, rc_seen_packet, s);
        REQUIRE(r >= 0, "dispatch: %d %s", r, ringcap_capture_last_error(cap));
    }
    ringcap_capture_dispatch(cap, -1, rc_seen_packet, s); /* anything more? (50 ms timeout) */
    CHECK(s->got == s->want, "%s: received %u of %u", label, s->got, s->want);
    CHECK(s->extra == 0, "%s: %u unexpected extra frames", label, s->extra);
    CHECK(s->bad_len == 0, "%s: %u with wrong length (%s)", label, s->bad_len, s->first_problem);
    CHECK(s->bad_order == 0, "%s: %u out of order (%s)", label, s->bad_order, s->first_problem);
    CHECK(s->bad_bytes == 0, "%s: %u with wrong bytes (%s)", label, s->bad_bytes, s->first_problem);
}

/* seqs[i] = first + i. */
static inline unsigned *rc_seq_range(unsigned first, unsigned n) {
    unsigned *seqs = calloc(n ? n : 1, sizeof *seqs);
    REQUIRE(seqs != NULL, "calloc");
    for (unsigned i = 0; i < n; i++) {
        seqs[i] = first + i;
    }
    return seqs;
}

/* A TX configuration for `ifname` with `version`; the caller adds options. */
static inline ringcap_tx_config *rc_tx_config(const char *ifname, int version) {
    ringcap_tx_config *cfg = ringcap_tx_config_new();
    REQUIRE(cfg != NULL, "tx config");
    REQUIRE(ringcap_tx_config_set_interface(cfg, ifname) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_tx_config_set_version(cfg, version) == 0, "%s", ringcap_last_error());
    return cfg;
}

static inline ringcap_tx *rc_tx_open(ringcap_tx_config *cfg) {
    ringcap_tx *tx = NULL;
    int r = ringcap_tx_open(cfg, &tx);
    REQUIRE(r >= 0 && tx != NULL, "tx open: %d %s", r, ringcap_tx_config_last_error(cfg));
    return tx;
}

/* Sends test frame `seq` through the TX ring: zero-copy for even seq, the
 * copying ringcap_tx_send for odd ones. */
static inline int rc_tx_frame(ringcap_tx *tx, unsigned seq, const uint8_t dst[6], const uint8_t src[6]) {
    size_t len = rc_frame_size(seq);
    if (seq % 2 == 0) {
        uint8_t *buf = NULL;
        size_t room = 0;
        int r = ringcap_tx_frame(tx, &buf, &room);
        if (r != 0) {
            return r;
        }
        REQUIRE(buf != NULL && room >= len, "frame room %zu < %zu", room, len);
        rc_build_frame(buf, len, seq, dst, src);
        return ringcap_tx_commit(tx, len);
    }
    uint8_t frame[1514];
    rc_build_frame(frame, len, seq, dst, src);
    return ringcap_tx_send(tx, frame, len);
}

#endif
