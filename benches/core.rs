//! The binding's own costs, each next to the cheapest way to do the same thing:
//! building a message (copy vs zero-copy), typed options, send/recv over
//! inproc. (Polling has its own bench, `benches/poll.rs`.)
//!
//! Run: `cargo bench --bench core` (or `-- message/` for one group).
//! libzmq's work dominates most of these; the figures to watch are the gaps
//! between neighbours (copy vs zero-copy, reused vs fresh message).

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use zmq::{opt, Context, Message, RecvFlags, SendFlags, Socket, SocketType};

const SIZES: [usize; 4] = [1, 64, 64 * 1024, 1 << 20];

/// Building a message of each size: copied, zero-filled, shared, or handed over.
fn message(c: &mut Criterion) {
    let mut group = c.benchmark_group("message");
    for size in SIZES {
        let data = vec![0xa5u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("from_slice (copy)", size),
            &data,
            |b, data| b.iter(|| Message::from_slice(black_box(data))),
        );
        group.bench_with_input(
            BenchmarkId::new("with_size (zeroed)", size),
            &size,
            |b, &size| b.iter(|| Message::with_size(black_box(size))),
        );
        // The Vec is built outside the timing: only the hand-over and the
        // release through libzmq's free callback are measured.
        group.bench_with_input(
            BenchmarkId::new("from Vec (zero-copy)", size),
            &data,
            |b, data| b.iter_batched(|| data.clone(), Message::from, BatchSize::LargeInput),
        );
        group.bench_with_input(
            BenchmarkId::new("from Bytes (zero-copy)", size),
            &data,
            |b, data| {
                let bytes = bytes::Bytes::from(data.clone());
                b.iter(|| Message::from(black_box(bytes.clone())))
            },
        );
        let shared = Message::from_slice(&data);
        group.bench_with_input(
            BenchmarkId::new("clone (shared)", size),
            &shared,
            |b, msg| b.iter(|| black_box(msg).clone()),
        );
        group.bench_with_input(BenchmarkId::new("into Bytes", size), &data, |b, data| {
            b.iter_batched(
                || Message::from_slice(data),
                bytes::Bytes::from,
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    let msg = Message::from_slice(&[1u8; 64]);
    c.bench_function("message/len", |b| b.iter(|| black_box(&msg).len()));
    c.bench_function("message/as_bytes", |b| {
        b.iter(|| black_box(&msg).as_bytes().as_ptr())
    });
}

/// Typed options against the raw byte interface they wrap.
fn options(c: &mut Criterion) {
    let ctx = Context::new();
    let socket = ctx.socket(SocketType::Dealer).expect("socket");
    socket.bind("inproc://bench-options").expect("bind");
    let mut group = c.benchmark_group("option");
    group.bench_function("set SndHwm (i32)", |b| {
        b.iter(|| socket.set(opt::SndHwm, black_box(1000)))
    });
    group.bench_function("get SndHwm (i32)", |b| b.iter(|| socket.get(opt::SndHwm)));
    group.bench_function("set_raw ZMQ_SNDHWM", |b| {
        let value = 1000i32.to_ne_bytes();
        b.iter(|| socket.set_raw(zmq_sys::ZMQ_SNDHWM, "ZMQ_SNDHWM", black_box(&value)))
    });
    group.bench_function("set Linger (Duration)", |b| {
        b.iter(|| socket.set(opt::Linger, black_box(Some(Duration::from_millis(10)))))
    });
    group.bench_function("set RoutingId (bytes)", |b| {
        b.iter(|| socket.set(opt::RoutingId, black_box(b"peer-0001")))
    });
    group.bench_function("get LastEndpoint (string)", |b| {
        b.iter(|| socket.last_endpoint())
    });
    group.bench_function("get Events", |b| b.iter(|| socket.events()));
    group.finish();
}

/// A connected inproc PAIR, both ends on this thread: a send never blocks
/// (the queue is far from its high-water mark) and the receive that follows
/// finds the message waiting.
fn pair(ctx: &Context, name: &str) -> (Socket, Socket) {
    let a = ctx.socket(SocketType::Pair).expect("socket");
    a.bind(&format!("inproc://{name}")).expect("bind");
    let b = ctx.socket(SocketType::Pair).expect("socket");
    b.connect(&format!("inproc://{name}")).expect("connect");
    (a, b)
}

/// One message sent and received over inproc, several ways.
fn send_recv(c: &mut Criterion) {
    let ctx = Context::new();
    let (tx, rx) = pair(&ctx, "bench-send-recv");
    let mut group = c.benchmark_group("inproc send+recv");
    for size in [1usize, 64, 64 * 1024] {
        let data = vec![0x5au8; size];
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(
            BenchmarkId::new("send_msg+recv_msg_into (reused message)", size),
            &data,
            |b, data| {
                let mut msg = Message::from_slice(data);
                b.iter(|| {
                    tx.send_msg(&mut msg, SendFlags::empty()).expect("send");
                    rx.recv_msg_into(&mut msg, RecvFlags::empty())
                        .expect("recv");
                })
            },
        );
        let shared = Message::from_slice(&data);
        group.bench_with_input(
            BenchmarkId::new("send(clone)+recv", size),
            &shared,
            |b, msg| {
                b.iter(|| {
                    tx.send(msg.clone()).expect("send");
                    rx.recv().expect("recv")
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("send(&[u8])+recv (copy)", size),
            &data,
            |b, data| {
                b.iter(|| {
                    tx.send(data.as_slice()).expect("send");
                    rx.recv().expect("recv")
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("send(&[u8])+recv_into (copies)", size),
            &data,
            |b, data| {
                let mut buf = vec![0u8; data.len()];
                b.iter(|| {
                    tx.send(data.as_slice()).expect("send");
                    rx.recv_into(&mut buf).expect("recv")
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("inproc try_recv");
    group.bench_function("empty queue (EAGAIN)", |b| {
        b.iter(|| rx.try_recv().expect("try_recv"))
    });
    group.finish();
}

criterion_group!(benches, message, options, send_recv);
criterion_main!(benches);
