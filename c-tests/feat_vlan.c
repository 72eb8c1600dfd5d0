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

int main(void) {
    rc_test_netns();
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
