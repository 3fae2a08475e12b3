//! The web host: the page (embedded in the binary) and one WebSocket per
//! browser.
//!
//! The page's protocol is JSON text, one object per message, `type` first.
//!
//! Browser → host:
//! - `{"type":"follow","symbol":"MSFT"}`, `{"type":"forget","symbol":"MSFT"}`
//! - `{"type":"post","text":"hello"}`
//! - `{"type":"run","orders":10000}` (random orders over the followed
//!   symbols at their last prices) or `{"type":"run","list":"MSFT 1 41.78\n..."}`
//!
//! Host → browser: `snapshot` (the whole state, first, and again after the
//! browser fell too far behind), then `tick`, `followed`, `forgot`,
//! `ticker_link`, `chat`, `chat_status`, `valuation`, `diag` as things
//! change (see `state::Update`), and `error` to the one browser whose
//! request was refused. A bad request never ends the connection nor the
//! host; a message over [`MAX_REQUEST_BYTES`] or a broken frame does end
//! that connection, with a close frame saying why.
//!
//! Every limit below is in `docs/PROTOCOLS.md` too.

use super::chat;
use super::state::{self, Browser, Desk, DiagEvent, Update};
use super::ticker::Follow;
use super::tickz::proto as tickz_proto;
use super::valuation::{self, Valuation};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite;

const INDEX_HTML: &str = include_str!("assets/index.html");
const STYLE_CSS: &str = include_str!("assets/style.css");
const APP_JS: &str = include_str!("assets/app.js");

/// The largest message a browser may send (a pasted list of orders: about
/// 65,000 lines), whether in one frame or in fragments. A larger one ends
/// the connection with close code 1009 (message too big).
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// How long a browser has to send its request headers (the page's files
/// and the WebSocket upgrade alike); an idle keep-alive connection is
/// closed after as long.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head (request line and headers) taken.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How many HTTP connections are served at once before their upgrade (or
/// their end); more are closed as soon as they are accepted.
pub const MAX_HTTP_CONNECTIONS: usize = 1024;
/// How many browsers may be open at once; an upgrade past it gets 503.
pub const MAX_BROWSERS: usize = 1000;
/// The listen backlog: a burst of connections as large as the browsers
/// the host serves waits to be accepted (the kernel may cap it:
/// `net.core.somaxconn`).
pub const BACKLOG: u32 = 1024;
/// The kernel send buffer asked for each browser's connection (Linux
/// doubles it for its bookkeeping): at 100 ms of round trip it still
/// carries 640 KB/s, a hundred times a busy ticker.
pub const SEND_BUFFER_BYTES: u32 = 64 * 1024;
/// The longest error text sent to a page, in characters.
const MAX_ERROR_CHARS: usize = 300;
/// How long the host waits to hand a close frame to a browser that is
/// being dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How the host keeps its browsers alive, or lets them go.
#[derive(Debug, Clone, Copy)]
pub struct Keepalive {
    /// How often the host pings each browser.
    pub ping: Duration,
    /// A browser that has sent nothing, not even a pong, for this long is
    /// closed (1008); so is one that has not taken a message in this long
    /// (a write that does not finish).
    pub timeout: Duration,
}

/// What the handlers share.
#[derive(Clone)]
pub struct App {
    pub desk: Arc<Desk>,
    pub follow: mpsc::Sender<Follow>,
    pub post: mpsc::Sender<String>,
    pub valuation: Arc<Valuation>,
    /// Becomes true when the host stops: every WebSocket is closed.
    pub shutdown: watch::Receiver<bool>,
    pub keepalive: Keepalive,
}

/// A browser's request.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Request {
    Follow {
        symbol: String,
    },
    Forget {
        symbol: String,
    },
    Post {
        text: String,
    },
    Run {
        #[serde(default)]
        orders: Option<u64>,
        #[serde(default)]
        list: Option<String>,
    },
}

/// Raises the process's soft limit of open descriptors to its hard limit
/// (Unix): [`MAX_BROWSERS`] browsers and [`MAX_HTTP_CONNECTIONS`] requests
/// need more than the usual soft limit of 1,024.
pub fn raise_descriptor_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit read and write the struct we pass.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}

/// Binds the page's address with a backlog of [`BACKLOG`].
pub fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    // Accepted connections inherit it (Linux): what waits for a slow browser
    // waits in its send queue, where ticks coalesce, rather than in a
    // kernel buffer that autotuning grows to megabytes.
    socket.set_send_buffer_size(SEND_BUFFER_BYTES)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// The name of the web host's own line in the Diagnostics panel.
pub const DIAG_NAME: &str = "browsers";

