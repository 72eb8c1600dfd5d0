/*
 * TX options, each checked at the peer with ringcap's capture: SOCK_DGRAM
 * with a destination address and protocol (the kernel writes the Ethernet
 * header), PACKET_QDISC_BYPASS, PACKET_TX_HAS_OFF with a custom data
 * offset, SO_PRIORITY, and transmit timestamps, which veth cannot take in
 * hardware: the open says so with a warning instead of staying silent, and
 * every frame comes back with a software time.
 */
#include "tx_test.h"

#define COUNT 400

static uint8_t dst[6], src[6];

static void expect_all(ringcap_capture *peer, ringcap_tx *tx, const char *label) {
    CHECK(ringcap_tx_flush(tx) == 0, "%s: flush %s", label, ringcap_tx_last_error(tx));
    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    memcpy(seen.dst, dst, 6);
    memcpy(seen.src, src, 6);
    seen.want = COUNT;
    seen.seqs = rc_seq_range(0, COUNT);
    rc_expect(peer, &seen, label);
    free((void *)seen.seqs);
}

static void dgram(int version) {
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    CHECK(ringcap_tx_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "dgram");
    CHECK(ringcap_tx_config_set_destination(cfg, dst, 6, RC_ETHERTYPE) == 0, "%s", ringcap_tx_config_last_error(cfg));
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    CHECK(ringcap_tx_max_packet(tx) == 1500, "SOCK_DGRAM limit is the MTU: %d", ringcap_tx_max_packet(tx));
    uint8_t frame[1514];
    for (unsigned i = 0; i < COUNT; i++) {
        size_t len = rc_frame_size(i);
        rc_build_frame(frame, len, i, dst, src);
        int r = ringcap_tx_send(tx, frame + 14, len - 14); /* payload only */
        if (r != 0) {
            CHECK(r == 0, "send %u: %s", i, ringcap_tx_last_error(tx));
            break;
        }
    }
    char label[64];
    snprintf(label, sizeof label, "V%d SOCK_DGRAM", version);
    expect_all(peer, tx, label);
    ringcap_tx_close(tx);
    ringcap_capture_close(peer);
}

static void raw_with(int version, int bypass, unsigned offset, int priority) {
    char label[96];
    snprintf(label, sizeof label, "V%d bypass %d offset %u priority %d", version, bypass, offset, priority);
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    CHECK(ringcap_tx_config_set_qdisc_bypass(cfg, bypass) == 0, "bypass");
    if (offset) {
        CHECK(ringcap_tx_config_set_data_offset(cfg, offset) == 0, "%s", ringcap_tx_config_last_error(cfg));
    }
    if (priority >= 0) {
        CHECK(ringcap_tx_config_set_priority(cfg, priority) == 0, "priority");
    }
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    if (offset) {
        ringcap_ring_info info;
        ringcap_tx_ring_info(tx, &info);
        uint8_t *buf;
        size_t room;
        CHECK(ringcap_tx_frame(tx, &buf, &room) == 0, "frame");
        /* The data pointer sits `offset` bytes into a 16-byte aligned frame. */
        CHECK(((uintptr_t)buf & 15) == (offset & 15), "%s: data at %p", label, (void *)buf);
        CHECK(room == 1514 && info.frame_size >= offset + 1514, "%s: room %zu frame %u", label, room,
              info.frame_size);
    }
    for (unsigned i = 0; i < COUNT; i++) {
        int r = rc_tx_frame(tx, i, dst, src);
        if (r != 0) {
            CHECK(r == 0, "%s: frame %u: %s", label, i, ringcap_tx_last_error(tx));
            break;
        }
    }
    expect_all(peer, tx, label);
    ringcap_tx_close(tx);
    ringcap_capture_close(peer);
}

static void timestamps(int version) {
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    CHECK(ringcap_tx_config_set_timestamps(cfg, true) == 0, "timestamps");
    ringcap_tx *tx = NULL;
    int r = ringcap_tx_open(cfg, &tx);
    CHECK(r == RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK && tx != NULL, "V%d: veth has no hardware TX stamps: %d",
          version, r);
    const char *msg = ringcap_tx_last_error(tx);
    CHECK(strstr(msg, "rc0") && strstr(msg, "hardware") && strstr(msg, "software"), "warning text: %s", msg);
    CHECK(strcmp(ringcap_tx_config_last_error(cfg), msg) == 0, "config carries the warning too");
    printf("warning: %s\n", msg);
    ringcap_tx_config_free(cfg);
    uint64_t t0 = rc_now_ns();
    for (unsigned i = 0; i < 100; i++) {
        CHECK(rc_tx_frame(tx, i, dst, src) == 0, "frame");
    }
    CHECK(ringcap_tx_flush(tx) == 0, "flush");
    ringcap_tx_timestamp ts;
    unsigned n = 0, stamped = 0, bad = 0;
    while (ringcap_tx_next_timestamp(tx, &ts) == 1) {
        if (ts.seq != n) {
            bad++;
        }
        if (ts.source != 0) {
            uint64_t t = ts.ts_sec * 1000000000ull + ts.ts_nsec;
            stamped++;
            if (ts.source != TP_STATUS_TS_SOFTWARE || t + 1000000ull < t0 || t > rc_now_ns() + 1000000ull) {
                bad++;
            }
        }
        n++;
    }
    printf("V%d: %u frames came back, %u with a software timestamp\n", version, n, stamped);
    CHECK(n == 100 && bad == 0, "one timestamp record per frame, in order (%u, %u bad)", n, bad);
    /* No other socket asks the stack for stamps here: ringcap must. */
    CHECK(stamped == 100, "V%d: every frame carries a software time (%u of %u)", version, stamped, n);
    ringcap_tx_close(tx);
}

int main(void) {
    rc_test_netns();
    rc_mac("rc0", src);
    rc_mac("rc1", dst);
    for (int v = 1; v <= 3; v++) {
        dgram(v);
        raw_with(v, 1, 0, -1);
        raw_with(v, 0, 128, -1);
        raw_with(v, 1, 100, 5);
        timestamps(v);
    }
    return rc_test_done();
}
