//! Reads the version and draft switch of the `zmq.h` actually used, by running
//! `probe.c` through the C preprocessor.

use std::path::{Path, PathBuf};

/// What the header says about itself.
pub struct Header {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// The header declares the DRAFT API when `ZMQ_BUILD_DRAFT_API` is defined.
    pub draft_declared: bool,
}

impl Header {
    /// `ZMQ_VERSION`: major * 10000 + minor * 100 + patch.
    pub fn version_number(&self) -> u32 {
        self.major * 10_000 + self.minor * 100 + self.patch
    }

    /// `major.minor.patch`.
    pub fn version_string(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Expands `probe.c` against `include_dirs` and parses the marked lines.
pub fn probe(include_dirs: &[PathBuf]) -> Header {
    let probe_c = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/probe.c");
    let mut build = cc::Build::new();
    build
        .file(&probe_c)
        .define("ZMQ_BUILD_DRAFT_API", None)
        .cargo_metadata(false);
    for dir in include_dirs {
        build.include(dir);
    }
    let expanded = match build.try_expand() {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => fail(&format!(
            "could not preprocess zmq.h (searched {include_dirs:?}): {e}"
        )),
    };
    // A macro from a system header (zmq.h in /usr/include) makes GCC break the
    // line and insert a `# 5 "probe.c" 3 4` line marker before its expansion,
    // so the markers are dropped and the rest read as one stream of words.
    let words: Vec<&str> = expanded
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect();
    let mut version = None;
    let mut draft_declared = false;
    for (i, word) in words.iter().enumerate() {
        match *word {
            "RUST_ZMQ_VERSION" => {
                let nums: Vec<u32> = words[i + 1..]
                    .iter()
                    .take(3)
                    .filter_map(|w| w.parse().ok())
                    .collect();
                if let [major, minor, patch] = nums[..] {
                    version = Some((major, minor, patch));
                }
            }
            "RUST_ZMQ_DRAFT" => draft_declared = words.get(i + 1) == Some(&"1"),
            _ => {}
        }
    }
    let Some((major, minor, patch)) = version else {
        fail("zmq.h was found but its ZMQ_VERSION_* macros could not be read")
    };
    if (major, minor) < (4, 3) {
        fail(&format!(
            "libzmq {major}.{minor}.{patch} is too old: zmq-sys needs libzmq >= 4.3"
        ));
    }
    Header {
        major,
        minor,
        patch,
        draft_declared,
    }
}

/// Stops the build with a message cargo shows as is.
pub fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    std::process::exit(1);
}