/// Serves the page and the WebSocket until the listener fails.
pub async fn serve(listener: TcpListener, app: App) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    app.desk
        .add_socket(DIAG_NAME, &format!("http://{address}/ws"), "listening");
    let router = Router::new()
        .route("/", get(|| asset("text/html; charset=utf-8", INDEX_HTML)))
        .route(
            "/style.css",
            get(|| asset("text/css; charset=utf-8", STYLE_CSS)),
        )
        .route(
            "/app.js",
            get(|| asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route("/ws", get(upgrade))
        .with_state(app);
    let connections = Arc::new(Semaphore::new(MAX_HTTP_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors (or a connection reset before it was
                // taken): wait a moment rather than spin.
                eprintln!("dealz: accepting a browser: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            continue; // over capacity: closed at once (dropped)
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone().layer(Extension(peer)));
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEADER_BYTES);
            // A timeout or a malformed request ends the connection; the
            // browser, if it was one, retries.
            let _ = http
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<App>,
    Extension(peer): Extension<SocketAddr>,
) -> Response {
    if app.desk.browsers() >= MAX_BROWSERS {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("dealz serves at most {MAX_BROWSERS} browsers at once"),
        )
            .into_response();
    }
    ws.max_message_size(MAX_REQUEST_BYTES)
        .max_frame_size(MAX_REQUEST_BYTES)
        // Small buffers: a browser's messages are small, and an idle one
        // should cost little. A write never holds more than one message.
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            session(socket, &app, peer).await;
        })
}

fn text(json: &str) -> Message {
    Message::Text(json.into())
}

/// Why a session ended.
enum End {
    /// The browser closed, or its connection is gone: nothing to say.
    Gone,
    /// The host is stopping.
    Shutdown,
    /// No message, not even a pong, within the keepalive timeout.
    Silent(Duration),
    /// A message could not be handed over within the keepalive timeout.
    NotReading(Duration),
    /// A message over [`MAX_REQUEST_BYTES`].
    TooBig,
    /// A frame that breaks the WebSocket protocol, or text that is not UTF-8.
    Broken { code: u16, why: String },
}

impl End {
    /// The close frame to send, and what the Diagnostics panel says (its
    /// event kind and detail), if anything.
    fn close(&self) -> Option<(u16, String, Option<&'static str>)> {
        match self {
            End::Gone => None,
            End::Shutdown => Some((1001, "dealz is shutting down".to_owned(), None)),
            End::Silent(limit) => Some((
                1008,
                format!("no answer to pings for {} s", limit.as_secs_f64()),
                Some("Evicted"),
            )),
            End::NotReading(limit) => Some((
                1008,
                format!(
                    "not reading: a message waited over {} s",
                    limit.as_secs_f64()
                ),
                Some("Evicted"),
            )),
            End::TooBig => Some((
                1009,
                format!("a message is at most {} KiB", MAX_REQUEST_BYTES / 1024),
                Some("TooBig"),
            )),
            End::Broken { code, why } => Some((*code, why.clone(), Some("ProtocolError"))),
        }
    }
}

/// Classifies a receive error: a message too big, a broken frame, or a
/// connection gone.
fn receive_error(e: axum::Error) -> End {
    let Ok(e) = e.into_inner().downcast::<tungstenite::Error>() else {
        return End::Gone;
    };
    match *e {
        tungstenite::Error::Capacity(_) => End::TooBig,
        tungstenite::Error::Utf8(_) => End::Broken {
            code: 1007,
            why: "text that is not UTF-8".to_owned(),
        },
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => End::Gone,
        tungstenite::Error::Protocol(why) => End::Broken {
            code: 1002,
            why: clip(&why.to_string(), 100),
        },
        _ => End::Gone,
    }
}

/// Sends `message` unless it takes longer than `limit`.
async fn send_within(socket: &mut WebSocket, message: Message, limit: Duration) -> Result<(), End> {
    match timeout(limit, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(End::NotReading(limit)),
    }
}

/// Hands the heap's free pages back to the system once the last browser
/// has gone, so that the host's memory comes back near its start after a
/// crowd (glibc keeps freed memory in its per-thread arenas otherwise).
fn give_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim(3) only releases free memory of the allocator's
    // own arenas; it touches nothing the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// At most `chars` characters of `text`, with an ellipsis if cut.
