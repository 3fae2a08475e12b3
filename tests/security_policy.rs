//! The authenticator asking your code: a policy closure (keys revoked and
//! added at run time), a panicking policy, CIDR allow and deny rules, and the
//! decision log. Over tcp on 127.0.0.1; every handshake's outcome is read off
//! the server's monitor, with the ZAP status the client's peer reports.

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zmq::monitor::{EventKind, Monitor, MonitorEvents};
use zmq::security::{Authenticator, Credentials, CurveKeyPair, Verdict};
use zmq::{opt, Context, Socket, SocketType};

mod security_support;
use security_support::{context, decision_log, require_curve};

const OUTCOME_WAIT: Duration = Duration::from_secs(10);

/// A CURVE PULL server on tcp://127.0.0.1:*, watched by a monitor.
struct Server {
    socket: Socket,
    monitor: Monitor,
    keys: CurveKeyPair,
    endpoint: String,
}

fn curve_server(ctx: &Context) -> Server {
    let keys = CurveKeyPair::generate().unwrap();
    let socket = ctx.socket(SocketType::Pull).unwrap();
    socket.set(opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    socket.curve_server(&keys.secret).unwrap();
    socket.bind("tcp://127.0.0.1:*").unwrap();
    let monitor = socket
        .monitor(MonitorEvents::HANDSHAKE_SUCCEEDED | MonitorEvents::HANDSHAKE_FAILED_AUTH)
        .unwrap();
    let endpoint = socket.last_endpoint().unwrap();
    Server {
        socket,
        monitor,
        keys,
        endpoint,
    }
}

impl Server {
    /// Connects a CURVE client with `keys` and sends "hello": the ZAP status
    /// of the handshake (200 when it succeeded), and the client.
    fn connect(&mut self, ctx: &Context, keys: &CurveKeyPair) -> (u32, Socket) {
        let client = ctx.socket(SocketType::Push).unwrap();
        client.curve_client(&self.keys.public, keys).unwrap();
        client.connect(&self.endpoint).unwrap();
        client.send("hello").unwrap();
        let event = self
            .monitor
            .next_timeout(OUTCOME_WAIT)
            .unwrap()
            .expect("no handshake event on the server's monitor");
        let status = match event.kind {
            EventKind::HandshakeSucceeded => {
                assert_eq!(self.socket.recv().unwrap(), "hello");
                200
            }
            EventKind::HandshakeFailedAuth { status_code } => status_code,
            other => panic!("unexpected monitor event {other:?}"),
        };
        (status, client)
    }
}

#[test]
fn a_policy_backed_by_a_shared_set_revokes_and_adds_keys_without_a_restart() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let allowed: Arc<Mutex<HashSet<String>>> = Arc::default();
    let keys = Arc::clone(&allowed);
    auth.set_policy(move |request| match request.credentials() {
        Credentials::Curve { public_key } => {
            let key = public_key.to_z85();
            if keys.lock().unwrap().contains(&key) {
                Verdict::allow(format!("user-{}", &key[..5])).with_metadata("Tier", "gold")
            } else {
                Verdict::deny("revoked")
            }
        }
        _ => Verdict::deny("CURVE only"),
    });
    let mut server = curve_server(&ctx);
    let alice = CurveKeyPair::generate().unwrap();
    let bob = CurveKeyPair::generate().unwrap();

    // Unknown: refused. Added at run time: accepted on its next connection,
    // with the policy's User-Id and metadata on its messages.
    assert_eq!(server.connect(&ctx, &alice).0, 400);
    allowed.lock().unwrap().insert(alice.public.to_z85());
    let (status, alice_client) = server.connect(&ctx, &alice);
    assert_eq!(status, 200);
    alice_client.send("again").unwrap();
    let message = server.socket.recv().unwrap();
    assert_eq!(message, "again");
    let user = format!("user-{}", &alice.public.to_z85()[..5]);
    assert_eq!(message.user_id(), Some(user.as_str()));
    assert_eq!(message.property("Tier"), Some("gold"));

    allowed.lock().unwrap().insert(bob.public.to_z85());
    assert_eq!(server.connect(&ctx, &bob).0, 200);

    // Revoked: refused on its next connection, while the established peer
    // stays connected.
    allowed.lock().unwrap().remove(&alice.public.to_z85());
    assert_eq!(server.connect(&ctx, &alice).0, 400);
    alice_client.send("still here").unwrap();
    assert_eq!(server.socket.recv().unwrap(), "still here");
}

#[test]
fn a_panicking_policy_refuses_with_500_and_the_authenticator_goes_on() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    let good = CurveKeyPair::generate().unwrap();
    let good_key = good.public.to_z85();
    auth.set_policy(move |request| match request.credentials() {
        Credentials::Curve { public_key } if public_key.to_z85() == good_key => {
            Verdict::allow("good")
        }
        _ => panic!("the policy's lookup failed"),
    });
    let mut server = curve_server(&ctx);
    let stranger = CurveKeyPair::generate().unwrap();
    assert_eq!(server.connect(&ctx, &stranger).0, 500);
    let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
    assert!(!decision.allowed);
    assert_eq!(
        (decision.status, decision.reason.as_str()),
        (500, "policy failed")
    );
    assert_eq!(decision.identity, stranger.public.to_z85());
    // The authenticator still answers.
    assert_eq!(server.connect(&ctx, &good).0, 200);
    let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
    assert!(decision.allowed);
    assert_eq!(decision.user_id, "good");
}

