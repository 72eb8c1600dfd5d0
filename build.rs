//! Build steps: kernel ABI bindings (bindgen), the result-code table, the C
//! header (cbindgen), and the shared library's soname.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "build/error_codes.rs"]
mod error_codes;
#[path = "build/man.rs"]
mod man;
#[path = "build/pcap_man.rs"]
mod pcap_man;

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=cbindgen-pcap.toml");
    println!("cargo:rerun-if-env-changed=CI");

    kernel_bindings(&root, &out);
    error_codes::generate(&root, &out);
    c_header(&root, &out);
    pcap_header(&root, &out);
    linkhdr_headers(&root, &out);
    man_pages(&root, &out);
    pcap_man_pages(&root, &out);
    dlt_descriptions(&root, &out);

    // The soname lets C programs link against libringcap.so.0 and survive
    // minor upgrades; Rust already exports only #[no_mangle] items from a cdylib.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libringcap.so.0");
    soname_link(&out);
}

/// target/<profile>/libringcap.so.0 -> libringcap.so, so that a program
/// linked against the build tree with -L and -rpath finds the soname it
/// records. The cdylib does not exist yet while build.rs runs, but a
/// relative symlink needs no target, and cargo only replaces the file it
/// points to, so the link stays valid across rebuilds. OUT_DIR is
/// target/<profile>/build/<pkg>-<hash>/out under any target dir or triple.
fn soname_link(out: &Path) {
    let Some(profile_dir) = out.ancestors().nth(3) else { return };
    let link = profile_dir.join("libringcap.so.0");
    if fs::read_link(&link).is_ok_and(|t| t == Path::new("libringcap.so")) {
        return;
    }
    let _ = fs::remove_file(&link);
    if let Err(e) = std::os::unix::fs::symlink("libringcap.so", &link) {
        println!("cargo:warning=could not create {}: {e}", link.display());
    }
}

/// linux/if_packet.h and friends, exactly as this machine's kernel headers say.
fn kernel_bindings(root: &Path, out: &Path) {
    let wrapper = root.join("src/sys/wrapper.h");
    let bindings = bindgen::Builder::default()
        .header(wrapper.to_string_lossy())
        .allowlist_type("tpacket.*|sockaddr_ll|packet_mreq|fanout_args|sock_filter|sock_fprog|hwtstamp_config|tpacket_req_u|tpacket_bd_header_u|tpacket_hdr_v1|ethtool_ts_info|ethtool_value|hwtstamp_rx_filters|hwtstamp_tx_types|nlmsghdr|nlmsgerr|nlattr|nfgenmsg|nfulnl_.*|nfqnl_.*|virtio_net_hdr|_IO_FILE")
        .allowlist_var("TP_(STATUS|FT)_.*|PACKET_.*|TPACKET_.*|ETH_P_.*|ETH_(ALEN|HLEN|DATA_LEN|FRAME_LEN)|ARPHRD_.*|SOF_TIMESTAMPING_.*|HWTSTAMP_.*|BPF_.*|SKF_.*|SIOC(G|S)IF.*|SIOCSHWTSTAMP|SIOCGHWTSTAMP|SIOCETHTOOL|SO_.*|SOL_PACKET|IFLA_PROMISCUITY|IFLA_ALLMULTI|RTM_GETLINK|ETHTOOL_GET_TS_INFO|ETHTOOL_G(LINK|TSO|UFO|GSO|GRO)|NETLINK_NETFILTER|NLM_F_(REQUEST|ACK|MULTI)|NLMSG_(ERROR|DONE)|NLA_F_NESTED|NFNETLINK_V0|NFNL_SUBSYS_(ULOG|QUEUE)|NFULNL_COPY_PACKET|NF_ACCEPT|VIRTIO_NET_HDR_(F_NEEDS_CSUM|F_DATA_VALID|GSO_.*)")
        .derive_default(true)
        .derive_debug(false)
        .layout_tests(true)
        .use_core()
        .generate()
        .expect("bindgen could not read the kernel headers (install linux-libc-dev and libclang-dev)");
    bindings.write_to_file(out.join("kernel.rs")).expect("writing kernel.rs into OUT_DIR");
}

