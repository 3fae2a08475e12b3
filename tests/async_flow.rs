//! The async layer under back-pressure: high-water marks of 1 on both sides,
//! ping-pong and a split DEALER whose reader and writer are different tasks
//! on the multi-threaded runtime. Each message carries its sequence number,
//! so the tests see loss, duplication and reordering; a watchdog sees hangs.
#![cfg(feature = "tokio")]

mod watchdog;

use std::sync::Arc;
use std::time::Duration;

use zmq::tokio::AsyncSocket;
use zmq::{Context, SocketType};

/// The issue asks for a million messages in each test.
const MESSAGES: u64 = 1_000_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// An async socket whose send and receive queues hold one message each.
fn tight(ctx: &Context, kind: SocketType) -> AsyncSocket {
    let socket = ctx.socket(kind).unwrap();
    socket.set(zmq::opt::SndHwm, 1).unwrap();
    socket.set(zmq::opt::RcvHwm, 1).unwrap();
    AsyncSocket::new(socket).unwrap()
}

fn number(message: &[u8]) -> u64 {
    u64::from_le_bytes(message.try_into().expect("an 8-byte sequence number"))
}

/// A DEALER pair over tcp: (ours, echoing peer).
fn dealer_pair(ctx: &Context) -> (AsyncSocket, AsyncSocket) {
    let echo = tight(ctx, SocketType::Dealer);
    echo.with_socket(|s| s.bind("tcp://127.0.0.1:*")).unwrap();
    let endpoint = echo.with_socket(|s| s.last_endpoint()).unwrap();
    let ours = tight(ctx, SocketType::Dealer);
    ours.with_socket(|s| s.connect(&endpoint)).unwrap();
    (ours, echo)
}

/// Sends back what it receives, `count` times, checking the order.
async fn echo(socket: AsyncSocket, count: u64) {
    for expected in 0..count {
        let message = socket.recv().await.unwrap();
        assert_eq!(number(&message), expected, "the echo saw a gap or a repeat");
        socket.send(message).await.unwrap();
    }
}

#[test]
fn a_million_ping_pongs_with_high_water_marks_of_one() {
    watchdog::within(Duration::from_secs(600), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let (ours, peer) = dealer_pair(&ctx);
            let echoer = tokio::spawn(echo(peer, MESSAGES));
            for i in 0..MESSAGES {
                ours.send(i.to_le_bytes()).await.unwrap();
                let back = ours.recv().await.unwrap();
                assert_eq!(number(&back), i);
            }
            echoer.await.unwrap();
        });
    });
}

#[test]
fn a_split_dealer_streams_a_million_messages_with_high_water_marks_of_one() {
    watchdog::within(Duration::from_secs(600), || {
        runtime().block_on(async {
            let ctx = Context::new();
            let (ours, peer) = dealer_pair(&ctx);
            let ours = Arc::new(ours);
            let echoer = tokio::spawn(echo(peer, MESSAGES));
            let writer = {
                let ours = Arc::clone(&ours);
                tokio::spawn(async move {
                    for i in 0..MESSAGES {
                        ours.send(i.to_le_bytes()).await.unwrap();
                    }
                })
            };
            let reader = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    let back = ours.recv().await.unwrap();
                    assert_eq!(number(&back), i, "lost, repeated or reordered");
                }
            });
            writer.await.unwrap();
            reader.await.unwrap();
            echoer.await.unwrap();
        });
    });
}
