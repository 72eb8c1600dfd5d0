/*
 * Prints pcap_findalldevs, pcap_lookupnet and pcap_lookupdev results.
 * Compiled against libpcap and ringcap by tests/pcap_differential.rs.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
static void pa(const char *what, struct sockaddr *sa){ char b[64]="-"; if(!sa){printf(" %s=NULL",what);return;} if(sa->sa_family==AF_INET) inet_ntop(AF_INET,&((struct sockaddr_in*)sa)->sin_addr,b,64); else if(sa->sa_family==AF_INET6) inet_ntop(AF_INET6,&((struct sockaddr_in6*)sa)->sin6_addr,b,64); else snprintf(b,64,"fam%d",sa->sa_family); printf(" %s=%s",what,b);}
int main(void){ pcap_if_t *all; char eb[256]; if(pcap_findalldevs(&all,eb)){printf("err %s\n",eb);return 1;}
for(pcap_if_t*d=all;d;d=d->next){ printf("%s desc=%s flags=0x%x\n",d->name,d->description?d->description:"NULL",d->flags); for(pcap_addr_t*a=d->addresses;a;a=a->next){pa("addr",a->addr);pa("mask",a->netmask);pa("bcast",a->broadaddr);pa("dst",a->dstaddr);printf("\n");}}
pcap_freealldevs(all); bpf_u_int32 net,mask; int r=pcap_lookupnet("va",&net,&mask,eb); printf("lookupnet va %d %08x %08x %s\n",r,net,mask,r?eb:""); r=pcap_lookupnet("vb",&net,&mask,eb); printf("lookupnet vb %d %s\n",r,r?eb:""); r=pcap_lookupnet("vy",&net,&mask,eb); printf("lookupnet vy %d %08x %08x\n",r,net,mask);
r=pcap_lookupnet("nosuch",&net,&mask,eb); printf("lookupnet nosuch %d %s\n",r,r?eb:""); r=pcap_lookupnet("any",&net,&mask,eb); printf("lookupnet any %d %08x %08x\n",r,net,mask);
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
char *dev = pcap_lookupdev(eb); printf("lookupdev %s\n", dev?dev:eb); return 0;}
