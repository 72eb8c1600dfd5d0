/*
 * What a program sees of an open savefile beyond its packets: descriptors,
 * direction, the stream's position after reads (pcap_file + ftell/fseek),
 * pcap_loop with a filter, pcap_offline_filter, pcap_next_ex with a filter
 * set (and changed) between calls and after pcap_breakloop,
 * pcap_fopen_offline on a stream and on a pipe. Compiled against libpcap and against ringcap by
 * tests/pcap_differential.rs; the outputs must be identical.
 * Usage: offline_handles FILE...
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static const char *base(const char *path) {
    return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    unsigned long *n = (unsigned long *)user;
    n[0]++;
    n[1] += h->caplen + (h->caplen ? bytes[h->caplen - 1] : 0);
}

static void positions(const char *path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (!p) {
        printf("open %s: %s\n", base(path), errbuf);
        return;
    }
    printf("%s: fileno %s selectable %s\n", base(path), pcap_fileno(p) >= 0 ? "valid" : "-1",
           pcap_get_selectable_fd(p) >= 0 ? "valid" : "-1");
    int r = pcap_setdirection(p, PCAP_D_IN);
    printf("setdirection %d %s\n", r, r ? pcap_geterr(p) : "");
    struct pcap_pkthdr *h;
    const u_char *data;
    for (int i = 0; i < 3 && (r = pcap_next_ex(p, &h, &data)) == 1; i++) {
        printf("packet %d caplen %u first %02x\n", i, h->caplen, h->caplen ? data[0] : 0);
    }
    FILE *f = pcap_file(p);
    long at = ftell(f);
    /* The packet handed out before pcap_file is still readable. */
    printf("after 3: ftell %ld last packet still %02x\n", at, r == 1 && h->caplen ? data[0] : 0);
    unsigned long n[2] = {0, 0};
    r = pcap_loop(p, 2, count, (u_char *)n);
    printf("loop 2: %d, %lu packets, ftell %ld\n", r, n[0], ftell(f));
    /* Back to after the third packet: the fourth comes again. */
    fseek(f, at, SEEK_SET);
    r = pcap_next_ex(p, &h, &data);
    printf("after seek: %d caplen %u ftell %ld\n", r, r == 1 ? h->caplen : 0, ftell(f));
    struct bpf_program fp;
    if (pcap_compile(p, &fp, "udp or len > 1000", 1, PCAP_NETMASK_UNKNOWN) == 0) {
        pcap_setfilter(p, &fp);
        n[0] = n[1] = 0;
        r = pcap_loop(p, -1, count, (u_char *)n);
        printf("filtered loop: %d, %lu packets, sum %lu, %s\n", r, n[0], n[1], r == -1 ? pcap_geterr(p) : "");
        pcap_freecode(&fp);
    }
    pcap_close(p);
}

static void streams(const char *path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (!p) {
        return;
    }
    struct bpf_program fp;
    if (pcap_compile(p, &fp, "greater 400 or ether[0] = 3", 1, PCAP_NETMASK_UNKNOWN) != 0) {
        pcap_close(p);
        return;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int r, all = 0, kept = 0;
    while ((r = pcap_next_ex(p, &h, &data)) == 1) {
        all++;
        kept += pcap_offline_filter(&fp, h, data) != 0;
    }
    printf("%s: offline_filter %d of %d, end %d\n", base(path), kept, all, r);
    pcap_close(p);

    const char *how[] = {"fopen", "pipe"};
    for (int i = 0; i < 2; i++) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "cat '%s'", path);
        FILE *f = i == 0 ? fopen(path, "rb") : popen(cmd, "r");
        if (!f) {
            continue;
        }
        p = pcap_fopen_offline(f, errbuf);
        if (!p) {
            printf("%s %s: %s\n", how[i], base(path), errbuf);
            if (i == 0) {
                fclose(f);
            } else {
                pclose(f);
            }
            continue;
        }
        pcap_setfilter(p, &fp);
        unsigned long n[2] = {0, 0};
        r = pcap_loop(p, -1, count, (u_char *)n);
        printf("%s %s: %d, %lu packets, sum %lu\n", how[i], base(path), r, n[0], n[1]);
        /* pcap_close closes the stream; a popen'ed one is only reaped. */
        pcap_close(p);
    }
    pcap_freecode(&fp);
}

static void next_filtered(const char *path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (!p) {
        return;
    }
    struct bpf_program fp[2];
    const char *expr[2] = {"udp", "len > 100 or arp"};
    for (int i = 0; i < 2; i++) {
        if (pcap_compile(p, &fp[i], expr[i], 1, PCAP_NETMASK_UNKNOWN) != 0) {
            printf("%s: compile %s: %s\n", base(path), expr[i], pcap_geterr(p));
            pcap_close(p);
            return;
        }
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int r, got[2] = {0, 0};
    unsigned long sum = 0;
    pcap_setfilter(p, &fp[0]);
    for (int n = 0; (r = pcap_next_ex(p, &h, &data)) == 1; n++) {
        sum += h->caplen + h->len + (unsigned long)h->ts.tv_usec + (h->caplen ? data[h->caplen - 1] : 0);
        got[n >= 5]++;
        if (n == 4) {
            /* From the sixth packet on, the other filter. */
            pcap_setfilter(p, &fp[1]);
        }
        if (n == 7) {
            pcap_breakloop(p);
            int b = pcap_next_ex(p, &h, &data);
            printf("after breakloop: %d\n", b);
        }
    }
    printf("%s: next_ex %d with '%s', %d with '%s', sum %lu, end %d\n", base(path), got[0], expr[0], got[1], expr[1],
           sum, r);
    pcap_freecode(&fp[0]);
    pcap_freecode(&fp[1]);
    pcap_close(p);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        positions(argv[i]);
        next_filtered(argv[i]);
        streams(argv[i]);
    }
    return 0;
}
