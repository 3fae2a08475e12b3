//! `valuz run`: source, reduce and workers on threads of one process.

use super::proto;
use super::reduce::{Outcome, Reduce};
use super::source::Source;
use super::worker::Worker;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How the parts of an in-process pipeline talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `inproc://`, the fastest.
    Inproc,
    /// Loopback TCP on ports the OS picks.
    Tcp,
}

/// What a whole run came to.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub expected: f64,
    pub outcome: Outcome,
}

impl Report {
    /// True when the reduce found what the source expected, as printed.
    pub fn agrees(&self) -> bool {
        self.outcome.bad_values == 0
            && proto::format_result(self.expected) == proto::format_result(self.outcome.result)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs one batch of `orders` across `workers` worker threads.
pub fn run(
    workers: u64,
    orders: u64,
    transport: Transport,
    settle: Duration,
    log: Arc<dyn Fn(&str) + Send + Sync>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, BoxError> {
    let ctx = zmq::Context::new();
    let (values_at, control_at, orders_at) = match transport {
        Transport::Inproc => (
            "inproc://valuz-values",
            "inproc://valuz-control",
            "inproc://valuz-orders",
        ),
        Transport::Tcp => (
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
        ),
    };
    let reduce = Reduce::bind(&ctx, values_at, control_at)?;
    let source = Source::bind(&ctx, orders_at, &reduce.control_endpoint)?;
    let stop = Arc::new(AtomicBool::new(false));

    let mut worker_threads = Vec::new();
    for n in 0..workers {
        let worker = Worker::connect(
            &ctx,
            &source.push_endpoint,
            &reduce.pull_endpoint,
            &reduce.control_endpoint,
        )?;
        let (stop, log) = (stop.clone(), log.clone());
        worker_threads.push(std::thread::spawn(move || {
            let log_worker = |line: &str| log(&format!("worker {n}: {line}"));
            worker.run(&stop, &log_worker)
        }));
    }
    let source_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || -> zmq::Result<Option<f64>> {
            if !source.wait_for_start(&stop)? {
                return Ok(None);
            }
            source.send_batch(orders).map(Some)
        })
    };

    let outcome = reduce.run(workers, orders, settle, &stop, &*log, progress);
    // Whatever happened, nobody waits for more.
    if !matches!(outcome, Ok(Some(_))) {
        stop.store(true, Ordering::Relaxed);
    }
    let expected = source_thread
        .join()
        .map_err(|_| "the source thread panicked")?;
    for thread in worker_threads {
        thread.join().map_err(|_| "a worker thread panicked")??;
    }
    let outcome = outcome?.ok_or("stopped before the batch was done")?;
    let expected = expected?.ok_or("the source never got batch.start")?;
    Ok(Report { expected, outcome })
}
