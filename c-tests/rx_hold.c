/*
 * How long the default ring holds sparse traffic for a stalled reader, and
 * the one setting that trades latency for more: ringcap_config_set_hold_time.
 * 2 000 pps of 100-byte frames for 1.5 s, the reader 1.2 s late: the
 * default ring (64 blocks, 1 ms timeout: 64 ms of sparse traffic) drops,
 * a 2 s hold time drops nothing; the kernel's own counters say so.
 */
#include "rc_test.h"

#include <sys/wait.h>

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    (*(unsigned *)user)++;
}

enum { RATE_GAP_US = 500, FRAMES = 3000 };

static void paced_send(void) {
    uint8_t src[6], dst[6], frame[100];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (unsigned i = 0; i < FRAMES; i++) {
        rc_build_frame(frame, sizeof frame, i, dst, src);
        rc_send(fd, frame, sizeof frame);
        usleep(RATE_GAP_US);
    }
    close(fd);
}

/* Returns the packets dropped by the kernel; *got the ones delivered. */
static unsigned stalled_run(unsigned hold_ms, uint32_t *timeout_ms, unsigned *got) {
    ringcap_config *cfg = ringcap_config_new();
    ringcap_config_set_interface(cfg, "rc0");
    ringcap_config_set_timeout(cfg, 100);
    if (hold_ms) {
        REQUIRE(ringcap_config_set_hold_time(cfg, hold_ms) == 0, "hold time: %s", ringcap_config_last_error(cfg));
    }
    ringcap_capture *h = NULL;
    REQUIRE(ringcap_capture_open(cfg, &h) >= 0, "open: %s", ringcap_last_error());
    ringcap_config_free(cfg);
    ringcap_ring_info info;
    REQUIRE(ringcap_capture_ring_info(h, &info) == 0, "ring info");
    *timeout_ms = info.block_timeout_ms;
    pid_t child = fork();
    if (child == 0) {
        paced_send();
        _exit(0);
    }
    usleep(1200000); /* the stall */
    *got = 0;
    int idle = 0;
    while (idle < 10) {
        int r = ringcap_capture_dispatch(h, 0, on_packet, got);
        idle = r > 0 ? 0 : idle + 1;
    }
    waitpid(child, NULL, 0);
    while (ringcap_capture_dispatch(h, 0, on_packet, got) > 0) {
    }
    ringcap_stats st;
    ringcap_capture_stats(h, &st);
    ringcap_capture_close(h);
    return (unsigned)st.dropped;
}

int main(void) {
    rc_test_netns();
    uint32_t t;
    unsigned got;
    unsigned dropped = stalled_run(0, &t, &got);
    CHECK(t == 1, "the default block timeout is 1 ms (%u)", t);
    CHECK(dropped > 0 && got + dropped == FRAMES, "the default ring drops under a 1.2 s stall: %u dropped, %u delivered",
          dropped, got);
    dropped = stalled_run(2000, &t, &got);
    CHECK(t == 32, "a 2 s hold time over 64 blocks is a 32 ms block timeout (%u)", t);
    CHECK(dropped == 0 && got == FRAMES, "and rides out the stall: %u dropped, %u of %u delivered", dropped, got,
          FRAMES);

    ringcap_config *cfg = ringcap_config_new();
    CHECK(ringcap_config_set_hold_time(cfg, 3600001) == RINGCAP_RESULT_INVALID_ARGUMENT, "out of range refused");
    ringcap_config_set_version(cfg, 2);
    CHECK(ringcap_config_set_hold_time(cfg, 1000) == RINGCAP_RESULT_INVALID_ARGUMENT &&
              strstr(ringcap_config_last_error(cfg), "TPACKET_V3") != NULL,
          "V2 has no hold time: %s", ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);
    return rc_test_done();
}
