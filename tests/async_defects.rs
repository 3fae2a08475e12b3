//! The seven defects of issue 18, one test each: each of these failed (or
//! hung, caught by the watchdog) on the async layer before its fix.
#![cfg(feature = "tokio")]

mod poll_count;
mod watchdog;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Wake, Waker};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poll_count::counted;
use zmq::monitor::MonitorEvents;
use zmq::tokio::{AsyncSocket, MultipartSink};
use zmq::{opt, Context, ErrorKind, SocketType};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Sends `count` messages from `sender` while a slow reader (`read_one`, run
/// on its own thread every 5 ms) drains them; the polls of all the sends.
fn polls_for_slow_reader(
    rt: &tokio::runtime::Runtime,
    sender: &AsyncSocket,
    message: impl Fn(usize) -> Vec<zmq::Message>,
    count: usize,
    read_one: impl FnMut() + Send + 'static,
) -> usize {
    let mut read_one = read_one;
    let reader = std::thread::spawn(move || {
        for _ in 0..count {
            std::thread::sleep(Duration::from_millis(5));
            read_one();
        }
    });
    let polls = AtomicUsize::new(0);
    rt.block_on(async {
        for i in 0..count {
            counted(sender.send_multipart(message(i)), &polls)
                .await
                .expect("the send");
        }
    });
    reader.join().expect("the reader");
    let polls = polls.load(Ordering::Relaxed);
    eprintln!("{count} sends to a slow reader: {polls} polls");
    polls
}

/// Defect 2: sends on the types whose POLLOUT says nothing of the next send
/// spun a runtime thread (170,000 polls for 15 XPUB sends, 1.7 million for
/// STREAM). Now each waits for an edge: a few polls per message.
#[test]
fn a_blocked_xpub_nodrop_send_waits_without_spinning() {
    watchdog::within(Duration::from_secs(60), || {
        let ctx = Context::new();
        let rt = runtime();
        let xpub = rt
            .block_on(async { ctx.async_socket(SocketType::XPub) })
            .unwrap();
        xpub.set(opt::XpubNodrop, true).unwrap();
        xpub.set(opt::SndHwm, 1).unwrap();
        xpub.bind("inproc://nodrop").unwrap();
        let sub = ctx.socket(SocketType::Sub).unwrap();
        sub.set(opt::RcvHwm, 1).unwrap();
        sub.connect("inproc://nodrop").unwrap();
        sub.subscribe("").unwrap();
        // The subscription reaches the XPUB as a message.
        assert_eq!(rt.block_on(xpub.recv()).unwrap(), b"\x01".as_slice());
        let polls = polls_for_slow_reader(
            &rt,
            &xpub,
            |i| vec![format!("tick {i}").into()],
            15,
            move || {
                sub.recv().unwrap();
            },
        );
        assert!(polls <= 15 * 6, "{polls} polls for 15 sends");
    });
}

#[test]
fn a_blocked_mandatory_router_send_waits_without_spinning() {
    watchdog::within(Duration::from_secs(60), || {
        let ctx = Context::new();
        let rt = runtime();
        let router = rt
            .block_on(async { ctx.async_socket(SocketType::Router) })
            .unwrap();
        router.set(opt::RouterMandatory, true).unwrap();
        router.set(opt::SndHwm, 1).unwrap();
        router.bind("inproc://mandatory").unwrap();
        let dealer = ctx.socket(SocketType::Dealer).unwrap();
        dealer.set(opt::RcvHwm, 1).unwrap();
        dealer.set(opt::RoutingId, b"slow".to_vec()).unwrap();
        dealer.connect("inproc://mandatory").unwrap();
        dealer.send("hello").unwrap();
        assert_eq!(
            rt.block_on(router.recv_multipart()).unwrap(),
            ["slow", "hello"]
        );
        let polls = polls_for_slow_reader(
            &rt,
            &router,
            |i| vec!["slow".into(), format!("reply {i}").into()],
            15,
            move || {
                dealer.recv().unwrap();
            },
        );
        assert!(polls <= 15 * 6, "{polls} polls for 15 sends");
    });
}

#[test]
fn a_blocked_stream_send_waits_without_spinning() {
    use std::io::Read;
    watchdog::within(Duration::from_secs(60), || {
        let ctx = Context::new();
        let rt = runtime();
        let stream = rt
            .block_on(async { ctx.async_socket(SocketType::Stream) })
            .unwrap();
        stream.set(opt::SndHwm, 1).unwrap();
        stream.set(opt::SndBuf, 4096).unwrap();
        stream.bind("tcp://127.0.0.1:*").unwrap();
        let address = stream.last_endpoint().unwrap().replace("tcp://", "");
        let mut peer = std::net::TcpStream::connect(address).unwrap();
        // The STREAM socket announces the connection: [routing id, ""].
        let hello = rt.block_on(stream.recv_multipart()).unwrap();
        let id = hello[0].to_vec();
        const CHUNK: usize = 256 * 1024;
        let polls = polls_for_slow_reader(
            &rt,
            &stream,
            |_| vec![id.clone().into(), vec![7u8; CHUNK].into()],
            15,
            move || {
                let mut buffer = vec![0u8; CHUNK];
                peer.read_exact(&mut buffer).unwrap();
            },
        );
        assert!(polls <= 15 * 40, "{polls} polls for 15 sends");
    });
}

/// Sends a long multipart message from an async PUSH (through the blocking
/// API if `blocking`) while its only peer closes, then a short one to a new
/// peer, which must receive it: libzmq must not be left dropping the rest of
/// the broken message, which would swallow the next one.
fn next_message_survives_a_peer_leaving(endpoint: &str, delay: Duration, blocking: bool) {
    const PARTS: usize = 100_000;
    let rt = runtime();
    let ctx = Context::new();
    let push = Arc::new(
        rt.block_on(async { ctx.async_socket(SocketType::Push) })
            .unwrap(),
    );
    push.bind(endpoint).unwrap();
    let leaving = ctx.socket(SocketType::Pull).unwrap();
    leaving.connect(endpoint).unwrap();
    let parts: Vec<zmq::Message> = (0..PARTS).map(|_| vec![0u8; 1].into()).collect();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(delay);
        drop(leaving);
    });
    let sender = Arc::clone(&push);
    let long = rt.spawn(async move {
        if blocking {
            sender.with_socket(|s| s.send_multipart(parts))
        } else {
            sender.send_multipart(parts).await
        }
    });
    closer.join().unwrap();
    // A new peer (which also takes the long message if it had not gone yet).
    let staying = ctx.socket(SocketType::Pull).unwrap();
    staying
        .set(opt::RcvTimeo, Some(Duration::from_secs(5)))
        .unwrap();
    staying.connect(endpoint).unwrap();
    rt.block_on(long).unwrap().unwrap();
    rt.block_on(push.send("next")).unwrap();
    loop {
        let parts = staying.recv_multipart().unwrap_or_else(|e| {
            panic!("{endpoint}: the message after the broken one never came: {e}")
        });
        if parts.len() == 1 {
            assert_eq!(parts, ["next"], "{endpoint}");
            break;
        }
        // What reached this peer of the long message is whole.
        assert_eq!(parts.len(), PARTS, "{endpoint}: a torn message");
    }
}

