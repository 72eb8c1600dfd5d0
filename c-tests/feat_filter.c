/*
 * Socket filters: validation errors, a filter set at open, changing the
 * filter without letting packets accepted by the old one through (V2 and
 * V3), removing it, and SO_LOCK_FILTER.
 */
#include "rc_net.h"

#include <time.h>

#define TYPE_A 0x88b5
#define TYPE_B 0x88b6

/* ldh [12]; jeq #type jt 0 jf 1; ret #262144; ret #0 */
static void accept_type(ringcap_bpf_insn prog[4], uint32_t type) {
    ringcap_bpf_insn p[4] = {{0x28, 0, 0, 12}, {0x15, 0, 1, type}, {0x06, 0, 0, 262144}, {0x06, 0, 0, 0}};
    memcpy(prog, p, sizeof p);
}

static void send_typed(uint16_t type, unsigned first, unsigned count) {
    uint8_t src[6], dst[6], buf[200];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (unsigned i = first; i < first + count; i++) {
        rc_build_frame(buf, 100, i, dst, src);
        buf[12] = (uint8_t)(type >> 8);
        buf[13] = (uint8_t)type;
        rc_send(fd, buf, 100);
    }
    close(fd);
}

struct typed {
    unsigned a, b, other;
};

static void on_typed(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct typed *t = user;
    unsigned type = m->caplen >= 14 ? (unsigned)data[12] << 8 | data[13] : 0;
    if (type == TYPE_A) {
        t->a++;
    } else if (type == TYPE_B) {
        t->b++;
    } else {
        t->other++;
    }
}

static void test_validation(void) {
    ringcap_config *cfg = ringcap_config_new();
    struct {
        const char *what;
        ringcap_bpf_insn prog[3];
        size_t len;
    } bad[] = {
        {"jump past the end", {{0x15, 5, 0, 1}, {0x06, 0, 0, 0}}, 2},
        {"backward (huge) ja", {{0x05, 0, 0, 0xffffffffu}, {0x06, 0, 0, 0}}, 2},
        {"division by constant zero", {{0x34, 0, 0, 0}, {0x06, 0, 0, 0}}, 2},
        {"no final return", {{0x28, 0, 0, 12}}, 1},
        {"scratch index 16", {{0x02, 0, 0, 16}, {0x06, 0, 0, 0}}, 2},
        {"read of unwritten scratch", {{0x60, 0, 0, 3}, {0x06, 0, 0, 0}}, 2},
        {"unknown opcode", {{0xff, 0, 0, 0}, {0x06, 0, 0, 0}}, 2},
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = ringcap_config_set_filter(cfg, bad[i].prog, bad[i].len);
        printf("%s: %d %s\n", bad[i].what, r, ringcap_config_last_error(cfg));
        CHECK(r == RINGCAP_RESULT_FILTER_INVALID, "%s is refused (%d)", bad[i].what, r);
    }
    static ringcap_bpf_insn big[5000];
    for (unsigned i = 0; i < 5000; i++) {
        big[i].code = 0x06;
    }
    CHECK(ringcap_config_set_filter(cfg, big, 5000) == RINGCAP_RESULT_FILTER_INVALID, "5000 instructions: %s",
          ringcap_last_error());
    CHECK(ringcap_config_set_filter(cfg, NULL, 3) == RINGCAP_RESULT_NULL_PARAMETER, "NULL program with a length");
    CHECK(ringcap_config_set_lock_filter(cfg, true) == 0, "lock flag set");
    ringcap_config_set_interface(cfg, "rc0");
    ringcap_capture *h = NULL;
    int r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_NULL_PARAMETER && h == NULL &&
              strstr(ringcap_config_last_error(cfg), "ringcap_config_set_filter() failed") != NULL,
          "a config whose last set_filter failed does not open (%d): %s", r, ringcap_config_last_error(cfg));
    CHECK(ringcap_config_set_filter(cfg, NULL, 0) == 0, "no filter");
    r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && h == NULL, "locking without a filter is refused at open (%d): %s", r,
          ringcap_last_error());
    ringcap_config_free(cfg);
}

