/* The shared library loads with dlopen by its soname and exports the ringcap_ API. */
#include "rc_test.h"

#include <dlfcn.h>

int main(void) {
    void *lib = dlopen("libringcap.so.0", RTLD_NOW | RTLD_LOCAL);
    REQUIRE(lib != NULL, "dlopen: %s", dlerror());
    const char *api[] = {"ringcap_config_new", "ringcap_capture_open", "ringcap_capture_dispatch",
                         "ringcap_capture_loop", "ringcap_capture_breakloop", "ringcap_capture_stats",
                         "ringcap_capture_close", "ringcap_strerror", "ringcap_last_error",
                         "ringcap_tx_config_new", "ringcap_tx_open", "ringcap_tx_frame", "ringcap_tx_commit",
                         "ringcap_tx_send", "ringcap_tx_kick", "ringcap_tx_flush", "ringcap_tx_close",
                         "ringcap_duplex_open"};
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
        CHECK(dlsym(lib, api[i]) != NULL, "%s missing", api[i]);
    }
    const char *internal[] = {"rust_begin_unwind", "rust_panic", "__rust_alloc", "rust_eh_personality"};
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        CHECK(dlsym(lib, internal[i]) == NULL, "%s leaks", internal[i]);
    }
    /* POSIX's sanctioned way to turn dlsym's object pointer into a function pointer. */
    const char *(*version)(void);
    void *sym = dlsym(lib, "ringcap_version");
    memcpy(&version, &sym, sizeof version);
    CHECK(version && strncmp(version(), "ringcap", 7) == 0, "calling through dlsym");
    dlclose(lib);
    return rc_test_done();
}
