/*
 * forward: copies every packet arriving on one interface to another, from
 * ringcap's RX ring straight into its TX ring (one copy per packet, one
 * send() per dispatched batch), and prints statistics at the end.
 *
 * Usage: forward -i IN -o OUT [-c COUNT] [-V 1|2|3] [-q]
 *   -c COUNT  stop after COUNT packets (default: until SIGINT/SIGTERM)
 *   -V        TPACKET version of the TX ring (default 2; RX uses 3)
 *   -q        PACKET_QDISC_BYPASS on the TX side
 *
 * Build: cc -Iinclude examples/forward.c -Ltarget/release -lringcap -o forward
 */
#define _GNU_SOURCE
#include <linux/if_packet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringcap.h"

static ringcap_capture *volatile capture;

/* breakloop is async-signal-safe: the blocked dispatch returns at once. */
static void on_signal(int sig) {
    (void)sig;
    if (capture) {
        ringcap_capture_breakloop(capture);
    }
}

struct forwarder {
    ringcap_tx *tx;
    unsigned long long seen, forwarded, bytes, too_large, failed;
    int last_error;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct forwarder *f = user;
    /* Our own transmissions on the input interface are not forwarded back. */
    if (m->pkttype == PACKET_OUTGOING) {
        return;
    }
    f->seen++;
    uint8_t *buf;
    size_t room;
    int r = ringcap_tx_frame(f->tx, &buf, &room);
    if (r != 0) {
        f->failed++;
        f->last_error = r;
        return;
    }
    if (m->caplen > room || m->caplen < m->len) {
        f->too_large++; /* the frame stays reserved for the next packet */
        return;
    }
    memcpy(buf, data, m->caplen);
    r = ringcap_tx_commit(f->tx, m->caplen);
    if (r != 0) {
        f->failed++;
        f->last_error = r;
        return;
    }
    f->forwarded++;
    f->bytes += m->caplen;
}

static void usage(void) {
    fprintf(stderr, "usage: forward -i IN -o OUT [-c COUNT] [-V 1|2|3] [-q]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    unsigned long long count = 0;
    int version = 2, bypass = 0, opt;
    while ((opt = getopt(argc, argv, "i:o:c:V:q")) != -1) {
        switch (opt) {
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'c': count = strtoull(optarg, NULL, 10); break;
        case 'V': version = atoi(optarg); break;
        case 'q': bypass = 1; break;
        default: usage();
        }
    }
    if (!in || !out) {
        usage();
    }

    ringcap_config *rx_cfg = ringcap_config_new();
    ringcap_tx_config *tx_cfg = ringcap_tx_config_new();
    if (!rx_cfg || !tx_cfg || ringcap_config_set_interface(rx_cfg, in) != 0 ||
        ringcap_tx_config_set_interface(tx_cfg, out) != 0 || ringcap_tx_config_set_version(tx_cfg, version) != 0 ||
        ringcap_tx_config_set_qdisc_bypass(tx_cfg, bypass) != 0) {
        fprintf(stderr, "forward: %s\n", ringcap_last_error());
        return 1;
    }
    ringcap_capture *cap = NULL;
    ringcap_tx *tx = NULL;
    if (ringcap_capture_open(rx_cfg, &cap) < 0) {
        fprintf(stderr, "forward: capture on %s: %s\n", in, ringcap_config_last_error(rx_cfg));
        return 1;
    }
    if (ringcap_tx_open(tx_cfg, &tx) < 0) {
        fprintf(stderr, "forward: transmit on %s: %s\n", out, ringcap_tx_config_last_error(tx_cfg));
        ringcap_capture_close(cap);
        return 1;
    }
    ringcap_config_free(rx_cfg);
    ringcap_tx_config_free(tx_cfg);

    capture = cap;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked wait returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("forwarding %s -> %s\n", in, out);
    fflush(stdout);

    struct forwarder f;
    memset(&f, 0, sizeof f);
    f.tx = tx;
    int status = 0;
    while (count == 0 || f.seen < count) {
        unsigned long long left = count ? count - f.seen : 0;
        int budget = count == 0 || left > 1 << 20 ? -1 : (int)left;
        int r = ringcap_capture_dispatch(cap, budget, on_packet, &f);
        if (r == RINGCAP_RESULT_BREAK) {
            break;
        }
        if (r < 0) {
            fprintf(stderr, "forward: %s\n", ringcap_capture_last_error(cap));
            status = 1;
            break;
        }
        /* One send() for the whole batch just dispatched. */
        if (r > 0 && ringcap_tx_kick(tx) < 0) {
            fprintf(stderr, "forward: %s\n", ringcap_tx_last_error(tx));
            status = 1;
            break;
        }
    }
    capture = NULL;
    if (ringcap_tx_flush(tx) < 0) {
        fprintf(stderr, "forward: flush: %s\n", ringcap_tx_last_error(tx));
        status = 1;
    }
    ringcap_stats rs;
    ringcap_tx_counters ts;
    memset(&rs, 0, sizeof rs);
    memset(&ts, 0, sizeof ts);
    ringcap_capture_stats(cap, &rs);
    ringcap_tx_stats(tx, &ts);
    printf("received %llu (kernel dropped %llu), forwarded %llu packets / %llu bytes, "
           "too large %llu, failed %llu, tx sends %llu, tx completed %llu\n",
           (unsigned long long)rs.received, (unsigned long long)rs.dropped, f.forwarded, f.bytes, f.too_large,
           f.failed, (unsigned long long)ts.kicks, (unsigned long long)ts.completed);
    if (f.failed) {
        fprintf(stderr, "forward: last TX error %d (%s)\n", f.last_error, ringcap_strerror(f.last_error));
    }
    if (ringcap_tx_close(tx) < 0) {
        status = 1;
    }
    ringcap_capture_close(cap);
    return status;
}
