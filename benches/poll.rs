//! What a `Poller` wait costs over 1, 10 and 100 sockets: one socket has a
//! message waiting (the wait returns at once with it), or none has (a zero
//! timeout only looks).
//!
//! `cargo bench --bench poll -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;
use zmq::{Context, PollEvents, Poller, Socket, SocketType};

fn sockets(ctx: &Context, count: usize, name: &str) -> Vec<(Socket, Socket)> {
    (0..count)
        .map(|i| {
            let endpoint = format!("inproc://bench-{name}-{i}");
            let pull = ctx.socket(SocketType::Pull).expect("socket");
            pull.bind(&endpoint).expect("bind");
            let push = ctx.socket(SocketType::Push).expect("socket");
            push.connect(&endpoint).expect("connect");
            (pull, push)
        })
        .collect()
}

fn poller_wait(c: &mut Criterion) {
    let ctx = Context::new();
    let mut group = c.benchmark_group("poller_wait");
    for count in [1usize, 10, 100] {
        let pairs = sockets(&ctx, count, &format!("ready-{count}"));
        // The last socket holds a message that is never received: every wait
        // finds it ready after looking at all the others.
        pairs[count - 1].1.send("ready").expect("send");
        let mut poller = Poller::with_capacity(count);
        for (i, (pull, _)) in pairs.iter().enumerate() {
            poller.add(pull, PollEvents::POLLIN, i).expect("add");
        }
        group.bench_with_input(BenchmarkId::new("one_ready", count), &count, |b, _| {
            b.iter(|| black_box(poller.wait(None).expect("wait").len()))
        });
        drop(poller);
        // The same wait straight through the C API, as the baseline.
        let mut items: Vec<zmq::sys::zmq_pollitem_t> = pairs
            .iter()
            .map(|(pull, _)| zmq::sys::zmq_pollitem_t {
                socket: pull.as_raw(),
                fd: 0,
                events: zmq::sys::ZMQ_POLLIN as i16,
                revents: 0,
            })
            .collect();
        group.bench_with_input(
            BenchmarkId::new("raw_zmq_poll_one_ready", count),
            &count,
            |b, _| {
                b.iter(|| {
                    // SAFETY: the items name live sockets and count is their number.
                    black_box(unsafe { zmq::sys::zmq_poll(items.as_mut_ptr(), count as i32, -1) })
                })
            },
        );

        let idle = sockets(&ctx, count, &format!("idle-{count}"));
        let mut poller = Poller::with_capacity(count);
        for (i, (pull, _)) in idle.iter().enumerate() {
            poller.add(pull, PollEvents::POLLIN, i).expect("add");
        }
        group.bench_with_input(
            BenchmarkId::new("none_ready_zero_timeout", count),
            &count,
            |b, _| b.iter(|| black_box(poller.wait(Some(Duration::ZERO)).expect("wait").len())),
        );
    }
    group.finish();
}

criterion_group!(benches, poller_wait);
criterion_main!(benches);
