/*
 * pcap_activate's status for each device named on the command line, built
 * against libpcap and against ringcap (tests/inject_differential.rs runs
 * both without privileges, where the permission check must come first).
 * Usage: activate DEVICE...
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_create(argv[i], err);
        if (!p) {
            printf("%s: pcap_create failed\n", argv[i]);
            continue;
        }
        printf("%s: %d\n", argv[i], pcap_activate(p));
        pcap_close(p);
    }
    return 0;
}
