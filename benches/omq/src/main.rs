//! libzmq's tcp perf programs on omq-tokio: same arguments, same output
//! lines as perf/*.cpp and our examples/perf.rs. The senders send clones of
//! one zeroed `Bytes` (a reference count per message, as our `shared`
//! payload); receivers check each message's size.

use bytes::Bytes;
use omq_tokio::{Context, Message, Options, SocketType};
use std::process::ExitCode;
use std::time::Instant;

type Outcome = Result<(), String>;

fn count(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn local_thr(ctx: Context, bind_to: String, size: usize, count: u64) -> Outcome {
    let socket = ctx.socket(SocketType::Pull, Options::default());
    socket.bind(bind_to.as_str()).await.map_err(fail)?;
    let first = socket.recv().await.map_err(fail)?;
    if first.byte_len() != size {
        return Err("message of incorrect size received".into());
    }
    let watch = Instant::now();
    for _ in 1..count {
        let msg = socket.recv().await.map_err(fail)?;
        if msg.byte_len() != size {
            return Err("message of incorrect size received".into());
        }
    }
    let elapsed = u64::try_from(watch.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", size as i32);
    println!("message count: {}", count as i32);
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

async fn remote_thr(ctx: Context, connect_to: String, size: usize, count: u64) -> Outcome {
    let socket = ctx.socket(SocketType::Push, Options::default());
    socket.connect(connect_to.as_str()).await.map_err(fail)?;
    let payload = Bytes::from(vec![0u8; size]);
    for _ in 0..count {
        socket
            .send(Message::single(payload.clone()))
            .await
            .map_err(fail)?;
    }
    // Wait until the receiver has everything, which local_thr reports by
    // exiting; the harness kills us after that.
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    Ok(())
}

async fn local_lat(ctx: Context, bind_to: String, size: usize, count: u64) -> Outcome {
    let socket = ctx.socket(SocketType::Rep, Options::default());
    socket.bind(bind_to.as_str()).await.map_err(fail)?;
    for _ in 0..count {
        let msg = socket.recv().await.map_err(fail)?;
        if msg.byte_len() != size {
            return Err("message of incorrect size received".into());
        }
        socket.send(msg).await.map_err(fail)?;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(())
}

async fn remote_lat(ctx: Context, connect_to: String, size: usize, count: u64) -> Outcome {
    let socket = ctx.socket(SocketType::Req, Options::default());
    socket.connect(connect_to.as_str()).await.map_err(fail)?;
    let mut msg = Message::single(Bytes::from(vec![0u8; size]));
    let watch = Instant::now();
    for _ in 0..count {
        socket.send(msg).await.map_err(fail)?;
        msg = socket.recv().await.map_err(fail)?;
        if msg.byte_len() != size {
            return Err("message of incorrect size received".into());
        }
    }
    let elapsed = u64::try_from(watch.elapsed().as_micros()).unwrap_or(u64::MAX);
    let latency = elapsed as f64 / (count * 2) as f64;
    println!("message size: {} [B]", size as i32);
    println!("roundtrip count: {}", count as i32);
    println!("average latency: {latency:.3} [us]");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        println!("usage: omq-perf <local_thr|remote_thr|local_lat|remote_lat> <endpoint> <message-size> <count>");
        return ExitCode::from(1);
    }
    let (endpoint, size, n) = (args[1].clone(), count(&args[2]) as usize, count(&args[3]));
    let ctx = Context::new();
    let inner = ctx.clone();
    let program = args[0].clone();
    let outcome = ctx.block_on(async move {
        match program.as_str() {
            "local_thr" => local_thr(inner, endpoint, size, n).await,
            "remote_thr" => remote_thr(inner, endpoint, size, n).await,
            "local_lat" => local_lat(inner, endpoint, size, n).await,
            "remote_lat" => remote_lat(inner, endpoint, size, n).await,
            other => Err(format!("unknown program {other}")),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("error in {e}");
            ExitCode::from(255)
        }
    }
}
