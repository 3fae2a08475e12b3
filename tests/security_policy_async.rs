//! The authenticator's async policy (`Authenticator::set_async_policy`,
//! feature `tokio`): many handshakes in flight while the policy awaits, a
//! panicking policy, the built-in rules around it, the status a refused
//! client sees, and stopping with requests in flight. Over tcp on 127.0.0.1;
//! each client's outcome is read off its own monitor.
#![cfg(feature = "tokio")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use zmq::monitor::{EventKind, Monitor, MonitorEvents};
use zmq::security::{
    Authenticator, Credentials, CurveKeyPair, Decision, OwnedZapRequest, Verdict, ANY_DOMAIN,
};
use zmq::{opt, Context, Socket, SocketType};

mod security_support;
use security_support::{context, decision_log, require_curve};

/// How long a handshake's outcome may take to show: a watchdog, not a bound.
const OUTCOME_WAIT: Duration = Duration::from_secs(15);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// What a client's own monitor says about its handshake.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Connected,
    Refused(u32),
}

/// A client socket and the monitor that tells how its handshake ended.
struct Client {
    socket: Socket,
    monitor: Monitor,
}

impl Client {
    fn outcome(&mut self) -> Outcome {
        let event = self
            .monitor
            .next_timeout(OUTCOME_WAIT)
            .unwrap()
            .expect("no handshake event on the client's monitor");
        match event.kind {
            EventKind::HandshakeSucceeded => Outcome::Connected,
            EventKind::HandshakeFailedAuth { status_code } => Outcome::Refused(status_code),
            other => panic!("unexpected monitor event {other:?}"),
        }
    }
}

fn client_monitor(socket: Socket) -> Client {
    let monitor = socket
        .monitor(MonitorEvents::HANDSHAKE_SUCCEEDED | MonitorEvents::HANDSHAKE_FAILED_AUTH)
        .unwrap();
    Client { socket, monitor }
}

