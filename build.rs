//! Build steps: kernel ABI bindings (bindgen), the C header (cbindgen), and the
//! shared library's soname.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=cbindgen-pcap.toml");
    println!("cargo:rerun-if-env-changed=CI");

    kernel_bindings(&root, &out);
    c_header(&root, &out);
    pcap_header(&root, &out);

    // The soname lets C programs link against libringcap.so.0 and survive
    // minor upgrades; Rust already exports only #[no_mangle] items from a cdylib.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libringcap.so.0");
}

/// linux/if_packet.h and friends, exactly as this machine's kernel headers say.
fn kernel_bindings(root: &Path, out: &Path) {
    let wrapper = root.join("src/sys/wrapper.h");
    let bindings = bindgen::Builder::default()
        .header(wrapper.to_string_lossy())
        .allowlist_type("tpacket.*|sockaddr_ll|packet_mreq|fanout_args|sock_filter|sock_fprog|hwtstamp_config|tpacket_req_u|tpacket_bd_header_u|tpacket_hdr_v1")
        .allowlist_var("TP_(STATUS|FT)_.*|PACKET_.*|TPACKET_.*|ETH_P_.*|ETH_(ALEN|HLEN|DATA_LEN|FRAME_LEN)|ARPHRD_.*|SOF_TIMESTAMPING_.*|HWTSTAMP_.*|BPF_.*|SKF_.*|SIOC(G|S)IF.*|SIOCSHWTSTAMP|SIOCGHWTSTAMP|SIOCETHTOOL|SO_.*|SOL_PACKET|IFLA_PROMISCUITY|IFLA_ALLMULTI|RTM_GETLINK")
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
    "src/rx/packet.rs",
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
