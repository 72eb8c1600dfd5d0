/*
 * Fanout: LB spreads evenly and loses nothing, HASH keeps flows together,
 * ROLLOVER moves traffic off a full ring, CBPF/EBPF pick by program,
 * UNIQUEID hands out an id, and mistakes get clear errors.
 */
#include "rc_net.h"

#include <linux/bpf.h>
#include <sys/syscall.h>

static ringcap_capture *open_member(const ringcap_fanout *f, int tiny) {
    ringcap_config *cfg = rc_config("rc0", 2);
    if (tiny) {
        unsigned page = (unsigned)getpagesize();
        REQUIRE(ringcap_config_set_geometry(cfg, page, 1, 2048, page / 2048) == 0, "%s", ringcap_last_error());
    } else {
        REQUIRE(ringcap_config_set_buffer_size(cfg, 1 << 20) == 0, "%s", ringcap_last_error());
    }
    if (f) {
        REQUIRE(ringcap_config_set_fanout(cfg, f) == 0, "set_fanout: %s", ringcap_last_error());
    }
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    return h;
}

static void send_frames(unsigned count) {
    rc_send_sequence("rc1", "rc0", 0, count);
}

static void test_lb(void) {
    enum { N = 4, SENT = 400 };
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = 100;
    f.mode = RINGCAP_FANOUT_MODE_LB;
    ringcap_capture *h[N];
    for (int i = 0; i < N; i++) {
        h[i] = open_member(&f, 0);
    }
    send_frames(SENT);
    unsigned sum = 0;
    for (int i = 0; i < N; i++) {
        unsigned n = rc_count(h[i]);
        printf("LB member %d: %u packets\n", i, n);
        CHECK(n >= SENT / N * 9 / 10 && n <= SENT / N * 11 / 10, "LB member %d got %u, about %d expected", i, n,
              SENT / N);
        sum += n;
    }
    CHECK(sum == SENT, "LB: the members together got every packet exactly once (%u of %d)", sum, SENT);
    uint16_t id = 0;
    CHECK(ringcap_capture_fanout_group(h[0], &id) == 1 && id == 100, "fanout_group reads back id 100 (%u)", id);

    /* Same id, another mode: refused with a message that says why. */
    ringcap_fanout other = f;
    other.mode = RINGCAP_FANOUT_MODE_HASH;
    ringcap_config *cfg = rc_config("rc0", 2);
    REQUIRE(ringcap_config_set_fanout(cfg, &other) == 0, "%s", ringcap_last_error());
    ringcap_capture *bad = NULL;
    int r = ringcap_capture_open(cfg, &bad);
    printf("id in use with another mode: %d %s\n", r, ringcap_last_error());
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && bad == NULL, "joining id 100 as HASH is refused (%d)", r);
    CHECK(strstr(ringcap_last_error(), "different mode") != NULL, "message names the cause: %s", ringcap_last_error());
    ringcap_config_free(cfg);

    /* A member cannot join a second group. */
    r = ringcap_capture_fanout_join(h[0], &f, NULL);
    printf("second join: %d %s\n", r, ringcap_capture_last_error(h[0]));
    CHECK(r == RINGCAP_RESULT_WRONG_STATE, "joining twice is refused (%d)", r);
    for (int i = 0; i < N; i++) {
        ringcap_capture_close(h[i]);
    }
}

#define FLOWS 12

struct flows {
    int member;
    int owner[FLOWS];
    unsigned split, total, per_member[8];
};

static void on_flow_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct flows *f = user;
    if (m->caplen < 42 || data[12] != 0x08 || data[13] != 0x00) {
        return;
    }
    int flow = (int)data[14 + 20 + 3] - 20000 % 256; /* low byte of the destination port */
    if (flow < 0 || flow >= FLOWS) {
        return;
    }
    f->total++;
    f->per_member[f->member]++;
    if (f->owner[flow] == -1) {
        f->owner[flow] = f->member;
    } else if (f->owner[flow] != f->member) {
        f->split++;
    }
}

static void send_flows(int per_flow) {
    uint8_t src[6], dst[6], buf[200];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (int p = 0; p < per_flow; p++) {
        for (int fl = 0; fl < FLOWS; fl++) {
            rc_build_udp(buf, 100, dst, src, 0x0a090002u + (uint32_t)fl, 0x0a090001u, (uint16_t)(10000 + fl * 7),
                         (uint16_t)(20000 + fl));
            rc_send(fd, buf, 100);
        }
    }
    close(fd);
}

