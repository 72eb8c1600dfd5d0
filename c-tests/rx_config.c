/*
 * A configuration whose setter failed keeps its previous value, so it must
 * not open as if the call had worked: open refuses and names the setter
 * until that setter succeeds. A successful call leaves no stale text in
 * the configuration's last error.
 */
#include "rc_test.h"

int main(void) {
    rc_test_netns();
    ringcap_config *cfg = ringcap_config_new();
    REQUIRE(cfg != NULL, "config");
    REQUIRE(ringcap_config_set_interface(cfg, "rc0") == 0, "interface");
    ringcap_fanout f;
    memset(&f, 0, sizeof f);
    f.id = 7;
    f.mode = 99;
    int r = ringcap_config_set_fanout(cfg, &f);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && strstr(ringcap_config_last_error(cfg), "mode 99") != NULL,
          "fanout mode 99 is refused (%d): %s", r, ringcap_config_last_error(cfg));

    CHECK(ringcap_config_set_snaplen(cfg, 1500) == 0, "another setter succeeds");
    CHECK(strcmp(ringcap_config_last_error(cfg), "") == 0, "and leaves no stale error text: '%s'",
          ringcap_config_last_error(cfg));

    ringcap_capture *h = NULL;
    r = ringcap_capture_open(cfg, &h);
    const char *msg = ringcap_config_last_error(cfg);
    CHECK(r == RINGCAP_RESULT_INVALID_ARGUMENT && h == NULL, "open refuses the config (%d)", r);
    CHECK(strstr(msg, "ringcap_config_set_fanout") != NULL && strstr(msg, "mode 99") != NULL,
          "the message names the setter and its error: %s", msg);
    CHECK(strcmp(ringcap_last_error(), msg) == 0, "the thread's last error says the same");

    /* A second failure on another setter; fixing one is not enough. */
    CHECK(ringcap_config_set_geometry(cfg, 4096, 1, 2040, 2) == RINGCAP_RESULT_FRAME_SIZE_NOT_ALIGNED, "bad geometry");
    CHECK(ringcap_config_set_fanout(cfg, NULL) == 0, "fanout removed");
    r = ringcap_capture_open(cfg, &h);
    CHECK(r == RINGCAP_RESULT_FRAME_SIZE_NOT_ALIGNED && h == NULL &&
              strstr(ringcap_config_last_error(cfg), "ringcap_config_set_geometry") != NULL,
          "still refused for the geometry (%d): %s", r, ringcap_config_last_error(cfg));
    CHECK(ringcap_config_set_geometry(cfg, 4096, 2, 2048, 4) == 0, "good geometry");

    r = ringcap_capture_open(cfg, &h);
    CHECK(r == 0 && h != NULL, "once every failed setter succeeded, the config opens (%d): %s", r,
          ringcap_config_last_error(cfg));
    CHECK(strcmp(ringcap_config_last_error(cfg), "") == 0, "a successful open clears the text: '%s'",
          ringcap_config_last_error(cfg));
    ringcap_ring_info info;
    CHECK(ringcap_capture_ring_info(h, &info) == 0 && info.frame_nr == 4, "with the geometry asked for");
    ringcap_capture_close(h);

    /* The same rule holds for a set_fanout that worked: open joins. */
    f.mode = RINGCAP_FANOUT_MODE_HASH;
    CHECK(ringcap_config_set_fanout(cfg, &f) == 0, "valid fanout");
    r = ringcap_capture_open(cfg, &h);
    uint16_t id = 0;
    CHECK(r == 0 && ringcap_capture_fanout_group(h, &id) == 1 && id == 7, "opens in fanout group 7 (%d, %u)", r, id);
    ringcap_capture_close(h);

    /* TX configurations follow the same rule, for ringcap_tx_open and ringcap_duplex_open. */
    ringcap_tx_config *tcfg = ringcap_tx_config_new();
    REQUIRE(tcfg != NULL && ringcap_tx_config_set_interface(tcfg, "rc0") == 0, "tx config");
    r = ringcap_tx_config_set_version(tcfg, 9);
    CHECK(r == RINGCAP_RESULT_INVALID_VERSION, "TX version 9 is refused (%d)", r);
    ringcap_tx *tx = NULL;
    r = ringcap_tx_open(tcfg, &tx);
    CHECK(r == RINGCAP_RESULT_INVALID_VERSION && tx == NULL &&
              strstr(ringcap_tx_config_last_error(tcfg), "ringcap_tx_config_set_version") != NULL,
          "ringcap_tx_open refuses it, naming the setter (%d): %s", r, ringcap_tx_config_last_error(tcfg));
    r = ringcap_duplex_open(cfg, tcfg, &h, &tx);
    CHECK(r == RINGCAP_RESULT_INVALID_VERSION && strstr(ringcap_last_error(), "ringcap_tx_config_set_version") != NULL,
          "so does ringcap_duplex_open (%d): %s", r, ringcap_last_error());
    CHECK(ringcap_tx_config_set_version(tcfg, 3) == 0 && strcmp(ringcap_tx_config_last_error(tcfg), "") == 0,
          "a valid version clears the failure and the text");
    r = ringcap_tx_open(tcfg, &tx);
    CHECK(r >= 0 && tx != NULL, "then the TX ring opens (%d): %s", r, ringcap_tx_config_last_error(tcfg));
    ringcap_tx_close(tx);
    ringcap_tx_config_free(tcfg);
    ringcap_config_free(cfg);
    return rc_test_done();
}
