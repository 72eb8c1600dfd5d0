/*
 * ringcap counter: opens a ringcap capture, counts packets in the callback
 * (recording delivery latency of stamped frames), and prints one JSON line.
 *
 *   rc_count -i IF [-n COUNT] [-I IDLE_MS] [-V 1|2|3] [-b BUFFER_BYTES]
 *            [-B BLOCK_TIMEOUT_MS] [-F FANOUT_GROUP] [-M lb|cpu|hash]
 *            [-s SNAPLEN] [-L LATENCY_SAMPLES] [-C THRESHOLD:SLEEP_US] [-W WORK_NS]
 *
 * Without -V, -b, -B, -C the configuration is ringcap's default.
 *
 * -C emulates, on top of the current API, the adaptive wake-up coalescing
 * proposed in bench/ANALYSIS.md: after a dispatch that delivered at least
 * THRESHOLD packets (the ring is busy), sleep SLEEP_US before the next one,
 * so several retired blocks are drained per wake-up instead of one wake-up
 * per block; sparse traffic (small dispatches) still wakes at each block.
 *
 * Fanout: -F joins the group through ringcap_config_set_fanout().
 */
#include "bench_common.h"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include "ringcap.h"

static ringcap_capture *handle;

static void break_capture(void) {
    ringcap_capture_breakloop(handle);
}

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *meta) {
    (void)user;
    bench_count++;
    bench_lat_frame(data, meta->caplen);
    bench_work();
}

