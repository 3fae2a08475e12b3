//! An async echo server and client on `zmq::tokio` (feature `tokio`).
//!
//! ```text
//! cargo run --features tokio --example async_echo                  # both, in one process
//! cargo run --features tokio --example async_echo -- server --bind tcp://127.0.0.1:5555
//! cargo run --features tokio --example async_echo -- client --connect tcp://127.0.0.1:5555 --count 5
//! ```
//!
//! The server is a ROUTER that echoes every multipart message to its
//! sender, serving any number of clients from one task. It sets
//! `RouterMandatory`: a plain ROUTER silently drops a reply whose client's
//! queue is full (a client that streams faster than it reads), while a
//! mandatory one makes the send wait until there is room, so no echo is lost. The client is a
//! DEALER whose writer and reader are two tasks sharing the socket: it
//! streams `--count` numbered requests and checks every echo comes back, in
//! order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use zmq::tokio::AsyncSocket;
use zmq::{Context, SocketType};

#[derive(Parser)]
#[command(name = "async_echo", version)]
/// An async ZeroMQ echo server and client (tokio).
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Echo every message back to its sender, until Ctrl-C.
    Server {
        /// Where to listen.
        #[arg(long, value_name = "EP", default_value = "tcp://127.0.0.1:5555")]
        bind: String,
    },
    /// Send numbered messages and check their echoes.
    Client {
        /// The server's endpoint.
        #[arg(long, value_name = "EP", default_value = "tcp://127.0.0.1:5555")]
        connect: String,
        /// How many messages to send.
        #[arg(long, default_value_t = 10)]
        count: u64,
    },
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A ROUTER bound to `endpoint` that waits, rather than drops, when a
/// client's queue is full.
fn echo_server(ctx: &Context, endpoint: &str) -> zmq::Result<AsyncSocket> {
    let server = ctx.async_socket(SocketType::Router)?;
    server.set(zmq::opt::RouterMandatory, true)?;
    server.bind(endpoint)?;
    Ok(server)
}

async fn serve(server: AsyncSocket) -> zmq::Result<()> {
    loop {
        // [routing id, payload...]: sending it back routes it to the sender.
        let request = server.recv_multipart().await?;
        server.send_multipart(request).await?;
    }
}

async fn run_client(ctx: &Context, endpoint: &str, count: u64) -> Result<(), Failure> {
    let client = Arc::new(ctx.async_socket(SocketType::Dealer)?);
    client.connect(endpoint)?;
    let start = Instant::now();
    let writer = {
        let client = Arc::clone(&client);
        tokio::spawn(async move {
            for i in 0..count {
                client.send(format!("echo {i}")).await?;
            }
            Ok::<(), zmq::Error>(())
        })
    };
    for i in 0..count {
        let reply = tokio::time::timeout(Duration::from_secs(5), client.recv())
            .await
            .map_err(|_| format!("no echo of message {i} within 5 s: is the server up?"))??;
        let text = reply.as_str().unwrap_or("(not UTF-8)");
        if text != format!("echo {i}") {
            return Err(format!("echo {i} came back as {text:?}").into());
        }
        if count <= 20 {
            println!("{text}");
        }
    }
    writer.await??;
    println!("{count} echoes in {:?}", start.elapsed());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let ctx = Context::new();
    match Cli::parse().command {
        Some(Command::Server { bind }) => {
            let server = echo_server(&ctx, &bind)?;
            eprintln!("async_echo: serving on {bind} (Ctrl-C to stop)");
            tokio::select! {
                served = serve(server) => served?,
                _ = tokio::signal::ctrl_c() => eprintln!("async_echo: stopped"),
            }
        }
        Some(Command::Client { connect, count }) => run_client(&ctx, &connect, count).await?,
        None => {
            // Both ends in one process, on a port the system picks.
            let server = echo_server(&ctx, "tcp://127.0.0.1:*")?;
            let endpoint = server.last_endpoint()?;
            let serving = tokio::spawn(serve(server));
            run_client(&ctx, &endpoint, 10).await?;
            serving.abort();
        }
    }
    Ok(())
}
