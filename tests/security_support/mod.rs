//! What the security tests share: the CURVE check, a context that does not
//! linger, and the authenticator's decision log as a channel. Not every
//! test file uses every helper.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use zmq::security::{Authenticator, Decision};
use zmq::Context;

/// Fails (never skips) when the libzmq in use has no CURVE: every build
/// these tests run on should have it.
pub fn require_curve() {
    assert!(
        zmq::has("curve"),
        "this libzmq has no CURVE support; the CURVE tests need it (build libzmq with libsodium)"
    );
}

/// A context whose sockets do not linger, so a refused client's queued
/// message cannot hold up the end of a test.
pub fn context() -> Context {
    Context::builder()
        .default_linger(Some(Duration::ZERO))
        .build()
        .unwrap()
}

/// Every decision the authenticator logs, on a channel.
pub fn decision_log(auth: &Authenticator) -> mpsc::Receiver<Decision> {
    let (decisions, logged) = mpsc::channel::<Decision>();
    let decisions = Mutex::new(decisions);
    auth.on_decision(move |decision| {
        let _ = decisions.lock().unwrap().send(decision.clone());
    });
    logged
}
