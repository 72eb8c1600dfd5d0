/*
 * capture: print one line per packet, then the capture statistics.
 *
 *   capture [-i interface] [-c count] [-V 1|2|3] [-s snaplen] [-B bytes] [-t seconds]
 *
 * Build: cc capture.c $(pkg-config --cflags --libs ringcap) -o capture
 * Stops after -c packets, after -t seconds, or on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringcap.h>

static ringcap_capture *handle;

static void on_signal(int sig) {
    (void)sig;
    ringcap_capture_breakloop(handle);
}

static const char *ip_proto_name(unsigned p) {
    switch (p) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 58: return "ICMPv6";
    case 132: return "SCTP";
    default: return "IP";
    }
}

/* Prints "src > dst PROTO" for an IPv4 or IPv6 packet at `p`; 0 if it is neither. */
static int print_ip(const uint8_t *p, size_t len, unsigned ethertype) {
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    unsigned proto;
    size_t hdr;
    if (ethertype == 0x0800 && len >= 20) {
        inet_ntop(AF_INET, p + 12, src, sizeof src);
        inet_ntop(AF_INET, p + 16, dst, sizeof dst);
        proto = p[9];
        hdr = (size_t)(p[0] & 0x0f) * 4;
    } else if (ethertype == 0x86dd && len >= 40) {
        inet_ntop(AF_INET6, p + 8, src, sizeof src);
        inet_ntop(AF_INET6, p + 24, dst, sizeof dst);
        proto = p[6];
        hdr = 40;
    } else {
        return 0;
    }
    if ((proto == 6 || proto == 17) && len >= hdr + 4) {
        printf("%s.%u > %s.%u %s", src, (unsigned)(p[hdr] << 8 | p[hdr + 1]), dst,
               (unsigned)(p[hdr + 2] << 8 | p[hdr + 3]), ip_proto_name(proto));
    } else {
        printf("%s > %s %s", src, dst, ip_proto_name(proto));
    }
    return 1;
}

static void print_mac(const uint8_t *m) {
    printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)user;
    struct tm tm;
    time_t sec = (time_t)m->ts_sec;
    localtime_r(&sec, &tm);
    printf("%02d:%02d:%02d.%06u ", tm.tm_hour, tm.tm_min, tm.tm_sec, m->ts_nsec / 1000);
    /* Ethernet-framed devices (and loopback) carry a MAC header; others start at the network layer. */
    int ether = (m->hatype == 1 || m->hatype == 772) && m->caplen >= 14;
    const uint8_t *net = ether ? data + 14 : data;
    size_t net_len = ether ? m->caplen - 14 : m->caplen;
    unsigned ethertype = ether ? (unsigned)(data[12] << 8 | data[13]) : m->protocol;
    if (!print_ip(net, net_len, ethertype)) {
        if (ether) {
            print_mac(data + 6);
            printf(" > ");
            print_mac(data);
        } else {
            printf("ifindex %d", m->ifindex);
        }
        printf(" %s", ethertype == 0x0806 ? "ARP" : "ethertype");
        printf(" 0x%04x", ethertype);
    }
    printf(", length %u\n", m->len);
}

int main(int argc, char **argv) {
    const char *iface = "any";
    int count = 0, version = 3, seconds = 0, opt;
    unsigned snaplen = 262144;
    size_t buffer = 0;
    while ((opt = getopt(argc, argv, "i:c:V:s:B:t:")) != -1) {
        switch (opt) {
        case 'i': iface = optarg; break;
        case 'c': count = atoi(optarg); break;
        case 'V': version = atoi(optarg); break;
        case 's': snaplen = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'B': buffer = (size_t)strtoull(optarg, NULL, 10); break;
        case 't': seconds = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-i iface] [-c count] [-V 1|2|3] [-s snaplen] [-B bytes] [-t seconds]\n", argv[0]);
            return 2;
        }
    }
    ringcap_config *cfg = ringcap_config_new();
    if (!cfg || ringcap_config_set_interface(cfg, iface) < 0 || ringcap_config_set_version(cfg, version) < 0 ||
        ringcap_config_set_snaplen(cfg, snaplen) < 0 || (buffer && ringcap_config_set_buffer_size(cfg, buffer) < 0)) {
        fprintf(stderr, "capture: %s\n", ringcap_last_error());
        return 1;
    }
    int r = ringcap_capture_open(cfg, &handle);
    if (r < 0) {
        fprintf(stderr, "capture: %s: %s\n", ringcap_strerror(r), ringcap_config_last_error(cfg));
        return 1;
    }
    ringcap_config_free(cfg);
    ringcap_ring_info info;
    ringcap_capture_ring_info(handle, &info);
    fprintf(stderr, "capturing on %s: TPACKET_V%u ring of %zu bytes (%u blocks of %u)\n", iface, info.version,
            info.ring_bytes, info.block_nr, info.block_size);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    if (seconds > 0) {
        alarm((unsigned)seconds);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    r = ringcap_capture_loop(handle, count, on_packet, NULL);
    if (r < 0 && r != RINGCAP_RESULT_BREAK) {
        fprintf(stderr, "capture: %s\n", ringcap_capture_last_error(handle));
    }
    ringcap_stats st;
    if (ringcap_capture_stats(handle, &st) == 0) {
        printf("%llu packets captured\n%llu packets received by filter\n%llu packets dropped by kernel\n",
               (unsigned long long)st.delivered, (unsigned long long)st.received, (unsigned long long)st.dropped);
    }
    ringcap_capture_close(handle);
    return r < 0 && r != RINGCAP_RESULT_BREAK ? 1 : 0;
}
