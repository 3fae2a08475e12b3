//! libzmq's tcp perf programs on tmq 0.5 (tokio over `zmq` 0.10): same
//! arguments, same output lines as perf/*.cpp and our examples/perf.rs.
//! Senders send a fresh zeroed message per message (tmq takes messages by
//! value, as multipart messages); receivers check each message's size.

use futures::{SinkExt, StreamExt};
use std::process::ExitCode;
use std::time::Instant;
use tmq::{Context, Multipart};

type Outcome = Result<(), String>;

fn count(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

fn size_of(msg: &Multipart) -> usize {
    msg.iter().map(|frame| frame.len()).sum()
}

fn one(size: usize) -> Multipart {
    Multipart::from(vec![tmq::Message::from(vec![0u8; size])])
}

async fn local_thr(bind_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = tmq::pull(&Context::new()).bind(bind_to).map_err(|e| e.to_string())?;
    let mut watch = Instant::now();
    for i in 0..count {
        let msg = socket
            .next()
            .await
            .ok_or("the stream ended")?
            .map_err(|e| e.to_string())?;
        if size_of(&msg) != size {
            return Err("message of incorrect size received".into());
        }
        if i == 0 {
            watch = Instant::now();
        }
    }
    let elapsed = u64::try_from(watch.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
    let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", size as i32);
    println!("message count: {}", count as i32);
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

async fn remote_thr(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = tmq::push(&Context::new()).connect(connect_to).map_err(|e| e.to_string())?;
    for _ in 0..count {
        socket.send(one(size)).await.map_err(|e| e.to_string())?;
    }
    // The context lingers until everything is sent when the socket drops.
    Ok(())
}

async fn local_lat(bind_to: &str, size: usize, count: u64) -> Outcome {
    let mut receiver = tmq::reply(&Context::new()).bind(bind_to).map_err(|e| e.to_string())?;
    for _ in 0..count {
        let (msg, sender) = receiver.recv().await.map_err(|e| e.to_string())?;
        if size_of(&msg) != size {
            return Err("message of incorrect size received".into());
        }
        receiver = sender.send(msg).await.map_err(|e| e.to_string())?;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(())
}

async fn remote_lat(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut sender = tmq::request(&Context::new()).connect(connect_to).map_err(|e| e.to_string())?;
    let mut msg = one(size);
    let watch = Instant::now();
    for _ in 0..count {
        let receiver = sender.send(msg).await.map_err(|e| e.to_string())?;
        let (reply, next) = receiver.recv().await.map_err(|e| e.to_string())?;
        if size_of(&reply) != size {
            return Err("message of incorrect size received".into());
        }
        (msg, sender) = (reply, next);
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
        println!("usage: tmq-perf <local_thr|remote_thr|local_lat|remote_lat> <endpoint> <message-size> <count>");
        return ExitCode::from(1);
    }
    let (endpoint, size, n) = (&args[1], count(&args[2]) as usize, count(&args[3]));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        match args[0].as_str() {
            "local_thr" => local_thr(endpoint, size, n).await,
            "remote_thr" => remote_thr(endpoint, size, n).await,
            "local_lat" => local_lat(endpoint, size, n).await,
            "remote_lat" => remote_lat(endpoint, size, n).await,
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
