//! dealz: the trading desk in a browser, the talk's "putting it all together".
//!
//! ```text
//! cargo run --example dealz -- --demo
//! cargo run --example dealz -- --handle alice
//! ```
//!
//! One host process is a chatz user (REQ keep-alives and posts, SUB on the
//! feed), a tickz subscriber (it follows and forgets symbols as the page
//! asks), and the valuz source and reduce for batches priced from the page,
//! with worker processes doing the valuation. Every socket it holds is
//! watched by a socket monitor, whose events feed the Diagnostics panel. All
//! of it is pushed to every open browser over a WebSocket; the page (HTML,
//! CSS and JS) is embedded in the binary.
//!
//! The wire protocols are in `docs/PROTOCOLS.md`; the page's own JSON
//! protocol is in `web.rs`.

mod chat;
mod chatz;
#[path = "../common/curve.rs"]
#[allow(dead_code)] // the host is a client: the server half goes unused
mod curve;
mod demo;
mod diagnostics;
mod outbox;
#[path = "../common/peers.rs"]
#[allow(dead_code)] // the servers of --demo log with part of it
mod peers;
mod state;
mod ticker;
mod tickz;
mod valuation;
mod valuz;
mod web;

use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The trading desk: a web page with a live ticker, the chat, batch
/// valuation on worker processes, and the diagnostics of every socket.
#[derive(Parser)]
#[command(name = "dealz", version)]
struct Cli {
    /// Your name in the chat.
    #[arg(long, value_name = "NAME", default_value = "trader")]
    handle: String,
    /// The chatz server's ROUTER (requests).
    #[arg(long, value_name = "EP", default_value = "tcp://localhost:9001")]
    chatz: String,
    /// The chatz server's PUB (the feed of posts).
    #[arg(long, value_name = "EP", default_value = "tcp://localhost:9002")]
    chatz_feed: String,
    /// The tickz server's PUB.
    #[arg(long, value_name = "EP", default_value = "tcp://localhost:9003")]
    tickz: String,
    /// Take the ticks from a `tickz server --radio` over UDP instead of the
    /// PUB of --tickz: an async DISH binds this endpoint (a multicast group
    /// such as `udp://239.0.0.1:9013`, or a unicast address of this host)
    /// and joins one group per followed symbol. Needs dealz built with the
    /// DRAFT API (`--features tokio,draft`).
    #[arg(long, value_name = "udp://GROUP:PORT")]
    dish: Option<String>,
    /// Where the valuz source's PUSH binds (workers pull orders from it).
    #[arg(long, value_name = "EP", default_value = "tcp://*:9004")]
    valuz_orders: String,
    /// Where the valuz reduce's PULL binds (workers push values to it).
    #[arg(long, value_name = "EP", default_value = "tcp://*:9005")]
    valuz_values: String,
    /// Where the valuz reduce's control PUB binds (`batch.start`, `batch.leave`).
    #[arg(long, value_name = "EP", default_value = "tcp://*:9006")]
    valuz_control: String,
    /// Worker processes a batch runs on.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,
    /// Another worker program, e.g. `python3 worker.py {pull} {push} {control}`
    /// (split on blanks; without placeholders the three endpoints are
    /// appended in that order). Default: the `valuz` example next to this
    /// program (`valuz worker`), else this program's own copy of its worker.
    #[arg(long, value_name = "CMD")]
    worker_cmd: Option<String>,
    /// Where the web page is served.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
    http: SocketAddr,
    /// Start a tickz and a chatz server in this process (on the --tickz,
    /// --chatz and --chatz-feed ports), so one command shows the whole desk.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    curve: curve::ClientArgs,
    /// The chatz server's public key (Z85 or its `NAME.key`), when it is not
    /// the one of --curve-server-key.
    #[arg(
        long,
        value_name = "KEY_OR_FILE",
        allow_hyphen_values = true,
        requires = "curve_server_key"
    )]
    chatz_server_key: Option<String>,
    /// The tickz server's public key (Z85 or its `NAME.key`), when it is not
    /// the one of --curve-server-key.
    #[arg(
        long,
        value_name = "KEY_OR_FILE",
        allow_hyphen_values = true,
        requires = "curve_server_key"
    )]
    tickz_server_key: Option<String>,
    /// How often the host pings each browser, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    ws_ping_ms: u64,
    /// A browser that sends nothing (not even a pong) or takes no message
    /// for this many milliseconds is closed (1008) and the Diagnostics
    /// panel says so.
    #[arg(long, value_name = "MS", default_value_t = 15000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    ws_timeout_ms: u64,
    /// Run as a valuz worker (how the host spawns its own workers when no
    /// `valuz` program is next to it): PULL, PUSH and CONTROL endpoints.
    #[arg(long, num_args = 3, value_names = ["PULL", "PUSH", "CONTROL"], hide = true)]
    valuz_worker: Option<Vec<String>>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Our key pair (--curve-cert, or made for this run) and each server's key:
