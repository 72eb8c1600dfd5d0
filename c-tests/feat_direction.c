/*
 * Direction (incoming / outgoing / both) and the per-packet checksum bits:
 * locally generated UDP leaving rc0 with checksum offload is marked
 * TP_STATUS_CSUMNOTREADY.
 */
#include "rc_net.h"


struct dir {
    unsigned in, out, out_csum_not_ready, in_flags_csum;
    unsigned in_status_or, out_status_or, in_csum_valid;
    unsigned all;
    ringcap_stats st;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct dir *d = user;
    d->all++;
    if (m->pkttype == PACKET_OUTGOING) {
        if (m->caplen >= 34 && data[12] == 0x08 && data[23] == 17) {
            d->out++;
            d->out_csum_not_ready += (m->status & RINGCAP_TP_STATUS_CSUMNOTREADY) != 0;
            d->out_status_or |= m->status;
        }
    } else if (m->protocol == RC_ETHERTYPE) {
        d->in++;
        d->in_status_or |= m->status;
        d->in_csum_valid += (m->status & RINGCAP_TP_STATUS_CSUM_VALID) != 0;
    }
}

static struct dir run(int direction, int version) {
    ringcap_config *cfg = rc_config("rc0", version);
    REQUIRE(ringcap_config_set_direction(cfg, direction) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    rc_send_sequence("rc1", "rc0", 0, 10);
    rc_send_udp(0x0a090002, 9999, 300, 'u', 10);
    struct dir d;
    memset(&d, 0, sizeof d);
    rc_drain(h, on_packet, &d);
    ringcap_stats st;
    REQUIRE(ringcap_capture_stats(h, &st) == 0, "stats: %s", ringcap_last_error());
    printf("direction %d V%d: in %u out %u (kernel received %llu, delivered %llu, dropped %llu, filtered %llu)\n",
           direction, version, d.in, d.out, (unsigned long long)st.received, (unsigned long long)st.delivered,
           (unsigned long long)st.dropped, (unsigned long long)st.filtered);
    CHECK(st.delivered == d.all && st.received == st.delivered + st.dropped + st.filtered,
          "direction %d V%d: received %llu == delivered %llu + dropped %llu + filtered %llu", direction, version,
          (unsigned long long)st.received, (unsigned long long)st.delivered, (unsigned long long)st.dropped,
          (unsigned long long)st.filtered);
    d.st = st;
    ringcap_capture_close(h);
    return d;
}

int main(void) {
    rc_test_netns();
    /* A new namespace inherits IPv4 forwarding from the host; without this
     * rc1 would route the UDP back out of rc0. */
    rc_write_file("/proc/sys/net/ipv4/ip_forward", "0");
    uint8_t peer[6];
    rc_mac("rc1", peer);
    char cmd[200];
    snprintf(cmd, sizeof cmd,
             "ip addr add 10.9.0.1/24 dev rc0 && ip neigh add 10.9.0.2 lladdr %02x:%02x:%02x:%02x:%02x:%02x dev rc0",
             peer[0], peer[1], peer[2], peer[3], peer[4], peer[5]);
    rc_sh(cmd);

    for (int version = 2; version <= 3; version++) {
        struct dir both = run(RINGCAP_DIRECTION_BOTH, version);
        CHECK(both.in == 10 && both.out == 10, "V%d both: in %u out %u", version, both.in, both.out);
        struct dir in = run(RINGCAP_DIRECTION_INCOMING, version);
        CHECK(in.in == 10 && in.out == 0, "V%d incoming only: in %u out %u", version, in.in, in.out);
        struct dir out = run(RINGCAP_DIRECTION_OUTGOING, version);
        CHECK(out.in == 0 && out.out == 10, "V%d outgoing only: in %u out %u", version, out.in, out.out);
        CHECK(out.st.filtered >= 10 && both.st.filtered == 0,
              "V%d: the 10 incoming frames skipped for OUTGOING are counted as filtered (%llu), none with BOTH",
              version, (unsigned long long)out.st.filtered);

        printf("V%d outgoing UDP status bits: %#x; incoming raw frames: %#x (CSUM_VALID on %u)\n", version,
               both.out_status_or, both.in_status_or, both.in_csum_valid);
        CHECK(both.out_csum_not_ready == 10, "V%d: locally sent UDP with checksum offload is CSUMNOTREADY (%u of 10)",
              version, both.out_csum_not_ready);
        CHECK((both.in_status_or & RINGCAP_TP_STATUS_CSUMNOTREADY) == 0,
              "V%d: frames from a raw socket carry no pending checksum", version);
    }

    CHECK(ringcap_config_set_direction(ringcap_config_new(), 3) == RINGCAP_RESULT_INVALID_ARGUMENT, "direction 3: %s",
          ringcap_last_error());
    return rc_test_done();
}
