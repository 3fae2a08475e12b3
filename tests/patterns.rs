//! Every socket pattern over inproc, ipc and tcp.

use std::time::Duration;
use zmq::{opt, Context, Socket, SocketType};

/// Where a pattern test runs.
#[derive(Clone, Copy, Debug)]
enum Transport {
    Inproc,
    #[cfg_attr(all(windows, target_env = "gnu"), allow(dead_code))]
    Ipc,
    Tcp,
}

#[cfg(not(all(windows, target_env = "gnu")))]
const ALL: [Transport; 3] = [Transport::Inproc, Transport::Ipc, Transport::Tcp];
/// The windows-gnu build of libzmq has no ipc (vendor/README.md; wine 8,
/// where it is tested, has no AF_UNIX either): options.rs pins its absence.
#[cfg(all(windows, target_env = "gnu"))]
const ALL: [Transport; 2] = [Transport::Inproc, Transport::Tcp];

fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Binds `socket` on a fresh endpoint of `transport`; returns where to connect.
fn bind(socket: &Socket, transport: Transport, tag: &str) -> String {
    let endpoint = match transport {
        Transport::Inproc => format!("inproc://{}", unique(tag)),
        Transport::Ipc => format!(
            "ipc://{}/zmq-test-{}.ipc",
            std::env::temp_dir().display(),
            unique(tag)
        ),
        Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
    };
    socket.bind(&endpoint).unwrap();
    socket.last_endpoint().unwrap()
}

/// A socket that gives up after two seconds instead of hanging a failed test.
fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
    s.set(opt::SndTimeo, Duration::from_secs(5)).unwrap();
    s
}

#[test]
fn req_rep_round_trips_on_every_transport() {
    let ctx = Context::new();
    for t in ALL {
        let rep = socket(&ctx, SocketType::Rep);
        let req = socket(&ctx, SocketType::Req);
        req.connect(&bind(&rep, t, "reqrep")).unwrap();
        for i in 0..3 {
            req.send(format!("ping {i}")).unwrap();
            assert_eq!(rep.recv_string().unwrap(), format!("ping {i}"), "{t:?}");
            rep.send(format!("pong {i}")).unwrap();
            assert_eq!(req.recv_string().unwrap(), format!("pong {i}"), "{t:?}");
        }
    }
}

#[test]
fn req_that_sends_twice_gets_a_wrong_state_error() {
    let ctx = Context::new();
    let rep = socket(&ctx, SocketType::Rep);
    let req = socket(&ctx, SocketType::Req);
    req.connect(&bind(&rep, Transport::Inproc, "efsm")).unwrap();
    req.send("first").unwrap();
    let err = req.send("second").unwrap_err();
    assert_eq!(err.kind(), zmq::ErrorKind::InvalidState);
    // REP may not receive twice either.
    assert_eq!(rep.recv_string().unwrap(), "first");
    assert_eq!(rep.recv().unwrap_err().kind(), zmq::ErrorKind::InvalidState);
}

#[test]
fn rep_keeps_the_envelope_of_a_dealer_request() {
    let ctx = Context::new();
    for t in ALL {
        let rep = socket(&ctx, SocketType::Rep);
        let dealer = socket(&ctx, SocketType::Dealer);
        dealer.connect(&bind(&rep, t, "envelope")).unwrap();
        // A DEALER talking to REP provides the envelope itself: hops, empty delimiter, body.
        dealer
            .send_multipart(["hop-1", "hop-2", "", "body"])
            .unwrap();
        assert_eq!(rep.recv_string().unwrap(), "body");
        rep.send("reply").unwrap();
        let reply = dealer.recv_multipart().unwrap();
        assert_eq!(reply, ["hop-1", "hop-2", "", "reply"], "{t:?}");
    }
}

