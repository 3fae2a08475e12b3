//! The valuz reduce: waits for the workers, starts the batch, sums the values.

use super::proto::{self, Sum};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// How long the reduce waits for the next value before it gives the batch up.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// How long without a value before the reduce warns (and again each time
/// as long again passes), until [`IDLE_LIMIT`].
pub const STALL_WARNING: Duration = Duration::from_secs(5);
/// How often `batch.start` is repeated while no value has come (a source
/// that subscribed late missed it; a source takes only the first).
pub const START_REPEAT: Duration = Duration::from_secs(1);

/// A bound reduce.
pub struct Reduce {
    pull: Socket,
    control: Socket,
    /// The PULL's endpoint, with the port a wildcard bind got.
    pub pull_endpoint: String,
    /// The PUB's endpoint, with the port a wildcard bind got.
    pub control_endpoint: String,
}

/// What a batch came to.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub elapsed: Duration,
    pub result: f64,
    /// Values that were not numbers (counted, not summed).
    pub bad_values: u64,
}

impl Reduce {
    /// Binds the PULL for values and the PUB for control.
    pub fn bind(ctx: &zmq::Context, pull_at: &str, control_at: &str) -> zmq::Result<Reduce> {
        let pull = ctx.socket(SocketType::Pull)?;
        pull.set(zmq::opt::Linger, Duration::ZERO)?;
        pull.bind(pull_at)?;
        let control = ctx.socket(SocketType::Pub)?;
        control.set(zmq::opt::Linger, Duration::from_secs(2))?;
        control.bind(control_at)?;
        Ok(Reduce {
            pull_endpoint: pull.last_endpoint()?,
            control_endpoint: control.last_endpoint()?,
            pull,
            control,
        })
    }

    fn wait(&self, timeout: Duration) -> zmq::Result<()> {
        let mut items = [PollItem::socket(&self.pull, PollEvents::POLLIN)];
        zmq::poll(&mut items, Some(timeout)).map(drop)
    }

    /// Runs one batch: takes `workers` idling frames, waits `settle`, starts
    /// the batch and sums `orders` values, calling `progress(done, total)`
    /// now and then. `None` if `stop` was set first.
    pub fn run(
        &self,
        workers: u64,
        orders: u64,
        settle: Duration,
        stop: &AtomicBool,
        log: &dyn Fn(&str),
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Option<Outcome>, Box<dyn std::error::Error + Send + Sync>> {
        let mut ready = 0;
        while ready < workers {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            self.wait(Duration::from_millis(100))?;
            while let Some(frame) = self.pull.try_recv()? {
                if frame.is_empty() {
                    ready += 1;
                } else {
                    log(&format!(
                        "ignored a value before the batch: {:?}",
                        String::from_utf8_lossy(&frame)
                    ));
                }
            }
        }
        log(&format!(
            "{ready} worker(s) ready; starting a batch of {orders} orders"
        ));
        std::thread::sleep(settle); // subscribers join late: the protocol's pause

        let started = Instant::now();
        self.control.send(proto::START)?;
        let (mut last_start, mut last_value) = (started, started);
        let (mut received, mut bad_values, mut sum) = (0u64, 0u64, Sum::default());
        let mut last_progress = started;
        let mut stall_warnings = 0u32;
        progress(0, orders);
        while received < orders {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            self.wait(Duration::from_millis(100))?;
            let now = Instant::now();
            while let Some(frame) = self.pull.try_recv()? {
                if frame.is_empty() {
                    continue; // a late worker saying it is ready
                }
                received += 1;
                last_value = now;
                stall_warnings = 0;
                match proto::parse_value(&frame) {
                    Some(value) => sum.add(value),
                    None => {
                        bad_values += 1;
                        if bad_values <= 10 {
                            log(&format!(
                                "not a value: {:?}",
                                String::from_utf8_lossy(&frame)
                            ));
                        }
                    }
                }
                if received == orders {
                    break;
                }
            }
            if received == 0 && now.duration_since(last_start) >= START_REPEAT {
                self.control.send(proto::START)?;
                last_start = now;
            }
            let idle = now.duration_since(last_value);
            if idle >= STALL_WARNING * (stall_warnings + 1) && idle < IDLE_LIMIT {
                stall_warnings += 1;
                log(&stall_warning(received, orders, idle));
            }
            if idle >= IDLE_LIMIT {
                return Err(format!(
                    "no value for {} s: {received} of {orders} received; are the source and workers running?",
                    IDLE_LIMIT.as_secs()
                )
                .into());
            }
            if now.duration_since(last_progress) >= Duration::from_millis(100) {
                progress(received, orders);
                last_progress = now;
            }
        }
        let elapsed = started.elapsed();
        progress(received, orders);
        self.control.send(proto::LEAVE)?;
        Ok(Some(Outcome {
            elapsed,
            result: sum.value(),
            bad_values,
        }))
    }
}

/// What the reduce says when values stop coming.
fn stall_warning(received: u64, orders: u64, idle: Duration) -> String {
    let cause = if received == 0 {
        "is the source running, and did it get batch.start? are the workers connected to it?"
    } else {
        "did the source send fewer orders than --orders? did a worker die with orders in hand?"
    };
    format!(
        "no value for {} s: {received} of {orders} received; {cause} (giving up after {} s)",
        idle.as_secs(),
        IDLE_LIMIT.as_secs()
    )
}

/// A progress line `[####....]  40% 40/100` of `width` marks; `done` past
/// `total` is shown as full (never an overflow).
pub fn progress_line(done: u64, total: u64, width: usize) -> String {
    let shown = done.min(total);
    let filled = if total == 0 {
        width
    } else {
        usize::try_from(u128::from(shown) * width as u128 / u128::from(total)).unwrap_or(width)
    };
    let percent = (u128::from(shown) * 100)
        .checked_div(u128::from(total))
        .unwrap_or(100);
    format!(
        "[{}{}] {percent:>3}% {done}/{total}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_survives_more_done_than_total() {
        assert_eq!(progress_line(0, 10, 10), "[..........]   0% 0/10");
        assert_eq!(progress_line(5, 10, 10), "[#####.....]  50% 5/10");
        assert_eq!(progress_line(12, 10, 10), "[##########] 100% 12/10");
        assert_eq!(progress_line(3, 0, 4), "[####] 100% 3/0");
        assert_eq!(
            progress_line(u64::MAX, u64::MAX, 4),
            "[####] 100% 18446744073709551615/18446744073709551615"
        );
    }
}
