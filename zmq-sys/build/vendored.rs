//! libzmq 4.3.5 compiled from the `zeromq-src` crate, with CURVE through the
//! libsodium that `libsodium-sys-stable` builds from its own bundled source.
//!
//! `zeromq-src` writes an empty `platform.hpp` and defines only a handful of
//! macros, which leaves eventfd, TCP keepalive, SOCK_CLOEXEC, accept4 and more
//! silently off. We pass the configuration that libzmq's own CMake build
//! detects on Linux (see `vendor/README.md`) through the compiler flags that
//! `cc` reads, so every feature Linux supports is compiled in.

use crate::probe::fail;
use crate::Found;
use std::path::PathBuf;

/// `platform.hpp` defines that libzmq's CMake build detects on Linux with glibc,
/// beyond those `zeromq-src` sets itself (epoll, poll, IPC, ws, strnlen, uio,
/// sockaddr_un, builtin SHA-1, C++11 condition variables).
const LINUX_PLATFORM: &[(&str, &str)] = &[
    ("ZMQ_IOTHREAD_POLLER_USE_EPOLL_CLOEXEC", "1"),
    ("ZMQ_HAVE_PPOLL", "1"),
    ("ZMQ_HAVE_EVENTFD", "1"),
    ("ZMQ_HAVE_EVENTFD_CLOEXEC", "1"),
    ("ZMQ_HAVE_SOCK_CLOEXEC", "1"),
    ("ZMQ_HAVE_O_CLOEXEC", "1"),
    ("HAVE_ACCEPT4", "1"),
    ("ZMQ_HAVE_SO_KEEPALIVE", "1"),
    ("ZMQ_HAVE_TCP_KEEPCNT", "1"),
    ("ZMQ_HAVE_TCP_KEEPIDLE", "1"),
    ("ZMQ_HAVE_TCP_KEEPINTVL", "1"),
    ("ZMQ_HAVE_SO_BINDTODEVICE", "1"),
    ("ZMQ_HAVE_SO_PEERCRED", "1"),
    ("ZMQ_HAVE_SO_PRIORITY", "1"),
    ("ZMQ_HAVE_BUSY_POLL", "1"),
    ("ZMQ_HAVE_IFADDRS", "1"),
    ("HAVE_IF_NAMETOINDEX", "1"),
    ("ZMQ_HAVE_TIPC", "1"),
    ("ZMQ_HAVE_PTHREAD_SETNAME_2", "1"),
    ("ZMQ_HAVE_PTHREAD_SET_AFFINITY", "1"),
    ("ZMQ_HAVE_NOEXCEPT", "1"),
    ("HAVE_POSIX_MEMALIGN", "1"),
    ("ZMQ_CACHELINE_SIZE", "64"),
    ("HAVE_FORK", "1"),
    ("HAVE_CLOCK_GETTIME", "1"),
    ("HAVE_MKDTEMP", "1"),
    ("SODIUM_STATIC", "1"),
];

/// `platform.hpp` defines for macOS (libzmq's CMake checks on Darwin),
/// beyond those `zeromq-src` sets itself (kqueue, poll, IPC, uio, strlcpy).
/// Not `ZMQ_HAVE_LOCAL_PEERCRED`: CMake looks for it in `<sys/socket.h>`,
/// where Darwin does not declare it (it is in `<sys/un.h>`), so libzmq's
/// code for it does not compile there.
const APPLE_PLATFORM: &[(&str, &str)] = &[
    ("ZMQ_HAVE_SO_KEEPALIVE", "1"),
    ("ZMQ_HAVE_TCP_KEEPALIVE", "1"),
    ("ZMQ_HAVE_TCP_KEEPCNT", "1"),
    ("ZMQ_HAVE_TCP_KEEPINTVL", "1"),
    ("ZMQ_HAVE_IFADDRS", "1"),
    ("HAVE_IF_NAMETOINDEX", "1"),
    ("ZMQ_HAVE_PTHREAD_SETNAME_1", "1"),
    ("ZMQ_HAVE_NOEXCEPT", "1"),
    ("HAVE_POSIX_MEMALIGN", "1"),
    ("ZMQ_CACHELINE_SIZE", "64"),
    ("HAVE_FORK", "1"),
    ("HAVE_CLOCK_GETTIME", "1"),
    ("HAVE_MKDTEMP", "1"),
    ("SODIUM_STATIC", "1"),
];

