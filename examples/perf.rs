//! libzmq's six perf programs (`perf/*.cpp` of libzmq 4.3.5), ported to the
//! safe API: same arguments, same work per message, same output lines.
//!
//! ```text
//! perf local_thr  <bind-to>    <message-size> <message-count> [<enable_curve>]
//! perf remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]
//! perf local_lat  <bind-to>    <message-size> <roundtrip-count>
//! perf remote_lat <connect-to> <message-size> <roundtrip-count>
//! perf inproc_thr <message-size> <message-count>
//! perf inproc_lat <message-size> <roundtrip-count>
//! ```
//!
//! Built with `--features tokio`, the same programs on the async layer:
//! `async_local_thr`, `async_remote_thr`, `async_local_lat`,
//! `async_remote_lat`, `async_inproc_thr`, `async_inproc_lat` (same
//! arguments, same output; see `common/async_perf.rs`).
//!
//! Built with `--features draft,tokio`, the thread-safe socket types,
//! blocking against async, one process each: `ts_lat`, `ts_async_lat`
//! (CLIENT/SERVER round trips), `ts_thr`, `ts_async_thr` (SCATTER/GATHER
//! throughput), each `<endpoint> <message-size> <count>` (see
//! `common/thread_safe_perf.rs`).
//!
//! Run a pair side by side, e.g.
//! `cargo run --release --example perf -- local_thr tcp://127.0.0.1:5555 64 1000000`
//! and `... -- remote_thr tcp://127.0.0.1:5555 64 1000000`;
//! `benches/perf/compare.py` runs them against the C programs.
//!
//! # The payload of the throughput senders
//!
//! The C senders (`remote_thr`, the `inproc_thr` worker) send a fresh
//! `zmq_msg_init_size` buffer per message whose bytes are never written: safe
//! Rust cannot send uninitialised memory. `ZMQ_PERF_PAYLOAD` picks what the
//! port sends instead:
//!
//! - `shared` (default): one zeroed message, sent as a clone per message
//!   (`zmq_msg_copy`: a reference count, no payload copy, no allocation).
//! - `fresh`: a new zeroed message per message ([`Message::with_size`]:
//!   `zmq_msg_init_size` and a `memset`), the same work as the C program
//!   compiled with `-DZMQ_MAKE_VALGRIND_HAPPY`.
//! - `vec` and `copy`: a new zeroed `Vec<u8>` per message, as an application
//!   that builds its body in a vector; `vec` hands it to libzmq without a
//!   copy (`From<Vec<u8>>`: `zmq_msg_init_data` and a free callback),
//!   `copy` copies it into a message ([`Message::from_slice`]:
//!   `zmq_msg_init_size` and a `memcpy`) and drops it. The difference is the
//!   message-allocation lever of docs/perf/TUNING.md.
//!
//! # Batch sizes (a lever, not the C programs' work)
//!
//! Built with `--features draft`, `ZMQ_PERF_BATCH=<bytes>` sets
//! `ZMQ_IN_BATCH_SIZE` and `ZMQ_OUT_BATCH_SIZE` (libzmq's default: 8192) on
//! the tcp sockets, to measure what larger kernel reads and writes are worth
//! (docs/perf/TUNING.md). Unset, nothing changes.
//!
//! # Context levers
//!
//! `ZMQ_PERF_IO_THREADS=<n>` (default 1), `ZMQ_PERF_IO_AFFINITY=<cpu>[,<cpu>...]`
//! (`ZMQ_THREAD_AFFINITY_CPU_ADD` per CPU), `ZMQ_PERF_IO_SCHED=<policy>`
//! (`ZMQ_THREAD_SCHED_POLICY`, e.g. 1 for `SCHED_FIFO`) and
//! `ZMQ_PERF_IO_PRIORITY=<n>` (`ZMQ_THREAD_PRIORITY`) set the context's I/O
//! thread options, to measure what each is worth (docs/perf/TUNING.md).
//! Unset, the context is libzmq's `zmq_init(1)`.
//!
//! Every other loop is the C loop call for call: `zmq_msg_recv` into one
//! reused message and `zmq_msg_size` per message; the latency programs bounce
//! one message with `zmq_msg_send`/`zmq_msg_recv`.

