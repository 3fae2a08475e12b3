//! The async layer's edges: a context shut down under pending futures, socket
//! timeouts (which async calls ignore), the monitor stream, and the Stream and
//! Sink halves of one socket used from two tasks.
#![cfg(feature = "tokio")]

mod watchdog;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use zmq::monitor::{EventKind, MonitorEvents};
use zmq::tokio::{AsyncSocket, MultipartSink, MultipartStream};
use zmq::{Context, ErrorKind, SocketType};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn shutdown_ends_a_hundred_pending_futures_with_terminated_within_100_ms() {
    watchdog::within(Duration::from_secs(60), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let mut pending = tokio::task::JoinSet::new();
            let (started, mut ready) = tokio::sync::mpsc::channel(100);
            // 50 receives with nothing to receive, 50 sends with nowhere to go.
            for i in 0..100 {
                let kind = if i % 2 == 0 {
                    SocketType::Pull
                } else {
                    SocketType::Push
                };
                let socket = AsyncSocket::new(ctx.socket(kind).unwrap()).unwrap();
                socket
                    .with_socket(|s| s.bind(&format!("inproc://pending-{i}")))
                    .unwrap();
                let started = started.clone();
                pending.spawn(async move {
                    let outcome = if kind == SocketType::Pull {
                        let receive = socket.recv();
                        tokio::pin!(receive);
                        // Poll once, so the future is really waiting, then say so.
                        assert!(futures_util::poll!(&mut receive).is_pending());
                        started.send(()).await.unwrap();
                        receive.await.map(drop)
                    } else {
                        let mut send = socket.send("nobody takes this");
                        assert!(futures_util::poll!(&mut send).is_pending());
                        started.send(()).await.unwrap();
                        send.await
                    };
                    (outcome, Instant::now())
                });
            }
            for _ in 0..100 {
                ready.recv().await.unwrap();
            }
            let shutdown_at = Instant::now();
            ctx.shutdown().unwrap();
            let mut ended = 0;
            while let Some(result) = pending.join_next().await {
                let (outcome, at) = result.unwrap();
                let error = outcome.expect_err("a pending future completed instead");
                assert_eq!(error.kind(), ErrorKind::Terminated, "{error}");
                let after = at - shutdown_at;
                // Under wine (the Windows suite in CI) each of the hundred
                // wake-ups is a round trip to wineserver: 100 ms is its
                // median, so the bound there is 500 ms.
                let bound = Duration::from_millis(if cfg!(windows) { 500 } else { 100 });
                assert!(after < bound, "ended {after:?} after shutdown");
                ended += 1;
            }
            assert_eq!(ended, 100);
        });
    });
}

#[test]
fn socket_timeouts_do_not_apply_to_async_calls_and_tokio_timeouts_lose_nothing() {
    watchdog::within(Duration::from_secs(60), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let pull = AsyncSocket::new(ctx.socket(SocketType::Pull).unwrap()).unwrap();
            pull.with_socket(|s| {
                s.set(zmq::opt::RcvTimeo, Some(Duration::from_millis(10)))?;
                s.bind("inproc://timeouts")
            })
            .unwrap();
            let push = AsyncSocket::new(ctx.socket(SocketType::Push).unwrap()).unwrap();
            push.with_socket(|s| {
                s.set(zmq::opt::SndTimeo, Some(Duration::from_millis(10)))?;
                s.set(zmq::opt::SndHwm, 1)
            })
            .unwrap();

            // Nothing to receive: a blocking recv would fail after 10 ms; the
            // async one waits until tokio's timeout gives up at 300 ms.
            let start = Instant::now();
            let waited = tokio::time::timeout(Duration::from_millis(300), pull.recv()).await;
            assert!(waited.is_err(), "the receive ended early: {waited:?}");
            assert!(start.elapsed() >= Duration::from_millis(300));

            // Nobody connected: the send waits past SndTimeo too.
            let waited = tokio::time::timeout(Duration::from_millis(300), push.send("x")).await;
            assert!(waited.is_err(), "the send ended early: {waited:?}");

            // Messages sent after those timeouts all arrive: nothing was lost
            // or taken by the cancelled futures.
            push.with_socket(|s| s.connect("inproc://timeouts"))
                .unwrap();
            for i in 0..100u32 {
                push.send(i.to_le_bytes()).await.unwrap();
                let got = tokio::time::timeout(Duration::from_secs(10), pull.recv())
                    .await
                    .expect("a message that was sent")
                    .unwrap();
                assert_eq!(got, i.to_le_bytes());
            }
        });
    });
}

