/*
 * libpcap's live-capture API on ringcap: a program written for libpcap,
 * linked against libringcap, captures what the peer sends.
 */
#include "rc_test.h"

#include <pcap/pcap.h>
#include <pthread.h>

struct seen {
    unsigned got, bad;
    int nano;
    uint8_t src[6], dst[6];
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    struct seen *s = (struct seen *)user;
    uint8_t frame[1514];
    size_t len = rc_frame_size(s->got);
    rc_build_frame(frame, len, s->got, s->dst, s->src);
    if (h->caplen != len || h->len != len || memcmp(bytes, frame, len) != 0 ||
        (unsigned long)h->ts.tv_usec >= (s->nano ? 1000000000ul : 1000000ul)) {
        s->bad++;
    }
    s->got++;
}

static pcap_t *breaker_target;
static void *breaker(void *arg) {
    (void)arg;
    usleep(150000);
    pcap_breakloop(breaker_target);
    return NULL;
}

static void count_by_type(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    unsigned *n = (unsigned *)user;
    n[h->caplen >= 14 && bytes[13] == 0xb6 ? 1 : 0]++;
}

/* A read timeout of 0 waits for ever, as libpcap's: V3 blocks are handed
 * over only when full. A filter set while the block being filled holds
 * packets the old filter accepted neither waits for that block nor lets
 * them out when it fills. */
static void test_timeout_forever(void) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_live("rc0", 262144, 0, 0, errbuf);
    REQUIRE(p != NULL, "open_live to_ms 0: %s", errbuf);
    struct bpf_program prog;
    CHECK(pcap_compile(p, &prog, "ether proto 0x88b5", 1, 0) == 0 && pcap_setfilter(p, &prog) == 0, "filter A");
    pcap_freecode(&prog);
    rc_send_sequence("rc1", "rc0", 0, 5);
    usleep(50000);
    unsigned n[2] = {0, 0};
    CHECK(pcap_setnonblock(p, 1, errbuf) == 0, "nonblock: %s", errbuf);
    CHECK(pcap_dispatch(p, -1, count_by_type, (u_char *)n) == 0 && n[0] == 0, "a part-filled block stays (%u)", n[0]);
    CHECK(pcap_compile(p, &prog, "ether proto 0x88b6", 1, 0) == 0 && pcap_setfilter(p, &prog) == 0, "filter B: %s",
          pcap_geterr(p));
    pcap_freecode(&prog);
    /* 600 frames of 1000 bytes: 240 to a 256 KiB block, so two blocks and
     * part of a third. */
    uint8_t src[6], dst[6], buf[1000];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (unsigned i = 0; i < 600; i++) {
        rc_build_frame(buf, sizeof buf, i, dst, src);
        buf[13] = 0xb6;
        rc_send(fd, buf, sizeof buf);
    }
    close(fd);
    usleep(50000);
    int idle = 0;
    while (idle < 3) {
        int r = pcap_dispatch(p, -1, count_by_type, (u_char *)n);
        REQUIRE(r >= 0, "dispatch: %s", pcap_geterr(p));
        idle = r == 0 ? idle + 1 : 0;
        usleep(10000);
    }
    CHECK(n[0] == 0 && n[1] >= 600 - 241 && n[1] < 600, "only B, from the full blocks: A %u B %u", n[0], n[1]);
    pcap_close(p);
}

