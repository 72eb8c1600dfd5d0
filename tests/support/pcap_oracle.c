/* Test oracle: reads a savefile with the system libpcap and prints what
 * libpcap returns, in the same line format the Rust tests print for
 * ringcap, so the two can be compared verbatim. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int read_file(const char *path, const char *prec) {
    char errbuf[PCAP_ERRBUF_SIZE];
    u_int p = strcmp(prec, "nano") == 0 ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    pcap_t *h = pcap_open_offline_with_tstamp_precision(path, p, errbuf);
    if (h == NULL) {
        printf("OPEN_ERR %s\n", errbuf);
        return 0;
    }
    printf("INFO dlt=%d snap=%d version=%d.%d swapped=%d\n", pcap_datalink(h), pcap_snapshot(h),
           pcap_major_version(h), pcap_minor_version(h), pcap_is_swapped(h));
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int r = pcap_next_ex(h, &hdr, &data);
        if (r == PCAP_ERROR_BREAK) {
            printf("EOF\n");
            break;
        }
        if (r != 1) {
            printf("ERR %s\n", pcap_geterr(h));
            break;
        }
        printf("P %lld %lld %u %u ", (long long)hdr->ts.tv_sec, (long long)hdr->ts.tv_usec, hdr->caplen, hdr->len);
        for (u_int i = 0; i < hdr->caplen; i++)
            printf("%02x", data[i]);
        printf("\n");
    }
    pcap_close(h);
    return 0;
}

/* append FILE DLT SNAPLEN PREC: what pcap_dump_open_append says. */
static int append(const char *path, int dlt, int snaplen, const char *prec) {
    u_int p = strcmp(prec, "nano") == 0 ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    pcap_t *h = pcap_open_dead_with_tstamp_precision(dlt, snaplen, p);
    pcap_dumper_t *d = pcap_dump_open_append(h, path);
    if (d == NULL) {
        printf("APPEND_ERR %s\n", pcap_geterr(h));
    } else {
        printf("APPEND_OK %ld\n", pcap_dump_ftell(d));
        pcap_dump_close(d);
    }
    pcap_close(h);
    return 0;
}

/* copy IN OUT PREC: read IN with libpcap and pcap_dump every packet to OUT
 * through pcap_dump_open; prints the final pcap_dump_ftell. */
static int copy(const char *in, const char *out, const char *prec) {
    char errbuf[PCAP_ERRBUF_SIZE];
    u_int p = strcmp(prec, "nano") == 0 ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    pcap_t *h = pcap_open_offline_with_tstamp_precision(in, p, errbuf);
    if (h == NULL) {
        printf("OPEN_ERR %s\n", errbuf);
        return 1;
    }
    pcap_dumper_t *d = pcap_dump_open(h, out);
    if (d == NULL) {
        printf("DUMP_ERR %s\n", pcap_geterr(h));
        return 1;
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    while (pcap_next_ex(h, &hdr, &data) == 1)
        pcap_dump((u_char *)d, hdr, data);
    printf("COPY_OK %ld\n", pcap_dump_ftell(d));
    pcap_dump_close(d);
    pcap_close(h);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    /* read PREC FILE...: one report per file, each after a "== FILE" line. */
    if (argc >= 4 && strcmp(argv[1], "read") == 0) {
        for (int i = 3; i < argc; i++) {
            printf("== %s\n", argv[i]);
            read_file(argv[i], argv[2]);
        }
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "append") == 0)
        return append(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (argc == 5 && strcmp(argv[1], "copy") == 0)
        return copy(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: pcap_oracle read micro|nano FILE... | append FILE DLT SNAPLEN micro|nano | copy IN OUT micro|nano\n");
    return 2;
}
