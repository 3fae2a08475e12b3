//! The async thread-safe sockets (`zmq::tokio::AsyncThreadSafeSocket`,
//! features `draft` and `tokio`): the async suite's shapes applied to
//! CLIENT/SERVER, RADIO/DISH, SCATTER/GATHER, PEER and CHANNEL. Every test
//! is bounded (a watchdog or a tokio timeout) and uses loopback only.
#![cfg(all(zmq_draft, feature = "tokio"))]

mod poll_count;
mod watchdog;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use poll_count::counted;
use zmq::tokio::AsyncThreadSafeSocket;
use zmq::{opt, Context, ErrorKind, SocketType};

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    }
}

fn socket(ctx: &Context, kind: SocketType) -> AsyncThreadSafeSocket {
    ctx.async_thread_safe_socket(kind)
        .unwrap_or_else(|e| panic!("an async {kind} socket: {e}"))
}

fn free_udp_port() -> u16 {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// Awaits `future`, failing the test after `limit`.
async fn bounded<T>(
    limit: Duration,
    what: &str,
    future: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}

#[test]
fn the_async_types_are_send_and_sync_and_so_are_their_futures() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<AsyncThreadSafeSocket>();
    runtime(1).block_on(async {
        let ctx = Context::new();
        let client = socket(&ctx, SocketType::Client);
        let send_future = client.send("x");
        send(&send_future);
        drop(send_future);
        send(&client.recv());
    });
}

