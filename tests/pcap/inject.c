/*
 * pcap_inject and pcap_sendpacket, step by step, built against libpcap and
 * against ringcap (tests/inject_differential.rs compares the outputs).
 * Every step prints what the library returned and the error text up to
 * the first " (": ringcap may add its own detail after libpcap's text.
 * What arrived is counted on the peer with a plain AF_PACKET socket, so
 * the receiving side is the same for both builds.
 *
 * Usage: inject SENDER PEER            the whole sequence
 *        inject --child MODE SENDER N  (internal) inject N frames, then
 *                                      end by MODE: exit, _exit, return
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE 0x88b5

static uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* ip link set dev DEV SETTING */
static void link_set(const char *dev, const char *setting) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ip link set dev %s %s", dev, setting);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        exit(2);
    }
}

/* A broadcast test frame of `len` bytes carrying `seq`. */
static void build(uint8_t *f, size_t len, unsigned seq) {
    memset(f, 0xff, 6);
    memset(f + 6, 0x02, 6);
    f[12] = ETHERTYPE >> 8;
    f[13] = ETHERTYPE & 0xff;
    for (size_t i = 14; i < len; i++) {
        f[i] = (uint8_t)(seq + i);
    }
    if (len >= 18) {
        f[14] = (uint8_t)(seq >> 24);
        f[15] = (uint8_t)(seq >> 16);
        f[16] = (uint8_t)(seq >> 8);
        f[17] = (uint8_t)seq;
    }
}

/* libpcap's part of an error text: up to ringcap's " (" detail. */
static void print_result(const char *what, pcap_t *p, int r) {
    char text[PCAP_ERRBUF_SIZE];
    snprintf(text, sizeof text, "%s", r < 0 ? pcap_geterr(p) : "");
    char *detail = strstr(text, " (");
    if (detail) {
        *detail = 0;
    }
    printf("%s -> %d%s%s\n", what, r, r < 0 ? " " : "", text);
}

static int inject_one(pcap_t *p, size_t len, unsigned seq, const char *what) {
    uint8_t f[9000];
    build(f, len, seq);
    int r = pcap_inject(p, f, len);
    char label[96];
    snprintf(label, sizeof label, "%s inject %zu", what, len);
    print_result(label, p, r);
    return r;
}

static int receiver(const char *dev) {
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));
    int big = 32 << 20;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETHERTYPE);
    sll.sll_ifindex = (int)if_nametoindex(dev);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0 ||
        bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        perror("receiver");
        exit(2);
    }
    return fd;
}

/* Frames that arrived since the last call: waits until `want` came or
 * 2 s passed, then 100 ms more for any extra. */
static unsigned received(int fd, unsigned want) {
    unsigned got = 0;
    uint64_t deadline = now_ms() + 2000, quiet_until = 0;
    for (;;) {
        uint64_t t = now_ms();
        if (got >= want && quiet_until == 0) {
            quiet_until = t + 100;
        }
        if ((quiet_until && t >= quiet_until) || (!quiet_until && t >= deadline)) {
            return got;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) > 0) {
            uint8_t buf[9100];
            while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
                got++;
            }
        }
    }
}

static pcap_t *open_live(const char *dev) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_live(dev, 65535, 0, 100, err);
    if (!p) {
        fprintf(stderr, "pcap_open_live %s: %s\n", dev, err);
        exit(2);
    }
    return p;
}

