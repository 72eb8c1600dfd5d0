/*
 * pcap_offline_filter reads only the bf_len instructions it is given: a
 * jump or fall past them rejects the packet instead of running whatever
 * memory follows. Each program sits at the very end of a page followed by
 * an inaccessible one, so a read past bf_len is a SIGSEGV, not a silent
 * pass. Then savefile reading through pcap_loop, pcap_next_ex and
 * pcap_file on a file written here.
 */
#include "rc_test.h"

#include <pcap.h>
#include <sys/mman.h>

/* `n` instructions ending exactly where an inaccessible page starts. */
static struct bpf_insn *at_page_end(const struct bpf_insn *insns, size_t n) {
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *mem = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED, "mmap");
    REQUIRE(mprotect(mem + page, (size_t)page, PROT_NONE) == 0, "mprotect");
    struct bpf_insn *at = (struct bpf_insn *)(mem + page) - n;
    memcpy(at, insns, n * sizeof *insns);
    return at;
}

static unsigned counted, bytes;
static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data) {
    (void)user;
    counted++;
    bytes += h->caplen + data[h->caplen - 1];
}

int main(void) {
    uint8_t pkt[64] = {0};
    pkt[12] = 0x08;
    struct pcap_pkthdr h = {{0, 0}, sizeof pkt, sizeof pkt};

    struct bpf_insn accept[] = {BPF_STMT(BPF_RET | BPF_K, 96)};
    struct bpf_program fp = {1, at_page_end(accept, 1)};
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 96, "a one-instruction program runs");

    struct bpf_insn far[] = {BPF_STMT(BPF_JMP | BPF_JA, 1000)};
    fp = (struct bpf_program){1, at_page_end(far, 1)};
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 0, "ja past bf_len rejects");

    struct bpf_insn cond[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 200, 0),
                              BPF_STMT(BPF_RET | BPF_K, 0)};
    fp = (struct bpf_program){3, at_page_end(cond, 3)};
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 0, "jeq's true branch past bf_len rejects");
    pkt[12] = 0x86;
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 0, "jeq's false branch in range runs");

    /* The same instructions with bf_len cut short: the program falls off its end. */
    fp.bf_len = 1;
    fp.bf_insns = at_page_end(cond, 1);
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 0, "falling past bf_len rejects");
    fp.bf_len = 0;
    CHECK(pcap_offline_filter(&fp, &h, pkt) == 0, "an empty program rejects");

    /* A program freed and another compiled in its place is not mistaken for the first. */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    REQUIRE(dead != NULL, "open_dead");
    pkt[12] = 0x08;
    pkt[13] = 0x06;
    struct bpf_program arp, ip;
    REQUIRE(pcap_compile(dead, &arp, "arp", 1, PCAP_NETMASK_UNKNOWN) == 0, "compile arp");
    CHECK(pcap_offline_filter(&arp, &h, pkt) != 0, "arp program accepts ARP");
    pcap_freecode(&arp);
    REQUIRE(pcap_compile(dead, &ip, "ip", 1, PCAP_NETMASK_UNKNOWN) == 0, "compile ip");
    CHECK(pcap_offline_filter(&ip, &h, pkt) == 0, "ip program rejects ARP");
    pcap_freecode(&ip);

    /* A savefile of 1000 packets read whole, by pcap_loop and by pcap_next_ex. */
    char path[] = "/tmp/ringcap-pcap-offline-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp");
    close(fd);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    REQUIRE(d != NULL, "dump_open: %s", pcap_geterr(dead));
    unsigned want = 0;
    for (unsigned i = 0; i < 1000; i++) {
        struct pcap_pkthdr ph = {{1700000000 + (time_t)i, 0}, 14 + i % 50, 100};
        pkt[ph.caplen - 1] = (uint8_t)i;
        want += ph.caplen + (uint8_t)i;
        pcap_dump((u_char *)d, &ph, pkt);
    }
    pcap_dump_close(d);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *rd = pcap_open_offline(path, errbuf);
    REQUIRE(rd != NULL, "open_offline: %s", errbuf);
    CHECK(pcap_loop(rd, -1, count, NULL) == 0 && counted == 1000 && bytes == want, "pcap_loop: %u packets", counted);
    pcap_close(rd);
    rd = pcap_open_offline(path, errbuf);
    REQUIRE(rd != NULL, "open_offline: %s", errbuf);
    struct pcap_pkthdr *hp;
    const u_char *data, *first = NULL;
    unsigned n = 0, sum = 0;
    int r;
    while ((r = pcap_next_ex(rd, &hp, &data)) == 1) {
        first = first ? first : data;
        sum += hp->caplen + data[hp->caplen - 1];
        if (++n == 500) {
            /* Half-way, the stream is where libpcap's would be. */
            CHECK(ftell(pcap_file(rd)) == 24 + 500 * (16 + 14) + 10 * (49 * 50 / 2),
                  "ftell after 500 packets: %ld", ftell(pcap_file(rd)));
        }
    }
    CHECK(r == PCAP_ERROR_BREAK && n == 1000 && sum == want, "pcap_next_ex: %u packets, end %d", n, r);
    pcap_close(rd);
    unlink(path);
    pcap_close(dead);
    return rc_test_done();
}
