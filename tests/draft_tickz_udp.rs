//! tickz over RADIO/DISH (draft), on loopback unicast UDP: a server process
//! with `--radio` and a client process with `--dish`; the client gets the
//! symbols it joined and no other. (Multicast between network namespaces is
//! in `draft_multicast.rs`.)
#![cfg(zmq_draft)]

mod demo_support;

use demo_support::{example, Proc};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

/// A watchdog for a child's life, not a speed claim.
const LONG: Duration = Duration::from_secs(40);

/// A UDP port that was free a moment ago (UDP endpoints take no wildcard).
fn free_udp_port() -> u16 {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

#[test]
fn a_dish_client_gets_exactly_its_joined_symbols_from_the_radio() {
    let tickz = example("tickz");
    let radio = format!("udp://127.0.0.1:{}", free_udp_port());
    let mut server = Command::new(&tickz);
    server.args(["server", "--bind", "tcp://127.0.0.1:*", "--interval", "20"]);
    server.args(["--radio", &radio]);
    let mut server = Proc::spawn("tickz radio server", server);
    server.expect_err(LONG, |l| l.contains("publishing on"));

    let mut client = Command::new(&tickz);
    client.args(["client", "--plain", "--count", "20", "--dish", &radio]);
    client.args(["goog", "BBRY"]);
    let mut client = Proc::spawn("tickz dish client", client);
    let status = client.wait(LONG);
    assert!(
        status.success() && client.seen_out.len() == 20,
        "{status}; client stdout {:#?}; the server: {}",
        client.seen_out,
        server.report()
    );
    let mut symbols = BTreeSet::new();
    for line in &client.seen_out {
        // e.g. "GOOG 571.990 2026-11-28T11:28:18.372Z", as over the PUB.
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{line}");
        let price: f64 = fields[1].parse().unwrap();
        assert!(price > 0.0, "{line}");
        assert!(fields[2].ends_with('Z'), "{line}");
        symbols.insert(fields[0]);
    }
    // Ticks come in rounds of five symbols, so 20 of two symbols hold both.
    assert_eq!(symbols, BTreeSet::from(["BBRY", "GOOG"]));
}

#[test]
fn radio_and_dish_take_udp_endpoints_only() {
    let tickz = example("tickz");
    let out = Command::new(&tickz)
        .args(["server", "--radio", "tcp://127.0.0.1:9013"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--radio takes a udp:// endpoint"),
        "{stderr}"
    );

    let out = Command::new(&tickz)
        .args([
            "client",
            "--plain",
            "--dish",
            "tcp://127.0.0.1:9013",
            "AAPL",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--dish takes a udp:// endpoint"),
        "{stderr}"
    );
}

#[test]
fn a_dish_cannot_be_combined_with_curve_or_a_pub_endpoint() {
    for other in [
        ["--connect", "tcp://127.0.0.1:9003"],
        [
            "--curve-server-key",
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
        ],
    ] {
        let out = Command::new(example("tickz"))
            .args(["client", "--plain", "--dish", "udp://127.0.0.1:9013"])
            .args(other)
            .arg("AAPL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "clap's usage error");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot be used with"),
            "{other:?}: {stderr}"
        );
    }
    // The RADIO's datagrams are not encrypted: a CURVE server refuses it.
    let out = Command::new(example("tickz"))
        .args(["server", "--radio", "udp://127.0.0.1:9013"])
        .args(["--curve-secret", "/nonexistent/server.key_secret"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
