//! The vendored build for `*-pc-windows-gnu` (mingw-w64), the path that
//! neither `zeromq-src` nor `libsodium-sys-stable` completes by itself:
//!
//! - **libsodium.** `libsodium-sys-stable` configures libsodium with
//!   `--host=<rust triple>`, which libsodium's `config.sub` rejects for
//!   `x86_64-pc-windows-gnu`; it then downloads a prebuilt archive. So on this
//!   target it is not a dependency (see `Cargo.toml`), and we build the very
//!   source tarball it ships, pinned by version, with `--host=x86_64-w64-mingw32`.
//!   The result is cached beside the target's build directories
//!   (`<target-dir>/<triple>/zmq-sys-libsodium-<version>/`), shared by every
//!   profile and feature set: about 3 minutes once.
//! - **Compilers.** libzmq's C++11 code needs `std::condition_variable`, which
//!   only the posix-threads flavour of mingw's g++ has. Cross-building from a
//!   non-Windows host, we pick Debian's `x86_64-w64-mingw32-{gcc,g++}-posix`
//!   unless `CC_<target>`/`CXX_<target>` say otherwise.
//! - **No DLLs at run time.** libstdc++ and winpthread are linked statically,
//!   from the same compiler's directory, so a program needs no
//!   `libstdc++-6.dll`/`libwinpthread-1.dll` next to it.
//! - **wepoll.** `zeromq-src` selects libzmq's epoll backend on Windows but
//!   compiles `wepoll.c` only for MSVC; we compile it here.
//! - **IPC.** libzmq 4.3.5 includes `<afunix.h>` only under MSVC, so its ipc
//!   transport does not compile with mingw; `zeromq-src` turns it on anyway
//!   when the header exists. We turn it off (a force-included header undefines
//!   `ZMQ_HAVE_IPC`): `ipc://` endpoints give `EPROTONOSUPPORT` and
//!   `zmq_has("ipc")` is false on windows-gnu (see `vendor/README.md`).

use crate::probe::fail;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned `libsodium-sys-stable` (see `Cargo.toml`): its tarball is built here.
const SODIUM_VERSION: &str = "1.24.3";

/// Where libsodium was built: its headers and its static library.
pub struct Sodium {
    pub include: PathBuf,
    pub lib: PathBuf,
}

/// The GNU triple of mingw-w64 for a Rust target (`x86_64-w64-mingw32`).
fn gnu_host(target: &str) -> String {
    let arch = target.split('-').next().unwrap_or("x86_64");
    format!("{arch}-w64-mingw32")
}

fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Chooses the posix-threads compilers and returns the C compiler's name.
/// Sets `CC_<target>`/`CXX_<target>` for `cc` (and so for `zeromq-src`) in
/// this process only.
pub fn choose_compilers(target: &str) -> (String, String) {
    let underscored = target.replace('-', "_");
    let host = gnu_host(target);
    let mut chosen = Vec::new();
    for (var, tool) in [("CC", "gcc"), ("CXX", "g++")] {
        let explicit = [format!("{var}_{target}"), format!("{var}_{underscored}")]
            .into_iter()
            .find_map(|name| crate::env_var(&name));
        let value = explicit.unwrap_or_else(|| {
            let posix = format!("{host}-{tool}-posix");
            let plain = format!("{host}-{tool}");
            let pick = if cfg!(windows) || !on_path(&posix) {
                plain
            } else {
                posix
            };
            std::env::set_var(format!("{var}_{underscored}"), &pick);
            pick
        });
        chosen.push(value);
    }
    (chosen[0].clone(), chosen[1].clone())
}

