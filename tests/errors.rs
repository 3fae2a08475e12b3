//! Bad input gets a clear error naming what was wrong, never a panic.

use std::time::Duration;
use zmq::{opt, Context, ErrorKind, SocketType};

#[test]
fn malformed_endpoints_are_invalid_input_naming_the_endpoint() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Pub).unwrap();
    for bad in [
        "tcp://",
        "tcp://127.0.0.1",
        "nonsense",
        "tcp://127.0.0.1:notaport",
        "",
    ] {
        let err = s.bind(bad).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidInput | ErrorKind::UnsupportedTransport
            ),
            "{bad}: {err:?}"
        );
        assert_eq!(err.operation(), "bind");
        let shown = if bad.is_empty() {
            "(empty endpoint)"
        } else {
            bad
        };
        assert_eq!(err.detail(), Some(shown));
    }
}

#[test]
fn unknown_transport_is_unsupported() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Sub).unwrap();
    let err = s.connect("carrier-pigeon://coop").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedTransport);
    assert!(err.to_string().contains("carrier-pigeon://coop"), "{err}");
}

#[test]
fn nul_bytes_are_rejected_before_reaching_libzmq() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Pub).unwrap();
    let err = s.bind("inproc://a\0b").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = s.set(opt::ZapDomain, "dom\0ain").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.detail(), Some("ZMQ_ZAP_DOMAIN"));
    assert!(!zmq::has("cu\0rve"));
}

#[test]
fn address_in_use_names_the_endpoint() {
    let ctx = Context::new();
    let a = ctx.socket(SocketType::Rep).unwrap();
    a.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = a.last_endpoint().unwrap();
    let b = ctx.socket(SocketType::Rep).unwrap();
    let err = b.bind(&endpoint).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddressInUse);
    assert!(err.to_string().contains(&endpoint), "{err}");
    let err = b
        .bind("inproc://taken")
        .and_then(|_| a.bind("inproc://taken"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddressInUse);
}

#[test]
fn unbinding_what_was_never_bound_is_not_found() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Rep).unwrap();
    let err = s.unbind("tcp://127.0.0.1:1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = s.disconnect("tcp://127.0.0.1:1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn invalid_option_values_name_the_option() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Dealer).unwrap();
    let err = s.set(opt::SndHwm, -5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.detail(), Some("ZMQ_SNDHWM"));
    assert!(err.to_string().contains("ZMQ_SNDHWM"), "{err}");
    // A routing id may not be empty nor longer than 255 bytes.
    assert!(s.set(opt::RoutingId, b"").is_err());
    assert!(s.set(opt::RoutingId, [b'x'; 256]).is_err());
    // Durations that do not fit libzmq's int are refused, not truncated.
    let err = s
        .set(opt::Linger, Duration::from_secs(10_000_000))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // A CURVE key is 32 bytes or 40 Z85 characters.
    let err = s.set(opt::CurveServerkey, b"short").unwrap_err();
    assert_eq!(err.detail(), Some("ZMQ_CURVE_SERVERKEY"));
    // Subscribing is for SUB sockets.
    assert!(s.subscribe("x").is_err());
}

#[test]
fn invalid_utf8_is_an_error_that_hands_the_bytes_back() {
    let ctx = Context::new();
    let a = ctx.socket(SocketType::Pair).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    a.bind("inproc://utf8").unwrap();
    b.connect("inproc://utf8").unwrap();
    a.send(&[0xff, 0xfe, b'o', b'k'][..]).unwrap();
    match b.recv_string() {
        Err(zmq::RecvStringError::InvalidUtf8(msg)) => assert_eq!(msg, [0xff, 0xfe, b'o', b'k']),
        other => panic!("expected invalid UTF-8, got {other:?}"),
    }
    a.send(&[0xc3][..]).unwrap();
    let err: zmq::Error = b.recv_string().unwrap_err().into();
    assert_eq!(err.kind(), ErrorKind::InvalidUtf8);
}

#[test]
fn a_message_over_maxmsgsize_is_refused() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set(opt::MaxMsgSize, 100i64).unwrap();
    pull.set(opt::RcvTimeo, Duration::from_millis(300)).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    push.send(vec![1u8; 101]).unwrap();
    // The oversized message drops the connection; nothing is delivered.
    assert!(pull.recv().unwrap_err().is_timeout());
    // A context-wide limit refuses it when sending.
    let small = Context::builder().max_message_size(64).build().unwrap();
    assert_eq!(small.max_message_size().unwrap(), 64);
}

