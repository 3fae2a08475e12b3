//! The Python peer's interpreter: python3 with pyzmq, provisioned by the tests
//! themselves so that a fresh clone needs nothing installed by hand.
//!
//! On first use a venv is created under the target directory
//! (`<target>/pyzmq-venv`) and pyzmq is pip-installed into it. Test binaries
//! run in parallel, so the work happens under an exclusive `flock` on
//! `<target>/pyzmq-venv.lock`, and a `ready` marker written last tells later
//! runs (and binaries that waited on the lock) that the venv is complete. A
//! venv without the marker is a half-made one from an interrupted run and is
//! made again.
//!
//! `ZMQ_TEST_PYTHON=/path/to/python` skips all this and uses that
//! interpreter (it must have pyzmq), e.g. on a machine without network.

use std::fs::{self, File};
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What the venv gets. pyzmq's wheels bundle libzmq, so no compiler is involved.
const REQUIREMENT: &str = "pyzmq";

const HOW_TO_GET_PYTHON: &str = "install python3 with its venv module \
     (Debian/Ubuntu: `apt-get install python3 python3-venv`; Fedora: `dnf install python3`; \
     macOS: `brew install python`), or point ZMQ_TEST_PYTHON at a python that has pyzmq";

/// The python with pyzmq, provisioning it on first use; panics with a message
/// that says what is missing and how to get it. These tests prove the wire
/// contract against another language: they fail, they never skip.
pub fn interpreter() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(provision) {
        Ok(python) => python.clone(),
        Err(why) => panic!("{why}"),
    }
}

fn provision() -> Result<PathBuf, String> {
    if let Some(python) = std::env::var_os("ZMQ_TEST_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    let target = target_dir()?;
    let venv = target.join("pyzmq-venv");
    let python = venv.join("bin").join("python");
    let ready = venv.join("ready");

    fs::create_dir_all(&target).map_err(|e| format!("creating {}: {e}", target.display()))?;
    let lock_path = target.join("pyzmq-venv.lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("creating the lock file {}: {e}", lock_path.display()))?;
    #[cfg(windows)]
    let _ = &lock;
    // Windows: the pyzmq tests do not run there (no Python under wine in CI),
    // they only compile; `flock` is Unix's.
    #[cfg(unix)]
    // SAFETY: the descriptor belongs to `lock`, which outlives the call;
    // flock only takes an advisory lock, released when `lock` is closed.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(format!(
            "locking {}: {}",
            lock_path.display(),
            std::io::Error::last_os_error()
        ));
    }
    // The interpreter is checked too: a venv outlives the python3 it links
    // to, and an upgraded python3 leaves it broken.
    if ready.is_file() && python.exists() {
        return Ok(python);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .map_err(|e| format!("removing the unfinished {}: {e}", venv.display()))?;
    }
    eprintln!(
        "creating {} with {REQUIREMENT} for the Python peers (once per target directory)",
        venv.display()
    );
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .map_err(|e| {
            format!("the interop tests need python3 to run a pyzmq peer, and it cannot be run ({e}): {HOW_TO_GET_PYTHON}")
        })?;
    if !created.status.success() {
        return Err(format!(
            "`python3 -m venv {}` failed: {HOW_TO_GET_PYTHON}\n{}",
            venv.display(),
            String::from_utf8_lossy(&created.stderr)
        ));
    }
    run(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", REQUIREMENT]),
        "pip could not install pyzmq into the test venv (it needs network access to PyPI, \
         or a PIP_INDEX_URL / PIP_FIND_LINKS that has pyzmq)",
    )?;
    let version = run(
        Command::new(&python).args([
            "-c",
            "import zmq; print(zmq.__version__, zmq.zmq_version())",
        ]),
        "pyzmq was installed but does not import",
    )?;
    // Written last: its presence means everything above completed.
    fs::write(&ready, version).map_err(|e| format!("writing {}: {e}", ready.display()))?;
    Ok(python)
}

/// Runs `cmd`, returning its stdout, or `what` with its stderr on failure.
fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: {cmd:?} exited with {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The target directory this test binary runs from (`<target>/<profile>/deps/NAME`),
/// which may be a `--target-dir` of the caller's.
fn target_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("the test binary's path: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not in <target>/<profile>/deps", exe.display()))
}
