//! The tour: every demo at once, in one process on loopback, for about five
//! seconds.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! A tickz server and a client following AAPL and MSFT; a chatz server with
//! two scripted users, alice and bob; a valuz pipeline with four workers.
//! Every server binds `tcp://127.0.0.1:*` and the clients connect to the
//! port the OS picked, so the tour never collides with anything. It exits 0
//! when every part worked and the valuation checked out.

// Shared by the chatz and tickz parts (one copy of each module).
#[allow(dead_code)]
#[path = "common/link.rs"]
mod link;
#[allow(dead_code)]
#[path = "common/peers.rs"]
mod peers;

#[allow(dead_code)]
mod chatz {
    #[path = "client.rs"]
    pub mod client;
    use super::{link, peers};
    #[path = "proto.rs"]
    pub mod proto;
    #[path = "server.rs"]
    pub mod server;
}

#[allow(dead_code)]
mod tickz {
    #[path = "client.rs"]
    pub mod client;
    #[path = "../common/clock.rs"]
    mod clock;
    use super::{link, peers};
    #[path = "proto.rs"]
    pub mod proto;
    #[path = "server.rs"]
    pub mod server;
}

#[allow(dead_code)]
mod valuz {
    #[path = "pipeline.rs"]
    pub mod pipeline;
    #[path = "proto.rs"]
    pub mod proto;
    #[path = "reduce.rs"]
    pub mod reduce;
    #[path = "source.rs"]
    pub mod source;
    #[path = "worker.rs"]
    pub mod worker;
}

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Part = JoinHandle<Result<(), BoxError>>;

const TOUR: Duration = Duration::from_secs(5);
const VALUZ_ORDERS: u64 = 20_000;

