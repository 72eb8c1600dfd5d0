/*
 * pthread_cancel of a thread blocked in ringcap_capture_loop or
 * ringcap_capture_dispatch: the cancellation proceeds (the thread ends
 * with PTHREAD_CANCELED) instead of aborting the process, and the handle
 * stays usable from another thread afterwards.
 */
#include "rc_test.h"

#include <pthread.h>

static void on_packet(void *user, const uint8_t *data, const ringcap_packet_meta *m) {
    (void)data;
    (void)m;
    (*(unsigned *)user)++;
}

struct job {
    ringcap_capture *h;
    int loop;
    unsigned n;
};

static void *run(void *arg) {
    struct job *j = arg;
    for (;;) {
        if (j->loop) {
            ringcap_capture_loop(j->h, 0, on_packet, &j->n);
        } else {
            ringcap_capture_dispatch(j->h, 0, on_packet, &j->n);
        }
    }
    return NULL;
}

int main(void) {
    rc_test_netns();
    for (int loop = 0; loop < 2; loop++) {
        ringcap_capture *h = rc_open_rc0(3, -1);
        struct job j = {h, loop, 0};
        pthread_t t;
        pthread_create(&t, NULL, run, &j);
        usleep(100000);
        pthread_cancel(t);
        void *ret;
        pthread_join(t, &ret);
        CHECK(ret == PTHREAD_CANCELED, "%s: the blocked thread is cancelled", loop ? "loop" : "dispatch");
        ringcap_stats st;
        CHECK(ringcap_capture_stats(h, &st) == 0, "the handle still answers after the cancellation");
        CHECK(ringcap_capture_close(h) == 0, "and closes");
    }
    return rc_test_done();
}
