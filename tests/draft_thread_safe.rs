//! Thread-safe socket types (draft): one `Arc<ThreadSafeSocket>` used by
//! several threads at once, and polled with the token API of `Poller`.
#![cfg(zmq_draft)]

mod watchdog;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;
use zmq::{opt, Context, ErrorKind, Message, PollEvents, Poller, SocketType, ThreadSafeSocket};

fn assert_send_sync<T: Send + Sync>() {}

fn thread_safe(ctx: &Context, kind: SocketType) -> ThreadSafeSocket {
    let s = ctx.thread_safe_socket(kind).unwrap();
    s.set(opt::RcvTimeo, Duration::from_secs(10)).unwrap();
    s.set(opt::SndTimeo, Duration::from_secs(10)).unwrap();
    s
}

#[test]
fn thread_safe_socket_is_send_and_sync() {
    assert_send_sync::<ThreadSafeSocket>();
    assert_send_sync::<Arc<ThreadSafeSocket>>();
}

#[test]
fn only_thread_safe_types_are_accepted() {
    let ctx = Context::new();
    for kind in [SocketType::Req, SocketType::Dealer, SocketType::Dgram] {
        let err = ctx.thread_safe_socket(kind).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{kind}");
        assert!(err.to_string().contains("thread-safe"), "{err}");
    }
}

#[test]
fn four_threads_send_through_one_client_at_once() {
    watchdog::within(Duration::from_secs(60), || {
        const THREADS: usize = 4;
        const EACH: usize = 2_000;
        let ctx = Context::new();
        let server = thread_safe(&ctx, SocketType::Server);
        server.bind("tcp://127.0.0.1:*").unwrap();
        let client = Arc::new(thread_safe(&ctx, SocketType::Client));
        client.connect(&server.last_endpoint().unwrap()).unwrap();

        let start = Arc::new(Barrier::new(THREADS));
        let senders: Vec<_> = (0..THREADS)
            .map(|t| {
                let (client, start) = (Arc::clone(&client), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    for i in 0..EACH {
                        client.send(format!("{t}:{i}")).unwrap();
                    }
                })
            })
            .collect();

        let mut seen = HashSet::new();
        let mut next = [0usize; THREADS];
        for _ in 0..THREADS * EACH {
            let msg = server.recv_string().unwrap();
            let (t, i) = msg.split_once(':').unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
            // One connection keeps each thread's messages in its order.
            assert_eq!(i, next[t], "thread {t} out of order");
            next[t] += 1;
            assert!(seen.insert(msg));
        }
        for sender in senders {
            sender.join().unwrap();
        }
        assert_eq!(seen.len(), THREADS * EACH);
        assert_eq!(server.try_recv().unwrap(), None, "nothing extra");
    });
}

#[test]
fn several_threads_receive_from_one_server_and_reply_to_each_client() {
    watchdog::within(Duration::from_secs(60), || {
        const CLIENTS: usize = 8;
        let ctx = Context::new();
        let server = Arc::new(thread_safe(&ctx, SocketType::Server));
        server.bind("inproc://shared-server").unwrap();
        // Two worker threads share the server: each request is handled once.
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let server = Arc::clone(&server);
                std::thread::spawn(move || loop {
                    let request = match server.recv() {
                        Ok(m) => m,
                        Err(e) if e.kind() == ErrorKind::Terminated => return,
                        Err(e) => panic!("{e}"),
                    };
                    let id = request.server_routing_id().unwrap();
                    let reply = format!("re: {}", request.as_str().unwrap());
                    server
                        .send(Message::from(reply).with_server_routing_id(id).unwrap())
                        .unwrap();
                })
            })
            .collect();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let c = thread_safe(&ctx, SocketType::Client);
                c.connect("inproc://shared-server").unwrap();
                c.send(format!("client {i}")).unwrap();
                c
            })
            .collect();
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(c.recv_string().unwrap(), format!("re: client {i}"));
        }
        ctx.shutdown().unwrap();
        for w in workers {
            w.join().unwrap();
        }
    });
}

