//! A pyzmq client refused by our authenticator's policy, sync and async:
//! what it sees (its monitor's HANDSHAKE_FAILED_AUTH with the ZAP status
//! code) and what only the server knows (the status text, in the decision
//! log). libzmq's ERROR command carries the three-digit status code and
//! nothing else, so the text "revoked" never reaches the client.
//!
//! pyzmq runs from the venv the tests provision themselves
//! (`demo_support::python`); without python3 the test fails saying how to get
//! it, it does not skip.

mod demo_support;

use std::sync::mpsc;
use std::time::Duration;

use demo_support::python;
use zmq::security::{Authenticator, Credentials, CurveKeyPair, Decision, Verdict};
use zmq::{Context, SocketType};

mod security_support;
use security_support::decision_log;

const WAIT: Duration = Duration::from_secs(15);

/// The policy's answer to every CURVE client here.
fn revoked() -> Verdict {
    Verdict::Deny {
        status: 400,
        text: "revoked".into(),
    }
}

/// Runs the pyzmq client against a CURVE ROUTER of `ctx` (whose
/// authenticator is set up): the lines it printed and the decision logged.
fn refused_pyzmq_client(
    ctx: &Context,
    logged: &mpsc::Receiver<Decision>,
) -> (Vec<String>, Decision) {
    assert!(zmq::has("curve"), "this libzmq has no CURVE support");
    let keys = CurveKeyPair::generate().unwrap();
    let server = ctx.socket(SocketType::Router).unwrap();
    server.curve_server(&keys.secret).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.last_endpoint().unwrap();
    let output = python("security_refused_client.py")
        .args([endpoint.as_str(), &keys.public.to_z85()])
        .output()
        .expect("running the pyzmq client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the pyzmq client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let decision = logged.recv_timeout(WAIT).expect("no decision logged");
    (lines, decision)
}

/// The client saw the status code, not the text; the server's log has both
/// and the client's key.
fn check(lines: &[String], decision: &Decision) {
    assert_eq!(lines.len(), 2, "{lines:?}");
    let client_key = lines[0]
        .strip_prefix("client key ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(lines[1], "event HANDSHAKE_FAILED_AUTH 400");
    assert!(!lines.iter().any(|l| l.contains("revoked")));
    assert_eq!(
        (decision.allowed, decision.status, decision.reason.as_str()),
        (false, 400, "revoked")
    );
    assert_eq!(decision.identity, client_key);
    assert_eq!(decision.mechanism, "CURVE");
    let short: String = client_key.chars().take(5).collect();
    assert_eq!(
        decision.to_string(),
        format!("denied 127.0.0.1 CURVE key {short}… (domain \"\"): 400 revoked")
    );
}

#[test]
fn a_pyzmq_client_refused_by_a_policy_sees_the_status_code() {
    let ctx = Context::new();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    auth.set_policy(|request| match request.credentials() {
        Credentials::Curve { .. } => revoked(),
        _ => Verdict::deny("CURVE only"),
    });
    let (lines, decision) = refused_pyzmq_client(&ctx, &logged);
    check(&lines, &decision);
}

#[cfg(feature = "tokio")]
#[test]
fn a_pyzmq_client_refused_by_an_async_policy_sees_the_status_code() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let ctx = Context::new();
    let auth = Authenticator::start(&ctx).unwrap();
    let logged = decision_log(&auth);
    auth.set_async_policy(runtime.handle(), |request| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        match request.credentials() {
            Credentials::Curve { .. } => revoked(),
            _ => Verdict::deny("CURVE only"),
        }
    });
    let (lines, decision) = refused_pyzmq_client(&ctx, &logged);
    check(&lines, &decision);
}