static void test_hash(void) {
    enum { N = 3, PER_FLOW = 20 };
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = 101;
    f.mode = RINGCAP_FANOUT_MODE_HASH;
    f.flags = RINGCAP_FANOUT_FLAG_DEFRAG;
    ringcap_capture *h[N];
    for (int i = 0; i < N; i++) {
        h[i] = open_member(&f, 0);
    }
    send_flows(PER_FLOW);
    struct flows fl;
    memset(&fl, 0, sizeof fl);
    for (int i = 0; i < FLOWS; i++) {
        fl.owner[i] = -1;
    }
    for (int i = 0; i < N; i++) {
        fl.member = i;
        rc_drain(h[i], on_flow_packet, &fl);
        printf("HASH member %d: %u packets\n", i, fl.per_member[i]);
    }
    CHECK(fl.total == FLOWS * PER_FLOW, "HASH: every packet delivered once (%u of %d)", fl.total, FLOWS * PER_FLOW);
    CHECK(fl.split == 0, "HASH: every flow stayed on one member (%u packets elsewhere)", fl.split);
    int used = 0;
    for (int i = 0; i < N; i++) {
        used += fl.per_member[i] > 0;
    }
    printf("HASH: %d flows over %d of %d members\n", FLOWS, used, N);
    CHECK(used >= 2, "HASH: %d flows were spread over more than one member (%d)", FLOWS, used);
    for (int i = 0; i < N; i++) {
        ringcap_capture_close(h[i]);
    }
}

/* Two members, one with a 2-frame ring, nobody reading: returns what each
 * got, and the tiny member's PACKET_ROLLOVER_STATS in *rolled. */
static void full_ring_stats(uint16_t id, uint32_t mode, uint32_t flags, unsigned *tiny_got, unsigned *big_got,
                            ringcap_stats *rolled) {
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.mode = mode;
    f.flags = flags;
    ringcap_capture *tiny = open_member(&f, 1);
    ringcap_capture *big = open_member(&f, 0);
    send_frames(60);
    *tiny_got = rc_count(tiny);
    *big_got = rc_count(big);
    REQUIRE(ringcap_capture_stats(tiny, rolled) == 0, "stats: %s", ringcap_last_error());
    ringcap_stats bs;
    REQUIRE(ringcap_capture_stats(big, &bs) == 0, "stats: %s", ringcap_last_error());
    printf("group %u: tiny received %llu dropped %llu rolled over %llu (huge %llu, failed %llu); big rolled over "
           "%llu\n",
           id, (unsigned long long)rolled->received, (unsigned long long)rolled->dropped,
           (unsigned long long)rolled->rollover_all, (unsigned long long)rolled->rollover_huge,
           (unsigned long long)rolled->rollover_failed, (unsigned long long)bs.rollover_all);
    ringcap_capture_close(tiny);
    ringcap_capture_close(big);
}

static void full_ring(uint16_t id, uint32_t mode, uint32_t flags, unsigned *tiny_got, unsigned *big_got) {
    ringcap_stats st;
    full_ring_stats(id, mode, flags, tiny_got, big_got, &st);
}

static void test_rollover(void) {
    unsigned t, b;
    full_ring(102, RINGCAP_FANOUT_MODE_LB, 0, &t, &b);
    printf("LB, one ring full: tiny %u + big %u of 60\n", t, b);
    CHECK(t + b < 60, "without rollover the full ring drops its share (%u + %u)", t, b);
    full_ring(103, RINGCAP_FANOUT_MODE_ROLLOVER, 0, &t, &b);
    printf("ROLLOVER: tiny %u + big %u of 60\n", t, b);
    CHECK(t + b == 60, "ROLLOVER moves traffic off the full ring: nothing lost (%u + %u)", t, b);
    CHECK(t <= 2, "the tiny ring holds at most its 2 frames (%u)", t);
    ringcap_stats st;
    full_ring_stats(104, RINGCAP_FANOUT_MODE_LB, RINGCAP_FANOUT_FLAG_ROLLOVER, &t, &b, &st);
    printf("LB|FLAG_ROLLOVER: tiny %u + big %u of 60\n", t, b);
    CHECK(t + b == 60, "LB with the ROLLOVER flag loses nothing either (%u + %u)", t, b);
    /* LB hands the tiny ring every other packet (30); what it could not
     * hold went to the big one, and PACKET_ROLLOVER_STATS counts exactly that. */
    CHECK(st.rollover_all == 30 - t && st.rollover_failed == 0,
          "the tiny member's rollover count is its share minus what it kept (%llu == 30 - %u), none failed",
          (unsigned long long)st.rollover_all, t);
    full_ring_stats(106, RINGCAP_FANOUT_MODE_LB, 0, &t, &b, &st);
    CHECK(st.rollover_all == 0 && st.dropped > 0, "without rollover nothing is counted as rolled over (%llu)",
          (unsigned long long)st.rollover_all);
}

