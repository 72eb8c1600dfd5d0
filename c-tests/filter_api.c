/*
 * C API test for the filter compiler. Uses only include/ringcap.h.
 * Prints one line per check and exits 0 when all pass.
 */
#include <stdio.h>
#include <string.h>

#include "ringcap.h"

static int failures;

static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

/* Ethernet + IPv4 + TCP SYN from 10.0.0.1:1234 to 192.168.1.2:80. */
static const uint8_t tcp_syn[] = {
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
    10, 0, 0, 1, 192, 168, 1, 2,
    0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
};

int main(void) {
    ringcap_filter *f = NULL;
    int rc = ringcap_filter_compile("tcp dst port 80", 1, 262144, 0, &f);
    check(rc == 0 && f != NULL, "compile 'tcp dst port 80' for EN10MB");

    check(ringcap_filter_run(f, tcp_syn, sizeof tcp_syn, sizeof tcp_syn) == 262144, "run accepts a TCP SYN to port 80");
    check(ringcap_filter_run(f, tcp_syn, 20, sizeof tcp_syn) == 0, "run rejects the truncated packet (load past caplen)");

    ringcap_filter *g = NULL;
    check(ringcap_filter_compile("udp", 1, 65535, 0, &g) == 0, "compile 'udp'");
    check(ringcap_filter_run(g, tcp_syn, sizeof tcp_syn, sizeof tcp_syn) == 0, "run: 'udp' rejects TCP");

    const ringcap_bpf_insn *insns = NULL;
    size_t n = 0;
    rc = ringcap_filter_instructions(f, &insns, &n);
    check(rc == 0 && insns != NULL && n > 2, "instructions returns the program");
    check(n > 0 && insns[n - 1].code == 0x06, "program ends with a return");
    check(ringcap_filter_validate(insns, n) == 0, "validate accepts the compiled program");

    char buf[4096];
    int len = ringcap_filter_dump(f, 1, buf, sizeof buf);
    check(len > 0 && (size_t)len < sizeof buf && strncmp(buf, "(000) ldh      [12]", 19) == 0, "dump -d format");
    check(ringcap_filter_dump(f, 0, NULL, 0) == RINGCAP_RESULT_INVALID_ARGUMENT, "dump: bad format is an invalid argument");
    len = ringcap_filter_dump(f, 3, NULL, 0);
    check(len > 0, "dump -ddd size query with a NULL buffer");
    char small[8];
    int full = ringcap_filter_dump(f, 2, small, sizeof small);
    check(full >= (int)sizeof small && strlen(small) == sizeof small - 1 && small[0] == '{', "dump -dd truncates into a small buffer");

    /* Validation errors. */
    ringcap_bpf_insn bad_jump[2] = {{0x15, 5, 0, 1}, {0x06, 0, 0, 0}};
    check(ringcap_filter_validate(bad_jump, 2) == RINGCAP_RESULT_FILTER_INVALID, "validate rejects a jump out of the program");
    ringcap_bpf_insn no_ret[1] = {{0x28, 0, 0, 12}};
    check(ringcap_filter_validate(no_ret, 1) == RINGCAP_RESULT_FILTER_INVALID, "validate rejects a program without a return");
    ringcap_bpf_insn div0[2] = {{0x34, 0, 0, 0}, {0x06, 0, 0, 0}};
    check(ringcap_filter_validate(div0, 2) == RINGCAP_RESULT_FILTER_INVALID, "validate rejects division by constant zero");
    check(strlen(ringcap_last_error()) > 0, "validate failure leaves a message");
    check(ringcap_filter_validate(NULL, 0) == RINGCAP_RESULT_FILTER_INVALID, "validate rejects an empty program");
    check(ringcap_filter_validate(NULL, 3) == RINGCAP_RESULT_NULL_PARAMETER, "validate: NULL program with a length");

    /* Compile errors. */
    ringcap_filter *h = (ringcap_filter *)0x1;
    rc = ringcap_filter_compile("tcp port", 1, 262144, 0, &h);
    check(rc == RINGCAP_RESULT_FILTER_SYNTAX, "bad syntax gives RINGCAP_RESULT_FILTER_SYNTAX (-50)");
    check(rc == -50, "syntax error code is -50");
    check(h == (ringcap_filter *)0x1, "out-parameter untouched on failure");
    check(strlen(ringcap_filter_last_error(NULL)) > 0, "syntax error has a message");
    printf("      message: %s\n", ringcap_last_error());
    check(ringcap_filter_compile("port 99999", 1, 262144, 0, &h) == RINGCAP_RESULT_FILTER_SYNTAX, "port out of range");
    check(ringcap_filter_compile("ip", 4242, 262144, 0, &h) == RINGCAP_RESULT_INVALID_ARGUMENT, "unknown link type");
    check(ringcap_filter_compile(NULL, 1, 262144, 0, &h) == RINGCAP_RESULT_NULL_PARAMETER, "NULL expression");
    check(ringcap_filter_compile("ip", 1, 262144, 0, NULL) == RINGCAP_RESULT_NULL_PARAMETER, "NULL out pointer");

    /* Options. */
    ringcap_filter *live = NULL;
    ringcap_filter_options live_opts = {true, true};
    check(ringcap_filter_compile_ex("vlan 10", 1, 65535, 0, &live_opts, &live) == 0, "compile_ex with VLAN extensions");
    check(ringcap_filter_dump(live, 1, buf, sizeof buf) > 0 && strstr(buf, "[vlanp]") != NULL,
          "live VLAN program tests the kernel's tag metadata");
    ringcap_filter_free(live);
    ringcap_filter *plain = NULL;
    ringcap_filter_options plain_opts = {false, false};
    check(ringcap_filter_compile_ex("tcp", 1, 65535, 0, &plain_opts, &plain) == 0, "compile_ex without the optimizer");
    check(ringcap_filter_instructions(plain, &insns, &n) == 0 && n > 10, "unoptimized program is the long form");
    ringcap_filter_free(plain);
    check(ringcap_filter_compile_ex("tcp", 1, 65535, 0, NULL, &plain) == 0, "compile_ex with default options");
    ringcap_filter_free(plain);

    /* NULL pointers to other functions. */
    check(ringcap_filter_instructions(NULL, &insns, &n) == RINGCAP_RESULT_NULL_PARAMETER, "instructions: NULL handle");
    check(ringcap_filter_instructions(f, NULL, &n) == RINGCAP_RESULT_NULL_PARAMETER, "instructions: NULL out");
    check(ringcap_filter_instructions(f, &insns, NULL) == RINGCAP_RESULT_NULL_PARAMETER, "instructions: NULL len");
    check(ringcap_filter_run(NULL, tcp_syn, sizeof tcp_syn, sizeof tcp_syn) == RINGCAP_RESULT_NULL_PARAMETER, "run: NULL handle");
    check(ringcap_filter_run(f, NULL, 10, 10) == RINGCAP_RESULT_NULL_PARAMETER, "run: NULL packet");
    check(ringcap_filter_dump(NULL, 1, buf, sizeof buf) == RINGCAP_RESULT_NULL_PARAMETER, "dump: NULL handle");
    check(ringcap_filter_dump(f, 1, NULL, 10) == RINGCAP_RESULT_NULL_PARAMETER, "dump: NULL buffer with a length");

    /* Freed handles. */
    ringcap_filter_free(f);
    check(ringcap_filter_run(f, tcp_syn, sizeof tcp_syn, sizeof tcp_syn) == RINGCAP_RESULT_INVALID_HANDLE, "run: freed handle");
    check(ringcap_filter_instructions(f, &insns, &n) == RINGCAP_RESULT_INVALID_HANDLE, "instructions: freed handle");
    check(ringcap_filter_dump(f, 1, buf, sizeof buf) == RINGCAP_RESULT_INVALID_HANDLE, "dump: freed handle");
    ringcap_filter_free(f);
    ringcap_filter_free(NULL);
    check(1, "free is idempotent and NULL-safe");
    ringcap_filter_free(g);

    printf("%s (%d failure%s)\n", failures ? "FAILED" : "PASSED", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
