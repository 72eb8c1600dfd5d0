/*
 * VLAN: frames carrying an 802.1Q or 802.1ad tag inline are sent from the
 * peer. veth does not strip tags itself, but the receive path does
 * (__netif_receive_skb_core untags the outer 802.1Q/802.1ad header into
 * skb metadata before packet sockets see it), so the ring reports the tag
 * as TCI/TPID with TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID and the
 * data arrives without it. With re-insertion on, the bytes delivered are
 * exactly the bytes sent.
 */
#include "rc_net.h"

#define COUNT 12

struct vlan_check {
    int reinsert;
    unsigned n, tagged, meta_ok, bytes_ok, untagged_ok, first_bad;
    uint8_t src[6], dst[6];
};

/* Frame i: tagged with TPID 0x8100 (even i), 0x88a8 (i % 4 == 1), untagged (i % 4 == 3). */
static size_t build(uint8_t *buf, unsigned i, const uint8_t dst[6], const uint8_t src[6], uint16_t *tpid,
                    uint16_t *tci) {
    uint8_t plain[1600];
    size_t len = 60 + (i * 97) % 1400;
    rc_build_frame(plain, len, i, dst, src);
    *tpid = i % 2 == 0 ? 0x8100 : (i % 4 == 1 ? 0x88a8 : 0);
    *tci = (uint16_t)((i % 8) << 13 | (100 + i));
    if (*tpid == 0) {
        memcpy(buf, plain, len);
        return len;
    }
    memcpy(buf, plain, 12);
    buf[12] = (uint8_t)(*tpid >> 8);
    buf[13] = (uint8_t)*tpid;
    buf[14] = (uint8_t)(*tci >> 8);
    buf[15] = (uint8_t)*tci;
    memcpy(buf + 16, plain + 12, len - 12);
    return len + 4;
}

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct vlan_check *c = user;
    unsigned i = c->n++;
    uint8_t sent[1700];
    uint16_t tpid, tci;
    size_t len = build(sent, i, c->dst, c->src, &tpid, &tci);
    uint16_t got_tci = 0, got_tpid = 0;
    int tagged = ringcap_packet_vlan(m, &got_tci, &got_tpid);
    if (tpid) {
        c->tagged += tagged == 1;
        if (tagged == 1 && got_tci == tci && got_tpid == tpid && (m->status & RINGCAP_TP_STATUS_VLAN_VALID) &&
            (m->status & RINGCAP_TP_STATUS_VLAN_TPID_VALID) && m->vlan_tci == tci && m->vlan_tpid == tpid) {
            c->meta_ok++;
        }
        if (c->reinsert) {
            if (m->len == len && m->caplen == len && memcmp(data, sent, len) == 0) {
                c->bytes_ok++;
            } else if (!c->first_bad) {
                c->first_bad = i + 1;
            }
        } else {
            /* Without re-insertion the data is the frame minus its tag. */
            if (m->len == len - 4 && memcmp(data, sent, 12) == 0 && memcmp(data + 12, sent + 16, len - 16) == 0) {
                c->bytes_ok++;
            } else if (!c->first_bad) {
                c->first_bad = i + 1;
            }
        }
    } else {
        c->untagged_ok += tagged == 0 && m->len == len && memcmp(data, sent, len) == 0;
    }
}

static void run(int version, int reinsert) {
    ringcap_config *cfg = rc_config("rc0", version);
    REQUIRE(ringcap_config_set_vlan_reinsert(cfg, reinsert) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    struct vlan_check c;
    memset(&c, 0, sizeof c);
    c.reinsert = reinsert;
    rc_mac("rc1", c.src);
    rc_mac("rc0", c.dst);
    int fd = rc_sender("rc1");
    for (unsigned i = 0; i < COUNT; i++) {
        uint8_t buf[1700];
        uint16_t tpid, tci;
        size_t len = build(buf, i, c.dst, c.src, &tpid, &tci);
        rc_send(fd, buf, len);
    }
    close(fd);
    rc_drain(h, on_packet, &c);
    unsigned want_tagged = COUNT - COUNT / 4;
    printf("V%d reinsert %d: %u packets, %u tagged, metadata ok %u, bytes ok %u, untagged ok %u\n", version, reinsert,
           c.n, c.tagged, c.meta_ok, c.bytes_ok, c.untagged_ok);
    CHECK(c.n == COUNT, "V%d: all %d frames arrive (%u)", version, COUNT, c.n);
    CHECK(c.tagged == want_tagged && c.meta_ok == want_tagged,
          "V%d: the kernel reports every tag (802.1Q and 802.1ad) in the metadata", version);
    CHECK(c.bytes_ok == want_tagged, "V%d reinsert %d: tagged frames have the expected bytes (first bad: %u)", version,
          reinsert, c.first_bad);
    CHECK(c.untagged_ok == COUNT / 4, "V%d: untagged frames are untouched", version);
    ringcap_capture_close(h);
}

/* TPACKET_V1 frame headers have no VLAN fields: re-insertion is refused
 * with a reason, whichever of the two settings comes first. */
static void test_v1_refused(void) {
    ringcap_config *cfg = rc_config("rc0", 1);
    int r = ringcap_config_set_vlan_reinsert(cfg, true);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_config_last_error(cfg), "TPACKET_V2 or V3") != NULL,
          "re-insertion on a V1 config is refused (%d): %s", r, ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);
    cfg = rc_config("rc0", 3);
    REQUIRE(ringcap_config_set_vlan_reinsert(cfg, true) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_version(cfg, 1) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = NULL;
    r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && h == NULL &&
              strstr(ringcap_config_last_error(cfg), "V1 frame header") != NULL,
          "a V1 capture with re-insertion does not open (%d): %s", r, ringcap_config_last_error(cfg));
    ringcap_capture_close(h);
    ringcap_config_free(cfg);
}

