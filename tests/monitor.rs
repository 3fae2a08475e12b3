//! Socket monitors: typed events, and closing in any order without hanging.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use zmq::monitor::{EventKind, Monitor, MonitorEvents, ProtocolError};
use zmq::{Context, ErrorKind, Socket, SocketType};

mod watchdog;
use watchdog::within;

const LONG: Duration = Duration::from_secs(10);

/// The next event of a monitor, failing the test if none comes in time.
fn next(monitor: &mut Monitor) -> zmq::monitor::Event {
    monitor
        .next_timeout(LONG)
        .unwrap()
        .unwrap_or_else(|| panic!("no event within {LONG:?}"))
}

/// Receives events until one matches, failing on the end of the stream.
fn wait_for(monitor: &mut Monitor, wanted: impl Fn(&EventKind) -> bool) -> zmq::monitor::Event {
    loop {
        let event = next(monitor);
        if wanted(&event.kind) {
            return event;
        }
        assert_ne!(
            event.kind,
            EventKind::MonitorStopped,
            "the stream ended first"
        );
    }
}

fn round_trip(server: &Socket, client: &Socket, text: &str) {
    client.send(text).unwrap();
    let parts = server.recv_multipart().unwrap();
    assert_eq!(parts.last().unwrap(), text);
}

#[test]
fn a_connection_lifecycle_is_reported_in_order() {
    within(LONG * 2, || {
        let ctx = Context::new();
        let server = ctx.socket(SocketType::Router).unwrap();
        let mut monitor = server.monitor(MonitorEvents::ALL).unwrap();
        assert!(monitor.endpoint().starts_with("inproc://zmq-monitor-"));
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.last_endpoint().unwrap();

        let client = ctx.socket(SocketType::Dealer).unwrap();
        client.connect(&endpoint).unwrap();
        round_trip(&server, &client, "hello");
        drop(client);
        // Wait for the disconnect before closing, so the order is the wire's.
        let mut kinds = Vec::new();
        loop {
            let event = next(&mut monitor);
            let done = matches!(event.kind, EventKind::Disconnected { .. });
            if matches!(
                event.kind,
                EventKind::Listening { .. } | EventKind::Accepted { .. }
            ) {
                assert_eq!(event.endpoint, endpoint);
            }
            kinds.push(event.kind);
            if done {
                break;
            }
        }
        drop(server);
        while let Some(event) = monitor.next_timeout(LONG).unwrap() {
            kinds.push(event.kind);
        }
        assert!(
            monitor.is_stopped(),
            "the stream must end with MonitorStopped"
        );
        assert_eq!(kinds.last(), Some(&EventKind::MonitorStopped));

        let expected: [fn(&EventKind) -> bool; 6] = [
            |k| matches!(k, EventKind::Listening { .. }),
            |k| matches!(k, EventKind::Accepted { .. }),
            |k| matches!(k, EventKind::HandshakeSucceeded),
            |k| matches!(k, EventKind::Disconnected { .. }),
            |k| matches!(k, EventKind::Closed { .. }),
            |k| matches!(k, EventKind::MonitorStopped),
        ];
        let mut rest = kinds.iter();
        for (i, is) in expected.iter().enumerate() {
            assert!(
                rest.any(is),
                "step {i} missing or out of order in {kinds:?}"
            );
        }
        // After the end, nothing blocks.
        assert_eq!(monitor.try_next().unwrap(), None);
        assert!(monitor.next().is_none());
    });
}

/// A ZMTP 3.0 greeting whose security mechanism no one knows.
fn greeting_with_mechanism(mechanism: &[u8]) -> [u8; 64] {
    let mut greeting = [0u8; 64];
    greeting[0] = 0xFF; // signature
    greeting[9] = 0x7F;
    greeting[10] = 3; // version 3.0
    greeting[11] = 0;
    greeting[12..12 + mechanism.len()].copy_from_slice(mechanism);
    greeting
}

