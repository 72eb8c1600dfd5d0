/*
 * A deliberately tiny ring under a burst: the kernel drops what does not
 * fit, and the statistics account for every packet exactly:
 * received == delivered + dropped, received == sent.
 */
#include "rc_test.h"

#define BURST 500

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    (*(unsigned *)user)++;
}

static void run(int version) {
    unsigned page = (unsigned)getpagesize();
    ringcap_config *cfg = ringcap_config_new();
    ringcap_config_set_interface(cfg, "rc0");
    ringcap_config_set_version(cfg, version);
    int r;
    if (version == 3) {
        /* Two blocks of 2 pages: a few packets each. */
        r = ringcap_config_set_geometry(cfg, 2 * page, 2, 2048, 2 * (2 * page / 2048));
    } else {
        r = ringcap_config_set_geometry(cfg, page, 1, 2048, page / 2048);
    }
    REQUIRE(r == 0, "geometry: %s", ringcap_last_error());
    ringcap_config_set_timeout(cfg, 50);
    ringcap_capture *h = NULL;
    REQUIRE(ringcap_capture_open(cfg, &h) == 0, "open: %s", ringcap_last_error());
    ringcap_config_free(cfg);

    rc_send_sequence("rc1", "rc0", 0, BURST);
    usleep(50000); /* let a V3 block time out and retire */

    unsigned delivered = 0;
    int idle = 0;
    while (idle < 3) {
        r = ringcap_capture_dispatch(h, 0, on_packet, &delivered);
        REQUIRE(r >= 0, "dispatch: %d", r);
        idle = r == 0 ? idle + 1 : 0;
    }
    ringcap_stats st;
    REQUIRE(ringcap_capture_stats(h, &st) == 0, "stats");
    printf("V%d: sent %d received %llu delivered %llu (callback %u) dropped %llu freezes %llu\n", version, BURST,
           (unsigned long long)st.received, (unsigned long long)st.delivered, delivered,
           (unsigned long long)st.dropped, (unsigned long long)st.freeze_count);
    CHECK(st.delivered == delivered, "delivered counter matches the callbacks");
    CHECK(st.received == st.delivered + st.dropped, "V%d: received %llu != delivered %llu + dropped %llu", version,
          (unsigned long long)st.received, (unsigned long long)st.delivered, (unsigned long long)st.dropped);
    CHECK(st.received == BURST, "V%d: every sent packet is counted (%llu)", version, (unsigned long long)st.received);
    CHECK(st.dropped > 0, "V%d: the tiny ring dropped packets", version);
    if (version == 3) {
        CHECK(st.freeze_count > 0, "V3: the full ring froze (%llu)", (unsigned long long)st.freeze_count);
    }
    /* Counters accumulate: a second read adds nothing new. */
    ringcap_stats again;
    ringcap_capture_stats(h, &again);
    CHECK(again.received == st.received && again.dropped == st.dropped, "stats are stable across reads");
    ringcap_capture_close(h);
}

int main(void) {
    rc_test_netns();
    run(1);
    run(2);
    run(3);
    return rc_test_done();
}