static int child(const char *mode, const char *dev, unsigned n) {
    pcap_t *p = open_live(dev);
    uint8_t f[100];
    for (unsigned i = 0; i < n; i++) {
        build(f, sizeof f, i);
        int r = i % 2 ? pcap_inject(p, f, sizeof f) : pcap_sendpacket(p, f, sizeof f);
        if (r < 0) {
            fprintf(stderr, "inject %u: %s\n", i, pcap_geterr(p));
            _exit(3);
        }
    }
    if (strcmp(mode, "exit") == 0) {
        exit(0);
    }
    if (strcmp(mode, "_exit") == 0) {
        _exit(0);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--child") == 0) {
        return child(argv[2], argv[3], (unsigned)atoi(argv[4]));
    }
    if (argc != 3) {
        fprintf(stderr, "usage: inject SENDER PEER\n");
        return 2;
    }
    const char *dev = argv[1];
    int rx = receiver(argv[2]);
    pcap_t *p = open_live(dev);

    /* A frame the device refuses is refused alone; the others go out. */
    link_set(dev, "mtu 1000");
    unsigned sent = 0;
    const size_t sizes[] = {100, 100, 100, 1400, 1014, 1015, 100, 100, 100};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sent += inject_one(p, sizes[i], i, "mtu 1000:") == (int)sizes[i];
    }
    printf("mtu 1000: received %u of %u sent\n", received(rx, sent), sent);
    link_set(dev, "mtu 1500");
    sent = inject_one(p, 1400, 10, "mtu 1500:") == 1400;
    sent += inject_one(p, 100, 11, "mtu 1500:") == 100;
    printf("mtu 1500: received %u of %u sent\n", received(rx, sent), sent);

    /* A down link says so, and the handle works again once it is up. */
    link_set(dev, "down");
    inject_one(p, 100, 20, "down:");
    uint8_t f[200];
    build(f, 100, 21);
    print_result("down: sendpacket 100", p, pcap_sendpacket(p, f, 100));
    printf("down: received %u\n", received(rx, 0));
    link_set(dev, "up");
    sent = 0;
    for (unsigned i = 0; i < 3; i++) {
        sent += inject_one(p, 100, 22 + i, "up again:") == 100;
    }
    printf("up again: received %u of %u sent\n", received(rx, sent), sent);

    /* Sizes the API or the kernel refuse. libpcap's texts for the first
     * three end in strerror(errno) of whatever errno was: set it. */
    errno = 0;
    print_result("sendpacket -1", p, pcap_sendpacket(p, f, -1));
    errno = EAGAIN;
    print_result("sendpacket 0", p, pcap_sendpacket(p, f, 0));
    errno = 0;
    print_result("inject 0", p, pcap_inject(p, f, 0));
    inject_one(p, 9000, 30, "mtu 1500:");
    inject_one(p, 13, 31, "mtu 1500:");
    inject_one(p, 14, 32, "mtu 1500:");
    printf("sizes: received %u\n", received(rx, 1));
    pcap_close(p);

    /* Handles that cannot send. */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    print_result("dead: inject 60", dead, pcap_inject(dead, f, 60));
    char path[] = "/tmp/inject-savefile-XXXXXX";
    int tmp = mkstemp(path);
    if (tmp < 0) {
        perror("mkstemp");
        return 2;
    }
    close(tmp);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    struct pcap_pkthdr h = {.caplen = 60, .len = 60};
    pcap_dump((u_char *)d, &h, f);
    pcap_dump_close(d);
    pcap_close(dead);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *file = pcap_open_offline(path, err);
    if (!file) {
        fprintf(stderr, "open_offline: %s\n", err);
        return 2;
    }
    print_result("savefile: inject 60", file, pcap_inject(file, f, 60));
    print_result("savefile: sendpacket 60", file, pcap_sendpacket(file, f, 60));
    pcap_close(file);
    unlink(path);
    pcap_t *created = pcap_create(dev, err);
    print_result("not activated: inject 60", created, pcap_inject(created, f, 60));
    pcap_close(created);
    pcap_t *any = open_live("any");
    print_result("any: inject 60", any, pcap_inject(any, f, 60));
    pcap_close(any);

    /* Whatever the program does after its last inject, the frames went out. */
    const char *modes[] = {"exit", "_exit", "return"};
    for (unsigned m = 0; m < 3; m++) {
        pid_t pid = fork();
        if (pid == 0) {
            char n[16];
            snprintf(n, sizeof n, "%d", 300);
            execl("/proc/self/exe", argv[0], "--child", modes[m], dev, n, (char *)NULL);
            _exit(4);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        printf("%s after 300: status %d, received %u\n", modes[m], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
               received(rx, 300));
    }
    close(rx);
    return 0;
}
