//! chatz: group chat over ZeroMQ (REQ/ROUTER for requests, PUB/SUB for the feed).
//!
//! ```text
//! cargo run --example chatz -- server
//! cargo run --example chatz -- client --handle alice
//! echo hello | cargo run --example chatz -- client --handle bob --plain
//! ```
//!
//! Over CURVE, with an allow-list of client keys:
//!
//! ```text
//! cargo run --example chatz -- keys server-keys server
//! cargo run --example chatz -- keys client-keys alice
//! cargo run --example chatz -- server --curve-secret server-keys/server.key_secret --allow-keys client-keys
//! cargo run --example chatz -- client --handle alice \
//!     --curve-server-key server-keys/server.key --curve-cert client-keys/alice.key_secret
//! ```
//!
//! Diagnostics: a client silent for 5 s says why it probably is (no
//! connection, a failed handshake, its CURVE key refused); the server logs
//! each refused or failed handshake with the peer's address, and with
//! `server --monitor` every connection event.
//!
//! The wire protocol is in `docs/PROTOCOLS.md`; peers in any language that
//! speak it can take either end.

#[cfg(feature = "tokio")]
mod async_client;
mod client;
#[path = "../common/clock.rs"]
mod clock;
#[path = "../common/curve.rs"]
mod curve;
#[path = "../common/link.rs"]
mod link;
#[path = "../common/peers.rs"]
mod peers;
mod proto;
mod server;
mod tui;

use clap::{Parser, Subcommand};
use client::{ChatClient, Event};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Group chat over ZeroMQ: a server that tracks who is here and rebroadcasts
/// every post, and clients that post and follow the conversation.
#[derive(Parser)]
#[command(name = "chatz", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: a ROUTER answering every request with the live users,
    /// a PUB republishing every post.
    Server {
        /// Where the ROUTER binds (requests from clients).
        #[arg(long, value_name = "EP", default_value = "tcp://*:9001")]
        router: String,
        /// Where the PUB binds (the feed of posts).
        #[arg(long, value_name = "EP", default_value = "tcp://*:9002")]
        publish: String,
        /// Seconds after its last request that a user is dropped.
        #[arg(long, value_name = "SECS", default_value_t = 5.0)]
        expiry: f64,
        /// Log every connection event of both sockets (accepted, handshake,
        /// disconnected...), not only refused and failed handshakes.
        #[arg(long)]
        monitor: bool,
        #[command(flatten)]
        curve: curve::ServerArgs,
    },
    /// Run a client: a terminal UI, or line-oriented with --plain (or when
    /// stdout is not a terminal).
    Client {
        /// Your name in the chat (no control characters, at most 64 characters).
        #[arg(long, value_name = "NAME")]
        handle: String,
        /// The server's ROUTER endpoint.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9001")]
        server: String,
        /// The server's PUB endpoint.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9002")]
        feed: String,
        /// Post each line of stdin; print each post as `HANDLE: MESSAGE`.
        #[arg(long)]
        plain: bool,
        /// Run the async (tokio) client, line-oriented like --plain
        /// (a build with `--features tokio`).
        #[arg(long = "async")]
        run_async: bool,
        #[command(flatten)]
        curve: curve::ClientArgs,
    },
    /// Create a CURVE certificate: DIR/NAME.key (the public key, to give to
    /// the other side) and DIR/NAME.key_secret (both keys, to keep). Prints
    /// the public key in Z85.
    Keys(curve::KeysArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server {
            router,
            publish,
            expiry,
            monitor,
            curve,
        } => run_server(&router, &publish, expiry, monitor, &curve),
        Command::Keys(keys) => {
            curve::create_keys("chatz keys", &keys.dir, &keys.name).map(|()| ExitCode::SUCCESS)
        }
        Command::Client {
            handle,
            server,
            feed,
            plain,
            run_async,
            curve,
        } => {
            if let Err(why) = proto::check_handle(&handle) {
                eprintln!("chatz client: handle {handle:?} refused: {why}");
                return ExitCode::from(2);
            }
            let curve = match curve.setup() {
                Ok(curve) => curve,
                Err(e) => {
                    eprintln!("chatz client: {e}");
                    return ExitCode::from(2);
                }
            };
            let curve_used = curve.is_some();
            if let Some((server_key, own)) = &curve {
                eprintln!(
                    "chatz: CURVE to server key {server_key}, our key {}",
                    own.public
                );
            }
            if run_async {
                #[cfg(feature = "tokio")]
                return report(async_client::main(&handle, &server, &feed, curve));
                #[cfg(not(feature = "tokio"))]
                return report(Err("--async needs a build with `--features tokio`".into()));
            }
            let ctx = zmq::Context::new();
            match ChatClient::connect_curve(&ctx, &handle, &server, &feed, curve) {
                Err(e) => Err(e.into()),
                Ok(client)
                    if plain
                        || !std::io::stdout().is_terminal()
                        || !std::io::stdin().is_terminal() =>
                {
                    run_plain(client, curve_used)
                }
                Ok(client) => tui::run(client),
            }
        }
    };
    report(result)
}

