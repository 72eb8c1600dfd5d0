/*
 * Promiscuous mode and multicast membership (PACKET_ADD_MEMBERSHIP), all
 * dropped when the handle closes.
 *
 * A veth device does no destination-MAC filtering: a frame for a foreign
 * unicast MAC is handed to packet sockets on the receiving veth as
 * PACKET_OTHERHOST whether or not the device is promiscuous (checked
 * below). To test what promiscuous mode changes, the capture runs on a
 * bridge (br0, with rc0 as its port): like a NIC, a bridge device passes a
 * frame for a MAC that is not its own up its own stack only while it is
 * promiscuous.
 */
#include "rc_net.h"

static const uint8_t FOREIGN[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

struct seen {
    unsigned foreign, own, otherhost;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct seen *s = user;
    if (m->caplen < 14 || data[12] != (RC_ETHERTYPE >> 8) || data[13] != (RC_ETHERTYPE & 0xff)) {
        return;
    }
    if (memcmp(data, FOREIGN, 6) == 0) {
        s->foreign++;
        s->otherhost += m->pkttype == PACKET_OTHERHOST;
    } else {
        s->own++;
    }
}

/* 5 frames to FOREIGN and 5 to `own_dst`, from rc1. */
static void send_mix(const uint8_t own_dst[6]) {
    uint8_t src[6], buf[100];
    rc_mac("rc1", src);
    int fd = rc_sender("rc1");
    for (unsigned i = 0; i < 5; i++) {
        rc_build_frame(buf, 60, i, FOREIGN, src);
        rc_send(fd, buf, 60);
        rc_build_frame(buf, 60, i, own_dst, src);
        rc_send(fd, buf, 60);
    }
    close(fd);
}

static struct seen capture_mix(ringcap_capture *h, const uint8_t own_dst[6]) {
    struct seen s = {0, 0, 0};
    rc_drain(h, on_packet, &s); /* anything before */
    memset(&s, 0, sizeof s);
    send_mix(own_dst);
    rc_drain(h, on_packet, &s);
    return s;
}

/*
 * The device's promiscuity / allmulti counters from `ip -d link`.
 * SIOCGIFFLAGS (and getifaddrs) report IFF_PROMISC only when set with
 * `ip link set ... promisc on`, not the count packet sockets add.
 */
static int counter(const char *ifname, const char *name) {
    char cmd[128], out[4096];
    snprintf(cmd, sizeof cmd, "ip -d link show %s", ifname);
    FILE *p = popen(cmd, "r");
    REQUIRE(p != NULL, "popen");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    pclose(p);
    char key[64];
    snprintf(key, sizeof key, " %s ", name);
    const char *at = strstr(out, key);
    return at ? atoi(at + strlen(key)) : -1;
}

static int in_dev_mcast(const char *ifname, const char *hex) {
    FILE *f = fopen("/proc/net/dev_mcast", "r");
    if (!f) {
        return -1;
    }
    char line[256];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, ifname) && strstr(line, hex)) {
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int main(void) {
    rc_test_netns();
    uint8_t rc0_mac[6];
    rc_mac("rc0", rc0_mac);

    /* veth: foreign frames arrive as OTHERHOST even without promiscuous mode. */
    ringcap_config *cfg = rc_config("rc0", 3);
    ringcap_capture *h = rc_open(cfg);
    struct seen s = capture_mix(h, rc0_mac);
    printf("veth rc0, not promiscuous: foreign %u (otherhost %u), own %u\n", s.foreign, s.otherhost, s.own);
    CHECK(s.foreign == 5 && s.otherhost == 5 && s.own == 5,
          "veth does no MAC filtering: foreign frames reach the socket as PACKET_OTHERHOST");
    ringcap_capture_close(h);
    ringcap_config_free(cfg);

    rc_sh("ip link add br0 type bridge && ip link set rc0 master br0 && ip link set br0 up");
    uint8_t br_mac[6];
    rc_mac("br0", br_mac);

    /* Bridge without promiscuous mode: only frames for its own MAC. */
    cfg = rc_config("br0", 3);
    h = rc_open(cfg);
    s = capture_mix(h, br_mac);
    printf("br0, not promiscuous: foreign %u, own %u\n", s.foreign, s.own);
    CHECK(s.foreign == 0 && s.own == 5, "without promiscuous mode frames for another MAC are not seen");
    CHECK(counter("br0", "promiscuity") == 0, "br0 is not promiscuous");

    /* Switched on at run time. */
    CHECK(ringcap_capture_set_promiscuous(h, true) == 0, "set_promiscuous: %s", ringcap_capture_last_error(h));
    CHECK(counter("br0", "promiscuity") == 1, "br0 is promiscuous (promiscuity %d)", counter("br0", "promiscuity"));
    s = capture_mix(h, br_mac);
    printf("br0, promiscuous at run time: foreign %u (otherhost %u), own %u\n", s.foreign, s.otherhost, s.own);
    CHECK(s.foreign == 5 && s.otherhost == 5 && s.own == 5, "in promiscuous mode foreign frames are seen");
    CHECK(ringcap_capture_set_promiscuous(h, false) == 0, "unset: %s", ringcap_capture_last_error(h));
    CHECK(counter("br0", "promiscuity") == 0, "promiscuous mode is off again");
    s = capture_mix(h, br_mac);
    CHECK(s.foreign == 0 && s.own == 5, "and foreign frames are filtered again (%u)", s.foreign);
    /* The kernel counts per socket: dropping what this handle does not hold is a no-op. */
    CHECK(ringcap_capture_set_promiscuous(h, false) == 0, "dropping twice is harmless");
    CHECK(counter("br0", "promiscuity") == 0, "and does not go below zero");
    ringcap_capture_close(h);

    /* From the configuration, with all-multicast and a multicast address;
     * everything is dropped at close. */
    REQUIRE(ringcap_config_set_promiscuous(cfg, true) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_all_multicast(cfg, true) == 0, "%s", ringcap_last_error());
    const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
    REQUIRE(ringcap_config_add_multicast(cfg, group) == 0, "%s", ringcap_last_error());
    const uint8_t unicast[6] = {0x02, 0, 0, 0, 0, 1};
    CHECK(ringcap_config_add_multicast(cfg, unicast) == RINGCAP_RESULT_INVALID_ARGUMENT, "a unicast MAC: %s",
          ringcap_last_error());
    h = NULL;
    int refused = ringcap_capture_open(cfg, &h);
    CHECK(refused == RINGCAP_RESULT_INVALID_ARGUMENT && h == NULL &&
              strstr(ringcap_last_error(), "ringcap_config_add_multicast() failed") != NULL,
          "the config with a refused address does not open (%d): %s", refused, ringcap_last_error());
    REQUIRE(ringcap_config_add_multicast(cfg, group) == 0, "adding a valid address again: %s", ringcap_last_error());
    h = rc_open(cfg);
    CHECK(counter("br0", "promiscuity") == 1 && counter("br0", "allmulti") >= 1,
          "br0 promiscuous and all-multicast while open (%d, %d)", counter("br0", "promiscuity"),
          counter("br0", "allmulti"));
    CHECK(in_dev_mcast("br0", "01005e010203") == 1, "the multicast address is on br0's list");
    s = capture_mix(h, br_mac);
    CHECK(s.foreign == 5 && s.own == 5, "promiscuous from the config: foreign %u own %u", s.foreign, s.own);
    CHECK(ringcap_capture_set_multicast(h, group, false) == 0, "leave the group: %s", ringcap_capture_last_error(h));
    CHECK(in_dev_mcast("br0", "01005e010203") == 0, "the address left br0's list");
    CHECK(ringcap_capture_set_multicast(h, group, true) == 0, "join again: %s", ringcap_capture_last_error(h));
    ringcap_capture_close(h);
    CHECK(counter("br0", "promiscuity") == 0 && counter("br0", "allmulti") == 0,
          "close dropped promiscuous and all-multicast (%d, %d)", counter("br0", "promiscuity"),
          counter("br0", "allmulti"));
    CHECK(in_dev_mcast("br0", "01005e010203") == 0, "close dropped the multicast address");

    /* Memberships need a device. */
    ringcap_config_set_interface(cfg, "any");
    ringcap_capture *any = NULL;
    int r = ringcap_capture_open(cfg, &any);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && any == NULL, "promiscuous on \"any\" is refused (%d): %s", r,
          ringcap_last_error());
    ringcap_config_free(cfg);
    return rc_test_done();
}
