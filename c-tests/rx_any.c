/*
 * "any" on TPACKET_V1/V2: frames are sized for the largest device MTU
 * other than loopback's 64 KiB, so the default ring holds thousands of
 * packets, and a loopback packet larger than a frame still arrives whole
 * through PACKET_COPY_THRESH.
 */
#include "rc_net.h"


struct any {
    unsigned ours, big, big_whole, big_copy;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct any *a = user;
    if (m->protocol == RC_ETHERTYPE) {
        a->ours++;
    }
    /* The loopback UDP datagrams are 20000 bytes of 'L'. */
    if (m->len > 20000 && m->caplen >= 60 && data[m->caplen - 1] == 'L') {
        a->big++;
        a->big_whole += m->caplen == m->len;
        a->big_copy += (m->status & RINGCAP_TP_STATUS_COPY) != 0;
    }
}

static void run(int version) {
    ringcap_config *cfg = rc_config("any", version);
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    ringcap_ring_info info;
    REQUIRE(ringcap_capture_ring_info(h, &info) == 0, "ring info");
    printf("V%d any: %u frames of %u bytes in %zu bytes\n", version, info.frame_nr, info.frame_size, info.ring_bytes);
    CHECK(info.frame_size <= 2048 && info.frame_nr >= 4000,
          "V%d: 'any' frames are sized for Ethernet's MTU, not lo's (%u frames of %u)", version, info.frame_nr,
          info.frame_size);
    /* A burst nobody reads while it is sent: seen leaving rc1 and entering rc0. */
    rc_send_sequence("rc1", "rc0", 0, 1000);
    rc_send_udp(0x7f000001, 9, 20000, 'L', 5);
    usleep(50000);
    struct any a;
    memset(&a, 0, sizeof a);
    rc_drain(h, on_packet, &a);
    ringcap_stats st;
    REQUIRE(ringcap_capture_stats(h, &st) == 0, "stats");
    printf("V%d any: %u of 2000 test frames, %u big loopback packets (%u whole, %u via TP_STATUS_COPY), dropped "
           "%llu\n",
           version, a.ours, a.big, a.big_whole, a.big_copy, (unsigned long long)st.dropped);
    CHECK(a.ours == 2000 && st.dropped == 0, "V%d: the 1000-frame burst is captured twice over, nothing dropped (%u)",
          version, a.ours);
    /* lo shows each datagram leaving and arriving. */
    CHECK(a.big == 10 && a.big_whole == 10 && a.big_copy == 10,
          "V%d: 20000-byte loopback packets arrive whole through copies (%u/%u/%u of 10)", version, a.big,
          a.big_whole, a.big_copy);
    CHECK(st.truncated == 0 && st.received == st.delivered + st.dropped + st.filtered,
          "V%d: nothing truncated, the counts add up", version);
    ringcap_capture_close(h);
}

int main(void) {
    rc_test_netns();
    run(1);
    run(2);
    return rc_test_done();
}