#[test]
fn a_peer_sending_garbage_zmtp_fails_the_handshake_with_a_protocol_reason() {
    within(LONG, || {
        let ctx = Context::new();
        let server = ctx.socket(SocketType::Router).unwrap();
        let mut monitor = server
            .monitor(MonitorEvents::ACCEPTED | MonitorEvents::HANDSHAKE_FAILED_PROTOCOL)
            .unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.last_endpoint().unwrap();
        let address = endpoint.trim_start_matches("tcp://");

        let mut peer = TcpStream::connect(address).unwrap();
        peer.write_all(&greeting_with_mechanism(b"BOGUS")).unwrap();

        let event = wait_for(&mut monitor, |k| {
            matches!(k, EventKind::HandshakeFailedProtocol { .. })
        });
        assert_eq!(
            event.kind,
            EventKind::HandshakeFailedProtocol {
                reason: ProtocolError::ZmtpMechanismMismatch
            }
        );
        assert_eq!(event.endpoint, endpoint);
        // libzmq then drops the connection.
        peer.set_read_timeout(Some(LONG)).unwrap();
        let mut rest = Vec::new();
        let _ = peer.read_to_end(&mut rest);
    });
}

#[test]
fn dropping_the_monitor_first_never_stalls_libzmq() {
    within(LONG * 2, || {
        let ctx = Context::new();
        let server = ctx.socket(SocketType::Router).unwrap();
        server.set(zmq::opt::RcvTimeo, Some(LONG)).unwrap();
        let monitor = server.monitor(MonitorEvents::ALL).unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.last_endpoint().unwrap();

        let first = ctx.socket(SocketType::Dealer).unwrap();
        first.connect(&endpoint).unwrap();
        round_trip(&server, &first, "one");

        drop(monitor);
        // libzmq reports LISTENING from the thread that binds: with the
        // monitor's PAIR simply closed, this bind would never return.
        server.bind("tcp://127.0.0.1:*").unwrap();
        let second_endpoint = server.last_endpoint().unwrap();
        // Events of the I/O thread (a disconnect, a handshake) must not
        // stall it either: the second client still gets through.
        drop(first);
        let second = ctx.socket(SocketType::Dealer).unwrap();
        second.connect(&second_endpoint).unwrap();
        round_trip(&server, &second, "two");
        drop(second);
        drop(server);
        drop(ctx);
    });
}

#[test]
fn dropping_the_socket_first_ends_the_stream_and_then_the_monitor_closes() {
    within(LONG, || {
        let ctx = Context::new();
        let server = ctx.socket(SocketType::Pull).unwrap();
        let mut monitor = server.monitor(MonitorEvents::LISTENING).unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        assert!(matches!(
            next(&mut monitor).kind,
            EventKind::Listening { .. }
        ));
        drop(server);
        assert_eq!(next(&mut monitor).kind, EventKind::MonitorStopped);
        assert!(monitor.is_stopped());
        assert_eq!(monitor.recv().unwrap(), None);
        drop(monitor);
        drop(ctx); // the last reference: terminates the context here
    });
}

#[test]
fn stop_monitor_ends_the_iteration() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Pub).unwrap();
        let monitor = socket.monitor(MonitorEvents::LISTENING).unwrap();
        socket.bind("tcp://127.0.0.1:*").unwrap();
        socket.stop_monitor().unwrap();
        let kinds: Vec<EventKind> = monitor.map(|event| event.unwrap().kind).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(matches!(kinds[0], EventKind::Listening { .. }));
        assert_eq!(kinds[1], EventKind::MonitorStopped);
        // Stopping again is harmless, and the socket still works.
        socket.stop_monitor().unwrap();
        socket.send("still fine").unwrap();
    });
}

#[test]
fn a_second_monitor_replaces_the_first() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Dealer).unwrap();
        let mut first = socket.monitor(MonitorEvents::ALL).unwrap();
        let mut second = socket.monitor(MonitorEvents::LISTENING).unwrap();
        assert_ne!(first.endpoint(), second.endpoint());
        assert_eq!(next(&mut first).kind, EventKind::MonitorStopped);
        socket.bind("tcp://127.0.0.1:*").unwrap();
        assert!(matches!(
            next(&mut second).kind,
            EventKind::Listening { .. }
        ));
    });
}