#[test]
fn a_receive_timeout_is_its_own_error_kind() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Pull).unwrap();
    s.bind("inproc://timeout").unwrap();
    s.set(opt::RcvTimeo, Duration::from_millis(20)).unwrap();
    let err = s.recv().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout());
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::TimedOut
    );
    // try_recv is not an error when nothing waits.
    assert!(s.try_recv().unwrap().is_none());
}

#[test]
fn try_send_gives_the_message_back_when_it_would_block() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.bind("inproc://nobody").unwrap();
    let msg = zmq::Message::from(b"keep me".to_vec());
    let ptr = msg.as_ptr();
    let back = push.try_send(msg).unwrap().expect("no peer: would block");
    assert_eq!(back, b"keep me");
    assert_eq!(back.as_ptr(), ptr, "the same buffer comes back");
    push.set(opt::SndTimeo, Duration::from_millis(10)).unwrap();
    assert_eq!(push.send("x").unwrap_err().kind(), ErrorKind::Timeout);
}

#[test]
fn recv_into_reports_truncation() {
    let ctx = Context::new();
    let a = ctx.socket(SocketType::Pair).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    a.bind("inproc://trunc").unwrap();
    b.connect("inproc://trunc").unwrap();
    a.send("hello world").unwrap();
    a.send("hi").unwrap();
    let mut buf = [0u8; 5];
    let got = b.recv_into(&mut buf).unwrap();
    assert_eq!((got.len, got.size, got.is_truncated()), (5, 11, true));
    assert_eq!(&buf, b"hello");
    let got = b.recv_into(&mut buf).unwrap();
    assert_eq!((got.len, got.is_truncated()), (2, false));
    assert_eq!(&buf[..got.len], b"hi");
}

#[test]
fn an_empty_multipart_is_refused() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Push).unwrap();
    let err = s.send_multipart(Vec::<Vec<u8>>::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// Issue 12 item 5: a bind or connect error says what to change, and still
/// carries the errno and the endpoint.
#[test]
fn endpoint_errors_explain_what_to_change() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Pub).unwrap();
    let cases: [(&str, bool, i32, &str); 7] = [
        (
            "tcp://nope:xx",
            true,
            libc::EINVAL,
            "expected tcp://host:port",
        ),
        (
            "tcp://nope:9999",
            true,
            libc::ENODEV,
            "unknown host or interface",
        ),
        (
            "nonsense",
            true,
            libc::EINVAL,
            "expected transport://address",
        ),
        (
            "carrier-pigeon://coop",
            true,
            libc::EPROTONOSUPPORT,
            "unknown transport",
        ),
        (
            "tcp://nope:xx",
            false,
            libc::EINVAL,
            "expected tcp://host:port",
        ),
        #[cfg(not(all(windows, target_env = "gnu")))]
        (
            "ipc:///no/such/dir/sock",
            true,
            libc::ENOENT,
            "directory does not exist",
        ),
        // The windows-gnu build of libzmq has no ipc (vendor/README.md).
        #[cfg(all(windows, target_env = "gnu"))]
        (
            "ipc:///no/such/dir/sock",
            true,
            libc::EPROTONOSUPPORT,
            "unknown transport",
        ),
        (
            "tcp://127.0.0.1",
            false,
            libc::EINVAL,
            "expected tcp://host:port",
        ),
    ];
    for (endpoint, bind, errno, words) in cases {
        let err = if bind {
            s.bind(endpoint)
        } else {
            s.connect(endpoint)
        }
        .unwrap_err();
        assert_eq!(err.errno(), errno, "{endpoint}: {err}");
        assert_eq!(err.detail(), Some(endpoint));
        let text = err.to_string();
        assert!(text.contains(endpoint) && text.contains(words), "{text}");
    }
    let taken = ctx.socket(SocketType::Pub).unwrap();
    taken.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = taken.last_endpoint().unwrap();
    let err = s.bind(&endpoint).unwrap_err();
    assert_eq!(err.errno(), libc::EADDRINUSE);
    assert!(err.to_string().contains("port in use"), "{err}");
}

/// Issue 11 item 1: an errno libc does not know is described by its number,
/// from text that stays valid however many errors are made after it.
#[test]
fn unknown_errno_text_outlives_later_errors() {
    let first = zmq::Error::new(987_654, "send");
    let text = first.message();
    for errno in 987_000..987_100 {
        let _ = zmq::Error::new(errno, "send").to_string();
    }
    assert_eq!(text, "errno 987654");
}
