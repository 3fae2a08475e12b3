//! The async layer against pyzmq's asyncio layer on the other end: a split
//! DEALER (writer and reader tasks) through a pyzmq ROUTER that echoes, and
//! a PULL fed by a pyzmq PUSH, at once, all with high-water marks of 1.
#![cfg(feature = "tokio")]

mod demo_support;
mod watchdog;

use std::sync::Arc;
use std::time::Duration;

use demo_support::{python, Proc};
use zmq::tokio::AsyncSocket;
use zmq::{Context, SocketType};

const MESSAGES: u64 = 10_000;

fn tight(ctx: &Context, kind: SocketType) -> AsyncSocket {
    let socket = ctx.socket(kind).unwrap();
    socket.set(zmq::opt::SndHwm, 1).unwrap();
    socket.set(zmq::opt::RcvHwm, 1).unwrap();
    AsyncSocket::new(socket).unwrap()
}

#[test]
fn a_pyzmq_asyncio_peer_echoes_and_pushes_through_backpressure() {
    let mut peer = Proc::spawn("pyzmq asyncio", {
        let mut cmd = python("async_echo.py");
        cmd.arg(MESSAGES.to_string());
        cmd
    });
    let endpoints = peer.endpoints_on_out("listening on");
    assert_eq!(endpoints.len(), 2, "{endpoints:?}");
    let (router, pusher) = (endpoints[0].clone(), endpoints[1].clone());

    watchdog::within(Duration::from_secs(300), move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let ctx = Context::new();
            let dealer = Arc::new(tight(&ctx, SocketType::Dealer));
            dealer.with_socket(|s| s.connect(&router)).unwrap();
            let pull = tight(&ctx, SocketType::Pull);
            pull.with_socket(|s| s.connect(&pusher)).unwrap();

            let writer = {
                let dealer = Arc::clone(&dealer);
                tokio::spawn(async move {
                    for i in 0..MESSAGES {
                        let parts = [&i.to_le_bytes()[..], b"from rust"];
                        dealer.send_multipart(parts).await.unwrap();
                    }
                })
            };
            let reader = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    let parts = dealer.recv_multipart().await.unwrap();
                    assert_eq!(parts, [&b"echo"[..], &i.to_le_bytes(), b"from rust"]);
                }
            });
            let puller = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    let parts = pull.recv_multipart().await.unwrap();
                    assert_eq!(parts, [&b"py"[..], &i.to_le_bytes()]);
                }
            });
            writer.await.unwrap();
            reader.await.unwrap();
            puller.await.unwrap();
        });
    });
    let status = peer.wait(Duration::from_secs(60));
    assert!(status.success(), "the pyzmq peer failed: {status}");
    assert!(
        peer.seen_out.contains(&"ok".to_owned()),
        "{:?}",
        peer.seen_out
    );
}
