//! tickz end to end: server and client in-process and as processes, a
//! Python SUB reading our server, and our client reading a Python publisher
//! in the 2014 format (i64 timestamps) with traps it must filter.

mod demo_support;

// The demo's own modules, compiled into this test (their unit tests run here too).
#[allow(dead_code)]
#[path = "../examples/tickz/client.rs"]
mod client;
#[path = "../examples/common/clock.rs"]
mod clock;
#[allow(dead_code)]
#[path = "../examples/common/link.rs"]
mod link;
#[allow(dead_code)]
#[path = "../examples/common/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../examples/tickz/proto.rs"]
mod proto;
#[allow(dead_code)]
#[path = "../examples/tickz/server.rs"]
mod server;

use client::TickClient;
use demo_support::{example, make_keys, python, Proc};
use proto::TimeFormat;
use server::TickServer;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(20);

/// Steps `client` until it has `n` ticks (bounded by LONG).
fn collect(client: &mut TickClient, n: usize) -> Vec<proto::Tick> {
    let deadline = Instant::now() + LONG;
    let mut ticks = Vec::new();
    while ticks.len() < n {
        assert!(Instant::now() < deadline, "only {} ticks", ticks.len());
        ticks.extend(client.step(Duration::from_millis(100)).unwrap());
    }
    ticks
}

#[test]
fn client_follows_exactly_the_symbols_it_asks_for() {
    let ctx = zmq::Context::new();
    let mut server =
        TickServer::bind(&ctx, "tcp://127.0.0.1:*", Duration::from_millis(20)).unwrap();
    let mut client = TickClient::connect(&ctx, &server.endpoint).unwrap();
    client.follow("AAPL").unwrap();
    client.follow("GOOG").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let thread = std::thread::spawn(move || server.run(&s).unwrap());

    let ticks = collect(&mut client, 10);
    assert!(ticks
        .iter()
        .all(|t| t.symbol == "AAPL" || t.symbol == "GOOG"));
    assert!(ticks
        .iter()
        .all(|t| t.format == TimeFormat::Float && t.price > 0.0));
    assert!(ticks
        .iter()
        .all(|t| (t.time - clock::now_epoch()).abs() < 60.0));

    // Remove one while running: after the unsubscribe lands, only GOOG.
    client.unfollow("AAPL").unwrap();
    assert!(client.step(Duration::ZERO).is_ok());
    let later = collect(&mut client, 10);
    assert!(later.iter().all(|t| t.symbol == "GOOG"), "{later:?}");
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
}

#[test]
fn prefix_matches_and_malformed_messages_are_filtered() {
    let ctx = zmq::Context::new();
    let publisher = ctx.socket(zmq::SocketType::Pub).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = TickClient::connect(&ctx, &publisher.last_endpoint().unwrap()).unwrap();
    client.follow("AAPL").unwrap();
    let now = 1_700_000_000f64.to_le_bytes();
    let deadline = Instant::now() + LONG;
    loop {
        assert!(Instant::now() < deadline, "no AAPL tick arrived");
        publisher
            .send_multipart([&b"AAPLX"[..], &now, &1f64.to_le_bytes()])
            .unwrap();
        publisher.send_multipart([&b"AAPL"[..], &now]).unwrap();
        publisher
            .send_multipart([&b"AAPL"[..], &[0; 8], &2f64.to_le_bytes()])
            .unwrap();
        publisher
            .send_multipart([&b"AAPL"[..], &now, &95.5f64.to_le_bytes()])
            .unwrap();
        let ticks = client.step(Duration::from_millis(100)).unwrap();
        if let Some(tick) = ticks.first() {
            assert_eq!(
                ticks.iter().map(|t| t.price).collect::<Vec<_>>(),
                vec![95.5; ticks.len()]
            );
            assert_eq!(tick.symbol, "AAPL");
            assert!(client.rejected >= 3);
            break;
        }
    }
}

fn server_process() -> (Proc, String) {
    let mut cmd = Command::new(example("tickz"));
    cmd.args(["server", "--bind", "tcp://127.0.0.1:*", "--interval", "50"]);
    let mut server = Proc::spawn("tickz server", cmd);
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    (server, endpoint)
}

#[test]
fn python_sub_reads_the_server_process() {
    let (_server, endpoint) = server_process();
    let mut sub = python("demo_tickz_sub.py");
    sub.args([&endpoint, "MSFT", "5"]);
    let mut sub = Proc::spawn("python sub", sub);
    assert!(sub.wait(LONG * 2).success(), "{:#?}", sub.seen_out);
    assert_eq!(sub.seen_out.last().map(String::as_str), Some("ok"));
    assert_eq!(sub.seen_out.len(), 6);
}

