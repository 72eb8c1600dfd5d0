//! Building and running C programs against the library the way a C user
//! would: the committed header, the shared library, strict warnings.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>, where cargo put libringcap.so.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

/// A private directory holding libringcap.so and its soname link
/// libringcap.so.0, which programs linked with -lringcap load at run time.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let built = target_dir().join("libringcap.so");
        assert!(
            built.exists(),
            "{} is missing: build the cdylib first with `cargo build` (`make test` does)",
            built.display()
        );
        // cargo test does not rebuild the cdylib: a stale one would test old code.
        let so = std::fs::metadata(&built).and_then(|m| m.modified()).unwrap();
        if let Some(newer) = newest_source(&repo().join("src")).filter(|(t, _)| *t > so) {
            panic!(
                "{} is older than {}: run `cargo build` first (`make test` does)",
                built.display(),
                newer.1.display()
            );
        }
        let dir = target_dir().join(format!("c-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let so = dir.join("libringcap.so");
        std::fs::copy(&built, &so).unwrap();
        let soname = dir.join("libringcap.so.0");
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink("libringcap.so", &soname).unwrap();
        dir
    })
}

/// The C compiler the cc crate picks for this host.
pub fn compiler() -> Command {
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .host(&target)
        .target(&target)
        .opt_level(1)
        .debug(true)
        .get_compiler()
        .to_command()
}

pub const STRICT: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wpedantic"];

/// Compiles c-tests/<name>.c into an executable and returns its path.
pub fn build_c_test(name: &str) -> PathBuf {
    build_c_test_as(name, &format!("{name}-test"))
}

/// Like [`build_c_test`] into lib_dir/<exe>: tests that run one program
/// with different arguments build their own copy.
pub fn build_c_test_as(name: &str, exe: &str) -> PathBuf {
    let src = repo().join("c-tests").join(format!("{name}.c"));
    compile_against_ringcap(&src, exe, &[repo().join("include"), repo().join("c-tests")])
}

/// Compiles examples/<name>.c the way the C tests are compiled (strict
/// flags, the committed header, the built library) and returns its path.
pub fn build_example(name: &str) -> PathBuf {
    let src = repo().join("examples").join(format!("{name}.c"));
    compile_against_ringcap(&src, &format!("{name}-example"), &[repo().join("include")])
}

/// Compiles a C source made by a test (not in c-tests/) the way the C
/// tests are compiled, with c-tests/ on the include path.
pub fn build_c_source(src: &Path, exe: &str) -> PathBuf {
    compile_against_ringcap(src, exe, &[repo().join("include"), repo().join("c-tests")])
}

/// Compiles a libpcap program (`src`, relative to the repo) against the
/// system libpcap, or against ringcap's own generated headers and library,
/// into lib_dir; the differential tests run both builds on the same input.
pub fn build_pcap_program(src: &str, ringcap: bool) -> PathBuf {
    build_pcap_program_as(src, ringcap, "")
}

/// Like [`build_pcap_program`] into a name of its own per `tag`: tests that
/// run one program with different arguments run in parallel and must not
/// overwrite each other's executable.
pub fn build_pcap_program_as(src: &str, ringcap: bool, tag: &str) -> PathBuf {
    let name = Path::new(src).file_stem().unwrap().to_string_lossy().into_owned();
    let out = lib_dir().join(format!("{name}{tag}-{}", if ringcap { "ringcap" } else { "libpcap" }));
    let mut cmd = compiler();
    cmd.args(["-std=gnu11", "-Wall", "-Wextra", "-Werror"]).arg(repo().join(src)).arg("-o").arg(&out);
    if ringcap {
        // ringcap's own generated headers, not libpcap-dev's.
        cmd.arg("-I").arg(repo().join("include"));
        cmd.arg(format!("-L{}", lib_dir().display()))
            .arg("-lringcap")
            .arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    } else {
        cmd.arg("-lpcap");
    }
    cmd.arg("-lpthread");
    assert!(cmd.status().unwrap().success(), "compiling {src}");
    out
}

/// Compiles `src` strictly against the built library into lib_dir/<exe>.
/// Tests run in parallel and several may build the same program: it is
/// compiled to a private name and renamed into place, so no test ever
/// executes a file another is still writing (ETXTBSY).
fn compile_against_ringcap(src: &Path, exe: &str, includes: &[PathBuf]) -> PathBuf {
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lib = lib_dir();
    let out = lib.join(exe);
    let tmp = lib.join(format!("{exe}.tmp{n}"));
    let mut cmd = compiler();
    cmd.args(STRICT);
    for dir in includes {
        cmd.arg("-I").arg(dir);
    }
    let status = cmd
        .arg(src)
        .arg("-o")
        .arg(&tmp)
        .arg(format!("-L{}", lib.display()))
        .arg("-lringcap")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lpthread", "-ldl"])
        .status()
        .expect("running the C compiler");
    assert!(status.success(), "compiling {} failed", src.display());
    std::fs::rename(&tmp, &out).expect("renaming the compiled program into place");
    out
}

/// Builds and runs c-tests/<name>.c; the test fails unless it exits 0.
pub fn run_c_test(name: &str) {
    run_c_test_args(name, &[]);
}

pub fn run_c_test_args(name: &str, args: &[&str]) {
    check_output(name, args, Command::new(build_for_args(name, args)).args(args));
}

/// Runs c-tests/<name>.c under valgrind's memcheck: any invalid access,
/// use of uninitialised memory or definite leak fails the test.
pub fn run_c_test_valgrind(name: &str, args: &[&str]) {
    let exe = build_for_args(name, args);
    let mut cmd = Command::new("valgrind");
    cmd.args(["-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite"])
        .arg(&exe)
        .args(args);
    check_output(name, args, &mut cmd);
}

/// A copy of the program per argument list, so parallel runs never share one.
fn build_for_args(name: &str, args: &[&str]) -> PathBuf {
    let tag: String = args
        .iter()
        .flat_map(|a| a.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).chain(['-']))
        .take(60)
        .collect();
    build_c_test_as(name, &format!("{name}-{tag}test"))
}

fn check_output(name: &str, args: &[&str], cmd: &mut Command) {
    let output = cmd.output().expect("running the C test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(output.status.success(), "C test {name} {args:?} failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("PASSED"), "C test {name} did not report PASSED");
}

/// The most recently modified file under `dir`.
fn newest_source(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() {
            newest_source(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok().map(|t| (t, path))
        };
        if let Some(c) = candidate {
            if newest.as_ref().is_none_or(|n| c.0 > n.0) {
                newest = Some(c);
            }
        }
    }
    newest
}
