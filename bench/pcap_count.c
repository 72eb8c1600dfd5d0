/*
 * libpcap counter: counts packets in a pcap_loop callback (recording
 * delivery latency of stamped frames) and prints one JSON line.
 *
 *   pcap_count -i IF [--immediate] [-n COUNT] [-I IDLE_MS] [-b BUFFER_BYTES]
 *              [-t TIMEOUT_MS] [-L LATENCY_SAMPLES] [-W WORK_NS]
 *
 * Without options libpcap keeps its defaults (pcap_create + pcap_activate:
 * 2 MB buffer, snaplen 262144, timeout 0, TPACKET_V3); --immediate calls
 * pcap_set_immediate_mode(1), which makes libpcap use TPACKET_V2.
 */
#include "bench_common.h"

#include <getopt.h>
#include <pcap/pcap.h>

static pcap_t *handle;

static void break_capture(void) {
    pcap_breakloop(handle);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)user;
    bench_count++;
    bench_lat_frame(bytes, h->caplen);
    bench_work();
}

int main(int argc, char **argv) {
    const char *ifname = NULL;
    int immediate = 0, opt;
    long long buffer = 0, timeout = -1;
    size_t lat_cap = 1 << 20;
    static const struct option longopts[] = {{"immediate", no_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    char err[PCAP_ERRBUF_SIZE];

    while ((opt = getopt_long(argc, argv, "i:n:I:b:t:L:mW:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'n': bench_limit = strtoull(optarg, NULL, 0); break;
        case 'I': bench_idle_ms = (unsigned)atoi(optarg); break;
        case 'b': buffer = strtoll(optarg, NULL, 0); break;
        case 't': timeout = strtoll(optarg, NULL, 0); break;
        case 'L': lat_cap = strtoull(optarg, NULL, 0); break;
        case 'W': bench_work_ns = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'm': immediate = 1; break;
        default:
            fprintf(stderr, "usage: %s -i IF [--immediate] [-n N] [-I IDLE_MS] [-b BYTES] [-t MS] [-L SAMPLES]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!ifname) {
        fprintf(stderr, "pcap_count: -i IF is required\n");
        return 2;
    }
    bench_lat_init(lat_cap);

    handle = pcap_create(ifname, err);
    if (!handle) {
        fprintf(stderr, "pcap_count: pcap_create: %s\n", err);
        return 1;
    }
    if (immediate) pcap_set_immediate_mode(handle, 1);
    if (buffer > 0) pcap_set_buffer_size(handle, (int)buffer);
    if (timeout >= 0) pcap_set_timeout(handle, (int)timeout);
    int rc = pcap_activate(handle);
    if (rc < 0) {
        fprintf(stderr, "pcap_count: pcap_activate: %s\n", pcap_geterr(handle));
        return 1;
    }

    bench_signals(break_capture);
    double cpu0 = bench_cpu_s();
    uint64_t t0 = bench_now(CLOCK_MONOTONIC);
    bench_ready();

    rc = pcap_loop(handle, bench_limit ? (int)bench_limit : -1, on_packet, NULL);
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_count: pcap_loop: %s\n", pcap_geterr(handle));
        return 1;
    }
    bench_stop_timer();
    double cpu = bench_cpu_s() - cpu0;
    double elapsed = (double)(bench_now(CLOCK_MONOTONIC) - t0) / 1e9;

    struct pcap_stat st;
    memset(&st, 0, sizeof st);
    pcap_stats(handle, &st);
    bench_print_common(immediate ? "pcap-imm" : "pcap", cpu, elapsed);
    /* libpcap's ps_recv already includes ps_drop on Linux (tp_packets + tp_drops). */
    printf(",\"count\":%llu,\"received\":%u,\"dropped\":%u,\"delivered\":%llu,\"buffer_requested\":%lld}\n",
           (unsigned long long)bench_count, st.ps_recv, st.ps_drop, (unsigned long long)bench_count,
           buffer > 0 ? buffer : 2000000);
    fflush(stdout);
    pcap_close(handle);
    return 0;
}
