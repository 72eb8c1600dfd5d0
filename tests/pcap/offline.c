/*
 * Savefile round trip through the pcap API: read each file given (in the
 * precision given), print every packet, copy it with pcap_dump, and read
 * the copy back. Compiled against libpcap and against ringcap by
 * tests/pcap_differential.rs; the outputs must be identical.
 * Usage: offline micro|nano OUTDIR FILE...
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static void print_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)user;
    printf("  %ld.%09ld caplen %u len %u:", (long)h->ts.tv_sec, (long)h->ts.tv_usec, h->caplen, h->len);
    for (unsigned i = 0; i < h->caplen && i < 64; i++) {
        printf("%02x", bytes[i]);
    }
    printf("\n");
}

static int read_file(const char *path, unsigned precision, const char *copy) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, precision, errbuf);
    if (!p) {
        printf("open %s: error: %s\n", strrchr(path, '/') ? strrchr(path, '/') + 1 : path, errbuf);
        return 0;
    }
    printf("file dlt %d snap %d swapped %d version %d.%d precision %d file %s\n", pcap_datalink(p), pcap_snapshot(p),
           pcap_is_swapped(p), pcap_major_version(p), pcap_minor_version(p), pcap_get_tstamp_precision(p),
           pcap_file(p) ? "yes" : "no");
    struct pcap_stat st;
    printf("stats %d\n", pcap_stats(p, &st));
    pcap_dumper_t *d = copy ? pcap_dump_open(p, copy) : NULL;
    struct pcap_pkthdr *h;
    const u_char *data;
    int r, n = 0;
    while ((r = pcap_next_ex(p, &h, &data)) == 1) {
        print_packet(NULL, h, data);
        if (d) {
            pcap_dump((u_char *)d, h, data);
        }
        n++;
    }
    printf("next_ex end %d after %d packets: %s\n", r, n, r == -1 ? pcap_geterr(p) : "");
    if (d) {
        printf("ftell %ld flush %d\n", pcap_dump_ftell(d), pcap_dump_flush(d));
        pcap_dump_close(d);
    }
    pcap_close(p);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        return 2;
    }
    unsigned precision = strcmp(argv[1], "nano") == 0 ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    for (int i = 3; i < argc; i++) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s/copy-%d.pcap", argv[2], i);
        printf("== %s\n", strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i]);
        if (read_file(argv[i], precision, copy)) {
            printf("-- copy\n");
            read_file(copy, precision, NULL);
            /* loop and dispatch over the copy too */
            char errbuf[PCAP_ERRBUF_SIZE];
            pcap_t *p = pcap_open_offline_with_tstamp_precision(copy, precision, errbuf);
            printf("loop %d\n", pcap_loop(p, 3, print_packet, NULL));
            printf("dispatch %d\n", pcap_dispatch(p, -1, print_packet, NULL));
            printf("dispatch at end %d\n", pcap_dispatch(p, -1, print_packet, NULL));
            pcap_close(p);
        }
    }
    printf("bad precision: %p\n", (void *)pcap_open_offline_with_tstamp_precision(argv[3], 7, (char[PCAP_ERRBUF_SIZE]){0}));
    return 0;
}