static void die(const char *what, int rc) {
    fprintf(stderr, "rc_count: %s: %s (%s)\n", what, ringcap_strerror(rc), ringcap_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    const char *ifname = NULL;
    int version = 0, fanout_group = -1, fanout_mode = RINGCAP_FANOUT_MODE_LB, opt;
    long long buffer = 0, block_tov = -1, snaplen = 0;
    size_t lat_cap = 1 << 20;
    long coalesce_threshold = 0, coalesce_us = 0, hold_ms = 0, stall_ms = 0;

    while ((opt = getopt(argc, argv, "i:n:I:V:b:B:F:M:s:L:C:W:H:D:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'n': bench_limit = strtoull(optarg, NULL, 0); break;
        case 'I': bench_idle_ms = (unsigned)atoi(optarg); break;
        case 'V': version = atoi(optarg); break;
        case 'b': buffer = strtoll(optarg, NULL, 0); break;
        case 'B': block_tov = strtoll(optarg, NULL, 0); break;
        case 'F': fanout_group = atoi(optarg); break;
        case 'M':
            fanout_mode = !strcmp(optarg, "cpu") ? RINGCAP_FANOUT_MODE_CPU
                          : !strcmp(optarg, "hash") ? RINGCAP_FANOUT_MODE_HASH
                                                    : RINGCAP_FANOUT_MODE_LB;
            break;
        case 's': snaplen = strtoll(optarg, NULL, 0); break;
        case 'L': lat_cap = strtoull(optarg, NULL, 0); break;
        case 'W': bench_work_ns = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'H': hold_ms = strtol(optarg, NULL, 0); break;
        case 'D': stall_ms = strtol(optarg, NULL, 0); break;
        case 'C':
            if (sscanf(optarg, "%ld:%ld", &coalesce_threshold, &coalesce_us) != 2 || coalesce_threshold <= 0) {
                fprintf(stderr, "rc_count: -C wants THRESHOLD:SLEEP_US\n");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: %s -i IF [-n N] [-I IDLE_MS] [-V VER] [-b BYTES] [-B MS] [-F GROUP] [-M MODE] "
                            "[-s SNAPLEN] [-L SAMPLES] [-C THRESHOLD:SLEEP_US] [-H HOLD_MS] [-D STALL_MS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!ifname) {
        fprintf(stderr, "rc_count: -i IF is required\n");
        return 2;
    }
    bench_lat_init(lat_cap);

    ringcap_config *cfg = ringcap_config_new();
    int rc = ringcap_config_set_interface(cfg, ifname);
    if (rc < 0) die("interface", rc);
    if (version && (rc = ringcap_config_set_version(cfg, version)) < 0) die("version", rc);
    if (buffer > 0 && (rc = ringcap_config_set_buffer_size(cfg, (size_t)buffer)) < 0) die("buffer", rc);
    if (block_tov >= 0 && (rc = ringcap_config_set_block_timeout(cfg, (uint32_t)block_tov)) < 0) die("timeout", rc);
    if (snaplen > 0 && (rc = ringcap_config_set_snaplen(cfg, (uint32_t)snaplen)) < 0) die("snaplen", rc);
    if (hold_ms > 0 && (rc = ringcap_config_set_hold_time(cfg, (uint32_t)hold_ms)) < 0) die("hold time", rc);
    if (fanout_group >= 0) {
        ringcap_fanout f;
        memset(&f, 0, sizeof f);
        f.id = (uint16_t)fanout_group;
        f.mode = (uint32_t)fanout_mode;
        if ((rc = ringcap_config_set_fanout(cfg, &f)) < 0) die("fanout", rc);
    }
    rc = ringcap_capture_open(cfg, &handle);
    if (rc < 0) die("open", rc);
    ringcap_config_free(cfg);

    ringcap_ring_info ri;
    ringcap_capture_ring_info(handle, &ri);

    bench_signals(break_capture);
    double cpu0 = bench_cpu_s();
    uint64_t t0 = bench_now(CLOCK_MONOTONIC);
    bench_ready();
    if (stall_ms > 0) {
        /* A reader that does not read for a while: what the ring holds. */
        struct timespec ts = {stall_ms / 1000, (stall_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }

    while (!bench_stop) {
        int32_t budget = -1;
        if (bench_limit) {
            if (bench_count >= bench_limit) break;
            uint64_t left = bench_limit - bench_count;
            budget = left > INT32_MAX ? INT32_MAX : (int32_t)left;
        }
        rc = ringcap_capture_dispatch(handle, budget, on_packet, NULL);
        if (rc == RINGCAP_RESULT_BREAK) break;
        if (rc < 0) die("dispatch", rc);
        if (coalesce_threshold && rc >= coalesce_threshold) {
            struct timespec ts = {0, coalesce_us * 1000};
            nanosleep(&ts, NULL); /* SIGTERM/SIGALRM cut it short; the loop checks bench_stop */
        }
    }
    bench_stop_timer();
    double cpu = bench_cpu_s() - cpu0;
    double elapsed = (double)(bench_now(CLOCK_MONOTONIC) - t0) / 1e9;

    ringcap_stats st;
    memset(&st, 0, sizeof st);
    ringcap_capture_stats(handle, &st);
    bench_print_common(version == 1 ? "ringcap-v1" : version == 2 ? "ringcap-v2" : "ringcap", cpu, elapsed);
    printf(",\"coalesce_threshold\":%ld,\"coalesce_us\":%ld", coalesce_threshold, coalesce_us);
    printf(",\"count\":%llu,\"received\":%llu,\"dropped\":%llu,\"delivered\":%llu,\"freeze\":%llu,"
           "\"ring_version\":%u,\"ring_bytes\":%zu,\"ring_requested\":%zu,\"block_size\":%u,\"block_nr\":%u,"
           "\"frame_size\":%u,\"frame_nr\":%u,\"locked\":%s,\"fanout\":%d}\n",
           (unsigned long long)bench_count, (unsigned long long)st.received, (unsigned long long)st.dropped,
           (unsigned long long)st.delivered, (unsigned long long)st.freeze_count, ri.version, ri.ring_bytes,
           buffer > 0 ? (size_t)buffer : (size_t)(8 << 20), ri.block_size, ri.block_nr, ri.frame_size, ri.frame_nr,
           ri.memory_locked ? "true" : "false", fanout_group);
    fflush(stdout);
    ringcap_capture_close(handle);
    return 0;
}
