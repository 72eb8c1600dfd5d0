/* libpcap-compatible header: everything is declared in <pcap/pcap.h>. */
#include <pcap/pcap.h>
