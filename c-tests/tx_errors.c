/*
 * TX errors: oversized packets are refused before the kernel with a message
 * naming both sizes; a frame the kernel rejects (shorter than the Ethernet
 * header, or a V3 frame with tp_next_offset != 0) is reported with its
 * index and reason and stops the ring until ringcap_tx_skip_rejected() or
 * close, either of which sends the frames behind it (close never fails for
 * it), while with PACKET_LOSS every other packet goes out at once; closing
 * right after filling the whole ring sends every packet; misuse gives
 * clear codes.
 *
 * The tp_next_offset case needs a test hook that only a library built with
 * the test-hooks cargo feature exports (make test builds it so); against a
 * default build it is skipped, and with "hooks" as the argument it is
 * required.
 */
#include "tx_test.h"

/* Not in ringcap.h: test-only. Weak, so that the program still links and
 * runs against a library built without it (the symbol is then NULL). */
int32_t ringcap_tx_test_set_next_offset(ringcap_tx *h, uint32_t value) __attribute__((weak));

static uint8_t dst[6], src[6];

static void oversize(void) {
    ringcap_tx_config *cfg = rc_tx_config("rc0", 2);
    ringcap_tx *tx = rc_tx_open(cfg);
    uint8_t big[2000];
    memset(big, 0xab, sizeof big);
    int r = ringcap_tx_send(tx, big, 1515);
    CHECK(r == RINGCAP_RESULT_PACKET_TOO_LARGE, "1515 bytes on MTU 1500: %d", r);
    const char *msg = ringcap_tx_last_error(tx);
    CHECK(strstr(msg, "1515") && strstr(msg, "1514") && strstr(msg, "1500"), "message names the sizes: %s", msg);
    printf("message: %s\n", msg);
    CHECK(ringcap_tx_send(tx, big, 1514) == 0, "1514 bytes fit: %s", ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_send(tx, big, 0) == RINGCAP_RESULT_INVALID_ARGUMENT, "empty packet");
    CHECK(ringcap_tx_commit(tx, 60) == RINGCAP_RESULT_WRONG_STATE, "commit without a frame");
    uint8_t *buf;
    size_t room;
    CHECK(ringcap_tx_frame(tx, &buf, &room) == 0 && room == 1514, "frame room %zu", room);
    CHECK(ringcap_tx_commit(tx, room + 1) == RINGCAP_RESULT_PACKET_TOO_LARGE, "commit beyond room");
    CHECK(ringcap_tx_frame(tx, NULL, &room) == RINGCAP_RESULT_NULL_PARAMETER, "NULL buf");
    CHECK(ringcap_tx_close(tx) == 0, "close with a reserved, uncommitted frame");
    ringcap_tx_config_free(cfg);

    /* Small frames: the frame's data space is the limit. */
    cfg = rc_tx_config("rc0", 2);
    CHECK(ringcap_tx_config_set_geometry(cfg, 4096, 1, 256, 16) == 0, "%s", ringcap_tx_config_last_error(cfg));
    tx = rc_tx_open(cfg);
    CHECK(ringcap_tx_max_packet(tx) == 224, "256-byte V2 frames hold %d bytes", ringcap_tx_max_packet(tx));
    r = ringcap_tx_send(tx, big, 300);
    msg = ringcap_tx_last_error(tx);
    CHECK(r == RINGCAP_RESULT_PACKET_TOO_LARGE && strstr(msg, "300") && strstr(msg, "224"), "%d %s", r, msg);
    printf("message: %s\n", msg);
    ringcap_tx_close(tx);
    ringcap_tx_config_free(cfg);
}

/* After a rejection without PACKET_LOSS: go on with skip_rejected, or close. */
enum go_on { SKIP, CLOSE };

