/*
 * Frames smaller than the packet: PACKET_COPY_THRESH hands a GSO packet
 * larger than its V2 frame over whole (TP_STATUS_COPY); with the option off
 * the frames are sized for 64 KiB. Also: TP_STATUS_LOSING after drops, and
 * PACKET_RESERVE headroom in front of the data.
 *
 * The large packets are real TCP segments: rc1 is moved into a child's
 * network namespace and the child sends 256 KiB over TCP to rc0; veth keeps
 * the sender's TSO aggregates whole, so rc0 receives packets up to 64 KiB.
 */
#include "rc_net.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/wait.h>

#define BYTES (256 * 1024)
#define BURST_BYTES (4 * 1024 * 1024)

struct big {
    unsigned frame_size, n, big, big_whole_copy, big_whole, big_truncated, copy_bad;
    unsigned max_len;
    /* virtio-net headers: packets with one, big ones with GSO TCPv4 and a sane segment size */
    unsigned vnet, vnet_eth_ok, over_mtu, over_mtu_whole, big_gso_ok, small_gso_none, first_gso_type, first_gso_size;
};

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct big *b = user;
    b->n++;
    if (m->vnet_valid) {
        b->vnet++;
        /* The EtherType where an Ethernet header has it is the one the kernel reports. */
        b->vnet_eth_ok += m->caplen > 14 && (data[12] << 8 | data[13]) == m->protocol;
        if (m->len > 1514) {
            b->over_mtu++;
            b->over_mtu_whole += m->caplen == m->len;
            if (!b->first_gso_type) {
                b->first_gso_type = m->vnet.gso_type;
                b->first_gso_size = m->vnet.gso_size;
            }
            /* VIRTIO_NET_HDR_GSO_TCPV4 is 1; hdr_len covers Ethernet + IP + TCP. */
            b->big_gso_ok += (m->vnet.gso_type & 0x7f) == 1 && m->vnet.gso_size > 0 && m->vnet.gso_size <= 1460 &&
                             m->vnet.hdr_len >= 54 && m->vnet.hdr_len < 200;
        } else {
            b->small_gso_none += m->vnet.gso_type == 0;
        }
    }
    if (m->len > b->max_len) {
        b->max_len = m->len;
    }
    if (m->len + 100 > b->frame_size) {
        b->big++;
        if (m->caplen == m->len) {
            b->big_whole++;
            b->big_whole_copy += (m->status & RINGCAP_TP_STATUS_COPY) != 0;
        } else {
            b->big_truncated++;
        }
    }
    if ((m->status & RINGCAP_TP_STATUS_COPY) && m->caplen != m->len) {
        b->copy_bad++;
    }
}

/* The peer: a child in its own namespace owning rc1; each byte on `go`
 * makes it send BYTES over a new TCP connection to 10.9.0.1:5555. */
static void child_sender(int ready_w, int go_r) {
    int r = unshare(CLONE_NEWNET);
    REQUIRE(r == 0, "child unshare: %s", strerror(errno));
    char c = 'r';
    ssize_t n = write(ready_w, &c, 1);
    REQUIRE(n == 1, "ready");
    n = read(go_r, &c, 1); /* rc1 is here now */
    REQUIRE(n == 1, "moved");
    rc_sh("ip link set lo up && ip addr add 10.9.0.2/24 dev rc1 && ip link set rc1 up");
    n = write(ready_w, &c, 1);
    REQUIRE(n == 1, "configured");
    static char payload[BURST_BYTES];
    memset(payload, 'x', sizeof payload);
    while (read(go_r, &c, 1) == 1) {
        size_t bytes = c == 'G' ? BURST_BYTES : BYTES;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to;
        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = htons(5555);
        to.sin_addr.s_addr = htonl(0x0a090001);
        int ok = -1;
        for (int i = 0; i < 100 && ok != 0; i++) {
            ok = connect(fd, (struct sockaddr *)&to, sizeof to);
            if (ok != 0) {
                usleep(20000);
            }
        }
        REQUIRE(ok == 0, "connect: %s", strerror(errno));
        size_t sent = 0;
        while (sent < bytes) {
            ssize_t w = write(fd, payload + sent, bytes - sent);
            REQUIRE(w > 0, "write: %s", strerror(errno));
            sent += (size_t)w;
        }
        close(fd);
    }
    _exit(0);
}

static int peer_go = -1, listener = -1;
static pid_t peer_pid;