/* Two members of CBPF fanout group `id` choosing by `prog`. */
static void cbpf_pair(uint16_t id, const ringcap_bpf_insn *prog, size_t len, ringcap_capture **a, ringcap_capture **b) {
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.mode = RINGCAP_FANOUT_MODE_CBPF;
    f.program = prog;
    f.program_len = len;
    *a = open_member(&f, 0);
    *b = open_member(&f, 0);
}

/* Fanout programs see the packet from its network header: a program that
 * picks member 1 for IPv4 UDP (protocol byte at offset 9) and member 0 for
 * everything else splits UDP from the experimental-EtherType frames. */
static void test_cbpf_network_offsets(void) {
    ringcap_bpf_insn prog[] = {
        {0x30, 0, 0, 9},  /* ldb [9] */
        {0x15, 0, 1, 17}, /* jeq #17 */
        {0x06, 0, 0, 1},  /* ret #1 */
        {0x06, 0, 0, 0},  /* ret #0 */
    };
    ringcap_capture *a, *b;
    cbpf_pair(110, prog, 4, &a, &b);
    send_flows(5); /* FLOWS x 5 UDP packets */
    send_frames(20);
    unsigned na = rc_count(a), nb = rc_count(b);
    printf("CBPF ldb [9] == 17: member 0 %u, member 1 %u\n", na, nb);
    CHECK(nb == FLOWS * 5 && na == 20, "offset 9 is the IP protocol byte: UDP to member 1 (%u), the rest to 0 (%u)",
          nb, na);
    ringcap_capture_close(a);
    ringcap_capture_close(b);
}

static void test_cbpf(void) {
    /* ret #1: every packet to the second member. */
    ringcap_bpf_insn prog[] = {{0x06, 0, 0, 1}};
    ringcap_capture *a, *b;
    cbpf_pair(105, prog, 1, &a, &b);
    send_frames(30);
    unsigned na = rc_count(a), nb = rc_count(b);
    printf("CBPF ret #1: member 0 %u, member 1 %u\n", na, nb);
    CHECK(na == 0 && nb == 30, "the cBPF program sent every packet to member 1");
    ringcap_capture_close(a);
    ringcap_capture_close(b);

    /* An invalid fanout program is refused before any socket exists. */
    ringcap_bpf_insn bad[] = {{0x34, 0, 0, 0}, {0x06, 0, 0, 0}}; /* div #0 */
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = 105;
    f.mode = RINGCAP_FANOUT_MODE_CBPF;
    f.program = bad;
    f.program_len = 2;
    ringcap_config *cfg = rc_config("rc0", 2);
    int r = ringcap_config_set_fanout(cfg, &f);
    CHECK(r == RINGCAP_RESULT_FILTER_INVALID, "division by zero in a fanout program is refused (%d): %s", r,
          ringcap_last_error());
    f.mode = RINGCAP_FANOUT_MODE_CBPF;
    f.program = NULL;
    f.program_len = 0;
    r = ringcap_config_set_fanout(cfg, &f);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT, "CBPF without a program is refused (%d): %s", r, ringcap_last_error());
    ringcap_config_free(cfg);
}

static int load_ebpf_return(int value) {
    struct bpf_insn insns[2];
    memset(insns, 0, sizeof insns);
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].dst_reg = 0;
    insns[0].imm = value;
    insns[1].code = BPF_JMP | BPF_EXIT;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = 2;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

