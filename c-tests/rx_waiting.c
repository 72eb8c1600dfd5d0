/*
 * Waiting: the dispatch timeout, nonblocking mode, the selectable fd, and
 * an interface that goes down under a blocked loop.
 */
#include "rc_test.h"

#include <sys/wait.h>

#include <poll.h>
#include <pthread.h>

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    (*(unsigned *)user)++;
}

static void *take_rc0_down(void *arg) {
    (void)arg;
    usleep(150000);
    rc_sh("ip link set rc0 down");
    return NULL;
}

int main(void) {
    rc_test_netns();
    for (int version = 1; version <= 3; version++) {
        unsigned count = 0;
        ringcap_capture *h = rc_open_rc0(version, 100);

        uint64_t start = rc_mono_ns();
        int r = ringcap_capture_dispatch(h, 0, on_packet, &count);
        uint64_t waited = rc_mono_ns() - start;
        CHECK(r == 0 && waited >= 90000000ull, "V%d: timeout returns 0 after the timeout (%d, %.1f ms)", version, r,
              waited / 1e6);

        CHECK(ringcap_capture_get_nonblocking(h) == 0, "blocking by default");
        CHECK(ringcap_capture_set_nonblocking(h, true) == 0 && ringcap_capture_get_nonblocking(h) == 1, "nonblocking");
        start = rc_mono_ns();
        r = ringcap_capture_dispatch(h, 0, on_packet, &count);
        CHECK(r == 0 && rc_mono_ns() - start < 20000000ull, "V%d: nonblocking returns at once (%d)", version, r);

        /* The fd polls readable once packets are ready; dispatch then delivers without waiting. */
        rc_send_sequence("rc1", "rc0", 0, 5);
        struct pollfd pfd = {ringcap_capture_get_fd(h), POLLIN, 0};
        CHECK(pfd.fd >= 0 && poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN), "V%d: fd becomes readable", version);
        uint64_t deadline = rc_mono_ns() + 1000000000ull;
        while (count < 5 && rc_mono_ns() < deadline) {
            REQUIRE(ringcap_capture_dispatch(h, 0, on_packet, &count) >= 0, "dispatch");
        }
        CHECK(count == 5, "V%d: all five delivered (%u)", version, count);
        ringcap_capture_set_nonblocking(h, false);

        /* The interface goes down under a loop that waits forever. */
        ringcap_capture_set_timeout(h, -1);
        pthread_t t;
        pthread_create(&t, NULL, take_rc0_down, NULL);
        r = ringcap_capture_loop(h, 0, on_packet, &count);
        pthread_join(t, NULL);
        CHECK(r == RINGCAP_RESULT_INTERFACE_DOWN, "V%d: loop ends with INTERFACE_DOWN (%d: %s)", version, r,
              ringcap_capture_last_error(h));
        CHECK(strstr(ringcap_capture_last_error(h), "rc0") != NULL, "message names the interface: %s",
              ringcap_capture_last_error(h));
        rc_sh("ip link set rc0 up && ip link set rc1 up");
        usleep(100000);
        /* Capture resumes once it is back up. */
        ringcap_capture_set_timeout(h, 100);
        count = 0;
        rc_send_sequence("rc1", "rc0", 0, 3);
        deadline = rc_mono_ns() + 1000000000ull;
        while (count < 3 && rc_mono_ns() < deadline) {
            r = ringcap_capture_dispatch(h, 0, on_packet, &count);
            REQUIRE(r >= 0, "dispatch after up: %d %s", r, ringcap_capture_last_error(h));
        }
        CHECK(count == 3, "V%d: capture resumes after the interface is up again (%u)", version, count);
        ringcap_capture_close(h);
    }

    /* A device that vanishes: the loop running then, and every dispatch
     * after it, fails at once with INTERFACE_DOWN and says so. */
    rc_sh("ip link add rcgone0 type veth peer name rcgone1 && ip link set rcgone0 up && ip link set rcgone1 up");
    ringcap_config *cfg = ringcap_config_new();
    ringcap_config_set_interface(cfg, "rcgone0");
    ringcap_capture *g = NULL;
    REQUIRE(ringcap_capture_open(cfg, &g) >= 0, "open rcgone0: %s", ringcap_last_error());
    ringcap_config_free(cfg);
    pid_t child = fork();
    if (child == 0) {
        usleep(200000);
        execlp("ip", "ip", "link", "del", "rcgone0", (char *)NULL);
        _exit(127);
    }
    unsigned gone_count = 0;
    uint64_t t0 = rc_mono_ns();
    int r = ringcap_capture_loop(g, 0, on_packet, &gone_count);
    waitpid(child, NULL, 0);
    CHECK(r == RINGCAP_RESULT_INTERFACE_DOWN && strstr(ringcap_capture_last_error(g), "disappeared") != NULL,
          "deleting the device ends the loop (%d: %s)", r, ringcap_capture_last_error(g));
    for (int i = 0; i < 3; i++) {
        r = ringcap_capture_dispatch(g, 0, on_packet, &gone_count);
        CHECK(r == RINGCAP_RESULT_INTERFACE_DOWN && strstr(ringcap_capture_last_error(g), "disappeared") != NULL,
              "every later dispatch fails at once (%d: %s)", r, ringcap_capture_last_error(g));
    }
    CHECK(rc_mono_ns() - t0 < 3000000000ull, "none of them blocks");
    ringcap_capture_close(g);
    return rc_test_done();
}
