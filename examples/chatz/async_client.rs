//! The chatz client on the async layer (`chatz client --async`, feature
//! `tokio`): the same wire protocol, options and line-oriented behaviour as
//! the blocking client's `--plain` mode, written as one `select!` loop over
//! the REQ's reply, the feed, the feed's monitor, stdin and a timer.
//!
//! Every branch that loses a round of the `select!` drops its future; that
//! is safe because the layer's receives are cancel safe (nothing is taken
//! from libzmq unless it is returned).

use super::client::{Curve, Posts, ECHO_TIMEOUT, FEED_WAIT, KEEP_ALIVE, REPLY_TIMEOUT};
use super::proto;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use zmq::monitor::{EventKind, MonitorEvents};
use zmq::tokio::{AsyncMonitor, AsyncSocket};
use zmq::SocketType;

/// A line for the user: posts go to stdout, everything else to stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `HANDLE: MESSAGE`, a post from the feed.
    Out(String),
    /// A status line (`chatz: ...`).
    Err(String),
}

/// How the client ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Input ended and every post was answered (and came back on the feed).
    Delivered,
    /// Input ended, and some posts could not be delivered in time.
    Undelivered,
}

/// How long a client whose input ended waits for its posts to be taken.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);
/// How long it then waits for their broadcasts to come back.
const ECHO_GRACE: Duration = Duration::from_millis(500);

fn request_socket(
    ctx: &zmq::Context,
    server: &str,
    curve: Option<&Curve>,
) -> zmq::Result<AsyncSocket> {
    let req = ctx.socket(SocketType::Req)?;
    // An unanswered request must not keep a closing socket alive.
    req.set(zmq::opt::Linger, Duration::ZERO)?;
    if let Some((server_key, own)) = curve {
        req.curve_client(server_key, own)?;
    }
    req.connect(server)?;
    AsyncSocket::new(req)
}