fn main() -> ExitCode {
    let (major, minor, patch) = zmq::version();
    println!(
        "zmq tour: libzmq {major}.{minor}.{patch}; tickz, chatz and valuz on loopback for {} s",
        TOUR.as_secs()
    );
    let ctx = zmq::Context::new();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let parts = match start(&ctx, &stop, started) {
        Ok(parts) => parts,
        Err(e) => {
            eprintln!("tour: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    std::thread::sleep(TOUR); // the show itself: let the demos run
    stop.store(true, Ordering::Relaxed);
    let mut failed = false;
    for (name, part) in parts {
        match part.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("tour: {name} failed: {e}");
                failed = true;
            }
            Err(_) => {
                eprintln!("tour: {name} panicked");
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    println!(
        "zmq tour: done in {:.1} s, all parts worked",
        started.elapsed().as_secs_f64()
    );
    println!("{NEXT}");
    ExitCode::SUCCESS
}

/// The tour's last line: the three demos to run next, each in its own terminal.
const NEXT: &str = "next, run the demos themselves: \
    `cargo run --example chatz -- server` then `cargo run --example chatz -- client --handle alice`; \
    `cargo run --example tickz -- server` then `cargo run --example tickz -- client AAPL MSFT`; \
    `cargo run --example valuz -- run --workers 4 --orders 100000`";

fn say(started: Instant, part: &str, line: &str) {
    println!(
        "{:>5.2}s  {part:<7} {line}",
        started.elapsed().as_secs_f64()
    );
}

fn start(
    ctx: &zmq::Context,
    stop: &Arc<AtomicBool>,
    t0: Instant,
) -> Result<Vec<(&'static str, Part)>, BoxError> {
    let mut parts: Vec<(&'static str, Part)> = Vec::new();

    // tickz: a server ticking every 250 ms and a client following two symbols.
    let mut ticker =
        tickz::server::TickServer::bind(ctx, "tcp://127.0.0.1:*", Duration::from_millis(250))?;
    say(
        t0,
        "tickz",
        &format!("server publishing on {}", ticker.endpoint),
    );
    let mut reader = tickz::client::TickClient::connect(ctx, &ticker.endpoint)?;
    reader.follow("AAPL")?;
    reader.follow("MSFT")?;
    let s = stop.clone();
    parts.push((
        "tickz server",
        std::thread::spawn(move || Ok(ticker.run(&s)?)),
    ));
    let s = stop.clone();
    parts.push((
        "tickz client",
        std::thread::spawn(move || {
            let mut ticks = 0;
            while !s.load(Ordering::Relaxed) {
                for tick in reader.step(Duration::from_millis(100))? {
                    ticks += 1;
                    say(t0, "tickz", &tickz::proto::plain_line(&tick));
                }
            }
            if ticks == 0 {
                return Err("the tickz client saw no tick".into());
            }
            Ok(())
        }),
    ));

    // chatz: a server and two scripted users.
    let log: chatz::server::Log =
        Box::new(move |line| say(t0, "chatz", &format!("server: {line}")));
    let mut chat = chatz::server::ChatServer::bind(
        ctx,
        "tcp://127.0.0.1:*",
        "tcp://127.0.0.1:*",
        Duration::from_secs(5),
        log,
    )?;
    say(
        t0,
        "chatz",
        &format!(
            "server: requests on {}, feed on {}",
            chat.router_endpoint, chat.publish_endpoint
        ),
    );
    let (router, feed) = (chat.router_endpoint.clone(), chat.publish_endpoint.clone());
    let s = stop.clone();
    parts.push((
        "chatz server",
        std::thread::spawn(move || Ok(chat.run(&s)?)),
    ));
    let scripts: [(&str, &[(u64, &str)]); 2] = [
        (
            "alice",
            &[
                (600, "hi all, alice here"),
                (2200, "valuz is crunching numbers next door"),
                (3800, "bye for now!"),
            ],
        ),
        (
            "bob",
            &[
                (1300, "hello alice! bob here"),
                (3000, "tickz says AAPL is on the move"),
            ],
        ),
    ];
    for (handle, script) in scripts {
        let mut client = chatz::client::ChatClient::connect(ctx, handle, &router, &feed)?;
        let s = stop.clone();
        let observer = handle == "alice";
        parts.push((
            "chatz client",
            std::thread::spawn(move || {
                let mut next = script.iter().peekable();
                let mut heard = 0;
                while !s.load(Ordering::Relaxed) {
                    if let Some((at, text)) = next.peek() {
                        if t0.elapsed() >= Duration::from_millis(*at) {
                            client.post(text);
                            next.next();
                        }
                    }
                    for event in client.step(Duration::from_millis(50))? {
                        use chatz::client::Event;
                        match event {
                            Event::Broadcast {
                                handle: from,
                                message,
                            } => {
                                heard += 1;
                                if observer {
                                    say(t0, "chatz", &format!("{from}: {message}"));
                                }
                            }
                            Event::Users(users) if observer => {
                                say(t0, "chatz", &format!("here now: {}", users.join(", ")))
                            }
                            Event::ServerGone => say(
                                t0,
                                "chatz",
                                &format!("{handle}: the server is not answering"),
                            ),
                            _ => {}
                        }
                    }
                }
                if heard == 0 {
                    return Err(format!("{handle} heard nothing").into());
                }
                Ok(())
            }),
        ));
    }

    // valuz: the whole pipeline over loopback TCP, four workers.
    parts.push((
        "valuz",
        std::thread::spawn(move || {
            let log: Arc<dyn Fn(&str) + Send + Sync> =
                Arc::new(move |line: &str| say(t0, "valuz", line));
            let mut last = 0;
            let mut progress = |done: u64, total: u64| {
                let percent = done * 100 / total.max(1);
                if percent >= last + 25 || (done == total && last < 100) {
                    last = percent;
                    say(t0, "valuz", &format!("{done}/{total} values reduced"));
                }
            };
            let transport = valuz::pipeline::Transport::Tcp;
            let report = valuz::pipeline::run(
                4,
                VALUZ_ORDERS,
                transport,
                Duration::from_millis(300),
                log,
                &mut progress,
            )?;
            let (expected, result) = (report.expected, report.outcome.result);
            say(
                t0,
                "valuz",
                &format!("Expected result: {}", valuz::proto::format_result(expected)),
            );
            say(
                t0,
                "valuz",
                &format!(
                    "Total elapsed time: {} msec",
                    report.outcome.elapsed.as_millis()
                ),
            );
            say(
                t0,
                "valuz",
                &format!("Calculated result: {}", valuz::proto::format_result(result)),
            );
            if !report.agrees() {
                return Err("the calculated result differs from the expected one".into());
            }
            Ok(())
        }),
    ));
    Ok(parts)
}
