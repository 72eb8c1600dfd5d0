//! Every export of both C APIs that takes a handle, called with NULL, a
//! closed handle, a foreign pointer and a live handle of another kind:
//! each gets an error (or, for void functions, returns without harm).
//! The calls are generated from the committed headers, so an export added
//! later is covered without anyone remembering to.

mod support;

use std::fmt::Write as _;
use std::process::Command;

use support::c::{build_c_source, repo};

/// Handle types, as the headers spell them, and the C names of a closed
/// one and of a live one in the generated program.
const HANDLES: &[(&str, &str, &str)] = &[
    ("struct ringcap_config *", "closed_config", "live_config"),
    ("struct ringcap_capture *", "closed_capture", "live_capture"),
    ("struct ringcap_tx_config *", "closed_tx_config", "live_tx_config"),
    ("struct ringcap_tx *", "closed_tx", "live_tx"),
    ("struct ringcap_filter *", "closed_filter", "live_filter"),
    ("struct ringcap_dumper *", "closed_rdumper", "live_rdumper"),
    ("struct pcap *", "closed_pcap", "live_pcap"),
    ("struct pcap_dumper *", "closed_dumper", "live_dumper"),
];

struct Proto {
    ret: String,
    name: String,
    params: Vec<String>,
}

/// The function prototypes of a header (declarations ending in ");").
fn prototypes(header: &str) -> Vec<Proto> {
    let text = std::fs::read_to_string(repo().join(header)).unwrap();
    let mut out = Vec::new();
    let mut decl = String::new();
    for line in text.lines() {
        let t = line.trim();
        if decl.is_empty()
            && (t.is_empty()
                || t.starts_with('#')
                || t.starts_with('*')
                || t.starts_with("/*")
                || t.starts_with("typedef")
                || t.starts_with('}')
                || t.starts_with("struct") && t.ends_with('{'))
        {
            continue;
        }
        decl.push_str(t);
        decl.push(' ');
        if !t.ends_with(';') {
            if !t.contains('(') && !decl.contains('(') {
                decl.clear();
            }
            continue;
        }
        let d = std::mem::take(&mut decl);
        let Some(open) = d.find('(') else { continue };
        let head = d[..open].trim();
        let Some(name_at) = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_')) else { continue };
        let name = head[name_at + 1..].to_string();
        let ret = head[..name_at + 1].trim().to_string();
        if ret.is_empty() || ret.starts_with("extern") {
            continue;
        }
        let inner = d[open + 1..d.rfind(')').unwrap()].trim();
        let params = if inner == "void" || inner.is_empty() {
            Vec::new()
        } else {
            inner.split(',').map(|p| p.trim().to_string()).collect()
        };
        out.push(Proto { ret, name, params });
    }
    out
}

/// The handle type of a parameter, if it is one.
fn handle_of(param: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let p = param.trim_start_matches("const ");
    // `T **out` is an out-parameter, not a handle.
    HANDLES.iter().find(|(ty, _, _)| p.starts_with(ty) && !p[ty.len()..].starts_with('*'))
}

/// A harmless argument for a non-handle parameter.
fn filler(param: &str) -> String {
    if param.contains('*') || param.ends_with("_cb cb") || param.contains("pcap_handler") || param.contains("_cb ") {
        "0".into()
    } else if param.starts_with("bool") {
        "false".into()
    } else if param.starts_with("struct ") || param.starts_with("ringcap_fanout") {
        // Struct by value: a zeroed one.
        let ty = param.rsplit_once(' ').map(|(t, _)| t).unwrap_or(param);
        format!("({ty}){{0}}")
    } else {
        "0".into()
    }
}

/// The check on a call's value: an error value for the return type.
fn expect(p: &Proto, call: &str, case: &str, null: bool) -> String {
    let n = &p.name;
    let closes = n.ends_with("_close") || n.ends_with("_free");
    match p.ret.as_str() {
        "void" => format!("    {call};\n    CHECK(1, \"{n}({case}) returned\");\n"),
        "int32_t" if closes => format!("    CHECK({call} >= 0, \"{n}({case}) is a harmless no-op\");\n"),
        "int32_t" => {
            let code = if null { "RINGCAP_RESULT_NULL_PARAMETER" } else { "RINGCAP_RESULT_INVALID_HANDLE" };
            format!("    {{ int32_t r = {call}; CHECK(r == {code}, \"{n}({case}) gave %d\", (int)r); }}\n")
        }
        "const char *" if n.starts_with("ringcap_") => {
            format!("    {{ const char *s = {call}; CHECK(s != NULL && *s != 0, \"{n}({case}) gives a message\"); }}\n")
        }
        "char *" if n == "pcap_geterr" => format!("    CHECK({call} != NULL, \"{n}({case})\");\n"),
        r if r.ends_with('*') => format!("    CHECK({call} == NULL, \"{n}({case}) gives NULL\");\n"),
        "int" | "long" | "int64_t" => {
            format!("    {{ long r = (long)({call}); CHECK(r < 0, \"{n}({case}) gave %ld\", r); }}\n")
        }
        other => format!(
            "    (void)({call}); /* {other}: no error value to check */\n    CHECK(1, \"{n}({case}) returned\");\n"
        ),
    }
}

