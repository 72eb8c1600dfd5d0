/*
 * pcap_inject and pcap_sendpacket on ringcap's TX ring, through ringcap's
 * own pcap headers: every frame arrives once, in order, byte-exact; a lone
 * frame goes out without further calls; close sends what is queued;
 * oversized frames and "any" are refused with a message.
 */
#include "rc_test.h"

#include <pcap/pcap.h>

#define BURST 2000

struct seen {
    unsigned got, bad;
    uint8_t src[6], dst[6];
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct seen *s = user;
    uint8_t frame[1514];
    size_t len = rc_frame_size(s->got);
    rc_build_frame(frame, len, s->got, s->dst, s->src);
    if (m->len != len || memcmp(data, frame, len) != 0) {
        s->bad++;
    }
    s->got++;
}

static unsigned drain(ringcap_capture *h, struct seen *s, unsigned want, int ms) {
    uint64_t deadline = rc_mono_ns() + (uint64_t)ms * 1000000ull;
    while (s->got < want && rc_mono_ns() < deadline) {
        REQUIRE(ringcap_capture_dispatch(h, 0, on_packet, s) >= 0, "dispatch");
    }
    return s->got;
}

int main(void) {
    rc_test_netns();
    char errbuf[PCAP_ERRBUF_SIZE];
    ringcap_config *cfg = ringcap_config_new();
    ringcap_config_set_interface(cfg, "rc0");
    ringcap_config_set_timeout(cfg, 20);
    ringcap_config_set_buffer_size(cfg, 32 << 20);
    ringcap_capture *cap = NULL;
    REQUIRE(ringcap_capture_open(cfg, &cap) == 0, "capture: %s", ringcap_last_error());
    ringcap_config_free(cfg);

    pcap_t *p = pcap_open_live("rc1", 65535, 0, 100, errbuf);
    REQUIRE(p != NULL, "open rc1: %s", errbuf);
    struct seen s;
    memset(&s, 0, sizeof s);
    rc_mac("rc1", s.src);
    rc_mac("rc0", s.dst);

    /* A burst: every frame arrives once, in order, byte-exact. */
    uint8_t frame[9100];
    int ok = 1;
    for (unsigned i = 0; i < BURST; i++) {
        size_t len = rc_frame_size(i);
        rc_build_frame(frame, len, i, s.dst, s.src);
        if (i % 2) {
            ok &= pcap_inject(p, frame, len) == (int)len;
        } else {
            ok &= pcap_sendpacket(p, frame, (int)len) == 0;
        }
    }
    CHECK(ok, "every inject/sendpacket succeeded: %s", pcap_geterr(p));
    CHECK(drain(cap, &s, BURST, 5000) == BURST && s.bad == 0, "burst: %u of %u arrived, %u wrong", s.got, BURST,
          s.bad);

    /* One frame and then silence: it still goes out. */
    rc_build_frame(frame, rc_frame_size(BURST), BURST, s.dst, s.src);
    CHECK(pcap_inject(p, frame, rc_frame_size(BURST)) == (int)rc_frame_size(BURST), "lone frame");
    usleep(50000);
    CHECK(drain(cap, &s, BURST + 1, 1000) == BURST + 1, "the lone frame arrived without another call (%u)", s.got);

    /* Oversized and malformed requests. */
    memset(frame, 0xab, sizeof frame);
    CHECK(pcap_inject(p, frame, 9000) == PCAP_ERROR, "9000-byte frame on a 1500-byte MTU is refused");
    CHECK(strstr(pcap_geterr(p), "9000") != NULL, "message names the size: %s", pcap_geterr(p));
    CHECK(pcap_sendpacket(p, frame, -1) == PCAP_ERROR, "negative size refused");
    CHECK(pcap_inject(NULL, frame, 60) == PCAP_ERROR, "NULL handle refused");

    /* Close right after queueing: everything still goes out. */
    unsigned base = s.got;
    for (unsigned i = 0; i < 100; i++) {
        size_t len = rc_frame_size(base + i);
        rc_build_frame(frame, len, base + i, s.dst, s.src);
        pcap_inject(p, frame, len);
    }
    pcap_close(p);
    CHECK(drain(cap, &s, base + 100, 2000) == base + 100 && s.bad == 0, "queued frames sent at close (%u of %u)",
          s.got - base, 100);

    /* "any" cannot send. */
    pcap_t *any = pcap_open_live("any", 65535, 0, 100, errbuf);
    REQUIRE(any != NULL, "open any: %s", errbuf);
    CHECK(pcap_inject(any, frame, 60) == PCAP_ERROR && strstr(pcap_geterr(any), "any") != NULL, "any: %s",
          pcap_geterr(any));
    pcap_close(any);
    ringcap_capture_close(cap);
    return rc_test_done();
}