/// Defect 1: a PUSH whose peer leaves in the middle of a multipart send. The
/// layer stopped feeding parts, libzmq stayed in its "drop the rest" mode,
/// and the next message vanished while its send said Ok (7 trials in 10).
#[test]
fn a_peer_leaving_mid_multipart_does_not_swallow_the_next_message() {
    watchdog::within(Duration::from_secs(120), || {
        for trial in 0..20 {
            next_message_survives_a_peer_leaving(
                &format!("inproc://leaving-{trial}"),
                Duration::from_micros(100 + 150 * trial),
                false,
            );
        }
    });
}

/// The claim in `send_rest`'s docs: the blocking and the async multipart
/// sends treat a peer that leaves mid-message alike (the next message
/// arrives after both).
#[test]
fn blocking_and_async_multipart_sends_agree_when_the_peer_leaves() {
    watchdog::within(Duration::from_secs(120), || {
        for trial in 0..6 {
            for blocking in [true, false] {
                next_message_survives_a_peer_leaving(
                    &format!("inproc://agree-{blocking}-{trial}"),
                    Duration::from_micros(200 + 300 * trial),
                    blocking,
                );
            }
        }
    });
}

/// Defect 3: the shutdown's stop command processed by a `ZMQ_EVENTS` read
/// whose error was ignored: the send then waited for an edge that never came
/// (10 of 10 with another waiter registered).
#[test]
fn shutdown_wakes_a_send_while_a_receive_waits_on_the_same_socket() {
    watchdog::within(Duration::from_secs(60), || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        for trial in 0..10 {
            rt.block_on(async {
                let ctx = Context::new();
                let dealer = Arc::new(ctx.async_socket(SocketType::Dealer).unwrap());
                dealer.set(opt::SndHwm, 1).unwrap();
                dealer.bind(&format!("inproc://stop-{trial}")).unwrap();
                let receiver = Arc::clone(&dealer);
                let receive = tokio::spawn(async move { receiver.recv().await.map(drop) });
                // No peer: a DEALER's send waits for one.
                let sender = Arc::clone(&dealer);
                let send = tokio::spawn(async move { sender.send("nowhere").await });
                tokio::time::sleep(Duration::from_millis(20)).await;
                ctx.shutdown().unwrap();
                for (what, task) in [("receive", receive), ("send", send)] {
                    let outcome = tokio::time::timeout(Duration::from_secs(5), task)
                        .await
                        .unwrap_or_else(|_| panic!("trial {trial}: the {what} never woke"))
                        .unwrap();
                    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Terminated);
                }
            });
        }
    });
}

