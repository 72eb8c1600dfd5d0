/*
 * Savefiles from the native API: a capture callback writes what it gets to
 * pcap and pcapng dumpers; the files hold exactly the frames sent (checked
 * byte for byte by parsing the pcap file here) and are read back by tcpdump
 * and tshark.
 */
#include "rc_net.h"

#include <sys/stat.h>

#define COUNT 20

struct dumpers {
    ringcap_dumper *pcap, *pcapng;
    unsigned n, write_errors;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct dumpers *d = user;
    d->n++;
    d->write_errors += ringcap_dumper_write(d->pcap, data, m) != 0;
    d->write_errors += ringcap_dumper_write(d->pcapng, data, m) != 0;
}

/* Per-process scratch directory: tests of several checkouts may run at once. */
static char dir[64];

/* `fmt` with every %s replaced by the scratch directory. */
static const char *in_dir(const char *fmt) {
    static char out[8][512];
    static int next;
    char *o = out[next++ % 8];
    size_t at = 0;
    for (const char *f = fmt; *f && at + strlen(dir) + 2 < sizeof out[0]; f++) {
        if (f[0] == '%' && f[1] == 's') {
            at += (size_t)snprintf(o + at, sizeof out[0] - at, "%s", dir);
            f++;
        } else {
            o[at++] = *f;
        }
    }
    o[at] = 0;
    return o;
}

/* Lines printed by a shell command (hex dump lines, which start with a
 * blank, not counted), or -1. */
static int count_lines(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (!p) {
        return -1;
    }
    int lines = 0;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) {
        lines += buf[0] != ' ' && buf[0] != '\t';
    }
    return pclose(p) == 0 ? lines : -1;
}

