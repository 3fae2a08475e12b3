//! chatz end to end: the server in-process and as a process, with Rust and
//! Python (pyzmq) clients, malformed requests, lease expiry, and the Rust
//! client behind a 2014-style Python server.
//!
//! Example binaries are built by the tests themselves (`cargo build
//! --example chatz`, see `demo_support::example`).

mod demo_support;

// The demo's own modules, compiled into this test (their unit tests run here too).
#[allow(dead_code)]
#[path = "../examples/chatz/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../examples/common/link.rs"]
mod link;
#[allow(dead_code)]
#[path = "../examples/common/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../examples/chatz/proto.rs"]
mod proto;
#[allow(dead_code)]
#[path = "../examples/chatz/server.rs"]
mod server;
mod chatz {
    pub(crate) use super::{client, proto, server};
}

use chatz::client::{ChatClient, Event};
use chatz::server::ChatServer;
use demo_support::{example, make_keys, python, Proc};
use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use zmq::{Socket, SocketType};

const LONG: Duration = Duration::from_secs(20);

struct Running {
    router: String,
    feed: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_at(ctx: &zmq::Context, router: &str, expiry: Duration) -> Running {
    serve_on(ctx, router, "tcp://127.0.0.1:*", expiry)
}

fn serve_on(ctx: &zmq::Context, router: &str, feed: &str, expiry: Duration) -> Running {
    let log: chatz::server::Log = Box::new(|line| eprintln!("[server] {line}"));
    let mut server = ChatServer::bind(ctx, router, feed, expiry, log).expect("bind");
    let stop = Arc::new(AtomicBool::new(false));
    let (router, feed) = (
        server.router_endpoint.clone(),
        server.publish_endpoint.clone(),
    );
    let s = stop.clone();
    let thread = std::thread::spawn(move || server.run(&s).expect("server run"));
    Running {
        router,
        feed,
        stop,
        thread: Some(thread),
    }
}

fn serve(ctx: &zmq::Context, expiry: Duration) -> Running {
    serve_at(ctx, "tcp://127.0.0.1:*", expiry)
}

fn req(ctx: &zmq::Context, endpoint: &str) -> Socket {
    let s = ctx.socket(SocketType::Req).unwrap();
    s.set(zmq::opt::Linger, Duration::ZERO).unwrap();
    s.set(zmq::opt::RcvTimeo, LONG).unwrap();
    s.connect(endpoint).unwrap();
    s
}

fn ask(s: &Socket, body: &[u8]) -> Vec<String> {
    s.send(body).unwrap();
    let frames = s.recv_multipart().expect("a reply within the timeout");
    assert!(!frames.is_empty());
    chatz::proto::parse_reply(&frames)
}

#[test]
fn server_answers_a_hundred_concurrent_clients() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let clients: Vec<(String, Socket)> = (0..100)
        .map(|i| (format!("user{i:03}"), req(&ctx, &server.router)))
        .collect();
    for (handle, s) in &clients {
        s.send(handle.as_str()).unwrap();
    }
    for (handle, s) in &clients {
        let users = chatz::proto::parse_reply(&s.recv_multipart().unwrap());
        assert!(users.contains(handle), "{handle} is live after its request");
        assert!(users.windows(2).all(|w| w[0] < w[1]), "sorted");
    }
    let expected: Vec<String> = clients.iter().map(|(h, _)| h.clone()).collect();
    for (handle, s) in &clients {
        assert_eq!(ask(s, handle.as_bytes()), expected);
    }
}