/// Defect 4: wakers ran while the layer's locks were held. A waker that drops
/// its future on the spot (as a torn-down executor does) re-entered the
/// layer and deadlocked on the same mutex.
#[test]
fn a_waker_that_drops_its_future_on_the_spot_does_not_deadlock() {
    type Slot = Arc<Mutex<Option<Pin<Box<dyn Future<Output = zmq::Result<zmq::Message>> + Send>>>>>;
    struct DropOnWake(Slot, AtomicUsize);
    impl Wake for DropOnWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.1.fetch_add(1, Ordering::SeqCst);
            // Dropping the future unregisters it from the socket it waits on.
            drop(self.0.lock().unwrap().take());
        }
    }
    watchdog::within(Duration::from_secs(30), || {
        let rt = runtime();
        let ctx = Context::new();
        let pull = Arc::new(
            rt.block_on(async { ctx.async_socket(SocketType::Pull) })
                .unwrap(),
        );
        pull.bind("inproc://drop-on-wake").unwrap();
        let slot: Slot = Arc::new(Mutex::new(None));
        let receiver = Arc::clone(&pull);
        *slot.lock().unwrap() = Some(Box::pin(async move { receiver.recv().await }));
        let waker_state = Arc::new(DropOnWake(Arc::clone(&slot), AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&waker_state));
        rt.block_on(async {
            let mut future = slot.lock().unwrap().take().unwrap();
            let poll = future.as_mut().poll(&mut TaskContext::from_waker(&waker));
            assert!(poll.is_pending());
            *slot.lock().unwrap() = Some(future);
            // A message: the fd's edge wakes the waiter, which drops it.
            let push = ctx.socket(SocketType::Push).unwrap();
            push.connect("inproc://drop-on-wake").unwrap();
            push.send("wake up").unwrap();
            for _ in 0..500 {
                if waker_state.1.load(Ordering::SeqCst) > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        assert!(
            waker_state.1.load(Ordering::SeqCst) > 0,
            "the waiter was never woken"
        );
        assert!(
            slot.lock().unwrap().is_none(),
            "the waker dropped the future"
        );
        // The message was not taken by the dropped receive.
        assert_eq!(rt.block_on(pull.recv()).unwrap(), "wake up");
    });
}

/// Defect 5: one refused message poisoned a MultipartSink: it stayed
/// pending, was re-sent at every `poll_ready`, and every later message was
/// dropped unseen.
#[test]
fn a_refused_message_does_not_poison_the_sink() {
    watchdog::within(Duration::from_secs(30), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let router = Arc::new(ctx.async_socket(SocketType::Router).unwrap());
            router.set(opt::RouterMandatory, true).unwrap();
            router.bind("inproc://refusing").unwrap();
            let dealer = ctx.async_socket(SocketType::Dealer).unwrap();
            dealer.set(opt::RoutingId, b"known".to_vec()).unwrap();
            dealer.connect("inproc://refusing").unwrap();
            dealer.send("hi").await.unwrap();
            assert_eq!(router.recv_multipart().await.unwrap(), ["known", "hi"]);

            let mut sink = MultipartSink::new(Arc::clone(&router));
            let refused = sink.send(vec!["unknown".into(), "lost?".into()]).await;
            assert_eq!(refused.unwrap_err().kind(), ErrorKind::Unroutable);
            assert_eq!(sink.take_failed().unwrap(), ["unknown", "lost?"]);
            for i in 0..3 {
                sink.send(vec!["known".into(), format!("after {i}").into()])
                    .await
                    .unwrap();
                assert_eq!(dealer.recv().await.unwrap(), format!("after {i}").as_str());
            }
            assert!(sink.take_failed().is_none());
        });
    });
}

