//! Compiles `layout.c`, the C compiler's view of the structs in `zmq.h`, for
//! `tests/layout.rs`: the committed bindings are per platform, and a wrong
//! layout (`zmq_pollitem_t` with an `int` fd on Win64) would corrupt memory
//! silently, so every target checks its bindings against its own compiler.

use std::path::{Path, PathBuf};

/// Compiles `layout.c` against `include_dirs` into a static library linked
/// with this crate. Nothing in the library refers to it, so a linker takes
/// its object only into `tests/layout.rs`, which does (a few hundred bytes in
/// the rlib; passing the object to the tests' linker directly is not portable:
/// zig's Mach-O linker rejects it).
pub fn compile_for_tests(include_dirs: &[PathBuf], draft: bool) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/layout.c");
    let mut build = cc::Build::new();
    build.file(&source).warnings(false);
    if draft {
        build.define("ZMQ_BUILD_DRAFT_API", None);
    }
    for dir in include_dirs {
        build.include(dir);
    }
    if let Err(e) = build.try_compile("zmq_sys_layout") {
        crate::probe::fail(&format!("could not compile build/layout.c: {e}"));
    }
}