static void test_change(int version) {
    printf("-- V%d\n", version);
    ringcap_bpf_insn fa[4], fb[4];
    accept_type(fa, TYPE_A);
    accept_type(fb, TYPE_B);
    ringcap_config *cfg = rc_config("rc0", version);
    REQUIRE(ringcap_config_set_filter(cfg, fa, 4) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);

    /* The filter set at open applies from the first packet. */
    send_typed(TYPE_A, 0, 10);
    send_typed(TYPE_B, 10, 10);
    struct typed t = {0, 0, 0};
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 10 && t.b == 0 && t.other == 0, "V%d: filter A at open: a %u b %u other %u", version, t.a, t.b,
          t.other);

    /* Packets accepted by A sit unread in the ring; the change to B must
     * not let any of them through. */
    send_typed(TYPE_A, 20, 25);
    int discarded = ringcap_capture_set_filter(h, fb, 4);
    printf("V%d: set_filter discarded %d\n", version, discarded);
    CHECK(discarded == 25, "V%d: the 25 packets accepted by the old filter were discarded (%d): %s", version,
          discarded, ringcap_capture_last_error(h));
    send_typed(TYPE_A, 50, 10);
    send_typed(TYPE_B, 60, 10);
    memset(&t, 0, sizeof t);
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 0 && t.b == 10, "V%d: after the change only B arrives: a %u b %u", version, t.a, t.b);

    /* Removing the filter lets everything through. */
    CHECK(ringcap_capture_remove_filter(h) == 0, "remove: %s", ringcap_capture_last_error(h));
    send_typed(TYPE_A, 70, 5);
    send_typed(TYPE_B, 75, 5);
    memset(&t, 0, sizeof t);
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 5 && t.b == 5, "V%d: without a filter: a %u b %u", version, t.a, t.b);

    /* Invalid programs leave the handle as it was. */
    ringcap_bpf_insn bad[1] = {{0x28, 0, 0, 12}};
    CHECK(ringcap_capture_set_filter(h, bad, 1) == RINGCAP_RESULT_FILTER_INVALID, "no return: %s",
          ringcap_capture_last_error(h));
    send_typed(TYPE_A, 80, 3);
    memset(&t, 0, sizeof t);
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 3, "a refused program changed nothing (%u)", t.a);

    /* Lock: from now on the filter cannot change. */
    CHECK(ringcap_capture_set_filter(h, fa, 4) >= 0, "set A again");
    CHECK(ringcap_capture_lock_filter(h) == 0, "lock: %s", ringcap_capture_last_error(h));
    int r = ringcap_capture_set_filter(h, fb, 4);
    printf("locked set_filter: %d %s\n", r, ringcap_capture_last_error(h));
    CHECK(r == RINGCAP_RESULT_WRONG_STATE, "a locked filter cannot be replaced (%d)", r);
    r = ringcap_capture_remove_filter(h);
    CHECK(r == RINGCAP_RESULT_WRONG_STATE, "a locked filter cannot be removed (%d): %s", r,
          ringcap_capture_last_error(h));
    send_typed(TYPE_A, 90, 4);
    send_typed(TYPE_B, 94, 4);
    memset(&t, 0, sizeof t);
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 4 && t.b == 0, "the locked filter A still applies: a %u b %u", t.a, t.b);
    ringcap_capture_close(h);
}

/* The block the kernel is filling holds packets of the old filter, and its
 * timer (60 s) is too long to wait for: the change returns at once and
 * those packets stay out when the block fills and is handed over. */
static void test_change_in_unretired_block(void) {
    ringcap_bpf_insn fa[4], fb[4];
    accept_type(fa, TYPE_A);
    accept_type(fb, TYPE_B);
    ringcap_config *cfg = rc_config("rc0", 3);
    /* 4 KiB blocks: 21 of the 100-byte frames each. */
    REQUIRE(ringcap_config_set_geometry(cfg, 4096, 8, 2048, 16) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_block_timeout(cfg, 60000) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_filter(cfg, fa, 4) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    send_typed(TYPE_A, 0, 5);
    usleep(20000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int discarded = ringcap_capture_set_filter(h, fb, 4);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(discarded == 5, "the 5 packets in the unretired block were discarded (%d): %s", discarded,
          ringcap_capture_last_error(h));
    CHECK(waited < 10.0, "the change did not wait for the 60 s block timer (%.3f s)", waited);
    discarded = ringcap_capture_set_filter(h, fb, 4);
    CHECK(discarded == 0, "a second change finds nothing new to discard (%d)", discarded);
    /* 5 + 110 frames fill five blocks and part of a sixth, which stays
     * with the kernel. */
    send_typed(TYPE_B, 5, 110);
    struct typed t = {0, 0, 0};
    rc_drain(h, on_typed, &t);
    CHECK(t.a == 0 && t.other == 0 && t.b >= 110 - 21 && t.b < 110,
          "only B from the retired blocks: a %u b %u other %u", t.a, t.b, t.other);
    ringcap_capture_close(h);
}

static void test_locked_at_open(void) {
    ringcap_bpf_insn fa[4], fb[4];
    accept_type(fa, TYPE_A);
    accept_type(fb, TYPE_B);
    ringcap_config *cfg = rc_config("rc0", 3);
    REQUIRE(ringcap_config_set_filter(cfg, fa, 4) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_lock_filter(cfg, true) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    CHECK(ringcap_capture_set_filter(h, fb, 4) == RINGCAP_RESULT_WRONG_STATE, "locked at open: %s",
          ringcap_capture_last_error(h));
    ringcap_capture_close(h);
}

int main(void) {
    rc_test_netns();
    test_validation();
    test_change(2);
    test_change(3);
    test_change_in_unretired_block();
    test_locked_at_open();
    return rc_test_done();
}