#[cfg(feature = "tokio")]
#[path = "common/async_perf.rs"]
mod async_perf;
#[cfg(all(feature = "tokio", zmq_draft))]
#[path = "common/thread_safe_perf.rs"]
mod thread_safe_perf;

use std::process::ExitCode;
use std::time::Instant;
use zmq::{opt, Context, Message, RecvFlags, SendFlags, Socket, SocketType};

/// CURVE keys of libzmq's perf programs (arbitrary, but they must match the C ones).
const SERVER_SECRET: &str = "{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8";
const SERVER_PUBLIC: &str = "DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH";
const CLIENT_PUBLIC: &str = "<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K";
const CLIENT_SECRET: &str = "9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx";

/// Why a program stopped early: printed as the C programs print it.
enum Failure {
    /// Wrong arguments: the usage line, exit status 1.
    Usage(&'static str),
    /// A failed call or check: exit status 255 (the C programs' `return -1`).
    Error(String),
}

impl From<zmq::Error> for Failure {
    // Off the hot loops: only their error paths come here.
    #[cold]
    #[inline(never)]
    fn from(err: zmq::Error) -> Failure {
        Failure::Error(format!("error in {err}"))
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (program, rest) = match args.split_first() {
        Some((program, rest)) => (program.as_str(), rest),
        None => ("", &[][..]),
    };
    let outcome = match program {
        "local_thr" => local_thr(rest),
        "remote_thr" => remote_thr(rest),
        "local_lat" => local_lat(rest),
        "remote_lat" => remote_lat(rest),
        "inproc_thr" => inproc_thr(rest),
        "inproc_lat" => inproc_lat(rest),
        other => run_async(other, rest),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(usage)) => {
            println!("{usage}");
            ExitCode::from(1)
        }
        Err(Failure::Error(message)) => {
            println!("{message}");
            ExitCode::from(255)
        }
    }
}

const USAGE: &str =
    "usage: perf <local_thr|remote_thr|local_lat|remote_lat|inproc_thr|inproc_lat> <args>...";

/// The async programs (`async_local_thr`...), in a build with `tokio`.
#[cfg(feature = "tokio")]
fn run_async(program: &str, args: &[String]) -> Outcome {
    #[cfg(zmq_draft)]
    if let Some(outcome) = thread_safe_perf::run(program, args) {
        return outcome;
    }
    async_perf::run(program, args).unwrap_or(Err(Failure::Usage(USAGE)))
}

#[cfg(not(feature = "tokio"))]
fn run_async(_program: &str, _args: &[String]) -> Outcome {
    Err(Failure::Usage(USAGE))
}

/// C's `atoi`: leading whitespace, an optional sign, then digits; anything
/// else ends the number, and no digits at all read as 0.
fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative {
        -value
    } else {
        value
    }
}

/// A message size argument (`size_t` in C).
fn size_arg(text: &str) -> usize {
    usize::try_from(atoi(text)).unwrap_or(0)
}

/// A count argument (`int` in C).
fn count_arg(text: &str) -> u64 {
    u64::try_from(atoi(text)).unwrap_or(0)
}

/// libzmq's `zmq_init(1)`: one I/O thread, and sockets that linger until
/// everything queued is sent (the C default; this crate's default is bounded).
/// The context levers of docs/perf/TUNING.md (see the crate docs) change it.
fn context() -> Result<Context, Failure> {
    let mut builder = Context::builder()
        .io_threads(env_int("ZMQ_PERF_IO_THREADS")?.unwrap_or(1))
        .default_linger(None);
    if let Ok(cpus) = std::env::var("ZMQ_PERF_IO_AFFINITY") {
        for cpu in cpus.split(',') {
            let cpu = cpu.trim().parse().map_err(|_| {
                Failure::Error(format!("ZMQ_PERF_IO_AFFINITY={cpus}: expected CPU numbers"))
            })?;
            builder = builder.thread_affinity_cpu(cpu);
        }
    }
    if let Some(policy) = env_int("ZMQ_PERF_IO_SCHED")? {
        builder = builder.thread_sched_policy(policy);
    }
    if let Some(priority) = env_int("ZMQ_PERF_IO_PRIORITY")? {
        builder = builder.thread_priority(priority);
    }
    Ok(builder.build()?)
}

