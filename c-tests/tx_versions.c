/*
 * TX ring for one TPACKET version: a sequence of frames of mixed sizes
 * (42 to 1514 bytes), half written in place and half copied, arrives at a
 * capture on the peer end complete, in order and byte-exact; once with the
 * default ring (which wraps), once with a 16-frame ring that is full most
 * of the time (commits wait for free frames).
 * Usage: tx_versions <1|2|3>
 */
#include "tx_test.h"

#define COUNT 1500

static void run(int version, int small_ring) {
    const char *label = small_ring ? "16-frame ring" : "default ring";
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    if (small_ring) {
        /* 2 frames of 2048 bytes per 4 KiB block (V3 TX is frame based too). */
        CHECK(ringcap_tx_config_set_geometry(cfg, 4096, 8, 2048, 16) == 0, "%s", ringcap_tx_config_last_error(cfg));
    }
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    ringcap_ring_info info;
    CHECK(ringcap_tx_ring_info(tx, &info) == 0 && info.version == (uint32_t)version, "ring info");
    printf("%s: TX ring %u blocks x %u bytes, %u frames x %u, max packet %d\n", label, info.block_nr,
           info.block_size, info.frame_nr, info.frame_size, ringcap_tx_max_packet(tx));
    CHECK(ringcap_tx_max_packet(tx) == 1514, "max packet %d, want 1500 + 14", ringcap_tx_max_packet(tx));

    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    rc_mac("rc0", seen.src);
    rc_mac("rc1", seen.dst);
    seen.want = COUNT;
    seen.seqs = rc_seq_range(0, COUNT);
    int failures = 0;
    for (unsigned i = 0; i < COUNT; i++) {
        int r = rc_tx_frame(tx, i, seen.dst, seen.src);
        if (r != 0 && failures++ == 0) {
            CHECK(r == 0, "%s: frame %u: %d %s", label, i, r, ringcap_tx_last_error(tx));
        }
        /* Keep the peer's ring drained while sending. */
        if (i % 256 == 255) {
            ringcap_tx_flush(tx);
            ringcap_capture_dispatch(peer, -1, rc_seen_packet, &seen);
        }
    }
    CHECK(failures == 0, "%s: %d sends failed", label, failures);
    CHECK(ringcap_tx_flush(tx) == 0, "flush: %s", ringcap_tx_last_error(tx));
    rc_expect(peer, &seen, label);

    ringcap_tx_counters st;
    CHECK(ringcap_tx_stats(tx, &st) == 0, "stats");
    printf("%s: queued %llu completed %llu kicks %llu ring_full %llu\n", label, (unsigned long long)st.queued,
           (unsigned long long)st.completed, (unsigned long long)st.kicks, (unsigned long long)st.ring_full);
    CHECK(st.queued == COUNT && st.completed == COUNT && st.rejected == 0 && st.in_flight == 0,
          "counters queued %llu completed %llu rejected %llu in flight %u", (unsigned long long)st.queued,
          (unsigned long long)st.completed, (unsigned long long)st.rejected, st.in_flight);
    if (small_ring) {
        CHECK(st.ring_full > 0, "the 16-frame ring never filled up");
    }
    CHECK(ringcap_tx_close(tx) == 0, "close: %s", ringcap_last_error());
    CHECK(ringcap_tx_close(tx) == 0, "second close is a no-op");
    CHECK(ringcap_tx_kick(tx) == RINGCAP_RESULT_INVALID_HANDLE, "kick on a closed handle");
    ringcap_capture_close(peer);
    free((void *)seen.seqs);
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2, "usage: tx_versions <1|2|3>");
    int version = atoi(argv[1]);
    printf("TPACKET_V%d TX\n", version);
    rc_test_netns();
    run(version, 0);
    run(version, 1);
    return rc_test_done();
}