/// A PLAIN PULL server on tcp://127.0.0.1:*: the socket and its endpoint.
fn plain_server(ctx: &Context) -> (Socket, String) {
    let server = ctx.socket(SocketType::Pull).unwrap();
    server.plain_server().unwrap();
    server.set(opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.last_endpoint().unwrap();
    (server, endpoint)
}

fn plain_client(ctx: &Context, endpoint: &str, user: &str, password: &str) -> Client {
    let socket = ctx.socket(SocketType::Push).unwrap();
    socket.plain_client(user, password).unwrap();
    let client = client_monitor(socket);
    client.socket.connect(endpoint).unwrap();
    client
}

/// A CURVE PULL server on tcp://127.0.0.1:*: the socket, its keys and its
/// endpoint.
fn curve_server(ctx: &Context) -> (Socket, CurveKeyPair, String) {
    let keys = CurveKeyPair::generate().unwrap();
    let server = ctx.socket(SocketType::Pull).unwrap();
    server.curve_server(&keys.secret).unwrap();
    server.set(opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.last_endpoint().unwrap();
    (server, keys, endpoint)
}

fn curve_client(ctx: &Context, endpoint: &str, server: &CurveKeyPair) -> (Client, CurveKeyPair) {
    let keys = CurveKeyPair::generate().unwrap();
    let socket = ctx.socket(SocketType::Push).unwrap();
    socket.curve_client(&server.public, &keys).unwrap();
    let client = client_monitor(socket);
    client.socket.connect(endpoint).unwrap();
    (client, keys)
}

/// Counts the policy calls running at once, and the most seen.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl InFlight {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Even-numbered users are allowed.
fn is_even(number: usize) -> bool {
    number & 1 == 0
}

const CLIENTS: usize = 50;
const LOOKUP: Duration = Duration::from_millis(200);

#[test]
fn fifty_handshakes_wait_for_a_slow_async_policy_at_once() {
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let in_flight = Arc::new(InFlight::default());
    let policy_in_flight = Arc::clone(&in_flight);
    // Even-numbered users are allowed, odd-numbered ones revoked; each
    // answer takes a 200 ms "lookup".
    auth.set_async_policy(runtime.handle(), move |request: OwnedZapRequest| {
        let in_flight = Arc::clone(&policy_in_flight);
        async move {
            in_flight.enter();
            tokio::time::sleep(LOOKUP).await;
            in_flight.leave();
            let Credentials::Plain { username, password } = request.credentials() else {
                return Verdict::deny("PLAIN only");
            };
            let number: usize = username
                .strip_prefix("user-")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            if is_even(number) && password.matches(format!("pw-{number}")) {
                Verdict::allow(username).with_metadata("Number", number.to_string())
            } else {
                Verdict::deny("revoked")
            }
        }
    });
    let (server, endpoint) = plain_server(&ctx);

    let started = Instant::now();
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|i| plain_client(&ctx, &endpoint, &format!("user-{i}"), &format!("pw-{i}")))
        .collect();
    let outcomes: Vec<Outcome> = clients.iter_mut().map(Client::outcome).collect();
    let elapsed = started.elapsed();
    eprintln!(
        "{CLIENTS} handshakes answered in {elapsed:?} by a policy taking {LOOKUP:?} each \
         (at most {} policy calls at once)",
        in_flight.most.load(Ordering::SeqCst)
    );

    for (i, outcome) in outcomes.iter().enumerate() {
        let want = if is_even(i) {
            Outcome::Connected
        } else {
            Outcome::Refused(400)
        };
        assert_eq!(*outcome, want, "user-{i}");
    }
    // One after the other they would take 50 × 200 ms = 10 s.
    assert!(
        elapsed < Duration::from_secs(3),
        "{CLIENTS} handshakes took {elapsed:?}: the policy calls did not overlap"
    );
    assert!(in_flight.most.load(Ordering::SeqCst) > 1);

    // The accepted ones carry the policy's User-Id and metadata.
    for (i, client) in clients.iter().enumerate().filter(|(i, _)| is_even(*i)) {
        client.socket.send(format!("from {i}")).unwrap();
        let message = server.recv().unwrap();
        let user = format!("user-{i}");
        assert_eq!(message.user_id(), Some(user.as_str()));
        assert_eq!(message.property("Number"), Some(i.to_string().as_str()));
    }
    // Each decision is logged once, with the refusal's reason.
    let decisions: Vec<Decision> = (0..CLIENTS)
        .map(|_| logged.recv_timeout(OUTCOME_WAIT).unwrap())
        .collect();
    let refused: Vec<&Decision> = decisions.iter().filter(|d| !d.allowed).collect();
    assert_eq!(refused.len(), CLIENTS / 2);
    assert!(refused
        .iter()
        .all(|d| d.status == 400 && d.reason == "revoked"));
    assert!(logged.try_recv().is_err(), "a decision was logged twice");
}

#[test]
fn a_quick_verdict_overtakes_a_slow_one() {
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    // "slow" waits until the test lets it go; "quick" answers at once.
    let gate = Arc::new(tokio::sync::Notify::new());
    let policy_gate = Arc::clone(&gate);
    auth.set_async_policy(runtime.handle(), move |request: OwnedZapRequest| {
        let gate = Arc::clone(&policy_gate);
        async move {
            let Credentials::Plain { username, .. } = request.credentials() else {
                return Verdict::deny("PLAIN only");
            };
            if username == "slow" {
                gate.notified().await;
            }
            Verdict::allow(username)
        }
    });
    let (server, endpoint) = plain_server(&ctx);
    let mut slow = plain_client(&ctx, &endpoint, "slow", "pw");
    let mut quick = plain_client(&ctx, &endpoint, "quick", "pw");

    // The second handshake is answered while the first still waits.
    assert_eq!(quick.outcome(), Outcome::Connected);
    quick.socket.send("quick").unwrap();
    assert_eq!(server.recv().unwrap().user_id(), Some("quick"));
    gate.notify_one();
    assert_eq!(slow.outcome(), Outcome::Connected);
    slow.socket.send("slow").unwrap();
    assert_eq!(server.recv().unwrap().user_id(), Some("slow"));
}

#[test]
fn a_panicking_async_policy_refuses_with_500_and_the_authenticator_goes_on() {
    require_curve();
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let (server, server_keys, endpoint) = curve_server(&ctx);
    let good = CurveKeyPair::generate().unwrap();
    let good_key = good.public;
    auth.set_async_policy(
        runtime.handle(),
        move |request: OwnedZapRequest| async move {
            tokio::task::yield_now().await;
            match request.credentials() {
                Credentials::Curve { public_key } if public_key == good_key => {
                    Verdict::allow("good")
                }
                _ => panic!("the key service failed"),
            }
        },
    );

    let (mut stranger, stranger_keys) = curve_client(&ctx, &endpoint, &server_keys);
    assert_eq!(stranger.outcome(), Outcome::Refused(500));
    let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
    assert_eq!(
        (decision.allowed, decision.status, decision.reason.as_str()),
        (false, 500, "policy failed")
    );
    assert_eq!(decision.identity, stranger_keys.public.to_z85());

    // The authenticator, and the runtime, still answer.
    let socket = ctx.socket(SocketType::Push).unwrap();
    socket.curve_client(&server_keys.public, &good).unwrap();
    let mut client = client_monitor(socket);
    client.socket.connect(&endpoint).unwrap();
    assert_eq!(client.outcome(), Outcome::Connected);
    client.socket.send("in").unwrap();
    assert_eq!(server.recv().unwrap().user_id(), Some("good"));
}

#[test]
fn a_refused_client_sees_the_status_and_the_log_has_the_text() {
    require_curve();
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let (server, server_keys, endpoint) = curve_server(&ctx);
    // The client learns the status code only: libzmq's ERROR command
    // carries "400" or "500", not the text.
    for (status, text) in [(400, "revoked"), (500, "key service down")] {
        auth.set_async_policy(
            runtime.handle(),
            move |_request: OwnedZapRequest| async move {
                Verdict::Deny {
                    status,
                    text: text.into(),
                }
            },
        );
        let (mut client, _) = curve_client(&ctx, &endpoint, &server_keys);
        assert_eq!(client.outcome(), Outcome::Refused(u32::from(status)));
        let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
        assert_eq!((decision.status, decision.reason.as_str()), (status, text));
    }

    // 300 (try later): libzmq sends no ERROR command, so the client's
    // monitor reports no authentication failure; only the server's does.
    let mut server_monitor = server
        .monitor(MonitorEvents::HANDSHAKE_FAILED_AUTH)
        .unwrap();
    auth.set_async_policy(runtime.handle(), |_request: OwnedZapRequest| async {
        Verdict::Deny {
            status: 300,
            text: "key service busy".into(),
        }
    });
    let (mut client, _) = curve_client(&ctx, &endpoint, &server_keys);
    let event = server_monitor.next_timeout(OUTCOME_WAIT).unwrap();
    assert_eq!(
        event.map(|e| e.kind),
        Some(EventKind::HandshakeFailedAuth { status_code: 300 })
    );
    let seen = client.monitor.next_timeout(SILENCE).unwrap();
    assert!(seen.is_none(), "the client saw {seen:?}");
}

/// How long a client is watched for an event that must not come.
const SILENCE: Duration = Duration::from_millis(500);

#[test]
fn the_built_in_rules_apply_around_an_async_policy() {
    require_curve();
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let (_server, server_keys, endpoint) = curve_server(&ctx);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    auth.set_async_policy(runtime.handle(), move |_request: OwnedZapRequest| {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::task::yield_now().await;
            Verdict::UseRules
        }
    });

    // A denied address never reaches the policy.
    auth.deny("127.0.0.0/8").unwrap();
    let (mut client, _) = curve_client(&ctx, &endpoint, &server_keys);
    assert_eq!(client.outcome(), Outcome::Refused(400));
    let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
    assert_eq!(decision.reason, "address denied");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    auth.clear_addresses();

    // UseRules: the CURVE keys decide, as they are when the verdict returns.
    let listed = CurveKeyPair::generate().unwrap();
    auth.curve_allow_key(ANY_DOMAIN, &listed.public);
    let socket = ctx.socket(SocketType::Push).unwrap();
    socket.curve_client(&server_keys.public, &listed).unwrap();
    let mut client = client_monitor(socket);
    client.socket.connect(&endpoint).unwrap();
    assert_eq!(client.outcome(), Outcome::Connected);
    let (mut stranger, _) = curve_client(&ctx, &endpoint, &server_keys);
    assert_eq!(stranger.outcome(), Outcome::Refused(400));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let reasons: Vec<String> = (0..2)
        .map(|_| logged.recv_timeout(OUTCOME_WAIT).unwrap().reason)
        .collect();
    assert_eq!(reasons, ["OK", "key not allowed"]);
}

