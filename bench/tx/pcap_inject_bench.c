/*
 * Baseline for bench/tx: sends COUNT copies of one SIZE-byte Ethernet frame
 * with libpcap's pcap_inject (one send() per packet). Linked against the
 * system libpcap, never ringcap.
 * Usage: pcap_inject_bench IFACE COUNT SIZE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: pcap_inject_bench IFACE COUNT SIZE\n");
        return 2;
    }
    unsigned long count = strtoul(argv[2], NULL, 10);
    size_t size = strtoul(argv[3], NULL, 10);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_create(argv[1], err);
    if (!p || pcap_activate(p) < 0) {
        fprintf(stderr, "pcap: %s\n", p ? pcap_geterr(p) : err);
        return 1;
    }
    uint8_t frame[2048];
    if (bench_frame(argv[1], frame, size) != 0) {
        return 1;
    }
    uint64_t t0 = bench_now_ns();
    unsigned long retries = 0;
    for (unsigned long i = 0; i < count; i++) {
        while (pcap_inject(p, frame, size) != (int)size) {
            if (errno != ENOBUFS && errno != EAGAIN) {
                fprintf(stderr, "pcap_inject: %s\n", pcap_geterr(p));
                return 1;
            }
            retries++;
        }
    }
    uint64_t t1 = bench_now_ns();
    printf("sent %lu elapsed_ns %llu retries %lu\n", count, (unsigned long long)(t1 - t0), retries);
    pcap_close(p);
    return 0;
}
