//! The thread-safe (draft) socket types, blocking against async, in one
//! process each (built with `--features draft,tokio`):
//!
//! ```text
//! perf ts_lat       <endpoint> <message-size> <roundtrip-count>
//! perf ts_async_lat <endpoint> <message-size> <roundtrip-count>
//! perf ts_thr       <endpoint> <message-size> <message-count>
//! perf ts_async_thr <endpoint> <message-size> <message-count>
//! ```
//!
//! `*_lat`: a CLIENT bounces messages off a SERVER (on its own thread),
//! which replies by routing id; prints the one-way latency (half a round
//! trip), as `local_lat` does. `*_thr`: a SCATTER (on its own thread) sends
//! to a GATHER, which counts from the first message to the last; prints
//! the throughput, as `local_thr` does. The blocking programs use
//! `ThreadSafeSocket`, the async ones `zmq::tokio::AsyncThreadSafeSocket`
//! with one current-thread tokio runtime per thread; both have the same two
//! threads, sockets and messages.

use super::{count_arg, elapsed_us, size_arg, Failure, Outcome};
use std::time::Instant;
use zmq::tokio::AsyncThreadSafeSocket;
use zmq::{Context, Message, SocketType, ThreadSafeSocket};

/// The programs of this module.
const PROGRAMS: [&str; 4] = ["ts_lat", "ts_async_lat", "ts_thr", "ts_async_thr"];

/// Runs `program`; `None` if it is not one of this module's.
pub fn run(program: &str, args: &[String]) -> Option<Outcome> {
    if !PROGRAMS.contains(&program) {
        return None;
    }
    if args.len() != 3 {
        return Some(Err(Failure::Usage(
            "usage: ts_lat|ts_async_lat|ts_thr|ts_async_thr <endpoint> <message-size> <count>",
        )));
    }
    let (endpoint, size, count) = (args[0].as_str(), size_arg(&args[1]), count_arg(&args[2]));
    Some(match program {
        "ts_lat" => lat(endpoint, size, count),
        "ts_async_lat" => async_lat(endpoint, size, count),
        "ts_thr" => thr(endpoint, size, count),
        _ => async_thr(endpoint, size, count),
    })
}

fn current_thread() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("error in tokio: {e}")))
}

fn join(worker: std::thread::JoinHandle<Outcome>) -> Outcome {
    worker
        .join()
        .unwrap_or_else(|_| Err(Failure::Error("the worker thread panicked".into())))
}

fn check_size(msg: &Message, size: usize) -> Outcome {
    if msg.len() != size {
        return Err(Failure::Error("message of incorrect size received".into()));
    }
    Ok(())
}

fn print_lat(size: usize, count: u64, elapsed: u64) {
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    let latency = elapsed as f64 / (count as f64 * 2.0);
    println!("average latency: {latency:.3} [us]");
}

fn print_thr(size: usize, count: u64, elapsed: u64) {
    let elapsed = elapsed.max(1);
    let throughput = (count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {throughput} [msg/s]");
}

fn lat(endpoint: &str, size: usize, count: u64) -> Outcome {
    let ctx = Context::new();
    let server = ctx.thread_safe_socket(SocketType::Server)?;
    server.bind(endpoint)?;
    let endpoint = server.last_endpoint()?;
    let worker = std::thread::spawn(move || -> Outcome {
        for _ in 0..count {
            let msg = server.recv()?;
            let from = msg.server_routing_id().unwrap_or(0);
            server.send(msg.with_server_routing_id(from)?)?;
        }
        Ok(())
    });
    let client = ctx.thread_safe_socket(SocketType::Client)?;
    client.connect(&endpoint)?;
    let payload = Message::from(vec![0u8; size]);
    let start = Instant::now();
    for _ in 0..count {
        client.send(payload.clone())?;
        check_size(&client.recv()?, size)?;
    }
    let elapsed = elapsed_us(start);
    join(worker)?;
    print_lat(size, count, elapsed);
    Ok(())
}

fn async_lat(endpoint: &str, size: usize, count: u64) -> Outcome {
    let ctx = Context::new();
    let (bound, endpoint_rx) = std::sync::mpsc::channel();
    let worker = {
        let ctx = ctx.clone();
        let endpoint = endpoint.to_owned();
        std::thread::spawn(move || -> Outcome {
            current_thread()?.block_on(async move {
                let server = ctx.async_thread_safe_socket(SocketType::Server)?;
                server.bind(&endpoint)?;
                let _ = bound.send(server.last_endpoint()?);
                for _ in 0..count {
                    let msg = server.recv().await?;
                    let from = msg.server_routing_id().unwrap_or(0);
                    server.send_to(from, msg).await?;
                }
                Ok(())
            })
        })
    };
    let endpoint = endpoint_rx
        .recv()
        .map_err(|_| Failure::Error("the server did not start".into()))?;
    let elapsed = current_thread()?.block_on(async {
        let client = ctx.async_thread_safe_socket(SocketType::Client)?;
        client.connect(&endpoint)?;
        let payload = Message::from(vec![0u8; size]);
        let start = Instant::now();
        for _ in 0..count {
            client.send(payload.clone()).await?;
            check_size(&client.recv().await?, size)?;
        }
        Ok::<_, Failure>(elapsed_us(start))
    })?;
    join(worker)?;
    print_lat(size, count, elapsed);
    Ok(())
}

fn thr(endpoint: &str, size: usize, count: u64) -> Outcome {
    let ctx = Context::new();
    let gather = ctx.thread_safe_socket(SocketType::Gather)?;
    gather.bind(endpoint)?;
    let endpoint = gather.last_endpoint()?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            let scatter: ThreadSafeSocket = ctx.thread_safe_socket(SocketType::Scatter)?;
            scatter.connect(&endpoint)?;
            let payload = Message::from(vec![0u8; size]);
            for _ in 0..count {
                scatter.send(payload.clone())?;
            }
            Ok(())
        })
    };
    check_size(&gather.recv()?, size)?;
    let start = Instant::now();
    for _ in 1..count {
        check_size(&gather.recv()?, size)?;
    }
    let elapsed = elapsed_us(start);
    join(worker)?;
    print_thr(size, count, elapsed);
    Ok(())
}

fn async_thr(endpoint: &str, size: usize, count: u64) -> Outcome {
    let ctx = Context::new();
    let runtime = current_thread()?;
    let gather = runtime.block_on(async { ctx.async_thread_safe_socket(SocketType::Gather) })?;
    gather.bind(endpoint)?;
    let endpoint = gather.last_endpoint()?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            current_thread()?.block_on(async move {
                let scatter: AsyncThreadSafeSocket =
                    ctx.async_thread_safe_socket(SocketType::Scatter)?;
                scatter.connect(&endpoint)?;
                let payload = Message::from(vec![0u8; size]);
                for _ in 0..count {
                    scatter.send(payload.clone()).await?;
                }
                Ok(())
            })
        })
    };
    let elapsed = runtime.block_on(async {
        check_size(&gather.recv().await?, size)?;
        let start = Instant::now();
        for _ in 1..count {
            check_size(&gather.recv().await?, size)?;
        }
        Ok::<_, Failure>(elapsed_us(start))
    })?;
    join(worker)?;
    print_thr(size, count, elapsed);
    Ok(())
}