#[test]
fn stopping_with_requests_in_flight_refuses_them_without_hanging() {
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let (asked, questions) = mpsc::channel::<String>();
    let asked = Mutex::new(asked);
    // A lookup that never answers in time.
    auth.set_async_policy(runtime.handle(), move |request: OwnedZapRequest| {
        let _ = asked.lock().unwrap().send(request.mechanism().to_owned());
        async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Verdict::allow("late")
        }
    });
    let (_server, endpoint) = plain_server(&ctx);
    let mut clients: Vec<Client> = (0..5)
        .map(|i| plain_client(&ctx, &endpoint, &format!("user-{i}"), "pw"))
        .collect();
    for _ in 0..clients.len() {
        assert_eq!(questions.recv_timeout(OUTCOME_WAIT).unwrap(), "PLAIN");
    }

    let started = Instant::now();
    auth.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
    for client in &mut clients {
        assert_eq!(client.outcome(), Outcome::Refused(500));
    }
    for _ in 0..clients.len() {
        let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
        assert_eq!(
            (decision.status, decision.reason.as_str()),
            (500, "authenticator stopped")
        );
    }
    // The policy's tasks end with the runtime; their verdicts go nowhere.
    let started = Instant::now();
    runtime.shutdown_timeout(Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_runtime_shut_down_under_the_policy_refuses_its_handshakes() {
    let runtime = runtime();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let (asked, questions) = mpsc::channel::<()>();
    let asked = Mutex::new(asked);
    auth.set_async_policy(runtime.handle(), move |_request: OwnedZapRequest| {
        let _ = asked.lock().unwrap().send(());
        async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Verdict::allow("late")
        }
    });
    let (_server, endpoint) = plain_server(&ctx);
    let mut client = plain_client(&ctx, &endpoint, "user", "pw");
    questions.recv_timeout(OUTCOME_WAIT).unwrap();
    runtime.shutdown_timeout(Duration::from_secs(5));

    assert_eq!(client.outcome(), Outcome::Refused(500));
    let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
    assert_eq!(
        (decision.status, decision.reason.as_str()),
        (500, "policy dropped the request")
    );
    // With no runtime left, later handshakes are refused the same way.
    let mut client = plain_client(&ctx, &endpoint, "user", "pw");
    assert_eq!(client.outcome(), Outcome::Refused(500));
}