/// Files whose declarations make up include/ringcap.h.
const RINGCAP_HEADER_SOURCES: &[&str] = &[
    "src/error.rs",
    "src/packet.rs",
    "src/stats.rs",
    "src/direction.rs",
    "src/fanout.rs",
    "src/timestamp.rs",
    "src/filter/insn.rs",
    "src/ffi/result.rs",
    "src/ffi/config.rs",
    "src/ffi/capture.rs",
    "src/ffi/filter.rs",
    "src/ffi/dumper.rs",
    "src/ffi/features.rs",
    "src/ffi/interfaces.rs",
    "src/ffi/transmit.rs",
];

/// Files whose declarations make up include/pcap/pcap.h.
const PCAP_HEADER_SOURCES: &[&str] = &[
    "src/pcap_compat/abi.rs",
    "src/pcap_compat/bpf_abi.rs",
    "src/pcap_compat/dlt.rs",
    "src/pcap_compat/registry.rs",
    "src/pcap_compat/api_capture.rs",
    "src/pcap_compat/api_info.rs",
    "src/pcap_compat/api_savefile.rs",
    "src/pcap_compat/api_filter.rs",
    "src/pcap_compat/api_devices.rs",
    "src/pcap_compat/api_names.rs",
];

/// include/pcap/pcap.h: libpcap's API as ringcap implements it.
fn pcap_header(root: &Path, out: &Path) {
    let config = cbindgen::Config::from_file(root.join("cbindgen-pcap.toml")).expect("cbindgen-pcap.toml");
    let mut builder = cbindgen::Builder::new().with_config(config);
    for src in PCAP_HEADER_SOURCES {
        builder = builder.with_src(root.join(src));
    }
    let bindings = builder.generate().unwrap_or_else(|e| panic!("cbindgen (pcap) failed: {e}"));
    let generated = out.join("pcap.h");
    bindings.write_to_file(&generated);
    println!("cargo:rustc-env=RINGCAP_GENERATED_PCAP_HEADER={}", generated.display());
    refresh_committed(&generated, &root.join("include/pcap/pcap.h"));
}

/// The link-layer headers libpcap installs under pcap/, one per module of
/// src/linkhdr, each with libpcap's include guard.
const LINKHDR_HEADERS: &[&str] = &["sll", "vlan", "usb", "nflog", "ipnet", "bluetooth", "can_socketcan"];

/// include/pcap/<name>.h from src/linkhdr/<name>.rs.
fn linkhdr_headers(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed=cbindgen-linkhdr.toml");
    for name in LINKHDR_HEADERS {
        let mut config =
            cbindgen::Config::from_file(root.join("cbindgen-linkhdr.toml")).expect("cbindgen-linkhdr.toml");
        config.include_guard = Some(format!("lib_pcap_{name}_h"));
        // No function uses these types, so cbindgen must be told to emit them.
        let src = fs::read_to_string(root.join(format!("src/linkhdr/{name}.rs"))).expect("linkhdr source");
        config.export.include = src
            .lines()
            .filter_map(|l| ["pub struct ", "pub union ", "pub type "].iter().find_map(|p| l.strip_prefix(p)))
            .filter_map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next())
            .map(str::to_string)
            .collect();
        config.header = Some(format!(
            "/*\n * pcap/{name}.h for ringcap: the same definitions as libpcap 1.10's.\n *\n \
             * Generated by cbindgen from src/linkhdr/{name}.rs.\n */"
        ));
        let bindings = cbindgen::Builder::new()
            .with_config(config)
            .with_src(root.join(format!("src/linkhdr/{name}.rs")))
            .generate()
            .unwrap_or_else(|e| panic!("cbindgen ({name}.h) failed: {e}"));
        let generated = out.join(format!("{name}.h"));
        bindings.write_to_file(&generated);
        refresh_committed(&generated, &root.join(format!("include/pcap/{name}.h")));
    }
    println!("cargo:rustc-env=RINGCAP_GENERATED_LINKHDR_DIR={}", out.display());
}