/// An integer from the environment, if set.
fn env_int(name: &str) -> Result<Option<i32>, Failure> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Failure::Error(format!("{name}={text}: expected an integer"))),
    }
}

/// `ZMQ_PERF_BATCH`: the kernel batch sizes of a tcp socket (see the
/// crate docs); a draft option, so without `--features draft` it is an error.
fn batch_sizes(socket: &Socket) -> Outcome {
    let Ok(text) = std::env::var("ZMQ_PERF_BATCH") else {
        return Ok(());
    };
    let bytes: i32 = text
        .parse()
        .map_err(|_| Failure::Error(format!("ZMQ_PERF_BATCH={text}: expected bytes")))?;
    #[cfg(zmq_draft)]
    {
        socket.set(zmq::opt::InBatchSize, bytes)?;
        socket.set(zmq::opt::OutBatchSize, bytes)?;
        Ok(())
    }
    #[cfg(not(zmq_draft))]
    {
        let _ = (socket, bytes);
        Err(Failure::Error(
            "ZMQ_PERF_BATCH needs the draft API: build with --features draft".into(),
        ))
    }
}

/// `zmq_stopwatch_stop`: whole microseconds since `start`.
fn elapsed_us(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Receives one message into `msg` and checks its size, as every C receiver
/// does. Inlined into the loops, as the C loop is one function.
#[inline(always)]
fn recv_sized(socket: &Socket, msg: &mut Message, size: usize) -> Outcome {
    socket.recv_msg_into(msg, RecvFlags::empty())?;
    if msg.len() != size {
        return Err(wrong_size());
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn wrong_size() -> Failure {
    Failure::Error("message of incorrect size received".into())
}

/// What a throughput sender sends: see the crate docs on `ZMQ_PERF_PAYLOAD`.
enum Payload {
    /// Clones of one zeroed message: no allocation and no copy per message.
    Shared(Message),
    /// A new zeroed message per message: allocation and `memset`.
    Fresh(usize),
    /// A new zeroed vector per message, handed over without a copy.
    Vec(usize),
    /// A new zeroed vector per message, copied into a message.
    Copy(usize),
}

impl Payload {
    fn from_env(size: usize) -> Result<Payload, Failure> {
        match std::env::var("ZMQ_PERF_PAYLOAD").as_deref() {
            Err(_) | Ok("shared") => Ok(Payload::Shared(Message::with_size(size))),
            Ok("fresh") => Ok(Payload::Fresh(size)),
            Ok("vec") => Ok(Payload::Vec(size)),
            Ok("copy") => Ok(Payload::Copy(size)),
            Ok(other) => Err(Failure::Error(format!(
                "ZMQ_PERF_PAYLOAD={other}: expected shared, fresh, vec or copy"
            ))),
        }
    }
}

impl Payload {
    /// The next message of a `Vec` or `Copy` payload (an empty message for
    /// the others, which their loops build themselves).
    #[inline(always)]
    fn vec_message(&self) -> Message {
        match *self {
            Payload::Vec(size) => Message::from(zeroed_vec(size)),
            Payload::Copy(size) => {
                let body = zeroed_vec(size);
                Message::from_slice(&body)
            }
            Payload::Shared(_) | Payload::Fresh(_) => Message::new(),
        }
    }
}

/// Sends `count` messages of the payload: `remote_thr` and the `inproc_thr` worker.
fn send_all(socket: &Socket, payload: &Payload, count: u64) -> Outcome {
    match payload {
        Payload::Shared(prototype) => {
            for _ in 0..count {
                let mut msg = prototype.clone();
                socket.send_msg(&mut msg, SendFlags::empty())?;
            }
        }
        Payload::Fresh(size) => {
            for _ in 0..count {
                let mut msg = Message::with_size(*size);
                socket.send_msg(&mut msg, SendFlags::empty())?;
            }
        }
        Payload::Vec(_) | Payload::Copy(_) => {
            for _ in 0..count {
                let mut msg = payload.vec_message();
                socket.send_msg(&mut msg, SendFlags::empty())?;
            }
        }
    }
    Ok(())
}

/// A zeroed vector of `size` bytes, written as an application fills its
/// buffer (`malloc` and a `memset`: `vec![0; size]` would be `calloc`, whose
/// fresh zero pages a filled buffer never gets).
#[inline(never)]
fn zeroed_vec(size: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(size);
    body.resize(size, std::hint::black_box(0u8));
    body
}

/// Makes `socket` a CURVE server with the perf programs' fixed key pair.
fn curve_server(socket: &Socket) -> zmq::Result<()> {
    socket.set(opt::CurveSecretkey, SERVER_SECRET)?;
    socket.set(opt::CurveServer, true)
}

/// Makes `socket` a CURVE client of [`curve_server`].
fn curve_client(socket: &Socket) -> zmq::Result<()> {
    socket.set(opt::CurveSecretkey, CLIENT_SECRET)?;
    socket.set(opt::CurvePublickey, CLIENT_PUBLIC)?;
    socket.set(opt::CurveServerkey, SERVER_PUBLIC)
}

/// What libzmq's `local_thr` prints, for `message_count` messages of
/// `message_size` bytes received in `elapsed` µs.
fn print_local_thr(message_size: usize, message_count: u64, elapsed: u64) {
    let throughput = message_count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * message_size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", message_size as i32);
    println!("message count: {}", message_count as i32);
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

/// The last lines of libzmq's `inproc_thr` (its first two come before the
/// run): the C program truncates the rate to an integer before deriving Mb/s.
fn print_inproc_thr(message_size: usize, message_count: u64, elapsed: u64) {
    let throughput = (message_count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    let megabits =
        (throughput.wrapping_mul(message_size as u64).wrapping_mul(8)) as f64 / 1_000_000.0;
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

fn local_thr(args: &[String]) -> Outcome {
    if args.len() != 3 && args.len() != 4 {
        return Err(Failure::Usage(
            "usage: local_thr <bind-to> <message-size> <message-count> [<enable_curve>]",
        ));
    }
    let (bind_to, message_size, message_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));
    let curve = args.get(3).is_some_and(|flag| atoi(flag) != 0);

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Pull)?;
    batch_sizes(&socket)?;
    if curve {
        curve_server(&socket)?;
    }
    socket.bind(bind_to)?;

    let mut msg = Message::new();
    recv_sized(&socket, &mut msg, message_size)?;
    let watch = Instant::now();
    for _ in 1..message_count {
        recv_sized(&socket, &mut msg, message_size)?;
    }
    let elapsed = elapsed_us(watch).max(1);
    drop(msg);

    print_local_thr(message_size, message_count, elapsed);
    Ok(())
}

fn remote_thr(args: &[String]) -> Outcome {
    if args.len() != 3 && args.len() != 4 {
        return Err(Failure::Usage(
            "usage: remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]",
        ));
    }
    let (connect_to, message_size, message_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));
    let curve = args.get(3).is_some_and(|flag| atoi(flag) != 0);

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Push)?;
    batch_sizes(&socket)?;
    if curve {
        curve_client(&socket)?;
    }
    socket.connect(connect_to)?;
    send_all(&socket, &Payload::from_env(message_size)?, message_count)
}

fn local_lat(args: &[String]) -> Outcome {
    if args.len() != 3 {
        return Err(Failure::Usage(
            "usage: local_lat <bind-to> <message-size> <roundtrip-count>",
        ));
    }
    let (bind_to, message_size, roundtrip_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Rep)?;
    batch_sizes(&socket)?;
    socket.bind(bind_to)?;
    let mut msg = Message::new();
    for _ in 0..roundtrip_count {
        recv_sized(&socket, &mut msg, message_size)?;
        socket.send_msg(&mut msg, SendFlags::empty())?;
    }
    drop(msg);
    // As the C program does: give the last reply time to leave.
    std::thread::sleep(std::time::Duration::from_secs(1));
    Ok(())
}

/// The client half of a latency test: `roundtrip_count` round trips of one
/// zeroed message; returns the one-way latency in microseconds.
fn bounce(socket: &Socket, message_size: usize, roundtrip_count: u64) -> Result<f64, Failure> {
    let mut msg = Message::with_size(message_size);
    let watch = Instant::now();
    for _ in 0..roundtrip_count {
        socket.send_msg(&mut msg, SendFlags::empty())?;
        recv_sized(socket, &mut msg, message_size)?;
    }
    let elapsed = elapsed_us(watch);
    Ok(elapsed as f64 / (roundtrip_count * 2) as f64)
}

fn remote_lat(args: &[String]) -> Outcome {
    if args.len() != 3 {
        return Err(Failure::Usage(
            "usage: remote_lat <connect-to> <message-size> <roundtrip-count>",
        ));
    }
    let (connect_to, message_size, roundtrip_count) =
        (&args[0], size_arg(&args[1]), count_arg(&args[2]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Req)?;
    batch_sizes(&socket)?;
    socket.connect(connect_to)?;
    let latency = bounce(&socket, message_size, roundtrip_count)?;
    println!("message size: {} [B]", message_size as i32);
    println!("roundtrip count: {}", roundtrip_count as i32);
    println!("average latency: {latency:.3} [us]");
    Ok(())
}

fn inproc_thr(args: &[String]) -> Outcome {
    if args.len() != 2 {
        return Err(Failure::Usage(
            "usage: inproc_thr <message-size> <message-count>",
        ));
    }
    let (message_size, message_count) = (size_arg(&args[0]), count_arg(&args[1]));
    let payload = Payload::from_env(message_size)?;

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Pull)?;
    socket.bind("inproc://thr_test")?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            let socket = ctx.socket(SocketType::Push)?;
            socket.connect("inproc://thr_test")?;
            send_all(&socket, &payload, message_count)
        })
    };

    let mut msg = Message::new();
    println!("message size: {} [B]", message_size as i32);
    println!("message count: {}", message_count as i32);
    recv_sized(&socket, &mut msg, message_size)?;
    let watch = Instant::now();
    for _ in 1..message_count {
        recv_sized(&socket, &mut msg, message_size)?;
    }
    let elapsed = elapsed_us(watch).max(1);
    drop(msg);
    join(worker)?;
    drop(socket);
    drop(ctx);

    print_inproc_thr(message_size, message_count, elapsed);
    Ok(())
}