#[test]
fn a_poller_waits_on_thread_safe_sockets_with_tokens() {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Source {
        Gather,
        Dish,
    }
    let ctx = Context::new();
    let gather = thread_safe(&ctx, SocketType::Gather);
    gather.bind("inproc://poll-gather").unwrap();
    let dish = thread_safe(&ctx, SocketType::Dish);
    dish.bind("inproc://poll-dish").unwrap();
    dish.join("news").unwrap();
    let scatter = thread_safe(&ctx, SocketType::Scatter);
    scatter.connect("inproc://poll-gather").unwrap();

    let mut poller = Poller::new();
    poller
        .add(&gather, PollEvents::POLLIN, Source::Gather)
        .unwrap();
    poller.add(&dish, PollEvents::POLLIN, Source::Dish).unwrap();
    assert_eq!(
        poller
            .add(&dish, PollEvents::POLLIN, Source::Dish)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(poller.wait(Some(Duration::ZERO)).unwrap().count(), 0);

    // From another thread, through the same kind of shared handle.
    let scatter = Arc::new(scatter);
    let sender = {
        let scatter = Arc::clone(&scatter);
        std::thread::spawn(move || scatter.send("work"))
    };
    sender.join().unwrap().unwrap();
    let ready: Vec<(Source, PollEvents)> = poller
        .wait(Some(Duration::from_secs(10)))
        .unwrap()
        .map(|(s, e)| (*s, e))
        .collect();
    assert_eq!(ready, [(Source::Gather, PollEvents::POLLIN)]);
    assert_eq!(gather.recv().unwrap(), "work");

    assert_eq!(poller.remove(&gather).unwrap(), Source::Gather);
    assert_eq!(
        poller.remove(&gather).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(poller.len(), 1);
}

#[test]
fn peers_address_each_other_by_the_id_connect_peer_returns() {
    let ctx = Context::new();
    let a = thread_safe(&ctx, SocketType::Peer);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let b = thread_safe(&ctx, SocketType::Peer);
    let a_id = b.connect_peer(&a.last_endpoint().unwrap()).unwrap();
    b.send(Message::from("hi a").with_server_routing_id(a_id).unwrap())
        .unwrap();
    let got = a.recv().unwrap();
    assert_eq!(got, "hi a");
    let b_id = got.server_routing_id().unwrap();
    a.send(Message::from("hi b").with_server_routing_id(b_id).unwrap())
        .unwrap();
    assert_eq!(b.recv().unwrap(), "hi b");

    let client = thread_safe(&ctx, SocketType::Client);
    let err = client.connect_peer("tcp://127.0.0.1:1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSupported, "{err}");
}

#[test]
fn channels_pair_up() {
    let ctx = Context::new();
    let a = thread_safe(&ctx, SocketType::Channel);
    a.bind("inproc://channel").unwrap();
    let b = thread_safe(&ctx, SocketType::Channel);
    b.connect("inproc://channel").unwrap();
    b.send("ping").unwrap();
    assert_eq!(a.recv().unwrap(), "ping");
    a.send("pong").unwrap();
    assert_eq!(b.recv_string().unwrap(), "pong");
}

/// Thread-safe sockets have no `ZMQ_FD` (libzmq answers a bare EINVAL): the
/// error says so and what to use instead, for `Socket::fd` and for
/// `zmq::tokio::AsyncSocket::new`, which needs that fd.
#[test]
fn thread_safe_types_have_no_fd_and_the_error_says_to_use_a_poller() {
    let ctx = Context::new();
    for kind in [SocketType::Server, SocketType::Client, SocketType::Dish] {
        let socket = ctx.socket(kind).unwrap();
        let err = socket.fd().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSupported, "{kind}: {err}");
        assert!(err.to_string().contains("Poller"), "{kind}: {err}");
    }
    // A classic socket still has one.
    assert!(ctx.socket(SocketType::Dealer).unwrap().fd().is_ok());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = ctx.socket(SocketType::Server).unwrap();
        let err = zmq::tokio::AsyncSocket::new(server).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSupported, "{err}");
        assert!(
            err.to_string()
                .contains("thread-safe sockets have none; wait on them with a Poller"),
            "{err}"
        );
    });
}
