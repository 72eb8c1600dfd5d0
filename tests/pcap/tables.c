/*
 * Prints libpcap's name tables and status texts. Compiled twice, against
 * libpcap and against ringcap, by tests/pcap_differential.rs: the outputs
 * must be identical.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(void) {
    for (int dlt = -1; dlt < 300; dlt++) {
        const char *name = pcap_datalink_val_to_name(dlt);
        const char *desc = pcap_datalink_val_to_description(dlt);
        printf("dlt %d name=%s desc=%s or_dlt=%s\n", dlt, name ? name : "(null)", desc ? desc : "(null)",
               pcap_datalink_val_to_description_or_dlt(dlt));
        if (name) {
            printf("  name_to_val(%s)=%d\n", name, pcap_datalink_name_to_val(name));
        }
    }
    const char *names[] = {"EN10MB", "en10mb", "LINUX_SLL2", "RAW", "IPV4", "nosuch", "", "DLT_EN10MB"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        printf("name %s -> %d\n", names[i], pcap_datalink_name_to_val(names[i]));
    }
    for (int t = -1; t < 8; t++) {
        const char *n = pcap_tstamp_type_val_to_name(t);
        const char *d = pcap_tstamp_type_val_to_description(t);
        printf("tstamp %d %s %s\n", t, n ? n : "(null)", d ? d : "(null)");
        if (n) {
            printf("  back %d\n", pcap_tstamp_type_name_to_val(n));
        }
    }
    printf("tstamp nosuch %d\n", pcap_tstamp_type_name_to_val("nosuch"));
    for (int s = -14; s <= 4; s++) {
        printf("status %d %s\n", s, pcap_statustostr(s));
    }
    for (int e = 0; e < 5; e++) {
        printf("strerror %d %s\n", e, pcap_strerror(e));
    }
    return 0;
}
