/* The one frame every bench/tx sender sends: broadcast, from our MAC,
 * EtherType 0x88b5 (local experimental, dropped by the peer's stack). */
#ifndef BENCH_FRAME_H
#define BENCH_FRAME_H

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline int bench_mac(const char *ifname, uint8_t mac[6]) {
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    int r = fd >= 0 ? ioctl(fd, SIOCGIFHWADDR, &ifr) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (r != 0) {
        fprintf(stderr, "no MAC for %s\n", ifname);
        return -1;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/* Broadcast destination keeps the frame independent of the peer. */
static inline int bench_frame(const char *ifname, uint8_t *buf, size_t size) {
    if (size < 60 || size > 1514) {
        fprintf(stderr, "frame size %zu out of range 60..1514\n", size);
        return -1;
    }
    memset(buf, 0, size);
    memset(buf, 0xff, 6);
    if (bench_mac(ifname, buf + 6) != 0) {
        return -1;
    }
    buf[12] = 0x88;
    buf[13] = 0xb5;
    for (size_t i = 14; i < size; i++) {
        buf[i] = (uint8_t)i;
    }
    return 0;
}

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