#[test]
fn a_policy_can_defer_to_the_built_in_rules() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let listed = CurveKeyPair::generate().unwrap();
    auth.curve_allow_key(zmq::security::ANY_DOMAIN, &listed.public);
    auth.set_policy(|_| Verdict::UseRules);
    let mut server = curve_server(&ctx);
    assert_eq!(server.connect(&ctx, &listed).0, 200);
    assert_eq!(
        server.connect(&ctx, &CurveKeyPair::generate().unwrap()).0,
        400
    );
    // Without the policy, the same.
    auth.clear_policy();
    assert_eq!(server.connect(&ctx, &listed).0, 200);
}

#[test]
fn a_deny_status_of_300_reaches_the_monitor() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.set_policy(|_| Verdict::Deny {
        status: 300,
        text: "key service unavailable, retry".into(),
    });
    let mut server = curve_server(&ctx);
    assert_eq!(
        server.connect(&ctx, &CurveKeyPair::generate().unwrap()).0,
        300
    );
}

#[test]
fn cidr_rules_allow_and_deny_ranges() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.curve_allow_any(zmq::security::ANY_DOMAIN);
    let client = CurveKeyPair::generate().unwrap();
    let mut server = curve_server(&ctx);

    auth.deny("127.0.0.0/8").unwrap();
    assert_eq!(
        server.connect(&ctx, &client).0,
        400,
        "127.0.0.1 is in 127.0.0.0/8"
    );
    auth.clear_addresses();
    auth.deny("10.0.0.0/8").unwrap();
    assert_eq!(
        server.connect(&ctx, &client).0,
        200,
        "127.0.0.1 is not in 10.0.0.0/8"
    );
    auth.clear_addresses();
    auth.allow("127.0.0.0/30").unwrap();
    assert_eq!(server.connect(&ctx, &client).0, 200);
    auth.clear_addresses();
    auth.allow("127.0.0.2/31").unwrap();
    assert_eq!(
        server.connect(&ctx, &client).0,
        400,
        "127.0.0.1 is not in 127.0.0.2/31"
    );

    // A malformed range is refused with the reason, and changes nothing.
    let error = auth.allow("127.0.0.1/8").unwrap_err();
    assert_eq!(error.kind(), zmq::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("past the prefix"), "{error}");
}

#[test]
fn the_decision_log_names_the_peer_and_never_the_password() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(zmq::security::ANY_DOMAIN, "admin", "s3cret-password");
    let logged = decision_log(&auth);
    let server = ctx.socket(SocketType::Pull).unwrap();
    server.plain_server().unwrap();
    server.set_zap_domain("global").unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    for password in ["wrong-password", "s3cret-password"] {
        let client = ctx.socket(SocketType::Push).unwrap();
        client.plain_client("admin", password).unwrap();
        client.connect(&server.last_endpoint().unwrap()).unwrap();
        client.send("hi").unwrap();
        let decision = logged.recv_timeout(OUTCOME_WAIT).unwrap();
        let line = decision.to_string();
        assert!(
            !line.contains("password") || !line.contains(password),
            "{line}"
        );
        assert!(!format!("{decision:?}").contains(password), "{decision:?}");
        assert_eq!(decision.mechanism, "PLAIN");
        assert_eq!(decision.identity, "admin");
        assert_eq!(decision.domain, "global");
        assert_eq!(decision.address, "127.0.0.1");
        if password.starts_with("wrong") {
            assert_eq!(
                line,
                "denied 127.0.0.1 PLAIN user \"admin\" (domain \"global\"): 400 wrong password"
            );
        } else {
            assert!(decision.allowed, "{line}");
            assert!(line.starts_with("allowed 127.0.0.1 PLAIN"), "{line}");
        }
    }
}

#[test]
fn a_logged_request_never_shows_a_password() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let (seen, requests) = mpsc::channel::<String>();
    let seen = Mutex::new(seen);
    auth.set_policy(move |request| {
        let _ = seen.lock().unwrap().send(format!("{request:?}"));
        match request.credentials() {
            Credentials::Plain { password, .. } if password.matches("open sesame") => {
                Verdict::allow("admin")
            }
            _ => Verdict::deny("no"),
        }
    });
    let server = ctx.socket(SocketType::Pull).unwrap();
    server.plain_server().unwrap();
    server.set(opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let client = ctx.socket(SocketType::Push).unwrap();
    client.plain_client("admin", "open sesame").unwrap();
    client.connect(&server.last_endpoint().unwrap()).unwrap();
    client.send("in").unwrap();
    assert_eq!(server.recv().unwrap().user_id(), Some("admin"));
    let logged = requests.recv_timeout(OUTCOME_WAIT).unwrap();
    assert!(
        logged.contains("admin") && logged.contains("<hidden>"),
        "{logged}"
    );
    assert!(!logged.contains("sesame"), "{logged}");
}
