/* libpcap-compatible header: the BPF definitions are in <pcap/bpf.h>. */
#include <pcap/bpf.h>
