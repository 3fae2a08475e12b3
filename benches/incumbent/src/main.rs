//! libzmq's `perf/inproc_thr.cpp` and `perf/inproc_lat.cpp` written against
//! the incumbent binding, `zmq` 0.10 from crates.io, the way a user of that
//! crate would write them: same arguments, same output lines as the C
//! programs and as `examples/perf.rs` of this repository.
//!
//! ```text
//! zmq-incumbent-perf inproc_thr <message-size> <message-count>
//! zmq-incumbent-perf inproc_lat <message-size> <roundtrip-count>
//! ```
//!
//! The throughput sender sends a fresh `Message::with_size` per message, the
//! safe counterpart of C's `zmq_msg_init_size` (the incumbent zero-fills it;
//! the uninitialised `with_capacity_unallocated` is `unsafe`). The latency
//! programs bounce one message, as C does: `send` consumes the message and
//! `recv_msg` hands back the next one.

use std::process::exit;
use std::thread;
use std::time::Instant;

fn die(what: &str, err: zmq::Error) -> ! {
    println!("error in {what}: {err}");
    exit(1)
}

fn inproc_thr(size: usize, count: usize) {
    let ctx = zmq::Context::new();
    let socket = ctx
        .socket(zmq::PULL)
        .unwrap_or_else(|e| die("zmq_socket", e));
    socket
        .bind("inproc://thr_test")
        .unwrap_or_else(|e| die("zmq_bind", e));

    let worker_ctx = ctx.clone();
    let worker = thread::spawn(move || {
        let socket = worker_ctx
            .socket(zmq::PUSH)
            .unwrap_or_else(|e| die("zmq_socket", e));
        socket
            .connect("inproc://thr_test")
            .unwrap_or_else(|e| die("zmq_connect", e));
        for _ in 0..count {
            let msg = zmq::Message::with_size(size);
            socket
                .send(msg, 0)
                .unwrap_or_else(|e| die("zmq_sendmsg", e));
        }
    });

    let mut msg = zmq::Message::new();
    println!("message size: {size} [B]");
    println!("message count: {count}");

    socket
        .recv(&mut msg, 0)
        .unwrap_or_else(|e| die("zmq_recvmsg", e));
    if msg.len() != size {
        println!("message of incorrect size received");
        exit(1);
    }
    let watch = Instant::now();
    for _ in 1..count {
        socket
            .recv(&mut msg, 0)
            .unwrap_or_else(|e| die("zmq_recvmsg", e));
        if msg.len() != size {
            println!("message of incorrect size received");
            exit(1);
        }
    }
    let elapsed = (watch.elapsed().as_micros() as u64).max(1);
    drop(msg);
    worker.join().expect("worker thread panicked");

    let throughput = (count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    let megabits = (throughput * size as u64 * 8) as f64 / 1_000_000.0;
    println!("mean throughput: {throughput} [msg/s]");
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

fn inproc_lat(size: usize, roundtrips: usize) {
    let ctx = zmq::Context::new();
    let socket = ctx
        .socket(zmq::REQ)
        .unwrap_or_else(|e| die("zmq_socket", e));
    socket
        .bind("inproc://lat_test")
        .unwrap_or_else(|e| die("zmq_bind", e));

    let worker_ctx = ctx.clone();
    let worker = thread::spawn(move || {
        let socket = worker_ctx
            .socket(zmq::REP)
            .unwrap_or_else(|e| die("zmq_socket", e));
        socket
            .connect("inproc://lat_test")
            .unwrap_or_else(|e| die("zmq_connect", e));
        for _ in 0..roundtrips {
            let msg = socket.recv_msg(0).unwrap_or_else(|e| die("zmq_recvmsg", e));
            socket
                .send(msg, 0)
                .unwrap_or_else(|e| die("zmq_sendmsg", e));
        }
    });

    let mut msg = zmq::Message::with_size(size);
    println!("message size: {size} [B]");
    println!("roundtrip count: {roundtrips}");

    let watch = Instant::now();
    for _ in 0..roundtrips {
        socket
            .send(msg, 0)
            .unwrap_or_else(|e| die("zmq_sendmsg", e));
        msg = socket.recv_msg(0).unwrap_or_else(|e| die("zmq_recvmsg", e));
        if msg.len() != size {
            println!("message of incorrect size received");
            exit(1);
        }
    }
    let elapsed = watch.elapsed().as_micros() as f64;
    drop(msg);
    let latency = elapsed / (roundtrips * 2) as f64;
    worker.join().expect("worker thread panicked");
    println!("average latency: {latency:.3} [us]");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |s: &str| -> usize {
        s.parse().unwrap_or_else(|_| {
            println!("not a number: {s}");
            exit(1)
        })
    };
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["inproc_thr", size, count] => inproc_thr(parse(size), parse(count)),
        ["inproc_lat", size, roundtrips] => inproc_lat(parse(size), parse(roundtrips)),
        _ => {
            println!("usage: zmq-incumbent-perf inproc_thr <message-size> <message-count>");
            println!("       zmq-incumbent-perf inproc_lat <message-size> <roundtrip-count>");
            exit(1)
        }
    }
}