#[test]
fn past_the_cap_of_live_handles_a_new_one_is_answered_but_not_made_live() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(60));
    let cap = chatz::server::MAX_LIVE_HANDLES;
    let client = req(&ctx, &server.router);
    for i in 0..cap {
        let users = ask(&client, format!("user{i:05}").as_bytes());
        assert_eq!(users.len(), i + 1);
    }
    // The feed's SUB joins (a PUB drops what comes before): a live
    // handle posts until one of its posts comes through.
    let feed = ctx.socket(SocketType::Sub).unwrap();
    feed.subscribe("").unwrap();
    feed.set(zmq::opt::RcvTimeo, Duration::from_millis(300))
        .unwrap();
    feed.connect(&server.feed).unwrap();
    let deadline = Instant::now() + LONG;
    loop {
        ask(&client, "user00000\u{1f}still here".as_bytes());
        if let Ok(post) = feed.recv_string() {
            assert_eq!(post, "user00000\u{1f}still here");
            break;
        }
        assert!(Instant::now() < deadline, "no post on the feed");
    }
    while feed.recv_string().is_ok() {} // the other tries' posts
                                        // One more handle: answered with the full list, without it; its post
                                        // is not published, while the next live post is.
    let users = ask(&client, "latecomer\u{1f}let me in".as_bytes());
    assert_eq!(users.len(), cap);
    assert!(!users.contains(&"latecomer".to_owned()));
    ask(&client, "user00001\u{1f}after".as_bytes());
    assert_eq!(feed.recv_string().unwrap(), "user00001\u{1f}after");
}

#[test]
fn malformed_requests_are_answered_and_the_server_stays_up() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let alice = req(&ctx, &server.router);
    assert_eq!(ask(&alice, b"alice"), ["alice"]);

    let big = vec![b'x'; 100 * 1024];
    let bad: [&[u8]; 6] = [
        b"",
        b"\xff\xfe\xfd",
        b"bob\x1fone\x1ftwo",
        &big,
        b"\x1fno handle",
        b"bad\nhandle",
    ];
    for body in bad {
        let s = req(&ctx, &server.router);
        assert_eq!(
            ask(&s, body),
            ["alice"],
            "answered with the list for {:?}",
            &body[..body.len().min(16)]
        );
    }

    // A DEALER can send what a REQ cannot: several body frames, no delimiter.
    let dealer = ctx.socket(SocketType::Dealer).unwrap();
    dealer.set(zmq::opt::Linger, Duration::ZERO).unwrap();
    dealer.set(zmq::opt::RcvTimeo, LONG).unwrap();
    dealer.connect(&server.router).unwrap();
    dealer.send_multipart(["", "carol", "extra"]).unwrap();
    let reply = dealer.recv_multipart().unwrap();
    assert_eq!(reply, ["", "alice"]);
    dealer.send("dave").unwrap(); // no empty delimiter at all
    assert_eq!(dealer.recv_multipart().unwrap(), ["alice", "dave"]);

    // Random bytes on the TCP port: libzmq drops that peer, nobody else notices.
    let port = server.router.rsplit(':').next().unwrap();
    let mut raw = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    raw.set_read_timeout(Some(LONG)).unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = raw.write_all(&noise);
    let mut sink = Vec::new();
    let _ = raw.read_to_end(&mut sink); // ends when the server hangs up

    // An empty list is one empty frame.
    let lonely = serve(&ctx, Duration::from_secs(30));
    let s = req(&ctx, &lonely.router);
    s.send("").unwrap();
    assert_eq!(s.recv_multipart().unwrap(), [""]);

    assert_eq!(
        ask(&alice, b"alice"),
        ["alice", "dave"],
        "the server is still up and nobody was dropped"
    );
}

#[test]
fn a_silent_user_expires_after_its_lease() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(1));
    let silent = req(&ctx, &server.router);
    let active = req(&ctx, &server.router);
    assert_eq!(ask(&silent, b"silent"), ["silent"]);
    let since = Instant::now();
    loop {
        let users = ask(&active, b"active");
        if users == ["active"] {
            break;
        }
        assert_eq!(users, ["active", "silent"]);
        assert!(
            since.elapsed() < Duration::from_secs(10),
            "silent never expired"
        );
        // Pacing the active user's keep-alives (every 100 ms), not waiting
        // for a condition: the condition is checked by the request above.
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = since.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "expired too early: {elapsed:?}"
    );
}

