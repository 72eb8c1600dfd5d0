/*
 * pcap_offline_filter runs the program as its memory holds it at each call,
 * whatever happened to that memory since the last call: instructions changed
 * in place (constants, opcodes, jump offsets, bf_len), a program freed with
 * pcap_freecode or free() and another one put at the same address, programs
 * built by the caller (on the stack, reused by the next call frame), two
 * programs alternating, threads each changing their own program. Compiled
 * against libpcap and against ringcap by tests/pcap_differential.rs; the
 * outputs must be identical. Only programs whose run is defined in libpcap
 * are used (no jump past the end, no division by a zero constant, no
 * unknown opcode: libpcap would run on into memory, trap or abort).
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NPKT = 17, PKTLEN = 200 };
static u_char pkts[NPKT][PKTLEN];
static struct pcap_pkthdr hdrs[NPKT];

/* 16 UDP datagrams (2 to port 9999) and one TCP segment, 60..210 bytes. */
static void make_packets(void) {
    for (int i = 0; i < NPKT; i++) {
        u_char *p = pkts[i];
        int tcp = i == NPKT - 1;
        unsigned len = 14 + 20 + (tcp ? 20 : 8) + (tcp ? 6 : 18 + 10 * (i % 16));
        if (len > PKTLEN) {
            len = PKTLEN;
        }
        memset(p, 0, PKTLEN);
        memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
        p[14] = 0x45;
        p[16] = (u_char)((len - 14) >> 8);
        p[17] = (u_char)(len - 14);
        p[22] = 64;
        p[23] = tcp ? 6 : 17;
        memcpy(p + 26, "\x0a\0\0\x01\x0a\0\0\x02", 8);
        unsigned sport = tcp ? 80 : 40000 + i, dport = tcp ? 1234 : (i == 1 || i == 3) ? 9999 : 5353;
        p[34] = (u_char)(sport >> 8);
        p[35] = (u_char)sport;
        p[36] = (u_char)(dport >> 8);
        p[37] = (u_char)dport;
        /* Every fifth packet captured short: loads past caplen end the filter. */
        hdrs[i].caplen = i % 5 == 4 ? 30 : len;
        hdrs[i].len = len;
    }
}

/* The verdict's class (0, small, snaplen, other). */
static char verdict_class(unsigned v) {
    return v == 0 ? '.' : v == 262144 ? 'S' : v < 10 ? (char)('0' + v) : v == 100 ? 'C' : v == 200 ? 'D' : 'x';
}

/* One character per packet for pcap_offline_filter, then the same for
 * bpf_filter on the program's instructions (which it gets without bf_len). */
static void verdicts(const char *what, const struct bpf_program *fp) {
    char line[NPKT + 1], raw[NPKT + 1];
    for (int i = 0; i < NPKT; i++) {
        line[i] = verdict_class((unsigned)pcap_offline_filter(fp, &hdrs[i], pkts[i]));
        raw[i] = verdict_class(bpf_filter(fp->bf_insns, pkts[i], hdrs[i].len, hdrs[i].caplen));
    }
    line[NPKT] = raw[NPKT] = 0;
    printf("%-44s %s %s\n", what, line, raw);
}

/* The index of the first instruction with this opcode and k, or -1. */
static int find(const struct bpf_program *fp, unsigned code, unsigned k) {
    for (unsigned i = 0; i < fp->bf_len; i++) {
        if (fp->bf_insns[i].code == code && fp->bf_insns[i].k == k) {
            return (int)i;
        }
    }
    return -1;
}

