//! Building against ringcap the ways libpcap users do: `make install`'s
//! layout is libpcap-dev's plus ringcap's own files, and real projects
//! (autoconf with PKG_CHECK_MODULES, autoconf with pcap-config and an
//! AC_CHECK_LIB fallback, CMake with pkg_check_modules and with
//! find_package(ringcap), plain cc, static, and the build tree) configure,
//! build and capture with libpcap-dev hidden (tests/install/run.sh, in
//! private mount and network namespaces).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::c::{repo, target_dir};

/// A prefix holding `make install`'s result for the library cargo built,
/// made once per test binary.
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        // Fails early with a clear message when the cdylib is stale.
        support::c::lib_dir();
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        let st = Command::new("sh")
            .arg(repo().join("pkgconfig/install.sh"))
            .arg(&prefix)
            .arg(target_dir())
            .status()
            .expect("running pkgconfig/install.sh");
        assert!(st.success(), "install.sh failed");
        prefix
    })
}

/// Every file and symlink under `dir`, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// libpcap-dev's files under a prefix: Debian's file list with
/// /usr/lib/<triplet> as lib and the manual pages uncompressed. Debian's
/// doc directory (changelog, copyright) is not among them.
fn libpcap_dev_files() -> BTreeSet<String> {
    libpcap_dev_entries().into_keys().collect()
}

/// libpcap-dev's files as [`libpcap_dev_files`] names them, each with the
/// page it links to if it is an alias (a symlink) of another.
fn libpcap_dev_entries() -> std::collections::BTreeMap<String, Option<String>> {
    let out = Command::new("dpkg").args(["-L", "libpcap0.8-dev"]).output().expect("dpkg -L");
    assert!(out.status.success(), "libpcap0.8-dev must be installed (.ci/setup) to compare layouts");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("/usr/share/") || l.starts_with("/usr/share/man/"))
        .filter(|l| !Path::new(l).is_dir())
        .map(|l| {
            let rel = l.strip_prefix("/usr/").expect("a file under /usr");
            let name = match rel.strip_prefix("lib/") {
                Some(r) => format!("lib/{}", r.split_once('/').map_or(r, |(_, f)| f)),
                None => rel.strip_suffix(".gz").unwrap_or(rel).to_string(),
            };
            let alias = std::fs::read_link(l).ok().map(|t| {
                let t = t.to_string_lossy().into_owned();
                t.strip_suffix(".gz").map_or(t.clone(), str::to_string)
            });
            (name, if rel.starts_with("share/man/") { alias } else { None })
        })
        .collect()
}

/// The man pages libpcap-dev installs, by section.
fn libpcap_dev_man_pages() -> BTreeSet<String> {
    libpcap_dev_files().into_iter().filter(|f| f.starts_with("share/man/")).collect()
}