#[test]
fn posts_reach_every_client_and_users_are_listed() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let mut alice = ChatClient::connect(&ctx, "alice", &server.router, &server.feed).unwrap();
    let mut bob = ChatClient::connect(&ctx, "bob", &server.router, &server.feed).unwrap();
    alice.post("hi bob\nsecond line");
    let deadline = Instant::now() + LONG;
    let (mut alice_heard, mut bob_heard, mut bob_saw_both) = (false, false, false);
    while !(alice_heard && bob_heard && bob_saw_both) {
        assert!(
            Instant::now() < deadline,
            "alice {alice_heard}, bob {bob_heard}, users {bob_saw_both}"
        );
        let want = Event::Broadcast {
            handle: "alice".into(),
            message: "hi bob\nsecond line".into(),
        };
        alice_heard |= alice
            .step(Duration::from_millis(20))
            .unwrap()
            .contains(&want);
        for event in bob.step(Duration::from_millis(20)).unwrap() {
            bob_heard |= event == want;
            bob_saw_both |= event == Event::Users(vec!["alice".into(), "bob".into()]);
        }
    }
}

#[test]
fn client_says_when_the_server_is_gone_and_when_it_is_back() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let (router, feed) = (server.router.clone(), server.feed.clone());
    let mut client = ChatClient::connect(&ctx, "alice", &router, &feed).unwrap();
    let until = |client: &mut ChatClient, want: &Event| {
        let deadline = Instant::now() + LONG;
        loop {
            assert!(Instant::now() < deadline, "no {want:?}");
            if client
                .step(Duration::from_millis(50))
                .unwrap()
                .contains(want)
            {
                return;
            }
        }
    };
    until(&mut client, &Event::ServerUp { was_gone: false });
    drop(server);
    until(&mut client, &Event::ServerGone);
    client.post("anyone?");
    assert_eq!(client.pending(), 1);
    let _back = serve_at(&ctx, &router, Duration::from_secs(30));
    until(&mut client, &Event::ServerUp { was_gone: true });
    let deadline = Instant::now() + LONG;
    while client.pending() > 0 {
        assert!(Instant::now() < deadline, "the post never went out");
        client.step(Duration::from_millis(50)).unwrap();
    }
}

fn server_process(expiry: &str) -> (Proc, String, String) {
    let mut cmd = Command::new(example("chatz"));
    cmd.args([
        "server",
        "--router",
        "tcp://127.0.0.1:*",
        "--publish",
        "tcp://127.0.0.1:*",
        "--expiry",
        expiry,
    ]);
    let mut server = Proc::spawn("chatz server", cmd);
    let eps = server.endpoints_on_err("requests on");
    assert_eq!(eps.len(), 2, "{eps:?}");
    (server, eps[0].clone(), eps[1].clone())
}

#[test]
fn python_req_clients_on_the_server_process() {
    let (mut server, router, feed) = server_process("5");
    let mut clients = Proc::spawn("python clients", {
        let mut cmd = python("demo_chatz_clients.py");
        cmd.args([&router, &feed, "100"]);
        cmd
    });
    let status = clients.wait(Duration::from_secs(60));
    assert!(
        status.success() && clients.seen_out.contains(&"ok".to_owned()),
        "{:#?}",
        clients.seen_out
    );
    // The server logged the bad requests and kept going.
    server.expect_err(LONG, |l| l.contains("bad request"));
}

#[test]
fn plain_clients_talk_through_the_server_process() {
    let (mut server, router, feed) = server_process("1");
    let client = |handle: &str| {
        let mut cmd = Command::new(example("chatz"));
        cmd.args([
            "client", "--plain", "--handle", handle, "--server", &router, "--feed", &feed,
        ]);
        Proc::spawn(handle, cmd)
    };
    let (mut alice, mut bob) = (client("alice"), client("bob"));
    alice.expect_err(LONG, |l| l.contains("connected"));
    bob.expect_err(LONG, |l| l.contains("alice, bob"));
    alice.send_line("hello bob");
    bob.expect_out(LONG, |l| l == "alice: hello bob");
    bob.send_line("hi alice ∞ and \u{1f} are not separators in a post");
    alice.expect_out(LONG, |l| {
        l == "bob: hi alice   and   are not separators in a post"
    });
    // Closing stdin ends a plain client once its posts are out.
    bob.close_stdin();
    assert!(bob.wait(LONG).success());
    server.expect_err(LONG, |l| l.contains("bob left"));
    alice.close_stdin();
    assert!(alice.wait(LONG).success());
}