#[test]
fn router_addresses_dealers_by_routing_id() {
    let ctx = Context::new();
    for t in ALL {
        let router = socket(&ctx, SocketType::Router);
        let endpoint = bind(&router, t, "router");
        let dealers: Vec<Socket> = ["alice", "bob"]
            .iter()
            .map(|id| {
                let d = socket(&ctx, SocketType::Dealer);
                d.set(opt::RoutingId, id).unwrap();
                d.connect(&endpoint).unwrap();
                d.send(format!("hello from {id}")).unwrap();
                d
            })
            .collect();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let parts = router.recv_multipart().unwrap();
            assert_eq!(parts.len(), 2);
            let id = parts[0].as_str().unwrap().to_owned();
            assert_eq!(parts[1], format!("hello from {id}").as_str());
            seen.push(id);
        }
        seen.sort();
        assert_eq!(seen, ["alice", "bob"], "{t:?}");
        router.send_multipart(["bob", "for bob"]).unwrap();
        router.send_multipart(["alice", "for alice"]).unwrap();
        assert_eq!(dealers[0].recv().unwrap(), "for alice");
        assert_eq!(dealers[1].recv().unwrap(), "for bob");
    }
}

#[test]
fn router_mandatory_reports_an_unroutable_peer() {
    let ctx = Context::new();
    let router = socket(&ctx, SocketType::Router);
    router.set(opt::RouterMandatory, true).unwrap();
    let err = router.send_multipart(["nobody", "hello"]).unwrap_err();
    assert_eq!(err.kind(), zmq::ErrorKind::Unroutable);
    // Without the option the message is silently dropped.
    let lax = socket(&ctx, SocketType::Router);
    lax.send_multipart(["nobody", "hello"]).unwrap();
}

