//! libzmq's perf programs over a plain byte stream: the floor under every
//! ZeroMQ figure in benches/perf.
//!
//! Framing is a 4-byte little-endian length before each body, which is what
//! any message protocol over a byte stream must carry at least. The stream
//! programs batch both ways through 8 KiB buffers (`BufWriter`/`BufReader`),
//! as libzmq's engine does with its 8 KiB `out_batch_size`/`in_batch_size`
//! (`FLOOR_BATCH=65536` tries another size);
//! the latency programs set `TCP_NODELAY` and write each message with one
//! `write_all`, as a ZeroMQ peer does. Endpoints are `tcp://host:port` or
//! `ipc://path` (a Unix stream socket).
//!
//! `local_thr`... use std's blocking sockets; `tokio_local_thr`... the same
//! loops on tokio's, in a current-thread runtime (`on_tokio.rs`).

mod on_tokio;

use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::ExitCode;
use std::time::Instant;

pub type Outcome = Result<(), String>;

/// The buffer size both ways: 8 KiB (libzmq's default batch) unless
/// `FLOOR_BATCH` says otherwise, to measure what a larger batch is worth.
pub fn batch() -> usize {
    std::env::var("FLOOR_BATCH")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(8192)
}

fn count(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

/// Where an endpoint points: a TCP address or a Unix socket path.
pub enum Address<'a> {
    Tcp(&'a str),
    Ipc(&'a str),
}

pub fn address(endpoint: &str) -> Result<Address<'_>, String> {
    if let Some(addr) = endpoint.strip_prefix("tcp://") {
        Ok(Address::Tcp(addr))
    } else if let Some(path) = endpoint.strip_prefix("ipc://") {
        Ok(Address::Ipc(path))
    } else {
        Err(format!("{endpoint}: only tcp:// and ipc:// endpoints"))
    }
}

/// A connected stream of either kind.
enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn bind(endpoint: &str) -> Result<Listener, String> {
        match address(endpoint)? {
            Address::Tcp(addr) => TcpListener::bind(addr).map(Listener::Tcp),
            Address::Ipc(path) => {
                let _ = std::fs::remove_file(path);
                UnixListener::bind(path).map(Listener::Unix)
            }
        }
        .map_err(|e| format!("bind: {e}"))
    }

    fn accept(&self) -> Result<Conn, String> {
        match self {
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().map_err(|e| format!("accept: {e}"))?;
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                Ok(Conn::Tcp(stream))
            }
            Listener::Unix(l) => {
                let (stream, _) = l.accept().map_err(|e| format!("accept: {e}"))?;
                Ok(Conn::Unix(stream))
            }
        }
    }
}

/// Binds, then accepts until a peer sends its first message: a harness
/// that checks the port with a bare connect (benches/perf/async.py does)
/// must not be taken for the sender. Returns the stream, buffered for
/// reading, and the first message's body.
fn accept_sender(endpoint: &str, buffer: usize) -> Result<(BufReader<Conn>, Vec<u8>), String> {
    let listener = Listener::bind(endpoint)?;
    loop {
        let stream = listener.accept()?;
        let mut input = BufReader::with_capacity(buffer, stream);
        let mut body = Vec::new();
        match read_message(&mut input, &mut body) {
            Ok(()) => return Ok((input, body)),
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => continue,
            Err(e) => return Err(format!("recv: {e}")),
        }
    }
}

fn connect(endpoint: &str) -> Result<Conn, String> {
    let addr = address(endpoint)?;
    // The C remote programs may start before the local one has bound: retry
    // for a few seconds, as libzmq's reconnect would.
    let give_up = Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let attempt = match addr {
            Address::Tcp(addr) => TcpStream::connect(addr).and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(Conn::Tcp(stream))
            }),
            Address::Ipc(path) => UnixStream::connect(path).map(Conn::Unix),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= give_up => return Err(format!("connect: {e}")),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// Reads one framed message into `body` (resized to its length).
fn read_message(input: &mut impl Read, body: &mut Vec<u8>) -> std::io::Result<()> {
    let mut header = [0u8; 4];
    input.read_exact(&mut header)?;
    body.resize(u32::from_le_bytes(header) as usize, 0);
    input.read_exact(body)
}

