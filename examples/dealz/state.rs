//! The desk's shared state: one copy in the host, behind a lock, and every
//! change pushed into the send queue of every open browser (`outbox.rs`).
//!
//! A change is applied and queued under the same lock that a new browser
//! takes to read the snapshot and register its queue, so a browser never
//! misses a change nor sees one twice, and one that reconnects gets the
//! current state.
//!
//! Follows belong to the desk, not to a page: the desk is one trader's
//! (one chat handle, one valuation), and every page open on it is a view of
//! it. A follow or a forget from any page shows on every page, and a
//! follow outlives the page that made it. The desk follows at most
//! [`MAX_FOLLOWED`] symbols.

use super::outbox::{Next, Outbox};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Price points kept per symbol for its chart.
pub const HISTORY: usize = 240;
/// Chat lines kept for browsers that join later.
pub const CHAT_LINES: usize = 200;
/// Monitor events kept for browsers that join later.
pub const DIAG_EVENTS: usize = 300;
/// The most symbols the desk follows at once: tickz's own limit for one
/// client.
pub const MAX_FOLLOWED: usize = super::tickz::proto::MAX_FOLLOWED;

/// Seconds since the Unix epoch, now.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One followed symbol.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// The last price, once a tick came.
    pub price: Option<f64>,
    /// The price before it (green when the last move was up, red when down).
    pub previous: Option<f64>,
    /// The first price seen since it was followed (the change is against it).
    pub first: Option<f64>,
    /// `(time, price)` points for the chart, oldest first.
    pub history: VecDeque<(f64, f64)>,
}

/// The Ticker panel.
#[derive(Debug, Clone, Serialize)]
pub struct Ticker {
    pub endpoint: String,
    /// Whether the tickz server is connected (from the socket monitor).
    pub connected: bool,
    pub symbols: BTreeMap<String, Quote>,
}

/// One post of the conversation.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLine {
    pub time: f64,
    pub handle: String,
    pub text: String,
}

/// The Chat panel.
#[derive(Debug, Clone, Serialize)]
pub struct Chat {
    pub endpoint: String,
    /// Whether the chatz server answers our requests.
    pub connected: bool,
    /// The live handles of its last reply, sorted.
    pub users: Vec<String>,
    pub lines: VecDeque<ChatLine>,
}

/// A finished batch, for the panel's list of recent runs.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRecord {
    pub time: f64,
    pub orders: u64,
    pub workers: u64,
    pub elapsed_ms: u64,
    pub result: String,
    /// Whether the result is the one the host expected.
    pub matches: bool,
}

/// Finished batches the panel lists.
pub const BATCH_RECORDS: usize = 5;

/// The Valuation panel.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Valuation {
    /// `idle`, `starting` (spawning workers), `running`, `done` or `failed`.
    pub phase: String,
    pub workers: u64,
    /// Workers that said they are ready.
    pub ready: u64,
    pub done: u64,
    pub total: u64,
    pub elapsed_ms: u64,
    /// The sum, formatted like valuz (`{:+.3f}`), once done.
    pub result: Option<String>,
    /// What the orders should come to, computed by the host, same format.
    pub expected: Option<String>,
    /// Values that were not numbers.
    pub bad_values: u64,
    /// Why the last batch failed.
    pub error: Option<String>,
    /// What a batch runs on, in short (for the panel).
    pub worker_program: String,
    /// The same in full, paths included (the panel's tooltip).
    pub worker_command: String,
    /// The last few finished batches, newest last.
    pub history: VecDeque<BatchRecord>,
}

/// One socket's line in the Diagnostics panel.
#[derive(Debug, Clone, Serialize)]
pub struct SocketStatus {
    pub name: String,
    pub endpoint: String,
    /// `up`, `down`, `connecting` or `listening`.
    pub state: String,
    /// Events seen, by kind.
    pub counts: BTreeMap<String, u64>,
}