/// Links libstdc++ and winpthread statically from the C++ compiler's own
/// directories, and stops `cc` from linking libstdc++ dynamically.
pub fn link_runtime_statically(target: &str, cxx: &str) {
    std::env::set_var(format!("CXXSTDLIB_{}", target.replace('-', "_")), "");
    for lib in ["libstdc++.a", "libwinpthread.a"] {
        let out = Command::new(cxx)
            .arg(format!("-print-file-name={lib}"))
            .output();
        let path = match out {
            Ok(out) if out.status.success() => {
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            }
            _ => fail(&format!("could not ask {cxx} where {lib} is")),
        };
        // gcc prints the bare name back when it does not know the file.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
    }
    println!("cargo:rustc-link-lib=static:-bundle=stdc++");
    println!("cargo:rustc-link-lib=static:-bundle=winpthread");
    for lib in ["ws2_32", "advapi32", "iphlpapi"] {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}

/// A header force-included in every libzmq compile: it undefines what
/// `zeromq-src` turns on but mingw cannot compile (see the module docs).
pub fn platform_fixup_header() -> PathBuf {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let header = out_dir.join("zmq_sys_mingw_fixup.h");
    let text = "/* Written by zmq-sys's build script (build/mingw.rs). */\n\
                /* libzmq 4.3.5 includes <afunix.h> only under MSVC. */\n\
                #undef ZMQ_HAVE_IPC\n";
    if let Err(e) = std::fs::write(&header, text) {
        fail(&format!("could not write {}: {e}", header.display()));
    }
    header
}

/// Compiles libzmq's bundled wepoll (its epoll backend on Windows).
pub fn compile_wepoll(zmq_out_dir: &Path) {
    let source = zmq_out_dir.join("source/external/wepoll/wepoll.c");
    cc::Build::new()
        .file(&source)
        .warnings(false)
        .compile("zmq_sys_wepoll");
}

/// The libsodium source tarball that `libsodium-sys-stable` ships: taken from
/// `ZMQ_SYS_LIBSODIUM_TARBALL`, else found in cargo's registry or vendor
/// directory next to this crate.
fn sodium_tarball() -> PathBuf {
    if let Some(path) = crate::env_var("ZMQ_SYS_LIBSODIUM_TARBALL") {
        return PathBuf::from(path);
    }
    let mut roots = Vec::new();
    // A registry or `cargo vendor` checkout: the crate sits beside us.
    if let Some(parent) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        roots.push(parent.to_path_buf());
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .or_else(|| std::env::var_os("USERPROFILE").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        if let Ok(indexes) = std::fs::read_dir(home.join("registry/src")) {
            roots.extend(indexes.flatten().map(|e| e.path()));
        }
    }
    for root in &roots {
        let candidate = root
            .join(format!("libsodium-sys-stable-{SODIUM_VERSION}"))
            .join("LATEST.tar.gz");
        if candidate.is_file() {
            return candidate;
        }
    }
    fail(&format!(
        "windows-gnu: could not find libsodium-sys-stable-{SODIUM_VERSION}'s LATEST.tar.gz (looked in {roots:?}); \
         run `cargo fetch` or set ZMQ_SYS_LIBSODIUM_TARBALL to it"
    ))
}

/// Builds libsodium for mingw (or reuses the cached build).
pub fn build_sodium(target: &str, cc: &str) -> Sodium {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    // OUT_DIR is <target-dir>/<triple>/<profile>/build/zmq-sys-<hash>/out.
    let cache_root = out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.clone());
    let cache = cache_root.join(format!("zmq-sys-libsodium-{SODIUM_VERSION}"));
    let sodium = Sodium {
        include: cache.join("include"),
        lib: cache.join("lib"),
    };
    if sodium.lib.join("libsodium.a").is_file() && sodium.include.join("sodium.h").is_file() {
        return sodium;
    }
    let tarball = sodium_tarball();
    println!("cargo:warning=building libsodium for {target} with {cc} (once per target directory, ~3 min)");
    let work = cache_root.join(format!("zmq-sys-libsodium-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let src = work.join("src");
    let install = work.join("install");
    if let Err(e) = std::fs::create_dir_all(&src) {
        fail(&format!("could not create {}: {e}", src.display()));
    }
    run(Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&src));
    let source = src.join("libsodium-stable");
    let jobs = std::env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    run(Command::new(source.join("configure"))
        .current_dir(&source)
        .env("CC", cc)
        .env("CFLAGS", "-O2")
        .arg(format!("--host={}", gnu_host(target)))
        .arg(format!("--prefix={}", install.display()))
        .arg("--enable-shared=no")
        .arg("--disable-ssp")
        .arg("--disable-dependency-tracking"));
    run(Command::new("make")
        .current_dir(&source)
        .arg(format!("-j{jobs}"))
        .arg("install"));
    // Publish atomically: a concurrent or interrupted build never leaves a
    // half-written cache behind.
    let _ = std::fs::remove_dir_all(&cache);
    if let Err(e) = std::fs::rename(&install, &cache) {
        if !sodium.lib.join("libsodium.a").is_file() {
            fail(&format!(
                "could not move libsodium to {}: {e}",
                cache.display()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    sodium
}

fn run(cmd: &mut Command) {
    match cmd.output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => fail(&format!(
            "{cmd:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => fail(&format!("could not run {cmd:?}: {e}")),
    }
}