#[test]
fn router_fair_queues_between_dealers() {
    let ctx = Context::new();
    let router = socket(&ctx, SocketType::Router);
    let endpoint = bind(&router, Transport::Inproc, "fair");
    let a = socket(&ctx, SocketType::Dealer);
    a.set(opt::RoutingId, "A").unwrap();
    let b = socket(&ctx, SocketType::Dealer);
    b.set(opt::RoutingId, "B").unwrap();
    a.connect(&endpoint).unwrap();
    b.connect(&endpoint).unwrap();
    for i in 0..10 {
        a.send(format!("a{i}")).unwrap();
        b.send(format!("b{i}")).unwrap();
    }
    // Both queues are full before the first receive, so turns alternate.
    let order: Vec<String> = (0..20)
        .map(|_| {
            router.recv_multipart().unwrap()[0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let a_first_half = order[..10].iter().filter(|id| *id == "A").count();
    assert_eq!(
        a_first_half, 5,
        "fair queueing interleaves peers: {order:?}"
    );
}

#[test]
fn sub_receives_only_matching_prefixes() {
    let ctx = Context::new();
    for t in ALL {
        let publisher = socket(&ctx, SocketType::Pub);
        let subscriber = socket(&ctx, SocketType::Sub);
        subscriber.subscribe("AAPL").unwrap();
        subscriber.subscribe("GOOG").unwrap();
        subscriber.connect(&bind(&publisher, t, "pubsub")).unwrap();
        // Subscriptions travel asynchronously: publish until the first arrives.
        let mut got = None;
        for _ in 0..500 {
            publisher.send_multipart(["AAPL", "1"]).unwrap();
            if let Some(parts) = subscriber.try_recv_multipart().unwrap() {
                got = Some(parts);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(got.expect("subscription never arrived"), ["AAPL", "1"]);
        publisher.send_multipart(["MSFT", "2"]).unwrap();
        publisher.send_multipart(["GOOGL", "3"]).unwrap();
        // Earlier AAPL probes may still be in flight; MSFT must never show up.
        loop {
            let parts = subscriber.recv_multipart().unwrap();
            assert_ne!(parts[0], "MSFT", "MSFT is not subscribed ({t:?})");
            if parts[0] == "GOOGL" {
                assert_eq!(parts, ["GOOGL", "3"], "prefix match ({t:?})");
                break;
            }
            assert_eq!(parts, ["AAPL", "1"]);
        }
        subscriber.unsubscribe("AAPL").unwrap();
        subscriber.unsubscribe("GOOG").unwrap();
    }
}

#[test]
fn xpub_sees_subscriptions_and_xsub_sends_them() {
    let ctx = Context::new();
    for t in ALL {
        let xpub = socket(&ctx, SocketType::XPub);
        let xsub = socket(&ctx, SocketType::XSub);
        xsub.connect(&bind(&xpub, t, "xpub")).unwrap();
        xsub.send(b"\x01topic").unwrap();
        assert_eq!(xpub.recv().unwrap(), b"\x01topic", "{t:?}");
        xpub.send_multipart(["topic", "payload"]).unwrap();
        xpub.send_multipart(["other", "dropped"]).unwrap();
        assert_eq!(xsub.recv_multipart().unwrap(), ["topic", "payload"]);
        xsub.send(b"\x00topic").unwrap();
        assert_eq!(xpub.recv().unwrap(), b"\x00topic");
    }
}

#[test]
fn push_round_robins_across_pulls() {
    let ctx = Context::new();
    for t in ALL {
        let push = socket(&ctx, SocketType::Push);
        let endpoint = bind(&push, t, "push");
        let pulls: Vec<Socket> = (0..2)
            .map(|_| {
                let p = socket(&ctx, SocketType::Pull);
                p.connect(&endpoint).unwrap();
                p
            })
            .collect();
        // Wait until both pulls are connected: each must get its first message.
        // A probe per pull, until both have answered, keeps this deterministic.
        for pull in &pulls {
            pull.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
        }
        wait_until_connected(&push, &pulls);
        for i in 0..10 {
            push.send(format!("{i}")).unwrap();
        }
        // Round robin: each pull gets exactly every other message.
        for (n, pull) in pulls.iter().enumerate() {
            let got: Vec<u32> = (0..5)
                .map(|_| pull.recv_string().unwrap().parse().unwrap())
                .collect();
            assert!(
                got.windows(2).all(|w| w[1] == w[0] + 2),
                "{t:?} pull {n}: {got:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
        assert!(pulls.iter().all(|p| p.try_recv().unwrap().is_none()));
    }
}

/// Sends probes until every pull has received one, then drains them.
fn wait_until_connected(push: &Socket, pulls: &[Socket]) {
    let mut ready = vec![false; pulls.len()];
    for _ in 0..1000 {
        if ready.iter().all(|r| *r) {
            break;
        }
        push.send("probe").unwrap();
        std::thread::sleep(Duration::from_millis(2));
        for (i, p) in pulls.iter().enumerate() {
            while p.try_recv().unwrap().is_some() {
                ready[i] = true;
            }
        }
    }
    assert!(ready.iter().all(|r| *r), "pulls never connected");
    // Let in-flight probes land, then drain them.
    std::thread::sleep(Duration::from_millis(50));
    for p in pulls {
        while p.try_recv().unwrap().is_some() {}
    }
}

#[test]
fn pull_fair_queues_from_pushers() {
    let ctx = Context::new();
    for t in ALL {
        let pull = socket(&ctx, SocketType::Pull);
        let endpoint = bind(&pull, t, "pull");
        let pushes: Vec<Socket> = (0..2)
            .map(|_| {
                let p = socket(&ctx, SocketType::Push);
                p.connect(&endpoint).unwrap();
                p
            })
            .collect();
        for (n, push) in pushes.iter().enumerate() {
            for i in 0..4 {
                push.send(format!("{n}-{i}")).unwrap();
            }
        }
        let mut got: Vec<String> = (0..8).map(|_| pull.recv_string().unwrap()).collect();
        got.sort();
        assert_eq!(got.len(), 8);
        assert_eq!(
            got.iter().filter(|s| s.starts_with('0')).count(),
            4,
            "{t:?}"
        );
    }
}

#[test]
fn pair_talks_both_ways() {
    let ctx = Context::new();
    for t in ALL {
        let a = socket(&ctx, SocketType::Pair);
        let b = socket(&ctx, SocketType::Pair);
        b.connect(&bind(&a, t, "pair")).unwrap();
        a.send("to b").unwrap();
        assert_eq!(b.recv().unwrap(), "to b");
        b.send("to a").unwrap();
        assert_eq!(a.recv().unwrap(), "to a");
    }
}

#[test]
fn stream_speaks_raw_tcp_with_a_plain_tcp_peer() {
    use std::io::{Read, Write};
    let ctx = Context::new();
    let stream = socket(&ctx, SocketType::Stream);
    stream.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = stream.last_endpoint().unwrap();
    let addr = endpoint.trim_start_matches("tcp://");
    let mut peer = std::net::TcpStream::connect(addr).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The connect notification: [routing id][empty].
    let hello = stream.recv_multipart().unwrap();
    assert_eq!(hello.len(), 2);
    assert!(hello[1].is_empty());
    let id = hello[0].clone();
    peer.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let request = stream.recv_multipart().unwrap();
    assert_eq!(request[0], id);
    assert_eq!(request[1], b"GET / HTTP/1.0\r\n\r\n");
    stream
        .send_multipart([&id[..], b"HTTP/1.0 200 OK\r\n\r\nhi"])
        .unwrap();
    let mut reply = [0u8; 21];
    peer.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"HTTP/1.0 200 OK\r\n\r\nhi");
}

#[test]
fn ws_transport_works() {
    // The vendored build must have ws; Debian's libzmq 4.3.4 is built without it.
    if option_env!("LIBZMQ_NO_VENDOR").is_none() {
        assert!(zmq::has("ws"), "the vendored libzmq lacks the ws transport");
    } else if !zmq::has("ws") {
        let ctx = Context::new();
        let a = socket(&ctx, SocketType::Pair);
        let err = a.bind("ws://127.0.0.1:*").unwrap_err();
        assert_eq!(err.kind(), zmq::ErrorKind::UnsupportedTransport);
        return;
    }
    let ctx = Context::new();
    let a = socket(&ctx, SocketType::Pair);
    a.bind("ws://127.0.0.1:*").unwrap();
    let b = socket(&ctx, SocketType::Pair);
    b.connect(&a.last_endpoint().unwrap()).unwrap();
    b.send("over websocket").unwrap();
    assert_eq!(a.recv().unwrap(), "over websocket");
}

#[cfg(zmq_draft)]
#[test]
fn draft_scatter_gather_and_client_server_work() {
    let ctx = Context::new();
    let gather = socket(&ctx, SocketType::Gather);
    let endpoint = bind(&gather, Transport::Tcp, "gather");
    let scatter = socket(&ctx, SocketType::Scatter);
    scatter.connect(&endpoint).unwrap();
    scatter.send("scattered").unwrap();
    assert_eq!(gather.recv().unwrap(), "scattered");
    assert!(gather.get(opt::ThreadSafe).unwrap());

    let server = socket(&ctx, SocketType::Server);
    let endpoint = bind(&server, Transport::Inproc, "server");
    let client = socket(&ctx, SocketType::Client);
    client.connect(&endpoint).unwrap();
    client.send("to the server").unwrap();
    assert_eq!(server.recv().unwrap(), "to the server");
    assert!(zmq::has("draft"));
}

/// Issue 11 item 4: the routing id a DEALER announced reaches the ROUTER as
/// message metadata (libzmq 4.3.5 names the property `Identity`).
#[test]
fn a_message_carries_the_routing_id_its_peer_announced() {
    let ctx = Context::new();
    let router = socket(&ctx, SocketType::Router);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let dealer = socket(&ctx, SocketType::Dealer);
    dealer.set(opt::RoutingId, "dealer-7").unwrap();
    dealer.connect(&router.last_endpoint().unwrap()).unwrap();
    dealer.send("hello").unwrap();
    let parts = router.recv_multipart().unwrap();
    assert_eq!(parts[0], "dealer-7");
    assert_eq!(parts[1].routing_id(), Some(&b"dealer-7"[..]));
    assert_eq!(parts[0].routing_id(), Some(&b"dealer-7"[..]));
}
