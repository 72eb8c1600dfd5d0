/*
 * Timestamps: software by default with TP_STATUS_TS_SOFTWARE set; asking
 * for hardware stamps on veth (no hardware clock) opens with
 * RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK and keeps capturing with
 * software stamps, each packet saying so.
 */
#include "rc_net.h"

/* The header's status bits are the kernel's. */
_Static_assert(RINGCAP_TP_STATUS_COPY == TP_STATUS_COPY, "COPY");
_Static_assert(RINGCAP_TP_STATUS_LOSING == TP_STATUS_LOSING, "LOSING");
_Static_assert(RINGCAP_TP_STATUS_CSUMNOTREADY == TP_STATUS_CSUMNOTREADY, "CSUMNOTREADY");
_Static_assert(RINGCAP_TP_STATUS_CSUM_VALID == TP_STATUS_CSUM_VALID, "CSUM_VALID");
_Static_assert(RINGCAP_TP_STATUS_VLAN_VALID == TP_STATUS_VLAN_VALID, "VLAN_VALID");
_Static_assert(RINGCAP_TP_STATUS_VLAN_TPID_VALID == TP_STATUS_VLAN_TPID_VALID, "VLAN_TPID_VALID");
_Static_assert(RINGCAP_TP_STATUS_TS_SOFTWARE == TP_STATUS_TS_SOFTWARE, "TS_SOFTWARE");
_Static_assert(RINGCAP_TP_STATUS_TS_SYS_HARDWARE == TP_STATUS_TS_SYS_HARDWARE, "TS_SYS_HARDWARE");
_Static_assert(RINGCAP_TP_STATUS_TS_RAW_HARDWARE == TP_STATUS_TS_RAW_HARDWARE, "TS_RAW_HARDWARE");

struct stamps {
    unsigned n, software, ring, hardware, bad_time;
    uint64_t t0;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    struct stamps *s = user;
    if (m->protocol != RC_ETHERTYPE) {
        return;
    }
    s->n++;
    int src = ringcap_packet_timestamp_source(m);
    s->software += src == RINGCAP_PACKET_TIMESTAMP_SOFTWARE && (m->status & RINGCAP_TP_STATUS_TS_SOFTWARE);
    s->ring += src == RINGCAP_PACKET_TIMESTAMP_SOFTWARE_RING && !(m->status & 0xe0000000u);
    s->hardware += src == RINGCAP_PACKET_TIMESTAMP_RAW_HARDWARE;
    uint64_t ts = m->ts_sec * 1000000000ull + m->ts_nsec;
    if (ts + 1000000ull < s->t0 || ts > rc_now_ns() + 1000000ull) {
        s->bad_time++;
    }
}

static struct stamps capture(ringcap_capture *h) {
    struct stamps s;
    memset(&s, 0, sizeof s);
    s.t0 = rc_now_ns();
    rc_send_sequence("rc1", "rc0", 0, 20);
    rc_drain(h, on_packet, &s);
    return s;
}

int main(void) {
    rc_test_netns();
    for (int version = 2; version <= 3; version++) {
        ringcap_config *cfg = rc_config("rc0", version);
        ringcap_capture *h = rc_open(cfg);
        struct stamps s = capture(h);
        printf("V%d default: %u packets: %u TS_SOFTWARE, %u stamped at ring copy\n", version, s.n, s.software, s.ring);
        CHECK(s.n == 20 && s.software + s.ring == 20 && s.hardware == 0 && s.bad_time == 0,
              "V%d default: software clock on every packet, times sane (%u wrong)", version, s.bad_time);
        /* While some socket asks for receive stamps the stack stamps every
         * packet on receipt and the ring reports TP_STATUS_TS_SOFTWARE. */
        int ts_sock = socket(AF_INET, SOCK_DGRAM, 0);
        int on = 1;
        REQUIRE(ts_sock >= 0 && setsockopt(ts_sock, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0,
                "SO_TIMESTAMPNS: %s", strerror(errno));
        usleep(100000); /* the kernel switches stamping on from a work item */
        s = capture(h);
        close(ts_sock);
        CHECK(s.n == 20 && s.software == 20 && s.bad_time == 0, "V%d with stack stamping: %u of %u TS_SOFTWARE",
              version, s.software, s.n);
        ringcap_capture_close(h);

        REQUIRE(ringcap_config_set_timestamp_source(cfg, RINGCAP_TIMESTAMP_SOURCE_HARDWARE) == 0, "%s",
                ringcap_last_error());
        h = NULL;
        int r = ringcap_capture_open(cfg, &h);
        printf("V%d hardware on veth: %d: %s\n", version, r, ringcap_last_error());
        CHECK(r == RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK && h != NULL,
              "V%d: hardware stamps on veth open with the fallback warning (%d)", version, r);
        CHECK(strstr(ringcap_last_error(), "rc0") && strstr(ringcap_last_error(), "software"),
              "the warning names the device and the fallback");
        CHECK(strcmp(ringcap_config_last_error(cfg), ringcap_last_error()) == 0, "and is on the config too");
        CHECK(r > 0 && strcmp(ringcap_strerror(r), "warning: hardware timestamps unavailable, using software timestamps") == 0,
              "strerror: %s", ringcap_strerror(r));
        if (h) {
            s = capture(h);
            CHECK(s.n == 20 && s.software + s.ring == 20 && s.hardware == 0 && s.bad_time == 0,
                  "V%d fallback: %u packets, %u software-stamped, %u hardware", version, s.n, s.software,
                  s.hardware);
            ringcap_capture_close(h);
        }
        ringcap_config_free(cfg);
    }

    /* "any" has no device clock at all. */
    ringcap_config *cfg = rc_config("any", 3);
    REQUIRE(ringcap_config_set_timestamp_source(cfg, RINGCAP_TIMESTAMP_SOURCE_HARDWARE) == 0, "%s",
            ringcap_last_error());
    ringcap_capture *h = NULL;
    int r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_WARNING_TIMESTAMP_FALLBACK && h != NULL, "\"any\" falls back too (%d): %s", r,
          ringcap_last_error());
    ringcap_capture_close(h);
    CHECK(ringcap_config_set_timestamp_source(cfg, 2) == RINGCAP_RESULT_INVALID_ARGUMENT, "source 2: %s",
          ringcap_last_error());
    ringcap_config_free(cfg);

    ringcap_packet_meta m;
    memset(&m, 0, sizeof m);
    m.status = RINGCAP_TP_STATUS_TS_RAW_HARDWARE;
    CHECK(ringcap_packet_timestamp_source(&m) == RINGCAP_PACKET_TIMESTAMP_RAW_HARDWARE, "raw hardware bit");
    m.status = 0;
    CHECK(ringcap_packet_timestamp_source(&m) == RINGCAP_PACKET_TIMESTAMP_SOFTWARE_RING, "no bit");
    CHECK(ringcap_packet_timestamp_source(NULL) == RINGCAP_RESULT_NULL_PARAMETER, "NULL meta");
    return rc_test_done();
}
