/*
 * pcap_inject and pcap_sendpacket through ringcap's own pcap headers:
 * every frame arrives once, in order, byte-exact; a lone frame goes out
 * without further calls; a frame the device refuses (over the current
 * MTU, link down) fails alone with libpcap's text and ringcap's detail
 * after it, and the frames around it go out; savefiles, dead handles and
 * "any" are refused with libpcap's texts.
 */
#include "rc_test.h"

#include <pcap/pcap.h>

#define BURST 2000

struct seen {
    unsigned got, bad;
    size_t fixed_len; /* when not 0, every frame has this length instead of rc_frame_size(seq) */
    uint8_t src[6], dst[6];
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct seen *s = user;
    uint8_t frame[1514];
    size_t len = s->fixed_len ? s->fixed_len : rc_frame_size(s->got);
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
    CHECK(strncmp(pcap_geterr(p), "send: Message too long (", 24) == 0 && strstr(pcap_geterr(p), "9000") &&
              strstr(pcap_geterr(p), "1514"),
          "libpcap's text, then the sizes: %s", pcap_geterr(p));
    CHECK(pcap_sendpacket(p, frame, -1) == PCAP_ERROR, "negative size refused");
    CHECK(pcap_inject(NULL, frame, 60) == PCAP_ERROR, "NULL handle refused");

    /* The MTU lowered under the handle: only the frame over it fails, at
     * the call; the frames before and after it go out. */
    rc_sh("ip link set dev rc1 mtu 1000");
    s.fixed_len = 100;
    unsigned base = s.got, next = s.got;
    for (unsigned i = 0; i < 7; i++) {
        if (i == 3) {
            memset(frame, 0xab, sizeof frame);
            int r = pcap_inject(p, frame, 1400);
            const char *e = pcap_geterr(p);
            CHECK(r == PCAP_ERROR, "1400 bytes on MTU 1000 fail at the call: %d", r);
            CHECK(strncmp(e, "send: Message too long (", 24) == 0 && strstr(e, "1400") && strstr(e, "1014") &&
                      strstr(e, "1000"),
                  "libpcap's text, then the current limit: %s", e);
            printf("message: %s\n", e);
            continue;
        }
        size_t len = s.fixed_len;
        rc_build_frame(frame, len, next++, s.dst, s.src);
        CHECK(pcap_inject(p, frame, len) == (int)len, "frame %u around the refused one: %s", i, pcap_geterr(p));
    }
    rc_sh("ip link set dev rc1 mtu 1500");
    CHECK(drain(cap, &s, base + 6, 2000) == base + 6 && s.bad == 0, "6 of 6 valid frames arrived (%u, %u wrong)",
          s.got - base, s.bad);

    /* A down link fails at the call with libpcap's text. */
    rc_sh("ip link set dev rc1 down");
    rc_build_frame(frame, 100, s.got, s.dst, s.src);
    int r = pcap_inject(p, frame, 100);
    int e = errno;
    CHECK(r == PCAP_ERROR && strncmp(pcap_geterr(p), "send: Network is down ('rc1' is down)", 37) == 0,
          "down: %s", pcap_geterr(p));
    CHECK(e == ENETDOWN, "errno is send()'s: %d", e);
    rc_sh("ip link set dev rc1 up");
    /* The kernel reports the down event once more (the socket error). */
    r = pcap_inject(p, frame, 100);
    CHECK(r == PCAP_ERROR && strstr(pcap_geterr(p), "up again"), "pending ENETDOWN: %d %s", r, pcap_geterr(p));
    CHECK(pcap_inject(p, frame, 100) == 100, "up: %s", pcap_geterr(p));
    CHECK(drain(cap, &s, s.got + 1, 2000) == base + 7 && s.bad == 0, "sent once up (%u)", s.got - base);
    s.fixed_len = 0;

    /* Close right after injecting: everything went out. */
    base = s.got;
    for (unsigned i = 0; i < 100; i++) {
        size_t len = rc_frame_size(base + i);
        rc_build_frame(frame, len, base + i, s.dst, s.src);
        pcap_inject(p, frame, len);
    }
    pcap_close(p);
    CHECK(drain(cap, &s, base + 100, 2000) == base + 100 && s.bad == 0, "frames injected before close (%u of %u)",
          s.got - base, 100);

    /* "any" cannot send. */
    pcap_t *any = pcap_open_live("any", 65535, 0, 100, errbuf);
    REQUIRE(any != NULL, "open any: %s", errbuf);
    CHECK(pcap_inject(any, frame, 60) == PCAP_ERROR &&
              strcmp(pcap_geterr(any), "Sending packets isn't supported on the \"any\" device") == 0,
          "any: %s", pcap_geterr(any));
    pcap_close(any);

    /* Savefiles and dead handles, with libpcap's texts. */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    CHECK(pcap_inject(dead, frame, 60) == PCAP_ERROR &&
              strcmp(pcap_geterr(dead), "Packets can't be sent on a pcap_open_dead pcap_t") == 0,
          "dead: %s", pcap_geterr(dead));
    char path[] = "/tmp/pcap-inject-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp");
    close(fd);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    REQUIRE(d != NULL, "dump_open: %s", pcap_geterr(dead));
    pcap_dump_close(d);
    pcap_close(dead);
    pcap_t *file = pcap_open_offline(path, errbuf);
    REQUIRE(file != NULL, "open_offline: %s", errbuf);
    CHECK(pcap_sendpacket(file, frame, 60) == PCAP_ERROR &&
              strcmp(pcap_geterr(file), "Sending packets isn't supported on savefiles") == 0,
          "savefile: %s", pcap_geterr(file));
    pcap_close(file);
    unlink(path);
    ringcap_capture_close(cap);
    return rc_test_done();
}
