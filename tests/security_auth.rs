//! The ZAP authenticator: the NULL / PLAIN / CURVE matrix of pyzmq's
//! `test_auth` and czmq's zauth self-test, over tcp on 127.0.0.1.
//!
//! Every handshake is watched on the server's monitor (`zmq::monitor`), so a test waits for
//! the outcome instead of guessing how long it takes; "refused" also means
//! the client's message does not arrive within a short timeout.

use std::time::Duration;
use zmq::monitor::{EventKind, Monitor, MonitorEvents};
use zmq::security::{Authenticator, Certificate, CurveKeyPair, ANY_DOMAIN, ZAP_ENDPOINT};
use zmq::{Context, ErrorKind, Message, Socket, SocketType};

mod security_support;
use security_support::{context, require_curve};

/// How long a refused client's message is given to (wrongly) arrive.
const REFUSED_WAIT: Duration = Duration::from_millis(300);
/// An upper bound for things that happen quickly when all is well.
const OUTCOME_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, Eq)]
enum Handshake {
    Succeeded,
    FailedAuth(u32),
}

/// A PULL server on tcp://127.0.0.1:*, watched by a monitor, and a PUSH client.
struct Link {
    server: Socket,
    client: Socket,
    monitor: Monitor,
}

fn link(
    ctx: &Context,
    server_setup: impl FnOnce(&Socket),
    client_setup: impl FnOnce(&Socket),
) -> Link {
    let server = ctx.socket(SocketType::Pull).unwrap();
    server.set(zmq::opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    server_setup(&server);
    server.bind("tcp://127.0.0.1:*").unwrap();

    let monitor = server
        .monitor(MonitorEvents::HANDSHAKE_SUCCEEDED | MonitorEvents::HANDSHAKE_FAILED_AUTH)
        .unwrap();

    let client = ctx.socket(SocketType::Push).unwrap();
    client.set(zmq::opt::SndTimeo, Some(OUTCOME_WAIT)).unwrap();
    client_setup(&client);
    client.connect(&server.last_endpoint().unwrap()).unwrap();
    Link {
        server,
        client,
        monitor,
    }
}

impl Link {
    /// The outcome of the next handshake on the server.
    fn handshake(&mut self) -> Handshake {
        let event = self
            .monitor
            .next_timeout(OUTCOME_WAIT)
            .unwrap()
            .expect("no handshake event on the server's monitor");
        match event.kind {
            EventKind::HandshakeSucceeded => Handshake::Succeeded,
            EventKind::HandshakeFailedAuth { status_code } => Handshake::FailedAuth(status_code),
            other => panic!("unexpected monitor event {other:?}"),
        }
    }

    /// The client's message, after a successful handshake.
    fn accepted(&mut self) -> Message {
        self.client.send("hello").unwrap();
        assert_eq!(self.handshake(), Handshake::Succeeded);
        let msg = self
            .server
            .recv()
            .expect("an accepted client's message did not arrive");
        assert_eq!(msg, "hello");
        msg
    }

    /// The server refused the client (ZAP status 400) and its message never arrives.
    fn refused(&mut self) {
        self.client.send("hello").unwrap();
        assert_eq!(self.handshake(), Handshake::FailedAuth(400));
        self.server
            .set(zmq::opt::RcvTimeo, Some(REFUSED_WAIT))
            .unwrap();
        let err = self
            .server
            .recv()
            .expect_err("a refused client's message arrived");
        assert_eq!(err.kind(), ErrorKind::Timeout);
    }
}

fn null_server(domain: &'static str) -> impl FnOnce(&Socket) {
    move |s: &Socket| {
        if !domain.is_empty() {
            s.set_zap_domain(domain).unwrap();
        }
    }
}

fn no_setup(_: &Socket) {}

// ---- NULL -----------------------------------------------------------------

#[test]
fn null_without_a_domain_never_asks_the_authenticator() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.deny("127.0.0.1").unwrap();
    // libzmq consults ZAP for NULL only when the socket has a ZAP domain.
    let mut link = link(&ctx, no_setup, no_setup);
    link.accepted();
}

