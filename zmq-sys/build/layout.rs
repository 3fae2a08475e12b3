//! Compiles `layout.c`, the C compiler's view of the structs in `zmq.h`, for
//! `tests/layout.rs`: the committed bindings are per platform, and a wrong
//! layout (`zmq_pollitem_t` with an `int` fd on Win64) would corrupt memory
//! silently, so every target checks its bindings against its own compiler.

use std::path::{Path, PathBuf};

/// Compiles `layout.c` against `include_dirs` and links it into this
/// package's tests only (`cargo:rustc-link-arg-tests`).
pub fn compile_for_tests(include_dirs: &[PathBuf], draft: bool) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/layout.c");
    let mut build = cc::Build::new();
    build.file(&source).cargo_metadata(false).warnings(false);
    if draft {
        build.define("ZMQ_BUILD_DRAFT_API", None);
    }
    for dir in include_dirs {
        build.include(dir);
    }
    match build.try_compile_intermediates() {
        Ok(objects) => {
            for object in objects {
                println!("cargo:rustc-link-arg-tests={}", object.display());
            }
        }
        Err(e) => crate::probe::fail(&format!("could not compile build/layout.c: {e}")),
    }
}