static void peer_start(void) {
    rc_sh("ip addr add 10.9.0.1/24 dev rc0");
    listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in me;
    memset(&me, 0, sizeof me);
    me.sin_family = AF_INET;
    me.sin_port = htons(5555);
    me.sin_addr.s_addr = htonl(0x0a090001);
    int lr = bind(listener, (struct sockaddr *)&me, sizeof me);
    lr = lr == 0 ? listen(listener, 4) : lr;
    REQUIRE(lr == 0, "listen: %s", strerror(errno));
    int ready[2], go[2];
    int pr = pipe(ready) | pipe(go);
    REQUIRE(pr == 0, "pipe");
    peer_pid = fork();
    REQUIRE(peer_pid >= 0, "fork");
    if (peer_pid == 0) {
        close(ready[0]);
        close(go[1]);
        child_sender(ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    ssize_t n = read(ready[0], &c, 1);
    REQUIRE(n == 1, "child ready");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ip link set rc1 netns %d", (int)peer_pid);
    rc_sh(cmd);
    n = write(go[1], &c, 1);
    REQUIRE(n == 1, "moved");
    n = read(ready[0], &c, 1);
    REQUIRE(n == 1, "child configured");
    close(ready[0]);
    peer_go = go[1];
}

static void peer_stop(void) {
    close(peer_go);
    int status;
    waitpid(peer_pid, &status, 0);
    close(listener);
}

/* One TCP transfer from the peer to rc0 while `h` captures: BYTES, or with
 * `burst` BURST_BYTES without reading the ring until it is over. */
static struct big transfer_ex(ringcap_capture *h, int burst) {
    ringcap_ring_info info;
    int ir = ringcap_capture_ring_info(h, &info);
    REQUIRE(ir == 0, "ring info");
    struct big b;
    memset(&b, 0, sizeof b);
    b.frame_size = info.frame_size;
    char c = burst ? 'G' : 'g';
    size_t want = burst ? BURST_BYTES : BYTES;
    ssize_t n = write(peer_go, &c, 1);
    REQUIRE(n == 1, "go");
    int conn = accept(listener, NULL, NULL);
    REQUIRE(conn >= 0, "accept: %s", strerror(errno));
    size_t got = 0;
    static char buf[65536];
    for (;;) {
        struct pollfd p[2] = {{conn, POLLIN, 0}, {ringcap_capture_get_fd(h), POLLIN, 0}};
        poll(p, 2, 200);
        if (!burst && (p[1].revents & POLLIN)) {
            int r = ringcap_capture_dispatch(h, 0, on_packet, &b);
            REQUIRE(r >= 0, "dispatch: %s", ringcap_capture_last_error(h));
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(conn, buf, sizeof buf);
            if (r <= 0) {
                break;
            }
            got += (size_t)r;
        }
    }
    close(conn);
    usleep(20000);
    rc_drain(h, on_packet, &b);
    CHECK(got == want, "the TCP transfer completed (%zu bytes)", got);
    return b;
}

static struct big transfer(ringcap_capture *h) {
    return transfer_ex(h, 0);
}

/* A capture of what rc0 receives, with or without virtio-net headers. */
static ringcap_capture *open_incoming(int version, bool vnet) {
    ringcap_config *cfg = rc_config("rc0", version);
    REQUIRE(ringcap_config_set_direction(cfg, RINGCAP_DIRECTION_INCOMING) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_vnet_header(cfg, vnet) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    return h;
}

static void test_copy_threshold(void) {
    ringcap_capture *h = open_incoming(2, false);
    struct big b = transfer(h);
    printf("copy threshold on: frame %u, %u packets, largest %u, %u larger than a frame: %u whole via "
           "TP_STATUS_COPY, %u truncated (socket queue full)\n",
           b.frame_size, b.n, b.max_len, b.big, b.big_whole_copy, b.big_truncated);
    CHECK(b.frame_size < 4096, "V2 frames are sized for the MTU (%u)", b.frame_size);
    CHECK(b.big > 0 && b.max_len > b.frame_size, "packets larger than a frame arrived (%u, largest %u)", b.big,
          b.max_len);
    CHECK(b.big_whole_copy > 0 && b.big_whole_copy == b.big_whole,
          "larger packets arrive whole, marked TP_STATUS_COPY (%u of %u)", b.big_whole_copy, b.big);
    CHECK(b.copy_bad == 0, "no TP_STATUS_COPY packet is short");
    ringcap_capture_close(h);
}

static void test_copy_threshold_off(void) {
    ringcap_config *cfg = rc_config("rc0", 2);
    REQUIRE(ringcap_config_set_copy_threshold(cfg, false) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_direction(cfg, RINGCAP_DIRECTION_INCOMING) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    struct big b = transfer(h);
    printf("copy threshold off: frame %u, %u packets, largest %u, %u whole with TP_STATUS_COPY\n", b.frame_size, b.n,
           b.max_len, b.big_whole_copy);
    CHECK(b.frame_size > 65536, "frames hold 64 KiB packets (%u)", b.frame_size);
    CHECK(b.max_len > 1514 && b.big_whole_copy == 0 && b.big_truncated == 0,
          "large packets arrive whole in their frame, without TP_STATUS_COPY");
    ringcap_capture_close(h);
}

/* A 4 MiB transfer the reader does not touch until it is over: every
 * aggregate over the frame size waits as a copy on the socket queue, whose
 * receive buffer ringcap sized for the ring, so none is cut short. */
static void test_copy_burst(void) {
    ringcap_capture *h = open_incoming(2, false);
    struct big b = transfer_ex(h, 1);
    ringcap_stats st;
    REQUIRE(ringcap_capture_stats(h, &st) == 0, "stats");
    printf("burst: %u packets, %u larger than a frame: %u whole via TP_STATUS_COPY, %u truncated; stats truncated "
           "%llu, dropped %llu\n",
           b.n, b.big, b.big_whole_copy, b.big_truncated, (unsigned long long)st.truncated,
           (unsigned long long)st.dropped);
    CHECK(b.big >= 20, "the burst brought many packets larger than a frame (%u)", b.big);
    CHECK(b.big_truncated == 0 && b.big_whole_copy == b.big, "all %u arrive whole (%u truncated)", b.big,
          b.big_truncated);
    CHECK(st.truncated == 0 && st.received == st.delivered + st.dropped + st.filtered,
          "nothing truncated, the counts add up");
    ringcap_capture_close(h);
}

/* Frames too small and no copies: every cut packet is counted. */
static void test_truncation_counted(void) {
    unsigned page = (unsigned)getpagesize();
    ringcap_config *cfg = rc_config("rc0", 2);
    REQUIRE(ringcap_config_set_copy_threshold(cfg, false) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_direction(cfg, RINGCAP_DIRECTION_INCOMING) == 0, "%s", ringcap_last_error());
    REQUIRE(ringcap_config_set_geometry(cfg, page, 512, 2048, 512 * (page / 2048)) == 0, "%s", ringcap_last_error());
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    struct big b = transfer(h);
    ringcap_stats st;
    REQUIRE(ringcap_capture_stats(h, &st) == 0, "stats");
    printf("2048-byte frames without copies: %u packets, %u truncated; stats truncated %llu\n", b.n, b.big_truncated,
           (unsigned long long)st.truncated);
    CHECK(b.big_truncated > 0 && st.truncated == b.big_truncated,
          "every packet cut to its frame is counted in stats.truncated (%llu of %u)", (unsigned long long)st.truncated,
          b.big_truncated);
    CHECK(st.received == st.delivered + st.dropped + st.filtered, "the counts add up");
    ringcap_capture_close(h);
}

/* PACKET_VNET_HDR: each packet's virtio-net header, from the ring (V3) and
 * from the queued copy (V2 with PACKET_COPY_THRESH). */
static void test_vnet(int version) {
    ringcap_capture *h = open_incoming(version, true);
    struct big b = transfer(h);
    printf("V%d vnet: %u packets, %u with a header, %u over the MTU (%u whole, %u via copy): %u GSO TCPv4 ok (first: "
           "type %u size %u); %u small without GSO\n",
           version, b.n, b.vnet, b.over_mtu, b.over_mtu_whole, b.big_whole_copy, b.big_gso_ok, b.first_gso_type,
           b.first_gso_size, b.small_gso_none);
    CHECK(b.n > 0 && b.vnet == b.n, "V%d: every packet has its virtio-net header (%u of %u)", version, b.vnet, b.n);
    CHECK(b.over_mtu > 0 && b.big_gso_ok == b.over_mtu,
          "V%d: aggregates report GSO TCPv4 with their segment size (%u of %u)", version, b.big_gso_ok, b.over_mtu);
    CHECK(b.small_gso_none == b.n - b.over_mtu, "V%d: packets that are not aggregates report no GSO", version);
    CHECK(b.over_mtu_whole == b.over_mtu && b.vnet_eth_ok == b.n,
          "V%d: the data still starts at the Ethernet header (%u of %u) and aggregates are whole", version, b.vnet_eth_ok,
          b.n);
    ringcap_capture_close(h);

    ringcap_config *cfg = rc_config("rc0", version);
    ringcap_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM);
    int r = ringcap_config_set_vnet_header(cfg, true);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT, "V%d: virtio-net headers on SOCK_DGRAM are refused (%d): %s",
          version, r, ringcap_config_last_error(cfg));
    ringcap_config_free(cfg);
}

struct losing {
    unsigned n, losing;
};

static void on_losing(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    struct losing *l = user;
    l->n++;
    l->losing += (m->status & RINGCAP_TP_STATUS_LOSING) != 0;
}

static void test_losing(int version) {
    unsigned page = (unsigned)getpagesize();
    ringcap_config *cfg = rc_config("rc0", version);
    if (version == 3) {
        REQUIRE(ringcap_config_set_geometry(cfg, page, 2, 2048, 2 * (page / 2048)) == 0, "%s", ringcap_last_error());
    } else {
        REQUIRE(ringcap_config_set_geometry(cfg, page, 1, 2048, page / 2048) == 0, "%s", ringcap_last_error());
    }
    ringcap_capture *h = rc_open(cfg);
    ringcap_config_free(cfg);
    rc_send_sequence("rc1", "rc0", 0, 100); /* fills the tiny ring; the rest is dropped */
    usleep(20000);
    struct losing l = {0, 0};
    rc_drain(h, on_losing, &l);
    CHECK(l.n > 0 && l.n < 100, "V%d: the tiny ring dropped (%u of 100 delivered)", version, l.n);
    rc_send_sequence("rc1", "rc0", 0, 1);
    usleep(20000);
    memset(&l, 0, sizeof l);
    rc_drain(h, on_losing, &l);
    /* The kernel sets the bit on V1/V2 frames only (V3 reports a frozen ring per block). */
    unsigned want = version < 3 ? 1 : 0;
    CHECK(l.n == 1 && l.losing == want, "V%d: the first packet after the drops has TP_STATUS_LOSING: %u/%u", version,
          l.losing, l.n);
    ringcap_stats st;
    int sr = ringcap_capture_stats(h, &st);
    REQUIRE(sr == 0, "stats");
    rc_send_sequence("rc1", "rc0", 0, 1);
    usleep(20000);
    memset(&l, 0, sizeof l);
    rc_drain(h, on_losing, &l);
    CHECK(l.n == 1 && l.losing == 0, "V%d: reading the statistics clears it (%u/%u)", version, l.losing, l.n);
    ringcap_capture_close(h);
}

struct headroom {
    unsigned n, ok;
    unsigned offset;
};

static void on_reserved(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    struct headroom *r = user;
    r->n++;
    r->offset = (unsigned)((uintptr_t)data % 2048);
    uint8_t want[1514], src[6], dst[6];
    rc_mac("rc1", src);
    rc_mac("rc0", dst);
    rc_build_frame(want, m->len, r->n - 1, dst, src);
    r->ok += m->caplen == m->len && memcmp(data, want, m->len) == 0;
}

static void test_reserve(void) {
    unsigned page = (unsigned)getpagesize();
    for (unsigned reserve = 0; reserve <= 128; reserve += 64) {
        ringcap_config *cfg = rc_config("rc0", 2);
        REQUIRE(ringcap_config_set_reserve(cfg, reserve) == 0, "%s", ringcap_last_error());
        REQUIRE(ringcap_config_set_geometry(cfg, page, 8, 2048, 8 * (page / 2048)) == 0, "%s", ringcap_last_error());
        ringcap_capture *h = rc_open(cfg);
        ringcap_config_free(cfg);
        rc_send_sequence("rc1", "rc0", 0, 5);
        struct headroom r = {0, 0, 0};
        rc_drain(h, on_reserved, &r);
        /* TPACKET2_HDRLEN is 52: the kernel puts the network header at
         * TPACKET_ALIGN(52 + 16) + reserve and the 14-byte MAC header before it. */
        unsigned want = 80 + reserve - 14;
        printf("reserve %u: data at offset %u of the frame\n", reserve, r.offset);
        CHECK(r.n == 5 && r.ok == 5, "reserve %u: capture works (%u/%u exact)", reserve, r.ok, r.n);
        CHECK(r.offset == want && r.offset - 52 >= reserve, "reserve %u: %u bytes of headroom after the header",
              reserve, r.offset - 52);
        ringcap_capture_close(h);
    }
}

int main(void) {
    rc_test_netns();
    rc_write_file("/proc/sys/net/ipv4/ip_forward", "0");
    test_losing(2);
    test_losing(3);
    test_reserve();
    peer_start();
    test_copy_threshold();
    test_copy_threshold_off();
    test_copy_burst();
    test_truncation_counted();
    test_vnet(3);
    test_vnet(2);
    peer_stop();
    return rc_test_done();
}
