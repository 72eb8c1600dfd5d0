/*
 * The rest of the libpcap API, compiled against ringcap's own pcap headers
 * (no libpcap-dev needed): dead handles and filters, the bpf_* helpers,
 * savefiles through FILE streams, settings and their errors.
 */
#include "rc_test.h"

#include <pcap.h>
#include <sys/stat.h>

/* Exported by libpcap (and ringcap) but declared in no public header. */
extern char pcap_version[];

static unsigned counted;
static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)user;
    (void)bytes;
    counted += h->caplen > 0;
}

int main(void) {
    rc_test_netns();
    char errbuf[PCAP_ERRBUF_SIZE];
    CHECK(pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf) == 0, "pcap_init");
    CHECK(pcap_init(7, errbuf) == PCAP_ERROR && strstr(errbuf, "Unknown options") != NULL, "pcap_init bad: %s", errbuf);
    CHECK(strcmp(pcap_version, "1.10.3") == 0, "pcap_version %s", pcap_version);

    /* Dead handles: compile, filter, validate, print. */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    REQUIRE(dead != NULL, "open_dead");
    CHECK(pcap_datalink(dead) == DLT_EN10MB && pcap_datalink_ext(dead) == 0, "dead datalink, no extension bits");
    struct bpf_program prog;
    CHECK(pcap_compile(dead, &prog, "udp port 53", 1, PCAP_NETMASK_UNKNOWN) == 0, "compile: %s", pcap_geterr(dead));
    CHECK(bpf_validate(prog.bf_insns, (int)prog.bf_len) == 1, "compiled program validates");
    CHECK(strstr(bpf_image(&prog.bf_insns[0], 0), "ldh") != NULL, "bpf_image: %s", bpf_image(&prog.bf_insns[0], 0));
    bpf_dump(&prog, 1);
    uint8_t dns[60] = {0};
    dns[12] = 0x08; /* IPv4 */
    dns[14] = 0x45;
    dns[23] = 17; /* UDP */
    dns[36] = 0;
    dns[37] = 53; /* dst port 53 */
    struct pcap_pkthdr h = {{0, 0}, sizeof dns, sizeof dns};
    CHECK(pcap_offline_filter(&prog, &h, dns) != 0, "offline filter accepts DNS");
    CHECK(bpf_filter(prog.bf_insns, dns, sizeof dns, sizeof dns) == 65535, "bpf_filter returns the snaplen");
    dns[37] = 80;
    CHECK(pcap_offline_filter(&prog, &h, dns) == 0, "offline filter rejects port 80");
    CHECK(pcap_setfilter(dead, &prog) == PCAP_ERROR, "no filtering on a dead handle: %s", pcap_geterr(dead));
    pcap_freecode(&prog);
    CHECK(prog.bf_insns == NULL && prog.bf_len == 0, "freecode clears the program");
    pcap_freecode(&prog);
    CHECK(pcap_compile(dead, &prog, "tcp port 99999", 1, 0) == PCAP_ERROR, "bad port refused");
    CHECK(strstr(pcap_geterr(dead), "99999") != NULL, "message: %s", pcap_geterr(dead));
    CHECK(pcap_compile(dead, &prog, "host and or", 1, 0) == PCAP_ERROR, "syntax error: %s", pcap_geterr(dead));
    /* pcap_geterr's buffer is the handle's for its whole life, as in
     * libpcap: a pointer taken before a later error still reads (now the
     * later text), never freed memory (this test also runs under valgrind). */
    const char *kept = pcap_geterr(dead);
    CHECK(pcap_setfilter(dead, &prog) == PCAP_ERROR, "another error");
    CHECK(kept == pcap_geterr(dead) && strstr(kept, "filter") != NULL, "the same buffer, the new text: %s", kept);
    CHECK(pcap_compile_nopcap(65535, DLT_EN10MB, &prog, "ip", 1, 0) == 0, "compile_nopcap");
    pcap_freecode(&prog);
    CHECK(pcap_compile_nopcap(65535, DLT_EN10MB, &prog, "ip and (", 1, 0) == PCAP_ERROR, "compile_nopcap error");
    struct bpf_insn bad[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
    CHECK(bpf_validate(bad, 1) == 0, "a program without a return is invalid");
    fprintf(stderr, "(pcap_perror follows) ");
    pcap_perror(dead, "pcap_api");

    /* A savefile written through pcap_dump_fopen, appended to, read back through FILE streams. */
    pcap_t *nano = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    REQUIRE(nano != NULL, "open_dead nano");
    char path[] = "/tmp/ringcap-pcap-api-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp");
    close(fd);
    FILE *f = fopen(path, "wb");
    pcap_dumper_t *d = pcap_dump_fopen(nano, f);
    REQUIRE(d != NULL, "dump_fopen: %s", pcap_geterr(nano));
    CHECK(pcap_dump_file(d) == f, "dump_file is the stream");
    struct pcap_pkthdr ph = {{1700000000, 123456789}, 60, 60};
    uint8_t pkt[60];
    memset(pkt, 0x5a, sizeof pkt);
    pcap_dump((u_char *)d, &ph, pkt);
    pcap_dump((u_char *)d, &ph, pkt);
    CHECK(pcap_dump_ftell64(d) == 24 + 2 * (16 + 60), "ftell64 %lld", (long long)pcap_dump_ftell64(d));
    pcap_dump_close(d);
    d = pcap_dump_open_append(nano, path);
    REQUIRE(d != NULL, "dump_open_append: %s", pcap_geterr(nano));
    pcap_dump((u_char *)d, &ph, pkt);
    pcap_dump_close(d);
    pcap_t *micro = pcap_open_dead(DLT_EN10MB, 65535);
    CHECK(pcap_dump_open_append(micro, path) == NULL && strstr(pcap_geterr(micro), "precision") != NULL,
          "append with another precision is refused: %s", pcap_geterr(micro));
    f = fopen(path, "rb");
    pcap_t *rd = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    REQUIRE(rd != NULL, "fopen_offline: %s", errbuf);
    CHECK(pcap_get_selectable_fd(rd) == fileno(f), "selectable fd is the stream's");
    CHECK(pcap_fileno(rd) == -1, "pcap_fileno of a savefile is -1, as in libpcap");
    const u_char *data = pcap_next(rd, &h);
    CHECK(data != NULL && h.ts.tv_usec == 123456789 && h.caplen == 60, "next: nanosecond stamp kept");
    counted = 0;
    CHECK(pcap_loop(rd, -1, count, NULL) == 0 && counted == 2, "the other two packets (%u)", counted);
    CHECK(pcap_next(rd, &h) == NULL, "next at the end is NULL");
    pcap_close(rd);
    f = fopen(path, "rb");
    rd = pcap_fopen_offline(f, errbuf);
    REQUIRE(rd != NULL, "fopen_offline micro: %s", errbuf);
    data = pcap_next(rd, &h);
    CHECK(data != NULL && h.ts.tv_usec == 123456, "microsecond view of the same file (%ld)", (long)h.ts.tv_usec);
    pcap_close(rd);
    rd = pcap_open_offline(path, errbuf);
    CHECK(rd != NULL && pcap_snapshot(rd) == 65535, "open_offline");
    pcap_close(rd);
    CHECK(pcap_open_offline("/nonexistent/file.pcap", errbuf) == NULL && strstr(errbuf, "No such file") != NULL,
          "missing file: %s", errbuf);
    CHECK(pcap_fopen_offline(NULL, errbuf) == NULL, "NULL stream refused: %s", errbuf);
    unlink(path);

    /* Settings on a live handle, before and after activation. */
    pcap_t *p = pcap_create("rc0", errbuf);
    REQUIRE(p != NULL, "create: %s", errbuf);
    CHECK(pcap_can_set_rfmon(p) == 0, "no monitor mode");
    CHECK(pcap_set_rfmon(p, 0) == 0, "rfmon off");
    CHECK(pcap_set_buffer_size(p, 4 << 20) == 0 && pcap_set_immediate_mode(p, 1) == 0, "buffer and immediate");
    CHECK(pcap_set_protocol_linux(p, 0x88b5) == 0, "protocol");
    CHECK(pcap_set_protocol_linux(p, 0x10000) == PCAP_ERROR, "protocol out of range");
    CHECK(pcap_setnonblock(p, 1, errbuf) == 0 && pcap_getnonblock(p, errbuf) == 1, "nonblock before activation");
    CHECK(pcap_bufsize(p) == PCAP_ERROR_NOT_ACTIVATED, "bufsize before activation");
    int *types = NULL;
    int n = pcap_list_tstamp_types(p, &types);
    CHECK(n == 1 && types[0] == PCAP_TSTAMP_HOST, "host stamps only on veth");
    pcap_free_tstamp_types(types);
    CHECK(pcap_activate(p) == 0, "activate: %s", pcap_geterr(p));
    /* As libpcap's: the size of one ring frame (immediate mode is V2), not
     * of the ring; frames hold an MTU-sized packet at least. */
    CHECK(pcap_bufsize(p) >= 1514 && pcap_bufsize(p) <= 65632, "bufsize %d: a V2 frame's size", pcap_bufsize(p));
    CHECK(pcap_get_required_select_timeout(p) == NULL, "no select timeout needed");
    CHECK(pcap_getnonblock(p, errbuf) == 1, "nonblocking after activation");
    CHECK(pcap_fileno(p) >= 0, "fileno of a live handle");
    CHECK(pcap_compile(p, &prog, "ether proto 0x88b5", 1, 0) == 0 && pcap_setfilter(p, &prog) == 0, "live filter");
    pcap_freecode(&prog);
    rc_send_sequence("rc1", "rc0", 0, 5);
    usleep(50000);
    counted = 0;
    CHECK(pcap_dispatch(p, -1, count, NULL) == 5 && counted == 5, "immediate-mode dispatch got %u", counted);
    pcap_close(p);
    pcap_close(p); /* a second close is harmless */
    CHECK(pcap_datalink(p) == PCAP_ERROR, "closed handle");
    pcap_close(nano);
    pcap_close(micro);
    pcap_close(dead);
    return rc_test_done();
}