#[test]
fn try_next_and_next_timeout_do_not_block() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Dealer).unwrap();
        let mut monitor = socket.monitor(MonitorEvents::ALL).unwrap();
        assert_eq!(monitor.try_next().unwrap(), None);
        assert_eq!(
            monitor.next_timeout(Duration::from_millis(20)).unwrap(),
            None
        );
        assert!(!monitor.is_stopped());
    });
}

#[test]
fn a_failed_connect_attempt_reports_its_retry_interval() {
    within(LONG, || {
        let ctx = Context::new();
        // A port that was just free: nothing listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = ctx.socket(SocketType::Dealer).unwrap();
        client
            .set(zmq::opt::ReconnectIvl, Some(Duration::from_millis(50)))
            .unwrap();
        let mut monitor = client
            .monitor(MonitorEvents::CONNECT_DELAYED | MonitorEvents::CONNECT_RETRIED)
            .unwrap();
        let endpoint = format!("tcp://127.0.0.1:{port}");
        client.connect(&endpoint).unwrap();
        let event = wait_for(&mut monitor, |k| {
            matches!(k, EventKind::ConnectRetried { .. })
        });
        let EventKind::ConnectRetried { interval } = event.kind else {
            unreachable!()
        };
        assert!(interval >= Duration::from_millis(50), "{interval:?}");
        assert_eq!(event.endpoint, endpoint);
    });
}

#[test]
fn a_monitor_can_move_to_another_thread() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Rep).unwrap();
        let monitor = socket.monitor(MonitorEvents::LISTENING).unwrap();
        let watcher = std::thread::spawn(move || {
            monitor
                .map(|event| event.unwrap().kind)
                .find(|k| matches!(k, EventKind::Listening { .. }))
        });
        socket.bind("tcp://127.0.0.1:*").unwrap();
        assert!(watcher.join().unwrap().is_some());
    });
}

#[test]
fn a_context_shutdown_ends_a_blocked_monitor() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Dealer).unwrap();
        let mut monitor = socket.monitor(MonitorEvents::ALL).unwrap();
        let blocked = std::thread::spawn(move || {
            let first = monitor.recv();
            (first, monitor.is_stopped(), monitor.next().is_none())
        });
        ctx.shutdown().unwrap();
        let (first, stopped, ended) = blocked.join().unwrap();
        match first {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Terminated),
            Ok(event) => assert_eq!(event.unwrap().kind, EventKind::MonitorStopped),
        }
        assert!(stopped && ended);
        drop(socket);
    });
}

#[cfg(zmq_draft)]
#[test]
fn a_versioned_monitor_reports_both_addresses() {
    within(LONG, || {
        let ctx = Context::new();
        let server = ctx.socket(SocketType::Router).unwrap();
        let mut monitor = server
            .monitor_versioned(MonitorEvents::ACCEPTED | MonitorEvents::HANDSHAKE_SUCCEEDED)
            .unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.last_endpoint().unwrap();
        let client = ctx.socket(SocketType::Dealer).unwrap();
        client.connect(&endpoint).unwrap();
        round_trip(&server, &client, "hello");

        let accepted = wait_for(&mut monitor, |k| matches!(k, EventKind::Accepted { .. }));
        assert_eq!(accepted.endpoint, endpoint);
        let remote = accepted
            .remote_endpoint
            .expect("the versioned monitor names the peer");
        assert!(remote.starts_with("tcp://127.0.0.1:"), "{remote}");
        assert_ne!(remote, endpoint);
        wait_for(&mut monitor, |k| *k == EventKind::HandshakeSucceeded);
    });
}

/// Issue 11 item 2: a timeout beyond the clock's range waits as long as
/// needed instead of panicking on `Instant + Duration` overflow.
#[test]
fn next_timeout_accepts_the_largest_duration() {
    within(LONG, || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Pull).unwrap();
        let mut monitor = socket.monitor(MonitorEvents::LISTENING).unwrap();
        socket.bind("tcp://127.0.0.1:*").unwrap();
        let event = monitor.next_timeout(Duration::MAX).unwrap().unwrap();
        assert!(
            matches!(event.kind, EventKind::Listening { .. }),
            "{event:?}"
        );
    });
}
