/*
 * One socket with an RX and a TX ring in a single mapping (RX first): every
 * frame received on rc0 is echoed back from inside the capture callback,
 * copied from the RX ring straight into the TX ring with the MAC addresses
 * swapped, and arrives at a capture on rc1 complete, in order, byte-exact.
 * After a rejected frame the TX half cannot replace its ring (the mapping
 * is shared) and says so; its close still succeeds.
 * Usage: tx_duplex <1|2|3>
 */
#include "tx_test.h"

#define COUNT 600

struct echo {
    ringcap_tx *tx;
    unsigned got, failed;
    int last_error;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct echo *e = user;
    if (m->pkttype == PACKET_OUTGOING) {
        return;
    }
    e->got++;
    uint8_t *buf;
    size_t room;
    int r = ringcap_tx_frame(e->tx, &buf, &room);
    if (r != 0 || room < m->caplen) {
        e->failed++;
        e->last_error = r;
        return;
    }
    /* One copy, RX ring to TX ring, swapping destination and source. */
    memcpy(buf, data + 6, 6);
    memcpy(buf + 6, data, 6);
    memcpy(buf + 12, data + 12, m->caplen - 12);
    r = ringcap_tx_commit(e->tx, m->caplen);
    if (r != 0) {
        e->failed++;
        e->last_error = r;
    }
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2, "usage: tx_duplex <1|2|3>");
    int version = atoi(argv[1]);
    printf("TPACKET_V%d RX+TX on one socket\n", version);
    rc_test_netns();
    ringcap_capture *peer = rc_peer_capture("rc1");

    ringcap_config *rx_cfg = ringcap_config_new();
    CHECK(ringcap_config_set_interface(rx_cfg, "rc0") == 0, "iface");
    CHECK(ringcap_config_set_version(rx_cfg, version) == 0, "version");
    CHECK(ringcap_config_set_protocol(rx_cfg, RC_ETHERTYPE) == 0, "protocol");
    CHECK(ringcap_config_set_buffer_size(rx_cfg, 4 << 20) == 0, "buffer");
    CHECK(ringcap_config_set_timeout(rx_cfg, 50) == 0, "timeout");
    ringcap_tx_config *tx_cfg = ringcap_tx_config_new();
    /* The interface and version come from the capture configuration. */
    ringcap_capture *cap = NULL;
    ringcap_tx *tx = NULL;
    int r = ringcap_duplex_open(rx_cfg, tx_cfg, &cap, &tx);
    REQUIRE(r >= 0 && cap && tx, "duplex open: %d %s", r, ringcap_config_last_error(rx_cfg));
    ringcap_config_free(rx_cfg);
    ringcap_tx_config_free(tx_cfg);

    ringcap_ring_info rx_info, tx_info;
    CHECK(ringcap_capture_ring_info(cap, &rx_info) == 0 && ringcap_tx_ring_info(tx, &tx_info) == 0, "info");
    CHECK(rx_info.version == (uint32_t)version && tx_info.version == (uint32_t)version, "versions %u %u",
          rx_info.version, tx_info.version);
    CHECK(ringcap_capture_get_fd(cap) == ringcap_tx_get_fd(tx), "one socket");
    printf("RX %zu bytes + TX %zu bytes in one mapping\n", rx_info.ring_bytes, tx_info.ring_bytes);

    struct echo e = {tx, 0, 0, 0};
    rc_send_sequence("rc1", "rc0", 0, COUNT);
    uint64_t deadline = rc_mono_ns() + 5000000000ull;
    while (e.got < COUNT && rc_mono_ns() < deadline) {
        r = ringcap_capture_dispatch(cap, -1, on_packet, &e);
        REQUIRE(r >= 0, "dispatch: %d %s", r, ringcap_capture_last_error(cap));
        /* One kick per dispatched batch. */
        r = ringcap_tx_kick(tx);
        if (r != 0) {
            e.failed++;
            e.last_error = r;
        }
    }
    CHECK(e.got == COUNT, "received %u of %u on rc0", e.got, COUNT);
    CHECK(e.failed == 0, "%u echoes failed (last %d: %s)", e.failed, e.last_error, ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_flush(tx) == 0, "flush: %s", ringcap_tx_last_error(tx));

    /* The echoes: sent by rc0 (source) to rc1 (destination). */
    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    rc_mac("rc0", seen.src);
    rc_mac("rc1", seen.dst);
    seen.want = COUNT;
    seen.seqs = rc_seq_range(0, COUNT);
    rc_expect(peer, &seen, "echoes");
    /* The capture half did not see its own echoes. */
    unsigned before = e.got;
    ringcap_capture_dispatch(cap, -1, on_packet, &e);
    CHECK(e.got == before, "capture saw %u of its own transmissions", e.got - before);

    /* A rejected frame: the shared mapping cannot be replaced, so skipping
     * is refused with the way out; close still succeeds. */
    uint8_t frame[64];
    rc_build_frame(frame, 10, 999, seen.dst, seen.src);
    CHECK(ringcap_tx_send(tx, frame, 10) == 0, "queue a 10-byte frame");
    rc_build_frame(frame, 60, 1000, seen.dst, seen.src);
    CHECK(ringcap_tx_send(tx, frame, 60) == 0, "and one behind it");
    CHECK(ringcap_tx_flush(tx) == RINGCAP_RESULT_WRONG_FORMAT, "flush: %s", ringcap_tx_last_error(tx));
    r = ringcap_tx_skip_rejected(tx);
    CHECK(r == RINGCAP_RESULT_UNSUPPORTED && strstr(ringcap_tx_last_error(tx), "PACKET_LOSS"), "skip: %d %s", r,
          ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_close(tx) == 0, "close tx");
    /* The capture keeps working after the TX handle is gone. */
    rc_send_sequence("rc1", "rc0", 0, 5);
    unsigned got = 0;
    struct echo none = {NULL, 0, 0, 0};
    for (int i = 0; i < 20 && none.got < 5; i++) {
        ringcap_capture_dispatch(cap, -1, on_packet, &none);
    }
    got = none.got;
    CHECK(got == 5, "capture after TX close got %u of 5", got);
    CHECK(ringcap_capture_close(cap) == 0, "close capture");
    ringcap_capture_close(peer);
    free((void *)seen.seqs);
    return rc_test_done();
}
