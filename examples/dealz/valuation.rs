//! The Valuation panel's engine: the host is the valuz source (PUSH of
//! orders) and reduce (PULL of values, PUB of control) for batches composed
//! in the page, and spawns the worker processes that value them.

use super::diagnostics;
use super::state::{self, BatchRecord, Desk, BATCH_RECORDS};
use super::tickz::proto::{check_symbol, quoted};
use super::valuz::proto::{self, Action, Sum};
use rand::Rng;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::{timeout, Instant};
use zmq::tokio::AsyncSocket;
use zmq::SocketType;

/// The largest batch the page may ask for.
pub const MAX_ORDERS: u64 = 1_000_000;
/// How long the workers have to say they are ready.
const READY_LIMIT: Duration = Duration::from_secs(30);
/// The protocol's pause between the last "ready" and `batch.start`
/// (subscribers join late).
const SETTLE: Duration = Duration::from_millis(500);
/// How long the reduce waits for the next value before it gives up.
const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// How often the panel's progress is refreshed.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How long workers have to leave after `batch.leave` before they are
/// killed (all of them together: the host's exit is bounded).
const LEAVE_GRACE: Duration = Duration::from_millis(700);

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// One order of a batch, as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub stock: String,
    pub action: Action,
    /// A plain decimal, e.g. `41.78`.
    pub price: String,
}

/// `count` random orders over `prices` (symbol, last price): each a buy or
/// a sell of one symbol at its last price in whole cents.
pub fn random_orders(count: u64, prices: &[(String, f64)], rng: &mut impl Rng) -> Vec<Order> {
    (0..count)
        .map(|_| {
            let (stock, price) = &prices[rng.random_range(0..prices.len())];
            let cents = ((price * 100.0).round() as i64).max(1);
            Order {
                stock: stock.clone(),
                action: if rng.random_bool(0.5) {
                    Action::Buy
                } else {
                    Action::Sell
                },
                price: proto::format_cents(cents),
            }
        })
        .collect()
}

fn plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    (!int.is_empty() || !frac.is_empty())
        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        && !digits.ends_with('.')
}

/// Reads a pasted list: one order per line, `SYMBOL ACTION PRICE`
/// separated by blanks or commas, ACTION `1`/`-1`/`BUY`/`SELL`, the price a
/// plain decimal. Blank lines and `#` comments are skipped.
pub fn parse_orders(text: &str) -> Result<Vec<Order>, String> {
    let mut orders = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty())
            .collect();
        let bad = |why: String| format!("line {}: {why} (in {})", n + 1, quoted(line));
        let [stock, action, price] = fields[..] else {
            return Err(bad(format!(
                "expected SYMBOL ACTION PRICE, got {} field(s)",
                fields.len()
            )));
        };
        let stock = stock.to_ascii_uppercase();
        check_symbol(&stock).map_err(bad)?;
        let action = Action::parse(action)
            .ok_or_else(|| bad(format!("{} is not 1, -1, BUY or SELL", quoted(action))))?;
        if !plain_decimal(price) {
            return Err(bad(format!(
                "{} is not a plain decimal price",
                quoted(price)
            )));
        }
        orders.push(Order {
            stock,
            action,
            price: price.to_owned(),
        });
        if orders.len() as u64 > MAX_ORDERS {
            return Err(format!("more than {MAX_ORDERS} orders"));
        }
    }
    if orders.is_empty() {
        return Err("the list holds no orders".to_owned());
    }
    Ok(orders)
}

/// What the workers should find: the sum of `action × price × 100`.
pub fn expected(orders: &[Order]) -> f64 {
    let mut sum = Sum::default();
    for order in orders {
        if let Some(value) = proto::value_text(order.action, &order.price)
            .and_then(|text| proto::parse_value(text.as_bytes()))
        {
            sum.add(value);
        }
    }
    sum.value()
}

/// The program a worker process runs.
#[derive(Debug, Clone)]
pub enum WorkerCommand {
    /// `--worker-cmd`: words with `{pull}`, `{push}`, `{control}` placeholders,
    /// or the three endpoints appended.
    Custom(Vec<String>),
    /// The `valuz` example next to this program: `valuz worker --pull ..`.
    Valuz(PathBuf),
    /// This program's own copy of the valuz worker.
    Own(PathBuf),
}

