/*
 * The time stamp type API on each device named on the command line, as a
 * libpcap program sees it: the list before and after activation, every
 * type's pcap_set_tstamp_type result before activation and after, and the
 * activation result. Built against libpcap and against ringcap; the two
 * outputs must be equal.
 */
#include <pcap/pcap.h>

#include <stdio.h>

static void list(pcap_t *p, const char *when) {
    int *types = NULL;
    int n = pcap_list_tstamp_types(p, &types);
    printf("  %s: %d:", when, n);
    for (int i = 0; i < n; i++) {
        const char *name = pcap_tstamp_type_val_to_name(types[i]);
        printf(" %s", name ? name : "?");
    }
    printf("\n");
    pcap_free_tstamp_types(types);
}

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    for (int d = 1; d < argc; d++) {
        printf("%s\n", argv[d]);
        pcap_t *p = pcap_create(argv[d], errbuf);
        if (p == NULL) {
            printf("  create: %s\n", errbuf);
            continue;
        }
        list(p, "created");
        for (int t = -1; t <= 6; t++) {
            printf("  set %d: %d\n", t, pcap_set_tstamp_type(p, t));
        }
        int r = pcap_activate(p);
        printf("  activate: %d\n", r);
        if (r >= 0) {
            list(p, "activated");
            printf("  set host after activation: %d\n", pcap_set_tstamp_type(p, PCAP_TSTAMP_HOST));
        }
        pcap_close(p);
    }
    return 0;
}
