//! valuz: parallel valuation over a ZeroMQ pipeline (PUSH/PULL for work,
//! PUB/SUB for control).
//!
//! ```text
//! cargo run --example valuz -- reduce --workers 2 &
//! cargo run --example valuz -- worker & cargo run --example valuz -- worker &
//! cargo run --example valuz -- source
//! cargo run --release --example valuz -- run --workers 4 --orders 1000000
//! ```
//!
//! The wire protocol is in `docs/PROTOCOLS.md`.

mod pipeline;
mod proto;
mod reduce;
mod source;
mod worker;

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Parallel valuation: a source pushes orders, workers value each one
/// (action × price × 100), a reduce sums the values and checks the time.
#[derive(Parser)]
#[command(name = "valuz", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Push a batch of orders when the reduce says `batch.start`; print the
    /// result the reduce should find.
    Source {
        /// Where the PUSH binds (workers pull orders from it).
        #[arg(long, value_name = "EP", default_value = "tcp://*:9004")]
        push: String,
        /// The reduce's control PUB.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9006")]
        control: String,
        /// Orders in the batch (the reduce must be told the same).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        orders: u64,
    },
    /// Wait for the workers, start the batch, sum the values, print the time
    /// and the result.
    Reduce {
        /// How many workers to wait for.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        workers: u64,
        /// Where the PULL binds (workers push values to it).
        #[arg(long, value_name = "EP", default_value = "tcp://*:9005")]
        pull: String,
        /// Where the control PUB binds (`batch.start`, `batch.leave`).
        #[arg(long, value_name = "EP", default_value = "tcp://*:9006")]
        control: String,
        /// Orders in the batch (the source must be told the same).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        orders: u64,
        /// Milliseconds to wait between the last worker's "ready" and `batch.start`.
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        settle: u64,
    },
    /// Value orders until the reduce says `batch.leave`.
    Worker {
        /// The source's PUSH.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9004")]
        pull: String,
        /// The reduce's PULL.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9005")]
        push: String,
        /// The reduce's control PUB.
        #[arg(long, value_name = "EP", default_value = "tcp://localhost:9006")]
        control: String,
    },
    /// The whole pipeline in one process (threads over inproc); exits
    /// non-zero if the result is not the expected one.
    Run {
        /// Worker threads.
        #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
        workers: u64,
        /// Orders in the batch.
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        orders: u64,
        /// Use loopback TCP (ports picked by the OS) instead of inproc.
        #[arg(long)]
        tcp: bool,
    },
}

type Outcome = Result<ExitCode, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Source {
            push,
            control,
            orders,
        } => run_source(&push, &control, orders),
        Command::Reduce {
            workers,
            pull,
            control,
            orders,
            settle,
        } => run_reduce(
            workers,
            &pull,
            &control,
            orders,
            Duration::from_millis(settle),
        ),
        Command::Worker {
            pull,
            push,
            control,
        } => run_worker(&pull, &push, &control),
        Command::Run {
            workers,
            orders,
            tcp,
        } => run_all(workers, orders, tcp),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("valuz: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, otherwise a
/// line at each tenth of the batch (so a log shows how far it got).
fn progress_bar() -> impl FnMut(u64, u64) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_tenth = None;
    move |done, total| {
        let mut err = std::io::stderr().lock();
        if terminal {
            let _ = write!(err, "\r{}", reduce::progress_line(done, total, 40));
            if done >= total {
                let _ = writeln!(err);
            }
        } else {
            let tenth = (done.min(total) * 10).checked_div(total).unwrap_or(10);
            if last_tenth != Some(tenth) {
                last_tenth = Some(tenth);
                let _ = writeln!(err, "valuz: {done}/{total} values reduced");
            }
        }
        let _ = err.flush();
    }
}

fn run_source(push: &str, control: &str, orders: u64) -> Outcome {
    let ctx = zmq::Context::new();
    let source = source::Source::bind(&ctx, push, control)?;
    eprintln!(
        "valuz source: orders on {}, waiting for {} on {control}",
        source.push_endpoint,
        proto::START
    );
    source.wait_for_start(&AtomicBool::new(false))?;
    let expected = source.send_batch(orders)?;
    eprintln!("valuz source: pushed {orders} orders");
    println!("Expected result: {}", proto::format_result(expected));
    Ok(ExitCode::SUCCESS)
}

fn run_reduce(workers: u64, pull: &str, control: &str, orders: u64, settle: Duration) -> Outcome {
    let ctx = zmq::Context::new();
    let reduce = reduce::Reduce::bind(&ctx, pull, control)?;
    eprintln!(
        "valuz reduce: values on {}, control on {}, waiting for {workers} worker(s)",
        reduce.pull_endpoint, reduce.control_endpoint
    );
    let log = |line: &str| eprintln!("valuz reduce: {line}");
    let outcome = reduce
        .run(
            workers,
            orders,
            settle,
            &AtomicBool::new(false),
            &log,
            &mut progress_bar(),
        )?
        .ok_or("stopped")?;
    println!("Total elapsed time: {} msec", outcome.elapsed.as_millis());
    println!(
        "Calculated result: {}",
        proto::format_result(outcome.result)
    );
    if outcome.bad_values > 0 {
        eprintln!(
            "valuz reduce: {} value(s) were not numbers",
            outcome.bad_values
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_worker(pull: &str, push: &str, control: &str) -> Outcome {
    let ctx = zmq::Context::new();
    let worker = worker::Worker::connect(&ctx, pull, push, control)?;
    eprintln!("valuz worker: orders from {pull}, values to {push}, control from {control}");
    let valued = worker.run(&AtomicBool::new(false), &|line| {
        eprintln!("valuz worker: {line}")
    })?;
    eprintln!("valuz worker: valued {valued} orders; leaving");
    Ok(ExitCode::SUCCESS)
}

fn run_all(workers: u64, orders: u64, tcp: bool) -> Outcome {
    let transport = if tcp {
        pipeline::Transport::Tcp
    } else {
        pipeline::Transport::Inproc
    };
    let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(|line: &str| eprintln!("valuz: {line}"));
    let report = pipeline::run(
        workers,
        orders,
        transport,
        Duration::from_millis(200),
        log,
        &mut progress_bar(),
    )?;
    let outcome = report.outcome;
    println!("Expected result: {}", proto::format_result(report.expected));
    println!("Total elapsed time: {} msec", outcome.elapsed.as_millis());
    println!(
        "Calculated result: {}",
        proto::format_result(outcome.result)
    );
    let rate = orders as f64 / outcome.elapsed.as_secs_f64().max(1e-9);
    println!("Throughput: {rate:.0} orders/s ({workers} workers, {transport:?})");
    if report.agrees() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("valuz: the calculated result differs from the expected one");
        Ok(ExitCode::FAILURE)
    }
}
