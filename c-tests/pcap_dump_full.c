/*
 * pcap_dump to a full file system (a 64 KiB tmpfs in a private mount
 * namespace): the first failed write latches, pcap_dump_flush reports it,
 * nothing is written after it, and the file stays a valid savefile that
 * Debian's stock tcpdump reads record by record.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rc_test.h"

int main(void) {
    REQUIRE(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
    REQUIRE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "private mounts");
    char dir[] = "/tmp/rc_dumpfull_XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp");
    REQUIRE(mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0, "mount a 64 KiB tmpfs");
    char path[64];
    snprintf(path, sizeof path, "%s/full.pcap", dir);

    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    REQUIRE(d != NULL, "dump_open: %s", pcap_geterr(p));
    uint8_t frame[1000];
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = h.len = sizeof frame;
    long last_good = 0;
    int flushed_ok = 1;
    for (unsigned i = 0; i < 1000; i++) {
        memset(frame, (int)(i & 0xff), sizeof frame);
        h.ts.tv_sec = (time_t)i;
        pcap_dump((u_char *)d, &h, frame);
        if (flushed_ok && pcap_dump_flush(d) == 0) {
            last_good = pcap_dump_ftell(d);
        } else {
            flushed_ok = 0;
        }
    }
    CHECK(!flushed_ok, "the full disk is reported by pcap_dump_flush");
    CHECK(pcap_dump_flush(d) == PCAP_ERROR, "and stays reported (latched)");
    long records = (last_good - 24) / (16 + (long)sizeof frame);
    CHECK(records > 10 && records < 70, "%ld whole records before the disk filled", records);
    pcap_dump_close(d);
    pcap_close(p);
    struct stat st;
    REQUIRE(stat(path, &st) == 0, "stat");
    CHECK(st.st_size <= 65536, "nothing written past the failure (%lld bytes)", (long long)st.st_size);

    /* Stock tcpdump reads every whole record. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD tcpdump -n -tt -r %s 2>/dev/null | grep -c '^[0-9]'", path);
    FILE *f = popen(cmd, "r");
    long seen = -1;
    REQUIRE(f != NULL && fscanf(f, "%ld", &seen) == 1, "tcpdump -r");
    pclose(f);
    CHECK(seen == records, "stock tcpdump reads %ld of the %ld records", seen, records);
    umount(dir);
    rmdir(dir);
    return rc_test_done();
}
