/*
 * Support for ringcap's C tests: a private network namespace with a veth
 * pair, a raw-socket traffic sender, and check macros. Each test program
 * calls rc_test_netns() first, so parallel tests never share interfaces.
 */
#ifndef RC_TEST_H
#define RC_TEST_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ringcap.h"

static int rc_failures = 0;

/* Prints the outcome of a check whose condition was evaluated once into
 * `ok`; the message arguments are evaluated only on failure, after it. */
#define RC_REPORT(ok, text, ...)                                                \
    do {                                                                        \
        if (ok) {                                                               \
            printf("ok   %s:%d: %s\n", __FILE__, __LINE__, text);               \
        } else {                                                                \
            rc_failures++;                                                      \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, text);               \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
        fflush(stdout);                                                         \
    } while (0)

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        int rc_ok_ = (cond) ? 1 : 0;                                            \
        RC_REPORT(rc_ok_, #cond, __VA_ARGS__);                                  \
    } while (0)

/* Fails and stops the test at once (setup that later checks depend on). */
#define REQUIRE(cond, ...)                                                      \
    do {                                                                        \
        int rc_ok_ = (cond) ? 1 : 0;                                            \
        RC_REPORT(rc_ok_, #cond, __VA_ARGS__);                                  \
        if (!rc_ok_) {                                                          \
            exit(2);                                                            \
        }                                                                       \
    } while (0)

static inline int rc_test_done(void) {
    printf("%s: %d failure(s)\n", rc_failures ? "FAILED" : "PASSED", rc_failures);
    return rc_failures ? 1 : 0;
}

static inline void rc_write_file(const char *path, const char *value) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(value, f);
        fclose(f);
    }
}

static inline void rc_sh(const char *cmd) {
    int r = system(cmd);
    REQUIRE(r == 0, "command failed (%d): %s", r, cmd);
}

/*
 * Moves this process into a new network namespace holding the veth pair
 * rc0 <-> rc1 (both up, IPv6 off so no router solicitations or MLD reports
 * add unexpected packets). Call before starting any thread.
 */
static inline void rc_test_netns(void) {
    REQUIRE(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
    rc_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    rc_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    rc_sh("ip link set lo up && ip link add rc0 type veth peer name rc1 && "
          "ip link set rc0 up && ip link set rc1 up");
}

/* Adds a second veth pair a <-> b in the current namespace. */
static inline void rc_test_veth(const char *a, const char *b) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ip link add %s type veth peer name %s && ip link set %s up && ip link set %s up", a, b, a,
             b);
    rc_sh(cmd);
}

static inline void rc_mac(const char *ifname, uint8_t mac[6]) {
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    REQUIRE(fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0, "SIOCGIFHWADDR %s", ifname);
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    close(fd);
}

static inline uint64_t rc_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rc_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The EtherType of test frames (IEEE local experimental): the stack ignores it. */
#define RC_ETHERTYPE 0x88b5

/* Size of test frame i of a sequence: 42 to 1514 bytes, varied. */
static inline size_t rc_frame_size(unsigned i) {
    static const size_t sizes[] = {42, 60, 64, 65, 128, 255, 256, 511, 512, 1000, 1023, 1500, 1513, 1514};
    size_t n = sizeof sizes / sizeof sizes[0];
    return i < n ? sizes[i] : 42 + (i * 7919u) % (1514 - 42 + 1);
}

/*
 * Builds test frame `seq` of `len` bytes from `src` to `dst`: Ethernet
 * header, EtherType RC_ETHERTYPE, 4-byte sequence number, then a payload
 * that depends on seq and position.
 */
static inline void rc_build_frame(uint8_t *buf, size_t len, unsigned seq, const uint8_t dst[6], const uint8_t src[6]) {
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = RC_ETHERTYPE >> 8;
    buf[13] = RC_ETHERTYPE & 0xff;
    buf[14] = (uint8_t)(seq >> 24);
    buf[15] = (uint8_t)(seq >> 16);
    buf[16] = (uint8_t)(seq >> 8);
    buf[17] = (uint8_t)seq;
    for (size_t i = 18; i < len; i++) {
        buf[i] = (uint8_t)(seq * 31u + i * 7u);
    }
}

/* A raw socket bound to `ifname`, for sending test frames. */
static inline int rc_sender(const char *ifname) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    REQUIRE(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    sll.sll_protocol = 0;
    REQUIRE(bind(fd, (struct sockaddr *)&sll, sizeof sll) == 0, "bind sender: %s", strerror(errno));
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return fd;
}

static inline void rc_send(int fd, const uint8_t *buf, size_t len) {
    for (;;) {
        ssize_t r = send(fd, buf, len, 0);
        if (r == (ssize_t)len) {
            return;
        }
        if (r < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
            usleep(100);
            continue;
        }
        REQUIRE(0, "send %zu bytes: %s", len, strerror(errno));
    }
}

/* Sends frames seq first..first+count-1 from `from` to the MAC of `to`. */
static inline void rc_send_sequence(const char *from, const char *to, unsigned first, unsigned count) {
    uint8_t src[6], dst[6], buf[1514];
    rc_mac(from, src);
    rc_mac(to, dst);
    int fd = rc_sender(from);
    for (unsigned i = first; i < first + count; i++) {
        size_t len = rc_frame_size(i);
        rc_build_frame(buf, len, i, dst, src);
        rc_send(fd, buf, len);
    }
    close(fd);
}

/* A capture on rc0 with `version` and a dispatch timeout (-1: forever); the test stops if it fails. */
static inline ringcap_capture *rc_open_rc0(int version, int timeout_ms) {
    ringcap_config *cfg = ringcap_config_new();
    ringcap_config_set_interface(cfg, "rc0");
    ringcap_config_set_version(cfg, version);
    ringcap_config_set_timeout(cfg, timeout_ms);
    ringcap_capture *h = NULL;
    REQUIRE(ringcap_capture_open(cfg, &h) == 0, "open rc0: %s", ringcap_last_error());
    ringcap_config_free(cfg);
    return h;
}

#endif