#[test]
fn null_with_a_domain_is_accepted() {
    let ctx = context();
    let _auth = Authenticator::start(&ctx).unwrap();
    let mut link = link(&ctx, null_server("global"), no_setup);
    let msg = link.accepted();
    assert_eq!(msg.user_id(), Some(""));
}

#[test]
fn denied_address_is_refused() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.deny("127.0.0.1").unwrap();
    link(&ctx, null_server("global"), no_setup).refused();
}

#[test]
fn allowed_address_passes_and_others_are_refused() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.allow("127.0.0.1").unwrap();
    link(&ctx, null_server("global"), no_setup).accepted();

    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.allow("192.0.2.1").unwrap();
    link(&ctx, null_server("global"), no_setup).refused();
}

#[test]
fn allow_and_deny_lists_do_not_mix() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.allow("127.0.0.1").unwrap();
    let err = auth.deny("192.0.2.1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    auth.clear_addresses();
    auth.deny("192.0.2.1").unwrap();
}

// ---- PLAIN ----------------------------------------------------------------

fn plain_server(s: &Socket) {
    s.plain_server().unwrap();
}

fn plain_client(user: &'static str, pass: &'static str) -> impl FnOnce(&Socket) {
    move |s: &Socket| s.plain_client(user, pass).unwrap()
}

#[test]
fn plain_right_password_passes_with_the_username_as_user_id() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    let msg = link(&ctx, plain_server, plain_client("admin", "Password")).accepted();
    assert_eq!(msg.user_id(), Some("admin"));
}

#[test]
fn plain_wrong_password_is_refused() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    link(&ctx, plain_server, plain_client("admin", "Bogus")).refused();
}

#[test]
fn plain_unknown_user_is_refused() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    link(&ctx, plain_server, plain_client("intruder", "Password")).refused();
}

#[test]
fn plain_users_belong_to_their_domain() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user("global", "admin", "Password");
    let in_domain = |s: &Socket| {
        s.plain_server().unwrap();
        s.set_zap_domain("global").unwrap();
    };
    let other_domain = |s: &Socket| {
        s.plain_server().unwrap();
        s.set_zap_domain("elsewhere").unwrap();
    };
    link(&ctx, in_domain, plain_client("admin", "Password")).accepted();
    link(&ctx, other_domain, plain_client("admin", "Password")).refused();
}

#[test]
fn settings_change_while_running() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    link(&ctx, plain_server, plain_client("late", "pw")).refused();
    auth.add_plain_user(ANY_DOMAIN, "late", "pw");
    link(&ctx, plain_server, plain_client("late", "pw")).accepted();
    assert!(auth.remove_plain_user(ANY_DOMAIN, "late"));
    link(&ctx, plain_server, plain_client("late", "pw")).refused();
    auth.set_plain_users(ANY_DOMAIN, [("a", "1"), ("b", "2")]);
    link(&ctx, plain_server, plain_client("b", "2")).accepted();
}

#[test]
fn metadata_arrives_as_message_properties() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    auth.set_metadata("admin", [("Hello", "World"), ("X-Role", "operator")])
        .unwrap();
    let msg = link(&ctx, plain_server, plain_client("admin", "Password")).accepted();
    assert_eq!(msg.property("Hello"), Some("World"));
    assert_eq!(msg.property("X-Role"), Some("operator"));
    assert_eq!(msg.user_id(), Some("admin"));

    let err = auth
        .set_metadata("admin", [("User-Id", "someone else")])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

// ---- CURVE ----------------------------------------------------------------

fn curve_server(keys: &CurveKeyPair) -> impl FnOnce(&Socket) + '_ {
    move |s: &Socket| s.curve_server(&keys.secret).unwrap()
}

