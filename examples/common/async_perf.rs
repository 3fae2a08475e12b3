//! The throughput and latency programs again, on the async layer
//! (`zmq::tokio`, feature `tokio`): `async_local_thr`, `async_remote_thr`,
//! `async_local_lat`, `async_remote_lat`, `async_inproc_thr` and
//! `async_inproc_lat` take the same arguments and print the same lines as
//! the blocking ports, so `benches/perf/compare.py` runs them side by side.
//!
//! Each program runs on a current-thread runtime (one socket per program,
//! as in C); the inproc programs' worker has its own thread and runtime, as
//! the C worker has its own thread. A received message is a fresh
//! `Message` (no allocation: `zmq_msg_init`), sends move the message in.

use super::{
    atoi, context, count_arg, curve_client, curve_server, elapsed_us, print_inproc_thr,
    print_local_thr, size_arg, wrong_size, Failure, Outcome, Payload,
};
use std::time::Instant;
use zmq::tokio::AsyncSocket;
use zmq::{Message, SocketType};

/// The programs of this module.
const PROGRAMS: [&str; 6] = [
    "async_local_thr",
    "async_remote_thr",
    "async_local_lat",
    "async_remote_lat",
    "async_inproc_thr",
    "async_inproc_lat",
];

/// Runs `program` on a current-thread runtime; `None` if it is not one of
/// this module's.
pub fn run(program: &str, args: &[String]) -> Option<Outcome> {
    if !PROGRAMS.contains(&program) {
        return None;
    }
    let runtime = match current_thread() {
        Ok(runtime) => runtime,
        Err(failure) => return Some(Err(failure)),
    };
    Some(match program {
        "async_local_thr" => runtime.block_on(local_thr(args)),
        "async_remote_thr" => runtime.block_on(remote_thr(args)),
        "async_local_lat" => runtime.block_on(local_lat(args)),
        "async_remote_lat" => runtime.block_on(remote_lat(args)),
        "async_inproc_thr" => runtime.block_on(inproc_thr(args)),
        _ => runtime.block_on(inproc_lat(args)),
    })
}

fn current_thread() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("error in tokio: {e}")))
}

/// Checks a received message's size. A plain function, not an `async fn`
/// around `recv`: a nested future moves the 64-byte message through one more
/// `Result` per message (callgrind: ~60 instructions of ~1,300 per message).
#[inline(always)]
fn sized(msg: Message, size: usize) -> Result<Message, Failure> {
    if msg.len() != size {
        return Err(wrong_size());
    }
    Ok(msg)
}

async fn send_all(socket: &AsyncSocket, payload: &Payload, count: u64) -> Outcome {
    match payload {
        Payload::Shared(prototype) => {
            for _ in 0..count {
                socket.send(prototype.clone()).await?;
            }
        }
        Payload::Fresh(size) => {
            for _ in 0..count {
                socket.send(Message::with_size(*size)).await?;
            }
        }
        Payload::Vec(_) | Payload::Copy(_) => {
            for _ in 0..count {
                socket.send(payload.vec_message()).await?;
            }
        }
    }
    Ok(())
}

/// Receives `count` messages and prints the rate, as `local_thr` does.
async fn receive_and_report(socket: &AsyncSocket, size: usize, count: u64) -> Result<u64, Failure> {
    sized(socket.recv().await?, size)?;
    let watch = Instant::now();
    for _ in 1..count {
        sized(socket.recv().await?, size)?;
    }
    Ok(elapsed_us(watch).max(1))
}

async fn local_thr(args: &[String]) -> Outcome {
    if args.len() != 3 && args.len() != 4 {
        return Err(Failure::Usage(
            "usage: async_local_thr <bind-to> <message-size> <message-count> [<enable_curve>]",
        ));
    }
    let (bind_to, message_size, message_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));
    let curve = args.get(3).is_some_and(|flag| atoi(flag) != 0);

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Pull)?;
    if curve {
        curve_server(&socket)?;
    }
    socket.bind(bind_to)?;
    let socket = AsyncSocket::new(socket)?;
    let elapsed = receive_and_report(&socket, message_size, message_count).await?;

    print_local_thr(message_size, message_count, elapsed);
    Ok(())
}

