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
        assert!(built.exists(), "{} is missing: the cdylib was not built", built.display());
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
/// with different arguments build their own copy, so one is never
/// rewritten while another runs it (ETXTBSY).
pub fn build_c_test_as(name: &str, exe: &str) -> PathBuf {
    let src = repo().join("c-tests").join(format!("{name}.c"));
    let out = lib_dir().join(exe);
    let lib = lib_dir();
    let status = compiler()
        .args(STRICT)
        .arg("-I")
        .arg(repo().join("include"))
        .arg("-I")
        .arg(repo().join("c-tests"))
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg("-lringcap")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lpthread", "-ldl"])
        .status()
        .expect("running the C compiler");
    assert!(status.success(), "compiling {} failed", src.display());
    out
}

/// Compiles examples/<name>.c the way the C tests are compiled (strict
/// flags, the committed header, the built library) and returns its path.
pub fn build_example(name: &str) -> PathBuf {
    let src = repo().join("examples").join(format!("{name}.c"));
    let out = lib_dir().join(format!("{name}-example"));
    let lib = lib_dir();
    let status = compiler()
        .args(STRICT)
        .arg("-I")
        .arg(repo().join("include"))
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg("-lringcap")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .status()
        .expect("running the C compiler");
    assert!(status.success(), "compiling {} failed", src.display());
    out
}

/// Builds and runs c-tests/<name>.c; the test fails unless it exits 0.
pub fn run_c_test(name: &str) {
    run_c_test_args(name, &[]);
}

pub fn run_c_test_args(name: &str, args: &[&str]) {
    let tag: String = args
        .iter()
        .flat_map(|a| a.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).chain(['-']))
        .take(60)
        .collect();
    let exe = build_c_test_as(name, &format!("{name}-{tag}test"));
    let output = Command::new(&exe).args(args).output().expect("running the C test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(output.status.success(), "C test {name} {args:?} failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("PASSED"), "C test {name} did not report PASSED");
}
