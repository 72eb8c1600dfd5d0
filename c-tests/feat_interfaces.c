/*
 * Interface listing: every interface of the namespace with index, flags,
 * MTU, hardware address and IPv4/IPv6 addresses.
 */
#include "rc_net.h"

static const ringcap_interface *find(const ringcap_interface *list, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].name, name) == 0) {
            return &list[i];
        }
    }
    return NULL;
}

static int has_addr(const ringcap_interface *i, int family, const char *text, unsigned prefix) {
    uint8_t want[16];
    REQUIRE(inet_pton(family, text, want) == 1, "inet_pton %s", text);
    size_t len = family == AF_INET ? 4 : 16;
    for (size_t k = 0; k < i->address_count; k++) {
        const ringcap_interface_address *a = &i->addresses[k];
        if (a->family == family && a->prefix_len == prefix && memcmp(a->addr, want, len) == 0) {
            return 1;
        }
    }
    return 0;
}

int main(void) {
    rc_test_netns();
    rc_write_file("/proc/sys/net/ipv6/conf/rc0/disable_ipv6", "0");
    rc_sh("ip addr add 10.9.0.1/24 dev rc0 && ip addr add 10.9.1.1/16 dev rc0 && "
          "ip -6 addr add fd00::1/64 dev rc0 nodad && ip link set rc1 mtu 1400 && "
          "ip link add rcdown type veth peer name rcdown1");

    ringcap_interface *list = NULL;
    size_t n = 0;
    int r = ringcap_interfaces_list(&list, &n); /* not inside REQUIRE: it evaluates its condition twice */
    REQUIRE(r == 0, "list: %s", ringcap_last_error());
    for (size_t i = 0; i < n; i++) {
        printf("%u %-8s flags %#07x mtu %u hatype %u hw %u bytes, %zu addresses\n", list[i].index, list[i].name,
               list[i].flags, list[i].mtu, list[i].hatype, list[i].hwaddr_len, list[i].address_count);
    }
    CHECK(n == 5, "lo, rc0, rc1, rcdown, rcdown1 (%zu)", n);
    for (size_t i = 1; i < n; i++) {
        CHECK(list[i - 1].index < list[i].index, "ordered by index");
    }

    const ringcap_interface *lo = find(list, n, "lo");
    REQUIRE(lo != NULL, "lo listed");
    CHECK(lo->index == 1 && (lo->flags & RINGCAP_INTERFACE_FLAG_LOOPBACK) && (lo->flags & RINGCAP_INTERFACE_FLAG_UP) &&
              (lo->flags & RINGCAP_INTERFACE_FLAG_RUNNING),
          "lo: index 1, up, running, loopback (%#x)", lo->flags);
    CHECK(lo->hatype == 772 && lo->mtu == 65536, "lo: ARPHRD_LOOPBACK, mtu 65536 (%u, %u)", lo->hatype, lo->mtu);
    CHECK(has_addr(lo, AF_INET, "127.0.0.1", 8), "lo has 127.0.0.1/8");

    const ringcap_interface *rc0 = find(list, n, "rc0");
    REQUIRE(rc0 != NULL, "rc0 listed");
    uint8_t mac[6];
    rc_mac("rc0", mac);
    CHECK(rc0->index == if_nametoindex("rc0"), "rc0 index");
    CHECK(rc0->hwaddr_len == 6 && memcmp(rc0->hwaddr, mac, 6) == 0 && rc0->hatype == 1, "rc0 Ethernet address");
    CHECK((rc0->flags & RINGCAP_INTERFACE_FLAG_UP) && (rc0->flags & RINGCAP_INTERFACE_FLAG_RUNNING) &&
              !(rc0->flags & RINGCAP_INTERFACE_FLAG_LOOPBACK) && (rc0->flags & RINGCAP_INTERFACE_FLAG_MULTICAST),
          "rc0 up, running, multicast, not loopback (%#x)", rc0->flags);
    CHECK(rc0->mtu == 1500, "rc0 mtu 1500 (%u)", rc0->mtu);
    /* Two IPv4, fd00::1 and the IPv6 link-local address the kernel adds. */
    CHECK(rc0->address_count == 4, "rc0 has 4 addresses (%zu)", rc0->address_count);
    CHECK(has_addr(rc0, AF_INET, "10.9.0.1", 24) && has_addr(rc0, AF_INET, "10.9.1.1", 16), "rc0 IPv4 addresses");
    CHECK(has_addr(rc0, AF_INET6, "fd00::1", 64), "rc0 IPv6 address");

    const ringcap_interface *rc1 = find(list, n, "rc1");
    REQUIRE(rc1 != NULL, "rc1 listed");
    CHECK(rc1->mtu == 1400 && rc1->address_count == 0 && rc1->addresses == NULL, "rc1: mtu 1400, no address");
    const ringcap_interface *down = find(list, n, "rcdown");
    REQUIRE(down != NULL, "rcdown listed");
    CHECK(!(down->flags & RINGCAP_INTERFACE_FLAG_UP) && !(down->flags & RINGCAP_INTERFACE_FLAG_RUNNING),
          "an interface that is down is listed as down (%#x)", down->flags);

    CHECK(!(rc1->flags & RINGCAP_INTERFACE_FLAG_PROMISC) && rc1->promiscuity == 0, "rc1 is not promiscuous");
    ringcap_interfaces_free(list);

    /* A capture holding rc1 promiscuous and all-multicast shows in the listing. */
    ringcap_config *cfg = rc_config("rc1", 3);
    ringcap_config_set_promiscuous(cfg, true);
    ringcap_config_set_all_multicast(cfg, true);
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    r = ringcap_interfaces_list(&list, &n);
    REQUIRE(r == 0, "list: %s", ringcap_last_error());
    rc1 = find(list, n, "rc1");
    REQUIRE(rc1 != NULL, "rc1 listed");
    printf("rc1 with a promiscuous capture: flags %#x promiscuity %u allmulti %u\n", rc1->flags, rc1->promiscuity,
           rc1->allmulti);
    CHECK((rc1->flags & RINGCAP_INTERFACE_FLAG_PROMISC) && rc1->promiscuity == 1, "rc1 promiscuous (%u)",
          rc1->promiscuity);
    CHECK(rc1->flags & RINGCAP_INTERFACE_FLAG_ALL_MULTI, "rc1 all-multicast");
    ringcap_interfaces_free(list);
    ringcap_capture_close(h);
    r = ringcap_interfaces_list(&list, &n);
    REQUIRE(r == 0, "list: %s", ringcap_last_error());
    rc1 = find(list, n, "rc1");
    REQUIRE(rc1 != NULL, "rc1 listed");
    CHECK(!(rc1->flags & (RINGCAP_INTERFACE_FLAG_PROMISC | RINGCAP_INTERFACE_FLAG_ALL_MULTI)) && rc1->promiscuity == 0,
          "closing the capture ends both (%#x)", rc1->flags);

    ringcap_interfaces_free(list);
    ringcap_interfaces_free(list); /* a second free is ignored */
    ringcap_interfaces_free(NULL);
    int dummy;
    ringcap_interfaces_free((ringcap_interface *)&dummy); /* a foreign pointer too */
    CHECK(ringcap_interfaces_list(NULL, &n) == RINGCAP_RESULT_NULL_PARAMETER, "NULL out");
    CHECK(ringcap_interfaces_list(&list, NULL) == RINGCAP_RESULT_NULL_PARAMETER, "NULL count");
    return rc_test_done();
}
