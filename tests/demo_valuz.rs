//! valuz end to end: the pipeline in-process (inproc and loopback TCP), as
//! separate processes, with Python workers in a Rust pipeline and a Rust
//! worker in a Python pipeline.

mod demo_support;

// The demo's own modules, compiled into this test (their unit tests run here too).
#[allow(dead_code)]
#[path = "../examples/valuz/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[path = "../examples/valuz/proto.rs"]
mod proto;
#[allow(dead_code)]
#[path = "../examples/valuz/reduce.rs"]
mod reduce;
#[allow(dead_code)]
#[path = "../examples/valuz/source.rs"]
mod source;
#[allow(dead_code)]
#[path = "../examples/valuz/worker.rs"]
mod worker;

use demo_support::{example, python, Proc};
use pipeline::Transport;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn run_in_process(transport: Transport) {
    let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(|line: &str| eprintln!("[valuz] {line}"));
    let mut calls = 0;
    let report = pipeline::run(
        4,
        5_000,
        transport,
        Duration::from_millis(50),
        log,
        &mut |done, total| {
            assert!(done <= total);
            calls += 1;
        },
    )
    .expect("the pipeline runs");
    assert!(calls >= 2, "progress is reported");
    assert_eq!(report.outcome.bad_values, 0);
    assert_eq!(
        proto::format_result(report.outcome.result),
        proto::format_result(report.expected)
    );
    assert!(report.agrees());
}

#[test]
fn in_process_pipeline_over_inproc_reduces_to_the_expected_result() {
    run_in_process(Transport::Inproc);
}

#[test]
fn in_process_pipeline_over_loopback_tcp_reduces_to_the_expected_result() {
    run_in_process(Transport::Tcp);
}

fn result_line<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {lines:#?}"))
}

#[test]
fn run_command_prints_both_results_and_exits_zero() {
    let mut cmd = Command::new(example("valuz"));
    cmd.args(["run", "--workers", "4", "--orders", "20000"]);
    let mut run = Proc::spawn("valuz run", cmd);
    assert!(run.wait(LONG).success(), "{:#?}", run.seen_out);
    let expected = result_line(&run.seen_out, "Expected result: ");
    assert_eq!(result_line(&run.seen_out, "Calculated result: "), expected);
    assert!(expected.starts_with(['+', '-']) && expected.split_once('.').unwrap().1.len() == 3);
    result_line(&run.seen_out, "Total elapsed time: ")
        .strip_suffix(" msec")
        .unwrap()
        .parse::<u64>()
        .unwrap();
}

/// Starts a Rust reduce process on OS-picked ports: returns it and its
/// values and control endpoints.
fn reduce(workers: &str, orders: &str, settle_ms: &str) -> (Proc, String, String) {
    let mut cmd = Command::new(example("valuz"));
    cmd.args([
        "reduce",
        "--workers",
        workers,
        "--orders",
        orders,
        "--settle",
        settle_ms,
    ]);
    cmd.args([
        "--pull",
        "tcp://127.0.0.1:*",
        "--control",
        "tcp://127.0.0.1:*",
    ]);
    let mut reduce = Proc::spawn("valuz reduce", cmd);
    let eps = reduce.endpoints_on_err("values on");
    let (values, control) = (eps[0].clone(), eps[1].clone());
    (reduce, values, control)
}

/// Starts a Rust reduce and a Rust source as processes on OS-picked ports:
/// returns them and the endpoints (orders, values, control).
fn rust_ends(workers: &str, orders: &str) -> (Proc, Proc, [String; 3]) {
    let (reduce, values, control) = reduce(workers, orders, "300");
    let mut cmd = Command::new(example("valuz"));
    cmd.args([
        "source",
        "--orders",
        orders,
        "--push",
        "tcp://127.0.0.1:*",
        "--control",
        &control,
    ]);
    let mut source = Proc::spawn("valuz source", cmd);
    let orders_at = source.endpoints_on_err("orders on").remove(0);
    (reduce, source, [orders_at, values, control])
}

fn rust_worker(eps: &[String; 3]) -> Proc {
    let mut cmd = Command::new(example("valuz"));
    cmd.args([
        "worker",
        "--pull",
        &eps[0],
        "--push",
        &eps[1],
        "--control",
        &eps[2],
    ]);
    Proc::spawn("valuz worker", cmd)
}

fn check_agreement(reduce: &mut Proc, source: &mut Proc) {
    assert!(source.wait(LONG).success());
    assert!(reduce.wait(LONG).success(), "{:#?}", reduce.seen_out);
    let expected = result_line(&source.seen_out, "Expected result: ").to_owned();
    assert_eq!(
        result_line(&reduce.seen_out, "Calculated result: "),
        expected
    );
}

#[test]
fn separate_processes_reduce_to_the_expected_result() {
    let (mut reduce, mut source, eps) = rust_ends("3", "3000");
    let mut workers: Vec<Proc> = (0..3).map(|_| rust_worker(&eps)).collect();
    check_agreement(&mut reduce, &mut source);
    for w in &mut workers {
        assert!(w.wait(LONG).success(), "workers leave on batch.leave");
    }
}

