//! The `perf` example runs each of libzmq's six perf programs with small
//! counts and prints the same lines as the C programs (`perf/*.cpp`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `perf` example next to this test's binary, built once if missing
/// (`cargo test --test perf_cli` does not build examples by itself).
fn perf() -> Command {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>");
        let path = profile_dir
            .join("examples")
            .join(format!("perf{}", std::env::consts::EXE_SUFFIX));
        if !path.exists() {
            let mut build = Command::new(env!("CARGO"));
            build
                .args(["build", "--example", "perf"])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            assert!(
                build.status().expect("run cargo").success(),
                "cargo build --example perf"
            );
        }
        path
    });
    let mut cmd = Command::new(path);
    cmd.env_remove("ZMQ_PERF_PAYLOAD");
    cmd
}

fn stdout_of(output: Output) -> String {
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "perf failed ({}):\n{text}",
        output.status
    );
    text
}

fn run(args: &[&str]) -> String {
    stdout_of(perf().args(args).output().expect("run perf"))
}

fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    format!("tcp://{}", listener.local_addr().expect("local address"))
}

/// Checks `output` line by line against patterns in which `#` stands for an
/// unsigned integer and `#.###` for a number with three decimals, as the C
/// programs' `%d` and `%.3f` print them.
fn assert_lines(output: &str, patterns: &[&str]) {
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), patterns.len(), "output:\n{output}");
    for (line, pattern) in lines.iter().zip(patterns) {
        assert!(
            matches(line, pattern),
            "{line:?} does not match {pattern:?}"
        );
    }
}

fn matches(line: &str, pattern: &str) -> bool {
    let (mut line, mut pattern) = (line, pattern);
    loop {
        if let Some(rest) = pattern.strip_prefix("#.###") {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            let frac = line.get(digits..digits + 4);
            let ok = digits > 0
                && frac.is_some_and(|f| {
                    f.starts_with('.') && f[1..].bytes().all(|b| b.is_ascii_digit())
                });
            if !ok {
                return false;
            }
            line = &line[digits + 4..];
            pattern = rest;
        } else if let Some(rest) = pattern.strip_prefix('#') {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return false;
            }
            line = &line[digits..];
            pattern = rest;
        } else {
            let Some(c) = pattern.chars().next() else {
                return line.is_empty();
            };
            if !line.starts_with(c) {
                return false;
            }
            line = &line[c.len_utf8()..];
            pattern = &pattern[c.len_utf8()..];
        }
    }
}

#[test]
fn inproc_thr_prints_the_c_lines_for_every_payload() {
    for payload in ["shared", "fresh", "vec", "copy"] {
        let output = perf()
            .env("ZMQ_PERF_PAYLOAD", payload)
            .args(["inproc_thr", "100", "2000"])
            .output()
            .expect("run perf");
        assert_lines(
            &stdout_of(output),
            &[
                "message size: 100 [B]",
                "message count: 2000",
                "mean throughput: # [msg/s]",
                "mean throughput: #.### [Mb/s]",
            ],
        );
    }
}

#[test]
fn inproc_lat_prints_the_c_lines() {
    assert_lines(
        &run(&["inproc_lat", "64", "200"]),
        &[
            "message size: 64 [B]",
            "roundtrip count: 200",
            "average latency: #.### [us]",
        ],
    );
}

#[test]
fn local_and_remote_thr_run_as_a_pair_over_tcp() {
    let endpoint = free_endpoint();
    let local = perf()
        .args(["local_thr", &endpoint, "1024", "3000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start local_thr");
    let remote = run(&["remote_thr", &endpoint, "1024", "3000"]);
    assert_eq!(remote, "", "remote_thr prints nothing, as in C");
    assert_lines(
        &stdout_of(local.wait_with_output().expect("local_thr")),
        &[
            "message size: 1024 [B]",
            "message count: 3000",
            "mean throughput: # [msg/s]",
            "mean throughput: #.### [Mb/s]",
        ],
    );
}

#[test]
fn local_and_remote_thr_run_over_curve() {
    let endpoint = free_endpoint();
    let local = perf()
        .args(["local_thr", &endpoint, "64", "500", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start local_thr");
    run(&["remote_thr", &endpoint, "64", "500", "1"]);
    let output = stdout_of(local.wait_with_output().expect("local_thr"));
    assert!(
        output.starts_with("message size: 64 [B]\nmessage count: 500\n"),
        "{output}"
    );
}

#[test]
fn local_and_remote_lat_run_as_a_pair_over_tcp() {
    let endpoint = free_endpoint();
    let local = perf()
        .args(["local_lat", &endpoint, "32", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start local_lat");
    assert_lines(
        &run(&["remote_lat", &endpoint, "32", "100"]),
        &[
            "message size: 32 [B]",
            "roundtrip count: 100",
            "average latency: #.### [us]",
        ],
    );
    assert_eq!(stdout_of(local.wait_with_output().expect("local_lat")), "");
}

#[test]
fn wrong_arguments_print_the_usage_line_and_exit_1() {
    let output = perf()
        .args(["inproc_lat", "64"])
        .output()
        .expect("run perf");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "usage: inproc_lat <message-size> <roundtrip-count>\n"
    );
    let output = perf().arg("nonsense").output().expect("run perf");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_context_levers_run_and_a_bad_value_is_an_error() {
    // docs/perf/TUNING.md's I/O-thread levers: accepted values run the
    // program as usual, a malformed one is an error, not a silent default.
    let output = perf()
        .env("ZMQ_PERF_IO_THREADS", "2")
        .env("ZMQ_PERF_IO_AFFINITY", "0")
        .args(["inproc_lat", "64", "100"])
        .output()
        .expect("run perf");
    assert_lines(
        &stdout_of(output),
        &[
            "message size: 64 [B]",
            "roundtrip count: 100",
            "average latency: #.### [us]",
        ],
    );
    for (name, value) in [
        ("ZMQ_PERF_IO_THREADS", "many"),
        ("ZMQ_PERF_IO_AFFINITY", "zero"),
    ] {
        let output = perf()
            .env(name, value)
            .args(["inproc_lat", "64", "10"])
            .output()
            .expect("run perf");
        assert_eq!(output.status.code(), Some(255), "{name}={value}");
        // Errors go to stdout, as the C programs' printf does.
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(name), "{name}={value}: {stdout}");
    }
}

#[test]
fn an_unknown_payload_is_an_error_not_a_silent_default() {
    let output = perf()
        .env("ZMQ_PERF_PAYLOAD", "garbage")
        .args(["inproc_thr", "8", "10"])
        .output()
        .expect("run perf");
    assert_eq!(output.status.code(), Some(255));
}

#[test]
fn a_size_mismatch_is_reported_as_in_c() {
    let endpoint = free_endpoint();
    let local = perf()
        .args(["local_thr", &endpoint, "10", "5"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start local_thr");
    run(&["remote_thr", &endpoint, "11", "5"]);
    let output = local.wait_with_output().expect("local_thr");
    assert_eq!(output.status.code(), Some(255));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "message of incorrect size received\n"
    );
}
