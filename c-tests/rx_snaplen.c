/* snaplen truncation: caplen is min(length, snaplen), len stays the wire length. */
#include "rc_test.h"

#define COUNT 40
#define SNAPLEN 100

struct seen {
    unsigned got, bad;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct seen *s = user;
    unsigned seq = s->got++;
    uint8_t frame[1514], src[6], dst[6];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    size_t len = rc_frame_size(seq);
    rc_build_frame(frame, len, seq, dst, src);
    size_t want = len < SNAPLEN ? len : SNAPLEN;
    if (m->len != len || m->caplen != want || memcmp(data, frame, want) != 0) {
        s->bad++;
        printf("packet %u: len %u caplen %u, want len %zu caplen %zu\n", seq, m->len, m->caplen, len, want);
    }
}

int main(void) {
    rc_test_netns();
    for (int version = 1; version <= 3; version++) {
        ringcap_config *cfg = ringcap_config_new();
        ringcap_config_set_interface(cfg, "rc0");
        ringcap_config_set_version(cfg, version);
        CHECK(ringcap_config_set_snaplen(cfg, SNAPLEN) == 0, "%s", ringcap_last_error());
        ringcap_config_set_timeout(cfg, 100);
        ringcap_capture *h = NULL;
        REQUIRE(ringcap_capture_open(cfg, &h) == 0, "open: %s", ringcap_last_error());
        ringcap_config_free(cfg);
        rc_send_sequence("rc1", "rc0", 0, COUNT);
        struct seen s = {0, 0};
        uint64_t deadline = rc_mono_ns() + 3000000000ull;
        while (s.got < COUNT && rc_mono_ns() < deadline) {
            REQUIRE(ringcap_capture_dispatch(h, 0, on_packet, &s) >= 0, "dispatch");
        }
        CHECK(s.got == COUNT && s.bad == 0, "V%d: got %u, %u wrong", version, s.got, s.bad);
        ringcap_capture_close(h);
    }
    return rc_test_done();
}