/// man/man3/*.3 from the generated include/ringcap.h (build/man.rs).
fn man_pages(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed=build/man.rs");
    let header = fs::read_to_string(out.join("ringcap.h")).expect("generated ringcap.h");
    let dir = out.join("man3");
    fs::create_dir_all(&dir).expect("OUT_DIR/man3");
    for (name, text) in man::pages(&header, &env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION")) {
        let generated = dir.join(&name);
        fs::write(&generated, text).expect("writing a man page");
        refresh_committed(&generated, &root.join("man/man3").join(&name));
    }
    println!("cargo:rustc-env=RINGCAP_GENERATED_MAN_DIR={}", dir.display());
}

/// libpcap's pages (man/man3/*.3pcap, man/man5, man/man7) from the
/// generated include/pcap/pcap.h and the name tables (build/pcap_man.rs).
fn pcap_man_pages(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed=build/pcap_man.rs");
    let header = fs::read_to_string(out.join("pcap.h")).expect("generated pcap.h");
    let names = fs::read_to_string(root.join("src/pcap_compat/names.rs")).expect("src/pcap_compat/names.rs");
    let dir = out.join("pcapman");
    let _ = fs::remove_dir_all(&dir);
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    for (path, entry) in pcap_man::pages(&header, &names, &version) {
        let generated = dir.join(&path);
        fs::create_dir_all(generated.parent().expect("a man section")).expect("OUT_DIR/pcapman");
        let committed = root.join("man").join(&path);
        match entry {
            pcap_man::Entry::Page(text) => {
                fs::write(&generated, text).expect("writing a man page");
                refresh_committed(&generated, &committed);
            }
            pcap_man::Entry::Alias(target) => {
                std::os::unix::fs::symlink(&target, &generated).expect("an alias page");
                let same = fs::read_link(&committed).is_ok_and(|t| t == Path::new(&target));
                if !same && env::var_os("CI").is_none() {
                    let _ = fs::remove_file(&committed);
                    std::os::unix::fs::symlink(&target, &committed).expect("the committed alias page");
                }
            }
        }
    }
    println!("cargo:rustc-env=RINGCAP_GENERATED_PCAP_MAN_DIR={}", dir.display());
}

/// OUT_DIR/dlt_descriptions.rs, (value, description) of every DLT in the
/// table pcap_datalink_val_to_description() serves (src/pcap_compat/names.rs),
/// for the filter compiler's messages: the compiler sits below the pcap
/// layer and cannot name it, yet must say what libpcap's says.
fn dlt_descriptions(root: &Path, out: &Path) {
    let header = fs::read_to_string(out.join("pcap.h")).expect("generated pcap.h");
    let names = fs::read_to_string(root.join("src/pcap_compat/names.rs")).expect("src/pcap_compat/names.rs");
    let mut text = String::from("&[\n");
    for (_, constant, desc) in pcap_man::table_rows(&names, "DLTS") {
        text.push_str(&format!("    ({}, {desc:?}),\n", pcap_man::define(&header, &constant)));
    }
    text.push_str("]\n");
    fs::write(out.join("dlt_descriptions.rs"), text).expect("writing dlt_descriptions.rs into OUT_DIR");
}

/// include/ringcap.h from the `extern "C"` declarations. The committed header is
/// refreshed on developer builds; under CI it is left alone so that the
/// header test can catch a stale copy.
fn c_header(root: &Path, out: &Path) {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let generated = out.join("ringcap.h");
    // The ringcap API only: the C boundary plus the core types it exposes.
    let mut builder = cbindgen::Builder::new().with_config(config);
    for src in RINGCAP_HEADER_SOURCES {
        builder = builder.with_src(root.join(src));
    }
    match builder.generate() {
        Ok(bindings) => {
            bindings.write_to_file(&generated);
        }
        Err(e) => panic!("cbindgen failed: {e}"),
    }
    println!("cargo:rustc-env=RINGCAP_GENERATED_HEADER={}", generated.display());
    refresh_committed(&generated, &root.join("include/ringcap.h"));
}

/// Copies a generated header over its committed copy on developer builds;
/// under CI the committed copy is left alone so the header test can catch it stale.
fn refresh_committed(generated: &Path, committed: &Path) {
    let fresh = fs::read(generated).expect("generated header");
    let same = fs::read(committed).map(|c| c == fresh).unwrap_or(false);
    if !same && env::var_os("CI").is_none() {
        fs::create_dir_all(committed.parent().expect("include dir")).expect("include dir");
        fs::write(committed, &fresh).expect("writing the committed header");
    }
}