static void test_ebpf(void) {
    int fd = load_ebpf_return(1);
    if (fd < 0) {
        printf("SKIP EBPF fanout: BPF_PROG_LOAD failed: %s\n", strerror(errno));
        return;
    }
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = 106;
    f.mode = RINGCAP_FANOUT_MODE_EBPF;
    f.ebpf_fd = fd;
    ringcap_capture *a = open_member(&f, 0);
    ringcap_capture *b = open_member(&f, 0);
    close(fd); /* the kernel holds its own reference */
    send_frames(30);
    unsigned na = rc_count(a), nb = rc_count(b);
    printf("EBPF return 1: member 0 %u, member 1 %u\n", na, nb);
    CHECK(na == 0 && nb == 30, "the eBPF program sent every packet to member 1");
    ringcap_capture_close(a);
    ringcap_capture_close(b);
}

static void test_unique_id_and_flags(void) {
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.mode = RINGCAP_FANOUT_MODE_LB;
    f.flags = RINGCAP_FANOUT_FLAG_UNIQUE_ID;
    ringcap_capture *a = open_member(&f, 0);
    uint16_t id = 0;
    CHECK(ringcap_capture_fanout_group(a, &id) == 1, "UNIQUEID: the kernel's id reads back (%u)", id);
    printf("UNIQUEID assigned group id %u\n", id);
    /* Others join that id with the same mode (UNIQUEID itself is not kept). */
    ringcap_fanout same;
    memset(&same, 0, sizeof same);
    same.id = id;
    same.mode = RINGCAP_FANOUT_MODE_LB;
    ringcap_config *cfg = rc_config("rc0", 2);
    ringcap_capture *b = rc_open(cfg);
    uint16_t joined = 0;
    int r = ringcap_capture_fanout_join(b, &same, &joined);
    CHECK(r == 0 && joined == id, "a second socket joins the assigned id (%d, %u): %s", r, joined,
          ringcap_capture_last_error(b));
    send_frames(40);
    unsigned na = rc_count(a), nb = rc_count(b);
    CHECK(na == 20 && nb == 20, "LB over the unique group: %u + %u", na, nb);
    ringcap_capture_close(a);
    ringcap_capture_close(b);

    /* UNIQUEID with an id, unknown mode, unknown flag bits. */
    f.id = 7;
    CHECK(ringcap_config_set_fanout(cfg, &f) == RINGCAP_RESULT_INVALID_ARGUMENT, "UNIQUEID with id 7: %s",
          ringcap_last_error());
    f.id = 0;
    f.flags = 0;
    f.mode = 99;
    CHECK(ringcap_config_set_fanout(cfg, &f) == RINGCAP_RESULT_INVALID_ARGUMENT, "mode 99: %s", ringcap_last_error());
    f.mode = RINGCAP_FANOUT_MODE_HASH;
    f.flags = 0x1;
    CHECK(ringcap_config_set_fanout(cfg, &f) == RINGCAP_RESULT_INVALID_ARGUMENT, "flag 0x1: %s", ringcap_last_error());

    /* Every remaining mode and flag joins. */
    const uint32_t modes[] = {RINGCAP_FANOUT_MODE_CPU, RINGCAP_FANOUT_MODE_RND, RINGCAP_FANOUT_MODE_QM};
    for (unsigned i = 0; i < 3; i++) {
        ringcap_fanout g;
        memset(&g, 0, sizeof g);
        g.id = (uint16_t)(200 + i);
        g.mode = modes[i];
        g.flags = RINGCAP_FANOUT_FLAG_IGNORE_OUTGOING | RINGCAP_FANOUT_FLAG_DEFRAG | RINGCAP_FANOUT_FLAG_ROLLOVER;
        g.max_members = 4;
        REQUIRE(ringcap_config_set_fanout(cfg, &g) == 0, "%s", ringcap_last_error());
        ringcap_capture *h = NULL;
        r = ringcap_capture_open(cfg, &h);
        CHECK(r == 0, "mode %u with IGNORE_OUTGOING|DEFRAG|ROLLOVER and max 4 members joins (%d): %s", modes[i], r,
              ringcap_last_error());
        if (h) {
            send_frames(10);
            unsigned n = rc_count(h);
            CHECK(n == 10, "a one-member group gets everything (%u)", n);
            ringcap_capture_close(h);
        }
    }
    ringcap_config_free(cfg);
}

int main(void) {
    rc_test_netns();
    test_lb();
    test_hash();
    test_rollover();
    test_cbpf();
    test_cbpf_network_offsets();
    test_ebpf();
    test_unique_id_and_flags();
    return rc_test_done();
}
