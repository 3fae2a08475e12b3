//! The Rust declarations of `zmq.h`.
//!
//! They are committed in `src/` (`bindings.rs`, and `bindings_draft.rs` with the
//! DRAFT API declared) so that building needs no libclang. They differ per
//! platform: on 64-bit Windows `zmq_fd_t` is a `SOCKET` (8 bytes, not `int`),
//! so `zmq_pollitem_t` has another layout, and `zmq_ppoll` takes no
//! `sigset_t`; so Windows has its own pair (`bindings_windows.rs`,
//! `bindings_windows_draft.rs`), generated with clang targeting mingw-w64
//! (its headers: Debian's `mingw-w64-x86-64-dev`). Unix systems share the
//! first pair, generated for Linux (same layout on macOS: `int` fds, LP64).
//! With the
//! `buildtime-bindgen` feature they are generated from the header in use; with
//! `ZMQ_SYS_UPDATE_BINDINGS=1` as well, the generated files replace the
//! committed ones (that is how they are refreshed, and how CI checks them).

/// Tells `src/lib.rs` which file to include.
pub fn emit(draft: bool) {
    println!("cargo:rustc-check-cfg=cfg(zmq_generated_bindings)");
    #[cfg(feature = "buildtime-bindgen")]
    generate::run(draft);
    #[cfg(not(feature = "buildtime-bindgen"))]
    let _ = draft;
}

#[cfg(feature = "buildtime-bindgen")]
mod generate {
    use std::path::{Path, PathBuf};

    /// The two families of committed bindings: (file stem, clang target).
    const FAMILIES: [(&str, &str); 2] = [
        ("bindings", "x86_64-unknown-linux-gnu"),
        ("bindings_windows", "x86_64-w64-mingw32"),
    ];

    pub fn run(draft: bool) {
        let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
        let header = find_header();
        let windows = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows");
        let update = crate::env_var("ZMQ_SYS_UPDATE_BINDINGS").is_some();
        if update {
            require_rustfmt();
        }
        for (index, (stem, clang_target)) in FAMILIES.into_iter().enumerate() {
            let current = (index == 1) == windows;
            if !current && !update {
                continue;
            }
            let stable = generate(&header, false, clang_target);
            let drafted = generate(&header, true, clang_target);
            if current {
                // src/lib.rs includes these names on every platform.
                std::fs::write(out_dir.join("bindings.rs"), &stable).expect("write bindings");
                std::fs::write(out_dir.join("bindings_draft.rs"), &drafted)
                    .expect("write bindings");
            }
            if update {
                let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
                std::fs::write(src.join(format!("{stem}.rs")), &stable)
                    .expect("update the stable bindings");
                std::fs::write(src.join(format!("{stem}_draft.rs")), &drafted)
                    .expect("update the draft bindings");
            }
        }
        println!("cargo:rustc-cfg=zmq_generated_bindings");
        let _ = draft;
    }

    /// bindgen formats through rustfmt and, when it cannot run it, quietly
    /// writes everything on one line; committed bindings must not change
    /// with the machine, so updating them without rustfmt is an error.
    fn require_rustfmt() {
        let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
        let works = std::process::Command::new(&rustfmt)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success());
        if !works {
            crate::probe::fail(
                "ZMQ_SYS_UPDATE_BINDINGS needs rustfmt to format the bindings \
                 (`rustup component add rustfmt`)",
            );
        }
    }

    fn find_header() -> PathBuf {
        let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
        let vendored = out_dir.join("source/include/zmq.h");
        if vendored.exists() {
            return vendored;
        }
        for dir in ["/usr/include", "/usr/local/include"] {
            let h = Path::new(dir).join("zmq.h");
            if h.exists() {
                return h;
            }
        }
        crate::probe::fail("buildtime-bindgen: no zmq.h to generate bindings from")
    }

    fn generate(header: &Path, draft: bool, clang_target: &str) -> String {
        let mut builder = bindgen::Builder::default()
            .header(header.to_string_lossy())
            .clang_arg(format!("--target={clang_target}"))
            .allowlist_function("zmq_.*")
            .allowlist_type("zmq_.*")
            .allowlist_var("ZMQ_.*")
            .allowlist_var("ETERM|EFSM|ENOCOMPATPROTO|EMTHREAD")
            .default_macro_constant_type(bindgen::MacroTypeVariation::Signed)
            .size_t_is_usize(true)
            .use_core()
            .layout_tests(false)
            .generate_comments(false)
            .derive_default(true)
            // A fixed rustfmt configuration: otherwise rustfmt would pick up
            // any rustfmt.toml above zmq-sys/ or in the user's home.
            .rustfmt_configuration_file(Some(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("build/bindgen-rustfmt.toml"),
            ))
            .raw_line("// Generated by bindgen from libzmq's zmq.h; do not edit.")
            .raw_line("// Regenerate: ZMQ_SYS_UPDATE_BINDINGS=1 cargo build -p zmq-sys --features buildtime-bindgen");
        if draft {
            builder = builder.clang_arg("-DZMQ_BUILD_DRAFT_API=1");
        }
        builder
            .generate()
            .expect("bindgen failed on zmq.h")
            .to_string()
    }
}
