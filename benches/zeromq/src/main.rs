//! libzmq's tcp perf programs on zmq.rs (`zeromq` 0.7): same arguments, same
//! output lines as perf/*.cpp and our examples/perf.rs. The senders send
//! clones of one zeroed `Bytes` (a reference count per message, as our
//! `shared` payload); receivers check each message's size.

use bytes::Bytes;
use std::process::ExitCode;
use std::time::Instant;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

type Outcome = Result<(), String>;

fn count(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

fn size_of(msg: &ZmqMessage) -> usize {
    msg.iter().map(|frame| frame.len()).sum()
}

fn elapsed_us(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX).max(1)
}

async fn local_thr(bind_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = zeromq::PullSocket::new();
    socket.bind(bind_to).await.map_err(|e| e.to_string())?;
    let first = socket.recv().await.map_err(|e| e.to_string())?;
    if size_of(&first) != size {
        return Err("message of incorrect size received".into());
    }
    let watch = Instant::now();
    for _ in 1..count {
        let msg = socket.recv().await.map_err(|e| e.to_string())?;
        if size_of(&msg) != size {
            return Err("message of incorrect size received".into());
        }
    }
    let elapsed = elapsed_us(watch);
    let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", size as i32);
    println!("message count: {}", count as i32);
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

async fn remote_thr(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = zeromq::PushSocket::new();
    socket.connect(connect_to).await.map_err(|e| e.to_string())?;
    let payload = Bytes::from(vec![0u8; size]);
    for _ in 0..count {
        socket
            .send(ZmqMessage::from(payload.clone()))
            .await
            .map_err(|e| e.to_string())?;
    }
    // zmq.rs has no linger: wait until the receiver has everything, which
    // local_thr reports by exiting; the harness kills us after that.
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    Ok(())
}

async fn local_lat(bind_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = zeromq::RepSocket::new();
    socket.bind(bind_to).await.map_err(|e| e.to_string())?;
    for _ in 0..count {
        let msg = socket.recv().await.map_err(|e| e.to_string())?;
        if size_of(&msg) != size {
            return Err("message of incorrect size received".into());
        }
        socket.send(msg).await.map_err(|e| e.to_string())?;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(())
}

async fn remote_lat(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut socket = zeromq::ReqSocket::new();
    socket.connect(connect_to).await.map_err(|e| e.to_string())?;
    let mut msg = ZmqMessage::from(Bytes::from(vec![0u8; size]));
    let watch = Instant::now();
    for _ in 0..count {
        socket.send(msg).await.map_err(|e| e.to_string())?;
        msg = socket.recv().await.map_err(|e| e.to_string())?;
        if size_of(&msg) != size {
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
        println!("usage: zeromq-perf <local_thr|remote_thr|local_lat|remote_lat> <endpoint> <message-size> <count>");
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