/// One monitor event.
#[derive(Debug, Clone, Serialize)]
pub struct DiagEvent {
    pub time: f64,
    pub socket: String,
    /// The kind, e.g. `Connected`, `Disconnected`, `ConnectRetried`.
    pub event: String,
    pub endpoint: String,
    /// The event's value in words (fd, errno, retry interval, reason).
    pub detail: String,
}

/// The Diagnostics panel.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    pub sockets: BTreeMap<String, SocketStatus>,
    pub events: VecDeque<DiagEvent>,
}

/// Everything a browser shows.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub handle: String,
    pub ticker: Ticker,
    pub chat: Chat,
    pub valuation: Valuation,
    pub diagnostics: Diagnostics,
}

/// What the host pushes to browsers (JSON, `type` says which).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update<'a> {
    /// The whole state: first message of every connection.
    Snapshot(&'a Snapshot),
    /// A price of a followed symbol.
    Tick {
        symbol: &'a str,
        time: f64,
        price: f64,
    },
    /// A symbol is followed now: its state alone (every page shows it).
    Followed { symbol: &'a str, quote: &'a Quote },
    /// A symbol is no longer followed (by any page).
    Forgot { symbol: &'a str },
    /// The link to the tickz server went up or down.
    TickerLink { connected: bool },
    /// A post on the chatz feed.
    Chat(&'a ChatLine),
    /// The live users, or the link to the chatz server, changed.
    ChatStatus {
        connected: bool,
        users: &'a [String],
    },
    /// The Valuation panel.
    Valuation(&'a Valuation),
    /// A socket monitor event, and that socket's line after it.
    Diag {
        event: &'a DiagEvent,
        socket: &'a SocketStatus,
    },
    /// A request of this browser was refused (sent to it alone).
    Error { message: &'a str },
}

impl Update<'_> {
    /// The JSON text sent over the WebSocket.
    pub fn to_json(&self) -> Arc<str> {
        // Serializing plain structs of strings and numbers cannot fail; a
        // NaN would become `null`, never an error.
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"type":"error","message":"internal: {e}"}}"#))
            .into()
    }
}

/// The shared state and the browsers' send queues.
pub struct Desk {
    state: Mutex<Shared>,
    /// Woken whenever a browser's session ends.
    session_ended: Notify,
}

/// What the desk's lock guards.
struct Shared {
    snapshot: Snapshot,
    /// The send queue of each open browser, by session number.
    browsers: HashMap<u64, Arc<Outbox>>,
    next_browser: u64,
}

/// A browser's registration with the desk: its send queue, and its end.
/// Dropping it unregisters the browser.
pub struct Browser {
    desk: Arc<Desk>,
    id: u64,
    pub outbox: Arc<Outbox>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.desk.lock().browsers.remove(&self.id);
        self.desk.session_ended.notify_waiters();
    }
}

impl Browser {
    /// What to send next: a change, a tick, or (after an overflow) the whole
    /// state again. Cancel safe.
    pub async fn next_json(&self) -> Arc<str> {
        match self.outbox.next().await {
            Next::Change(json) => json,
            Next::Tick(json) => json,
            Next::Resync => {
                // Under the desk's lock, so that the snapshot and the queue
                // agree: what is queued after it is newer than it.
                let shared = self.desk.lock();
                self.outbox.clear();
                Update::Snapshot(&shared.snapshot).to_json()
            }
        }
    }
}