int main(void) {
    rc_test_netns();
    char errbuf[PCAP_ERRBUF_SIZE];
    CHECK(strstr(pcap_lib_version(), "ringcap") != NULL, "lib version: %s", pcap_lib_version());
    CHECK(strncmp(pcap_lib_version(), "libpcap version 1.10.3 (", 24) == 0, "lib version starts like libpcap's: %s",
          pcap_lib_version());

    /* Errors the libpcap way. */
    pcap_t *bad = pcap_open_live("nosuch0", 65535, 0, 100, errbuf);
    CHECK(bad == NULL && strstr(errbuf, "nosuch0") != NULL, "open_live unknown device: %s", errbuf);
    pcap_t *p = pcap_create("rc0", errbuf);
    REQUIRE(p != NULL, "create: %s", errbuf);
    CHECK(pcap_datalink(p) == PCAP_ERROR_NOT_ACTIVATED, "datalink before activate");
    CHECK(pcap_set_snaplen(p, 2000) == 0 && pcap_set_timeout(p, 100) == 0 && pcap_set_promisc(p, 1) == 0, "setters");
    CHECK(pcap_set_tstamp_type(p, PCAP_TSTAMP_ADAPTER) == PCAP_WARNING_TSTAMP_TYPE_NOTSUP, "no adapter stamps on veth");
    CHECK(pcap_set_tstamp_precision(p, 7) == PCAP_ERROR_TSTAMP_PRECISION_NOTSUP, "bad precision");
    CHECK(pcap_activate(p) == 0, "activate: %s", pcap_geterr(p));
    CHECK(pcap_activate(p) == PCAP_ERROR_ACTIVATED, "second activate");
    CHECK(pcap_set_snaplen(p, 100) == PCAP_ERROR_ACTIVATED, "set after activate");
    CHECK(pcap_datalink(p) == DLT_EN10MB && pcap_snapshot(p) == 2000, "datalink %d snapshot %d", pcap_datalink(p),
          pcap_snapshot(p));
    int *dlts = NULL;
    int n = pcap_list_datalinks(p, &dlts);
    CHECK(n == 2 && dlts[0] == DLT_EN10MB && dlts[1] == DLT_DOCSIS, "datalinks like libpcap's (%d)", n);
    pcap_free_datalinks(dlts);
    CHECK(strcmp(pcap_datalink_val_to_name(DLT_LINUX_SLL2), "LINUX_SLL2") == 0, "dlt names");
    CHECK(pcap_datalink_name_to_val("en10mb") == DLT_EN10MB, "dlt by name");
    CHECK(pcap_get_selectable_fd(p) >= 0, "selectable fd");
    /* libpcap's pcap_bufsize on a ring is its frame size: a V3 block's
     * one "frame" of MAXIMUM_SNAPLEN. */
    CHECK(pcap_bufsize(p) == 262144, "bufsize %d", pcap_bufsize(p));

    struct seen s;
    memset(&s, 0, sizeof s);
    rc_mac("rc1", s.src);
    rc_mac("rc0", s.dst);
    rc_send_sequence("rc1", "rc0", 0, 50);
    CHECK(pcap_loop(p, 50, on_packet, (u_char *)&s) == 0, "loop: %s", pcap_geterr(p));
    CHECK(s.got == 50 && s.bad == 0, "got %u, %u wrong", s.got, s.bad);

    struct pcap_stat st;
    CHECK(pcap_stats(p, &st) == 0 && st.ps_recv == 50 && st.ps_drop == 0, "stats recv %u drop %u", st.ps_recv,
          st.ps_drop);

    /* next_ex and timeouts. */
    struct pcap_pkthdr *h;
    const u_char *data;
    /* With no traffic a blocking V3 read waits for the first packet, as
     * libpcap's does; a nonblocking one returns 0 at once. */
    CHECK(pcap_setnonblock(p, 1, errbuf) == 0, "nonblock");
    CHECK(pcap_next_ex(p, &h, &data) == 0, "nonblocking next_ex returns 0 with no traffic");
    CHECK(pcap_setnonblock(p, 0, errbuf) == 0, "blocking again");
    rc_send_sequence("rc1", "rc0", 0, 1);
    int r;
    do {
        r = pcap_next_ex(p, &h, &data);
    } while (r == 0);
    CHECK(r == 1 && h->caplen == rc_frame_size(0), "next_ex packet (%d)", r);

    /* Direction: outgoing only sees nothing of the peer's traffic. */
    CHECK(pcap_setdirection(p, PCAP_D_OUT) == 0, "setdirection");
    rc_send_sequence("rc1", "rc0", 0, 3);
    usleep(20000);
    unsigned before = s.got;
    pcap_dispatch(p, -1, on_packet, (u_char *)&s);
    CHECK(s.got == before, "PCAP_D_OUT filters incoming packets");
    pcap_setdirection(p, PCAP_D_INOUT);

    /* breakloop from another thread. */
    breaker_target = p;
    pthread_t t;
    pthread_create(&t, NULL, breaker, NULL);
    CHECK(pcap_loop(p, -1, on_packet, (u_char *)&s) == PCAP_ERROR_BREAK, "breakloop");
    pthread_join(t, NULL);
    pcap_close(p);

    /* "any": cooked headers. */
    p = pcap_open_live("any", 262144, 0, 100, errbuf);
    REQUIRE(p != NULL, "open any: %s", errbuf);
    CHECK(pcap_datalink(p) == DLT_LINUX_SLL, "any is LINUX_SLL (%d)", pcap_datalink(p));
    CHECK(pcap_set_datalink(p, DLT_LINUX_SLL2) == 0 && pcap_datalink(p) == DLT_LINUX_SLL2, "switch to SLL2");
    CHECK(pcap_set_datalink(p, DLT_EN10MB) == PCAP_ERROR, "EN10MB not offered on any: %s", pcap_geterr(p));
    rc_send_sequence("rc1", "rc0", 0, 1);
    do {
        r = pcap_next_ex(p, &h, &data);
    } while (r == 0);
    /* SLL2: protocol, reserved, ifindex, hatype, pkttype, halen, addr; then the payload. */
    CHECK(r == 1 && h->len == rc_frame_size(0) - 14 + 20, "SLL2 length %u", h->len);
    CHECK(data[0] == 0x88 && data[1] == 0xb5, "SLL2 protocol");
    CHECK(data[11] == 6, "SLL2 halen");
    pcap_close(p);
    test_timeout_forever();
    return rc_test_done();
}