struct vids {
    unsigned n, tagged;
    uint16_t vid[COUNT];
};

static void on_vid(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    struct vids *v = user;
    uint16_t tci = 0;
    if (v->n < COUNT) {
        v->tagged += ringcap_packet_vlan(m, &tci, NULL) == 1;
        v->vid[v->n] = tci & 0x0fff;
    }
    v->n++;
}

static void send_tagged(void) {
    uint8_t src[6], dst[6];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    int fd = rc_sender("rc1");
    for (unsigned i = 0; i < COUNT; i++) {
        uint8_t buf[1700];
        uint16_t tpid, tci;
        size_t len = build(buf, i, dst, src, &tpid, &tci);
        rc_send(fd, buf, len);
    }
    close(fd);
}

/* Filters from the native compiler's defaults work on a live socket, where
 * the kernel has moved the tags to metadata; so does an expression
 * compiled for the handle itself. Frame i carries VLAN id 100 + i. */
static void test_vlan_filters(int version) {
    ringcap_config *cfg = rc_config("rc0", version);
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    ringcap_filter *f = NULL;
    REQUIRE(ringcap_filter_compile("vlan 102", 1, 262144, 0xffffffffu, &f) == 0, "%s", ringcap_last_error());
    const ringcap_bpf_insn *insns;
    size_t n;
    REQUIRE(ringcap_filter_instructions(f, &insns, &n) == 0, "instructions");
    REQUIRE(ringcap_capture_set_filter(h, insns, n) >= 0, "set_filter: %s", ringcap_last_error());
    ringcap_filter_free(f);
    send_tagged();
    struct vids v;
    memset(&v, 0, sizeof v);
    rc_drain(h, on_vid, &v);
    CHECK(v.n == 1 && v.tagged == 1 && v.vid[0] == 102,
          "V%d: 'vlan 102' compiled with the defaults matches its one frame on the live socket (%u, vid %u)", version,
          v.n, v.vid[0]);

    int r = ringcap_capture_set_filter_expression(h, "vlan 105", 0xffffffffu);
    CHECK(r >= 0, "V%d: set_filter_expression: %d %s", version, r, ringcap_capture_last_error(h));
    send_tagged();
    memset(&v, 0, sizeof v);
    rc_drain(h, on_vid, &v);
    /* vid 105 is frame 5, tagged 802.1ad. */
    CHECK(v.n == 1 && v.tagged == 1 && v.vid[0] == 105,
          "V%d: 'vlan 105' compiled for the handle delivers its one 802.1ad frame (%u, vid %u)", version, v.n,
          v.vid[0]);
    /* "not vlan" alone: the untagged frames. (Anything after a vlan test
     * reads 4 bytes further on, tagged or not, as in libpcap: tcpdump -d
     * "not vlan and ether proto 0x88b5" loads [16].) */
    r = ringcap_capture_set_filter_expression(h, "not vlan", 0xffffffffu);
    CHECK(r >= 0, "V%d: set_filter_expression: %d %s", version, r, ringcap_capture_last_error(h));
    send_tagged();
    memset(&v, 0, sizeof v);
    rc_drain(h, on_vid, &v);
    CHECK(v.n == COUNT / 4 && v.tagged == 0, "V%d: 'not vlan' delivers the %d untagged frames (%u)", version,
          COUNT / 4, v.n);
    r = ringcap_capture_set_filter_expression(h, "vlan and", 0xffffffffu);
    CHECK(r == RINGCAP_RESULT_FILTER_SYNTAX, "V%d: a bad expression is refused (%d): %s", version, r,
          ringcap_capture_last_error(h));
    ringcap_capture_close(h);
}

int main(void) {
    rc_test_netns();
    test_v1_refused();
    test_vlan_filters(2);
    test_vlan_filters(3);
    for (int version = 2; version <= 3; version++) {
        run(version, 0);
        run(version, 1);
    }
    ringcap_config *cfg = rc_config("rc0", 3);
    ringcap_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM);
    ringcap_config_set_vlan_reinsert(cfg, true);
    ringcap_capture *h = NULL;
    int r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT, "re-insertion with SOCK_DGRAM is refused (%d): %s", r,
          ringcap_last_error());
    ringcap_config_free(cfg);
    return rc_test_done();
}
