//! The committed C header is exactly what cbindgen makes of the current
//! Rust declarations, and it compiles cleanly as C and as C++.

mod support;

use std::process::Command;

use support::c::{compiler, repo};

#[test]
fn committed_header_is_current() {
    let generated = std::fs::read_to_string(env!("RINGCAP_GENERATED_HEADER")).expect("generated header");
    let committed = std::fs::read_to_string(repo().join("include/ringcap.h")).expect("include/ringcap.h");
    assert!(
        generated == committed,
        "include/ringcap.h is stale: rebuild outside CI (`cargo build` rewrites it) and commit it"
    );
}

#[test]
fn committed_pcap_header_is_current() {
    let generated = std::fs::read_to_string(env!("RINGCAP_GENERATED_PCAP_HEADER")).expect("generated pcap header");
    let committed = std::fs::read_to_string(repo().join("include/pcap/pcap.h")).expect("include/pcap/pcap.h");
    assert!(generated == committed, "include/pcap/pcap.h is stale: rebuild outside CI and commit it");
}

#[test]
fn committed_link_layer_headers_are_current() {
    let dir = std::path::Path::new(env!("RINGCAP_GENERATED_LINKHDR_DIR"));
    for name in ["sll", "vlan", "usb", "nflog", "ipnet", "bluetooth", "can_socketcan"] {
        let generated = std::fs::read_to_string(dir.join(format!("{name}.h"))).expect("generated link-layer header");
        let committed =
            std::fs::read_to_string(repo().join(format!("include/pcap/{name}.h"))).expect("committed header");
        assert!(generated == committed, "include/pcap/{name}.h is stale: rebuild outside CI and commit it");
    }
}

#[test]
fn header_documents_every_function() {
    let header = std::fs::read_to_string(repo().join("include/ringcap.h")).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let is_decl = line.starts_with("int32_t ringcap_")
            || line.starts_with("const char *ringcap_")
            || line.starts_with("void ringcap_")
            || line.starts_with("ringcap_");
        if is_decl && line.contains('(') {
            let prev = lines[..i].iter().rev().find(|l| !l.trim().is_empty()).unwrap();
            assert!(prev.trim_end().ends_with("*/"), "undocumented: {line}");
        }
    }
}

fn compile_header(lang: &str, std: &str) {
    let dir = std::env::temp_dir().join(format!("ringcap-header-{}-{lang}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(if lang == "c" { "h.c" } else { "h.cpp" });
    std::fs::write(
        &src,
        "#include \"ringcap.h\"\n#include <pcap.h>\n#include <pcap/bpf.h>\n\
         #include <pcap-bpf.h>\n#include <pcap-namedb.h>\n#include <pcap/namedb.h>\n#include <pcap/dlt.h>\n\
         #include <pcap/sll.h>\n#include <pcap/vlan.h>\n#include <pcap/usb.h>\n#include <pcap/nflog.h>\n\
         #include <pcap/ipnet.h>\n#include <pcap/bluetooth.h>\n#include <pcap/can_socketcan.h>\n\
         #include <pcap/socket.h>\n#include <pcap/pcap-inttypes.h>\n#include <pcap/funcattrs.h>\n\
         #include <pcap/compiler-tests.h>\n\
         int main(void) { struct bpf_insn i[] = { BPF_STMT(BPF_RET | BPF_K, 0) };\n\
         return ringcap_strerror(0) == 0 || pcap_lib_version() == 0 || i[0].code != 6 || DLT_EN10MB != 1; }\n",
    )
    .unwrap();
    let mut cmd = if lang == "c" { compiler() } else { Command::new("c++") };
    let status = cmd
        .args([std, "-Wall", "-Wextra", "-Werror", "-Wpedantic", "-fsyntax-only", "-I"])
        .arg(repo().join("include"))
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success(), "include/ringcap.h does not compile as {lang} ({std})");
}

#[test]
fn header_compiles_as_c_and_cpp() {
    compile_header("c", "-std=c99");
    compile_header("c", "-std=c11");
    compile_header("c++", "-std=c++11");
}