#[test]
fn python_workers_in_a_rust_pipeline() {
    let (mut reduce, mut source, eps) = rust_ends("3", "3000");
    let mut workers: Vec<Proc> = (0..2)
        .map(|_| {
            let mut cmd = python("demo_valuz_worker.py");
            cmd.args(&eps);
            Proc::spawn("python worker", cmd)
        })
        .collect();
    workers.push(rust_worker(&eps));
    check_agreement(&mut reduce, &mut source);
    for w in &mut workers {
        assert!(w.wait(LONG).success(), "{} leaves on batch.leave", w.name);
    }
}

#[test]
fn rust_worker_in_a_python_pipeline() {
    let mut py = python("demo_valuz_pipeline.py");
    py.args(["2", "2000"]);
    let mut py = Proc::spawn("python pipeline", py);
    let eps = py.endpoints_on_out("valuz-py");
    let eps = [eps[0].clone(), eps[1].clone(), eps[2].clone()];
    let mut workers = [rust_worker(&eps), rust_worker(&eps)];
    assert!(py.wait(LONG).success(), "{:#?}", py.seen_out);
    let expected = result_line(&py.seen_out, "Expected result: ").to_owned();
    assert_eq!(result_line(&py.seen_out, "Calculated result: "), expected);
    for w in &mut workers {
        assert!(w.wait(LONG).success());
    }
}

/// Three "hosts" (network namespaces) on one bridge, removed on drop.
struct Hosts {
    names: Vec<String>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`ip` is needed for the namespace test (iproute2): {e}"));
    assert!(
        out.status.success(),
        "ip {} failed (the namespace test needs root and iproute2): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Hosts {
    /// Creates a LAN namespace with a bridge and three hosts at 10.77.0.1-3.
    fn new() -> Hosts {
        let tag = std::process::id();
        let lan = format!("vzlan{tag}");
        let mut hosts = Hosts { names: vec![] };
        ip(&["netns", "add", &lan]);
        hosts.names.push(lan.clone());
        ip(&["-n", &lan, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &lan, "link", "set", "br0", "up"]);
        for i in 1..=3 {
            let host = format!("vzhost{i}_{tag}");
            ip(&["netns", "add", &host]);
            hosts.names.push(host.clone());
            let port = format!("p{i}");
            ip(&[
                "-n", &lan, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &host,
            ]);
            ip(&["-n", &lan, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &lan, "link", "set", &port, "up"]);
            ip(&[
                "-n",
                &host,
                "addr",
                "add",
                &format!("10.77.0.{i}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &host, "link", "set", "eth0", "up"]);
            ip(&["-n", &host, "link", "set", "lo", "up"]);
        }
        hosts
    }

    /// `valuz ARGS` run inside host `i` (1-3).
    fn valuz(&self, i: usize, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.names[i]])
            .arg(example("valuz"))
            .args(args);
        cmd
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

#[test]
fn valuz_across_three_network_namespaces() {
    let hosts = Hosts::new();
    let reduce_args = [
        "reduce",
        "--workers",
        "2",
        "--orders",
        "2000",
        "--settle",
        "300",
    ];
    let mut cmd = hosts.valuz(1, &reduce_args);
    cmd.args([
        "--pull",
        "tcp://10.77.0.1:*",
        "--control",
        "tcp://10.77.0.1:*",
    ]);
    let mut reduce = Proc::spawn("reduce@host1", cmd);
    let eps = reduce.endpoints_on_err("values on");
    let (values, control) = (eps[0].clone(), eps[1].clone());
    let source_args = [
        "source",
        "--orders",
        "2000",
        "--push",
        "tcp://10.77.0.2:*",
        "--control",
        &control,
    ];
    let mut source = Proc::spawn("source@host2", hosts.valuz(2, &source_args));
    let orders_at = source.endpoints_on_err("orders on").remove(0);
    let worker_args = [
        "worker",
        "--pull",
        &orders_at,
        "--push",
        &values,
        "--control",
        &control,
    ];
    let mut workers: Vec<Proc> = (0..2)
        .map(|_| Proc::spawn("worker@host3", hosts.valuz(3, &worker_args)))
        .collect();
    check_agreement(&mut reduce, &mut source);
    for w in &mut workers {
        assert!(w.wait(LONG).success());
    }
}

#[test]
fn reduce_reports_progress_and_warns_when_values_stop_coming() {
    // The reduce expects 10 orders; the source sends 5.
    let (mut reduce, values, control) = reduce("1", "10", "100");
    let mut cmd = Command::new(example("valuz"));
    cmd.args([
        "source",
        "--orders",
        "5",
        "--push",
        "tcp://127.0.0.1:*",
        "--control",
        &control,
    ]);
    let mut source = Proc::spawn("valuz source (short)", cmd);
    let orders_at = source.endpoints_on_err("orders on").remove(0);
    let _worker = rust_worker(&[orders_at, values, control]);
    reduce.expect_err(LONG, |l| l.contains("5/10 values reduced"));
    let warned = reduce.expect_err(Duration::from_secs(8), |l| l.contains("no value for 5 s"));
    assert!(warned.contains("5 of 10 received"), "{warned}");
    assert!(warned.contains("fewer orders than --orders"), "{warned}");
}
