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
    println!("cargo:rerun-if-env-changed=CI");

    kernel_bindings(&root, &out);
    c_header(&root, &out);

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

/// include/ringcap.h from the `extern "C"` declarations. The committed header is
/// refreshed on developer builds; under CI it is left alone so that the
/// header test can catch a stale copy.
fn c_header(root: &Path, out: &Path) {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let generated = out.join("ringcap.h");
    match cbindgen::Builder::new().with_crate(root).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(&generated);
        }
        Err(e) => panic!("cbindgen failed: {e}"),
    }
    println!("cargo:rustc-env=RINGCAP_GENERATED_HEADER={}", generated.display());
    let committed = root.join("include/ringcap.h");
    let fresh = fs::read(&generated).expect("generated header");
    let same = fs::read(&committed).map(|c| c == fresh).unwrap_or(false);
    if !same && env::var_os("CI").is_none() {
        fs::create_dir_all(root.join("include")).expect("include/");
        fs::write(&committed, &fresh).expect("writing include/ringcap.h");
    }
}