/* Sends seq 0..9, a malformed frame, then seq 10..19. */
static void malformed(int version, int loss, int use_hook, enum go_on how) {
    char label[80];
    snprintf(label, sizeof label, "V%d %s%s%s", version, use_hook ? "tp_next_offset" : "short frame",
             loss ? " with PACKET_LOSS" : "", loss ? "" : how == SKIP ? ", skip" : ", close");
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    CHECK(ringcap_tx_config_set_loss(cfg, loss) == 0, "loss");
    CHECK(ringcap_tx_config_set_batch(cfg, 0) == 0, "batch");
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    for (unsigned i = 0; i < 10; i++) {
        CHECK(rc_tx_frame(tx, i, dst, src) == 0, "queue %u", i);
    }
    uint8_t frame[1514];
    if (use_hook) {
        CHECK(ringcap_tx_test_set_next_offset(tx, 64) == 0, "hook: %s", ringcap_tx_last_error(tx));
        rc_build_frame(frame, 100, 999, dst, src);
        CHECK(ringcap_tx_send(tx, frame, 100) == 0, "queue the bad frame");
    } else {
        rc_build_frame(frame, 10, 999, dst, src);
        CHECK(ringcap_tx_send(tx, frame, 10) == 0, "a 10-byte frame is left to the kernel");
    }
    for (unsigned i = 10; i < 20; i++) {
        CHECK(rc_tx_frame(tx, i, dst, src) == 0, "queue %u", i);
    }
    int r = ringcap_tx_flush(tx);
    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    memcpy(seen.dst, dst, 6);
    memcpy(seen.src, src, 6);
    seen.seqs = rc_seq_range(0, 20);
    ringcap_tx_rejection rej;
    memset(&rej, 0, sizeof rej);
    if (loss) {
        CHECK(r == 0, "%s: flush %d %s", label, r, ringcap_tx_last_error(tx));
        CHECK(ringcap_tx_next_error(tx, &rej) == 0, "%s: PACKET_LOSS skips silently", label);
        seen.want = 20;
    } else {
        CHECK(r == RINGCAP_RESULT_WRONG_FORMAT, "%s: flush gives WRONG_FORMAT: %d %s", label, r,
              ringcap_tx_last_error(tx));
        printf("flush: %s\n", ringcap_tx_last_error(tx));
        CHECK(ringcap_tx_next_error(tx, &rej) == 1, "%s: a report", label);
        printf("report: index %u seq %llu len %u errno %d: %s\n", rej.index, (unsigned long long)rej.seq, rej.len,
               rej.error_number, rej.reason);
        CHECK(rej.index == 10 && rej.seq == 10 && rej.len == (use_hook ? 100u : 10u), "%s: index %u seq %llu len %u",
              label, rej.index, (unsigned long long)rej.seq, rej.len);
        CHECK(strstr(rej.reason, use_hook ? "tp_next_offset" : "link header") != NULL, "%s: reason %s", label,
              rej.reason);
        CHECK(ringcap_tx_next_error(tx, &rej) == 0, "one report only");
        CHECK(ringcap_tx_send(tx, frame, 60) == RINGCAP_RESULT_WRONG_FORMAT, "a stalled ring refuses more");
        CHECK(ringcap_tx_flush(tx) == RINGCAP_RESULT_WRONG_FORMAT, "and stays stopped until told");
        seen.want = 20;
        if (how == SKIP) {
            r = ringcap_tx_skip_rejected(tx);
            CHECK(r == 10, "%s: the 10 frames behind the bad one are queued again: %d %s", label, r,
                  ringcap_tx_last_error(tx));
            CHECK(ringcap_tx_skip_rejected(tx) == 0, "nothing more to skip");
            CHECK(ringcap_tx_flush(tx) == 0, "%s: flush after skip: %s", label, ringcap_tx_last_error(tx));
            for (unsigned i = 20; i < 25; i++) {
                CHECK(rc_tx_frame(tx, i, dst, src) == 0, "%s: queue %u after skip: %s", label, i,
                      ringcap_tx_last_error(tx));
            }
            CHECK(ringcap_tx_flush(tx) == 0, "%s: flush: %s", label, ringcap_tx_last_error(tx));
            ringcap_tx_counters st;
            ringcap_tx_stats(tx, &st);
            CHECK(st.queued == 26 && st.completed == 25 && st.rejected == 1 && st.in_flight == 0,
                  "%s: queued %llu completed %llu rejected %llu in flight %u", label, (unsigned long long)st.queued,
                  (unsigned long long)st.completed, (unsigned long long)st.rejected, st.in_flight);
            free((void *)seen.seqs);
            seen.seqs = rc_seq_range(0, 25);
            seen.want = 25;
        }
    }
    r = ringcap_tx_close(tx);
    CHECK(r == 0, "%s: close never fails for a rejected frame: %d %s", label, r, ringcap_last_error());
    rc_expect(peer, &seen, label); /* close: the frames behind the bad one went out too */
    ringcap_capture_close(peer);
    free((void *)seen.seqs);
}

