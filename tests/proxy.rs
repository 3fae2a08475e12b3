//! Proxies: forwarding, the steerable proxy's commands and statistics, and
//! ending cleanly when the context shuts down.

use std::time::Duration;
use zmq::{
    proxy, proxy_with_capture, Context, ErrorKind, ProxyStatistics, SideStatistics, Socket,
    SocketType, SteerableProxy,
};

mod watchdog;
use watchdog::within;

const LONG: Duration = Duration::from_secs(10);

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let socket = ctx.socket(kind).unwrap();
    socket.set(zmq::opt::RcvTimeo, Some(LONG)).unwrap();
    socket
}

/// A PULL→PUSH streamer with a producer and a consumer attached.
struct Streamer {
    proxy: SteerableProxy,
    producer: Socket,
    consumer: Socket,
}

fn streamer(ctx: &Context, name: &str) -> Streamer {
    let frontend = socket(ctx, SocketType::Pull);
    frontend.bind(&format!("inproc://{name}-in")).unwrap();
    let backend = socket(ctx, SocketType::Push);
    backend.bind(&format!("inproc://{name}-out")).unwrap();
    let proxy = SteerableProxy::spawn(frontend, backend).unwrap();
    let producer = socket(ctx, SocketType::Push);
    producer.connect(&format!("inproc://{name}-in")).unwrap();
    let consumer = socket(ctx, SocketType::Pull);
    consumer.connect(&format!("inproc://{name}-out")).unwrap();
    Streamer {
        proxy,
        producer,
        consumer,
    }
}

#[test]
fn one_message_is_counted_exactly_once_in_and_once_out() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-stats");
        assert_eq!(s.proxy.statistics().unwrap(), ProxyStatistics::default());
        s.producer.send("hello").unwrap();
        assert_eq!(s.consumer.recv().unwrap(), "hello");
        let stats = s.proxy.statistics().unwrap();
        assert_eq!(
            stats,
            ProxyStatistics {
                frontend: SideStatistics {
                    messages_received: 1,
                    bytes_received: 5,
                    messages_sent: 0,
                    bytes_sent: 0,
                },
                backend: SideStatistics {
                    messages_received: 0,
                    bytes_received: 0,
                    messages_sent: 1,
                    bytes_sent: 5,
                },
            }
        );
        s.proxy.terminate().unwrap();
    });
}

#[test]
fn pause_queues_and_resume_flushes() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-pause");
        s.proxy.pause().unwrap();
        s.producer.send("first").unwrap();
        s.producer.send("second").unwrap();
        // Each statistics call is a full round trip through the proxy's loop:
        // an active proxy would have forwarded by the second one.
        s.proxy.statistics().unwrap();
        let stats = s.proxy.statistics().unwrap();
        assert_eq!(stats.frontend.messages_received, 0, "{stats:?}");
        assert_eq!(s.consumer.try_recv().unwrap(), None);

        s.proxy.resume().unwrap();
        assert_eq!(s.consumer.recv().unwrap(), "first");
        assert_eq!(s.consumer.recv().unwrap(), "second");
        let stats = s.proxy.statistics().unwrap();
        assert_eq!(stats.backend.messages_sent, 2);
        assert_eq!(stats.backend.bytes_sent, 11);

        // Pausing twice and resuming twice is harmless.
        s.proxy.pause().unwrap();
        s.proxy.pause().unwrap();
        s.proxy.resume().unwrap();
        s.proxy.resume().unwrap();
        s.producer.send("third").unwrap();
        assert_eq!(s.consumer.recv().unwrap(), "third");
    });
}

#[test]
fn terminate_returns_and_joins() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-terminate");
        assert!(s.proxy.is_running());
        s.proxy.terminate().unwrap();
    });
}

#[test]
fn dropping_the_handle_stops_the_proxy() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-drop");
        s.producer.send("m").unwrap();
        assert_eq!(s.consumer.recv().unwrap(), "m");
        // Terminates the proxy and joins its thread (bounded by `within`).
        drop(s.proxy);
        drop((s.producer, s.consumer));
        // Every socket is closed now, the proxy's too: terminating the
        // context here returns instead of waiting for them.
        drop(ctx);
    });
}

#[test]
fn a_context_shutdown_ends_a_steerable_proxy_cleanly() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-shutdown");
        ctx.shutdown().unwrap();
        let err = s.proxy.statistics().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Terminated | ErrorKind::Other),
            "{err:?}"
        );
        assert_eq!(
            s.proxy.terminate().unwrap_err().kind(),
            ErrorKind::Terminated
        );
    });
}

#[test]
fn multipart_messages_stay_whole_and_are_counted_per_part() {
    within(LONG, || {
        let ctx = Context::new();
        let s = streamer(&ctx, "proxy-multipart");
        s.producer.send_multipart(["ab", "cde", ""]).unwrap();
        assert_eq!(s.consumer.recv_multipart().unwrap(), ["ab", "cde", ""]);
        let stats = s.proxy.statistics().unwrap();
        // libzmq 4.3.5 counts every part; 4.3.4 counted a multipart message once.
        let expected = if zmq::version() >= (4, 3, 5) { 3 } else { 1 };
        assert_eq!(stats.frontend.messages_received, expected);
        assert_eq!(stats.frontend.bytes_received, 5);
    });
}

