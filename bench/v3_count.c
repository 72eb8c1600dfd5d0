/*
 * The TPACKET_V3 example from the kernel's Documentation/networking/
 * packet_mmap.rst (Daniel Borkmann, based on Chetan Loke's lolpcap),
 * rewritten to count instead of print: same socket setup (64 blocks of
 * 4 MiB, 2 KiB frames, 60 ms block retire timeout, rx hash, MAP_LOCKED),
 * same block walk; display() is replaced by counting and the latency
 * stamp check, and SIGTERM / count / idle end the loop.
 *
 * Written from scratch, but kernel-to-user space API usage
 * dissected from lolpcap:
 * Copyright 2011, Chetan Loke <loke.chetan@gmail.com>
 * License: GPL, version 2.0
 *
 *   v3_count -i IF [-n COUNT] [-I IDLE_MS] [-L LATENCY_SAMPLES]
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <assert.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif

struct block_desc {
    uint32_t version;
    uint32_t offset_to_priv;
    struct tpacket_hdr_v1 h1;
};

struct ring {
    struct iovec *rd;
    uint8_t *map;
    struct tpacket_req3 req;
};

static unsigned long bytes_total = 0;

static int setup_socket(struct ring *ring, const char *netdev) {
    int err, fd, v = TPACKET_V3;
    unsigned i;
    struct sockaddr_ll ll;
    unsigned int blocksiz = 1 << 22, framesiz = 1 << 11;
    unsigned int blocknum = 64;

    fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    err = setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v));
    if (err < 0) {
        perror("setsockopt");
        exit(1);
    }
    memset(&ring->req, 0, sizeof(ring->req));
    ring->req.tp_block_size = blocksiz;
    ring->req.tp_frame_size = framesiz;
    ring->req.tp_block_nr = blocknum;
    ring->req.tp_frame_nr = (blocksiz * blocknum) / framesiz;
    ring->req.tp_retire_blk_tov = 60;
    ring->req.tp_feature_req_word = TP_FT_REQ_FILL_RXHASH;

    err = setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &ring->req, sizeof(ring->req));
    if (err < 0) {
        perror("setsockopt");
        exit(1);
    }
    ring->map = mmap(NULL, (size_t)ring->req.tp_block_size * ring->req.tp_block_nr, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_LOCKED, fd, 0);
    if (ring->map == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    ring->rd = malloc(ring->req.tp_block_nr * sizeof(*ring->rd));
    assert(ring->rd);
    for (i = 0; i < ring->req.tp_block_nr; ++i) {
        ring->rd[i].iov_base = ring->map + (i * ring->req.tp_block_size);
        ring->rd[i].iov_len = ring->req.tp_block_size;
    }
    memset(&ll, 0, sizeof(ll));
    ll.sll_family = PF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = (int)if_nametoindex(netdev);
    err = bind(fd, (struct sockaddr *)&ll, sizeof(ll));
    if (err < 0) {
        perror("bind");
        exit(1);
    }
    return fd;
}

static void walk_block(struct block_desc *pbd) {
    int num_pkts = (int)pbd->h1.num_pkts, i;
    unsigned long bytes = 0;
    struct tpacket3_hdr *ppd;

    ppd = (struct tpacket3_hdr *)((uint8_t *)pbd + pbd->h1.offset_to_first_pkt);
    for (i = 0; i < num_pkts; ++i) {
        bytes += ppd->tp_snaplen;
        bench_lat_frame((uint8_t *)ppd + ppd->tp_mac, ppd->tp_snaplen); /* was display(ppd) */
        ppd = (struct tpacket3_hdr *)((uint8_t *)ppd + ppd->tp_next_offset);
    }
    bench_count += (uint64_t)num_pkts;
    bytes_total += bytes;
}

static void flush_block(struct block_desc *pbd) {
    pbd->h1.block_status = TP_STATUS_KERNEL;
}

static void teardown_socket(struct ring *ring, int fd) {
    munmap(ring->map, (size_t)ring->req.tp_block_size * ring->req.tp_block_nr);
    free(ring->rd);
    close(fd);
}

int main(int argc, char **argv) {
    const char *ifname = NULL;
    int fd, err, opt;
    socklen_t len;
    struct ring ring;
    struct pollfd pfd;
    unsigned int block_num = 0, blocks = 64;
    struct block_desc *pbd;
    struct tpacket_stats_v3 stats;
    size_t lat_cap = 1 << 20;

    while ((opt = getopt(argc, argv, "i:n:I:L:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'n': bench_limit = strtoull(optarg, NULL, 0); break;
        case 'I': bench_idle_ms = (unsigned)atoi(optarg); break;
        case 'L': lat_cap = strtoull(optarg, NULL, 0); break;
        default:
            fprintf(stderr, "usage: %s -i IF [-n N] [-I IDLE_MS] [-L SAMPLES]\n", argv[0]);
            return 2;
        }
    }
    if (!ifname) {
        fprintf(stderr, "v3_count: -i IF is required\n");
        return 2;
    }
    bench_lat_init(lat_cap);

    memset(&ring, 0, sizeof(ring));
    fd = setup_socket(&ring, ifname);
    assert(fd > 0);

    memset(&pfd, 0, sizeof(pfd));
    pfd.fd = fd;
    pfd.events = POLLIN | POLLERR;
    pfd.revents = 0;

    bench_signals(NULL); /* the flag alone ends the loop: poll returns EINTR */
    double cpu0 = bench_cpu_s();
    uint64_t t0 = bench_now(CLOCK_MONOTONIC);
    bench_ready();

    while (likely(!bench_stop) && (!bench_limit || bench_count < bench_limit)) {
        pbd = (struct block_desc *)ring.rd[block_num].iov_base;
        if ((pbd->h1.block_status & TP_STATUS_USER) == 0) {
            poll(&pfd, 1, -1);
            continue;
        }
        walk_block(pbd);
        flush_block(pbd);
        block_num = (block_num + 1) % blocks;
    }
    bench_stop_timer();
    double cpu = bench_cpu_s() - cpu0;
    double elapsed = (double)(bench_now(CLOCK_MONOTONIC) - t0) / 1e9;

    len = sizeof(stats);
    err = getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &len);
    if (err < 0) {
        perror("getsockopt");
        exit(1);
    }
    bench_print_common("v3-example", cpu, elapsed);
    /* tp_packets from the kernel already includes tp_drops. */
    printf(",\"count\":%llu,\"received\":%u,\"dropped\":%u,\"delivered\":%llu,\"bytes\":%lu,\"freeze\":%u,"
           "\"ring_bytes\":%llu}\n",
           (unsigned long long)bench_count, stats.tp_packets, stats.tp_drops, (unsigned long long)bench_count,
           bytes_total, stats.tp_freeze_q_cnt, (unsigned long long)ring.req.tp_block_size * ring.req.tp_block_nr);
    fflush(stdout);
    teardown_socket(&ring, fd);
    return 0;
}