impl WorkerCommand {
    /// `--worker-cmd`, else `valuz` next to this program, else ourselves.
    pub fn new(custom: Option<&str>) -> Result<WorkerCommand, Failure> {
        if let Some(custom) = custom {
            let words: Vec<String> = custom.split_whitespace().map(str::to_owned).collect();
            if words.is_empty() {
                return Err("--worker-cmd is empty".into());
            }
            return Ok(WorkerCommand::Custom(words));
        }
        let me = std::env::current_exe()?;
        let valuz = me.with_file_name(format!("valuz{}", std::env::consts::EXE_SUFFIX));
        Ok(if valuz.is_file() {
            WorkerCommand::Valuz(valuz)
        } else {
            WorkerCommand::Own(me)
        })
    }

    /// In full (paths included), for the panel's tooltip.
    pub fn describe(&self) -> String {
        match self {
            WorkerCommand::Custom(words) => words.join(" "),
            WorkerCommand::Valuz(path) => format!("{} worker", path.display()),
            WorkerCommand::Own(path) => format!("{} --valuz-worker", path.display()),
        }
    }

    /// In short, for the panel: the program's name without its directory
    /// (`valuz worker`), which on the build machine is a long path.
    pub fn name(&self) -> String {
        let file_name = |path: &std::path::Path| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        };
        match self {
            WorkerCommand::Custom(words) => {
                let mut words = words.clone();
                words[0] = file_name(std::path::Path::new(&words[0]));
                words.join(" ")
            }
            WorkerCommand::Valuz(path) => format!("{} worker", file_name(path)),
            WorkerCommand::Own(path) => format!("{} --valuz-worker", file_name(path)),
        }
    }

    fn command(&self, pull: &str, push: &str, control: &str) -> Command {
        let mut command;
        match self {
            WorkerCommand::Custom(words) => {
                command = Command::new(&words[0]);
                let mut placed = false;
                for word in &words[1..] {
                    let arg = word
                        .replace("{pull}", pull)
                        .replace("{push}", push)
                        .replace("{control}", control);
                    placed |= arg != *word;
                    command.arg(arg);
                }
                if !placed {
                    command.args([pull, push, control]);
                }
            }
            WorkerCommand::Valuz(path) => {
                command = Command::new(path);
                command.args([
                    "worker",
                    "--pull",
                    pull,
                    "--push",
                    push,
                    "--control",
                    control,
                ]);
            }
            WorkerCommand::Own(path) => {
                command = Command::new(path);
                command.args(["--valuz-worker", pull, push, control]);
            }
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        command
    }
}

/// The source's half: pushes every order (`[stock][action][price]`).
async fn push_orders(push: Arc<AsyncSocket>, orders: Vec<Order>) -> zmq::Result<()> {
    for order in orders {
        let frames = [
            order.stock.into_bytes(),
            order.action.wire().as_bytes().to_vec(),
            order.price.into_bytes(),
        ];
        push.send_multipart(frames).await?;
    }
    Ok(())
}

/// A wildcard bind's endpoint as a worker on this machine connects to it.
fn connectable(endpoint: &str) -> String {
    endpoint
        .replace("://0.0.0.0:", "://127.0.0.1:")
        .replace("://[::]:", "://[::1]:")
}

/// The bound source and reduce, and the batch in progress.
pub struct Valuation {
    desk: Arc<Desk>,
    orders: Arc<AsyncSocket>,
    values: AsyncSocket,
    control: AsyncSocket,
    workers: u64,
    program: WorkerCommand,
    busy: AtomicBool,
    children: Mutex<Vec<Child>>,
    /// Where workers connect for orders.
    pub orders_endpoint: String,
    /// Where workers connect to push values.
    pub values_endpoint: String,
    /// Where workers connect for `batch.leave`.
    pub control_endpoint: String,
}

fn bound(
    desk: &Arc<Desk>,
    ctx: &zmq::Context,
    kind: SocketType,
    name: &str,
    endpoint: &str,
    linger: Duration,
) -> Result<(AsyncSocket, String), Failure> {
    let socket = ctx.socket(kind)?;
    socket.set(zmq::opt::Linger, linger)?;
    let socket = AsyncSocket::new(socket)?;
    diagnostics::watch(
        desk,
        name,
        endpoint,
        diagnostics::Role::Binds,
        &socket,
        None,
    )?;
    socket
        .with_socket(|s| s.bind(endpoint))
        .map_err(|e| format!("{name} cannot bind {endpoint}: {e} (is another valuz running?)"))?;
    let actual = socket.with_socket(|s| s.last_endpoint())?;
    desk.add_socket(name, &actual, "listening");
    Ok((socket, connectable(&actual)))
}

