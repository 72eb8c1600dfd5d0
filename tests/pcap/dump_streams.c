/*
 * pcap_dump into streams of every buffering kind: fully buffered with the
 * default buffer, a 100-byte buffer (records straddle it), line buffered,
 * unbuffered, and a stream the program also writes to itself between
 * packets. Prints a checksum of each file and its size, compiled against
 * libpcap and against ringcap by tests/pcap_differential.rs: the files
 * must be the same bytes.
 *
 * With the argument "threads": four threads dump into one dumper at once
 * and the file is read back. libpcap writes a record's header and data
 * with two fwrites, so its records interleave (one run: 107 records
 * readable, 106 intact, of 8000); ringcap's must all be whole.
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long fnv(const unsigned char *p, size_t n) {
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

static void show(const char *name, const char *path) {
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 22];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) {
        fclose(f);
    }
    printf("%-12s %8zu bytes  fnv %016llx\n", name, n, fnv(buf, n));
}

static void packet(int i, struct pcap_pkthdr *h, unsigned char *data) {
    h->ts.tv_sec = 1700000000 + i;
    h->ts.tv_usec = (i * 7919) % 1000000;
    h->caplen = (unsigned)(14 + (i * 37) % 1500);
    h->len = h->caplen + (unsigned)(i % 3);
    for (unsigned j = 0; j < h->caplen; j++) {
        data[j] = (unsigned char)(i + j * 13);
    }
}

static void dump_many(pcap_dumper_t *d, int from, int count, FILE *also) {
    struct pcap_pkthdr h;
    static __thread unsigned char data[1600];
    for (int i = from; i < from + count; i++) {
        packet(i, &h, data);
        pcap_dump((u_char *)d, &h, data);
        if (also && i % 100 == 0) {
            /* What a program may do between records: its own bytes, then
             * nothing may be lost or reordered around them. */
            fputc('#', also);
        }
    }
}

static void one(pcap_t *dead, const char *name, int mode, size_t size) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s-%d.pcap", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name, (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    static char small[100];
    if (mode >= 0) {
        setvbuf(f, mode == _IOFBF && size ? small : NULL, mode, size);
    }
    pcap_dumper_t *d = pcap_dump_fopen(dead, f);
    if (!d) {
        printf("%s: pcap_dump_fopen failed: %s\n", name, pcap_geterr(dead));
        return;
    }
    dump_many(d, 0, 3000, mode == -2 ? f : NULL);
    printf("%-12s ftell %ld\n", name, pcap_dump_ftell(d));
    pcap_dump_close(d);
    show(name, path);
    remove(path);
}

struct job {
    pcap_dumper_t *d;
    int from;
};

static void *worker(void *arg) {
    struct job *j = arg;
    dump_many(j->d, j->from, 2000, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    if (argc < 2 || strcmp(argv[1], "threads") != 0) {
        one(dead, "default", -1, 0);
        one(dead, "small", _IOFBF, sizeof(char[100]));
        one(dead, "line", _IOLBF, 0);
        one(dead, "unbuffered", _IONBF, 0);
        one(dead, "shared", -2, 0);
        pcap_close(dead);
        return 0;
    }

    /* Records may come in any order, but each must be whole. */
    char path[256];
    snprintf(path, sizeof path, "%s/threads-%d.pcap", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    pthread_t t[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].d = d;
        jobs[i].from = i * 2000;
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    pcap_dump_close(d);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *r = pcap_open_offline(path, errbuf);
    if (!r) {
        printf("threads: %s\n", errbuf);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int n = 0, intact = 0;
    while (pcap_next_ex(r, &h, &data) == 1) {
        int i = (int)(h->ts.tv_sec - 1700000000);
        struct pcap_pkthdr want;
        unsigned char expect[1600];
        packet(i, &want, expect);
        n++;
        intact += want.caplen == h->caplen && want.len == h->len && memcmp(expect, data, h->caplen) == 0;
    }
    printf("threads      %d records, %d intact\n", n, intact);
    pcap_close(r);
    remove(path);
    pcap_close(dead);
    return 0;
}