fn report(result: Outcome) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chatz: {e}");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<ExitCode, Box<dyn std::error::Error>>;

fn run_server(
    router: &str,
    publish: &str,
    expiry: f64,
    monitor: bool,
    curve: &curve::ServerArgs,
) -> Outcome {
    if !(expiry.is_finite() && expiry > 0.0) {
        return Err(format!("--expiry must be a positive number of seconds, not {expiry}").into());
    }
    let ctx = zmq::Context::new();
    // The authenticator (if any) must be running before the sockets bind.
    let curve = curve.setup(&ctx)?;
    let log: server::Log = Box::new(|line| eprintln!("chatz server: {line}"));
    let mut server = server::ChatServer::bind_curve(
        &ctx,
        router,
        publish,
        Duration::from_secs_f64(expiry),
        log,
        curve.as_ref().map(curve::ServerCurve::secret),
    )?;
    server.watch_peers(monitor)?;
    if let Some(curve) = &curve {
        eprintln!("chatz server: {}", curve.summary);
    }
    eprintln!(
        "chatz server: requests on {}, feed on {}, leases of {expiry} s",
        server.router_endpoint, server.publish_endpoint
    );
    server.run(&AtomicBool::new(false))?;
    Ok(ExitCode::SUCCESS)
}

/// How long a client whose stdin ended waits for the server to take its
/// last posts, and then for their broadcasts to come back.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);
const ECHO_GRACE: Duration = Duration::from_millis(500);

fn run_plain(mut client: ChatClient, curve: bool) -> Outcome {
    let gone = if curve {
        "chatz: the server is not answering (or refuses our CURVE key); retrying"
    } else {
        "chatz: the server is not answering; retrying"
    };
    let (lines_tx, lines) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = lines_tx.send(None);
    });
    let mut stdin_closed: Option<Instant> = None;
    let mut drained: Option<Instant> = None;
    loop {
        for event in client.step(Duration::from_millis(50))? {
            match event {
                Event::Broadcast { handle, message } => {
                    // A closed pipe (`chatz client --plain | head`) ends us
                    // quietly, as any Unix tool.
                    match writeln!(std::io::stdout(), "{handle}: {message}") {
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                            return Ok(ExitCode::SUCCESS)
                        }
                        other => other?,
                    }
                }
                Event::Users(users) => eprintln!("chatz: here now: {}", users.join(", ")),
                Event::ServerUp { was_gone: true } => eprintln!("chatz: the server is back"),
                Event::ServerUp { was_gone: false } => eprintln!("chatz: connected"),
                Event::ServerGone => eprintln!("{gone}"),
                Event::Silent(diagnosis) => eprintln!("chatz: {diagnosis}"),
                Event::Unconfirmed(post) => eprintln!(
                    "chatz: the server took your post {post:?} but it did not come back on \
                     the feed: others may not have seen it"
                ),
            }
        }
        while let Ok(line) = lines.try_recv() {
            match line {
                Some(line) if !line.is_empty() => client.post(&line),
                Some(_) => {}
                None => stdin_closed = Some(Instant::now()),
            }
        }
        if let Some(closed) = stdin_closed {
            if client.pending() == 0 {
                let since = *drained.get_or_insert_with(Instant::now);
                if since.elapsed() >= ECHO_GRACE {
                    return Ok(ExitCode::SUCCESS);
                }
            } else if closed.elapsed() >= DRAIN_LIMIT {
                eprintln!("chatz: giving up on {} unsent post(s):", client.pending());
                for post in client.pending_posts() {
                    eprintln!("chatz: not delivered: {post:?}");
                }
                return Ok(ExitCode::FAILURE);
            }
        }
    }
}