fn curve_client<'a>(server: &'a CurveKeyPair, own: &'a CurveKeyPair) -> impl FnOnce(&Socket) + 'a {
    move |s: &Socket| s.curve_client(&server.public, own).unwrap()
}

#[test]
fn curve_allow_any_accepts_every_key() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.curve_allow_any(ANY_DOMAIN);
    let (server, client) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    let msg = link(&ctx, curve_server(&server), curve_client(&server, &client)).accepted();
    assert_eq!(msg.user_id(), Some(client.public.to_string().as_str()));
}

#[test]
fn curve_allow_listed_key_passes_with_its_z85_as_user_id() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let (server, client) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    auth.curve_allow_key(ANY_DOMAIN, &client.public);
    let msg = link(&ctx, curve_server(&server), curve_client(&server, &client)).accepted();
    assert_eq!(msg.user_id(), Some(client.public.to_z85().as_str()));
}

#[test]
fn curve_unlisted_key_is_refused() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    let server = CurveKeyPair::generate().unwrap();
    let (listed, stranger) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    auth.curve_allow_key(ANY_DOMAIN, &listed.public);
    link(
        &ctx,
        curve_server(&server),
        curve_client(&server, &stranger),
    )
    .refused();
    assert!(auth.curve_remove_key(ANY_DOMAIN, &listed.public));
    link(&ctx, curve_server(&server), curve_client(&server, &listed)).refused();
}

#[test]
fn curve_without_any_curve_setting_is_refused() {
    require_curve();
    let ctx = context();
    let _auth = Authenticator::start(&ctx).unwrap();
    let (server, client) = (
        CurveKeyPair::generate().unwrap(),
        CurveKeyPair::generate().unwrap(),
    );
    link(&ctx, curve_server(&server), curve_client(&server, &client)).refused();
}

#[test]
fn curve_certificate_directory_allows_its_keys_with_their_metadata() {
    require_curve();
    let dir = tempfile::tempdir().unwrap();
    let mut allowed = Certificate::generate().unwrap();
    allowed.set_metadata("name", "client-one").unwrap();
    allowed.save(dir.path().join("client.key")).unwrap();
    Certificate::generate()
        .unwrap()
        .save(dir.path().join("other.key"))
        .unwrap();

    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    assert_eq!(
        auth.curve_allow_certificates(ANY_DOMAIN, dir.path())
            .unwrap(),
        2
    );
    let server = CurveKeyPair::generate().unwrap();
    let client = Certificate::load(dir.path().join("client.key_secret"))
        .unwrap()
        .keypair()
        .expect("client.key_secret has the secret key");
    let msg = link(&ctx, curve_server(&server), curve_client(&server, &client)).accepted();
    assert_eq!(
        msg.user_id(),
        Some(allowed.public_key().to_string().as_str())
    );
    assert_eq!(msg.property("name"), Some("client-one"));

    let stranger = CurveKeyPair::generate().unwrap();
    link(
        &ctx,
        curve_server(&server),
        curve_client(&server, &stranger),
    )
    .refused();
}

#[test]
fn curve_malformed_keys_are_clear_errors() {
    require_curve();
    let ctx = context();
    let sock = ctx.socket(SocketType::Dealer).unwrap();
    let err = sock.set(zmq::opt::CurveServerkey, "not a key").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ZMQ_CURVE_SERVERKEY"), "{err}");
    // 40 characters, one outside Z85 (libzmq issue 1250).
    let err = sock
        .set(
            zmq::opt::CurveServerkey,
            "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI\"",
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI\""
        .parse::<zmq::security::PublicKey>()
        .unwrap_err();
    assert!(err.to_string().contains("Z85 alphabet"), "{err}");
}

// ---- the authenticator itself ----------------------------------------------

#[test]
fn after_the_authenticator_stops_null_connections_work_again() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.deny("127.0.0.1").unwrap();
    link(&ctx, null_server("global"), no_setup).refused();
    auth.stop();
    link(&ctx, null_server("global"), no_setup).accepted();
    // A new authenticator can take over the endpoint.
    let again = Authenticator::start(&ctx).unwrap();
    again.deny("127.0.0.1").unwrap();
    link(&ctx, null_server("global"), no_setup).refused();
}