#[test]
fn plain_client_reads_the_server_process() {
    let (_server, endpoint) = server_process();
    let mut cmd = Command::new(example("tickz"));
    cmd.args([
        "client",
        "--plain",
        "--count",
        "6",
        "--connect",
        &endpoint,
        "yhoo",
        "BBRY",
    ]);
    let mut client = Proc::spawn("tickz client", cmd);
    assert!(client.wait(LONG * 2).success());
    assert_eq!(client.seen_out.len(), 6, "{:#?}", client.seen_out);
    for line in &client.seen_out {
        let fields: Vec<&str> = line.split(' ').collect();
        assert!(fields[0] == "YHOO" || fields[0] == "BBRY", "{line}");
        let (_, decimals) = fields[1].split_once('.').expect("a decimal price");
        assert_eq!(decimals.len(), 3, "{line}");
        assert!(fields[2].ends_with('Z'), "{line}");
    }
}

#[test]
fn plain_client_reads_a_2014_python_publisher() {
    // The client is built (minutes on a fresh clone under load) before the
    // publisher starts, so its bounded lifetime is not spent on the build.
    let tickz = example("tickz");
    let mut publisher = Proc::spawn("python 2014 pub", python("demo_tickz_pub2014.py"));
    let endpoint = publisher.endpoints_on_out("tickz-py PUB").remove(0);
    let mut cmd = Command::new(tickz);
    cmd.args([
        "client",
        "--plain",
        "--count",
        "5",
        "--connect",
        &endpoint,
        "AAPL",
    ]);
    let mut client = Proc::spawn("tickz client", cmd);
    let status = client.wait(LONG * 2);
    assert!(
        status.success() && client.seen_out.len() == 5,
        "{status}; client stdout {:#?}; the publisher: {}",
        client.seen_out,
        publisher.report()
    );
    let mut last = 0.0;
    for line in &client.seen_out {
        // e.g. "AAPL 96.350 2026-11-27T07:39:24.000Z": i64 whole seconds.
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[0], "AAPL", "{line}");
        let price: f64 = fields[1].parse().unwrap();
        assert!(
            price > last && price > 95.0,
            "only the real AAPL ticks, in order: {line}"
        );
        last = price;
        assert!(fields[2].ends_with(".000Z"), "whole seconds: {line}");
    }
}

