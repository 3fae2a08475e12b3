//! tickz: a stock ticker over ZeroMQ PUB/SUB.
//!
//! ```text
//! cargo run --example tickz -- server
//! cargo run --example tickz -- client AAPL MSFT
//! cargo run --example tickz -- client --plain GOOG
//! ```
//!
//! Over CURVE, with an allow-list of client keys:
//!
//! ```text
//! cargo run --example tickz -- keys server-keys server
//! cargo run --example tickz -- keys client-keys carol
//! cargo run --example tickz -- server --curve-secret server-keys/server.key_secret --allow-keys client-keys
//! cargo run --example tickz -- client --curve-server-key server-keys/server.key \
//!     --curve-cert client-keys/carol.key_secret AAPL
//! ```
//!
//! Over UDP multicast with RADIO/DISH (libzmq's DRAFT API: build with
//! `--features draft`), each tick one datagram whose group is its symbol; the
//! PUB keeps publishing as before:
//!
//! ```text
//! cargo run --features draft --example tickz -- server --radio udp://239.0.0.1:9013
//! cargo run --features draft --example tickz -- client --dish udp://239.0.0.1:9013 AAPL
//! ```
//!
//! Without the feature, `--radio` and `--dish` are refused with a message
//! saying to rebuild with it (exit status 2).
//!
//! Diagnostics: a client silent for 5 s says why it probably is (no
//! connection, a failed handshake, its CURVE key refused); the server logs
//! each refused or failed handshake with the peer's address, and with
//! `server --monitor` every connection event.
//!
//! The wire protocol is in `docs/PROTOCOLS.md`.

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
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// A stock ticker: a server publishing prices of MSFT, AAPL, GOOG, YHOO and
/// BBRY as a random walk, and clients following the symbols they choose.
#[derive(Parser)]
#[command(name = "tickz", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publish ticks: `[symbol][time: f64 LE][price: f64 LE]` per symbol.
    Server {
        /// Where the PUB binds.
        #[arg(long, value_name = "EP", default_value = "tcp://*:9003")]
        bind: String,
        /// Milliseconds between ticks.
        #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
        interval: u64,
        /// Log every connection event of the PUB (accepted, handshake,
        /// disconnected...), not only refused and failed handshakes.
        #[arg(long)]
        monitor: bool,
        /// Also send every tick over a RADIO to this udp:// endpoint: a
        /// multicast group such as udp://239.0.0.1:9013 (or
        /// udp://IFACE;239.0.0.1:9013), or one client's unicast address. One
        /// datagram per tick, group = symbol, body = timestamp and price
        /// (16 bytes). Needs --features draft; unencrypted, so not with CURVE.
        #[arg(long, value_name = "UDP_EP", conflicts_with = "curve_secret")]
        radio: Option<String>,
        #[command(flatten)]
        curve: curve::ServerArgs,
    },
    /// Follow symbols: a terminal UI (type a symbol and Enter to add or
    /// remove it), or one line per tick with --plain (or when stdout is not
    /// a terminal).
    Client {
        /// The server's PUB endpoint.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9003")]
        connect: String,
        /// Read the ticks from RADIO datagrams instead of the PUB: a DISH
        /// bound to this udp:// endpoint (the server's --radio address, e.g.
        /// udp://239.0.0.1:9013), joining one group per symbol. Needs
        /// --features draft; not with CURVE.
        #[arg(long, value_name = "UDP_EP", conflicts_with_all = ["connect", "curve_server_key"])]
        dish: Option<String>,
        /// Print `SYMBOL PRICE TIME` per tick (price with three decimals, UTC time).
        #[arg(long)]
        plain: bool,
        /// Exit after this many ticks (plain mode).
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Symbols to follow ([A-Z][A-Z0-9]+, at most 12 characters; lower
        /// case is raised; at most 32 of them); all five of the talk when
        /// none is given.
        #[arg(value_name = "SYMBOL")]
        symbols: Vec<String>,
        #[command(flatten)]
        curve: curve::ClientArgs,
    },
    /// Create a CURVE certificate: DIR/NAME.key (the public key, to give to
    /// the other side) and DIR/NAME.key_secret (both keys, to keep). Prints
    /// the public key in Z85.
    Keys(curve::KeysArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Server {
            bind,
            interval,
            monitor,
            radio,
            curve,
        } => run_server(
            &bind,
            Duration::from_millis(interval),
            monitor,
            radio.as_deref(),
            &curve,
        ),
        Command::Client {
            connect,
            dish,
            plain,
            count,
            symbols,
            curve,
        } => run_client(&connect, dish.as_deref(), plain, count, symbols, &curve),
        Command::Keys(keys) => {
            curve::create_keys("tickz keys", &keys.dir, &keys.name).map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tickz: {e}");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<ExitCode, Box<dyn std::error::Error>>;

/// Without the DRAFT API there is no RADIO or DISH: say so and how to get
/// it, rather than ignore the option.
#[cfg(not(zmq_draft))]
fn needs_draft(who: &str, option: &str) -> Outcome {
    eprintln!(
        "tickz {who}: {option} needs RADIO/DISH sockets, which are in libzmq's DRAFT API: \
         rebuild with --features draft (cargo run --features draft --example tickz -- ...)"
    );
    Ok(ExitCode::from(2))
}

fn run_server(
    bind: &str,
    interval: Duration,
    monitor: bool,
    radio: Option<&str>,
    curve: &curve::ServerArgs,
) -> Outcome {
    #[cfg(not(zmq_draft))]
    if radio.is_some() {
        return needs_draft("server", "--radio");
    }
    if let Some(radio) = radio.filter(|r| !r.starts_with("udp://")) {
        eprintln!("tickz server: --radio takes a udp:// endpoint, not {radio}");
        return Ok(ExitCode::from(2));
    }
    let ctx = zmq::Context::new();
    // The authenticator (if any) must be running before the PUB binds.
    let curve = curve.setup(&ctx)?;
    let mut server = server::TickServer::bind_curve(
        &ctx,
        bind,
        interval,
        curve.as_ref().map(curve::ServerCurve::secret),
    )?;
    server.watch_peers(monitor, Box::new(|line| eprintln!("tickz server: {line}")))?;
    #[cfg(zmq_draft)]
    if let Some(radio) = radio {
        server.add_radio(&ctx, radio)?;
        eprintln!("tickz server: radio to {radio}, one group per symbol");
    }
    if let Some(curve) = &curve {
        eprintln!("tickz server: {}", curve.summary);
    }
    eprintln!(
        "tickz server: publishing on {} every {} ms",
        server.endpoint,
        interval.as_millis()
    );
    server.run(&AtomicBool::new(false))?;
    Ok(ExitCode::SUCCESS)
}

fn run_client(
    connect: &str,
    dish: Option<&str>,
    plain: bool,
    count: Option<u64>,
    symbols: Vec<String>,
    curve: &curve::ClientArgs,
) -> Outcome {
    let symbols: Vec<String> = if symbols.is_empty() {
        proto::SYMBOLS.iter().map(|(s, _)| s.to_string()).collect()
    } else {
        match symbols.iter().map(|s| proto::parse_symbol(s)).collect() {
            Ok(symbols) => symbols,
            Err(why) => {
                eprintln!("tickz client: {why}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    if symbols.len() > proto::MAX_FOLLOWED {
        eprintln!(
            "tickz client: {} symbols given; a client follows at most {}",
            symbols.len(),
            proto::MAX_FOLLOWED
        );
        return Ok(ExitCode::from(2));
    }
    let curve = match curve.setup() {
        Ok(curve) => curve,
        Err(e) => {
            eprintln!("tickz client: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some((server_key, own)) = &curve {
        eprintln!(
            "tickz: CURVE to server key {server_key}, our key {}",
            own.public
        );
    }
    let ctx = zmq::Context::new();
    let mut client = match dish {
        None => client::TickClient::connect_curve(&ctx, connect, curve.as_ref())?,
        #[cfg(not(zmq_draft))]
        Some(_) => return needs_draft("client", "--dish"),
        #[cfg(zmq_draft)]
        Some(endpoint) => {
            if !endpoint.starts_with("udp://") {
                eprintln!("tickz client: --dish takes a udp:// endpoint, not {endpoint}");
                return Ok(ExitCode::from(2));
            }
            if let Some(long) = symbols.iter().find(|s| s.len() > zmq::GROUP_MAX_LENGTH) {
                eprintln!(
                    "tickz client: {long:.20}… is too long for a DISH group (at most {} bytes)",
                    zmq::GROUP_MAX_LENGTH
                );
                return Ok(ExitCode::from(2));
            }
            client::TickClient::dish(&ctx, endpoint)?
        }
    };
    for symbol in &symbols {
        client.follow(symbol)?;
    }
    if !plain && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return tui::run(client);
    }
    let mut printed = 0;
    let mut out = std::io::stdout().lock();
    loop {
        for tick in client.step(Duration::from_millis(500))? {
            // A closed pipe (`tickz client | head -3`) ends us quietly, as
            // any Unix tool; Rust ignores SIGPIPE, so it shows up here.
            match writeln!(out, "{}", proto::plain_line(&tick)) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS)
                }
                other => other?,
            }
            printed += 1;
            if count.is_some_and(|n| printed >= n) {
                return Ok(ExitCode::SUCCESS);
            }
        }
        if let Some(diagnosis) = client.silence() {
            eprintln!("tickz: {diagnosis}");
        }
    }
}