pub fn check_size(body: &[u8], size: usize) -> Outcome {
    if body.len() != size {
        return Err("message of incorrect size received".into());
    }
    Ok(())
}

fn recv(input: &mut impl Read, body: &mut Vec<u8>, size: usize) -> Outcome {
    read_message(input, body).map_err(|e| format!("recv: {e}"))?;
    if body.len() != size {
        return Err("message of incorrect size received".into());
    }
    Ok(())
}

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(4 + body.len());
    framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
    framed.extend_from_slice(body);
    framed
}

/// What libzmq's `local_thr` prints.
pub fn print_thr(size: usize, count: u64, watch: Instant) {
    let elapsed = u64::try_from(watch.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", size as i32);
    println!("message count: {}", count as i32);
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

/// What libzmq's `remote_lat` prints.
pub fn print_lat(size: usize, count: u64, watch: Instant) {
    let elapsed = u64::try_from(watch.elapsed().as_micros()).unwrap_or(u64::MAX);
    let latency = elapsed as f64 / (count * 2) as f64;
    println!("message size: {} [B]", size as i32);
    println!("roundtrip count: {}", count as i32);
    println!("average latency: {latency:.3} [us]");
}

fn local_thr(bind_to: &str, size: usize, count: u64) -> Outcome {
    let (mut input, mut body) = accept_sender(bind_to, batch())?;
    check_size(&body, size)?;
    let watch = Instant::now();
    for _ in 1..count {
        recv(&mut input, &mut body, size)?;
    }
    print_thr(size, count, watch);
    Ok(())
}

fn remote_thr(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut output = BufWriter::with_capacity(batch(), connect(connect_to)?);
    let framed = frame(&vec![0u8; size]);
    for _ in 0..count {
        output
            .write_all(&framed)
            .map_err(|e| format!("send: {e}"))?;
    }
    output.flush().map_err(|e| format!("send: {e}"))
}

fn local_lat(bind_to: &str, size: usize, count: u64) -> Outcome {
    // Reads go through a buffer, so a small message is one recv() for
    // header and body, as in libzmq's engine; each reply is one write.
    let (mut input, mut body) = accept_sender(bind_to, batch())?;
    let mut framed = Vec::with_capacity(4 + size);
    for round in 0..count {
        if round > 0 {
            recv(&mut input, &mut body, size)?;
        } else if body.len() != size {
            return Err("message of incorrect size received".into());
        }
        framed.clear();
        framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
        framed.extend_from_slice(&body);
        input
            .get_mut()
            .write_all(&framed)
            .map_err(|e| format!("send: {e}"))?;
    }
    Ok(())
}

fn remote_lat(connect_to: &str, size: usize, count: u64) -> Outcome {
    let mut input = BufReader::with_capacity(batch(), connect(connect_to)?);
    let framed = frame(&vec![0u8; size]);
    let mut body = Vec::with_capacity(size);
    let watch = Instant::now();
    for _ in 0..count {
        input
            .get_mut()
            .write_all(&framed)
            .map_err(|e| format!("send: {e}"))?;
        recv(&mut input, &mut body, size)?;
    }
    print_lat(size, count, watch);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        println!("usage: floor-perf [tokio_]<local_thr|remote_thr|local_lat|remote_lat> <endpoint> <message-size> <count>");
        return ExitCode::from(1);
    }
    let (endpoint, size, n) = (&args[1], count(&args[2]) as usize, count(&args[3]));
    let outcome = match args[0].as_str() {
        "local_thr" => local_thr(endpoint, size, n),
        "remote_thr" => remote_thr(endpoint, size, n),
        "local_lat" => local_lat(endpoint, size, n),
        "remote_lat" => remote_lat(endpoint, size, n),
        other => match other.strip_prefix("tokio_") {
            Some(program) => on_tokio::run(program, endpoint, size, n),
            None => Err(format!("unknown program {other}")),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("error in {e}");
            ExitCode::from(255)
        }
    }
}