#[test]
fn client_refuses_an_invalid_symbol() {
    let out = Command::new(example("tickz"))
        .args(["client", "--plain", "AA-PL"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[A-Z][A-Z0-9]+"));
}

/// Runs `cmd` for `window` and returns what it printed on stdout meanwhile
/// (then kills it).
fn stdout_during(mut cmd: Command, window: Duration) -> Vec<String> {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + window;
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        lines.push(line);
    }
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(exited.is_none(), "it should still be waiting: {exited:?}");
    lines
}

#[test]
fn curve_server_with_an_allow_list_feeds_listed_clients_only() {
    let keys = tempfile::tempdir().unwrap();
    let (server_dir, allowed, others) = (
        keys.path().join("server"),
        keys.path().join("allowed"),
        keys.path().join("others"),
    );
    let server_key = make_keys("tickz", &server_dir, "server");
    make_keys("tickz", &allowed, "carol");
    make_keys("tickz", &others, "mallory");

    let mut cmd = Command::new(example("tickz"));
    cmd.args(["server", "--bind", "tcp://127.0.0.1:*", "--interval", "50"]);
    cmd.arg("--curve-secret")
        .arg(server_dir.join("server.key_secret"))
        .arg("--allow-keys")
        .arg(&allowed);
    let mut server = Proc::spawn("tickz curve server", cmd);
    server.expect_err(LONG, |l| {
        l.contains(&server_key) && l.contains("1 client key")
    });
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    let client = |server_key: &str, cert: Option<std::path::PathBuf>| {
        let mut cmd = Command::new(example("tickz"));
        cmd.args([
            "client",
            "--plain",
            "--count",
            "4",
            "--connect",
            &endpoint,
            "--curve-server-key",
            server_key,
        ]);
        if let Some(cert) = cert {
            cmd.arg("--curve-cert").arg(cert);
        }
        cmd.arg("MSFT");
        cmd
    };

    // Listed (the server key as Z85): ticks arrive.
    let mut carol = Proc::spawn(
        "carol",
        client(&server_key, Some(allowed.join("carol.key_secret"))),
    );
    assert!(carol.wait(LONG).success(), "{:#?}", carol.seen_err);
    assert_eq!(carol.seen_out.len(), 4, "{:#?}", carol.seen_out);
    assert!(carol.seen_out.iter().all(|l| l.starts_with("MSFT ")));

    // Unlisted (the server key from its file): an unknown certificate, an
    // ephemeral key pair, and no CURVE at all get nothing.
    let server_file = server_dir.join("server.key");
    let server_file = server_file.to_str().unwrap();
    for (who, cmd) in [
        (
            "mallory",
            client(server_file, Some(others.join("mallory.key_secret"))),
        ),
        ("ephemeral", client(server_file, None)),
        ("null", {
            let mut cmd = Command::new(example("tickz"));
            cmd.args(["client", "--plain", "--connect", &endpoint, "MSFT"]);
            cmd
        }),
    ] {
        let got = stdout_during(cmd, Duration::from_millis(1500));
        assert!(got.is_empty(), "{who} got ticks: {got:#?}");
    }

    // The server is still up and still feeds carol.
    let mut again = Proc::spawn(
        "carol again",
        client(&server_key, Some(allowed.join("carol.key_secret"))),
    );
    assert!(again.wait(LONG).success(), "{:#?}", again.seen_err);
    assert_eq!(again.seen_out.len(), 4);
}

#[test]
fn curve_in_process_with_an_authenticator() {
    use zmq::security::{Authenticator, CurveKeyPair, ANY_DOMAIN};
    let ctx = zmq::Context::new();
    let (server_keys, listed, unlisted) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    let auth = Authenticator::start(&ctx).unwrap();
    auth.curve_allow_key(ANY_DOMAIN, &listed.public);
    let mut server = TickServer::bind_curve(
        &ctx,
        "tcp://127.0.0.1:*",
        Duration::from_millis(20),
        Some(&server_keys.secret),
    )
    .unwrap();
    let curve_to = |own: &CurveKeyPair| {
        let mut c = TickClient::connect_curve(
            &ctx,
            &server.endpoint,
            Some(&(server_keys.public, own.clone())),
        )
        .unwrap();
        c.follow("GOOG").unwrap();
        c
    };
    let (mut good, mut bad) = (curve_to(&listed), curve_to(&unlisted));
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let thread = std::thread::spawn(move || server.run(&s).unwrap());

    let ticks = collect(&mut good, 5);
    assert!(ticks.iter().all(|t| t.symbol == "GOOG"));
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        let got = bad.step(Duration::from_millis(100)).unwrap();
        assert!(got.is_empty(), "an unlisted key got {got:?}");
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
}

#[test]
fn plain_client_ends_quietly_when_its_reader_goes_away() {
    // `tickz client AAPL | head -3`: after three lines the pipe closes.
    let (_server, endpoint) = server_process();
    let mut child = Command::new(example("tickz"))
        .args(["client", "--connect", &endpoint, "AAPL"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        for _ in 0..3 {
            let line = lines.next().expect("a line").unwrap();
            assert!(line.starts_with("AAPL "), "{line}");
        }
    } // the read end is closed here, as `head` does
    let deadline = Instant::now() + LONG;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the client did not exit");
        // Polling a child's exit: no portable blocking wait with a timeout.
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn command_line_and_tui_share_one_symbol_rule() {
    assert_eq!(proto::parse_symbol(" aapl ").as_deref(), Ok("AAPL"));
    assert_eq!(proto::parse_symbol("BRK2").as_deref(), Ok("BRK2"));
    for bad in ["bad sym!", "msft!", "AA-PL", "A", "", "2AB"] {
        let why = proto::parse_symbol(bad).unwrap_err();
        assert!(why.contains("[A-Z][A-Z0-9]+"), "{bad:?}: {why}");
    }
    let out = Command::new(example("tickz"))
        .args(["client", "--plain", "bad sym!"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"bad sym!\" is not a symbol"));
}

#[test]
fn a_client_follows_at_most_32_symbols_of_at_most_12_characters() {
    let many: Vec<String> = (0..=proto::MAX_FOLLOWED)
        .map(|i| format!("S{i:02}"))
        .collect();
    let out = Command::new(example("tickz"))
        .args(["client", "--plain"])
        .args(&many)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("33 symbols given; a client follows at most 32"),
        "{stderr}"
    );
    let long = "L".repeat(10_000);
    let out = Command::new(example("tickz"))
        .args(["client", "--plain", &long])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(10000 characters) is not a symbol"),
        "{stderr}"
    );
    assert!(
        stderr.len() < 300,
        "the error quotes a short prefix: {stderr}"
    );
}

/// A CURVE server allowing only its own test key, as a process with
/// `--monitor` off: returns it, its endpoint, and the server key file.
fn curve_server_allowing_nobody_else(keys: &std::path::Path) -> (Proc, String, std::path::PathBuf) {
    let server_key = make_keys("tickz", &keys.join("server"), "server");
    make_keys("tickz", &keys.join("allowed"), "carol");
    let mut cmd = Command::new(example("tickz"));
    cmd.args(["server", "--bind", "tcp://127.0.0.1:*", "--interval", "50"]);
    cmd.arg("--curve-secret")
        .arg(keys.join("server/server.key_secret"))
        .arg("--allow-keys")
        .arg(keys.join("allowed"));
    let mut server = Proc::spawn("tickz curve server", cmd);
    server.expect_err(LONG, |l| l.contains(&server_key));
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    (server, endpoint, keys.join("server/server.key"))
}

#[test]
fn refused_client_says_why_within_six_seconds_and_the_server_names_it() {
    let keys = tempfile::tempdir().unwrap();
    let (mut server, endpoint, server_key) = curve_server_allowing_nobody_else(keys.path());
    make_keys("tickz", &keys.path().join("others"), "mallory");
    let mut cmd = Command::new(example("tickz"));
    cmd.args([
        "client",
        "--plain",
        "--connect",
        &endpoint,
        "--curve-server-key",
    ])
    .arg(&server_key)
    .arg("--curve-cert")
    .arg(keys.path().join("others/mallory.key_secret"))
    .arg("MSFT");
    let started = Instant::now();
    let mut client = Proc::spawn("mallory", cmd);
    let said = client.expect_err(Duration::from_secs(6), |l| {
        l.contains("refused our CURVE key")
    });
    assert!(started.elapsed() < Duration::from_secs(6) + Duration::from_millis(500));
    assert!(said.contains(&endpoint), "{said}");
    // The server names the peer (an address on loopback, with its port) and the reason.
    let line = server.expect_err(LONG, |l| l.contains("refused 127.0.0.1:"));
    assert!(line.contains("ZAP status 400"), "{line}");
}

#[test]
fn client_of_an_absent_server_says_so_within_six_seconds() {
    // A port nobody listens on: bind one, note it, close it.
    let endpoint = {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::SocketType::Pub).unwrap();
        s.bind("tcp://127.0.0.1:*").unwrap();
        s.last_endpoint().unwrap()
    };
    for target in [endpoint.as_str(), "tcp://no-such-host.invalid:9003"] {
        let mut client = Proc::spawn("lonely client", {
            let mut cmd = Command::new(example("tickz"));
            cmd.args(["client", "--plain", "--connect", target, "AAPL"]);
            cmd
        });
        let said = client.expect_err(Duration::from_secs(6), |l| l.contains("nothing from"));
        assert!(said.contains("is the server running"), "{said}");
    }
}