/* The MTU lowered under an open handle: the frame over it is rejected by
 * the kernel at the kick, reported with the current limit, and skipped;
 * the frames around it arrive. */
static void mtu_lowered(void) {
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", 2);
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    for (unsigned i = 0; i < 5; i++) {
        CHECK(rc_tx_frame(tx, i, dst, src) == 0, "queue %u", i);
    }
    rc_sh("ip link set dev rc0 mtu 1000");
    uint8_t frame[1514];
    rc_build_frame(frame, 1400, 999, dst, src);
    CHECK(ringcap_tx_send(tx, frame, 1400) == 0, "1400 bytes pass the open-time limit (1514)");
    for (unsigned i = 5; i < 10; i++) {
        CHECK(rc_tx_frame(tx, i, dst, src) == 0, "queue %u", i);
    }
    CHECK(ringcap_tx_flush(tx) == RINGCAP_RESULT_WRONG_FORMAT, "flush: %s", ringcap_tx_last_error(tx));
    ringcap_tx_rejection rej;
    CHECK(ringcap_tx_next_error(tx, &rej) == 1 && rej.seq == 5 && rej.len == 1400 && rej.error_number == EMSGSIZE,
          "report: seq %llu len %u errno %d", (unsigned long long)rej.seq, rej.len, rej.error_number);
    CHECK(strstr(rej.reason, "MTU 1000") && strstr(rej.reason, "1014"), "the current limit: %s", rej.reason);
    printf("report: %s\n", rej.reason);
    CHECK(ringcap_tx_skip_rejected(tx) == 5, "skip: %s", ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_close(tx) == 0, "close: %s", ringcap_last_error());
    rc_sh("ip link set dev rc0 mtu 1500");
    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    memcpy(seen.dst, dst, 6);
    memcpy(seen.src, src, 6);
    seen.want = 10;
    seen.seqs = rc_seq_range(0, 10);
    rc_expect(peer, &seen, "MTU lowered");
    ringcap_capture_close(peer);
    free((void *)seen.seqs);
}

/* Fill every frame without kicking, close at once: all of them arrive. */
static void close_drains(int version) {
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", version);
    CHECK(ringcap_tx_config_set_batch(cfg, 0) == 0, "batch");
    CHECK(ringcap_tx_config_set_nonblocking(cfg, true) == 0, "nonblocking");
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    ringcap_ring_info info;
    ringcap_tx_ring_info(tx, &info);
    unsigned n = info.frame_nr;
    for (unsigned i = 0; i < n; i++) {
        int r = rc_tx_frame(tx, i, dst, src);
        if (r != 0) {
            CHECK(r == 0, "queue %u: %d %s", i, r, ringcap_tx_last_error(tx));
            break;
        }
    }
    ringcap_tx_counters st;
    ringcap_tx_stats(tx, &st);
    CHECK(st.kicks == 0 && st.in_flight == n, "V%d: ring full and never kicked (kicks %llu, in flight %u of %u)",
          version, (unsigned long long)st.kicks, st.in_flight, n);
    CHECK(ringcap_tx_close(tx) == 0, "close: %s", ringcap_last_error());
    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    memcpy(seen.dst, dst, 6);
    memcpy(seen.src, src, 6);
    seen.want = n;
    seen.seqs = rc_seq_range(0, n);
    char label[64];
    snprintf(label, sizeof label, "V%d close after %u queued", version, n);
    rc_expect(peer, &seen, label);
    ringcap_capture_close(peer);
    free((void *)seen.seqs);
}

static void count_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    if (m->pkttype != PACKET_OUTGOING) {
        (*(unsigned *)user)++;
    }
}