impl Desk {
    /// An empty desk for `handle`, linked to the given servers.
    pub fn new(handle: &str, tickz: &str, chatz: &str) -> Desk {
        let snapshot = Snapshot {
            handle: handle.to_owned(),
            ticker: Ticker {
                endpoint: tickz.to_owned(),
                connected: false,
                symbols: BTreeMap::new(),
            },
            chat: Chat {
                endpoint: chatz.to_owned(),
                connected: false,
                users: Vec::new(),
                lines: VecDeque::new(),
            },
            valuation: Valuation {
                phase: "idle".to_owned(),
                ..Valuation::default()
            },
            diagnostics: Diagnostics {
                sockets: BTreeMap::new(),
                events: VecDeque::new(),
            },
        };
        Desk {
            state: Mutex::new(Shared {
                snapshot,
                browsers: HashMap::new(),
                next_browser: 0,
            }),
            session_ended: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic elsewhere while holding the lock leaves plain data behind;
        // the desk goes on showing it rather than failing every browser.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state as JSON, and a new browser's registration: its
    /// queue gets every change after that state.
    pub fn subscribe(self: &Arc<Self>) -> (Arc<str>, Browser) {
        let mut shared = self.lock();
        let snapshot = Update::Snapshot(&shared.snapshot).to_json();
        let id = shared.next_browser;
        shared.next_browser += 1;
        let outbox = Arc::new(Outbox::new());
        shared.browsers.insert(id, outbox.clone());
        let browser = Browser {
            desk: self.clone(),
            id,
            outbox,
        };
        (snapshot, browser)
    }

    /// How many browsers are open.
    pub fn browsers(&self) -> usize {
        self.lock().browsers.len()
    }

    /// Waits until no browser is open, or `deadline`.
    pub async fn all_sessions_ended(&self, deadline: tokio::time::Instant) {
        loop {
            // Made before the check, so an end between the two is not missed.
            let ended = self.session_ended.notified();
            if self.browsers() == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return;
            }
        }
    }

    /// The last price of each followed symbol that has one.
    pub fn last_prices(&self) -> Vec<(String, f64)> {
        self.lock()
            .snapshot
            .ticker
            .symbols
            .iter()
            .filter_map(|(s, q)| q.price.map(|p| (s.clone(), p)))
            .collect()
    }

    /// Follows `symbol`: `Ok(false)` if it already was, an error if the
    /// desk follows [`MAX_FOLLOWED`] symbols already. Every browser gets
    /// the new symbol's state alone.
    pub fn follow(&self, symbol: &str) -> Result<bool, String> {
        let mut shared = self.lock();
        let Shared {
            snapshot, browsers, ..
        } = &mut *shared;
        let symbols = &mut snapshot.ticker.symbols;
        if symbols.contains_key(symbol) {
            return Ok(false);
        }
        if symbols.len() >= MAX_FOLLOWED {
            return Err(format!(
                "the desk follows {MAX_FOLLOWED} symbols already, the most it follows: forget one first"
            ));
        }
        let quote = symbols.entry(symbol.to_owned()).or_insert(Quote {
            price: None,
            previous: None,
            first: None,
            history: VecDeque::new(),
        });
        publish(browsers, &Update::Followed { symbol, quote });
        Ok(true)
    }

    /// Forgets `symbol`; false if it was not followed.
    pub fn forget(&self, symbol: &str) -> bool {
        let mut shared = self.lock();
        let Shared {
            snapshot, browsers, ..
        } = &mut *shared;
        if snapshot.ticker.symbols.remove(symbol).is_none() {
            return false;
        }
        for outbox in browsers.values() {
            outbox.forget(symbol);
        }
        publish(browsers, &Update::Forgot { symbol });
        true
    }

    /// A tick arrived; ignored unless `symbol` is followed. Each browser's
    /// queue keeps only the latest tick of a symbol (see `outbox.rs`).
    pub fn tick(&self, symbol: &str, time: f64, price: f64) {
        let mut shared = self.lock();
        let Shared {
            snapshot, browsers, ..
        } = &mut *shared;
        let Some(quote) = snapshot.ticker.symbols.get_mut(symbol) else {
            return;
        };
        quote.previous = quote.price;
        quote.price = Some(price);
        quote.first.get_or_insert(price);
        if quote.history.len() == HISTORY {
            quote.history.pop_front();
        }
        quote.history.push_back((time, price));
        if browsers.is_empty() {
            return;
        }
        let json = Update::Tick {
            symbol,
            time,
            price,
        }
        .to_json();
        let symbol: Arc<str> = symbol.into();
        for outbox in browsers.values() {
            outbox.push_tick(&symbol, &json);
        }
    }

    /// The tickz server is reachable or not.
    pub fn ticker_link(&self, connected: bool) {
        let mut shared = self.lock();
        if shared.snapshot.ticker.connected != connected {
            shared.snapshot.ticker.connected = connected;
            publish(&shared.browsers, &Update::TickerLink { connected });
        }
    }

    /// A post came on the chatz feed.
    pub fn chat_line(&self, handle: &str, text: &str) {
        let mut shared = self.lock();
        let line = ChatLine {
            time: now(),
            handle: handle.to_owned(),
            text: text.to_owned(),
        };
        let lines = &mut shared.snapshot.chat.lines;
        if lines.len() == CHAT_LINES {
            lines.pop_front();
        }
        publish(&shared.browsers, &Update::Chat(&line));
        shared.snapshot.chat.lines.push_back(line);
    }

    /// The chatz server answered (with its live users) or went quiet.
    pub fn chat_status(&self, connected: bool, users: Option<Vec<String>>) {
        let mut shared = self.lock();
        let Shared {
            snapshot, browsers, ..
        } = &mut *shared;
        let chat = &mut snapshot.chat;
        let users_changed = users.as_ref().is_some_and(|u| *u != chat.users);
        if chat.connected == connected && !users_changed {
            return;
        }
        chat.connected = connected;
        if let Some(users) = users {
            chat.users = users;
        }
        publish(
            browsers,
            &Update::ChatStatus {
                connected,
                users: &chat.users,
            },
        );
    }

    /// Changes the Valuation panel and sends it to every browser.
    pub fn valuation(&self, change: impl FnOnce(&mut Valuation)) {
        let mut shared = self.lock();
        change(&mut shared.snapshot.valuation);
        publish(
            &shared.browsers,
            &Update::Valuation(&shared.snapshot.valuation),
        );
    }

    /// Registers a socket for the Diagnostics panel (before its first event).
    pub fn add_socket(&self, name: &str, endpoint: &str, state: &str) {
        let mut shared = self.lock();
        let status = shared
            .snapshot
            .diagnostics
            .sockets
            .entry(name.to_owned())
            .or_insert_with(|| SocketStatus {
                name: name.to_owned(),
                endpoint: String::new(),
                state: String::new(),
                counts: BTreeMap::new(),
            });
        status.endpoint = endpoint.to_owned();
        status.state = state.to_owned();
    }

    /// A monitor event of socket `name` (or an event of the web host's own,
    /// such as a browser evicted); `state` is the socket's state after it,
    /// when the event changes it.
    pub fn diag(&self, name: &str, event: DiagEvent, state: Option<&str>) {
        let mut shared = self.lock();
        let Shared {
            snapshot, browsers, ..
        } = &mut *shared;
        let diagnostics = &mut snapshot.diagnostics;
        let status = diagnostics
            .sockets
            .entry(name.to_owned())
            .or_insert_with(|| SocketStatus {
                name: name.to_owned(),
                endpoint: event.endpoint.clone(),
                state: "connecting".to_owned(),
                counts: BTreeMap::new(),
            });
        *status.counts.entry(event.event.clone()).or_default() += 1;
        if let Some(state) = state {
            status.state = state.to_owned();
        }
        if diagnostics.events.len() == DIAG_EVENTS {
            diagnostics.events.pop_front();
        }
        publish(
            browsers,
            &Update::Diag {
                event: &event,
                socket: status,
            },
        );
        diagnostics.events.push_back(event);
    }
}

/// Queues `update` for every open browser (serialized once).
fn publish(browsers: &HashMap<u64, Arc<Outbox>>, update: &Update<'_>) {
    if browsers.is_empty() {
        return;
    }
    let json = update.to_json();
    for outbox in browsers.values() {
        outbox.push_change(json.clone());
    }
}