#[test]
fn only_thread_safe_types_can_be_made_async() {
    runtime(1).block_on(async {
        let ctx = Context::new();
        let err = ctx.async_thread_safe_socket(SocketType::Rep).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn creating_one_outside_a_runtime_is_an_error_not_a_panic() {
    let ctx = Context::new();
    let err = ctx
        .async_thread_safe_socket(SocketType::Client)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
}

/// Four CLIENT tasks, each on its own socket, make 25,000 round trips each
/// (100,000 in all; a tenth under wine) through one SERVER shared by two
/// echo tasks: every reply comes back to the client that asked, in order.
#[test]
fn client_server_echo_makes_100_000_round_trips_over_four_client_tasks() {
    const CLIENTS: usize = 4;
    // Under wine (where the Windows suite runs) every socket call is a round
    // trip to wineserver, 20,000 ping-pongs a minute: a tenth there.
    const ROUND_TRIPS: u32 = if cfg!(windows) { 2_500 } else { 25_000 };
    watchdog::within(Duration::from_secs(240), || {
        runtime(2).block_on(async {
            let ctx = Context::new();
            let server = Arc::new(socket(&ctx, SocketType::Server));
            server.bind("tcp://127.0.0.1:*").unwrap();
            let endpoint = server.last_endpoint().unwrap();
            let echoes: Vec<_> = (0..2)
                .map(|_| {
                    let server = Arc::clone(&server);
                    tokio::spawn(async move {
                        loop {
                            let request = match server.recv().await {
                                Ok(request) => request,
                                Err(e) => return e,
                            };
                            let from = request.server_routing_id().expect("a routing id");
                            if let Err(e) = server.send_to(from, request).await {
                                return e;
                            }
                        }
                    })
                })
                .collect();
            let clients: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let client = socket(&ctx, SocketType::Client);
                    client.connect(&endpoint).unwrap();
                    tokio::spawn(async move {
                        for i in 0..ROUND_TRIPS {
                            let request = format!("{c}:{i}");
                            client.send(request.as_str()).await.unwrap();
                            let reply = client.recv().await.unwrap();
                            assert_eq!(reply, request.as_bytes(), "client {c}");
                        }
                    })
                })
                .collect();
            for client in clients {
                bounded(Duration::from_secs(200), "a client", client)
                    .await
                    .unwrap();
            }
            ctx.shutdown().unwrap();
            for echo in echoes {
                let ended = bounded(Duration::from_secs(10), "an echo task", echo)
                    .await
                    .unwrap();
                assert_eq!(ended.kind(), ErrorKind::Terminated, "{ended}");
            }
        });
    });
}

/// A DISH bound to udp on 127.0.0.1 receives the groups it joined and
/// nothing else; after `leave` and a `join` of another group, only that.
#[test]
fn radio_dish_over_udp_on_loopback_delivers_only_the_joined_groups() {
    watchdog::within(Duration::from_secs(60), || {
        runtime(2).block_on(async {
            let ctx = Context::new();
            let dish = Arc::new(socket(&ctx, SocketType::Dish));
            let endpoint = format!("udp://127.0.0.1:{}", free_udp_port());
            dish.bind(&endpoint).unwrap();
            dish.join("weather").unwrap();
            let radio = socket(&ctx, SocketType::Radio);
            radio.connect(&endpoint).unwrap();
            // UDP may drop: the radio keeps sending both groups until the
            // dish has what it waits for.
            let sender = tokio::spawn(async move {
                for i in 0u64.. {
                    let sent = radio.send_to_group("sports", format!("goal {i}")).await;
                    if sent.is_err() {
                        return;
                    }
                    let _ = radio.send_to_group("weather", format!("sun {i}")).await;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
            let mut weather = 0;
            while weather < 50 {
                let msg = bounded(Duration::from_secs(10), "a DISH recv", dish.recv())
                    .await
                    .unwrap();
                assert_eq!(msg.group(), Some("weather"));
                assert!(msg.starts_with(b"sun "), "{msg:?}");
                weather += 1;
            }
            dish.leave("weather").unwrap();
            dish.join("sports").unwrap();
            let mut sports = 0;
            while sports < 50 {
                let msg = bounded(Duration::from_secs(10), "a DISH recv", dish.recv())
                    .await
                    .unwrap();
                // libzmq filters at the DISH when a message is received:
                // nothing of a group left is received after `leave`.
                assert_eq!(msg.group(), Some("sports"));
                assert!(msg.starts_with(b"goal "), "{msg:?}");
                sports += 1;
            }
            assert_eq!(
                dish.leave("weather").unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
            ctx.shutdown().unwrap();
            bounded(Duration::from_secs(10), "the RADIO task", sender)
                .await
                .unwrap();
        });
    });
}

/// A SCATTER whose high-water mark is full has its sends cancelled again
/// and again (a 1 ms timer wins the `select!`); a GATHER has its receives
/// cancelled by a timeout of 100 µs while the sender pauses. Every number
/// arrives once, in order.
#[test]
fn cancelled_sends_and_receives_under_a_full_hwm_lose_and_duplicate_nothing() {
    const COUNT: u32 = 3_000;
    watchdog::within(Duration::from_secs(120), || {
        runtime(2).block_on(async {
            let ctx = Context::new();
            // inproc: the queue holds the two high-water marks and nothing
            // more (over tcp the kernel's buffers would take every message,
            // and no send would ever wait).
            let gather = socket(&ctx, SocketType::Gather);
            gather.set(opt::RcvHwm, 5).unwrap();
            gather.bind("inproc://cancelled-under-full-hwm").unwrap();
            let scatter = socket(&ctx, SocketType::Scatter);
            scatter.set(opt::SndHwm, 5).unwrap();
            scatter
                .connect("inproc://cancelled-under-full-hwm")
                .unwrap();
            let sender = tokio::spawn(async move {
                let mut cancelled = 0u32;
                for i in 0..COUNT {
                    // Pauses, so that receives wait (and are cancelled) too.
                    if i % 100 == 99 {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    let mut message = zmq::Message::from(i.to_le_bytes().to_vec());
                    loop {
                        let mut send = scatter.send(message);
                        tokio::select! {
                            sent = &mut send => {
                                sent.unwrap();
                                break;
                            }
                            _ = tokio::time::sleep(Duration::from_millis(1)) => {}
                        }
                        match send.into_unsent() {
                            Some(unsent) => {
                                cancelled += 1;
                                message = unsent;
                            }
                            None => break,
                        }
                    }
                }
                cancelled
            });
            // Let the sender hit the high-water mark before reading.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut received = Vec::with_capacity(COUNT as usize);
            let mut cancelled_receives = 0u32;
            while received.len() < COUNT as usize {
                match tokio::time::timeout(Duration::from_micros(100), gather.recv()).await {
                    Ok(msg) => {
                        let bytes: [u8; 4] = msg.unwrap()[..].try_into().unwrap();
                        received.push(u32::from_le_bytes(bytes));
                    }
                    Err(_) => cancelled_receives += 1,
                }
            }
            let cancelled_sends = bounded(Duration::from_secs(30), "the sender", sender)
                .await
                .unwrap();
            assert_eq!(received, (0..COUNT).collect::<Vec<_>>());
            assert!(
                cancelled_sends > 0 && cancelled_receives > 0,
                "{cancelled_sends} sends and {cancelled_receives} receives cancelled: \
                 the test did not test both"
            );
            eprintln!("cancelled: {cancelled_sends} sends, {cancelled_receives} receives");
            // Nothing more arrives: no duplicate is left in flight.
            let extra = tokio::time::timeout(Duration::from_millis(200), gather.recv()).await;
            assert!(extra.is_err(), "an extra message: {extra:?}");
        });
    });
}

/// Receives pending on a GATHER (three tasks), a DISH and a SERVER, and
/// sends pending on a CLIENT whose peer's queue is full (three tasks): a
/// `Context::shutdown` from another thread wakes every one of them with
/// `Terminated`.
#[test]
fn shutdown_wakes_every_pending_send_and_receive_with_terminated() {
    watchdog::within(Duration::from_secs(60), || {
        runtime(2).block_on(async {
            let ctx = Context::new();
            let gather = Arc::new(socket(&ctx, SocketType::Gather));
            gather.bind("inproc://shutdown-gather").unwrap();
            let dish = Arc::new(socket(&ctx, SocketType::Dish));
            dish.bind(&format!("udp://127.0.0.1:{}", free_udp_port()))
                .unwrap();
            dish.join("g").unwrap();
            let server = Arc::new(socket(&ctx, SocketType::Server));
            server.set(opt::RcvHwm, 1).unwrap();
            server.bind("inproc://shutdown-server").unwrap();
            let client = Arc::new(socket(&ctx, SocketType::Client));
            client.set(opt::SndHwm, 1).unwrap();
            client.connect("inproc://shutdown-server").unwrap();
            // Fill the CLIENT's queue: a send that does not finish in 100 ms
            // is waiting for room.
            let mut filled = false;
            for _ in 0..1_000 {
                let send = tokio::time::timeout(Duration::from_millis(100), client.send("fill"));
                if send.await.is_err() {
                    filled = true;
                    break;
                }
            }
            assert!(filled, "the CLIENT's queue never filled");

            let mut pending = Vec::new();
            for _ in 0..3 {
                let gather = Arc::clone(&gather);
                pending.push(tokio::spawn(async move { gather.recv().await.map(drop) }));
                let client = Arc::clone(&client);
                pending.push(tokio::spawn(async move { client.send("blocked").await }));
            }
            let dish = Arc::clone(&dish);
            pending.push(tokio::spawn(async move { dish.recv().await.map(drop) }));
            // A SERVER nobody sends to (the one above must not read: its
            // full queue keeps the CLIENT's sends waiting).
            let idle_server = socket(&ctx, SocketType::Server);
            idle_server.bind("inproc://shutdown-idle-server").unwrap();
            pending.push(tokio::spawn(
                async move { idle_server.recv().await.map(drop) },
            ));
            tokio::time::sleep(Duration::from_millis(200)).await;
            for (index, task) in pending.iter().enumerate() {
                assert!(
                    !task.is_finished(),
                    "future {index} finished before the shutdown"
                );
            }
            let shutter = ctx.clone();
            std::thread::spawn(move || shutter.shutdown().unwrap())
                .join()
                .unwrap();
            for task in pending {
                let outcome = bounded(Duration::from_secs(10), "a pending future", task)
                    .await
                    .unwrap();
                let err = outcome.expect_err("a pending future succeeded after the shutdown");
                assert_eq!(err.kind(), ErrorKind::Terminated, "{err}");
            }
        });
    });
}

/// A SERVER's send to a routing id that is not connected fails at once
/// (`Unroutable`); zero is not a routing id; a group name too long for
/// libzmq is refused by the future, not by a panic.
#[test]
fn bad_addresses_fail_the_send_future_without_waiting() {
    runtime(1).block_on(async {
        let ctx = Context::new();
        let server = socket(&ctx, SocketType::Server);
        server.bind("inproc://bad-addresses").unwrap();
        let err = bounded(Duration::from_secs(5), "send_to", server.send_to(42, "x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unroutable, "{err}");
        let err = server.send_to(0, "x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let radio = socket(&ctx, SocketType::Radio);
        let err = radio
            .send_to_group(&"g".repeat(300), "x")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let unsent = radio.send_to_group("g\0", "x").into_unsent();
        assert!(unsent.is_none(), "an invalid message is not handed back");
    });
}

/// Every thread-safe type moves messages through the async type: CHANNEL
/// both ways, PEER by `connect_peer` routing id, SCATTER/GATHER, and a
/// SERVER reply over tcp.
#[test]
fn every_thread_safe_type_exchanges_messages() {
    watchdog::within(Duration::from_secs(60), || {
        runtime(1).block_on(async {
            let limit = Duration::from_secs(10);
            let ctx = Context::new();

            let a = socket(&ctx, SocketType::Channel);
            a.bind("inproc://channel").unwrap();
            let b = socket(&ctx, SocketType::Channel);
            b.connect("inproc://channel").unwrap();
            bounded(limit, "CHANNEL send", a.send("to b"))
                .await
                .unwrap();
            assert_eq!(
                bounded(limit, "CHANNEL recv", b.recv()).await.unwrap(),
                "to b"
            );
            bounded(limit, "CHANNEL send", b.send("to a"))
                .await
                .unwrap();
            assert_eq!(
                bounded(limit, "CHANNEL recv", a.recv()).await.unwrap(),
                "to a"
            );

            let listener = socket(&ctx, SocketType::Peer);
            listener.bind("tcp://127.0.0.1:*").unwrap();
            let dialer = socket(&ctx, SocketType::Peer);
            let to_listener = dialer
                .connect_peer(&listener.last_endpoint().unwrap())
                .unwrap();
            bounded(limit, "PEER send", dialer.send_to(to_listener, "hello"))
                .await
                .unwrap();
            let hello = bounded(limit, "PEER recv", listener.recv()).await.unwrap();
            let back = hello
                .server_routing_id()
                .expect("a PEER tags what it receives");
            bounded(limit, "PEER reply", listener.send_to(back, "welcome"))
                .await
                .unwrap();
            let welcome = bounded(limit, "PEER recv", dialer.recv()).await.unwrap();
            assert_eq!(welcome, "welcome");
            assert_eq!(welcome.server_routing_id(), Some(to_listener));

            let gather = socket(&ctx, SocketType::Gather);
            gather.bind("tcp://127.0.0.1:*").unwrap();
            let scatter = socket(&ctx, SocketType::Scatter);
            scatter.connect(&gather.last_endpoint().unwrap()).unwrap();
            for i in 0..100u32 {
                bounded(limit, "SCATTER send", scatter.send(i.to_string()))
                    .await
                    .unwrap();
            }
            for i in 0..100u32 {
                let msg = bounded(limit, "GATHER recv", gather.recv()).await.unwrap();
                assert_eq!(msg, i.to_string().as_bytes());
            }
        });
    });
}

/// Polls per message, counted: a receive that waits for each of 200
/// messages sent 2 ms apart costs a handful of polls, not a spin; so does
/// the first wait after 10,000 messages were taken without waiting (the
/// poller's fd collected a signal per wake-up of the socket meanwhile); and
/// a SERVER's send to a full CLIENT (POLLOUT says writable all along)
/// sleeps until room is made.
#[test]
fn waits_cost_a_few_polls_per_message_never_a_spin() {
    watchdog::within(Duration::from_secs(120), || {
        runtime(1).block_on(async {
            let limit = Duration::from_secs(10);
            let ctx = Context::new();

            // Receives that wait for every message.
            let gather = socket(&ctx, SocketType::Gather);
            gather.bind("tcp://127.0.0.1:*").unwrap();
            let endpoint = gather.last_endpoint().unwrap();
            let scatter = Arc::new(ctx.thread_safe_socket(SocketType::Scatter).unwrap());
            scatter.connect(&endpoint).unwrap();
            let paced = {
                let scatter = Arc::clone(&scatter);
                std::thread::spawn(move || {
                    for i in 0..200u32 {
                        std::thread::sleep(Duration::from_millis(2));
                        scatter.send(i.to_string()).unwrap();
                    }
                })
            };
            let polls = AtomicUsize::new(0);
            for i in 0..200u32 {
                let msg = bounded(limit, "a paced recv", counted(gather.recv(), &polls))
                    .await
                    .unwrap();
                assert_eq!(msg, i.to_string().as_bytes());
            }
            paced.join().unwrap();
            let per_message = polls.load(Ordering::Relaxed) as f64 / 200.0;
            eprintln!("paced receives: {per_message:.2} polls per message");
            assert!(per_message <= 4.0, "{per_message} polls per message");

            // A burst taken without waiting, then one wait.
            for i in 0..10_000u32 {
                scatter.send(i.to_string()).unwrap();
            }
            for i in 0..10_000u32 {
                let msg = bounded(limit, "a burst recv", gather.recv()).await.unwrap();
                assert_eq!(msg, i.to_string().as_bytes());
            }
            let late = {
                let scatter = Arc::clone(&scatter);
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    scatter.send("late").unwrap();
                })
            };
            let polls = AtomicUsize::new(0);
            let msg = bounded(limit, "the late recv", counted(gather.recv(), &polls))
                .await
                .unwrap();
            assert_eq!(msg, "late");
            late.join().unwrap();
            let after_burst = polls.load(Ordering::Relaxed);
            eprintln!("the first wait after a burst: {after_burst} polls");
            assert!(after_burst <= 4, "{after_burst} polls for one wait");

            // SERVER to a full CLIENT: POLLOUT all along, room made slowly.
            let server = socket(&ctx, SocketType::Server);
            server.set(opt::SndHwm, 1).unwrap();
            server.bind("inproc://full-client").unwrap();
            let client = Arc::new(ctx.thread_safe_socket(SocketType::Client).unwrap());
            client.set(opt::RcvHwm, 1).unwrap();
            client.set(opt::RcvTimeo, Duration::from_secs(10)).unwrap();
            client.connect("inproc://full-client").unwrap();
            client.send("hello").unwrap();
            let hello = bounded(limit, "hello", server.recv()).await.unwrap();
            let id = hello.server_routing_id().unwrap();
            const SENDS: usize = 40;
            let reader = {
                let client = Arc::clone(&client);
                std::thread::spawn(move || {
                    for _ in 0..SENDS {
                        std::thread::sleep(Duration::from_millis(5));
                        client.recv().unwrap();
                    }
                })
            };
            let polls = AtomicUsize::new(0);
            for i in 0..SENDS {
                bounded(
                    limit,
                    "a send to a slow CLIENT",
                    counted(server.send_to(id, i.to_string()), &polls),
                )
                .await
                .unwrap();
            }
            reader.join().unwrap();
            let per_send = polls.load(Ordering::Relaxed) as f64 / SENDS as f64;
            eprintln!("sends to a full CLIENT: {per_send:.2} polls per send");
            assert!(per_send <= 6.0, "{per_send} polls per send: a spin");
        });
    });
}

/// The same socket can go back to blocking use, poller and all removed.
#[test]
fn into_inner_gives_the_blocking_socket_back() {
    runtime(1).block_on(async {
        let ctx = Context::new();
        let gather = socket(&ctx, SocketType::Gather);
        gather.bind("inproc://into-inner").unwrap();
        let scatter = socket(&ctx, SocketType::Scatter);
        scatter.connect("inproc://into-inner").unwrap();
        scatter.send("async").await.unwrap();
        let gather = gather.into_inner();
        gather.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
        assert_eq!(gather.recv().unwrap(), "async");
        let gather = AsyncThreadSafeSocket::new(gather).unwrap();
        scatter.send("again").await.unwrap();
        assert_eq!(gather.recv().await.unwrap(), "again");
    });
}