/* A slow qdisc holds the frames (TP_STATUS_SENDING): a nonblocking commit
 * on the full ring returns RING_FULL, a blocking flush waits them out, and
 * with PACKET_QDISC_BYPASS the qdisc is not in the way at all. */
static void ring_full(void) {
    /* 16 kbit/s: one 60-byte frame every ~30 ms once the 200-byte burst is used. */
    rc_sh("tc qdisc add dev rc0 root tbf rate 16kbit burst 200 limit 100000");
    ringcap_capture *peer = rc_peer_capture("rc1");
    ringcap_tx_config *cfg = rc_tx_config("rc0", 2);
    CHECK(ringcap_tx_config_set_geometry(cfg, 4096, 8, 2048, 16) == 0, "geometry");
    CHECK(ringcap_tx_config_set_nonblocking(cfg, true) == 0, "nonblocking");
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    uint8_t frame[64];
    rc_build_frame(frame, 60, 0, dst, src);
    unsigned queued = 0;
    for (unsigned i = 0; i < 16; i++) {
        queued += ringcap_tx_send(tx, frame, 60) == 0;
    }
    CHECK(queued == 16, "16 frames fill the ring without a kick");
    CHECK(ringcap_tx_kick(tx) == 0, "kick: the qdisc now holds most of them (TP_STATUS_SENDING)");
    uint64_t t0 = rc_mono_ns();
    int r = 0;
    unsigned more = 0;
    while (more < 64 && (r = ringcap_tx_send(tx, frame, 60)) == 0) {
        more++;
    }
    CHECK(r == RINGCAP_RESULT_RING_FULL && more <= 8, "RING_FULL after %u more: %d %s", more, r,
          ringcap_tx_last_error(tx));
    printf("ring full after %u more: %s\n", more, ringcap_tx_last_error(tx));
    CHECK(rc_mono_ns() - t0 < 200000000ull, "nonblocking did not wait for the ~500 ms drain");
    ringcap_tx_counters st;
    ringcap_tx_stats(tx, &st);
    CHECK(st.ring_full >= 1 && st.in_flight == 16, "ring_full %llu in flight %u", (unsigned long long)st.ring_full,
          st.in_flight);
    CHECK(ringcap_tx_flush(tx) == 0, "flush waits for the qdisc: %s", ringcap_tx_last_error(tx));
    ringcap_tx_stats(tx, &st);
    CHECK(st.in_flight == 0 && st.completed == 16 + more, "after flush: in flight %u completed %llu", st.in_flight,
          (unsigned long long)st.completed);
    printf("flush through a 16 kbit/s qdisc took %.0f ms\n", (rc_mono_ns() - t0) / 1e6);
    CHECK(ringcap_tx_send(tx, frame, 60) == 0, "room again");
    CHECK(ringcap_tx_close(tx) == 0, "close drains through the qdisc");
    unsigned got = 0, want = 16 + more + 1;
    for (int i = 0; i < 40 && got < want; i++) {
        ringcap_capture_dispatch(peer, -1, count_packet, &got);
    }
    CHECK(got == want, "peer got %u of %u", got, want);
    ringcap_capture_close(peer);
    rc_sh("tc qdisc del dev rc0 root");
}

