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
//! Host → browser: `snapshot` (the whole state, first), then `tick`,
//! `ticker`, `chat`, `chat_status`, `valuation`, `diag` as things change
//! (see `state::Update`), and `error` to the one browser whose request was
//! refused. Bad input never ends the connection nor the host.

use super::chat;
use super::state::{Desk, Update};
use super::ticker::Follow;
use super::tickz::proto as tickz_proto;
use super::valuation::{self, Valuation};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

const INDEX_HTML: &str = include_str!("assets/index.html");
const STYLE_CSS: &str = include_str!("assets/style.css");
const APP_JS: &str = include_str!("assets/app.js");

/// The largest message a browser may send (a pasted list of orders).
const MAX_REQUEST_BYTES: usize = 32 << 20;

/// What the handlers share.
#[derive(Clone)]
pub struct App {
    pub desk: Arc<Desk>,
    pub follow: mpsc::Sender<Follow>,
    pub post: mpsc::Sender<String>,
    pub valuation: Arc<Valuation>,
    /// Becomes true when the host stops: every WebSocket is closed.
    pub shutdown: watch::Receiver<bool>,
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

/// Serves the page and the WebSocket until the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
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
    axum::serve(listener, router).await
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

async fn upgrade(ws: WebSocketUpgrade, State(app): State<App>) -> Response {
    ws.max_message_size(MAX_REQUEST_BYTES)
        .on_upgrade(move |socket| async move {
            session(socket, &app).await;
            // The session's receiver is gone by now: the browser count is right.
            app.desk.end_session();
        })
}

fn text(json: &str) -> Message {
    Message::Text(json.into())
}

/// One browser: the snapshot, then every change, and its requests.
async fn session(mut socket: WebSocket, app: &App) {
    let (snapshot, mut updates) = app.desk.subscribe();
    if socket.send(text(&snapshot)).await.is_err() {
        return;
    }
    let mut shutdown = app.shutdown.clone();
    loop {
        tokio::select! {
            update = updates.recv() => {
                let json = match update {
                    Ok(json) => json,
                    // Too slow to keep up: start it over from the current state.
                    Err(RecvError::Lagged(_)) => {
                        let (snapshot, fresh) = app.desk.subscribe();
                        updates = fresh;
                        snapshot
                    }
                    Err(RecvError::Closed) => return,
                };
                if socket.send(text(&json)).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => {
                let refusal = match incoming {
                    Some(Ok(Message::Text(request))) => app.handle(request.as_str()).await.err(),
                    Some(Ok(Message::Binary(_))) => {
                        Some("binary messages are not understood: send JSON text".to_owned())
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => None, // ping and pong are answered by axum
                };
                if let Some(message) = refusal {
                    let json = Update::Error { message: &message }.to_json();
                    if socket.send(text(&json)).await.is_err() {
                        return;
                    }
                }
            }
            // (The watch's guard must not live across the close below.)
            _ = async { shutdown.wait_for(|stopping| *stopping).await.is_ok() } => {
                let close = CloseFrame {
                    code: 1001, // going away
                    reason: "dealz is shutting down".into(),
                };
                let _ = socket.send(Message::Close(Some(close))).await;
                return;
            }
        }
    }
}

/// A symbol as the user typed it, checked: `msft ` → `MSFT`.
fn symbol(typed: &str) -> Result<String, String> {
    let symbol = typed.trim().to_ascii_uppercase();
    tickz_proto::check_symbol(&symbol)?;
    Ok(symbol)
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
                if self.desk.follow(&symbol) {
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
                    return Err(format!("{symbol} is not followed"));
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
