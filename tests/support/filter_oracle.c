/*
 * Reference oracle for the filter differential test: compiles expressions
 * with the system libpcap and runs them on packets. It runs as a separate
 * process so that libpcap is never linked into a Rust test binary (ringcap
 * exports pcap_* symbols of its own, which would interpose).
 *
 * Protocol on stdin, one command per line:
 *   R                          forget all packets
 *   P <wirelen> <hex bytes>    add a packet (caplen = number of bytes)
 *   E <dlt> <snaplen> <netmask> <expr>
 *       prints "ERR <message>" or "OK <insn count> <ret,ret,...>"
 *       (one filter return value per packet, in order)
 *   U <dlt> <snaplen> <netmask> <expr>
 *       the same without libpcap's optimizer
 *   D <dlt> <snaplen> <netmask> <optimize> <mode> <expr>
 *       prints the program like tcpdump -d (mode 1), -dd (2), -ddd (3),
 *       then a line "END"; or "ERR <message>" and "END".
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct packet {
    unsigned char *data;
    unsigned caplen, wirelen;
};

static struct packet *packets;
static size_t npackets, cap;

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void add_packet(char *line) {
    char *end;
    unsigned long wirelen = strtoul(line, &end, 10);
    while (*end == ' ') end++;
    size_t n = strlen(end);
    while (n > 0 && (end[n - 1] == '\n' || end[n - 1] == '\r')) n--;
    if (npackets == cap) {
        cap = cap ? cap * 2 : 64;
        packets = realloc(packets, cap * sizeof *packets);
        if (!packets) exit(2);
    }
    struct packet *p = &packets[npackets++];
    p->data = malloc(n / 2 + 1);
    if (!p->data) exit(2);
    p->caplen = (unsigned)(n / 2);
    p->wirelen = (unsigned)wirelen;
    for (size_t i = 0; i < n / 2; i++)
        p->data[i] = (unsigned char)(hexval(end[2 * i]) * 16 + hexval(end[2 * i + 1]));
}

static void reset(void) {
    for (size_t i = 0; i < npackets; i++) free(packets[i].data);
    npackets = 0;
}

static char *chomp(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int compile(int dlt, int snaplen, unsigned netmask, int optimize, const char *expr,
                   struct bpf_program *prog, pcap_t **out) {
    pcap_t *p = pcap_open_dead(dlt, snaplen);
    if (!p) {
        printf("ERR pcap_open_dead failed\n");
        return -1;
    }
    if (pcap_compile(p, prog, expr, optimize, netmask) != 0) {
        /* One line per answer: some of libpcap's messages end in a newline. */
        printf("ERR %s\n", chomp(pcap_geterr(p)));
        pcap_close(p);
        return -1;
    }
    *out = p;
    return 0;
}

static void evaluate(char *args, int optimize) {
    int dlt, snaplen, consumed = 0;
    unsigned netmask;
    if (sscanf(args, "%d %d %u %n", &dlt, &snaplen, &netmask, &consumed) < 3) {
        printf("ERR bad command\n");
        return;
    }
    struct bpf_program prog;
    pcap_t *p;
    if (compile(dlt, snaplen, netmask, optimize, chomp(args + consumed), &prog, &p) != 0) return;
    printf("OK %u ", prog.bf_len);
    for (size_t i = 0; i < npackets; i++) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.caplen = packets[i].caplen;
        h.len = packets[i].wirelen;
        printf("%s%d", i ? "," : "", pcap_offline_filter(&prog, &h, packets[i].data));
    }
    printf("\n");
    pcap_freecode(&prog);
    pcap_close(p);
}

static void dump(char *args) {
    int dlt, snaplen, optimize, mode, consumed = 0;
    unsigned netmask;
    if (sscanf(args, "%d %d %u %d %d %n", &dlt, &snaplen, &netmask, &optimize, &mode, &consumed) < 5) {
        printf("ERR bad command\nEND\n");
        return;
    }
    struct bpf_program prog;
    pcap_t *p;
    if (compile(dlt, snaplen, netmask, optimize, chomp(args + consumed), &prog, &p) == 0) {
        fflush(stdout);
        bpf_dump(&prog, mode);
        fflush(stdout);
        pcap_freecode(&prog);
        pcap_close(p);
    }
    printf("END\n");
}

int main(void) {
    static char line[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        switch (line[0]) {
        case 'R': reset(); break;
        case 'P': add_packet(line + 2); break;
        case 'E': evaluate(line + 2, 1); break;
        case 'U': evaluate(line + 2, 0); break;
        case 'D': dump(line + 2); break;
        default: break;
        }
        fflush(stdout);
    }
    reset();
    free(packets);
    return 0;
}