/// --chatz-server-key and --tickz-server-key replace --curve-server-key for
/// a server that does not share the other's key pair.
fn server_keys(cli: &Cli) -> Result<ServerKeys, String> {
    let shared = cli.curve.setup().map_err(|e| e.to_string())?;
    let with_key = |option: &str, key: &Option<String>| match (&shared, key) {
        (Some((_, own)), Some(key)) => curve::server_key(key)
            .map(|key| Some((key, own.clone())))
            .map_err(|e| format!("--{option}: {e}")),
        // clap's `requires` keeps a per-server key from coming alone.
        _ => Ok(shared.clone()),
    };
    Ok(ServerKeys {
        chatz: with_key("chatz-server-key", &cli.chatz_server_key)?,
        tickz: with_key("tickz-server-key", &cli.tickz_server_key)?,
    })
}

/// The CURVE settings of the host's two server links (`None`: plain).
struct ServerKeys {
    chatz: Option<chat::Curve>,
    tickz: Option<chat::Curve>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(endpoints) = &cli.valuz_worker {
        return valuz::run_worker(endpoints);
    }
    if let Err(why) = chatz::proto::check_handle(&cli.handle) {
        eprintln!("dealz: handle {:?} refused: {why}", cli.handle);
        return ExitCode::from(2);
    }
    let curve = match server_keys(&cli) {
        Ok(curve) => curve,
        Err(e) => {
            eprintln!("dealz: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dealz: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli, curve));
    // Tasks still parked on a socket are dropped here; none may hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dealz: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How long the host gives itself to wind down after Ctrl-C before it
/// exits regardless.
const SHUTDOWN_LIMIT: Duration = Duration::from_millis(1800);

async fn run(cli: Cli, curve: ServerKeys) -> Result<(), Failure> {
    let ctx = zmq::Context::new();
    // With --demo the servers get their own context: they are the "remote"
    // side, and stopping the host's sockets never waits on theirs.
    let _servers = if cli.demo {
        Some(demo::Servers::start(
            &cli.tickz,
            &cli.chatz,
            &cli.chatz_feed,
        )?)
    } else {
        None
    };

    let ticks_from = cli.dish.as_deref().unwrap_or(&cli.tickz);
    let desk = Arc::new(state::Desk::new(&cli.handle, ticks_from, &cli.chatz));
    let (shutdown_tx, shutdown) = watch::channel(false);

    let valuz = valuation::Valuation::bind(
        &ctx,
        &desk,
        &cli.valuz_orders,
        &cli.valuz_values,
        &cli.valuz_control,
        cli.workers,
        valuation::WorkerCommand::new(cli.worker_cmd.as_deref())?,
    )?;
    let (follow_tx, follow_rx) = mpsc::channel(64);
    match &cli.dish {
        Some(endpoint) => ticker::spawn_dish(&ctx, endpoint, desk.clone(), follow_rx)?,
        None => ticker::spawn(&ctx, &cli.tickz, curve.tickz, desk.clone(), follow_rx)?,
    }
    let (post_tx, post_rx) = mpsc::channel(64);
    chat::spawn(
        &ctx,
        &cli.handle,
        &cli.chatz,
        &cli.chatz_feed,
        curve.chatz,
        desk.clone(),
        post_rx,
    )?;

    web::raise_descriptor_limit();
    let listener = web::bind(cli.http).map_err(|e| format!("--http {}: {e}", cli.http))?;
    let address = listener.local_addr()?;
    let app = web::App {
        desk: desk.clone(),
        follow: follow_tx,
        post: post_tx,
        valuation: valuz.clone(),
        shutdown: shutdown.clone(),
        keepalive: web::Keepalive {
            ping: Duration::from_millis(cli.ws_ping_ms),
            timeout: Duration::from_millis(cli.ws_timeout_ms),
        },
    };
    let server = tokio::spawn(web::serve(listener, app));
    println!("dealz: open http://{address}/ in a browser (Ctrl-C to stop)");
    eprintln!(
        "dealz: {} on chatz {} (feed {}), tickz {}; valuz orders {}, values {}, control {}; {} worker(s)",
        cli.handle,
        cli.chatz,
        cli.chatz_feed,
        match &cli.dish {
            Some(endpoint) => format!("{endpoint} (DISH)"),
            None => cli.tickz.clone(),
        },
        valuz.orders_endpoint,
        valuz.values_endpoint,
        valuz.control_endpoint,
        cli.workers
    );

    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal?,
        outcome = server => outcome??,
    }
    eprintln!("dealz: stopping");
    // From here on the exit is bounded, whatever a peer or a task does.
    std::thread::spawn(|| {
        std::thread::sleep(SHUTDOWN_LIMIT);
        eprintln!("dealz: shutdown took too long; exiting anyway");
        std::process::exit(0);
    });
    let _ = shutdown_tx.send(true);
    valuz.leave().await;
    web::wait_closed(&desk, Duration::from_millis(500)).await;
    let _ = ctx.shutdown();
    Ok(())
}
