/*
 * Filter compile benchmark: pcap_compile (optimizer on, pcap_open_dead)
 * of every expression of bench/filter_exprs.txt for each link type given,
 * timed over several repetitions; prints per link type the number of
 * expressions that compiled, the mean program length, and the total
 * compile time. bench/filter runs it on stock libpcap and on ringcap
 * (LD_PRELOAD) side by side. The time is the process's CPU time, not the
 * wall clock: on a shared machine a compile that waits for a core is not
 * a slower compile.
 *
 * usage: filter_compile EXPRS_FILE REPS DLT...
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s EXPRS_FILE REPS DLT...\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static char buf[1 << 16];
    char **exprs = NULL;
    size_t n = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        exprs = realloc(exprs, (n + 1) * sizeof *exprs);
        exprs[n++] = strdup(buf);
    }
    fclose(f);
    int reps = atoi(argv[2]);
    for (int a = 3; a < argc; a++) {
        int dlt = atoi(argv[a]);
        pcap_t *p = pcap_open_dead(dlt, 262144);
        if (!p) return 1;
        size_t ok = 0, insns = 0;
        double t0 = now();
        for (int r = 0; r < reps; r++) {
            for (size_t i = 0; i < n; i++) {
                struct bpf_program prog;
                if (pcap_compile(p, &prog, exprs[i], 1, 0xffffff00) == 0) {
                    if (r == 0) {
                        ok++;
                        /* protochain loops in libpcap and is unrolled in ringcap */
                        if (!strstr(exprs[i], "protochain")) insns += prog.bf_len;
                    }
                    pcap_freecode(&prog);
                }
            }
        }
        double dt = now() - t0;
        printf("%d %zu %.2f %.6f\n", dlt, ok, ok ? (double)insns / ok : 0.0, dt);
        pcap_close(p);
    }
    return 0;
}
