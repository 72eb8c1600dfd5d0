/*
 * Extra helpers for the feature tests: IPv4/UDP frames with distinct flows,
 * draining a handle, reading interface flags.
 */
#ifndef RC_NET_H
#define RC_NET_H

#include "rc_test.h"

#include <net/if.h>
#include <netinet/in.h>

static inline uint16_t rc_ip_checksum(const uint8_t *p, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/*
 * An Ethernet + IPv4 + UDP frame of `len` bytes (>= 42) from src_ip:sport
 * to dst_ip:dport (host order); the UDP checksum is left 0 (none).
 */
static inline void rc_build_udp(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6], uint32_t src_ip,
                                uint32_t dst_ip, uint16_t sport, uint16_t dport) {
    memset(buf, 0, len);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    uint8_t *ip = buf + 14;
    size_t ip_len = len - 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ip_len >> 8);
    ip[3] = (uint8_t)ip_len;
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = (uint8_t)(src_ip >> 24);
    ip[13] = (uint8_t)(src_ip >> 16);
    ip[14] = (uint8_t)(src_ip >> 8);
    ip[15] = (uint8_t)src_ip;
    ip[16] = (uint8_t)(dst_ip >> 24);
    ip[17] = (uint8_t)(dst_ip >> 16);
    ip[18] = (uint8_t)(dst_ip >> 8);
    ip[19] = (uint8_t)dst_ip;
    uint16_t c = rc_ip_checksum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    size_t udp_len = ip_len - 20;
    udp[0] = (uint8_t)(sport >> 8);
    udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8);
    udp[3] = (uint8_t)dport;
    udp[4] = (uint8_t)(udp_len >> 8);
    udp[5] = (uint8_t)udp_len;
    for (size_t i = 8; i < udp_len; i++) {
        udp[i] = (uint8_t)(i * 13u + sport);
    }
}

/* Sends `count` UDP datagrams of `size` bytes of `fill` through the stack
 * to ip:port (host order). */
static inline void rc_send_udp(uint32_t ip, uint16_t port, size_t size, char fill, unsigned count) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0, "udp socket");
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(ip);
    static char payload[65000];
    REQUIRE(size <= sizeof payload, "datagram of %zu bytes", size);
    memset(payload, fill, size);
    for (unsigned i = 0; i < count; i++) {
        ssize_t r = sendto(fd, payload, size, 0, (struct sockaddr *)&to, sizeof to);
        REQUIRE(r == (ssize_t)size, "sendto: %s", strerror(errno));
    }
    close(fd);
}

static inline void rc_count_cb(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    (*(unsigned *)user)++;
}

/* Delivers everything the handle holds to cb (handle must have a short timeout). */
static inline unsigned rc_drain(ringcap_capture *h, ringcap_packet_cb cb, void *user) {
    unsigned total = 0;
    int idle = 0;
    while (idle < 3) {
        int r = ringcap_capture_dispatch(h, 0, cb, user);
        REQUIRE(r >= 0, "dispatch: %d %s", r, ringcap_capture_last_error(h));
        total += (unsigned)r;
        idle = r == 0 ? idle + 1 : 0;
    }
    return total;
}

static inline unsigned rc_count(ringcap_capture *h) {
    unsigned n = 0;
    rc_drain(h, rc_count_cb, &n);
    return n;
}

static inline unsigned rc_if_flags(const char *ifname) {
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    REQUIRE(fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS %s", ifname);
    close(fd);
    return (unsigned)(unsigned short)ifr.ifr_flags;
}

/* A config for `ifname` with a 50 ms timeout. */
static inline ringcap_config *rc_config(const char *ifname, int version) {
    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");
    REQUIRE(ringcap_config_set_interface(cfg, ifname) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_version(cfg, version) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_timeout(cfg, 50) == 0, "%s", ringcap_last_error());
    return cfg;
}

static inline ringcap_capture *rc_open(ringcap_config *cfg) {
    ringcap_capture *h = NULL;
    int r = ringcap_capture_open(cfg, &h);
    REQUIRE(r == 0 && h != NULL, "open: %d %s", r, ringcap_last_error());
    return h;
}

#endif
