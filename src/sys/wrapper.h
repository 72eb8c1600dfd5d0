/* The kernel ABI ringcap speaks: PACKET_MMAP rings, link layer, timestamping, virtio-net headers, classic BPF,
 * netfilter log and queue; and glibc's public FILE layout, whose put area pcap_dump writes into as putc_unlocked does. */
#include <stdio.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_arp.h>
#include <linux/net_tstamp.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/ethtool.h>
#include <linux/virtio_net.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_queue.h>
