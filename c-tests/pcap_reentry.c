/*
 * What libpcap lets a program do while pcap_loop runs, on ringcap: call
 * back into the handle from the callback (pcap_stats, pcap_geterr,
 * pcap_dump, pcap_setfilter, pcap_breakloop), from a signal handler while
 * the loop is blocked with no traffic (tcpdump's SIGUSR1 statistics,
 * SIGALRM for -G), and from another thread. Each must finish at once: a
 * watchdog fails the test if anything blocks for seconds.
 */
#include "rc_test.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static void *watchdog(void *arg) {
    (void)arg;
    sleep(20);
    printf("FAIL: a pcap call blocked (watchdog)\n");
    fflush(stdout);
    _exit(3);
}

struct inside {
    pcap_t *p;
    pcap_dumper_t *d;
    unsigned got, stats_ok, geterr_ok, nested_refused, setfilter_ok;
    struct bpf_program prog;
};

static void in_callback(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    struct inside *s = (struct inside *)user;
    struct pcap_stat st;
    s->got++;
    if (pcap_stats(s->p, &st) == 0 && st.ps_recv >= 1) {
        s->stats_ok++;
    }
    if (pcap_geterr(s->p) != NULL) {
        s->geterr_ok++;
    }
    pcap_dump((u_char *)s->d, h, bytes);
    if (pcap_dispatch(s->p, 1, in_callback, user) == PCAP_ERROR && strstr(pcap_geterr(s->p), "own callback")) {
        s->nested_refused++;
    }
    if (s->got == 5 && pcap_setfilter(s->p, &s->prog) == 0) {
        s->setfilter_ok++;
    }
    if (pcap_datalink(s->p) == DLT_EN10MB && s->got == 20) {
        pcap_breakloop(s->p);
    }
}

static pcap_t *signal_target;
static volatile sig_atomic_t signal_stats_rc = 99, signal_recv = 0, signals = 0;

static void on_signal(int sig) {
    struct pcap_stat st;
    signals++;
    if (sig == SIGUSR1) {
        signal_stats_rc = pcap_stats(signal_target, &st);
        signal_recv = (sig_atomic_t)st.ps_recv;
    } else {
        pcap_breakloop(signal_target);
    }
}

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)h;
    (void)bytes;
    (*(unsigned *)user)++;
}

struct monitor {
    pcap_t *p;
    unsigned calls, ok;
    uint64_t worst_ns;
};

static void *monitor_thread(void *arg) {
    struct monitor *m = (struct monitor *)arg;
    for (int i = 0; i < 20; i++) {
        struct pcap_stat st;
        uint64_t t0 = rc_mono_ns();
        int rs = pcap_stats(m->p, &st);
        int dl = pcap_datalink(m->p);
        int nb = pcap_getnonblock(m->p, NULL);
        uint64_t dt = rc_mono_ns() - t0;
        m->calls++;
        if (rs == 0 && dl == DLT_EN10MB && nb == 0) {
            m->ok++;
        }
        if (dt > m->worst_ns) {
            m->worst_ns = dt;
        }
        usleep(10000);
    }
    pcap_breakloop(m->p);
    return NULL;
}

int main(void) {
    rc_test_netns();
    /* The watchdog blocks every signal, so the test's signals reach the
     * thread blocked in pcap_loop. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t dog;
    pthread_create(&dog, NULL, watchdog, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_live("rc0", 262144, 0, 100, errbuf);
    REQUIRE(p != NULL, "open: %s", errbuf);

    /* 1. From inside the callback. */
    struct inside s;
    memset(&s, 0, sizeof s);
    s.p = p;
    char path[64];
    snprintf(path, sizeof path, "/tmp/rc_reentry_%d.pcap", (int)getpid());
    s.d = pcap_dump_open(p, path);
    REQUIRE(s.d != NULL, "dump_open: %s", pcap_geterr(p));
    REQUIRE(pcap_compile(p, &s.prog, "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN) == 0, "compile: %s",
            pcap_geterr(p));
    rc_send_sequence("rc1", "rc0", 0, 30);
    CHECK(pcap_loop(p, -1, in_callback, (u_char *)&s) == PCAP_ERROR_BREAK, "loop ends by breakloop from the callback");
    CHECK(s.got == 20, "20 packets before the break (%u)", s.got);
    CHECK(s.stats_ok == 20, "pcap_stats from the callback (%u of 20)", s.stats_ok);
    CHECK(s.geterr_ok == 20, "pcap_geterr from the callback");
    CHECK(s.nested_refused == 20, "a read from the callback is refused, not deadlocked (%u)", s.nested_refused);
    CHECK(s.setfilter_ok == 1, "pcap_setfilter from the callback");
    CHECK(pcap_dump_flush(s.d) == 0, "dump_flush");
    pcap_dump_close(s.d);
    pcap_freecode(&s.prog);
    pcap_t *r = pcap_open_offline(path, errbuf);
    REQUIRE(r != NULL, "reopen dump: %s", errbuf);
    unsigned dumped = 0;
    CHECK(pcap_loop(r, -1, count, (u_char *)&dumped) == 0 && dumped == 20, "dumped from the callback: %u", dumped);
    pcap_close(r);
    unlink(path);
    /* The 10 frames after the break are still queued; take them. */
    unsigned rest = 0;
    pcap_setnonblock(p, 1, errbuf);
    for (int tries = 0; tries < 100 && rest < 10; tries++) {
        pcap_dispatch(p, -1, count, (u_char *)&rest);
        usleep(20000);
    }
    pcap_setnonblock(p, 0, errbuf);
    CHECK(rest == 10, "the rest are delivered after the break (%u)", rest);

    /* 2. From signal handlers while the loop is blocked with no traffic. */
    signal_target = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    unsigned n = 0;
    uint64_t t0 = rc_mono_ns();
    struct itimerval usr = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &usr, NULL); /* SIGALRM at 100 ms: breaks */
    /* SIGUSR1 ten times, from another thread, while blocked. */
    pid_t self = getpid();
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < 10; i++) {
            usleep(5000);
            kill(self, SIGUSR1);
        }
        _exit(0);
    }
    int rc = pcap_loop(p, -1, count, (u_char *)&n);
    uint64_t waited = rc_mono_ns() - t0;
    waitpid(child, NULL, 0);
    CHECK(rc == PCAP_ERROR_BREAK, "SIGALRM's pcap_breakloop ends a blocked loop (%d)", rc);
    CHECK(waited < 1000000000ull, "within a second (%llu ms)", (unsigned long long)(waited / 1000000));
    CHECK(signal_stats_rc == 0, "pcap_stats from SIGUSR1 (%d)", (int)signal_stats_rc);
    CHECK(signal_recv == 30, "its counts (%d)", (int)signal_recv);
    CHECK(signals >= 2, "signals delivered (%d)", (int)signals);

    /* 3. From another thread while the loop runs. */
    struct monitor m = {p, 0, 0, 0};
    pthread_t t;
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_create(&t, NULL, monitor_thread, &m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    n = 0;
    CHECK(pcap_loop(p, -1, count, (u_char *)&n) == PCAP_ERROR_BREAK, "monitor's breakloop");
    pthread_join(t, NULL);
    CHECK(m.calls == 20 && m.ok == 20, "pcap_stats/datalink/getnonblock from another thread: %u of %u", m.ok, m.calls);
    CHECK(m.worst_ns < 50000000ull, "each under 50 ms (worst %llu us)", (unsigned long long)(m.worst_ns / 1000));
    pcap_close(p);
    return rc_test_done();
}
