/*
 * Ring geometry against the kernel itself: for each layout, ringcap's
 * verdict at ringcap_config_set_geometry() must be the verdict of
 * setsockopt(PACKET_RX_RING) on a raw packet socket (packet_set_ring in
 * net/packet/af_packet.c), and no message may carry a Debug dump. Layouts
 * the kernel refuses are refused before it allocates anything; valid
 * layouts asked of the kernel are small.
 */
#include "rc_test.h"

struct layout {
    const char *what;
    int version;
    unsigned reserve, priv;
    unsigned block_size, block_nr, frame_size, frame_nr;
    int ask_kernel; /* 0: too large to allocate here, ringcap's verdict only */
    int want;       /* ringcap's code */
};

/* errno of PACKET_RX_RING for this layout on a fresh socket (0: accepted). */
static int kernel_verdict(const struct layout *l) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    REQUIRE(fd >= 0, "socket: %s", strerror(errno));
    int v = l->version == 1 ? TPACKET_V1 : l->version == 2 ? TPACKET_V2 : TPACKET_V3;
    REQUIRE(setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) == 0, "PACKET_VERSION");
    if (l->reserve) {
        REQUIRE(setsockopt(fd, SOL_PACKET, PACKET_RESERVE, &l->reserve, sizeof l->reserve) == 0, "PACKET_RESERVE");
    }
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = l->block_size;
    req.tp_block_nr = l->block_nr;
    req.tp_frame_size = l->frame_size;
    req.tp_frame_nr = l->frame_nr;
    req.tp_sizeof_priv = l->priv;
    socklen_t len = l->version == 3 ? sizeof req : sizeof(struct tpacket_req);
    int r = setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, len);
    int err = r == 0 ? 0 : errno;
    close(fd);
    return err;
}

int main(void) {
    rc_test_netns();
    unsigned page = (unsigned)getpagesize();
    /* TPACKET2_HDRLEN / TPACKET3_HDRLEN and the V3 block header (BLK_HDR_LEN). */
    unsigned v2hdr = TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + sizeof(struct sockaddr_ll);
    unsigned v3hdr = TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll);
    unsigned blk = (sizeof(struct tpacket_block_desc) + 7) & ~7u;
    unsigned largest_priv = (page - blk - v3hdr) & ~7u;
    unsigned exact = TPACKET_ALIGN(v2hdr); /* a frame of exactly header + reserve */
    const struct layout layouts[] = {
        {"V2 frame of exactly header + reserve", 2, exact - v2hdr, 0, page, 1, exact, page / exact, 1, 0},
        {"V2 frame one alignment step below that", 2, exact - v2hdr, 0, page, 1, exact - 16, page / (exact - 16), 1,
         RINGCAP_RESULT_FRAME_SIZE_TOO_SMALL},
        {"V3 largest private area in one page", 3, 0, largest_priv, page, 2, 2048, 2 * (page / 2048), 1, 0},
        {"V3 private area one byte over", 3, 0, largest_priv + 1, page, 2, 2048, 2 * (page / 2048), 1,
         RINGCAP_RESULT_BLOCK_TOO_SMALL_FOR_V3},
        {"V3 private area leaving less than a whole frame", 3, 0, page / 2, page, 2, page, 2, 1, 0},
        {"V2 block of 2 GiB", 2, 0, 0, 1u << 31, 1, 1u << 20, 2048, 1, RINGCAP_RESULT_RING_TOO_LARGE},
        {"V3 block of 3 GiB", 3, 0, 0, 3u << 30, 1, 1u << 20, 3072, 1, RINGCAP_RESULT_RING_TOO_LARGE},
        {"V2 block just under 2 GiB", 2, 0, 0, (1u << 31) - page, 1, page, (1u << 31) / page - 1, 0, 0},
        {"frames_per_block x block_nr overflows 32 bits", 2, 0, 0, 1u << 20, 1u << 20, 256, 0, 1,
         RINGCAP_RESULT_RING_TOO_LARGE},
        {"the same product wrapping to the frame count given", 2, 0, 0, 1u << 20, (1u << 20) + 1, 256, 4096, 1,
         RINGCAP_RESULT_RING_TOO_LARGE},
        {"4.004 GiB V3 ring", 3, 0, 0, 4u << 20, 1025, 4u << 20, 1025, 0, 0},
        {"8 GiB V2 ring", 2, 0, 0, 1u << 30, 8, 1u << 20, 8u << 10, 0, 0},
        {"frame count mismatch", 2, 0, 0, page, 4, 2048, 7, 1, RINGCAP_RESULT_FRAME_COUNT_MISMATCH},
        {"frame unaligned", 2, 0, 0, page, 1, 2040, 2, 1, RINGCAP_RESULT_FRAME_SIZE_NOT_ALIGNED},
        {"frame larger than block", 2, 0, 0, page, 1, 2 * page, 1, 1, RINGCAP_RESULT_FRAME_LARGER_THAN_BLOCK},
        {"block not a page multiple", 2, 0, 0, page + 512, 1, 2048, 2, 1, RINGCAP_RESULT_BLOCK_SIZE_NOT_PAGE_MULTIPLE},
    };
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        const struct layout *l = &layouts[i];
        ringcap_config *cfg = ringcap_config_new();
        REQUIRE(cfg != NULL, "config");
        REQUIRE(ringcap_config_set_version(cfg, l->version) == 0, "version");
        REQUIRE(ringcap_config_set_reserve(cfg, l->reserve) == 0, "reserve");
        int pr = ringcap_config_set_block_private_size(cfg, l->priv);
        CHECK(pr == 0, "%s: private area of %u bytes is taken by the setter: %s", l->what, l->priv,
              ringcap_config_last_error(cfg));
        int got = ringcap_config_set_geometry(cfg, l->block_size, l->block_nr, l->frame_size, l->frame_nr);
        const char *msg = ringcap_config_last_error(cfg);
        printf("%s: ringcap %d %s\n", l->what, got, got ? msg : "");
        CHECK(got == l->want, "%s: ringcap says %d (%s), want %d", l->what, got, msg, l->want);
        CHECK(strchr(msg, '{') == NULL && strstr(msg, "Geometry") == NULL, "%s: no Debug dump in '%s'", l->what,
              msg);
        if (l->want == RINGCAP_RESULT_RING_TOO_LARGE && l->block_nr >= 1u << 20) {
            CHECK(strstr(msg, "4294968320") == NULL && strstr(msg, "at most 1048575 blocks") != NULL,
                  "%s: the message gives a possible layout: %s", l->what, msg);
        }
        if (l->ask_kernel) {
            int err = kernel_verdict(l);
            CHECK((err == 0) == (got == 0), "%s: the kernel says %s, ringcap %d", l->what,
                  err ? strerror(err) : "accepted", got);
        }
        if (got == 0 && l->ask_kernel) {
            /* What both accept also opens, with exactly this ring. */
            ringcap_config_set_interface(cfg, "rc0");
            ringcap_capture *h = NULL;
            int r = ringcap_capture_open(cfg, &h);
            CHECK(r == 0, "%s: opens: %d %s", l->what, r, ringcap_config_last_error(cfg));
            ringcap_ring_info info;
            if (r == 0 && ringcap_capture_ring_info(h, &info) == 0) {
                CHECK(info.block_size == l->block_size && info.frame_nr == l->frame_nr, "%s: ring as asked", l->what);
            }
            ringcap_capture_close(h);
        }
        ringcap_config_free(cfg);
    }
    return rc_test_done();
}