#[test]
fn a_capture_socket_sees_a_copy_of_everything() {
    within(LONG, || {
        let ctx = Context::new();
        let frontend = socket(&ctx, SocketType::Pull);
        frontend.bind("inproc://proxy-capture-in").unwrap();
        let backend = socket(&ctx, SocketType::Push);
        backend.bind("inproc://proxy-capture-out").unwrap();
        let capture = socket(&ctx, SocketType::Push);
        capture.bind("inproc://proxy-capture-copy").unwrap();
        let copies = socket(&ctx, SocketType::Pull);
        copies.connect("inproc://proxy-capture-copy").unwrap();
        let proxy = SteerableProxy::spawn_with_capture(frontend, backend, capture).unwrap();

        let producer = socket(&ctx, SocketType::Push);
        producer.connect("inproc://proxy-capture-in").unwrap();
        let consumer = socket(&ctx, SocketType::Pull);
        consumer.connect("inproc://proxy-capture-out").unwrap();
        producer.send_multipart(["key", "value"]).unwrap();
        assert_eq!(consumer.recv_multipart().unwrap(), ["key", "value"]);
        assert_eq!(copies.recv_multipart().unwrap(), ["key", "value"]);
        proxy.terminate().unwrap();
    });
}

#[test]
fn an_xsub_xpub_proxy_forwards_subscriptions_and_fans_out() {
    within(LONG, || {
        let ctx = Context::new();
        let frontend = socket(&ctx, SocketType::XSub);
        frontend.bind("tcp://127.0.0.1:*").unwrap();
        let backend = socket(&ctx, SocketType::XPub);
        backend.bind("tcp://127.0.0.1:*").unwrap();
        let (publishers, subscribers) = (
            frontend.last_endpoint().unwrap(),
            backend.last_endpoint().unwrap(),
        );
        let forwarder = std::thread::spawn(move || proxy(&frontend, &backend));

        // The publisher is an XPUB so that it can see the subscriptions arrive.
        let publisher = socket(&ctx, SocketType::XPub);
        publisher.connect(&publishers).unwrap();
        let weather = socket(&ctx, SocketType::Sub);
        weather.connect(&subscribers).unwrap();
        weather.subscribe("w").unwrap();
        let weather_only = socket(&ctx, SocketType::Sub);
        weather_only.connect(&subscribers).unwrap();
        weather_only.subscribe("weather").unwrap();
        let sports = socket(&ctx, SocketType::Sub);
        sports.connect(&subscribers).unwrap();
        sports.subscribe("sports").unwrap();

        let mut seen = Vec::new();
        while seen.len() < 3 {
            seen.push(publisher.recv_bytes().unwrap());
        }
        seen.sort();
        assert_eq!(seen, [&b"\x01sports"[..], b"\x01w", b"\x01weather"]);

        publisher.send("weather: sunny").unwrap();
        publisher.send("sports: 2-1").unwrap();
        assert_eq!(weather.recv().unwrap(), "weather: sunny");
        assert_eq!(weather_only.recv().unwrap(), "weather: sunny");
        assert_eq!(sports.recv().unwrap(), "sports: 2-1");
        assert_eq!(weather.try_recv().unwrap(), None);

        // The proxy returns (with Terminated) once the context shuts down.
        ctx.shutdown().unwrap();
        let ended = forwarder.join().unwrap().unwrap_err();
        assert_eq!(ended.kind(), ErrorKind::Terminated);
    });
}

#[test]
fn a_plain_proxy_with_capture_ends_on_shutdown() {
    within(LONG, || {
        let ctx = Context::new();
        let frontend = socket(&ctx, SocketType::Pull);
        frontend.bind("inproc://plain-capture-in").unwrap();
        let backend = socket(&ctx, SocketType::Push);
        backend.bind("inproc://plain-capture-out").unwrap();
        let capture = socket(&ctx, SocketType::Pair);
        capture.bind("inproc://plain-capture-copy").unwrap();
        let copies = socket(&ctx, SocketType::Pair);
        copies.connect("inproc://plain-capture-copy").unwrap();
        let running = std::thread::spawn(move || proxy_with_capture(&frontend, &backend, &capture));

        let producer = socket(&ctx, SocketType::Push);
        producer.connect("inproc://plain-capture-in").unwrap();
        let consumer = socket(&ctx, SocketType::Pull);
        consumer.connect("inproc://plain-capture-out").unwrap();
        producer.send("x").unwrap();
        assert_eq!(consumer.recv().unwrap(), "x");
        assert_eq!(copies.recv().unwrap(), "x");

        ctx.shutdown().unwrap();
        assert_eq!(
            running.join().unwrap().unwrap_err().kind(),
            ErrorKind::Terminated
        );
    });
}