static uint32_t u32_at(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Parses the pcap file and compares every record with the frame sent. */
static void check_pcap(const char *path) {
    FILE *f = fopen(path, "rb");
    REQUIRE(f != NULL, "open %s", path);
    static uint8_t file[1 << 20];
    size_t size = fread(file, 1, sizeof file, f);
    fclose(f);
    REQUIRE(size >= 24, "pcap header");
    CHECK(u32_at(file) == 0xa1b23c4du && u32_at(file + 16) == 262144 && u32_at(file + 20) == 1,
          "nanosecond magic, the capture's snaplen, LINKTYPE_ETHERNET (%#x %u %u)", u32_at(file), u32_at(file + 16),
          u32_at(file + 20));
    uint8_t src[6], dst[6], want[1514];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    size_t at = 24;
    unsigned records = 0, exact = 0, ts_ok = 0;
    uint64_t now = rc_now_ns() / 1000000000ull;
    while (at + 16 <= size) {
        uint32_t sec = u32_at(file + at), nsec = u32_at(file + at + 4);
        uint32_t caplen = u32_at(file + at + 8), len = u32_at(file + at + 12);
        REQUIRE(at + 16 + caplen <= size, "record %u fits", records);
        size_t want_len = rc_frame_size(records);
        rc_build_frame(want, want_len, records, dst, src);
        exact += caplen == want_len && len == want_len && memcmp(file + at + 16, want, want_len) == 0;
        ts_ok += sec + 60 >= now && sec <= now && nsec < 1000000000u;
        records++;
        at += 16 + caplen;
    }
    CHECK(records == COUNT && exact == COUNT && ts_ok == COUNT && at == size,
          "the pcap file holds the %d frames sent, byte for byte, with their time (%u records, %u exact, %u ts)",
          COUNT, records, exact, ts_ok);
}

static void test_capture_dumpers(void) {
    ringcap_config *cfg = rc_config("rc0", 3);
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    REQUIRE(ringcap_capture_set_filter_expression(h, "ether proto 0x88b5", 0xffffffffu) >= 0, "%s",
            ringcap_last_error());
    struct dumpers d;
    memset(&d, 0, sizeof d);
    int r = ringcap_dumper_open_capture(h, in_dir("%s/rc_dump_test.pcap"), RINGCAP_SAVEFILE_FORMAT_PCAP, &d.pcap);
    REQUIRE(r == 0, "pcap dumper: %s", ringcap_last_error());
    r = ringcap_dumper_open_capture(h, in_dir("%s/rc_dump_test.pcapng"), RINGCAP_SAVEFILE_FORMAT_PCAPNG, &d.pcapng);
    REQUIRE(r == 0, "pcapng dumper: %s", ringcap_last_error());
    rc_send_sequence("rc1", "rc0", 0, COUNT);
    rc_drain(h, on_packet, &d);
    CHECK(d.n == COUNT && d.write_errors == 0, "%u packets written to both files (%u errors)", d.n, d.write_errors);
    CHECK(ringcap_dumper_close(d.pcap) == 0 && ringcap_dumper_close(d.pcapng) == 0, "both dumpers close");
    CHECK(ringcap_dumper_close(d.pcap) == 0, "close is idempotent");
    CHECK(ringcap_dumper_flush(d.pcap) == RINGCAP_RESULT_INVALID_HANDLE, "a closed dumper is refused");
    ringcap_capture_close(h);

    check_pcap(in_dir("%s/rc_dump_test.pcap"));
    int lines = count_lines(in_dir("tcpdump -nn -r %s/rc_dump_test.pcap 2>/dev/null"));
    CHECK(lines == COUNT, "tcpdump reads %d packets from the pcap file (%d)", COUNT, lines);
    lines = count_lines(in_dir("tshark -r %s/rc_dump_test.pcapng -T fields -e frame.number -Y 'eth.type == 0x88b5' 2>/dev/null"));
    CHECK(lines == COUNT, "tshark reads %d Ethernet frames from the pcapng file (%d)", COUNT, lines);
    lines = count_lines(in_dir("tcpdump -nn -r %s/rc_dump_test.pcapng 2>/dev/null"));
    CHECK(lines == COUNT, "tcpdump reads the pcapng file too (%d)", lines);
    /* Same packets, same order, same time stamps in both files. */
    int same = system(in_dir("test \"$(tcpdump -nn -tt -r %s/rc_dump_test.pcap 2>/dev/null)\" = "
                      "\"$(tcpdump -nn -tt -r %s/rc_dump_test.pcapng 2>/dev/null)\""));
    CHECK(same == 0, "pcap and pcapng hold the same packets with the same time stamps");
}

static void test_dgram_is_raw_ip(void) {
    ringcap_config *cfg = rc_config("rc0", 2);
    REQUIRE(ringcap_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "dgram");
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    REQUIRE(ringcap_capture_set_filter_expression(h, "udp", 0xffffffffu) >= 0, "udp filter: %s",
            ringcap_capture_last_error(h));
    struct dumpers d;
    memset(&d, 0, sizeof d);
    REQUIRE(ringcap_dumper_open_capture(h, in_dir("%s/rc_dump_dgram.pcap"), RINGCAP_SAVEFILE_FORMAT_PCAP, &d.pcap) == 0,
            "%s", ringcap_last_error());
    REQUIRE(ringcap_dumper_open_capture(h, in_dir("%s/rc_dump_dgram.pcapng"), RINGCAP_SAVEFILE_FORMAT_PCAPNG, &d.pcapng) ==
                0,
            "%s", ringcap_last_error());
    uint8_t src[6], dst[6], buf[200];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (int i = 0; i < 10; i++) {
        rc_build_udp(buf, 120, dst, src, 0x0a090002u, 0x0a090001u, 4000, (uint16_t)(5000 + i));
        rc_send(fd, buf, 120);
    }
    rc_send_sequence("rc1", "rc0", 0, 5); /* not UDP: filtered out */
    close(fd);
    rc_drain(h, on_packet, &d);
    CHECK(d.n == 10 && d.write_errors == 0, "10 UDP packets written (%u)", d.n);
    ringcap_dumper_close(d.pcap);
    ringcap_dumper_close(d.pcapng);
    ringcap_capture_close(h);
    int lines = count_lines(in_dir("tshark -r %s/rc_dump_dgram.pcapng -T fields -e frame.number -Y 'udp.srcport == 4000 && ip.src == 10.9.0.2' "
                            "2>/dev/null"));
    CHECK(lines == 10, "a SOCK_DGRAM capture is written as raw IP: tshark decodes the 10 datagrams (%d)", lines);
    lines = count_lines(in_dir("tcpdump -nn -r %s/rc_dump_dgram.pcap 'udp port 4000' 2>/dev/null"));
    CHECK(lines == 10, "and tcpdump reads the pcap file as IP (%d)", lines);
}

static void test_errors(void) {
    ringcap_dumper *d = NULL;
    int r = ringcap_dumper_open(in_dir("%s/rc_x.pcap"), 7, 1, 65535, false, &d);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && d == NULL && strstr(ringcap_last_error(), "format 7") != NULL,
          "unknown format (%d): %s", r, ringcap_last_error());
    r = ringcap_dumper_open("/nonexistent-dir/x.pcap", RINGCAP_SAVEFILE_FORMAT_PCAP, 1, 65535, false, &d);
    CHECK(r < 0 && d == NULL && strstr(ringcap_last_error(), "/nonexistent-dir/x.pcap") != NULL,
          "a path that cannot be created (%d): %s", r, ringcap_last_error());
    r = ringcap_dumper_open(NULL, RINGCAP_SAVEFILE_FORMAT_PCAP, 1, 65535, false, &d);
    CHECK(r == RINGCAP_RESULT_NULL_PARAMETER, "NULL path (%d)", r);
    r = ringcap_dumper_open(in_dir("%s/rc_x.pcap"), RINGCAP_SAVEFILE_FORMAT_PCAP, 1, 65535, false, &d);
    REQUIRE(r == 0, "generic pcap dumper: %s", ringcap_last_error());
    CHECK(ringcap_dumper_write(d, NULL, NULL) == RINGCAP_RESULT_NULL_PARAMETER, "NULL meta");
    CHECK(strstr(ringcap_dumper_last_error(d), "meta") != NULL, "the dumper keeps its error: %s",
          ringcap_dumper_last_error(d));
    ringcap_dumper_close(d);
    struct stat st;
    CHECK(stat(in_dir("%s/rc_x.pcap"), &st) == 0 && st.st_size == 24, "a dumper with no packets leaves the bare header");
    ringcap_config *cfg = rc_config("any", 3);
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    r = ringcap_dumper_open_capture(h, in_dir("%s/rc_x.pcap"), RINGCAP_SAVEFILE_FORMAT_PCAP, &d);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_last_error(), "any") != NULL,
          "SOCK_RAW on \"any\" has no single link type (%d): %s", r, ringcap_last_error());
    ringcap_capture_close(h);
}

int main(void) {
    rc_test_netns();
    snprintf(dir, sizeof dir, "/tmp/rc_dumper.XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    rc_write_file("/proc/sys/net/ipv4/ip_forward", "0");
    test_capture_dumpers();
    test_dgram_is_raw_ip();
    test_errors();
    rc_sh(in_dir("rm -rf %s"));
    return rc_test_done();
}
