//! The system's libzmq: explicit directories first, then pkg-config.

use crate::probe::fail;
use crate::{env_var, Found};
use std::path::PathBuf;

const INSTALL_HINT: &str = "\
install the development package of libzmq (Debian/Ubuntu: `apt-get install libzmq3-dev`, \
Fedora: `dnf install zeromq-devel`, macOS: `brew install zeromq`), or point \
LIBZMQ_LIB_DIR and LIBZMQ_INCLUDE_DIR at it; or build the vendored libzmq instead by \
leaving LIBZMQ_NO_VENDOR unset and the `vendored` feature on (the default)";

/// Finds the system libzmq and tells cargo how to link it.
pub fn find(want_draft: bool) -> Found {
    let lib_dir = env_var("LIBZMQ_LIB_DIR");
    let include_dir = env_var("LIBZMQ_INCLUDE_DIR");
    let want_static = env_var("LIBZMQ_STATIC").is_some_and(|v| v != "0");

    if let Some(lib_dir) = lib_dir {
        let kind = if want_static { "static" } else { "dylib" };
        println!("cargo:rustc-link-search=native={lib_dir}");
        println!("cargo:rustc-link-lib={kind}=zmq");
        if want_static {
            // A static libzmq needs the C++ runtime; its optional dependencies
            // (libsodium, gnutls, ...) are the user's to add through RUSTFLAGS.
            println!("cargo:rustc-link-lib=stdc++");
        }
        let include = include_dir
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(&lib_dir).join("../include"));
        return Found {
            include_dirs: vec![include],
            has_curve: None,
            draft: want_draft,
            origin: "the libzmq in LIBZMQ_LIB_DIR",
        };
    }

    let mut config = pkg_config::Config::new();
    config.atleast_version("4.3").statik(want_static);
    match config.probe("libzmq") {
        Ok(lib) => {
            let mut include_dirs = lib.include_paths.clone();
            if let Some(dir) = include_dir {
                include_dirs.insert(0, PathBuf::from(dir));
            }
            let draft_built = lib.defines.contains_key("ZMQ_BUILD_DRAFT_API");
            Found {
                include_dirs,
                has_curve: None,
                draft: want_draft && draft_built,
                origin: "the system libzmq (pkg-config)",
            }
        }
        Err(e) => fail(&format!(
            "no usable system libzmq >= 4.3 was found (LIBZMQ_NO_VENDOR is set or the `vendored` \
             feature is off).\npkg-config said: {e}\nTo fix: {INSTALL_HINT}."
        )),
    }
}
