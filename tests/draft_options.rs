//! The draft socket options (libzmq built with its DRAFT API): each one is
//! accepted with its type, reads back where libzmq lets it, and the ones
//! with a visible effect have it.
#![cfg(zmq_draft)]

use std::time::Duration;
use zmq::{opt, Context, ErrorKind, Socket, SocketType};

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
    s.set(opt::SndTimeo, Duration::from_secs(5)).unwrap();
    s
}

#[test]
fn readable_draft_options_read_back_what_was_set() {
    let ctx = Context::new();
    let s = socket(&ctx, SocketType::Router);
    let notify = zmq::sys::ZMQ_NOTIFY_CONNECT | zmq::sys::ZMQ_NOTIFY_DISCONNECT;
    s.set(opt::RouterNotify, notify).unwrap();
    assert_eq!(s.get(opt::RouterNotify).unwrap(), notify);
    s.set(opt::ZapEnforceDomain, true).unwrap();
    assert!(s.get(opt::ZapEnforceDomain).unwrap());
    s.set(opt::InBatchSize, 4096).unwrap();
    assert_eq!(s.get(opt::InBatchSize).unwrap(), 4096);
    s.set(opt::OutBatchSize, 16384).unwrap();
    assert_eq!(s.get(opt::OutBatchSize).unwrap(), 16384);
    s.set(opt::SocksUsername, "alice").unwrap();
    assert_eq!(s.get(opt::SocksUsername).unwrap(), "alice");
    s.set(opt::SocksPassword, "secret").unwrap();
    assert_eq!(s.get(opt::SocksPassword).unwrap(), "secret");
    let stop = zmq::sys::ZMQ_RECONNECT_STOP_CONN_REFUSED;
    s.set(opt::ReconnectStop, stop).unwrap();
    assert_eq!(s.get(opt::ReconnectStop).unwrap(), stop);
    s.set(opt::Priority, 3).unwrap();
    assert_eq!(s.get(opt::Priority).unwrap(), 3);
    s.set(opt::LoopbackFastpath, true).unwrap();
    assert!(s.get(opt::LoopbackFastpath).unwrap());

    let radio = socket(&ctx, SocketType::Radio);
    radio.set(opt::MulticastLoop, false).unwrap();
    assert!(!radio.get(opt::MulticastLoop).unwrap());
}

#[test]
fn write_only_draft_options_are_accepted_and_bad_values_are_refused() {
    let ctx = Context::new();
    let router = socket(&ctx, SocketType::Router);
    router.set(opt::HelloMsg, b"hello").unwrap();
    router.set(opt::DisconnectMsg, b"gone").unwrap();
    router.set(opt::Metadata, "X-Team:blue").unwrap();
    router.set(opt::BusyPoll, true).unwrap();
    let err = router.set(opt::Metadata, "no-colon").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    let dealer = socket(&ctx, SocketType::Dealer);
    dealer.set(opt::HiccupMsg, b"hiccup").unwrap();

    let xpub = socket(&ctx, SocketType::XPub);
    xpub.set(opt::XpubManualLastValue, true).unwrap();
    xpub.set(opt::OnlyFirstSubscribe, true).unwrap();
    assert_eq!(xpub.get(opt::TopicsCount).unwrap(), 0);
    let xsub = socket(&ctx, SocketType::XSub);
    xsub.set(opt::XsubVerboseUnsubscribe, true).unwrap();
    xsub.set(opt::OnlyFirstSubscribe, true).unwrap();

    // No WSS nor NORM in this build: libzmq says so, this crate passes it on.
    if !zmq::has("wss") {
        assert!(router.set(opt::WssHostname, "example.org").is_err());
    }
    if !zmq::has("norm") {
        assert!(router.set(opt::NormMode, zmq::sys::ZMQ_NORM_CC).is_err());
    }
}

#[test]
fn router_notify_and_hello_and_disconnect_messages_arrive() {
    let ctx = Context::new();
    let router = socket(&ctx, SocketType::Router);
    router
        .set(
            opt::RouterNotify,
            zmq::sys::ZMQ_NOTIFY_CONNECT | zmq::sys::ZMQ_NOTIFY_DISCONNECT,
        )
        .unwrap();
    router.set(opt::HelloMsg, b"welcome").unwrap();
    router.set(opt::DisconnectMsg, b"gone").unwrap();
    router.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = router.last_endpoint().unwrap();

    let dealer = socket(&ctx, SocketType::Dealer);
    dealer.set(opt::RoutingId, b"d1").unwrap();
    dealer.connect(&endpoint).unwrap();

    // The ROUTER greets every new peer with its hello message...
    assert_eq!(dealer.recv().unwrap(), "welcome");
    // ...and, with ROUTER_NOTIFY, tells its application: routing id, then
    // an empty frame.
    assert_eq!(router.recv_multipart().unwrap(), [&b"d1"[..], &b""[..]]);

    // When the peer goes: the disconnect notification, and the disconnect
    // message on the peer's behalf.
    drop(dealer);
    let mut got = [
        router.recv_multipart().unwrap(),
        router.recv_multipart().unwrap(),
    ];
    got.sort_by(|a, b| a[1].cmp(&b[1]));
    assert_eq!(got[0], [&b"d1"[..], &b""[..]]);
    assert_eq!(got[1], [&b"d1"[..], &b"gone"[..]]);
}