#[test]
fn plain_client_behind_a_python_server_with_the_infinity_separator() {
    // Everything slow comes first (building the client, which on a fresh
    // clone under load can take minutes, and the pyzmq venv), so that no
    // deadline below, nor the Python server's own lifetime, pays for it.
    let chatz = example("chatz");
    let mut py = Proc::spawn("python server", python("demo_chatz_server.py"));
    // The server prints its endpoints once both sockets are bound.
    let eps = py.endpoints_on_out("chatz-py");
    let mut cmd = Command::new(chatz);
    cmd.args([
        "client", "--plain", "--handle", "zoe", "--server", &eps[0], "--feed", &eps[1],
    ]);
    let mut zoe = Proc::spawn("zoe", cmd);
    if zoe
        .try_expect_err(LONG, |l| l.contains("connected"))
        .is_none()
    {
        panic!(
            "zoe never connected; zoe's stderr {:#?}; the Python server: {}",
            zoe.seen_err,
            py.report()
        );
    }
    zoe.send_line("hello from rust");
    py.expect_out(LONG, |l| l == "post zoe|hello from rust|unit");
    zoe.expect_out(LONG, |l| l == "zoe: hello from rust");
    drop(py);
    zoe.expect_err(LONG, |l| l.contains("not answering"));
    zoe.close_stdin();
    // It does not hang: nothing is pending, so it leaves.
    assert!(zoe.wait(LONG).success());
}

#[test]
fn curve_server_with_an_allow_list_takes_listed_clients_only() {
    let keys = tempfile::tempdir().unwrap();
    let (server_dir, allowed, others) = (
        keys.path().join("server"),
        keys.path().join("allowed"),
        keys.path().join("others"),
    );
    let server_key = make_keys("chatz", &server_dir, "server");
    make_keys("chatz", &allowed, "alice");
    let mallory_key = make_keys("chatz", &others, "mallory");
    // A second `keys` with the same name never overwrites a secret.
    let again = Command::new(example("chatz"))
        .arg("keys")
        .arg(&allowed)
        .arg("alice")
        .output()
        .unwrap();
    assert!(!again.status.success());

    let mut server = curve_server(&server_dir.join("server.key_secret"), &allowed);
    server.expect_err(LONG, |l| {
        l.contains(&server_key) && l.contains("1 client key")
    });
    let eps = server.endpoints_on_err("requests on");
    let (router, feed) = (eps[0].clone(), eps[1].clone());
    let client = |handle: &str, server_key: &str, cert: Option<std::path::PathBuf>| {
        let mut cmd = Command::new(example("chatz"));
        cmd.args([
            "client",
            "--plain",
            "--handle",
            handle,
            "--server",
            &router,
            "--feed",
            &feed,
            "--curve-server-key",
            server_key,
        ]);
        if let Some(cert) = cert {
            cmd.arg("--curve-cert").arg(cert);
        }
        Proc::spawn(handle, cmd)
    };

    // Listed: the server key as Z85, alice's own certificate.
    let mut alice = client("alice", &server_key, Some(allowed.join("alice.key_secret")));
    alice.expect_err(LONG, |l| l.contains("connected"));
    alice.send_line("hello over curve");
    alice.expect_out(LONG, |l| l == "alice: hello over curve");

    // Unlisted: the server key from its file, mallory's certificate; and an
    // ephemeral key pair. Neither gets an answer nor the feed.
    let server_file = server_dir.join("server.key");
    let server_file = server_file.to_str().unwrap();
    let mut mallory = client(
        "mallory",
        server_file,
        Some(others.join("mallory.key_secret")),
    );
    let mut nobody = client("nobody", server_file, None);
    mallory.send_line("let me in");
    nobody.send_line("me too");
    alice.send_line("still here");
    alice.expect_out(LONG, |l| l == "alice: still here");
    for refused in [&mut mallory, &mut nobody] {
        refused.expect_err(LONG, |l| l.contains("refuses our CURVE key"));
        // With stdin closed, a plain client gives its unanswered post up
        // (after its 10 s drain limit) and fails.
        refused.close_stdin();
    }
    for refused in [&mut mallory, &mut nobody] {
        let status = refused.wait(LONG);
        assert!(!status.success(), "{:#?}", refused.seen_err);
        assert!(
            !refused.seen_err.iter().any(|l| l.contains("connected")),
            "{:#?}",
            refused.seen_err
        );
        // Not even the feed reached them (alice posted meanwhile).
        assert!(refused.seen_out.is_empty(), "{:#?}", refused.seen_out);
    }

    // The server stayed up, never let them in, and alice still talks.
    alice.send_line("bye");
    alice.expect_out(LONG, |l| l == "alice: bye");
    // --verbose: the authenticator's decisions are in the server's log.
    server.expect_err(LONG, |l| {
        l.starts_with("zap: denied 127.0.0.1 CURVE key ")
            && l.contains(&mallory_key[..5])
            && l.ends_with("400 key not allowed")
    });
    assert!(
        server
            .seen_err
            .iter()
            .any(|l| l.starts_with("zap: allowed 127.0.0.1 CURVE key ")),
        "{:#?}",
        server.seen_err
    );
    assert!(!alice
        .seen_out
        .iter()
        .any(|l| l.contains("mallory") || l.contains("nobody")));
    assert!(
        !server
            .seen_err
            .iter()
            .any(|l| l.contains("mallory") || l.contains("nobody")),
        "{:#?}",
        server.seen_err
    );
    alice.close_stdin();
    assert!(alice.wait(LONG).success());
}

