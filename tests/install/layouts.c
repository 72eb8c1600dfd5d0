/*
 * Prints every size, field offset and constant of the link-layer headers,
 * so that the same program built against libpcap's headers and against
 * ringcap's prints the same text.
 */
#include <pcap/bluetooth.h>
#include <pcap/can_socketcan.h>
#include <pcap/ipnet.h>
#include <pcap/nflog.h>
#include <pcap/sll.h>
#include <pcap/usb.h>
#include <pcap/vlan.h>

#include <stddef.h>
#include <stdio.h>

#define SZ(t) printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(t, f))
#define VAL(c) printf("%s %ld\n", #c, (long)(c))

int main(void) {
    SZ(struct sll_header);
    OFF(struct sll_header, sll_pkttype);
    OFF(struct sll_header, sll_hatype);
    OFF(struct sll_header, sll_halen);
    OFF(struct sll_header, sll_addr);
    OFF(struct sll_header, sll_protocol);
    SZ(struct sll2_header);
    OFF(struct sll2_header, sll2_protocol);
    OFF(struct sll2_header, sll2_reserved_mbz);
    OFF(struct sll2_header, sll2_if_index);
    OFF(struct sll2_header, sll2_hatype);
    OFF(struct sll2_header, sll2_pkttype);
    OFF(struct sll2_header, sll2_halen);
    OFF(struct sll2_header, sll2_addr);
    VAL(SLL_HDR_LEN); VAL(SLL_ADDRLEN); VAL(SLL2_HDR_LEN);
    VAL(LINUX_SLL_HOST); VAL(LINUX_SLL_BROADCAST); VAL(LINUX_SLL_MULTICAST); VAL(LINUX_SLL_OTHERHOST);
    VAL(LINUX_SLL_OUTGOING); VAL(LINUX_SLL_P_802_3); VAL(LINUX_SLL_P_802_2); VAL(LINUX_SLL_P_CAN);
    VAL(LINUX_SLL_P_CANFD);
    SZ(struct vlan_tag);
    OFF(struct vlan_tag, vlan_tpid);
    OFF(struct vlan_tag, vlan_tci);
    VAL(VLAN_TAG_LEN);
    SZ(pcap_usb_setup);
    OFF(pcap_usb_setup, bmRequestType); OFF(pcap_usb_setup, bRequest); OFF(pcap_usb_setup, wValue);
    OFF(pcap_usb_setup, wIndex); OFF(pcap_usb_setup, wLength);
    SZ(iso_rec);
    OFF(iso_rec, error_count); OFF(iso_rec, numdesc);
    SZ(pcap_usb_header);
    OFF(pcap_usb_header, id); OFF(pcap_usb_header, event_type); OFF(pcap_usb_header, transfer_type);
    OFF(pcap_usb_header, endpoint_number); OFF(pcap_usb_header, device_address); OFF(pcap_usb_header, bus_id);
    OFF(pcap_usb_header, setup_flag); OFF(pcap_usb_header, data_flag); OFF(pcap_usb_header, ts_sec);
    OFF(pcap_usb_header, ts_usec); OFF(pcap_usb_header, status); OFF(pcap_usb_header, urb_len);
    OFF(pcap_usb_header, data_len); OFF(pcap_usb_header, setup);
    SZ(pcap_usb_header_mmapped);
    OFF(pcap_usb_header_mmapped, id); OFF(pcap_usb_header_mmapped, bus_id); OFF(pcap_usb_header_mmapped, ts_sec);
    OFF(pcap_usb_header_mmapped, data_len); OFF(pcap_usb_header_mmapped, s); OFF(pcap_usb_header_mmapped, s.setup);
    OFF(pcap_usb_header_mmapped, s.iso); OFF(pcap_usb_header_mmapped, interval);
    OFF(pcap_usb_header_mmapped, start_frame); OFF(pcap_usb_header_mmapped, xfer_flags);
    OFF(pcap_usb_header_mmapped, ndesc);
    SZ(usb_isodesc);
    OFF(usb_isodesc, status); OFF(usb_isodesc, offset); OFF(usb_isodesc, len); OFF(usb_isodesc, pad);
    VAL(URB_TRANSFER_IN); VAL(URB_ISOCHRONOUS); VAL(URB_INTERRUPT); VAL(URB_CONTROL); VAL(URB_BULK);
    VAL(URB_SUBMIT); VAL(URB_COMPLETE); VAL(URB_ERROR);
    SZ(nflog_hdr_t);
    OFF(nflog_hdr_t, nflog_family); OFF(nflog_hdr_t, nflog_version); OFF(nflog_hdr_t, nflog_rid);
    SZ(nflog_tlv_t);
    OFF(nflog_tlv_t, tlv_length); OFF(nflog_tlv_t, tlv_type);
    SZ(nflog_packet_hdr_t);
    OFF(nflog_packet_hdr_t, hw_protocol); OFF(nflog_packet_hdr_t, hook); OFF(nflog_packet_hdr_t, pad);
    SZ(nflog_hwaddr_t);
    OFF(nflog_hwaddr_t, hw_addrlen); OFF(nflog_hwaddr_t, pad); OFF(nflog_hwaddr_t, hw_addr);
    SZ(nflog_timestamp_t);
    OFF(nflog_timestamp_t, sec); OFF(nflog_timestamp_t, usec);
    SZ(struct nflog_hdr); SZ(struct nflog_tlv); SZ(struct nflog_packet_hdr); SZ(struct nflog_hwaddr);
    SZ(struct nflog_timestamp);
    VAL(NFULA_PACKET_HDR); VAL(NFULA_MARK); VAL(NFULA_TIMESTAMP); VAL(NFULA_IFINDEX_INDEV);
    VAL(NFULA_IFINDEX_OUTDEV); VAL(NFULA_IFINDEX_PHYSINDEV); VAL(NFULA_IFINDEX_PHYSOUTDEV); VAL(NFULA_HWADDR);
    VAL(NFULA_PAYLOAD); VAL(NFULA_PREFIX); VAL(NFULA_UID); VAL(NFULA_SEQ); VAL(NFULA_SEQ_GLOBAL); VAL(NFULA_GID);
    VAL(NFULA_HWTYPE); VAL(NFULA_HWHEADER); VAL(NFULA_HWLEN);
    VAL(IPH_AF_INET); VAL(IPH_AF_INET6); VAL(IPNET_OUTBOUND); VAL(IPNET_INBOUND);
    SZ(pcap_bluetooth_h4_header);
    OFF(pcap_bluetooth_h4_header, direction);
    SZ(pcap_bluetooth_linux_monitor_header);
    OFF(pcap_bluetooth_linux_monitor_header, adapter_id); OFF(pcap_bluetooth_linux_monitor_header, opcode);
    SZ(pcap_can_socketcan_hdr);
    OFF(pcap_can_socketcan_hdr, can_id); OFF(pcap_can_socketcan_hdr, payload_length);
    OFF(pcap_can_socketcan_hdr, fd_flags); OFF(pcap_can_socketcan_hdr, reserved1);
    OFF(pcap_can_socketcan_hdr, reserved2);
    VAL(CANFD_BRS); VAL(CANFD_ESI); VAL(CANFD_FDF);
    return 0;
}
