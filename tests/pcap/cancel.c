/*
 * pthread_cancel of a thread inside the capture loop: blocked with no
 * traffic, and busy in its callback. libpcap lets the cancellation
 * proceed; so must ringcap (no abort). Compared by
 * tests/pcap_differential.rs.
 */
#define _GNU_SOURCE
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void slow_cb(u_char *u, const struct pcap_pkthdr *h, const u_char *b) {
    (void)h;
    (void)b;
    (*(volatile int *)u)++;
    usleep(20000); /* a cancellation point inside the callback */
}

struct job {
    pcap_t *p;
    int mode; /* 0 pcap_loop, 1 pcap_dispatch loop, 2 pcap_next_ex loop */
    volatile int seen;
};

static void *run(void *arg) {
    struct job *j = arg;
    for (;;) {
        if (j->mode == 0) {
            pcap_loop(j->p, -1, slow_cb, (u_char *)&j->seen);
        } else if (j->mode == 1) {
            pcap_dispatch(j->p, -1, slow_cb, (u_char *)&j->seen);
        } else {
            struct pcap_pkthdr *h;
            const u_char *d;
            if (pcap_next_ex(j->p, &h, &d) == 1) {
                j->seen++;
            }
        }
    }
    return NULL;
}

static void send_some(int n) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_ifindex = (int)if_nametoindex("lo");
    unsigned char f[60];
    memset(f, 0, sizeof f);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (int i = 0; i < n; i++) {
        sendto(fd, f, sizeof f, 0, (struct sockaddr *)&to, sizeof to);
    }
    close(fd);
}

int main(void) {
    if (unshare(CLONE_NEWNET) != 0 || system("ip link set lo up") != 0) {
        return 2;
    }
    const char *modes[] = {"pcap_loop", "pcap_dispatch", "pcap_next_ex"};
    for (int mode = 0; mode < 3; mode++) {
        for (int busy = 0; busy < 2; busy++) {
            char e[PCAP_ERRBUF_SIZE];
            /* Blocked: waiting forever (to_ms 0); busy: with a read timeout. */
            pcap_t *p = pcap_open_live("lo", 65535, 0, busy ? 100 : 0, e);
            if (!p) {
                printf("open: %s\n", e);
                return 2;
            }
            struct job j = {p, mode, 0};
            pthread_t t;
            pthread_create(&t, NULL, run, &j);
            usleep(100000);
            if (busy) {
                send_some(20);
                usleep(100000);
            }
            pthread_cancel(t);
            void *ret;
            pthread_join(t, &ret);
            printf("%s, %s: cancelled %s\n", modes[mode], busy ? "in the callback" : "blocked",
                   ret == PTHREAD_CANCELED ? "yes" : "no");
            pcap_close(p);
        }
    }
    return 0;
}