#[test]
fn server_monitor_flag_shows_connection_events() {
    let mut cmd = Command::new(example("tickz"));
    cmd.args([
        "server",
        "--bind",
        "tcp://127.0.0.1:*",
        "--interval",
        "50",
        "--monitor",
    ]);
    let mut server = Proc::spawn("tickz server --monitor", cmd);
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    let mut client = Command::new(example("tickz"));
    client.args([
        "client",
        "--plain",
        "--count",
        "2",
        "--connect",
        &endpoint,
        "GOOG",
    ]);
    let mut client = Proc::spawn("tickz client", client);
    assert!(client.wait(LONG).success());
    server.expect_err(LONG, |l| l.contains("feed: accepted 127.0.0.1:"));
    server.expect_err(LONG, |l| l.contains("handshake succeeded"));
    server.expect_err(LONG, |l| l.contains("disconnected"));
}

/// Without the DRAFT API, `--radio` and `--dish` are refused with a message
/// saying how to get them, not ignored.
#[cfg(not(zmq_draft))]
#[test]
fn radio_and_dish_without_the_draft_feature_say_to_rebuild_with_it() {
    for args in [
        &["server", "--radio", "udp://127.0.0.1:9013"][..],
        &[
            "client",
            "--plain",
            "--dish",
            "udp://127.0.0.1:9013",
            "AAPL",
        ][..],
    ] {
        let out = Command::new(example("tickz")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("rebuild with --features draft"),
            "{args:?}: {stderr}"
        );
    }
}