static void in_place(pcap_t *dead) {
    struct bpf_program fp;
    if (pcap_compile(dead, &fp, "udp port 9999 and len > 60", 1, PCAP_NETMASK_UNKNOWN) != 0) {
        printf("compile: %s\n", pcap_geterr(dead));
        return;
    }
    printf("bf_len %u\n", fp.bf_len);
    verdicts("compiled", &fp);
    verdicts("compiled, again", &fp);
    /* Each port compare against 5353 instead of 9999. */
    int j;
    while ((j = find(&fp, BPF_JMP | BPF_JEQ | BPF_K, 9999)) >= 0) {
        fp.bf_insns[j].k = 5353;
    }
    verdicts("port constant changed in place", &fp);
    int ret = find(&fp, BPF_RET | BPF_K, 262144);
    fp.bf_insns[ret].k = 7;
    verdicts("accepting ret changed to 7", &fp);
    /* The length test becomes jge 0 (always true), then jset 1. */
    int len = find(&fp, BPF_JMP | BPF_JGT | BPF_K, 60);
    fp.bf_insns[len].code = BPF_JMP | BPF_JGE | BPF_K;
    fp.bf_insns[len].k = 0;
    verdicts("length jgt 60 -> jge 0", &fp);
    fp.bf_insns[len].code = BPF_JMP | BPF_JSET | BPF_K;
    fp.bf_insns[len].k = 1;
    verdicts("length jge 0 -> jset 1", &fp);
    fp.bf_insns[len].code = BPF_JMP | BPF_JGT | BPF_K;
    fp.bf_insns[len].k = 60;
    verdicts("length back to jgt 60", &fp);
    /* The first instruction: ether type read one byte later. */
    fp.bf_insns[0].k = 13;
    verdicts("first load moved to [13]", &fp);
    fp.bf_insns[0].k = 12;
    verdicts("first load back at [12]", &fp);
    /* A jump offset: the first compare's true branch now lands on the last ret. */
    struct bpf_insn second = fp.bf_insns[1];
    fp.bf_insns[1].k = 0x0800;
    fp.bf_insns[1].jt = (u_char)(fp.bf_len - 1 - 2);
    verdicts("first jeq 0x0800, jt to the last ret", &fp);
    fp.bf_insns[1] = second;
    verdicts("first jeq restored", &fp);
    /* bf_len alone: the program shortened to a lone ldh, then whole again. */
    unsigned whole = fp.bf_len;
    struct bpf_insn first = fp.bf_insns[0];
    fp.bf_insns[0] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 3);
    fp.bf_len = 1;
    verdicts("bf_len 1, ret 3", &fp);
    fp.bf_insns[0] = first;
    fp.bf_len = whole;
    verdicts("bf_len restored", &fp);
    printf("bpf_validate %d\n", bpf_validate(fp.bf_insns, (int)fp.bf_len));
    pcap_freecode(&fp);
}

/* Compiles, runs, frees: the next compile usually gets the same memory. */
static void recompiled(pcap_t *dead) {
    const char *exprs[] = {"udp", "tcp", "udp port 9999", "udp port 5353", "len > 100", "len > 100", "ip", "not ip"};
    for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
        struct bpf_program fp;
        if (pcap_compile(dead, &fp, exprs[i], 1, PCAP_NETMASK_UNKNOWN) != 0) {
            printf("compile %s: %s\n", exprs[i], pcap_geterr(dead));
            continue;
        }
        char what[64];
        snprintf(what, sizeof what, "freecode+compile '%s'", exprs[i]);
        verdicts(what, &fp);
        pcap_freecode(&fp);
    }
}

/* A compiled program copied to malloc'ed memory, freed with free(), and the
 * same size allocated again holding another program. */
static void freed_with_free(pcap_t *dead) {
    const char *exprs[] = {"udp port 9999", "udp port 5353", "udp port 9999"};
    for (size_t i = 0; i < 3; i++) {
        struct bpf_program fp;
        if (pcap_compile(dead, &fp, exprs[i], 1, PCAP_NETMASK_UNKNOWN) != 0) {
            continue;
        }
        struct bpf_program copy = {fp.bf_len, malloc(fp.bf_len * sizeof *fp.bf_insns)};
        memcpy(copy.bf_insns, fp.bf_insns, fp.bf_len * sizeof *fp.bf_insns);
        pcap_freecode(&fp);
        char what[64];
        snprintf(what, sizeof what, "malloc'ed copy of '%s'", exprs[i]);
        verdicts(what, &copy);
        free(copy.bf_insns);
    }
}

/* A program the caller writes in a local array: consecutive calls reuse the
 * same stack slot for different programs. */
static void on_stack(unsigned kind) {
    struct bpf_insn insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100 + 20 * kind, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, kind + 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct bpf_program fp = {4, insns};
    char what[64];
    snprintf(what, sizeof what, "stack program len > %u", 100 + 20 * kind);
    verdicts(what, &fp);
}

/* Arithmetic, scratch memory, X and the packet length: division by X = 0
 * and loads past caplen end the filter with 0 in both. */
static void user_built(void) {
    struct bpf_insn arith[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),  BPF_STMT(BPF_ST, 3),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 7), BPF_STMT(BPF_TAX, 0),
        BPF_STMT(BPF_LD | BPF_MEM, 3),          BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1), BPF_STMT(BPF_RET | BPF_A, 0),
    };
    struct bpf_program fp = {10, arith};
    verdicts("arith, A/X", &fp);
    /* X made 0 in place: the division ends the filter. */
    arith[4].k = 0;
    verdicts("arith, X = 0 in place", &fp);
    arith[4].k = 7;
    arith[7].code = BPF_ALU | BPF_MOD | BPF_X;
    verdicts("arith, div -> mod in place", &fp);
    struct bpf_insn far[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 150),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    fp = (struct bpf_program){2, far};
    verdicts("load at [150]", &fp);
    far[0].k = 10;
    far[1] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 200);
    verdicts("load at [10], ret 200", &fp);
    printf("bpf_validate arith %d far %d\n", bpf_validate(arith, 10), bpf_validate(far, 2));
}

