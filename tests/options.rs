//! Typed options round-trip with the types and defaults libzmq documents.

use std::time::Duration;
use zmq::{opt, Context, SecurityMechanism, SocketType};

#[test]
fn integer_and_flag_options_round_trip() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Dealer).unwrap();
    assert_eq!(s.get(opt::SndHwm).unwrap(), 1000, "libzmq's default");
    s.set(opt::SndHwm, 10_000).unwrap();
    assert_eq!(s.get(opt::SndHwm).unwrap(), 10_000);
    s.set(opt::RcvHwm, 0).unwrap();
    assert_eq!(s.get(opt::RcvHwm).unwrap(), 0);
    s.set(opt::Affinity, 3u64).unwrap();
    assert_eq!(s.get(opt::Affinity).unwrap(), 3);
    s.set(opt::MaxMsgSize, 1i64 << 40).unwrap();
    assert_eq!(s.get(opt::MaxMsgSize).unwrap(), 1 << 40);
    assert!(!s.get(opt::Immediate).unwrap());
    s.set(opt::Immediate, true).unwrap();
    assert!(s.get(opt::Immediate).unwrap());
    s.set(opt::Ipv6, true).unwrap();
    assert!(s.get(opt::Ipv6).unwrap());
    assert_eq!(s.get(opt::Type).unwrap(), SocketType::Dealer);
    assert!(!s.get(opt::ThreadSafe).unwrap());
    assert!(!s.get(opt::RcvMore).unwrap());
}

#[test]
fn time_options_are_durations_with_none_for_forever() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Req).unwrap();
    assert_eq!(
        s.get(opt::RcvTimeo).unwrap(),
        None,
        "blocks forever by default"
    );
    s.set(opt::RcvTimeo, Duration::from_millis(250)).unwrap();
    assert_eq!(
        s.get(opt::RcvTimeo).unwrap(),
        Some(Duration::from_millis(250))
    );
    s.set(opt::RcvTimeo, None).unwrap();
    assert_eq!(s.get(opt::RcvTimeo).unwrap(), None);
    s.set(opt::Linger, Some(Duration::ZERO)).unwrap();
    assert_eq!(s.get(opt::Linger).unwrap(), Some(Duration::ZERO));
    assert_eq!(
        s.get(opt::ReconnectIvl).unwrap(),
        Some(Duration::from_millis(100))
    );
    s.set(opt::ReconnectIvlMax, Duration::from_secs(5)).unwrap();
    assert_eq!(s.get(opt::ReconnectIvlMax).unwrap(), Duration::from_secs(5));
    assert_eq!(s.get(opt::HandshakeIvl).unwrap(), Duration::from_secs(30));
    s.set(opt::HeartbeatIvl, Duration::from_secs(1)).unwrap();
    assert_eq!(s.get(opt::HeartbeatIvl).unwrap(), Duration::from_secs(1));
    assert_eq!(
        s.get(opt::TcpKeepaliveIdle).unwrap(),
        None,
        "the OS default"
    );
    s.set(opt::TcpKeepaliveIdle, Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        s.get(opt::TcpKeepaliveIdle).unwrap(),
        Some(Duration::from_secs(60))
    );
}

#[test]
fn byte_and_string_options_are_sized_to_their_value() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Dealer).unwrap();
    let long_id = vec![b'r'; 255];
    s.set(opt::RoutingId, &long_id).unwrap();
    assert_eq!(s.get(opt::RoutingId).unwrap(), long_id);
    s.set(opt::ZapDomain, "global").unwrap();
    assert_eq!(s.get(opt::ZapDomain).unwrap(), "global");
    // A long ipc path comes back whole from ZMQ_LAST_ENDPOINT (not on
    // windows-gnu, whose libzmq has no ipc: see version_and_capabilities).
    #[cfg(not(all(windows, target_env = "gnu")))]
    {
        let dir = std::env::temp_dir().join("z".repeat(60));
        std::fs::create_dir_all(&dir).unwrap();
        let endpoint = format!("ipc://{}/options-{}.ipc", dir.display(), std::process::id());
        s.bind(&endpoint).unwrap();
        assert_eq!(s.last_endpoint().unwrap(), endpoint);
    }
}

#[test]
fn security_options_report_the_mechanism() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Rep).unwrap();
    assert_eq!(s.get(opt::Mechanism).unwrap(), SecurityMechanism::Null);
    s.set(opt::PlainServer, true).unwrap();
    assert_eq!(s.get(opt::Mechanism).unwrap(), SecurityMechanism::Plain);
    let c = ctx.socket(SocketType::Req).unwrap();
    c.set(opt::PlainUsername, "admin").unwrap();
    c.set(opt::PlainPassword, "secret").unwrap();
    assert_eq!(c.get(opt::PlainUsername).unwrap(), "admin");
    // A CURVE key in Z85 or binary form; it reads back as 32 bytes.
    let z85 = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    c.set(opt::CurveServerkey, z85).unwrap();
    let binary = c.get(opt::CurveServerkey).unwrap();
    assert_eq!(zmq::z85::encode(&binary).unwrap(), z85);
    c.set(opt::CurveServerkey, binary).unwrap();
    assert_eq!(c.get(opt::Mechanism).unwrap(), SecurityMechanism::Curve);
}

#[test]
fn context_options_are_set_by_the_builder() {
    let ctx = Context::builder()
        .io_threads(2)
        .max_sockets(100)
        .ipv6(true)
        .blocky(false)
        .thread_name_prefix(7)
        .build()
        .unwrap();
    assert_eq!(ctx.io_threads().unwrap(), 2);
    assert_eq!(ctx.max_sockets().unwrap(), 100);
    assert!(ctx.ipv6().unwrap());
    assert!(!ctx.blocky().unwrap());
    assert_eq!(ctx.message_struct_size().unwrap(), 64);
    assert!(ctx.socket_limit().unwrap() >= 100);
    let err = Context::builder().io_threads(-1).build().unwrap_err();
    assert_eq!(err.kind(), zmq::ErrorKind::InvalidInput);
    assert_eq!(err.detail(), Some("ZMQ_IO_THREADS"));
}

#[test]
fn max_sockets_is_enforced_with_a_clear_error() {
    let ctx = Context::builder().max_sockets(2).build().unwrap();
    let _a = ctx.socket(SocketType::Pair).unwrap();
    let _b = ctx.socket(SocketType::Pair).unwrap();
    let err = ctx.socket(SocketType::Pair).unwrap_err();
    assert_eq!(err.kind(), zmq::ErrorKind::TooManySockets);
}

#[test]
fn version_and_capabilities() {
    let (major, minor, patch) = zmq::version();
    if option_env!("LIBZMQ_NO_VENDOR").is_none() {
        assert_eq!((major, minor, patch), (4, 3, 5), "the vendored libzmq");
        assert!(zmq::has("curve"), "the vendored build must have CURVE");
        // libzmq 4.3.5's ipc does not compile with mingw (vendor/README.md).
        assert_eq!(zmq::has("ipc"), !cfg!(all(windows, target_env = "gnu")));
        assert!(zmq::has("WS") && zmq::has("ws"));
    } else {
        assert!((major, minor) >= (4, 3));
    }
    assert!(!zmq::has("no-such-capability"));
}
