//! Build script of `zmq-sys`: a short decision table.
//!
//! 1. `LIBZMQ_NO_VENDOR=1`, or the `vendored` feature off: the system libzmq
//!    (`LIBZMQ_LIB_DIR` / `LIBZMQ_INCLUDE_DIR` / `LIBZMQ_STATIC`, else pkg-config).
//! 2. Otherwise: libzmq 4.3.5 compiled from the `zeromq-src` crate with the real
//!    Linux configuration and CURVE through a vendored libsodium.
//! 3. Either way: probe the `zmq.h` used and export `DEP_ZMQ_*` for dependants.
//!
//! On docs.rs (`DOCS_RS` set) none of this runs: rustdoc links nothing, and
//! the build has no network and no system libzmq, so only the committed
//! bindings' cfgs are emitted ([`docs_rs_only`]).

mod bindings;
mod layout;
#[cfg(feature = "vendored")]
mod mingw;
mod probe;
mod system;
#[cfg(feature = "vendored")]
mod vendored;

use std::path::PathBuf;

/// What the chosen path found: where `zmq.h` lives and whether CURVE is known to work.
pub struct Found {
    /// Directories searched for `zmq.h`.
    pub include_dirs: Vec<PathBuf>,
    /// `Some(true)` when the build knows CURVE is compiled in, `None` when unknown.
    pub has_curve: Option<bool>,
    /// Whether the library was built with the DRAFT API.
    pub draft: bool,
    /// Where the library came from, for the log.
    pub origin: &'static str,
}

/// Reads an environment variable and tells cargo to rerun when it changes.
pub fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=build");
    if env_var("DOCS_RS").is_some() {
        docs_rs_only();
        return;
    }
    let no_vendor = env_var("LIBZMQ_NO_VENDOR").is_some_and(|v| v != "0");
    let want_draft = cfg!(feature = "draft");

    let found = if no_vendor || !cfg!(feature = "vendored") {
        system::find(want_draft)
    } else {
        vendored_or_fail(want_draft)
    };

    let header = probe::probe(&found.include_dirs);
    let draft = found.draft && header.draft_declared;
    if want_draft && !draft {
        println!(
            "cargo:warning=the `draft` feature was asked for, but {} has no DRAFT API; draft items are left out",
            found.origin
        );
    }

    bindings::emit(draft);
    layout::compile_for_tests(&found.include_dirs, draft);

    let include = std::env::join_paths(&found.include_dirs).unwrap_or_default();
    println!("cargo:include={}", include.to_string_lossy());
    println!("cargo:version_number={}", header.version_number());
    println!("cargo:version={}", header.version_string());
    println!("cargo:draft={}", u8::from(draft));
    if let Some(curve) = found.has_curve {
        println!("cargo:has_curve={}", u8::from(curve));
    }
    println!("cargo:origin={}", found.origin);
    println!("cargo:rustc-check-cfg=cfg(zmq_draft)");
    if draft {
        println!("cargo:rustc-cfg=zmq_draft");
    }
}

/// What a documentation build needs: the committed bindings for the features
/// asked for, and the `DEP_ZMQ_*` values of the vendored libzmq 4.3.5, so
/// that the `zmq` crate documents its draft items when `draft` is on.
fn docs_rs_only() {
    let draft = cfg!(feature = "draft");
    bindings::emit(draft);
    println!("cargo:version_number=40305");
    println!("cargo:version=4.3.5");
    println!("cargo:draft={}", u8::from(draft));
    println!("cargo:has_curve=1");
    println!("cargo:origin=none (DOCS_RS: documentation only, nothing linked)");
    println!("cargo:rustc-check-cfg=cfg(zmq_draft)");
    if draft {
        println!("cargo:rustc-cfg=zmq_draft");
    }
}

#[cfg(feature = "vendored")]
fn vendored_or_fail(want_draft: bool) -> Found {
    vendored::build(want_draft)
}

#[cfg(not(feature = "vendored"))]
fn vendored_or_fail(_want_draft: bool) -> Found {
    unreachable!("the vendored path is only taken with the `vendored` feature")
}
