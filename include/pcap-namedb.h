/* libpcap-compatible header: the name-database functions are in <pcap/namedb.h>. */
#include <pcap/namedb.h>
