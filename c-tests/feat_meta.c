/*
 * Per-packet metadata beyond libpcap's header: the kernel's tp_mac/tp_net
 * offsets, the V3 block sequence number and block private area, and
 * PACKET_ORIGDEV's report of the lower device under a macvlan device.
 */
#include "rc_net.h"

struct offsets {
    int dgram;
    unsigned frame_size; /* V1/V2: frames are this far apart from a page-aligned start */
    unsigned n, link_ok, frame_ok, seq_zero, seq_nonzero, seq_backwards, priv_null;
    uint64_t last_seq;
    unsigned seqs; /* distinct block sequence numbers seen */
};

static void on_offsets(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct offsets *o = user;
    if (m->protocol != RC_ETHERTYPE) {
        return;
    }
    o->n++;
    unsigned link = m->net_offset - m->mac_offset;
    o->link_ok += o->dgram ? link == 0 : link == 14;
    if (o->frame_size) {
        o->frame_ok += (uintptr_t)data % o->frame_size == m->mac_offset;
    }
    o->seq_zero += m->block_seq == 0;
    o->seq_nonzero += m->block_seq != 0;
    o->seq_backwards += m->block_seq < o->last_seq;
    o->seqs += m->block_seq != o->last_seq;
    o->last_seq = m->block_seq;
    size_t len = 99;
    o->priv_null += ringcap_packet_block_private(m, &len) == NULL && len == 0 && m->block_private == NULL;
}

static void test_offsets(int version, int dgram) {
    unsigned page = (unsigned)getpagesize();
    ringcap_config *cfg = rc_config("rc0", version);
    if (dgram) {
        REQUIRE(ringcap_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "%s", ringcap_last_error());
    }
    if (version < 3) {
        REQUIRE(ringcap_config_set_geometry(cfg, page, 16, 2048, 16 * (page / 2048)) == 0, "%s",
                ringcap_last_error());
    }
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    struct offsets o;
    memset(&o, 0, sizeof o);
    o.dgram = dgram;
    o.frame_size = version < 3 ? 2048 : 0;
    /* Three bursts far apart: with V3's 1 ms block timeout each one ends in its own block. */
    for (int burst = 0; burst < 3; burst++) {
        rc_send_sequence("rc1", "rc0", 0, 5);
        usleep(30000);
        rc_drain(h, on_offsets, &o);
    }
    printf("V%d %s: %u packets, link header ok %u, frame offset ok %u, %u block numbers\n", version,
           dgram ? "dgram" : "raw", o.n, o.link_ok, o.frame_ok, o.seqs);
    CHECK(o.n == 15 && o.link_ok == 15, "V%d %s: net_offset - mac_offset is the link header's length", version,
          dgram ? "dgram" : "raw");
    if (version < 3) {
        CHECK(o.frame_ok == 15, "V%d: the data sits mac_offset bytes into its frame (%u)", version, o.frame_ok);
        CHECK(o.seq_zero == 15, "V%d: no block sequence numbers", version);
    } else {
        CHECK(o.seq_nonzero == 15 && o.seq_backwards == 0 && o.seqs >= 3,
              "V3: block numbers are set, never go back, and change between bursts (%u)", o.seqs);
    }
    CHECK(o.priv_null == 15, "V%d: no block private area unless configured", version);
    ringcap_capture_close(h);
}

#define PRIV 64

struct priv {
    unsigned n, ok, located, persisted, blocks;
    uint64_t seq;
    uint8_t *area;
};

static void on_priv(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    struct priv *p = user;
    if (m->protocol != RC_ETHERTYPE) {
        return;
    }
    p->n++;
    size_t len = 0;
    uint8_t *area = ringcap_packet_block_private(m, &len);
    p->ok += area != NULL && area == m->block_private && len == PRIV && m->block_private_len == PRIV;
    /* The kernel puts it right after the 48-byte block descriptor of a page-aligned block. */
    p->located += area != NULL && (uintptr_t)area % (uintptr_t)getpagesize() == 48;
    if (area == NULL) {
        return;
    }
    if (m->block_seq != p->seq) {
        /* First packet of a block: the area is ours to write, e.g. a block tag. */
        p->blocks++;
        p->seq = m->block_seq;
        p->area = area;
        memcpy(area, &m->block_seq, sizeof m->block_seq);
        memset(area + 8, 0xab, PRIV - 8);
    }
    uint64_t tag;
    memcpy(&tag, area, sizeof tag);
    p->persisted += area == p->area && tag == m->block_seq && area[PRIV - 1] == 0xab;
}

static void test_private_area(void) {
    ringcap_config *cfg = rc_config("rc0", 3);
    REQUIRE(ringcap_config_set_block_private_size(cfg, PRIV) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    struct priv p;
    memset(&p, 0, sizeof p);
    for (int burst = 0; burst < 3; burst++) {
        rc_send_sequence("rc1", "rc0", 0, 10);
        usleep(30000);
        rc_drain(h, on_priv, &p);
    }
    printf("private area: %u packets, %u ok, %u at block + 48, %u blocks, %u saw their block's tag\n", p.n, p.ok,
           p.located, p.blocks, p.persisted);
    CHECK(p.n == 30 && p.ok == 30 && p.located == 30, "every V3 packet reaches its block's %d-byte private area", PRIV);
    CHECK(p.blocks >= 3 && p.persisted == 30, "what the first packet of a block wrote there is seen by the rest (%u)",
          p.persisted);
    ringcap_capture_close(h);
}

struct dev {
    unsigned n;
    int ifindex;
};

static void on_dev(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    struct dev *d = user;
    if (m->protocol == RC_ETHERTYPE) {
        d->n++;
        d->ifindex = m->ifindex;
    }
}

/* Frames to the macvlan device mv0's address reach it through rc0 (the
 * macvlan receive handler moves them up without a new receive pass, so the
 * kernel still knows rc0 as the original device). */
static struct dev capture_upper_device(int origdev) {
    ringcap_config *cfg = rc_config("mv0", 2);
    REQUIRE(ringcap_config_set_origdev(cfg, origdev) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    rc_send_sequence("rc1", "mv0", 0, 5);
    struct dev d = {0, 0};
    rc_drain(h, on_dev, &d);
    ringcap_capture_close(h);
    return d;
}

static void test_origdev(void) {
    rc_sh("ip link add link rc0 name mv0 type macvlan mode bridge && ip link set mv0 up");
    int lower = (int)if_nametoindex("rc0"), upper = (int)if_nametoindex("mv0");
    struct dev plain = capture_upper_device(0);
    struct dev orig = capture_upper_device(1);
    printf("rc0 is %d, mv0 is %d: without ORIGDEV ifindex %d (%u), with %d (%u)\n", lower, upper, plain.ifindex,
           plain.n, orig.ifindex, orig.n);
    CHECK(plain.n == 5 && plain.ifindex == upper, "without PACKET_ORIGDEV packets report the macvlan device");
    CHECK(orig.n == 5 && orig.ifindex == lower, "with PACKET_ORIGDEV they report the device they arrived on");
}

int main(void) {
    rc_test_netns();
    for (int version = 1; version <= 3; version++) {
        test_offsets(version, 0);
        test_offsets(version, 1);
    }
    test_private_area();
    test_origdev();
    return rc_test_done();
}