/// A chatz server process on free ports with the secret certificate
/// `secret`, letting in only the clients whose keys are in `allowed`.
fn curve_server(secret: &std::path::Path, allowed: &std::path::Path) -> Proc {
    let mut cmd = Command::new(example("chatz"));
    cmd.args([
        "server",
        "--router",
        "tcp://127.0.0.1:*",
        "--publish",
        "tcp://127.0.0.1:*",
    ]);
    cmd.arg("--curve-secret")
        .arg(secret)
        .arg("--allow-keys")
        .arg(allowed)
        .arg("--verbose");
    Proc::spawn("chatz curve server", cmd)
}

/// Steps `client` until `done` says so (bounded by LONG), returning every event.
fn step_until(client: &mut ChatClient, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + LONG;
    let mut events = Vec::new();
    while !done(&events) {
        assert!(
            Instant::now() < deadline,
            "gave up; events so far {events:#?}"
        );
        events.extend(client.step(Duration::from_millis(50)).unwrap());
    }
    events
}

#[test]
fn posts_queued_while_the_server_was_away_are_delivered_when_it_is_back() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let (router, feed) = (server.router.clone(), server.feed.clone());
    let mut client = ChatClient::connect(&ctx, "alice", &router, &feed).unwrap();
    // What is proven is the order of things (posts wait for the feed to be
    // back, then come back on it), not how fast a loaded machine reconnects:
    // the default 2 s feed wait and 3 s echo timeout are a person's patience,
    // and a busy CI runner can take longer to redo the feed's handshake.
    client.set_patience(LONG, LONG);
    step_until(&mut client, |e| {
        e.contains(&Event::ServerUp { was_gone: false })
    });
    drop(server);
    step_until(&mut client, |e| e.contains(&Event::ServerGone));
    for post in ["one", "two", "three"] {
        client.post(post);
    }
    let _back = serve_on(&ctx, &router, &feed, Duration::from_secs(30));
    let heard = |e: &[Event], m: &str| {
        e.contains(&Event::Broadcast {
            handle: "alice".into(),
            message: m.into(),
        })
    };
    let events = step_until(&mut client, |e| {
        ["one", "two", "three"].iter().all(|m| heard(e, m))
    });
    assert!(
        !events.iter().any(|e| matches!(e, Event::Unconfirmed(_))),
        "{events:#?}"
    );
    assert_eq!(client.pending(), 0);
}