#[test]
fn one_authenticator_per_context() {
    let ctx = context();
    let _first = Authenticator::start(&ctx).unwrap();
    let err = Authenticator::start(&ctx).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddressInUse);
    assert!(err.to_string().contains(ZAP_ENDPOINT), "{err}");
    // Another context has its own.
    let _other = Authenticator::start(&context()).unwrap();
}

#[test]
fn malformed_zap_requests_get_400_and_the_authenticator_keeps_serving() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    let rogue = ctx.socket(SocketType::Dealer).unwrap();
    rogue.set(zmq::opt::RcvTimeo, Some(OUTCOME_WAIT)).unwrap();
    rogue.connect(ZAP_ENDPOINT).unwrap();

    let requests: [&[&str]; 5] = [
        &["", "1.0", "42"],
        &["", "9.9", "42", "", "127.0.0.1", "", "NULL"],
        &["", "1.0", "42", "", "127.0.0.1", "", "PLAIN", "admin"],
        &["", "1.0", "42", "", "127.0.0.1", "", "CURVE", "short key"],
        &["", "1.0", "42", "", "127.0.0.1", "", "SHOUTING"],
    ];
    for request in requests {
        rogue.send_multipart(request.iter().copied()).unwrap();
        let reply = rogue.recv_multipart().unwrap();
        assert_eq!(reply.len(), 7, "{request:?} -> {reply:?}");
        assert_eq!(reply[0], "");
        assert_eq!(reply[1], "1.0");
        assert_eq!(reply[3], "400", "{request:?} -> {reply:?}");
        if request.len() > 2 {
            assert_eq!(reply[2], "42");
        }
    }
    // Not even a delimiter: still answered, and still serving afterwards.
    rogue.send("garbage").unwrap();
    let reply = rogue.recv_multipart().unwrap();
    assert_eq!(reply[2], "400");

    rogue
        .send_multipart([
            "",
            "1.0",
            "7",
            "",
            "127.0.0.1",
            "",
            "PLAIN",
            "admin",
            "Password",
        ])
        .unwrap();
    let reply = rogue.recv_multipart().unwrap();
    assert_eq!(reply[3], "200");
    assert_eq!(reply[5], "admin");
    link(&ctx, plain_server, plain_client("admin", "Password")).accepted();
}

#[test]
fn context_shutdown_ends_the_authenticator_without_hanging() {
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    ctx.shutdown().unwrap();
    drop(auth);
}

#[test]
fn authenticator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Authenticator>();
}

#[test]
fn refused_clients_show_as_handshake_failed_auth_on_the_servers_monitor() {
    require_curve();
    let ctx = context();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.add_plain_user(ANY_DOMAIN, "admin", "Password");
    auth.curve_allow_any("curve-only");

    let mut wrong_password = link(&ctx, plain_server, plain_client("admin", "nope"));
    wrong_password.client.send("hello").unwrap();
    assert_eq!(wrong_password.handshake(), Handshake::FailedAuth(400));

    let server = CurveKeyPair::generate().unwrap();
    let client = CurveKeyPair::generate().unwrap();
    let mut no_curve_keys = link(&ctx, curve_server(&server), curve_client(&server, &client));
    no_curve_keys.client.send("hello").unwrap();
    assert_eq!(no_curve_keys.handshake(), Handshake::FailedAuth(400));

    auth.deny("127.0.0.1").unwrap();
    let mut denied = link(&ctx, null_server("global"), no_setup);
    denied.client.send("hello").unwrap();
    assert_eq!(denied.handshake(), Handshake::FailedAuth(400));
}
