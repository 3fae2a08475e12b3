//! Helpers for the demo tests: build an example once, run it (or a Python
//! peer) as a child process that is killed when the test ends, and wait for
//! its output lines with a deadline (never a bare sleep).

#![allow(dead_code)] // each demo test uses part of it

pub mod tmux;

mod pyzmq;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Builds `examples/NAME` with the profile of this test binary (once per
/// test process) and returns its path. Cargo only builds examples for
/// `cargo test` without linking them where tests can find them, so the test
/// asks cargo itself, which is up to date after the first time.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    // This binary is target/<profile>/deps/demo_x-hash: examples live next door.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        cargo.arg("--release");
    }
    // The features this test was built with (dealz needs `tokio`), so the
    // example links the library this test already compiled.
    if cfg!(feature = "tokio") {
        cargo.args(["--features", "tokio"]);
    }
    // A draft test (RADIO/DISH in tickz) needs the example built with the
    // DRAFT API too.
    if cfg!(feature = "draft") {
        cargo.args(["--features", "draft"]);
    }
    // Build into the target directory this test runs from (it may be a
    // `--target-dir` of the caller's), so the example links the same libzmq.
    if let Some(target_dir) = profile_dir.parent() {
        cargo.arg("--target-dir").arg(target_dir);
    }
    let status = cargo.status().expect("running cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    let path = profile_dir.join("examples").join(name);
    assert!(path.exists(), "{} was not built", path.display());
    built.insert(name.to_owned(), path.clone());
    path
}

/// Runs `tests/python/SCRIPT` with python3 and pyzmq (unbuffered output).
/// pyzmq comes from a venv the tests make themselves on first use (see
/// `pyzmq.rs`); only a missing python3 fails, with a message saying how to
/// get it. Every Python peer in the tests starts here.
pub fn python(script: &str) -> Command {
    let mut cmd = Command::new(pyzmq::interpreter());
    cmd.arg("-u").arg(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/python")
            .join(script),
    );
    cmd
}

/// How long a child may take to start and print its endpoints: a watchdog,
/// not a speed claim. A Python peer imports pyzmq first, which on a loaded
/// machine (CI beside other builds) takes far longer than on a quiet one.
const STARTUP: Duration = Duration::from_secs(60);

/// A running child: its output arrives line by line on channels.
pub struct Proc {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    pub seen_out: Vec<String>,
    pub seen_err: Vec<String>,
}

fn lines_of(stream: impl std::io::Read + Send + 'static, echo: Option<String>) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(name) = &echo {
                eprintln!("[{name}] {line}");
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Proc {
    /// Starts `cmd` with piped stdin, stdout and stderr (stderr is echoed
    /// to the test's own stderr, prefixed, to help when a test fails).
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = lines_of(child.stdout.take().expect("piped stdout"), None);
        let stderr = lines_of(
            child.stderr.take().expect("piped stderr"),
            Some(name.to_owned()),
        );
        Proc {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            seen_out: Vec::new(),
            seen_err: Vec::new(),
        }
    }

    /// The child's process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for a stdout line matching `want`.
    pub fn expect_out(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
        let found = wait_line(&self.stdout, &mut self.seen_out, timeout, &want);
        found.unwrap_or_else(|| {
            panic!(
                "{}: no matching stdout line in {timeout:?}; saw {:#?}",
                self.name, self.seen_out
            )
        })
    }

    /// Waits up to `timeout` for a stderr line matching `want`; `None`
    /// if none came (for a test that adds its peers' state to the failure).
    pub fn try_expect_err(
        &mut self,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> Option<String> {
        wait_line(&self.stderr, &mut self.seen_err, timeout, &want)
    }

    /// What this child printed so far and whether it is still running, for a
    /// failure message about another process that talks to it.
    pub fn report(&mut self) -> String {
        while let Ok(line) = self.stdout.try_recv() {
            self.seen_out.push(line);
        }
        while let Ok(line) = self.stderr.try_recv() {
            self.seen_err.push(line);
        }
        let state = match self.child.try_wait() {
            Ok(Some(status)) => format!("exited ({status})"),
            Ok(None) => "still running".to_owned(),
            Err(e) => format!("state unknown ({e})"),
        };
        format!(
            "{} {state}; stdout {:#?}; stderr {:#?}",
            self.name, self.seen_out, self.seen_err
        )
    }

    /// Waits up to `timeout` for a stderr line matching `want`.
    pub fn expect_err(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
        let found = wait_line(&self.stderr, &mut self.seen_err, timeout, &want);
        found.unwrap_or_else(|| {
            panic!(
                "{}: no matching stderr line in {timeout:?}; saw {:#?}",
                self.name, self.seen_err
            )
        })
    }

    /// Writes a line to the child's stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").expect("writing to the child");
        stdin.flush().expect("flushing to the child");
    }

    /// Closes the child's stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits up to `timeout` for the child to exit, collecting its output.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the readers drain what is left.
                while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(2)) {
                    self.seen_out.push(line);
                }
                while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(200)) {
                    self.seen_err.push(line);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {timeout:?}; stdout so far {:#?}",
                self.name,
                self.seen_out
            );
            // Polling a child's exit: there is no portable blocking wait with a timeout.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Endpoints (`tcp://...`) in the first stderr line containing `marker`.
    pub fn endpoints_on_err(&mut self, marker: &str) -> Vec<String> {
        endpoints_in(&self.expect_err(STARTUP, |l| l.contains(marker)))
    }

    /// Endpoints (`tcp://...`) in the first stdout line containing `marker`.
    pub fn endpoints_on_out(&mut self, marker: &str) -> Vec<String> {
        endpoints_in(&self.expect_out(STARTUP, |l| l.contains(marker)))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_line(
    rx: &Receiver<String>,
    seen: &mut Vec<String>,
    timeout: Duration,
    want: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return Some(line);
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// Every `tcp://...` token of a line.
pub fn endpoints_in(line: &str) -> Vec<String> {
    line.split_whitespace()
        .filter(|w| w.starts_with("tcp://"))
        .map(|w| w.trim_end_matches([',', ';', '.']).to_owned())
        .collect()
}

/// Runs `PROGRAM keys DIR NAME` (chatz or tickz): writes the certificate pair
/// and returns the Z85 public key it prints.
pub fn make_keys(program: &str, dir: &std::path::Path, name: &str) -> String {
    let out = Command::new(example(program))
        .arg("keys")
        .arg(dir)
        .arg(name)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.join(format!("{name}.key")).is_file());
    assert!(dir.join(format!("{name}.key_secret")).is_file());
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 40, "a Z85 public key: {key:?}");
    key
}
