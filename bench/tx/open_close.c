/*
 * pcap_open_live and pcap_close cost: ROUNDS opens and closes of IFACE with
 * tcpdump's arguments (262144, not promiscuous, 1000 ms); prints the median
 * of each in milliseconds. Linked against the system libpcap; bench/tx/
 * open_close.sh runs it as is and on ringcap under LD_PRELOAD.
 * Usage: open_close IFACE ROUNDS
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_ROUNDS 1000

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int n = argc == 3 ? atoi(argv[2]) : 0;
    if (n < 1 || n > MAX_ROUNDS) {
        fprintf(stderr, "usage: open_close IFACE ROUNDS (1 to %d)\n", MAX_ROUNDS);
        return 2;
    }
    static double open_ms[MAX_ROUNDS], close_ms[MAX_ROUNDS];
    char err[PCAP_ERRBUF_SIZE];
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        pcap_t *p = pcap_open_live(argv[1], 262144, 0, 1000, err);
        double t1 = now_ms();
        if (!p) {
            fprintf(stderr, "pcap_open_live: %s\n", err);
            return 1;
        }
        pcap_close(p);
        open_ms[i] = t1 - t0;
        close_ms[i] = now_ms() - t1;
    }
    qsort(open_ms, (size_t)n, sizeof(double), cmp);
    qsort(close_ms, (size_t)n, sizeof(double), cmp);
    printf("%.2f %.2f\n", open_ms[n / 2], close_ms[n / 2]);
    return 0;
}
