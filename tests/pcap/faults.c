/*
 * Faults a capture must ride out or report, run the same way against
 * libpcap and against ringcap (tests/pcap_differential.rs compares what
 * this prints). Each run moves into a private network namespace holding
 * the veth pair f0 <-> f1.
 *
 *   faults flap     f0 goes down and up; 50 frames sent afterwards arrive
 *   faults delete   f0 is deleted mid-loop: every later read fails
 *   faults move     f0 is moved to another namespace mid-loop
 *   faults stall    2 000 pps of sparse traffic, the reader 1.5 s late
 *   faults churn    thousands of handles opened and closed under ulimit -n 64
 *   faults monitor  another thread calls pcap_stats every 100 ms during
 *                   pcap_loop at 1 000 pps
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sh(const char *cmd) {
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        exit(2);
    }
}

static void send_frames(const char *ifname, int count, int gap_us, int len) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_ifindex = (int)if_nametoindex(ifname);
    to.sll_halen = 6;
    unsigned char frame[1514];
    memset(frame, 0, sizeof frame);
    memset(frame, 0xff, 6);
    frame[6] = 0x02;
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (int i = 0; i < count; i++) {
        frame[14] = (unsigned char)i;
        frame[15] = (unsigned char)(i >> 8);
        if (sendto(fd, frame, (size_t)len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
            perror("sendto");
        }
        if (gap_us) {
            usleep((useconds_t)gap_us);
        }
    }
    close(fd);
}

static void count_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)h;
    (void)bytes;
    (*(unsigned *)user)++;
}

static pcap_t *open_f0(int to_ms) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_live("f0", 262144, 0, to_ms, errbuf);
    if (!p) {
        fprintf(stderr, "open: %s\n", errbuf);
        exit(2);
    }
    /* Only the test's frames: no ARP or other stray traffic in the counts. */
    struct bpf_program prog;
    if (pcap_compile(p, &prog, "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
        fprintf(stderr, "filter: %s\n", pcap_geterr(p));
        exit(2);
    }
    pcap_freecode(&prog);
    return p;
}

static const char *scenario;

static void *fault_thread(void *arg) {
    (void)arg;
    usleep(300000);
    if (strcmp(scenario, "flap") == 0) {
        sh("ip link set f0 down");
        usleep(300000);
        sh("ip link set f0 up");
        usleep(300000);
        send_frames("f1", 50, 1000, 60);
    } else if (strcmp(scenario, "delete") == 0) {
        sh("ip link del f0");
    } else if (strcmp(scenario, "move") == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "ip netns add rcfault%d && ip link set f0 netns rcfault%d && ip netns del rcfault%d",
                 (int)getpid(), (int)getpid(), (int)getpid());
        sh(cmd);
    }
    return NULL;
}

struct monitor {
    pcap_t *p;
    int answered, fast;
};

static void *monitor_thread(void *arg) {
    struct monitor *m = arg;
    for (int i = 0; i < 20; i++) {
        struct timespec a, b;
        struct pcap_stat st;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int r = pcap_stats(m->p, &st);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long us = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
        m->answered += r == 0;
        m->fast += us < 50000;
        usleep(100000);
    }
    pcap_breakloop(m->p);
    return NULL;
}

static void *watchdog(void *arg) {
    pcap_t *p = arg;
    sleep(8);
    printf("watchdog: the loop did not return; breaking it\n");
    fflush(stdout);
    pcap_breakloop(p);
    return NULL;
}

int main(int argc, char **argv) {
    scenario = argc > 1 ? argv[1] : "flap";
    if (unshare(CLONE_NEWNET) != 0) {
        perror("unshare");
        return 2;
    }
    sh("ip link set lo up && ip link add f0 type veth peer name f1 && "
       "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && ip link set f0 up && ip link set f1 up");

    if (strcmp(scenario, "stall") == 0) {
        pcap_t *p = open_f0(1000);
        /* 4 000 frames of 100 bytes at 2 000 pps; the reader starts 1.5 s in. */
        pid_t child = fork();
        if (child == 0) {
            send_frames("f1", 4000, 500, 100);
            _exit(0);
        }
        usleep(1500000);
        unsigned n = 0;
        for (int idle = 0; idle < 30 && n < 4000; ) {
            int r = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
            idle = r > 0 ? 0 : idle + 1;
        }
        struct pcap_stat st;
        pcap_stats(p, &st);
        printf("stall: captured %s of 4000, %u dropped\n", n == 4000 ? "all" : "not all", st.ps_drop);
        pcap_close(p);
        return 0;
    }
    if (strcmp(scenario, "churn") == 0) {
        struct rlimit lim = {64, 64};
        setrlimit(RLIMIT_NOFILE, &lim);
        char errbuf[PCAP_ERRBUF_SIZE];
        int failed = 0;
        for (int i = 0; i < 3000; i++) {
            pcap_t *d = pcap_open_dead(DLT_EN10MB, 65535);
            failed += d == NULL;
            pcap_close(d);
        }
        for (int i = 0; i < 200; i++) {
            pcap_t *l = pcap_open_live("f0", 65535, 0, 100, errbuf);
            failed += l == NULL;
            pcap_close(l);
        }
        /* 2 000 handles open at once: no fixed limit of the library's own. */
        static pcap_t *many[2000];
        for (int i = 0; i < 2000; i++) {
            many[i] = pcap_open_dead(DLT_EN10MB, 65535);
            failed += many[i] == NULL;
        }
        for (int i = 0; i < 2000; i++) {
            pcap_close(many[i]);
        }
        FILE *f = fopen("/dev/null", "r");
        printf("churn: %d failed opens; a file still opens: %s\n", failed, f ? "yes" : "no");
        if (f) {
            fclose(f);
        }
        return 0;
    }

    if (strcmp(scenario, "monitor") == 0) {
        pcap_t *p = open_f0(1000);
        pid_t child = fork();
        if (child == 0) {
            send_frames("f1", 2500, 1000, 100);
            _exit(0);
        }
        struct monitor m = {p, 0, 0};
        pthread_t t;
        pthread_create(&t, NULL, monitor_thread, &m);
        unsigned n = 0;
        int r = pcap_loop(p, -1, count_cb, (u_char *)&n);
        pthread_join(t, NULL);
        kill(child, SIGKILL);
        printf("monitor: pcap_loop returned %d; %d of 20 pcap_stats calls answered, %d within 50 ms\n", r, m.answered,
               m.fast);
        pcap_close(p);
        return 0;
    }

    pcap_t *p = open_f0(100);
    pthread_t t, dog;
    pthread_create(&t, NULL, fault_thread, NULL);
    pthread_create(&dog, NULL, watchdog, p);
    unsigned n = 0;
    int r = pcap_loop(p, strcmp(scenario, "flap") == 0 ? 50 : -1, count_cb, (u_char *)&n);
    pthread_join(t, NULL);
    printf("%s: pcap_loop returned %d after %u packets [%s]\n", scenario, r, n, r < 0 ? pcap_geterr(p) : "");
    if (strcmp(scenario, "flap") != 0) {
        /* Every later read fails the same way; none blocks. */
        for (int i = 0; i < 3; i++) {
            int d = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
            printf("%s: then pcap_dispatch %d [%s]\n", scenario, d, d < 0 ? pcap_geterr(p) : "");
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int e = pcap_next_ex(p, &h, &data);
        printf("%s: then pcap_next_ex %d [%s]\n", scenario, e, e < 0 ? pcap_geterr(p) : "");
    }
    pcap_close(p);
    return 0;
}