#[test]
fn the_async_monitor_yields_connected_and_disconnected() {
    watchdog::within(Duration::from_secs(60), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let server = ctx.socket(SocketType::Router).unwrap();
            server.bind("tcp://127.0.0.1:*").unwrap();
            let endpoint = server.last_endpoint().unwrap();
            let client = AsyncSocket::new(ctx.socket(SocketType::Dealer).unwrap()).unwrap();
            let mut monitor = client
                .monitor(MonitorEvents::CONNECTED | MonitorEvents::DISCONNECTED)
                .unwrap();
            client.with_socket(|s| s.connect(&endpoint)).unwrap();

            let connected = monitor.next().await.unwrap().unwrap();
            assert!(
                matches!(connected.kind, EventKind::Connected { .. }),
                "{connected}"
            );
            assert_eq!(connected.endpoint, endpoint);

            drop(server); // the peer goes away
            let disconnected = monitor.next_event().await.unwrap();
            assert!(
                matches!(disconnected.kind, EventKind::Disconnected { .. }),
                "{disconnected}"
            );

            // Stopping the monitor ends the stream.
            client.with_socket(|s| s.stop_monitor()).unwrap();
            let mut rest = Vec::new();
            while let Some(event) = monitor.next().await {
                rest.push(event.unwrap().kind);
            }
            assert_eq!(rest.last(), Some(&EventKind::MonitorStopped));
            assert!(monitor.is_stopped());
            let after = monitor.next_event().await.unwrap_err();
            assert_eq!(after.kind(), ErrorKind::Terminated);
        });
    });
}

#[test]
fn a_sink_and_a_stream_of_one_dealer_work_from_two_tasks() {
    const MESSAGES: u32 = 10_000;
    watchdog::within(Duration::from_secs(120), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let router = AsyncSocket::new(ctx.socket(SocketType::Router).unwrap()).unwrap();
            router.with_socket(|s| s.bind("tcp://127.0.0.1:*")).unwrap();
            let endpoint = router.with_socket(|s| s.last_endpoint()).unwrap();
            let echo = tokio::spawn(async move {
                for _ in 0..MESSAGES {
                    let message = router.recv_multipart().await.unwrap();
                    router.send_multipart(message).await.unwrap();
                }
            });

            let dealer =
                Arc::new(AsyncSocket::new(ctx.socket(SocketType::Dealer).unwrap()).unwrap());
            dealer
                .with_socket(|s| {
                    s.set(zmq::opt::SndHwm, 1)?;
                    s.set(zmq::opt::RcvHwm, 1)?;
                    s.connect(&endpoint)
                })
                .unwrap();
            let mut sink = MultipartSink::new(Arc::clone(&dealer));
            let mut stream = MultipartStream::new(dealer);
            let writer = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    sink.send(vec![i.to_le_bytes().to_vec().into(), "tail".into()])
                        .await
                        .unwrap();
                }
                sink
            });
            for i in 0..MESSAGES {
                let parts = stream.next().await.unwrap().unwrap();
                assert_eq!(parts, [&i.to_le_bytes()[..], b"tail"]);
            }
            let sink = writer.await.unwrap();
            assert!(sink.into_unsent().is_none());
            echo.await.unwrap();

            // After a shutdown the stream yields Terminated, then ends.
            ctx.shutdown().unwrap();
            let last = stream.next().await.unwrap().unwrap_err();
            assert_eq!(last.kind(), ErrorKind::Terminated);
            assert!(stream.next().await.is_none());
        });
    });
}

/// Compile-time: the socket can be shared between tasks, and every future
/// and stream can move to another worker thread.
#[test]
fn sockets_are_send_and_sync_and_their_futures_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<AsyncSocket>();
    send::<zmq::tokio::SendFuture<'static>>();
    send::<zmq::tokio::RecvFuture<'static>>();
    send::<zmq::tokio::RecvMultipartFuture<'static>>();
    send::<MultipartStream>();
    send::<MultipartSink>();
    send::<zmq::tokio::AsyncMonitor>();
}
