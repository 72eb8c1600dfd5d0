/*
 * Shared by the capture benchmark programs: stopping (SIGTERM, packet
 * count, idle timeout), the latency stamp carried in test payloads, CPU and
 * memory self-measurement, and the one-line JSON result.
 *
 * Every capture program prints "ready" on stderr once its socket is bound
 * (the driver starts traffic only then) and exactly one line starting with
 * "{" on stdout when it stops.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The latency stamp follows the 14-byte Ethernet header of a test frame. */
#define BENCH_ETHERTYPE 0x88b5
#define BENCH_MAGIC 0x52434c54u /* "RCLT" */
#define BENCH_STAMP_OFFSET 14
#define BENCH_STAMP_LEN 20 /* magic u32, seq u32, clock u32, ns u64 (host order) */

struct bench_stamp {
    uint32_t magic;
    uint32_t seq;
    uint32_t clock;
    uint64_t ns;
} __attribute__((packed));

static inline uint64_t bench_now(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- latency samples --------------------------------------------------- */

static uint32_t *bench_lat __attribute__((unused)); /* delivery latencies in ns, capped at 4.29 s */
static size_t bench_lat_n __attribute__((unused)), bench_lat_cap __attribute__((unused));

static inline void bench_lat_init(size_t cap) {
    bench_lat_cap = cap;
    bench_lat = calloc(cap ? cap : 1, sizeof *bench_lat);
    if (!bench_lat) {
        perror("calloc");
        exit(1);
    }
}

/* Records the delivery latency of a frame that carries a stamp. */
static inline void bench_lat_frame(const uint8_t *frame, size_t caplen) {
    if (caplen < BENCH_STAMP_OFFSET + BENCH_STAMP_LEN || bench_lat_n >= bench_lat_cap) {
        return;
    }
    struct bench_stamp s;
    memcpy(&s, frame + BENCH_STAMP_OFFSET, sizeof s);
    if (s.magic != BENCH_MAGIC) {
        return;
    }
    uint64_t now = bench_now((clockid_t)s.clock);
    uint64_t d = now > s.ns ? now - s.ns : 0;
    bench_lat[bench_lat_n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static __attribute__((unused)) int bench_u32_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static inline double bench_pct(double p) {
    if (bench_lat_n == 0) {
        return -1;
    }
    size_t i = (size_t)(p * (double)(bench_lat_n - 1) + 0.5);
    return bench_lat[i] / 1000.0;
}

/* ---- simulated consumer work ----------------------------------------- */

static unsigned bench_work_ns __attribute__((unused)); /* -W: busy work per packet, to make the consumer the bottleneck */

static inline void bench_work(void) {
    if (bench_work_ns) {
        uint64_t end = bench_now(CLOCK_MONOTONIC) + bench_work_ns;
        while (bench_now(CLOCK_MONOTONIC) < end) {
        }
    }
}

/* ---- stopping ---------------------------------------------------------- */

static volatile sig_atomic_t bench_stop __attribute__((unused));
static volatile uint64_t bench_count __attribute__((unused));   /* packets seen by the callback */
static uint64_t bench_limit __attribute__((unused));            /* stop after this many (0: no limit) */
static unsigned bench_idle_ms __attribute__((unused));          /* stop this long after the last packet (0: never) */
static void (*bench_break_fn)(void) __attribute__((unused));    /* ends the capture loop; async-signal-safe */

static __attribute__((unused)) void bench_on_term(int sig) {
    (void)sig;
    bench_stop = 1;
    if (bench_break_fn) {
        bench_break_fn();
    }
}

/* Idle check every 50 ms from SIGALRM: the capture loops may block forever. */
static __attribute__((unused)) void bench_on_alarm(int sig) {
    static uint64_t last;
    static unsigned quiet_ms;
    (void)sig;
    uint64_t c = bench_count;
    if (c != last || c == 0) {
        last = c;
        quiet_ms = 0;
        return;
    }
    quiet_ms += 50;
    if (bench_idle_ms && quiet_ms >= bench_idle_ms) {
        bench_on_term(sig);
    }
}

static inline void bench_signals(void (*break_fn)(void)) {
    bench_break_fn = break_fn;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (bench_idle_ms) {
        sa.sa_handler = bench_on_alarm;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = {{0, 50000}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
}

static inline void bench_stop_timer(void) {
    struct itimerval it = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- CPU and memory ---------------------------------------------------- */

static inline double bench_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS and VmHWM from /proc/self/status, in KiB. */
static inline void bench_rss(long *rss_kb, long *hwm_kb) {
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    *rss_kb = *hwm_kb = -1;
    if (!f) {
        return;
    }
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", rss_kb);
        sscanf(line, "VmHWM: %ld", hwm_kb);
    }
    fclose(f);
}

/* Bytes of this process's mappings of sockets: the packet rings. */
static inline unsigned long long bench_socket_maps(void) {
    char line[512];
    unsigned long long total = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        if (strstr(line, "socket:[") && sscanf(line, "%llx-%llx", &a, &b) == 2) {
            total += b - a;
        }
    }
    fclose(f);
    return total;
}

static inline void bench_ready(void) {
    fprintf(stderr, "ready\n");
    fflush(stderr);
}

/*
 * Prints the common part of the result line (without the closing brace):
 * the caller appends its own fields and "}\n".
 */
static inline void bench_print_common(const char *tool, double cpu_s, double elapsed_s) {
    long rss, hwm;
    bench_rss(&rss, &hwm);
    if (bench_lat_n) {
        qsort(bench_lat, bench_lat_n, sizeof *bench_lat, bench_u32_cmp);
    }
    printf("{\"tool\":\"%s\",\"cpu_s\":%.6f,\"elapsed_s\":%.6f,\"rss_kb\":%ld,\"hwm_kb\":%ld,"
           "\"ring_map_bytes\":%llu,\"lat_n\":%zu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,"
           "\"lat_max_us\":%.1f",
           tool, cpu_s, elapsed_s, rss, hwm, bench_socket_maps(), bench_lat_n, bench_pct(0.50), bench_pct(0.99),
           bench_pct(1.0));
}

#endif