impl Valuation {
    /// Binds the PUSH (orders), the PULL (values) and the PUB (control),
    /// each watched by Diagnostics.
    pub fn bind(
        ctx: &zmq::Context,
        desk: &Arc<Desk>,
        orders_at: &str,
        values_at: &str,
        control_at: &str,
        workers: u64,
        program: WorkerCommand,
    ) -> Result<Arc<Valuation>, Failure> {
        let (orders, orders_endpoint) = bound(
            desk,
            ctx,
            SocketType::Push,
            "valuz orders",
            orders_at,
            Duration::ZERO,
        )?;
        let (values, values_endpoint) = bound(
            desk,
            ctx,
            SocketType::Pull,
            "valuz values",
            values_at,
            Duration::ZERO,
        )?;
        // batch.leave must get out even when the host is stopping.
        let (control, control_endpoint) = bound(
            desk,
            ctx,
            SocketType::Pub,
            "valuz control",
            control_at,
            Duration::from_millis(500),
        )?;
        desk.valuation(|v| {
            v.workers = workers;
            v.worker_program = program.name();
            v.worker_command = program.describe();
        });
        Ok(Arc::new(Valuation {
            desk: desk.clone(),
            orders: Arc::new(orders),
            values,
            control,
            workers,
            program,
            busy: AtomicBool::new(false),
            children: Mutex::new(Vec::new()),
            orders_endpoint,
            values_endpoint,
            control_endpoint,
        }))
    }