/* bpf_filter gets no length: a program rewritten in place to end earlier
 * (the rest of the buffer still holding the old instructions), to end
 * later, and back, each run as the memory holds it. */
static void without_length(void) {
    struct bpf_insn insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 5),
        BPF_STMT(BPF_RET | BPF_K, 0),
        BPF_STMT(BPF_RET | BPF_K, 6),
    };
    struct bpf_program fp = {4, insns};
    verdicts("len > 100, ret 5", &fp);
    insns[1] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 7);
    verdicts("second instruction now ret 7", &fp);
    insns[1] = (struct bpf_insn)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1);
    verdicts("len > 100 again", &fp);
    /* The jgt's false branch now skips the ret 0 to the ret 6 after it. */
    insns[1].jf = 2;
    fp.bf_len = 5;
    verdicts("jf past the ret 0, to ret 6", &fp);
    /* An instruction no packet reaches (jt 0 never skips it): the same. */
    insns[1].jf = 1;
    insns[3].k = 0;
    insns[4].k = 8;
    verdicts("unreached ret changed to 8", &fp);
}

/* Two programs, alternating on every call. */
static void alternating(pcap_t *dead) {
    struct bpf_program a, b;
    if (pcap_compile(dead, &a, "udp port 9999", 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_compile(dead, &b, "tcp or len > 150", 1, PCAP_NETMASK_UNKNOWN) != 0) {
        return;
    }
    char line[2 * NPKT + 1];
    for (int i = 0; i < NPKT; i++) {
        line[2 * i] = pcap_offline_filter(&a, &hdrs[i], pkts[i]) ? 'a' : '.';
        line[2 * i + 1] = pcap_offline_filter(&b, &hdrs[i], pkts[i]) ? 'b' : '.';
    }
    line[2 * NPKT] = 0;
    printf("alternating %s\n", line);
    pcap_freecode(&a);
    pcap_freecode(&b);
}

struct worker {
    pcap_t *dead;
    const char *expr;
    unsigned long kept[2];
    unsigned long raw[2];
};

/* Each thread runs its own program, then changes its port in place and runs
 * it again, many times: no thread may see another's program. */
static void *work(void *arg) {
    struct worker *w = arg;
    struct bpf_program fp;
    static pthread_mutex_t compile = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&compile);
    int r = pcap_compile(w->dead, &fp, w->expr, 1, PCAP_NETMASK_UNKNOWN);
    pthread_mutex_unlock(&compile);
    if (r != 0) {
        return NULL;
    }
    for (int round = 0; round < 2000; round++) {
        for (unsigned j = 0; j < fp.bf_len; j++) {
            if (fp.bf_insns[j].code == (BPF_JMP | BPF_JEQ | BPF_K) && (fp.bf_insns[j].k == 9999 || fp.bf_insns[j].k == 5353)) {
                fp.bf_insns[j].k = round % 2 ? 5353 : 9999;
            }
        }
        for (int i = 0; i < NPKT; i++) {
            w->kept[round % 2] += pcap_offline_filter(&fp, &hdrs[i], pkts[i]) != 0;
            w->raw[round % 2] += bpf_filter(fp.bf_insns, pkts[i], hdrs[i].len, hdrs[i].caplen) != 0;
        }
    }
    pthread_mutex_lock(&compile);
    pcap_freecode(&fp);
    pthread_mutex_unlock(&compile);
    return NULL;
}

static void threads(pcap_t *dead) {
    struct worker w[3] = {{dead, "udp dst port 9999", {0, 0}, {0, 0}},
                          {dead, "udp src port 9999 or tcp", {0, 0}, {0, 0}},
                          {dead, "len > 120", {0, 0}, {0, 0}}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        printf("thread '%s': kept %lu / %lu, bpf_filter %lu / %lu\n", w[i].expr, w[i].kept[0], w[i].kept[1],
               w[i].raw[0], w[i].raw[1]);
    }
}

int main(void) {
    make_packets();
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    if (!dead) {
        return 1;
    }
    in_place(dead);
    recompiled(dead);
    freed_with_free(dead);
    for (unsigned kind = 0; kind < 4; kind++) {
        on_stack(kind);
    }
    user_built();
    without_length();
    alternating(dead);
    threads(dead);
    pcap_close(dead);
    return 0;
}