/// The broadcast of a post and the server's reply travel on two sockets, so
/// the broadcast can come first: the post is then delivered, not pending, and
/// a reply that never comes must not make the client post it a second time.
#[test]
fn a_post_whose_broadcast_overtakes_the_reply_is_delivered_once() {
    let ctx = zmq::Context::new();
    let router = ctx.socket(SocketType::Router).unwrap();
    router.set(zmq::opt::Linger, Duration::ZERO).unwrap();
    router.bind("tcp://127.0.0.1:*").unwrap();
    // An XPUB, to know when the client's subscription is in.
    let feed = ctx.socket(SocketType::XPub).unwrap();
    feed.set(zmq::opt::Linger, Duration::ZERO).unwrap();
    feed.set(zmq::opt::RcvTimeo, LONG).unwrap();
    feed.bind("tcp://127.0.0.1:*").unwrap();
    let (router_ep, feed_ep) = (
        router.last_endpoint().unwrap(),
        feed.last_endpoint().unwrap(),
    );
    let mut client = ChatClient::connect(&ctx, "alice", &router_ep, &feed_ep).unwrap();
    assert_eq!(feed.recv().unwrap()[0], 1, "a subscription");
    let answer = |request: &zmq::Multipart| {
        router
            .send_multipart([&request[0][..], b"", b"alice"])
            .unwrap()
    };
    let post = chatz::proto::post("alice", "overtaken");
    let body = |request: &zmq::Multipart| request.last().unwrap().to_vec();

    // Keep-alives are answered until the post comes; it is broadcast, and
    // never answered.
    client.post("overtaken");
    let request = loop {
        let request = next_request(&mut client, &router);
        if body(&request) == post.as_bytes() {
            break request;
        }
        answer(&request);
    };
    drop(request);
    feed.send(post.as_str()).unwrap();
    step_until(&mut client, |e| {
        e.contains(&Event::Broadcast {
            handle: "alice".into(),
            message: "overtaken".into(),
        })
    });
    assert_eq!(client.pending(), 0, "{:?}", client.pending_posts());

    // The reply times out; the client's next requests are keep-alives only.
    step_until(&mut client, |e| e.contains(&Event::ServerGone));
    for _ in 0..3 {
        let request = next_request(&mut client, &router);
        assert_eq!(body(&request), b"alice", "posted twice?");
        answer(&request);
    }
    assert_eq!(client.pending(), 0, "{:?}", client.pending_posts());
}

/// Steps `client` until `router` holds a request from it (bounded by LONG).
fn next_request(client: &mut ChatClient, router: &Socket) -> zmq::Multipart {
    let deadline = Instant::now() + LONG;
    loop {
        if let Some(request) = router.try_recv_multipart().unwrap() {
            return request;
        }
        assert!(Instant::now() < deadline, "no request from the client");
        client.step(Duration::from_millis(20)).unwrap();
    }
}

#[test]
fn a_post_that_never_comes_back_on_the_feed_is_reported() {
    let ctx = zmq::Context::new();
    let server = serve(&ctx, Duration::from_secs(30));
    let (router, feed) = (server.router.clone(), server.feed.clone());
    let mut client = ChatClient::connect(&ctx, "alice", &router, &feed).unwrap();
    step_until(&mut client, |e| {
        e.contains(&Event::ServerUp { was_gone: false })
    });
    drop(server);
    step_until(&mut client, |e| e.contains(&Event::ServerGone));
    client.post("anyone?");
    // The server is back on its request port, but its feed is elsewhere now.
    let _back = serve_at(&ctx, &router, Duration::from_secs(30));
    step_until(&mut client, |e| {
        e.contains(&Event::Unconfirmed("anyone?".into()))
    });
    assert_eq!(client.pending(), 0);
}

