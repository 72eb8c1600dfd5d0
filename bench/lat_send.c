/*
 * Latency sender: sends COUNT frames at a fixed rate from a raw packet
 * socket, each stamped just before send() with the send time (CLOCK_MONOTONIC
 * or CLOCK_REALTIME, in ns) behind the Ethernet header. Pacing is to an
 * absolute schedule: clock_nanosleep until 20 us before the slot, then a
 * busy-wait, so the rate does not drift and the jitter stays in microseconds.
 *
 *   lat_send -i IF -r PPS -n COUNT [-c mono|real] [-s FRAME_BYTES] [-w WARMUP_MS]
 *
 * -r 0 sends as fast as possible. Prints one JSON line: frames sent,
 * achieved rate, and how late the sends were against the schedule.
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>

/*
 * Busy-wait only the last 20 us before each slot: the stamp is taken right
 * before send(), so lateness changes the rate, never the measured latency;
 * and a sender that spins whole periods (100 us at 10 000 pps) under
 * SCHED_FIFO starves its core's ksoftirqd until RT throttling stops it.
 */
#define SPIN_NS 20000ull

static void sleep_until(clockid_t clk, uint64_t t) {
    if (t > SPIN_NS) {
        uint64_t wake = t - SPIN_NS;
        struct timespec ts = {(time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull)};
        while (bench_now(clk) < wake && clock_nanosleep(clk, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
    }
    while (bench_now(clk) < t) {
    }
}

int main(int argc, char **argv) {
    const char *ifname = NULL;
    uint64_t rate = 1000, count = 1000, warmup_ms = 0;
    size_t size = 60;
    clockid_t clk = CLOCK_MONOTONIC;
    int opt;

    while ((opt = getopt(argc, argv, "i:r:n:c:s:w:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'r': rate = strtoull(optarg, NULL, 0); break;
        case 'n': count = strtoull(optarg, NULL, 0); break;
        case 'c': clk = !strcmp(optarg, "real") ? CLOCK_REALTIME : CLOCK_MONOTONIC; break;
        case 's': size = strtoull(optarg, NULL, 0); break;
        case 'w': warmup_ms = strtoull(optarg, NULL, 0); break;
        default:
            fprintf(stderr, "usage: %s -i IF -r PPS -n COUNT [-c mono|real] [-s BYTES] [-w WARMUP_MS]\n", argv[0]);
            return 2;
        }
    }
    if (!ifname || size < BENCH_STAMP_OFFSET + BENCH_STAMP_LEN || size > 1514) {
        fprintf(stderr, "lat_send: need -i IF and a frame size of %d to 1514 bytes\n",
                BENCH_STAMP_OFFSET + BENCH_STAMP_LEN);
        return 2;
    }

    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        perror("bind");
        return 1;
    }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);

    uint8_t frame[1514];
    memset(frame, 0, sizeof frame);
    memset(frame, 0xff, 6);                                      /* broadcast */
    memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
    frame[12] = BENCH_ETHERTYPE >> 8;
    frame[13] = BENCH_ETHERTYPE & 0xff;

    uint64_t period = rate ? 1000000000ull / rate : 0;
    uint64_t late_sum = 0, late_max = 0, sent = 0;
    uint64_t start = bench_now(clk) + warmup_ms * 1000000ull;
    sleep_until(clk, start);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t slot = start + i * period;
        if (period) {
            sleep_until(clk, slot);
        }
        struct bench_stamp s = {BENCH_MAGIC, (uint32_t)i, (uint32_t)clk, 0};
        s.ns = bench_now(clk);
        memcpy(frame + BENCH_STAMP_OFFSET, &s, sizeof s);
        for (;;) {
            ssize_t r = send(fd, frame, size, 0);
            if (r == (ssize_t)size) break;
            if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) continue;
            perror("send");
            return 1;
        }
        sent++;
        if (period) {
            uint64_t late = s.ns - slot;
            late_sum += late;
            if (late > late_max) late_max = late;
        }
    }
    double elapsed = (double)(bench_now(clk) - start) / 1e9;
    printf("{\"tool\":\"lat_send\",\"sent\":%llu,\"elapsed_s\":%.6f,\"rate_pps\":%.1f,\"late_mean_us\":%.2f,"
           "\"late_max_us\":%.2f}\n",
           (unsigned long long)sent, elapsed, elapsed > 0 ? sent / elapsed : 0.0,
           sent ? late_sum / 1000.0 / sent : 0.0, late_max / 1000.0);
    close(fd);
    return 0;
}