#[test]
fn every_handle_export_rejects_null_closed_and_foreign_handles() {
    let mut body = String::new();
    let mut covered = 0;
    for header in ["include/ringcap.h", "include/pcap/pcap.h"] {
        for p in prototypes(header) {
            let Some((i, (ty, closed, live))) =
                p.params.iter().enumerate().find_map(|(i, prm)| handle_of(prm).map(|h| (i, h)))
            else {
                continue;
            };
            // Handle-creating calls take a handle of another kind first.
            let other_live = HANDLES.iter().find(|h| h.0 != *ty).map(|h| h.2).unwrap();
            let cast = format!("({})", ty.trim());
            for (case, value, null) in [
                ("NULL", "NULL".to_string(), true),
                ("closed", closed.to_string(), false),
                ("foreign", "(void *)foreign".to_string(), false),
                ("other kind", format!("(void *){other_live}"), false),
            ] {
                let args: Vec<String> = p
                    .params
                    .iter()
                    .enumerate()
                    .map(|(j, prm)| if j == i { format!("{cast}{value}") } else { filler(prm) })
                    .collect();
                let call = format!("{}({})", p.name, args.join(", "));
                body.push_str(&expect(&p, &call, case, null));
            }
            let _ = live;
            covered += 1;
        }
    }
    // pcap_dump takes its dumper as the handler's user pointer.
    for (case, value) in [
        ("NULL", "NULL"),
        ("closed", "(u_char *)closed_dumper"),
        ("foreign", "(u_char *)foreign"),
        ("other kind", "(u_char *)live_pcap"),
    ] {
        let _ = writeln!(body, "    pcap_dump({value}, &hdr, frame);\n    CHECK(1, \"pcap_dump({case}) returned\");");
    }
    assert!(covered > 80, "only {covered} handle exports found in the headers");
    let program = format!(
        r#"/* Generated by tests/bad_handles.rs from the committed headers. */
#include "rc_test.h"
#include <pcap/pcap.h>

static uint64_t foreign[64];

int main(void) {{
    rc_test_netns();
    struct ringcap_config *live_config = ringcap_config_new(), *closed_config = ringcap_config_new();
    ringcap_config_free(closed_config);
    REQUIRE(ringcap_config_set_interface(live_config, "rc0") == 0, "config");
    struct ringcap_capture *live_capture = NULL, *closed_capture = NULL;
    REQUIRE(ringcap_capture_open(live_config, &closed_capture) >= 0, "capture: %s", ringcap_last_error());
    ringcap_capture_close(closed_capture);
    REQUIRE(ringcap_capture_open(live_config, &live_capture) >= 0, "capture: %s", ringcap_last_error());
    struct ringcap_tx_config *live_tx_config = ringcap_tx_config_new(), *closed_tx_config = ringcap_tx_config_new();
    ringcap_tx_config_free(closed_tx_config);
    REQUIRE(ringcap_tx_config_set_interface(live_tx_config, "rc0") == 0, "tx config");
    struct ringcap_tx *live_tx = NULL, *closed_tx = NULL;
    REQUIRE(ringcap_tx_open(live_tx_config, &closed_tx) >= 0, "tx: %s", ringcap_last_error());
    ringcap_tx_close(closed_tx);
    REQUIRE(ringcap_tx_open(live_tx_config, &live_tx) >= 0, "tx: %s", ringcap_last_error());
    struct ringcap_filter *live_filter = NULL, *closed_filter = NULL;
    REQUIRE(ringcap_filter_compile("ip", 1, 65535, 0, &closed_filter) == 0, "filter");
    ringcap_filter_free(closed_filter);
    REQUIRE(ringcap_filter_compile("ip", 1, 65535, 0, &live_filter) == 0, "filter");
    struct ringcap_dumper *live_rdumper = NULL, *closed_rdumper = NULL;
    REQUIRE(ringcap_dumper_open("/dev/null", RINGCAP_SAVEFILE_FORMAT_PCAP, 1, 65535, false, &closed_rdumper) == 0,
            "dumper: %s", ringcap_last_error());
    ringcap_dumper_close(closed_rdumper);
    REQUIRE(ringcap_dumper_open("/dev/null", RINGCAP_SAVEFILE_FORMAT_PCAPNG, 1, 65535, false, &live_rdumper) == 0,
            "dumper: %s", ringcap_last_error());
    pcap_t *live_pcap = pcap_open_dead(DLT_EN10MB, 65535), *closed_pcap = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *live_dumper = pcap_dump_open(live_pcap, "/dev/null");
    pcap_dumper_t *closed_dumper = pcap_dump_open(closed_pcap, "/dev/null");
    REQUIRE(live_dumper != NULL && closed_dumper != NULL, "dumpers");
    pcap_dump_close(closed_dumper);
    pcap_close(closed_pcap);
    uint8_t frame[60] = {{0}};
    struct pcap_pkthdr hdr = {{{{0, 0}}, 60, 60}};
    (void)live_tx;
{body}
    /* The live handles still work after all that. */
    CHECK(ringcap_capture_get_fd(live_capture) >= 0, "live capture still valid");
    CHECK(pcap_datalink(live_pcap) == DLT_EN10MB, "live pcap_t still valid");
    pcap_dump_close(live_dumper);
    pcap_close(live_pcap);
    CHECK(ringcap_dumper_flush(live_rdumper) == 0, "live ringcap dumper still valid");
    ringcap_dumper_close(live_rdumper);
    ringcap_filter_free(live_filter);
    ringcap_tx_close(live_tx);
    ringcap_tx_config_free(live_tx_config);
    ringcap_capture_close(live_capture);
    ringcap_config_free(live_config);
    return rc_test_done();
}}
"#
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("bad_handles.c");
    std::fs::write(&src, program).unwrap();
    let exe = build_c_source(&src, "bad_handles-test");
    let out = Command::new(&exe).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        out.status.success() && failures.is_empty(),
        "{} failures:\n{}\n{}",
        failures.len(),
        failures.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    let checks = text.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(checks > 300, "only {checks} checks ran");
}