#[test]
fn a_refused_key_never_blocks_the_client_step() {
    use zmq::security::{Authenticator, CurveKeyPair, ANY_DOMAIN};
    let ctx = zmq::Context::new();
    let (server_keys, listed, refused) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    let auth = Authenticator::start(&ctx).unwrap();
    auth.curve_allow_key(ANY_DOMAIN, &listed.public);
    let log: chatz::server::Log = Box::new(|line| eprintln!("[server] {line}"));
    let mut server = ChatServer::bind_curve(
        &ctx,
        "tcp://127.0.0.1:*",
        "tcp://127.0.0.1:*",
        Duration::from_secs(30),
        log,
        Some(&server_keys.secret),
    )
    .unwrap();
    let (router, feed) = (
        server.router_endpoint.clone(),
        server.publish_endpoint.clone(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let thread = std::thread::spawn(move || server.run(&s).unwrap());

    // The client steps on its own thread and reports each step; a step
    // stuck in a blocking send would stop the reports.
    let (tx, rx) = std::sync::mpsc::channel();
    let curve = Some((server_keys.public, refused));
    let client_ctx = ctx.clone();
    let stepping = std::thread::spawn(move || {
        let mut client =
            ChatClient::connect_curve(&client_ctx, "mallory", &router, &feed, curve).unwrap();
        client.post("let me in");
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until {
            let events = client.step(Duration::from_millis(50)).unwrap();
            if tx.send(events).is_err() {
                return;
            }
        }
    });
    let mut diagnosis = None;
    loop {
        match rx.recv_timeout(Duration::from_secs(3)) {
            Ok(events) => {
                for event in events {
                    if let Event::Silent(why) = event {
                        diagnosis = Some(why);
                    }
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("a client step blocked for 3 s")
            }
        }
    }
    stepping.join().unwrap();
    let diagnosis = diagnosis.expect("a diagnosis after 5 s of silence");
    assert!(diagnosis.contains("refused our CURVE key"), "{diagnosis}");
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
}

#[test]
fn refused_plain_client_says_why_within_six_seconds_and_the_server_names_it() {
    let keys = tempfile::tempdir().unwrap();
    let server_key = make_keys("chatz", &keys.path().join("server"), "server");
    make_keys("chatz", &keys.path().join("allowed"), "alice");
    make_keys("chatz", &keys.path().join("others"), "mallory");
    let mut server = curve_server(
        &keys.path().join("server/server.key_secret"),
        &keys.path().join("allowed"),
    );
    let eps = server.endpoints_on_err("requests on");
    let mut cmd = Command::new(example("chatz"));
    cmd.args([
        "client",
        "--plain",
        "--handle",
        "mallory",
        "--server",
        &eps[0],
        "--feed",
        &eps[1],
        "--curve-server-key",
        &server_key,
        "--curve-cert",
    ]);
    cmd.arg(keys.path().join("others/mallory.key_secret"));
    let mut mallory = Proc::spawn("mallory", cmd);
    mallory.send_line("let me in");
    let said = mallory.expect_err(Duration::from_secs(6), |l| l.contains("nothing from"));
    assert!(said.contains("refused our CURVE key"), "{said}");
    let line = server.expect_err(LONG, |l| l.contains("refused 127.0.0.1:"));
    assert!(line.contains("ZAP status 400"), "{line}");
}

#[test]
fn plain_client_names_the_posts_it_could_not_deliver() {
    // A port nobody listens on, for both sockets.
    let nobody = {
        let ctx = zmq::Context::new();
        let s = ctx.socket(SocketType::Pub).unwrap();
        s.bind("tcp://127.0.0.1:*").unwrap();
        s.last_endpoint().unwrap()
    };
    let mut cmd = Command::new(example("chatz"));
    cmd.args([
        "client", "--plain", "--handle", "alice", "--server", &nobody, "--feed", &nobody,
    ]);
    let mut alice = Proc::spawn("alice alone", cmd);
    alice.send_line("is anyone there?");
    alice.close_stdin();
    let status = alice.wait(LONG);
    assert!(!status.success());
    assert!(
        alice
            .seen_err
            .iter()
            .any(|l| l.contains("not delivered: \"is anyone there?\"")),
        "{:#?}",
        alice.seen_err
    );
}
