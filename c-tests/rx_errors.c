/*
 * Bad input: every invalid geometry, unknown interfaces, NULL and closed
 * handles, each with its documented code and a message that helps.
 */
#include "rc_test.h"

static void expect(int got, int want, const char *msg_has, const char *what) {
    const char *msg = ringcap_last_error();
    CHECK(got == want, "%s: got %d (%s), want %d", what, got, msg, want);
    if (msg_has) {
        CHECK(strstr(msg, msg_has) != NULL, "%s: message '%s' lacks '%s'", what, msg, msg_has);
    }
}

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    ringcap_capture *h = user;
    ringcap_stats st;
    /* Calls other than breakloop from a callback are refused, not deadlocked. */
    CHECK(ringcap_capture_stats(h, &st) == RINGCAP_RESULT_BUSY, "stats from callback is BUSY");
    CHECK(ringcap_capture_close(h) == RINGCAP_RESULT_BUSY, "close from callback is BUSY");
    ringcap_capture_breakloop(h);
}

int main(void) {
    rc_test_netns();
    unsigned page = (unsigned)getpagesize();
    char buf[128];
    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");

    /* Geometry: each kernel rule, its own code, and the nearest valid value. */
    ringcap_config_set_version(cfg, 2);
    snprintf(buf, sizeof buf, "%u or %u", page, 2 * page);
    expect(ringcap_config_set_geometry(cfg, page + 904, 1, 2048, 2), RINGCAP_RESULT_BLOCK_SIZE_NOT_PAGE_MULTIPLE, buf,
           "block size not a page multiple");
    expect(ringcap_config_set_geometry(cfg, 0, 1, 2048, 2), RINGCAP_RESULT_BLOCK_SIZE_NOT_PAGE_MULTIPLE, NULL,
           "block size 0");
    expect(ringcap_config_set_geometry(cfg, page, 1, 2040, 2), RINGCAP_RESULT_FRAME_SIZE_NOT_ALIGNED, "2032 or 2048",
           "frame size unaligned");
    expect(ringcap_config_set_geometry(cfg, page, 1, 48, page / 48), RINGCAP_RESULT_FRAME_SIZE_TOO_SMALL,
           "smallest valid", "frame size below the header");
    expect(ringcap_config_set_geometry(cfg, page, 4, 2048, 7), RINGCAP_RESULT_FRAME_COUNT_MISMATCH, NULL,
           "frame count mismatch");
    CHECK(strstr(ringcap_config_last_error(cfg), "frame count 7") != NULL, "config keeps its last error: %s",
          ringcap_config_last_error(cfg));
    expect(ringcap_config_set_geometry(cfg, page, 1, 2 * page, 1), RINGCAP_RESULT_FRAME_LARGER_THAN_BLOCK,
           "cannot span blocks", "frame larger than block");
    expect(ringcap_config_set_geometry(cfg, page, 0, 2048, 0), RINGCAP_RESULT_BLOCK_COUNT_ZERO, NULL,
           "zero blocks");
    expect(ringcap_config_set_geometry(cfg, 1u << 31, 1, 1u << 20, 2048), RINGCAP_RESULT_RING_TOO_LARGE,
           "below 2 GiB", "block of 2 GiB");
    ringcap_config_set_version(cfg, 3);
    ringcap_config_set_block_private_size(cfg, page);
    expect(ringcap_config_set_geometry(cfg, page, 1, page, 1), RINGCAP_RESULT_BLOCK_TOO_SMALL_FOR_V3,
           "smallest valid block size", "V3 block without room for its header");
    ringcap_config_set_block_private_size(cfg, 0);
    expect(ringcap_config_set_version(cfg, 4), RINGCAP_RESULT_INVALID_VERSION, "1, 2 and 3", "version 4");
    expect(ringcap_config_set_version(cfg, 0), RINGCAP_RESULT_INVALID_VERSION, NULL, "version 0");
    expect(ringcap_config_set_geometry(cfg, page, 2, 2048, 2 * (page / 2048)), 0, NULL, "valid geometry accepted");

    /* Other options. */
    expect(ringcap_config_set_snaplen(cfg, 0), RINGCAP_RESULT_INVALID_ARGUMENT, "1 to 262144", "snaplen 0");
    expect(ringcap_config_set_snaplen(cfg, 300000), RINGCAP_RESULT_INVALID_ARGUMENT, NULL, "snaplen too large");
    expect(ringcap_config_set_timeout(cfg, -5), RINGCAP_RESULT_INVALID_ARGUMENT, NULL, "timeout -5");
    expect(ringcap_config_set_socket_type(cfg, 7), RINGCAP_RESULT_INVALID_ARGUMENT, "RINGCAP_SOCKET_TYPE_DGRAM",
           "socket type 7");
    expect(ringcap_config_set_interface(cfg, "a-name-far-too-long-for-linux"), RINGCAP_RESULT_INVALID_ARGUMENT,
           "1 to 15", "long interface name");
    expect(ringcap_config_set_interface(cfg, NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "NULL interface name");
    expect(ringcap_config_set_buffer_size(cfg, 10), RINGCAP_RESULT_INVALID_ARGUMENT, NULL, "tiny buffer");

    /* Unknown interface. */
    ringcap_config *cfg2 = ringcap_config_new();
    ringcap_config_set_interface(cfg2, "nosuch0");
    ringcap_capture *h = NULL;
    expect(ringcap_capture_open(cfg2, &h), RINGCAP_RESULT_UNKNOWN_INTERFACE, "nosuch0", "unknown interface");
    CHECK(h == NULL, "out-parameter untouched on failure");
    ringcap_config_set_interface(cfg2, "bad/name");
    expect(ringcap_capture_open(cfg2, &h), RINGCAP_RESULT_UNKNOWN_INTERFACE, "not a valid interface name",
           "slash in name");

    /* NULL handles and parameters. */
    ringcap_stats st;
    expect(ringcap_capture_open(NULL, &h), RINGCAP_RESULT_NULL_PARAMETER, "ringcap_config handle is NULL", "open NULL");
    ringcap_config_set_interface(cfg2, "rc0");
    expect(ringcap_capture_open(cfg2, NULL), RINGCAP_RESULT_NULL_PARAMETER, "out is NULL", "open out NULL");
    expect(ringcap_capture_dispatch(NULL, 1, on_packet, NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "dispatch NULL");
    expect(ringcap_capture_loop(NULL, 1, on_packet, NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "loop NULL");
    expect(ringcap_capture_breakloop(NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "breakloop NULL");
    expect(ringcap_capture_stats(NULL, &st), RINGCAP_RESULT_NULL_PARAMETER, NULL, "stats NULL");
    expect(ringcap_capture_get_fd(NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "get_fd NULL");
    expect(ringcap_capture_set_nonblocking(NULL, true), RINGCAP_RESULT_NULL_PARAMETER, NULL, "nonblocking NULL");
    expect(ringcap_config_set_snaplen(NULL, 100), RINGCAP_RESULT_NULL_PARAMETER, NULL, "config NULL");
    CHECK(ringcap_capture_close(NULL) == 0, "close(NULL) is a no-op");
    ringcap_config_free(NULL);
    CHECK(strlen(ringcap_capture_last_error(NULL)) > 0, "last_error(NULL) explains");

    /* A live handle: NULL callback, NULL out-parameters, calls from a callback. */
    REQUIRE(ringcap_capture_open(cfg2, &h) == 0 && h, "open rc0: %s", ringcap_last_error());
    expect(ringcap_capture_dispatch(h, 1, NULL, NULL), RINGCAP_RESULT_NULL_PARAMETER, "callback is NULL",
           "NULL callback");
    CHECK(strstr(ringcap_capture_last_error(h), "callback") != NULL, "handle keeps its last error");
    expect(ringcap_capture_stats(h, NULL), RINGCAP_RESULT_NULL_PARAMETER, NULL, "stats out NULL");
    CHECK(ringcap_capture_get_fd(h) >= 0, "fd");
    rc_send_sequence("rc1", "rc0", 0, 1);
    CHECK(ringcap_capture_dispatch(h, 0, on_packet, h) == 1, "dispatch with calls from the callback");

    /* Closed handles. */
    CHECK(ringcap_capture_close(h) == 0, "close");
    CHECK(ringcap_capture_close(h) == 0, "close again");
    expect(ringcap_capture_dispatch(h, 1, on_packet, NULL), RINGCAP_RESULT_INVALID_HANDLE, "closed",
           "dispatch closed");
    expect(ringcap_capture_stats(h, &st), RINGCAP_RESULT_INVALID_HANDLE, NULL, "stats closed");
    expect(ringcap_capture_breakloop(h), RINGCAP_RESULT_INVALID_HANDLE, NULL, "breakloop closed");
    expect(ringcap_capture_get_fd(h), RINGCAP_RESULT_INVALID_HANDLE, NULL, "get_fd closed");
    expect(ringcap_capture_dispatch((ringcap_capture *)cfg2, 1, on_packet, NULL), RINGCAP_RESULT_INVALID_HANDLE, NULL,
           "config passed as a capture handle");
    ringcap_config_free(cfg2);
    expect(ringcap_config_set_snaplen(cfg2, 100), RINGCAP_RESULT_INVALID_HANDLE, NULL, "freed config");
    ringcap_config_free(cfg2);

    /* Codes have text. */
    CHECK(strstr(ringcap_strerror(RINGCAP_RESULT_FRAME_SIZE_NOT_ALIGNED), "TPACKET_ALIGNMENT") != NULL, "strerror");
    CHECK(strstr(ringcap_strerror(-999), "unknown") != NULL, "strerror of an unknown code");
    CHECK(strncmp(ringcap_version(), "ringcap ", 8) == 0, "version string %s", ringcap_version());
    ringcap_config_free(cfg);
    return rc_test_done();
}
