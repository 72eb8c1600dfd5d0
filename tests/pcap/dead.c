/*
 * pcap_open_dead handles and a just-created (not activated) one: what
 * every call returns and the error text it leaves, compiled against
 * libpcap and against ringcap by tests/pcap_differential.rs.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#define SHOW(p, expr) printf("%-40s = %d  [%s]\n", #expr, (int)(expr), pcap_geterr(p))

int main(void) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *d = pcap_open_dead(DLT_EN10MB, 1500);
    struct pcap_stat st;
    struct bpf_program prog;
    memset(&prog, 0, sizeof prog);
    SHOW(d, pcap_datalink(d));
    SHOW(d, pcap_datalink_ext(d));
    SHOW(d, pcap_snapshot(d));
    SHOW(d, pcap_is_swapped(d));
    SHOW(d, pcap_major_version(d));
    SHOW(d, pcap_minor_version(d));
    SHOW(d, pcap_get_tstamp_precision(d));
    SHOW(d, pcap_can_set_rfmon(d));
    SHOW(d, pcap_setdirection(d, PCAP_D_IN));
    SHOW(d, pcap_set_datalink(d, DLT_EN10MB));
    SHOW(d, pcap_set_datalink(d, DLT_RAW));
    SHOW(d, pcap_set_datalink(d, 4000));
    SHOW(d, pcap_stats(d, &st));
    errbuf[0] = 0;
    printf("%-40s = %d  [%s]\n", "pcap_setnonblock(d, 1, errbuf)", pcap_setnonblock(d, 1, errbuf), errbuf);
    errbuf[0] = 0;
    printf("%-40s = %d  [%s]\n", "pcap_getnonblock(d, errbuf)", pcap_getnonblock(d, errbuf), errbuf);
    SHOW(d, pcap_compile(d, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN));
    SHOW(d, pcap_setfilter(d, &prog));
    pcap_freecode(&prog);
    SHOW(d, pcap_set_snaplen(d, 100));
    SHOW(d, pcap_activate(d));
    SHOW(d, pcap_dispatch(d, 1, NULL, NULL));
    pcap_close(d);

    pcap_t *n = pcap_open_dead_with_tstamp_precision(DLT_RAW, 100, 7);
    printf("open_dead with an unknown precision: %s\n", n ? "handle" : "NULL");
    if (n) {
        SHOW(n, pcap_get_tstamp_precision(n));
        pcap_close(n);
    }

    pcap_t *c = pcap_create("lo", errbuf);
    SHOW(c, pcap_datalink(c));
    SHOW(c, pcap_snapshot(c));
    SHOW(c, pcap_is_swapped(c));
    SHOW(c, pcap_major_version(c));
    SHOW(c, pcap_datalink_ext(c));
    SHOW(c, pcap_can_set_rfmon(c));
    SHOW(c, pcap_set_snaplen(c, 100));
    pcap_close(c);
    return 0;
}
