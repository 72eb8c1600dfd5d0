//! The same C programs compiled against libpcap and against ringcap must
//! print the same thing.

mod support;

use std::process::Command;

use support::c::build_pcap_program_as;

fn same_output(src: &str) {
    same_output_args(src, &[]);
}

fn same_output_args(src: &str, args: &[&str]) {
    same_output_filtered(src, args, |_| true);
}

/// Compares the outputs, ignoring libpcap's lines for which `keep` is false.
fn same_output_filtered(src: &str, args: &[&str], keep: impl Fn(&str) -> bool) {
    let tag = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        args.hash(&mut h);
        format!("-{:x}", h.finish())
    };
    let theirs = Command::new(build_pcap_program_as(src, false, &tag)).args(args).output().unwrap();
    let ours = Command::new(build_pcap_program_as(src, true, &tag)).args(args).output().unwrap();
    assert!(
        theirs.status.success() && ours.status.success(),
        "{src} {args:?}: libpcap's run {:?} {}, ringcap's {:?} {}",
        theirs.status,
        String::from_utf8_lossy(&theirs.stderr),
        ours.status,
        String::from_utf8_lossy(&ours.stderr)
    );
    let t: String =
        String::from_utf8_lossy(&theirs.stdout).lines().filter(|l| keep(l)).map(|l| format!("{l}\n")).collect();
    let o = String::from_utf8_lossy(&ours.stdout).into_owned();
    let diff: Vec<(&str, &str)> = t.lines().zip(o.lines()).filter(|(a, b)| a != b).take(20).collect();
    assert!(diff.is_empty() && t.lines().count() == o.lines().count(), "{src}: libpcap vs ringcap differ:\n{diff:#?}");
}

#[test]
fn name_tables_and_status_texts_match_libpcap() {
    same_output("tests/pcap/tables.c");
}

/// A small corpus: ringcap-written pcap, and editcap's nanosecond pcap,
/// pcapng and byte-swapped conversions of it, plus broken files.
fn savefile_corpus(dir: &std::path::Path) -> Vec<String> {
    use ringcap::savefile::{PacketHeader, Precision, Writer, WriterConfig};
    let base = dir.join("base.pcap");
    let mut w =
        Writer::new(std::fs::File::create(&base).unwrap(), "base", &WriterConfig::new(1, 65535, Precision::Micro))
            .unwrap();
    for i in 0..20u32 {
        let len = 60 + (i * 97) % 1400;
        let data: Vec<u8> = (0..len).map(|b| (b * 7 + i) as u8).collect();
        let caplen = if i % 5 == 4 { 40 } else { len };
        let h =
            PacketHeader { ts_sec: 1_700_000_000 + i as i64, ts_frac: (i as i64 * 123_457) % 1_000_000, caplen, len };
        w.dump(&h, &data).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let mut files = vec![base.display().to_string()];
    for (format, name) in [("nsecpcap", "nsec.pcap"), ("pcapng", "ng.pcapng"), ("modpcap", "mod.pcap")] {
        let out = dir.join(name);
        let st = Command::new("editcap")
            .args(["-F", format])
            .arg(&base)
            .arg(&out)
            .status()
            .expect("editcap (tshark package)");
        assert!(st.success(), "editcap -F {format}");
        files.push(out.display().to_string());
    }
    let bytes = std::fs::read(&base).unwrap();
    let truncated = dir.join("truncated.pcap");
    std::fs::write(&truncated, &bytes[..bytes.len() - 30]).unwrap();
    let garbage = dir.join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture file at all").unwrap();
    files.push(truncated.display().to_string());
    files.push(garbage.display().to_string());
    files.push(dir.join("missing.pcap").display().to_string());
    files
}

#[test]
fn savefiles_read_and_dump_like_libpcap() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pcap-offline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = savefile_corpus(&dir);
    for precision in ["micro", "nano"] {
        let mut args = vec![precision, dir.to_str().unwrap()];
        args.extend(files.iter().map(String::as_str));
        same_output_args("tests/pcap/offline.c", &args);
    }
}

