/*
 * ringcap's side of bench/tx: sends COUNT copies of one SIZE-byte frame
 * through a TX ring, written in place (ringcap_tx_frame + memcpy +
 * ringcap_tx_commit), with the library's automatic batching, then flushes.
 * Usage: ringcap_tx_bench IFACE COUNT SIZE [bypass 0|1] [version 1|2|3]
 *                         [batch frames, -1 = default] [ring bytes, 0 = default]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "ringcap.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ringcap_tx_bench IFACE COUNT SIZE [bypass] [version] [batch] [ring bytes]\n");
        return 2;
    }
    unsigned long count = strtoul(argv[2], NULL, 10);
    size_t size = strtoul(argv[3], NULL, 10);
    int bypass = argc > 4 ? atoi(argv[4]) : 0;
    int version = argc > 5 ? atoi(argv[5]) : 0;
    long batch = argc > 6 ? atol(argv[6]) : -1;
    size_t ring = argc > 7 ? strtoul(argv[7], NULL, 10) : 0;
    ringcap_tx_config *cfg = ringcap_tx_config_new();
    if (ringcap_tx_config_set_interface(cfg, argv[1]) != 0 || ringcap_tx_config_set_qdisc_bypass(cfg, bypass) != 0 ||
        (version && ringcap_tx_config_set_version(cfg, version) != 0) ||
        (batch >= 0 && ringcap_tx_config_set_batch(cfg, (uint32_t)batch) != 0) ||
        (ring && ringcap_tx_config_set_buffer_size(cfg, ring) != 0)) {
        fprintf(stderr, "config: %s\n", ringcap_last_error());
        return 1;
    }
    ringcap_tx *tx = NULL;
    if (ringcap_tx_open(cfg, &tx) < 0) {
        fprintf(stderr, "open: %s\n", ringcap_tx_config_last_error(cfg));
        return 1;
    }
    ringcap_tx_config_free(cfg);
    uint8_t frame[2048];
    if (bench_frame(argv[1], frame, size) != 0) {
        return 1;
    }
    uint64_t t0 = bench_now_ns();
    for (unsigned long i = 0; i < count; i++) {
        uint8_t *buf;
        size_t room;
        if (ringcap_tx_frame(tx, &buf, &room) != 0) {
            fprintf(stderr, "frame: %s\n", ringcap_tx_last_error(tx));
            return 1;
        }
        memcpy(buf, frame, size);
        if (ringcap_tx_commit(tx, size) != 0) {
            fprintf(stderr, "commit: %s\n", ringcap_tx_last_error(tx));
            return 1;
        }
    }
    if (ringcap_tx_flush(tx) != 0) {
        fprintf(stderr, "flush: %s\n", ringcap_tx_last_error(tx));
        return 1;
    }
    uint64_t t1 = bench_now_ns();
    ringcap_tx_counters st;
    ringcap_tx_stats(tx, &st);
    ringcap_ring_info info;
    ringcap_tx_ring_info(tx, &info);
    printf("sent %lu elapsed_ns %llu kicks %llu ring_full %llu send_errors %llu frames %u x %u\n", count,
           (unsigned long long)(t1 - t0), (unsigned long long)st.kicks, (unsigned long long)st.ring_full,
           (unsigned long long)st.send_errors, info.frame_nr, info.frame_size);
    return ringcap_tx_close(tx) == 0 ? 0 : 1;
}
