/*
 * Savefile reading benchmark program, built once against libpcap and run
 * as it is (stock) or under LD_PRELOAD=libringcap.so (bench/run, scenario
 * "offline"). Prints one JSON line.
 *
 *   offline_read loop FILE [FILTER]   pcap_loop over the file (with pcap_setfilter)
 *   offline_read next FILE            pcap_next_ex over the file
 *   offline_read filter FILE FILTER   the packets are read into memory first, then
 *                                     pcap_offline_filter runs over them 5 times;
 *                                     only that part is timed (filter_cpu_ns)
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long packets, checksum;

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)user;
    packets++;
    checksum += h->caplen + (h->caplen ? bytes[h->caplen - 1] : 0);
}

static long long cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: offline_read loop|next|filter FILE [FILTER]\n");
        return 2;
    }
    const char *mode = argv[1], *expr = argc > 3 ? argv[3] : NULL;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[2], errbuf);
    if (!p) {
        fprintf(stderr, "%s\n", errbuf);
        return 1;
    }
    struct bpf_program fp;
    if (expr && pcap_compile(p, &fp, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "%s\n", pcap_geterr(p));
        return 1;
    }
    long long filter_ns = -1;
    unsigned long kept = 0;
    if (!strcmp(mode, "loop")) {
        if (expr && pcap_setfilter(p, &fp) != 0) {
            fprintf(stderr, "%s\n", pcap_geterr(p));
            return 1;
        }
        if (pcap_loop(p, -1, count, NULL) < 0) {
            fprintf(stderr, "%s\n", pcap_geterr(p));
            return 1;
        }
    } else if (!strcmp(mode, "next")) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int r;
        while ((r = pcap_next_ex(p, &h, &data)) == 1) {
            count(NULL, h, data);
        }
        if (r != PCAP_ERROR_BREAK) {
            fprintf(stderr, "%s\n", pcap_geterr(p));
            return 1;
        }
    } else if (!strcmp(mode, "filter") && expr) {
        enum { SLOT = 128 };
        size_t cap = 1 << 16, n = 0;
        struct pcap_pkthdr *hs = malloc(cap * sizeof *hs);
        u_char *buf = malloc(cap * SLOT);
        struct pcap_pkthdr *h;
        const u_char *data;
        while (hs && buf && pcap_next_ex(p, &h, &data) == 1) {
            if (n == cap) {
                cap *= 2;
                hs = realloc(hs, cap * sizeof *hs);
                buf = realloc(buf, cap * SLOT);
                if (!hs || !buf) {
                    break;
                }
            }
            hs[n] = *h;
            hs[n].caplen = h->caplen < SLOT ? h->caplen : SLOT;
            memcpy(buf + n * SLOT, data, hs[n].caplen);
            n++;
        }
        if (!hs || !buf) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        long long t0 = cpu_ns();
        for (int rep = 0; rep < 5; rep++) {
            for (size_t i = 0; i < n; i++) {
                kept += pcap_offline_filter(&fp, &hs[i], buf + i * SLOT) != 0;
            }
        }
        filter_ns = cpu_ns() - t0;
        packets = 5 * n;
        free(hs);
        free(buf);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("{\"packets\": %lu, \"checksum\": %lu, \"kept\": %lu, \"filter_cpu_ns\": %lld}\n", packets, checksum, kept,
           filter_ns);
    if (expr) {
        pcap_freecode(&fp);
    }
    pcap_close(p);
    return 0;
}
