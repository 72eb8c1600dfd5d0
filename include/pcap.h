/* libpcap-compatible entry point: ringcap implements the pcap API. */
#ifndef lib_pcap_h
#define lib_pcap_h
#include <pcap/pcap.h>
#endif