#[test]
fn install_lays_out_libpcap_dev_plus_ringcaps_own_files() {
    let installed = tree(prefix());
    let libpcap = libpcap_dev_files();
    assert_eq!(libpcap.len(), 22 + 79, "libpcap-dev's file list changed: {libpcap:?}");
    let missing: Vec<&String> = libpcap.difference(&installed).collect();
    assert!(missing.is_empty(), "libpcap-dev installs these and ringcap does not: {missing:?}");
    let own: BTreeSet<String> = [
        "include/ringcap.h",
        "lib/libringcap.so.0.1.0",
        "lib/libringcap.so.0",
        "lib/libringcap.so",
        "lib/libringcap.a",
        "lib/libpcap.so.0.8",
        "lib/libpcap.so.1",
        "lib/pkgconfig/ringcap.pc",
        "lib/cmake/ringcap/ringcapConfig.cmake",
        "lib/cmake/ringcap/ringcapConfigVersion.cmake",
        "share/man/man3/ringcap.3",
        "share/man/man3/ringcap_capture.3",
        "share/man/man3/ringcap_config.3",
        "share/man/man3/ringcap_filter.3",
        "share/man/man3/ringcap_interfaces.3",
        "share/man/man3/ringcap_tx.3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let expected: BTreeSet<String> = libpcap.union(&own).cloned().collect();
    assert_eq!(installed, expected, "the installed files are not libpcap-dev's plus ringcap's own");
    // libpcap's alias pages are aliases here too, of the same pages.
    for (name, alias) in libpcap_dev_entries().into_iter().filter(|(n, _)| n.starts_with("share/man/")) {
        let here = std::fs::read_link(prefix().join(&name)).ok().map(|t| t.to_string_lossy().into_owned());
        assert_eq!(here, alias, "{name}: libpcap-dev's alias and ringcap's differ");
    }
    // The development and run-time names all reach the one library.
    for link in ["libpcap.so", "libpcap.so.0.8", "libpcap.so.1", "libringcap.so"] {
        let real = std::fs::canonicalize(prefix().join("lib").join(link)).unwrap();
        assert_eq!(real.file_name().unwrap(), "libringcap.so.0.1.0", "{link}");
    }
}

#[test]
fn pcap_config_prints_libpcaps_options() {
    let cfg = prefix().join("bin/pcap-config");
    let p = prefix().display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(&cfg).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(run(&["--cflags"]).1, format!("-I{p}/include"));
    assert_eq!(run(&["--libs"]).1, format!("-L{p}/lib -Wl,-rpath,{p}/lib -lpcap"));
    assert_eq!(run(&["--cflags", "--libs"]).1, format!("-I{p}/include -L{p}/lib -Wl,-rpath,{p}/lib -lpcap"));
    assert_eq!(run(&["--additional-libs"]).1, "");
    let static_libs = "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc";
    assert_eq!(run(&["--static", "--libs"]).1, format!("-L{p}/lib -lpcap {static_libs}"));
    assert_eq!(run(&["--static-pcap-only", "--libs"]).1, format!("-L{p}/lib -lpcap {static_libs}"));
    assert_eq!(run(&["--static", "--additional-libs"]).1, static_libs);
    assert_eq!(run(&["--version"]).1, "1.10.3");
    let bad = run(&["--bogus"]);
    assert_eq!(bad.0, Some(1));
    assert!(
        bad.2.starts_with("pcap-config: Invalid command-line option --bogus specified\nUsage: pcap-config"),
        "{}",
        bad.2
    );
}

#[test]
fn pkg_config_files_point_at_the_prefix() {
    let p = prefix().display().to_string();
    for (name, version) in [("libpcap", "1.10.3"), ("ringcap", env!("CARGO_PKG_VERSION"))] {
        let out = Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig"))
            .env("PKG_CONFIG_LIBDIR", prefix().join("lib/pkgconfig"))
            .args(["--cflags", "--libs", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "pkg-config {name}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let lib = if name == "libpcap" { "pcap" } else { "ringcap" };
        assert_eq!(text.trim_end(), format!("-I{p}/include -L{p}/lib -l{lib}"), "{name}");
        let out = Command::new("pkg-config")
            .env("PKG_CONFIG_LIBDIR", prefix().join("lib/pkgconfig"))
            .args(["--modversion", name])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{version}\n"), "{name}");
    }
}

/// The link-layer headers declare what libpcap's declare: every size,
/// offset and constant printed by one program built against each.
#[test]
fn link_layer_headers_match_libpcaps() {
    let src = repo().join("tests/install/layouts.c");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("layouts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut outputs = Vec::new();
    for (tag, include) in [("libpcap", None), ("ringcap", Some(prefix().join("include")))] {
        let exe = dir.join(tag);
        let mut cc = Command::new("cc");
        cc.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wpedantic", "-o"]).arg(&exe).arg(&src);
        if let Some(inc) = include {
            cc.arg("-I").arg(inc);
        }
        assert!(cc.status().unwrap().success(), "building layouts.c against {tag}'s headers");
        let out = Command::new(&exe).output().unwrap();
        assert!(out.status.success());
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    assert!(outputs[0].lines().count() > 130, "{}", outputs[0]);
    assert_eq!(outputs[0], outputs[1], "ringcap's link-layer headers differ from libpcap's");
}

/// Builds the test program as project `kind` does and runs it
/// (tests/install/run.sh says what each kind checks).
fn build_project(kind: &str) {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("project-{kind}-{}", std::process::id()));
    // cargo test puts target/<profile> on LD_LIBRARY_PATH: without removing
    // it, ldd would credit the build tree for what the prefix must provide.
    let out = Command::new("unshare")
        .env_remove("LD_LIBRARY_PATH")
        .args(["-m", "-n", "sh"])
        .arg(repo().join("tests/install/run.sh"))
        .arg(kind)
        .arg(prefix())
        .arg(&work)
        .arg(target_dir())
        .output()
        .expect("running tests/install/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(out.status.success(), "{kind} project failed:\n{stdout}\n{stderr}");
    let runs = if kind == "autoconf-pcap-config" { 2 } else { 1 };
    let want = "libpcap version 1.10.3 (ringcap ";
    assert_eq!(stdout.matches(want).count(), runs, "{kind}: expected {runs} runs of the program");
    assert_eq!(stdout.matches(": captured 50 of 50\n").count(), runs, "{kind}: not every frame was captured");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn autoconf_project_with_pkg_check_modules() {
    build_project("autoconf-pkg");
}

#[test]
fn autoconf_project_with_pcap_config_and_check_lib_fallback() {
    build_project("autoconf-pcap-config");
}

#[test]
fn cmake_project_with_pkg_check_modules() {
    build_project("cmake-pkg");
}

#[test]
fn cmake_project_with_find_package_ringcap() {
    build_project("cmake-find-package");
}

#[test]
fn plain_cc_with_lpcap() {
    build_project("cc");
}

#[test]
fn plain_cc_with_static_libpcap_a() {
    build_project("cc-static");
}

/// The README's build-tree command line: -L and -rpath to target/<profile>
/// find the soname libringcap.so.0 that build.rs links there.
#[test]
fn program_built_against_the_build_tree_starts() {
    let link = target_dir().join("libringcap.so.0");
    assert_eq!(
        std::fs::read_link(&link).ok().as_deref(),
        Some(Path::new("libringcap.so")),
        "{} must link to libringcap.so",
        link.display()
    );
    build_project("build-tree");
}

#[test]
fn cmake_version_file_accepts_only_compatible_requests() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cmake-version-{}", std::process::id()));
    for (request, ok) in [("0.1", true), ("0.1.0", true), ("0", true), ("0.2", false), ("1.0", false), ("0.0.9", false)]
    {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("CMakeLists.txt"),
            format!("cmake_minimum_required(VERSION 3.13)\nproject(v C)\nfind_package(ringcap {request} REQUIRED)\n"),
        )
        .unwrap();
        let out = Command::new("cmake")
            .arg("-S")
            .arg(&dir)
            .arg("-B")
            .arg(dir.join("build"))
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix().display()))
            .output()
            .expect("cmake");
        assert_eq!(
            out.status.success(),
            ok,
            "find_package(ringcap {request}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The committed pages are what build.rs makes of the current headers, and
/// both mandoc and groff render every installed page without a warning.
#[test]
fn man_pages_are_current_and_lint_clean() {
    let generated = Path::new(env!("RINGCAP_GENERATED_MAN_DIR"));
    let pages = tree(generated);
    assert_eq!(pages.len(), 6, "{pages:?}");
    for page in &pages {
        let fresh = std::fs::read_to_string(generated.join(page)).unwrap();
        let committed = std::fs::read_to_string(repo().join("man/man3").join(page)).unwrap();
        assert!(fresh == committed, "man/man3/{page} is stale: rebuild outside CI and commit it");
    }
    // libpcap's pages: the same files, texts and aliases as build.rs makes,
    // and no committed page it no longer makes.
    let generated = Path::new(env!("RINGCAP_GENERATED_PCAP_MAN_DIR"));
    let pages = tree(generated);
    let libpcap: BTreeSet<String> = libpcap_dev_man_pages()
        .iter()
        .filter(|p| !p.ends_with(".1"))
        .map(|p| p["share/man/".len()..].to_string())
        .collect();
    assert_eq!(pages, libpcap, "build.rs makes other pages than libpcap-dev installs");
    let committed: BTreeSet<String> =
        tree(&repo().join("man")).into_iter().filter(|p| !p.ends_with(".1") && !p.ends_with(".3")).collect();
    assert_eq!(committed, pages, "man/ holds other libpcap pages than build.rs makes: rebuild outside CI and commit");
    for page in &pages {
        let (fresh, committed) = (generated.join(page), repo().join("man").join(page));
        match std::fs::read_link(&fresh) {
            Ok(target) => assert_eq!(std::fs::read_link(&committed).ok(), Some(target), "man/{page}: stale alias"),
            Err(_) => assert!(
                std::fs::read(&fresh).unwrap() == std::fs::read(&committed).unwrap(),
                "man/{page} is stale: rebuild outside CI and commit it"
            ),
        }
    }
    // Aliases point at pages of their own, so linting the pages covers them.
    let installed: Vec<PathBuf> = tree(&prefix().join("share/man"))
        .iter()
        .map(|p| prefix().join("share/man").join(p))
        .filter(|p| !p.is_symlink())
        .collect();
    assert_eq!(installed.len(), 6 + 79 - 17);
    for page in &installed {
        let lint = Command::new("mandoc").args(["-T", "lint", "-W", "warning"]).arg(page).output().expect("mandoc");
        assert!(
            lint.status.success() && lint.stdout.is_empty() && lint.stderr.is_empty(),
            "mandoc -T lint {}: {}{}",
            page.display(),
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
        let groff = Command::new("groff").args(["-ww", "-man", "-Tutf8", "-z"]).arg(page).output().expect("groff");
        assert!(
            groff.status.success() && groff.stderr.is_empty(),
            "groff -ww {}: {}",
            page.display(),
            String::from_utf8_lossy(&groff.stderr)
        );
    }
}