/// `platform.hpp` defines for Windows, beyond `zeromq-src`'s own (Windows,
/// epoll through wepoll, poll, Vista API level, strnlen): libsodium is linked
/// statically (its headers would otherwise declare `dllimport`s).
const WINDOWS_PLATFORM: &[(&str, &str)] = &[
    ("ZMQ_HAVE_NOEXCEPT", "1"),
    ("ZMQ_CACHELINE_SIZE", "64"),
    ("SODIUM_STATIC", "1"),
];

/// Compiles libzmq and returns where its header is.
pub fn build(want_draft: bool) -> Found {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let mingw = target_os == "windows" && target_env == "gnu";

    let mut extra_flags = String::new();
    let (sodium_include, sodium_lib) = if mingw {
        let (cc, cxx) = crate::mingw::choose_compilers(&target);
        crate::mingw::link_runtime_statically(&target, &cxx);
        let header = crate::mingw::platform_fixup_header();
        extra_flags = format!(" -include {}", header.display());
        let sodium = crate::mingw::build_sodium(&target, &cc);
        (sodium.include, sodium.lib)
    } else {
        let sodium_include = std::env::var("DEP_SODIUM_INCLUDE").ok();
        let sodium_lib = std::env::var("DEP_SODIUM_LIB").ok();
        let (Some(sodium_include), Some(sodium_lib)) = (sodium_include, sodium_lib) else {
            fail(
                "libsodium-sys-stable did not report where it built libsodium (DEP_SODIUM_INCLUDE/LIB)",
            )
        };
        (PathBuf::from(sodium_include), PathBuf::from(sodium_lib))
    };

    let mut defines: Vec<(&str, &str)> = Vec::new();
    match target_os.as_str() {
        "linux" => defines.extend_from_slice(LINUX_PLATFORM),
        "macos" => defines.extend_from_slice(APPLE_PLATFORM),
        "windows" => defines.extend_from_slice(WINDOWS_PLATFORM),
        _ => {}
    }
    if want_draft {
        // CMake turns the radix tree on with the draft API.
        defines.push(("ZMQ_USE_RADIX_TREE", "1"));
    }
    let flags: String = defines
        .iter()
        .map(|(name, value)| format!(" -D{name}={value}"))
        .chain(std::iter::once(extra_flags))
        .collect();
    // `cc` compiles with `-fPIC`, under which GCC assumes any global function
    // may be replaced at load time and will not inline one into its callers
    // in the same file. Nothing interposes a statically linked libzmq, and
    // telling the compiler so takes 6 % off libzmq's instructions per message
    // (docs/perf/TUNING.md). Interposition is an ELF matter: not on Windows
    // (MSVC does not know the flag) nor Apple targets (Clang warns that it is
    // unused there). It goes before the user's flags, so
    // `-fsemantic-interposition` there undoes it.
    let elf = !matches!(
        target_os.as_str(),
        "windows" | "macos" | "ios" | "tvos" | "watchos"
    );
    let optimisation = if elf {
        "-fno-semantic-interposition "
    } else {
        ""
    };
    // `cc` (used by zeromq-src) appends CFLAGS/CXXFLAGS to every compile; the
    // user's own flags, if any, are kept in front of our defines.
    for var in ["CFLAGS", "CXXFLAGS"] {
        println!("cargo:rerun-if-env-changed={var}");
        let existing = std::env::var(var).unwrap_or_default();
        std::env::set_var(var, format!("{optimisation}{existing}{flags}"));
    }
    // A debug-profile build must not give users an unoptimised libzmq: the C
    // library is not what they are debugging.
    if std::env::var("OPT_LEVEL").as_deref() == Ok("0") {
        std::env::set_var("OPT_LEVEL", "2");
    }

    zeromq_src::Build::new()
        .enable_draft(want_draft)
        .with_libsodium(Some(zeromq_src::LibLocation::new(
            sodium_lib,
            sodium_include,
        )))
        .build();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    if mingw {
        crate::mingw::compile_wepoll(&out_dir);
    }
    Found {
        include_dirs: vec![out_dir.join("source/include")],
        has_curve: Some(true),
        draft: want_draft,
        origin: "the vendored libzmq 4.3.5",
    }
}