/// Defect 6: a runtime built without I/O made `AsyncSocket::new` panic
/// ("IO is disabled").
///
/// Unix only: on Windows the readiness source is the crate's own reactor
/// thread (src/tokio/source/windows.rs), not tokio's I/O driver, so such a
/// runtime works there.
#[cfg(unix)]
#[test]
fn a_runtime_without_io_gives_a_clear_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ctx = Context::new();
    let error = rt
        .block_on(async { ctx.async_socket(SocketType::Pull) })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidState);
    assert!(error.to_string().contains("enable_io"), "{error}");
    // Outside any runtime: the same kind, its own words.
    let error = AsyncSocket::new(ctx.socket(SocketType::Pull).unwrap()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidState);
    assert!(
        error.to_string().contains("inside a tokio runtime"),
        "{error}"
    );
}

/// Defect 7: an error from the monitor's `ZMQ_EVENTS` read bypassed the
/// monitor, so a terminated context could be reported twice. The stream
/// yields at most one `Terminated` and then ends.
#[test]
fn a_terminated_monitor_stream_reports_it_once_and_ends() {
    watchdog::within(Duration::from_secs(60), || {
        let rt = runtime();
        for _ in 0..50 {
            rt.block_on(async {
                let ctx = Context::new();
                let socket = ctx.async_socket(SocketType::Dealer).unwrap();
                let mut monitor = socket.monitor(MonitorEvents::ALL).unwrap();
                let stopper = ctx.clone();
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    stopper.shutdown().unwrap();
                });
                let mut terminated = 0;
                while let Some(item) = tokio::time::timeout(Duration::from_secs(5), monitor.next())
                    .await
                    .expect("the monitor stream ends after shutdown")
                {
                    if let Err(e) = item {
                        assert_eq!(e.kind(), ErrorKind::Terminated);
                        terminated += 1;
                    }
                }
                assert!(terminated <= 1, "Terminated {terminated} times");
                drop(socket);
            });
        }
    });
}
