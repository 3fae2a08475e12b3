//! Shutting down never hangs and never silently loses a message.

use std::process::Command;
use std::time::{Duration, Instant};
use zmq::{opt, Context, ErrorKind, SocketType};

/// Runs this test binary again as a child process for `test_name`, with `env`.
fn run_child(test_name: &str, env: (&str, &str)) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--test-threads=1", "--nocapture"])
        .env(env.0, env.1)
        .spawn()
        .unwrap()
}

/// Waits for a child with a generous bound so that a hang fails the test
/// instead of hanging it.
fn wait_bounded(child: &mut std::process::Child, bound: Duration) -> (bool, Duration) {
    let start = Instant::now();
    while start.elapsed() < bound {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.success(), start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("child process still running after {bound:?}: it hung on exit");
}

#[test]
fn shutdown_from_another_thread_ends_a_blocked_recv() {
    let ctx = Context::new();
    let handle = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let s = ctx.socket(SocketType::Pull).unwrap();
            s.bind("inproc://blocked").unwrap();
            s.recv()
        })
    };
    // Shutting down before the thread blocks is fine too: recv then fails at once.
    std::thread::sleep(Duration::from_millis(50));
    ctx.shutdown().unwrap();
    let err = handle.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Terminated);
    assert!(err.is_terminated());
    // After shutdown, creating sockets fails clearly too.
    assert_eq!(
        ctx.socket(SocketType::Pub).unwrap_err().kind(),
        ErrorKind::Terminated
    );
}

#[test]
fn sockets_get_the_documented_bounded_linger() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Push).unwrap();
    assert_eq!(s.get(opt::Linger).unwrap(), Some(zmq::DEFAULT_LINGER));
    assert_eq!(zmq::DEFAULT_LINGER, Duration::from_secs(2));
    let forever = Context::builder().default_linger(None).build().unwrap();
    assert_eq!(
        forever
            .socket(SocketType::Push)
            .unwrap()
            .get(opt::Linger)
            .unwrap(),
        None
    );
}

const SEND_TO: &str = "ZMQ_TEST_SEND_THEN_EXIT_TO";
const PAYLOAD: usize = 4 << 20;

#[test]
fn a_message_sent_just_before_exit_reaches_the_peer() {
    if let Ok(endpoint) = std::env::var(SEND_TO) {
        // Child: connect, send a large message, and leave at once.
        let ctx = Context::new();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect(&endpoint).unwrap();
        push.send(vec![42u8; PAYLOAD]).unwrap();
        return;
    }
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set(opt::RcvTimeo, Duration::from_secs(20)).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint().unwrap();
    let mut child = run_child(
        "a_message_sent_just_before_exit_reaches_the_peer",
        (SEND_TO, &endpoint),
    );
    let msg = pull.recv().unwrap();
    assert_eq!(msg.len(), PAYLOAD);
    assert!(msg.iter().all(|&b| b == 42));
    let (ok, _) = wait_bounded(&mut child, Duration::from_secs(30));
    assert!(ok, "child failed");
}

const STUCK_ON: &str = "ZMQ_TEST_STUCK_ON";

#[test]
fn queued_messages_for_an_absent_peer_do_not_keep_the_process_alive() {
    if let Ok(endpoint) = std::env::var(STUCK_ON) {
        // Child: queue messages for a peer that never comes, then exit.
        let ctx = Context::new();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect(&endpoint).unwrap();
        for _ in 0..10 {
            push.send("nobody will read this").unwrap();
        }
        return;
    }
    // A port nobody listens on: bind a listener, note its port, close it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let mut child = run_child(
        "queued_messages_for_an_absent_peer_do_not_keep_the_process_alive",
        (STUCK_ON, &endpoint),
    );
    // libzmq's own default (linger forever) would never exit; ours lingers 2 s.
    let (ok, took) = wait_bounded(&mut child, Duration::from_secs(30));
    assert!(ok, "child failed");
    assert!(
        took >= Duration::from_millis(1500),
        "the linger was honoured: {took:?}"
    );
}