async fn remote_thr(args: &[String]) -> Outcome {
    if args.len() != 3 && args.len() != 4 {
        return Err(Failure::Usage(
            "usage: async_remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]",
        ));
    }
    let (connect_to, message_size, message_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));
    let curve = args.get(3).is_some_and(|flag| atoi(flag) != 0);

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Push)?;
    if curve {
        curve_client(&socket)?;
    }
    socket.connect(connect_to)?;
    let socket = AsyncSocket::new(socket)?;
    send_all(&socket, &Payload::from_env(message_size)?, message_count).await
}

async fn local_lat(args: &[String]) -> Outcome {
    if args.len() != 3 {
        return Err(Failure::Usage(
            "usage: async_local_lat <bind-to> <message-size> <roundtrip-count>",
        ));
    }
    let (bind_to, message_size, roundtrip_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Rep)?;
    socket.bind(bind_to)?;
    let socket = AsyncSocket::new(socket)?;
    for _ in 0..roundtrip_count {
        let msg = sized(socket.recv().await?, message_size)?;
        socket.send(msg).await?;
    }
    // As the C program does: give the last reply time to leave.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(())
}

/// The client half of a latency test; returns the one-way latency in µs.
async fn bounce(
    socket: &AsyncSocket,
    message_size: usize,
    roundtrip_count: u64,
) -> Result<f64, Failure> {
    let mut msg = Message::with_size(message_size);
    let watch = Instant::now();
    for _ in 0..roundtrip_count {
        socket.send(msg).await?;
        msg = sized(socket.recv().await?, message_size)?;
    }
    let elapsed = elapsed_us(watch);
    Ok(elapsed as f64 / (roundtrip_count * 2) as f64)
}

async fn remote_lat(args: &[String]) -> Outcome {
    if args.len() != 3 {
        return Err(Failure::Usage(
            "usage: async_remote_lat <connect-to> <message-size> <roundtrip-count>",
        ));
    }
    let (connect_to, message_size, roundtrip_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Req)?;
    socket.connect(connect_to)?;
    let socket = AsyncSocket::new(socket)?;
    let latency = bounce(&socket, message_size, roundtrip_count).await?;
    println!("message size: {} [B]", message_size as i32);
    println!("roundtrip count: {}", roundtrip_count as i32);
    println!("average latency: {latency:.3} [us]");
    Ok(())
}

async fn inproc_thr(args: &[String]) -> Outcome {
    if args.len() != 2 {
        return Err(Failure::Usage(
            "usage: async_inproc_thr <message-size> <message-count>",
        ));
    }
    let (message_size, message_count) = (size_arg(&args[0]), count_arg(&args[1]));
    let payload = Payload::from_env(message_size)?;

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Pull)?;
    socket.bind("inproc://thr_test")?;
    let socket = AsyncSocket::new(socket)?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            current_thread()?.block_on(async {
                let socket = ctx.socket(SocketType::Push)?;
                socket.connect("inproc://thr_test")?;
                let socket = AsyncSocket::new(socket)?;
                send_all(&socket, &payload, message_count).await
            })
        })
    };

    println!("message size: {} [B]", message_size as i32);
    println!("message count: {}", message_count as i32);
    let elapsed = receive_and_report(&socket, message_size, message_count).await?;
    super::join(worker)?;
    drop(socket);
    drop(ctx);

    print_inproc_thr(message_size, message_count, elapsed);
    Ok(())
}

async fn inproc_lat(args: &[String]) -> Outcome {
    if args.len() != 2 {
        return Err(Failure::Usage(
            "usage: async_inproc_lat <message-size> <roundtrip-count>",
        ));
    }
    let (message_size, roundtrip_count) = (size_arg(&args[0]), count_arg(&args[1]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Req)?;
    socket.bind("inproc://lat_test")?;
    let socket = AsyncSocket::new(socket)?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            current_thread()?.block_on(async {
                let socket = ctx.socket(SocketType::Rep)?;
                socket.connect("inproc://lat_test")?;
                let socket = AsyncSocket::new(socket)?;
                for _ in 0..roundtrip_count {
                    let msg = socket.recv().await?;
                    socket.send(msg).await?;
                }
                Ok(())
            })
        })
    };

    println!("message size: {} [B]", message_size as i32);
    println!("roundtrip count: {}", roundtrip_count as i32);
    let latency = bounce(&socket, message_size, roundtrip_count).await?;
    super::join(worker)?;
    println!("average latency: {latency:.3} [us]");
    drop(socket);
    drop(ctx);
    Ok(())
}
