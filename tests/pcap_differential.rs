//! The same C programs compiled against libpcap and against ringcap must
//! print the same thing.

mod support;

use std::process::Command;

use support::c::{compiler, lib_dir, repo};

fn build(src: &str, ringcap: bool) -> std::path::PathBuf {
    let name = std::path::Path::new(src).file_stem().unwrap().to_string_lossy().into_owned();
    let out = lib_dir().join(format!("{name}-{}", if ringcap { "ringcap" } else { "libpcap" }));
    let mut cmd = compiler();
    cmd.args(["-std=gnu11", "-Wall", "-Wextra", "-Werror"]).arg(repo().join(src)).arg("-o").arg(&out);
    if ringcap {
        cmd.arg(format!("-L{}", lib_dir().display()))
            .arg("-lringcap")
            .arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    } else {
        cmd.arg("-lpcap");
    }
    assert!(cmd.status().unwrap().success(), "compiling {src}");
    out
}

fn same_output(src: &str) {
    let theirs = Command::new(build(src, false)).output().unwrap();
    let ours = Command::new(build(src, true)).output().unwrap();
    assert!(theirs.status.success() && ours.status.success());
    let (t, o) = (String::from_utf8_lossy(&theirs.stdout), String::from_utf8_lossy(&ours.stdout));
    let diff: Vec<(&str, &str)> = t.lines().zip(o.lines()).filter(|(a, b)| a != b).take(20).collect();
    assert!(diff.is_empty() && t.lines().count() == o.lines().count(), "{src}: libpcap vs ringcap differ:\n{diff:#?}");
}

#[test]
fn name_tables_and_status_texts_match_libpcap() {
    same_output("tests/pcap/tables.c");
}