static void misuse(void) {
    CHECK(ringcap_tx_send(NULL, dst, 6) == RINGCAP_RESULT_NULL_PARAMETER, "NULL handle");
    CHECK(ringcap_tx_close(NULL) == 0, "close(NULL)");
    ringcap_tx_config *cfg = ringcap_tx_config_new();
    ringcap_tx *tx = NULL;
    CHECK(ringcap_tx_open(cfg, &tx) == RINGCAP_RESULT_UNKNOWN_INTERFACE && tx == NULL, "no interface: %s",
          ringcap_tx_config_last_error(cfg));
    CHECK(ringcap_tx_config_set_interface(cfg, "any") == RINGCAP_RESULT_INVALID_ARGUMENT, "any cannot send");
    CHECK(ringcap_tx_config_set_interface(cfg, "nosuch0") == 0, "name");
    CHECK(ringcap_tx_open(cfg, &tx) == RINGCAP_RESULT_UNKNOWN_INTERFACE && tx == NULL, "unknown: %s",
          ringcap_tx_config_last_error(cfg));
    CHECK(ringcap_tx_config_set_version(cfg, 4) == RINGCAP_RESULT_INVALID_VERSION, "version 4");
    CHECK(ringcap_tx_config_set_geometry(cfg, 4000, 1, 2048, 2) == RINGCAP_RESULT_BLOCK_SIZE_NOT_PAGE_MULTIPLE,
          "geometry is checked");
    CHECK(ringcap_tx_config_set_data_offset(cfg, 8) == RINGCAP_RESULT_INVALID_ARGUMENT, "offset inside the header");
    CHECK(ringcap_tx_config_set_socket_type(cfg, RINGCAP_SOCKET_TYPE_DGRAM) == 0, "dgram");
    CHECK(ringcap_tx_config_set_interface(cfg, "rc0") == 0, "name");
    /* Setters that failed keep the config from opening until they succeed. */
    CHECK(ringcap_tx_open(cfg, &tx) == RINGCAP_RESULT_INVALID_VERSION &&
              strstr(ringcap_tx_config_last_error(cfg), "ringcap_tx_config_set_version()") != NULL,
          "failed setters refuse the open: %s", ringcap_tx_config_last_error(cfg));
    CHECK(ringcap_tx_config_set_version(cfg, 2) == 0 && ringcap_tx_config_set_data_offset(cfg, 0) == 0 &&
              ringcap_tx_config_set_geometry(cfg, 4096, 1, 2048, 2) == 0,
          "the failed setters succeed");
    CHECK(ringcap_tx_open(cfg, &tx) == RINGCAP_RESULT_INVALID_ARGUMENT, "dgram without destination: %s",
          ringcap_tx_config_last_error(cfg));
    CHECK(ringcap_tx_config_set_destination(cfg, dst, 6, 0) == RINGCAP_RESULT_INVALID_ARGUMENT, "ethertype 0");
    ringcap_tx_config_free(cfg);
    ringcap_tx_config_free(cfg);
}

/* The device goes down with frames queued: kick, flush and close say so. */
static void interface_down(void) {
    ringcap_tx_config *cfg = rc_tx_config("rc0", 2);
    ringcap_tx *tx = rc_tx_open(cfg);
    ringcap_tx_config_free(cfg);
    CHECK(rc_tx_frame(tx, 0, dst, src) == 0, "queue");
    rc_sh("ip link set rc0 down");
    int r = ringcap_tx_kick(tx);
    CHECK(r == RINGCAP_RESULT_INTERFACE_DOWN, "kick on a down interface: %d %s", r, ringcap_tx_last_error(tx));
    printf("kick: %s\n", ringcap_tx_last_error(tx));
    CHECK(ringcap_tx_flush(tx) == RINGCAP_RESULT_INTERFACE_DOWN, "flush");
    r = ringcap_tx_close(tx);
    CHECK(r == RINGCAP_RESULT_INTERFACE_DOWN, "close reports the undelivered frame: %d", r);
    rc_sh("ip link set rc0 up");
}

int main(int argc, char **argv) {
    int hooks_required = argc > 1 && strcmp(argv[1], "hooks") == 0;
    rc_test_netns();
    rc_mac("rc0", src);
    rc_mac("rc1", dst);
    oversize();
    for (int v = 1; v <= 3; v++) {
        malformed(v, 0, 0, SKIP);
        malformed(v, 0, 0, CLOSE);
        malformed(v, 1, 0, CLOSE);
        close_drains(v);
    }
    if (ringcap_tx_test_set_next_offset != NULL) {
        malformed(3, 0, 1, SKIP);
        malformed(3, 0, 1, CLOSE);
        malformed(3, 1, 1, CLOSE);
    } else {
        CHECK(!hooks_required, "the library exports no ringcap_tx_test_set_next_offset: build it with "
                               "`cargo build --lib --features test-hooks`");
        printf("skipped: tp_next_offset rejections (library built without the test-hooks feature)\n");
    }
    mtu_lowered();
    ring_full();
    misuse();
    interface_down();
    return rc_test_done();
}