/// Descriptors, direction, stream positions after reads, filters and
/// streams (fopen and pipe) on the same files.
#[test]
fn savefile_handles_behave_like_libpcap() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pcap-handles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = savefile_corpus(&dir);
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    same_output_args("tests/pcap/offline_handles.c", &args);
}

/// pcap_offline_filter on programs changed in place between calls, freed
/// and replaced at the same address, built on the stack, alternating, and
/// changed by several threads: the verdicts of the memory as it is.
#[test]
fn offline_filter_runs_the_program_as_it_is_now() {
    same_output("tests/pcap/offline_filter_cache.c");
}

/// Devices, their flags and addresses, in libpcap's order, the netfilter
/// log and queue pseudo-devices included. libpcap also lists pseudo-devices
/// ringcap does not capture on (Bluetooth monitor, D-Bus); those lines are
/// left out.
#[test]
fn devices_match_libpcap() {
    support::netns::in_netns(
        &[
            "ip link add va type veth peer name vb",
            "ip link set va up",
            "ip addr add 10.5.0.1/24 dev va",
            "ip link add vc type veth peer name vd",
            "ip link add vx type veth peer name vy",
            "ip link set vx up",
            "ip link set vy up",
            "ip addr add 192.0.2.9/28 brd 192.0.2.15 dev vy",
        ],
        || {
            let pseudo = ["bluetooth", "dbus-", "usbmon"];
            same_output_filtered("tests/pcap/devices.c", &[], |l| !pseudo.iter().any(|p| l.starts_with(p)));
        },
    );
}

/// The namedb helpers resolve names, ports, protocols and Ethernet
/// addresses like libpcap.
#[test]
fn name_helpers_match_libpcap() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pcap-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ethers = dir.join("ethers");
    std::fs::write(
        &ethers,
        "# test ethers file\n00:11:22:33:44:55 alpha\n8:0:20:1:2:3\tbeta # comment\nnot-a-mac gamma\n\n0a:0b:0c:0d:0e:0f delta extra\n",
    )
    .unwrap();
    same_output_args("tests/pcap/names.c", &[ethers.to_str().unwrap()]);
}

#[test]
fn dead_and_unactivated_handles_match_libpcap() {
    same_output("tests/pcap/dead.c");
}

/// The fault suite: the same program against libpcap and ringcap, one
/// fault per run (tests/pcap/faults.c says what each does).
fn same_fault(scenario: &str) {
    same_output_args("tests/pcap/faults.c", &[scenario]);
}

#[test]
fn fault_link_flap_is_ridden_out() {
    same_fault("flap");
}

#[test]
fn fault_deleted_interface_fails_every_read() {
    same_fault("delete");
}

#[test]
fn fault_interface_moved_to_another_namespace() {
    same_fault("move");
}

#[test]
fn fault_stalled_reader_under_sparse_traffic_loses_nothing() {
    same_fault("stall");
}

#[test]
fn fault_handle_churn_under_a_low_file_limit() {
    same_fault("churn");
}

/// A monitoring thread's pcap_stats during pcap_loop is answered at once.
#[test]
fn fault_second_thread_calls_during_the_loop() {
    same_fault("monitor");
}

/// pthread_cancel of a capturing thread proceeds, as with libpcap (sngrep
/// stops its capture thread this way).
#[test]
fn thread_cancellation_inside_the_loop_proceeds() {
    same_output("tests/pcap/cancel.c");
}

#[test]
fn dumping_into_every_kind_of_stream_writes_libpcaps_bytes() {
    same_output("tests/pcap/dump_streams.c");
}

/// Not compared with libpcap, whose records interleave when threads share
/// a dumper (its header and data are two fwrites): each must be whole here.
#[test]
fn threads_sharing_a_dumper_write_whole_records() {
    let out = Command::new(build_pcap_program_as("tests/pcap/dump_streams.c", true, "-threads"))
        .arg("threads")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.trim(), "threads      8000 records, 8000 intact");
}
