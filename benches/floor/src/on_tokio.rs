//! The floor's programs on tokio: the same loops as `main.rs`'s std ones
//! (same framing, same 8 KiB buffers, `TCP_NODELAY`) over tokio's
//! `TcpStream`/`UnixStream` in a current-thread runtime, the runtime the
//! pure-Rust ZeroMQ crates are measured on. The distance between the two
//! floors is what an async runtime costs on this machine before any ZeroMQ
//! work.

use crate::{address, batch, check_size, frame, print_lat, print_thr, Address, Outcome};
use std::io::ErrorKind;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

pub fn run(program: &str, endpoint: &str, size: usize, count: u64) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        match (program, address(endpoint)?) {
            ("local_thr", Address::Tcp(addr)) => {
                local_thr(tcp_sender(addr).await?, size, count).await
            }
            ("local_thr", Address::Ipc(path)) => {
                local_thr(ipc_sender(path).await?, size, count).await
            }
            ("local_lat", Address::Tcp(addr)) => {
                local_lat(tcp_sender(addr).await?, size, count).await
            }
            ("local_lat", Address::Ipc(path)) => {
                local_lat(ipc_sender(path).await?, size, count).await
            }
            ("remote_thr", Address::Tcp(addr)) => {
                remote_thr(tcp_connect(addr).await?, size, count).await
            }
            ("remote_thr", Address::Ipc(path)) => {
                remote_thr(ipc_connect(path).await?, size, count).await
            }
            ("remote_lat", Address::Tcp(addr)) => {
                remote_lat(tcp_connect(addr).await?, size, count).await
            }
            ("remote_lat", Address::Ipc(path)) => {
                remote_lat(ipc_connect(path).await?, size, count).await
            }
            (other, _) => Err(format!("unknown program tokio_{other}")),
        }
    })
}

/// A buffered reader over the accepted stream, and the first message's body.
type Sender<S> = (BufReader<S>, Vec<u8>);

/// Accepts until a peer sends its first message (a harness's bare connect,
/// which checks that the port listens, is not the sender).
async fn tcp_sender(addr: &str) -> Result<Sender<TcpStream>, String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind: {e}"))?;
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accept: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        if let Some(sender) = first_message(stream).await? {
            return Ok(sender);
        }
    }
}

async fn ipc_sender(path: &str) -> Result<Sender<UnixStream>, String> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).map_err(|e| format!("bind: {e}"))?;
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accept: {e}"))?;
        if let Some(sender) = first_message(stream).await? {
            return Ok(sender);
        }
    }
}

async fn first_message<S: AsyncRead + Unpin>(stream: S) -> Result<Option<Sender<S>>, String> {
    let mut input = BufReader::with_capacity(batch(), stream);
    let mut body = Vec::new();
    match read_message(&mut input, &mut body).await {
        Ok(()) => Ok(Some((input, body))),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(format!("recv: {e}")),
    }
}

/// Retries for a few seconds: the remote program may start first.
async fn tcp_connect(addr: &str) -> Result<TcpStream, String> {
    let give_up = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                return Ok(stream);
            }
            Err(e) if Instant::now() >= give_up => return Err(format!("connect: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn ipc_connect(path: &str) -> Result<UnixStream, String> {
    let give_up = Instant::now() + Duration::from_secs(5);
    loop {
        match UnixStream::connect(path).await {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= give_up => return Err(format!("connect: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn read_message<R: AsyncRead + Unpin>(
    input: &mut R,
    body: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut header = [0u8; 4];
    input.read_exact(&mut header).await?;
    body.resize(u32::from_le_bytes(header) as usize, 0);
    input.read_exact(body).await.map(|_| ())
}

async fn recv<R: AsyncRead + Unpin>(input: &mut R, body: &mut Vec<u8>, size: usize) -> Outcome {
    read_message(input, body)
        .await
        .map_err(|e| format!("recv: {e}"))?;
    check_size(body, size)
}

async fn local_thr<S: AsyncRead + Unpin>(sender: Sender<S>, size: usize, count: u64) -> Outcome {
    let (mut input, mut body) = sender;
    check_size(&body, size)?;
    let watch = Instant::now();
    for _ in 1..count {
        recv(&mut input, &mut body, size).await?;
    }
    print_thr(size, count, watch);
    Ok(())
}

async fn remote_thr<S: AsyncWrite + Unpin>(stream: S, size: usize, count: u64) -> Outcome {
    let mut output = BufWriter::with_capacity(batch(), stream);
    let framed = frame(&vec![0u8; size]);
    for _ in 0..count {
        output
            .write_all(&framed)
            .await
            .map_err(|e| format!("send: {e}"))?;
    }
    output.flush().await.map_err(|e| format!("send: {e}"))
}

async fn local_lat<S: AsyncRead + AsyncWrite + Unpin>(
    sender: Sender<S>,
    size: usize,
    count: u64,
) -> Outcome {
    let (mut input, mut body) = sender;
    check_size(&body, size)?;
    let mut framed = Vec::with_capacity(4 + size);
    for round in 0..count {
        if round > 0 {
            recv(&mut input, &mut body, size).await?;
        }
        framed.clear();
        framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
        framed.extend_from_slice(&body);
        input
            .get_mut()
            .write_all(&framed)
            .await
            .map_err(|e| format!("send: {e}"))?;
    }
    Ok(())
}

async fn remote_lat<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    size: usize,
    count: u64,
) -> Outcome {
    let mut input = BufReader::with_capacity(batch(), stream);
    let framed = frame(&vec![0u8; size]);
    let mut body = Vec::with_capacity(size);
    let watch = Instant::now();
    for _ in 0..count {
        input
            .get_mut()
            .write_all(&framed)
            .await
            .map_err(|e| format!("send: {e}"))?;
        recv(&mut input, &mut body, size).await?;
    }
    print_lat(size, count, watch);
    Ok(())
}