fn clip(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// One browser: the snapshot, then every change, and its requests.
async fn session(mut socket: WebSocket, app: &App, peer: SocketAddr) {
    let (snapshot, browser) = app.desk.subscribe();
    let end = run_session(&mut socket, app, &snapshot, &browser).await;
    drop(browser); // no more changes queued for it
    if app.desk.browsers() == 0 {
        give_memory_back();
    }
    let Some((code, reason, event)) = end.close() else {
        return;
    };
    if let Some(event) = event {
        eprintln!("dealz: browser {peer}: {event}: {reason}");
        app.desk.diag(
            DIAG_NAME,
            DiagEvent {
                time: state::now(),
                socket: DIAG_NAME.to_owned(),
                event: event.to_owned(),
                endpoint: peer.to_string(),
                detail: format!("closed ({code}): {reason}"),
            },
            None,
        );
    }
    let close = CloseFrame {
        code,
        reason: reason.into(),
    };
    // A browser that does not read may not take this either: it is
    // dropped after a moment regardless.
    let _ = timeout(CLOSE_GRACE, socket.send(Message::Close(Some(close)))).await;
}

async fn run_session(socket: &mut WebSocket, app: &App, snapshot: &str, browser: &Browser) -> End {
    let Keepalive {
        ping,
        timeout: limit,
    } = app.keepalive;
    if let Err(end) = send_within(socket, text(snapshot), limit).await {
        return end;
    }
    let mut shutdown = app.shutdown.clone();
    let mut pings = tokio::time::interval_at(Instant::now() + ping, ping);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            json = browser.next_json() => {
                if let Err(end) = send_within(socket, text(&json), limit).await {
                    return end;
                }
            }
            incoming = socket.recv() => {
                heard = Instant::now();
                let refusal = match incoming {
                    Some(Ok(Message::Text(request))) => app.handle(request.as_str()).await.err(),
                    Some(Ok(Message::Binary(_))) => {
                        Some("binary messages are not understood: send JSON text".to_owned())
                    }
                    Some(Ok(Message::Close(_))) | None => return End::Gone,
                    Some(Err(e)) => return receive_error(e),
                    Some(Ok(_)) => None, // a pong, or a ping (axum answers it)
                };
                if let Some(message) = refusal {
                    let message = clip(&message, MAX_ERROR_CHARS);
                    let json = Update::Error { message: &message }.to_json();
                    if let Err(end) = send_within(socket, text(&json), limit).await {
                        return end;
                    }
                }
            }
            _ = pings.tick() => {
                if heard.elapsed() >= limit {
                    return End::Silent(limit);
                }
                if let Err(end) = send_within(socket, Message::Ping(Default::default()), limit).await {
                    return end;
                }
            }
            // (The watch's guard must not live across the close.)
            _ = async { shutdown.wait_for(|stopping| *stopping).await.is_ok() } => {
                return End::Shutdown;
            }
        }
    }
}

/// A symbol as the user typed it, checked by tickz's own rule: `msft ` →
/// `MSFT`.
fn symbol(typed: &str) -> Result<String, String> {
    tickz_proto::parse_symbol(typed)
}

impl App {
    /// Carries out one request, or says why not (to that browser only).
    async fn handle(&self, request: &str) -> Result<(), String> {
        let request: Request = serde_json::from_str(request)
            .map_err(|e| format!("not a request this desk understands: {e}"))?;
        match request {
            Request::Follow { symbol: typed } => {
                let symbol = symbol(&typed)?;
                // Following twice (two browsers, a reload with ?follow=) is fine.
                if self.desk.follow(&symbol)? {
                    self.follow
                        .send(Follow::Add(symbol))
                        .await
                        .map_err(|_| "the ticker has stopped".to_owned())?;
                }
                Ok(())
            }
            Request::Forget { symbol: typed } => {
                let symbol = symbol(&typed)?;
                if !self.desk.forget(&symbol) {
                    return Err(format!("{symbol} is not followed by this desk"));
                }
                self.follow
                    .send(Follow::Remove(symbol))
                    .await
                    .map_err(|_| "the ticker has stopped".to_owned())
            }
            Request::Post { text } => {
                let text = chat::check_post(&text)?;
                self.post
                    .send(text)
                    .await
                    .map_err(|_| "the chat has stopped".to_owned())
            }
            Request::Run { orders, list } => {
                let prices = self.desk.last_prices();
                // A million orders take a while to make and check: not on
                // the threads that serve the sockets.
                let compose = move || {
                    match (orders, list) {
                    (Some(count), None) => {
                        if !(1..=valuation::MAX_ORDERS).contains(&count) {
                            return Err(format!(
                                "a batch has 1 to {} orders, not {count}",
                                valuation::MAX_ORDERS
                            ));
                        }
                        if prices.is_empty() {
                            return Err("follow a symbol and wait for its price first (or paste a list of orders)".to_owned());
                        }
                        Ok(valuation::random_orders(count, &prices, &mut rand::rng()))
                    }
                    (None, Some(list)) => valuation::parse_orders(&list),
                    _ => Err(
                        "a run takes either \"orders\" (a count) or \"list\" (pasted orders)"
                            .to_owned(),
                    ),
                }
                .map(|orders| {
                    let expected = valuation::expected(&orders);
                    (orders, expected)
                })
                };
                let (orders, expected) = tokio::task::spawn_blocking(compose)
                    .await
                    .map_err(|e| format!("composing the batch failed: {e}"))??;
                self.valuation.start(orders, expected)
            }
        }
    }
}

/// Waits until every browser's session has ended, or `limit` has passed.
pub async fn wait_closed(desk: &Desk, limit: Duration) {
    desk.all_sessions_ended(tokio::time::Instant::now() + limit)
        .await;
}
