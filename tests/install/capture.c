/*
 * An ordinary libpcap program, built by each test project against an
 * installed ringcap: it includes every header libpcap 1.10 installs, sends
 * COUNT frames on the second interface with pcap_inject and captures them
 * on the first with a filter, then prints "captured N of COUNT".
 * Usage: capture CAPTURE_IF SEND_IF
 */
#include <pcap.h>
#include <pcap-bpf.h>
#include <pcap-namedb.h>
#include <pcap/bluetooth.h>
#include <pcap/bpf.h>
#include <pcap/can_socketcan.h>
#include <pcap/compiler-tests.h>
#include <pcap/dlt.h>
#include <pcap/funcattrs.h>
#include <pcap/ipnet.h>
#include <pcap/namedb.h>
#include <pcap/nflog.h>
#include <pcap/pcap-inttypes.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>
#include <pcap/socket.h>
#include <pcap/usb.h>
#include <pcap/vlan.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define COUNT 50

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    (void)bytes;
    if (h->caplen == 60) {
        (*(int *)user)++;
    }
}

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    if (argc != 3) {
        fprintf(stderr, "usage: capture CAPTURE_IF SEND_IF\n");
        return 2;
    }
    /* The headers' layouts, used so that a missing or empty header fails to build. */
    if (sizeof(struct sll_header) != SLL_HDR_LEN || sizeof(struct sll2_header) != SLL2_HDR_LEN ||
        sizeof(struct vlan_tag) != VLAN_TAG_LEN || sizeof(pcap_usb_header_mmapped) != 64 ||
        sizeof(nflog_hdr_t) != 4 || sizeof(pcap_can_socketcan_hdr) != 8 ||
        sizeof(pcap_bluetooth_h4_header) != 4 || IPNET_INBOUND != 2 || INVALID_SOCKET != -1) {
        fprintf(stderr, "header layouts differ from libpcap's\n");
        return 1;
    }
    pcap_t *rx = pcap_open_live(argv[1], 65535, 0, 100, errbuf);
    pcap_t *tx = pcap_open_live(argv[2], 65535, 0, 100, errbuf);
    if (rx == NULL || tx == NULL) {
        fprintf(stderr, "pcap_open_live: %s\n", errbuf);
        return 1;
    }
    struct bpf_program prog;
    if (pcap_compile(rx, &prog, "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(rx, &prog) != 0) {
        fprintf(stderr, "filter: %s\n", pcap_geterr(rx));
        return 1;
    }
    pcap_freecode(&prog);
    u_char frame[60];
    memset(frame, 0, sizeof frame);
    memset(frame, 0xff, 6);
    frame[6] = 0x02;
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (int i = 0; i < COUNT; i++) {
        frame[14] = (u_char)i;
        if (pcap_inject(tx, frame, sizeof frame) != (int)sizeof frame) {
            fprintf(stderr, "pcap_inject: %s\n", pcap_geterr(tx));
            return 1;
        }
    }
    pcap_close(tx);
    int got = 0;
    time_t start = time(NULL);
    while (got < COUNT && time(NULL) - start < 5) {
        if (pcap_dispatch(rx, -1, count, (u_char *)&got) < 0) {
            fprintf(stderr, "pcap_dispatch: %s\n", pcap_geterr(rx));
            return 1;
        }
    }
    printf("%s: captured %d of %d\n", pcap_lib_version(), got, COUNT);
    pcap_close(rx);
    return got == COUNT ? 0 : 1;
}