fn inproc_lat(args: &[String]) -> Outcome {
    if args.len() != 2 {
        return Err(Failure::Usage(
            "usage: inproc_lat <message-size> <roundtrip-count>",
        ));
    }
    let (message_size, roundtrip_count) = (size_arg(&args[0]), count_arg(&args[1]));

    let ctx = context()?;
    let socket = ctx.socket(SocketType::Req)?;
    socket.bind("inproc://lat_test")?;
    let worker = {
        let ctx = ctx.clone();
        std::thread::spawn(move || -> Outcome {
            let socket = ctx.socket(SocketType::Rep)?;
            socket.connect("inproc://lat_test")?;
            let mut msg = Message::new();
            for _ in 0..roundtrip_count {
                socket.recv_msg_into(&mut msg, RecvFlags::empty())?;
                socket.send_msg(&mut msg, SendFlags::empty())?;
            }
            Ok(())
        })
    };

    println!("message size: {} [B]", message_size as i32);
    println!("roundtrip count: {}", roundtrip_count as i32);
    let latency = bounce(&socket, message_size, roundtrip_count)?;
    join(worker)?;
    println!("average latency: {latency:.3} [us]");
    drop(socket);
    drop(ctx);
    Ok(())
}

/// Joins a worker thread; its failure is the program's failure.
fn join(worker: std::thread::JoinHandle<Outcome>) -> Outcome {
    worker
        .join()
        .unwrap_or_else(|_| Err(Failure::Error("the worker thread panicked".into())))
}