/// Runs the client until `input` ends and its posts are out: each line of
/// `input` is a post, and what the user should see goes to `show`.
pub async fn run(
    ctx: &zmq::Context,
    handle: &str,
    server: &str,
    feed: &str,
    curve: Option<Curve>,
    mut input: mpsc::Receiver<String>,
    mut show: impl FnMut(Line),
) -> zmq::Result<Ending> {
    let sub = ctx.socket(SocketType::Sub)?;
    sub.set(zmq::opt::Linger, Duration::ZERO)?;
    if let Some((server_key, own)) = &curve {
        sub.curve_client(server_key, own)?;
    }
    sub.subscribe("")?;
    let sub = AsyncSocket::new(sub)?;
    // Posts wait for the feed's handshake (for at most FEED_WAIT): published
    // before our SUB is connected, a post would be lost for us.
    let mut feed_monitor: AsyncMonitor =
        sub.monitor(MonitorEvents::HANDSHAKE_SUCCEEDED | MonitorEvents::DISCONNECTED)?;
    sub.with_socket(|s| s.connect(feed))?;
    let mut req = request_socket(ctx, server, curve.as_ref())?;
    let gone = if curve.is_some() {
        "chatz: the server is not answering (or refuses our CURVE key); retrying"
    } else {
        "chatz: the server is not answering; retrying"
    };

    let mut posts = Posts::default();
    // When the request in flight was sent (its post, if any, is in `posts`).
    let mut in_flight: Option<Instant> = None;
    let mut last_request: Option<Instant> = None;
    let mut online: Option<bool> = None;
    let mut users: Vec<String> = Vec::new();
    let mut feed_up = false;
    let mut feed_down_since: Option<Instant> = None;
    let mut input_ended: Option<Instant> = None;
    let mut drained: Option<Instant> = None;

    loop {
        let now = Instant::now();
        if in_flight.is_none() {
            let keep_alive_due = last_request.is_none_or(|t| now - t >= KEEP_ALIVE);
            let feed_ready = feed_up || {
                let since = *feed_down_since.get_or_insert(now);
                now - since >= FEED_WAIT
            };
            let post = if online == Some(true) && feed_ready {
                posts.next()
            } else {
                None
            };
            let body = match &post {
                Some(message) => Some(proto::post(handle, message)),
                None if keep_alive_due => Some(proto::keep_alive(handle)),
                None => None,
            };
            let carries_post = post.is_some();
            if let Some(body) = body {
                // As the blocking client: never wait to send (a REQ whose
                // server refused the handshake has no pipe); an unsent
                // request is handled like an unanswered one.
                let _unsent = req.with_socket(|s| s.try_send(body))?;
                posts.sent(carries_post);
                in_flight = Some(now);
                last_request = Some(now);
            }
        }

        let wake_at = match &in_flight {
            Some(sent) => *sent + REPLY_TIMEOUT,
            None => now + KEEP_ALIVE,
        }
        .min(now + Duration::from_millis(50));
        tokio::select! {
            reply = req.recv_multipart(), if in_flight.is_some() => {
                let frames = reply?;
                in_flight = None;
                posts.answered(Instant::now().into_std());
                if online != Some(true) {
                    show(Line::Err(match online {
                        Some(false) => "chatz: the server is back".into(),
                        _ => "chatz: connected".into(),
                    }));
                    online = Some(true);
                }
                let now_here = proto::parse_reply(&frames);
                if now_here != users {
                    show(Line::Err(format!("chatz: here now: {}", now_here.join(", "))));
                    users = now_here;
                }
            }
            broadcast = sub.recv_multipart() => {
                let frames = broadcast?;
                if let Some((from, message)) = frames.first().and_then(|f| proto::parse_broadcast(f)) {
                    if from == handle {
                        posts.came_back(message);
                    }
                    show(Line::Out(format!("{from}: {message}")));
                }
            }
            event = feed_monitor.next_event() => match event?.kind {
                EventKind::HandshakeSucceeded => {
                    feed_up = true;
                    feed_down_since = None;
                }
                EventKind::Disconnected { .. } => feed_up = false,
                _ => {}
            },
            line = input.recv(), if input_ended.is_none() => match line {
                Some(line) if !line.is_empty() => posts.queue(line),
                Some(_) => {}
                None => input_ended = Some(Instant::now()),
            },
            _ = tokio::time::sleep_until(wake_at) => {}
        }

        let now = Instant::now();
        if let Some(sent) = in_flight {
            if now - sent >= REPLY_TIMEOUT {
                // Lazy pirate: this REQ is stuck waiting for a reply; replace it.
                posts.unanswered();
                in_flight = None;
                req = request_socket(ctx, server, curve.as_ref())?;
                if online != Some(false) {
                    online = Some(false);
                    show(Line::Err(gone.into()));
                }
                last_request = None;
            }
        }
        for post in posts.unconfirmed(now.into_std(), ECHO_TIMEOUT) {
            show(Line::Err(format!(
                "chatz: the server took your post {post:?} but it did not come back on \
                 the feed: others may not have seen it"
            )));
        }
        if let Some(ended) = input_ended {
            let pending = posts.pending();
            if pending == 0 {
                if now - *drained.get_or_insert(now) >= ECHO_GRACE {
                    return Ok(Ending::Delivered);
                }
            } else if now - ended >= DRAIN_LIMIT {
                show(Line::Err(format!(
                    "chatz: giving up on {pending} unsent post(s):"
                )));
                for post in posts.pending_posts() {
                    show(Line::Err(format!("chatz: not delivered: {post:?}")));
                }
                return Ok(Ending::Undelivered);
            }
        }
    }
}

/// `chatz client --async`: the client on a tokio runtime, stdin lines as
/// posts, posts on stdout, status on stderr.
pub fn main(
    handle: &str,
    server: &str,
    feed: &str,
    curve: Option<Curve>,
) -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    use std::io::{BufRead, Write};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (lines_tx, lines) = mpsc::channel(64);
    // Reading stdin blocks: a thread of its own, which ends the channel at EOF.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    let ctx = zmq::Context::new();
    let ending = runtime.block_on(run(
        &ctx,
        handle,
        server,
        feed,
        curve,
        lines,
        |line| match line {
            Line::Out(text) => {
                // A closed pipe (`| head`) is not an error for a Unix tool.
                let _ = writeln!(std::io::stdout(), "{text}");
            }
            Line::Err(text) => eprintln!("{text}"),
        },
    ))?;
    Ok(match ending {
        Ending::Delivered => std::process::ExitCode::SUCCESS,
        Ending::Undelivered => std::process::ExitCode::FAILURE,
    })
}
