//! ZMTP heartbeats (`ZMQ_HEARTBEAT_IVL`, `_TTL`, `_TIMEOUT`): a peer that
//! completes the handshake and then stops answering is dropped within the
//! heartbeat timeout, and without heartbeats it is not.
//!
//! The frozen peer is a raw TCP socket in this test that speaks just enough
//! ZMTP 3.1 to finish a NULL handshake, then never reads or writes again:
//! to libzmq it looks exactly like a hung process behind a live TCP
//! connection (the kernel still ACKs, so TCP itself notices nothing).

mod watchdog;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use zmq::monitor::EventKind;
use zmq::monitor::MonitorEvents;
use zmq::{opt, Context, SocketType};

const INTERVAL: Duration = Duration::from_millis(100);
const TIMEOUT: Duration = Duration::from_millis(600);

/// A ZMTP 3.1 greeting for the NULL mechanism, as a client.
fn greeting() -> [u8; 64] {
    let mut g = [0u8; 64];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3; // version 3.1
    g[11] = 1;
    g[12..16].copy_from_slice(b"NULL");
    g
}

/// A READY command announcing a DEALER.
fn ready() -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&6u32.to_be_bytes());
    body.extend_from_slice(b"DEALER");
    let mut frame = vec![0x04, body.len() as u8];
    frame.extend_from_slice(&body);
    frame
}

/// Accepts one connection, completes the handshake, then goes silent; the
/// stream is handed back so that it stays open.
fn frozen_peer(listener: TcpListener) -> std::thread::JoinHandle<TcpStream> {
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(&greeting()).unwrap();
        stream.write_all(&ready()).unwrap();
        // Read libzmq's greeting, so that its handshake has begun before we
        // freeze (its READY may follow; nothing here depends on it).
        let mut theirs = [0u8; 64];
        stream.read_exact(&mut theirs).unwrap();
        assert_eq!(theirs[0], 0xFF, "a ZMTP greeting");
        stream
    })
}

/// Connects a monitored DEALER to a frozen peer and returns how long after
/// the handshake it reported the connection lost, if it did within `wait`.
fn time_to_disconnect(heartbeats: bool, wait: Duration) -> Option<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let peer = frozen_peer(listener);

    let ctx = Context::new();
    let dealer = ctx.socket(SocketType::Dealer).unwrap();
    if heartbeats {
        dealer.set(opt::HeartbeatIvl, INTERVAL).unwrap();
        dealer.set(opt::HeartbeatTimeout, TIMEOUT).unwrap();
        dealer
            .set(opt::HeartbeatTtl, Duration::from_secs(1))
            .unwrap();
    }
    // Only one attempt: a reconnect would meet a listener that is gone.
    dealer.set(opt::ReconnectIvl, None).unwrap();
    let mut monitor = dealer.monitor(MonitorEvents::ALL).unwrap();
    dealer.connect(&endpoint).unwrap();

    let started = Instant::now();
    let mut handshake_at = None;
    let lost = loop {
        let left = wait.saturating_sub(started.elapsed());
        let Some(event) = monitor.next_timeout(left).unwrap() else {
            break None;
        };
        match event.kind {
            EventKind::HandshakeSucceeded => handshake_at = Some(Instant::now()),
            EventKind::Disconnected { .. } => {
                let since = handshake_at.expect("the handshake succeeded first");
                break Some(since.elapsed());
            }
            EventKind::HandshakeFailedNoDetail { .. }
            | EventKind::HandshakeFailedProtocol { .. } => {
                panic!("the fake peer's handshake was refused: {event:?}")
            }
            _ => {}
        }
    };
    assert!(handshake_at.is_some(), "the handshake never completed");
    drop(peer.join().unwrap());
    lost
}

#[test]
fn heartbeat_options_read_back_as_durations() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Dealer).unwrap();
    assert_eq!(s.get(opt::HeartbeatIvl).unwrap(), Duration::ZERO);
    assert_eq!(s.get(opt::HeartbeatTimeout).unwrap(), None);
    s.set(opt::HeartbeatIvl, INTERVAL).unwrap();
    s.set(opt::HeartbeatTimeout, TIMEOUT).unwrap();
    s.set(opt::HeartbeatTtl, Duration::from_millis(1500))
        .unwrap();
    assert_eq!(s.get(opt::HeartbeatIvl).unwrap(), INTERVAL);
    assert_eq!(s.get(opt::HeartbeatTimeout).unwrap(), Some(TIMEOUT));
    assert_eq!(
        s.get(opt::HeartbeatTtl).unwrap(),
        Duration::from_millis(1500)
    );
    // libzmq keeps the TTL in tenths of a second, up to 6553.5 s.
    let err = s
        .set(opt::HeartbeatTtl, Duration::from_secs(7000))
        .unwrap_err();
    assert_eq!(err.kind(), zmq::ErrorKind::InvalidInput);
}

#[test]
fn a_frozen_peer_is_dropped_within_the_heartbeat_timeout() {
    watchdog::within(Duration::from_secs(60), || {
        let lost = time_to_disconnect(true, Duration::from_secs(20))
            .expect("the frozen peer was never dropped");
        // Pings start one interval after the handshake, and the timeout runs
        // from the first unanswered ping: never sooner than the timeout.
        assert!(
            lost >= TIMEOUT,
            "dropped after {lost:?}, before the timeout"
        );
        // Generous: the machine may be loaded; the point is that it happens.
        assert!(lost < TIMEOUT + Duration::from_secs(10), "{lost:?}");
    });
}

#[test]
fn without_heartbeats_a_frozen_peer_stays_connected() {
    watchdog::within(Duration::from_secs(60), || {
        // Three heartbeat timeouts: long enough that the test above would
        // have seen the drop.
        assert_eq!(time_to_disconnect(false, TIMEOUT * 3), None);
    });
}