#[test]
fn a_context_shut_down_with_requests_in_flight_ends_without_hanging() {
    let runtime = runtime();
    let (asked, questions) = mpsc::channel::<()>();
    let (ended, end) = mpsc::channel::<()>();
    // Everything zmq in a thread of its own, so a hang fails the test
    // instead of stalling it.
    let worker = std::thread::spawn({
        let handle = runtime.handle().clone();
        move || {
            let ctx = context();
            let auth = Authenticator::start(&ctx).unwrap();
            let asked = Mutex::new(asked);
            auth.set_async_policy(&handle, move |_request: OwnedZapRequest| {
                let _ = asked.lock().unwrap().send(());
                async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Verdict::allow("late")
                }
            });
            let (server, endpoint) = plain_server(&ctx);
            let clients: Vec<Client> = (0..3)
                .map(|i| plain_client(&ctx, &endpoint, &format!("user-{i}"), "pw"))
                .collect();
            for _ in 0..clients.len() {
                questions.recv_timeout(OUTCOME_WAIT).unwrap();
            }
            ctx.shutdown().unwrap();
            drop((auth, server, clients, ctx));
            let _ = ended.send(());
        }
    });
    end.recv_timeout(OUTCOME_WAIT)
        .expect("dropping everything after Context::shutdown hung");
    worker.join().unwrap();
    // The policy tasks still sleeping end with the runtime.
    runtime.shutdown_timeout(Duration::from_secs(5));
}