    /// Starts pricing `orders` (which should come to `expected`) on the
    /// workers; refused while a batch runs.
    pub fn start(self: &Arc<Self>, orders: Vec<Order>, expected: f64) -> Result<(), String> {
        if self
            .busy
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err("a batch is already running; wait for its result".to_owned());
        }
        let me = self.clone();
        tokio::spawn(async move {
            let outcome = me.run(orders, expected).await;
            me.dismiss_workers().await;
            if let Err(e) = outcome {
                let error = e.to_string();
                me.desk.valuation(|v| {
                    v.phase = "failed".to_owned();
                    v.error = Some(error);
                });
            }
            me.busy.store(false, Ordering::Release);
        });
        Ok(())
    }

    /// Tells every worker to leave (`batch.leave`) and reaps them: killed if
    /// they are still there after a grace period.
    pub async fn leave(&self) {
        self.dismiss_workers().await;
    }

    async fn dismiss_workers(&self) {
        if let Err(e) = self.control.send(proto::LEAVE).await {
            eprintln!("dealz valuation: cannot send {}: {e}", proto::LEAVE);
        }
        let children: Vec<Child> = std::mem::take(&mut *self.lock_children());
        let deadline = Instant::now() + LEAVE_GRACE;
        for mut child in children {
            if tokio::time::timeout_at(deadline, child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    fn lock_children(&self) -> std::sync::MutexGuard<'_, Vec<Child>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn spawn_workers(&self) -> Result<(), Failure> {
        let mut children = self.lock_children();
        for _ in 0..self.workers {
            let mut command = self.program.command(
                &self.orders_endpoint,
                &self.values_endpoint,
                &self.control_endpoint,
            );
            let child = command
                .spawn()
                .map_err(|e| format!("cannot start the worker {}: {e}", self.program.describe()))?;
            children.push(child);
        }
        Ok(())
    }

    /// A worker that exited before the batch was done, in words.
    fn exited_worker(&self) -> Option<String> {
        let mut children = self.lock_children();
        children
            .iter_mut()
            .find_map(|child| match child.try_wait() {
                Ok(Some(status)) => Some(format!(
                    "a worker ({}) exited early: {status}",
                    self.program.describe()
                )),
                _ => None,
            })
    }

    async fn run(&self, orders: Vec<Order>, expected: f64) -> Result<(), Failure> {
        let total = orders.len() as u64;
        let expected = proto::format_result(expected);
        // Values of an earlier, abandoned batch must not count in this one.
        while self.values.with_socket(|s| s.try_recv())?.is_some() {}
        self.desk.valuation(|v| {
            v.phase = "starting".to_owned();
            v.ready = 0;
            v.done = 0;
            v.total = total;
            v.elapsed_ms = 0;
            v.result = None;
            v.expected = Some(expected);
            v.bad_values = 0;
            v.error = None;
        });
        self.spawn_workers()?;

        // Each worker says it is ready with one empty frame.
        let deadline = Instant::now() + READY_LIMIT;
        let mut ready = 0;
        while ready < self.workers {
            if Instant::now() >= deadline {
                return Err(format!(
                    "only {ready} of {} worker(s) said they were ready in {} s",
                    self.workers,
                    READY_LIMIT.as_secs()
                )
                .into());
            }
            if let Some(why) = self.exited_worker() {
                return Err(why.into());
            }
            if let Ok(frame) = timeout(Duration::from_millis(200), self.values.recv()).await {
                if frame?.is_empty() {
                    ready += 1;
                    self.desk.valuation(|v| v.ready = ready);
                }
            }
        }
        tokio::time::sleep(SETTLE).await;
        self.control.send(proto::START).await?;
        let started = Instant::now();
        self.desk.valuation(|v| v.phase = "running".to_owned());

        let sender = tokio::spawn(push_orders(self.orders.clone(), orders));
        let outcome = self.reduce(total, started).await;
        sender.abort();
        let (sum, bad_values) = outcome?;
        let elapsed = started.elapsed();
        let workers = self.workers;
        self.desk.valuation(|v| {
            let result = proto::format_result(sum);
            v.phase = "done".to_owned();
            v.done = total;
            v.elapsed_ms = elapsed.as_millis() as u64;
            v.bad_values = bad_values;
            if v.history.len() == BATCH_RECORDS {
                v.history.pop_front();
            }
            v.history.push_back(BatchRecord {
                time: state::now(),
                orders: total,
                workers,
                elapsed_ms: v.elapsed_ms,
                matches: bad_values == 0 && v.expected.as_ref() == Some(&result),
                result: result.clone(),
            });
            v.result = Some(result);
        });
        eprintln!(
            "dealz valuation: {total} orders on {} worker(s) in {} ms: {}",
            self.workers,
            elapsed.as_millis(),
            proto::format_result(sum)
        );
        Ok(())
    }

    /// Sums one value per order, refreshing the panel's progress.
    async fn reduce(&self, total: u64, started: Instant) -> Result<(f64, u64), Failure> {
        let (mut sum, mut done, mut bad_values) = (Sum::default(), 0u64, 0u64);
        let mut last_value = Instant::now();
        let mut last_progress = Instant::now();
        while done < total {
            match timeout(PROGRESS_EVERY, self.values.recv()).await {
                Ok(frame) => {
                    let frame = frame?;
                    if frame.is_empty() {
                        continue; // a late "ready"
                    }
                    done += 1;
                    last_value = Instant::now();
                    match proto::parse_value(&frame) {
                        Some(value) => sum.add(value),
                        None => bad_values += 1,
                    }
                }
                Err(_) => {
                    if last_value.elapsed() >= IDLE_LIMIT {
                        return Err(format!(
                            "no value for {} s: {done} of {total} received",
                            IDLE_LIMIT.as_secs()
                        )
                        .into());
                    }
                    if let Some(why) = self.exited_worker() {
                        return Err(why.into());
                    }
                }
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                last_progress = Instant::now();
                let elapsed_ms = started.elapsed().as_millis() as u64;
                self.desk.valuation(|v| {
                    v.done = done;
                    v.elapsed_ms = elapsed_ms;
                });
            }
        }
        Ok((sum.value(), bad_values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pasted_lists_are_read_leniently_and_refused_clearly() {
        let orders = parse_orders("MSFT 1 41.78\n\n# a comment\naapl,SELL,95.35\n").unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[1].stock, "AAPL");
        assert_eq!(orders[1].action, Action::Sell);
        assert_eq!(proto::format_result(expected(&orders)), "-5357.000");
        assert!(parse_orders("MSFT 1").unwrap_err().contains("line 1"));
        assert!(parse_orders("MSFT 2 41.78").is_err());
        assert!(parse_orders("MSFT 1 4e1").is_err());
        assert!(parse_orders("MSFT 1 41.").is_err());
        assert!(parse_orders("").is_err());
    }

    #[test]
    fn random_orders_use_the_last_prices_in_cents() {
        let prices = vec![("MSFT".to_owned(), 41.776)];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let orders = random_orders(100, &prices, &mut rng);
        assert_eq!(orders.len(), 100);
        assert!(orders
            .iter()
            .all(|o| o.stock == "MSFT" && o.price == "41.78"));
        assert!(orders.iter().any(|o| o.action == Action::Buy));
        assert!(orders.iter().any(|o| o.action == Action::Sell));
    }

    #[test]
    fn wildcard_binds_are_reached_on_loopback() {
        assert_eq!(connectable("tcp://0.0.0.0:9004"), "tcp://127.0.0.1:9004");
        assert_eq!(connectable("tcp://127.0.0.1:5"), "tcp://127.0.0.1:5");
    }
}
