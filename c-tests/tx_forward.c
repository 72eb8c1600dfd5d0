/*
 * examples/forward moves a burst from one veth pair to another with nothing
 * lost: frames sent into rc0 arrive on rc1, forward copies them from rc1's
 * RX ring to fw0's TX ring, and a capture on fw1 sees every one, in order,
 * byte-exact; forward stops by itself after -c N and reports N forwarded.
 * A second run is stopped by SIGTERM (breakloop) and exits cleanly.
 * Usage: tx_forward <path to the forward binary>
 */
#include "tx_test.h"

#include <signal.h>
#include <sys/wait.h>

#define COUNT 3000

/* Starts forward with stdout on a pipe; returns after it printed its first line. */
static pid_t start(const char *exe, const char *count, FILE **out) {
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (count) {
            execl(exe, exe, "-i", "rc1", "-o", "fw0", "-c", count, (char *)NULL);
        } else {
            execl(exe, exe, "-i", "rc1", "-o", "fw0", (char *)NULL);
        }
        _exit(127);
    }
    close(fds[1]);
    *out = fdopen(fds[0], "r");
    char line[256];
    /* REQUIRE evaluates its condition twice: read first. */
    int started = fgets(line, sizeof line, *out) != NULL && strstr(line, "forwarding") != NULL;
    REQUIRE(started, "forward did not start");
    printf("forward: %s", line);
    return pid;
}

static int finish(pid_t pid, FILE *out, char *last, size_t n) {
    last[0] = 0;
    char line[512];
    while (fgets(line, sizeof line, out)) {
        printf("forward: %s", line);
        snprintf(last, n, "%s", line);
    }
    fclose(out);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2, "usage: tx_forward <forward binary>");
    rc_test_netns();
    rc_test_veth("fw0", "fw1");
    ringcap_capture *peer = rc_peer_capture("fw1");

    char count[16];
    snprintf(count, sizeof count, "%d", COUNT);
    FILE *out;
    pid_t pid = start(argv[1], count, &out);
    rc_send_sequence("rc0", "rc1", 0, COUNT);

    struct rc_seen seen;
    memset(&seen, 0, sizeof seen);
    rc_mac("rc0", seen.src);
    rc_mac("rc1", seen.dst);
    seen.want = COUNT;
    seen.seqs = rc_seq_range(0, COUNT);
    rc_expect(peer, &seen, "forwarded burst");
    char last[512];
    int code = finish(pid, out, last, sizeof last);
    CHECK(code == 0, "forward exited with %d", code);
    char want[64];
    snprintf(want, sizeof want, "forwarded %d packets", COUNT);
    CHECK(strstr(last, want) != NULL && strstr(last, "dropped 0)"), "statistics: %s", last);

    /* Until a signal: SIGTERM ends the blocked dispatch through breakloop. */
    pid = start(argv[1], NULL, &out);
    rc_send_sequence("rc0", "rc1", 0, 10);
    usleep(200000);
    kill(pid, SIGTERM);
    code = finish(pid, out, last, sizeof last);
    CHECK(code == 0, "forward after SIGTERM exited with %d", code);
    CHECK(strstr(last, "forwarded 10 packets") != NULL, "statistics: %s", last);

    ringcap_capture_close(peer);
    free((void *)seen.seqs);
    return rc_test_done();
}
