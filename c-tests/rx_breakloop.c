/*
 * breakloop ends a loop blocked with no traffic within 100 ms, from a
 * second thread and from a SIGALRM handler; a break requested inside a
 * callback stops after that packet, and the handle keeps working after.
 */
#include "rc_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

static ringcap_capture *handle;
static volatile uint64_t break_at;

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    unsigned *count = user;
    (*count)++;
}

static void on_packet_break(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    on_packet(user, data, m);
    ringcap_capture_breakloop(handle);
}

static void *breaker_thread(void *arg) {
    (void)arg;
    usleep(200000);
    break_at = rc_mono_ns();
    ringcap_capture_breakloop(handle);
    return NULL;
}

static void on_alarm(int sig) {
    (void)sig;
    break_at = rc_mono_ns();
    ringcap_capture_breakloop(handle);
}

int main(void) {
    rc_test_netns();
    for (int version = 2; version <= 3; version++) {
        unsigned count = 0;
        handle = rc_open_rc0(version, -1);

        /* From another thread, while the loop waits forever (timeout -1). */
        pthread_t t;
        pthread_create(&t, NULL, breaker_thread, NULL);
        int r = ringcap_capture_loop(handle, 0, on_packet, &count);
        uint64_t returned = rc_mono_ns();
        pthread_join(t, NULL);
        CHECK(r == RINGCAP_RESULT_BREAK, "V%d thread: loop returned %d", version, r);
        CHECK(returned - break_at < 100000000ull, "V%d thread: returned %.1f ms after breakloop", version,
              (returned - break_at) / 1e6);

        /* From a signal handler (no SA_RESTART, like a plain alarm()). */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it;
        memset(&it, 0, sizeof it);
        it.it_value.tv_usec = 200000;
        setitimer(ITIMER_REAL, &it, NULL);
        r = ringcap_capture_loop(handle, 0, on_packet, &count);
        returned = rc_mono_ns();
        CHECK(r == RINGCAP_RESULT_BREAK, "V%d signal: loop returned %d", version, r);
        CHECK(returned - break_at < 100000000ull, "V%d signal: returned %.1f ms after breakloop", version,
              (returned - break_at) / 1e6);

        /* The handle still works, and a break from a callback stops after that packet. */
        CHECK(count == 0, "no packets yet (%u)", count);
        rc_send_sequence("rc1", "rc0", 0, 10);
        usleep(20000);
        ringcap_capture_set_timeout(handle, 100);
        r = ringcap_capture_dispatch(handle, 0, on_packet_break, &count);
        CHECK(r == 1 && count == 1, "V%d break in callback: dispatch returned %d, count %u", version, r, count);
        r = ringcap_capture_dispatch(handle, 0, on_packet, &count);
        CHECK(r == RINGCAP_RESULT_BREAK, "V%d: the pending break is reported next (%d)", version, r);
        uint64_t deadline = rc_mono_ns() + 2000000000ull;
        while (count < 10 && rc_mono_ns() < deadline) {
            r = ringcap_capture_dispatch(handle, 0, on_packet, &count);
            REQUIRE(r >= 0, "dispatch after break: %d", r);
        }
        CHECK(count == 10, "V%d: all 10 delivered after the break (%u)", version, count);

        /* A break requested before a dispatch ends the next one at once. */
        ringcap_capture_breakloop(handle);
        uint64_t start = rc_mono_ns();
        r = ringcap_capture_dispatch(handle, 0, on_packet, &count);
        CHECK(r == RINGCAP_RESULT_BREAK && rc_mono_ns() - start < 50000000ull, "pre-requested break: %d", r);
        ringcap_capture_close(handle);
    }
    return rc_test_done();
}
