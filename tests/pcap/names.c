/*
 * The namedb helpers: pcap_nametoaddr and friends, ether parsing, the
 * eproto_db table. Compiled against libpcap and ringcap by
 * tests/pcap_differential.rs. Usage: names ETHERS_FILE
 */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pcap/pcap.h>
#include <pcap/namedb.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

struct eproto {
    const char *s;
    unsigned short p;
};
extern struct eproto eproto_db[];

static void mac(const char *what, const u_char *m) {
    if (!m) {
        printf("%s NULL\n", what);
        return;
    }
    printf("%s %02x:%02x:%02x:%02x:%02x:%02x\n", what, m[0], m[1], m[2], m[3], m[4], m[5]);
    free((void *)m);
}

int main(int argc, char **argv) {
    const char *hosts[] = {"localhost", "127.0.0.1", "nosuchhost.invalid", "ip6-localhost"};
    for (unsigned i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        bpf_u_int32 **a = pcap_nametoaddr(hosts[i]);
        printf("nametoaddr %s:", hosts[i]);
        for (; a && *a; a++) {
            printf(" %08x", **a);
        }
        printf("\n");
        struct addrinfo *ai = pcap_nametoaddrinfo(hosts[i]);
        printf("nametoaddrinfo %s: %s family %d\n", hosts[i], ai ? "found" : "none", ai ? ai->ai_family : -1);
        if (ai) {
            freeaddrinfo(ai);
        }
    }
    const char *nets[] = {"loopback", "link-local", "nosuchnet", "default"};
    for (unsigned i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        printf("nametonetaddr %s %08x\n", nets[i], pcap_nametonetaddr(nets[i]));
    }
    const char *ports[] = {"http", "domain", "ssh", "tftp", "bootps", "nosuchport", "https", "ntp", "80"};
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        int port = -7, proto = -7;
        int r = pcap_nametoport(ports[i], &port, &proto);
        printf("nametoport %s %d %d %d\n", ports[i], r, port, proto);
    }
    const char *ranges[] = {"1-1024", "http-https", "ssh-80", "x-y", "100"};
    for (unsigned i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        int p1 = -7, p2 = -7, proto = -7;
        int r = pcap_nametoportrange(ranges[i], &p1, &p2, &proto);
        printf("nametoportrange %s %d %d %d %d\n", ranges[i], r, p1, p2, proto);
    }
    const char *protos[] = {"tcp", "udp", "icmp", "ipv6-icmp", "sctp", "nosuch"};
    for (unsigned i = 0; i < sizeof protos / sizeof protos[0]; i++) {
        printf("nametoproto %s %d\n", protos[i], pcap_nametoproto(protos[i]));
    }
    const char *eprotos[] = {"ip", "arp", "ip6", "rarp", "sca", "iso", "nosuch"};
    for (unsigned i = 0; i < sizeof eprotos / sizeof eprotos[0]; i++) {
        printf("nametoeproto %s %d nametollc %d\n", eprotos[i], pcap_nametoeproto(eprotos[i]),
               pcap_nametollc(eprotos[i]));
    }
    printf("nametollc stp %d ipx %d netbeui %d\n", pcap_nametollc("stp"), pcap_nametollc("ipx"),
           pcap_nametollc("netbeui"));
    for (struct eproto *e = eproto_db; e->s; e++) {
        printf("eproto_db %s %04x\n", e->s, e->p);
    }
    const char *macs[] = {"00:11:22:33:44:55", "0:1:2:3:4:5", "00.11.22.33.44.55", "00-11-22-33-44-55"};
    for (unsigned i = 0; i < sizeof macs / sizeof macs[0]; i++) {
        mac(macs[i], pcap_ether_aton(macs[i]));
    }
    mac("hostton nosuchhost", pcap_ether_hostton("nosuchhost.invalid"));
    FILE *f = fopen(argv[1], "r");
    struct pcap_etherent *ep;
    while (f && (ep = pcap_next_etherent(f)) != NULL) {
        printf("etherent %02x:%02x:%02x:%02x:%02x:%02x %s\n", ep->addr[0], ep->addr[1], ep->addr[2], ep->addr[3],
               ep->addr[4], ep->addr[5], ep->name);
    }
    if (f) {
        fclose(f);
    }
    (void)argc;
    return 0;
}
