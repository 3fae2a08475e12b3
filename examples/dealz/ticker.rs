//! The Ticker panel's source: a tickz subscriber that follows and forgets
//! symbols as browsers ask (subscribe / unsubscribe of the exact symbol),
//! or with `--dish` (draft) an async DISH that joins and leaves the
//! symbols' groups of a `tickz server --radio`.

use super::chat::Curve;
use super::diagnostics;
use super::state::Desk;
use super::tickz::proto;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zmq::tokio::AsyncSocket;
use zmq::SocketType;

/// A browser's request to the subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    /// Subscribe to this symbol.
    Add(String),
    /// Unsubscribe from it.
    Remove(String),
}

/// Reconnect pacing of every connecting socket of the host: quick at first,
/// then at most once a second while a server is away (each attempt is a
/// Diagnostics event; a flood of them would bury the rest).
pub fn pace_reconnects(socket: &zmq::Socket) -> zmq::Result<()> {
    socket.set(zmq::opt::ReconnectIvl, Duration::from_millis(100))?;
    socket.set(zmq::opt::ReconnectIvlMax, Duration::from_secs(1))?;
    socket.set(zmq::opt::Linger, Duration::ZERO)
}

/// Connects the SUB (watched by Diagnostics as `tickz`) and starts the task
/// that reads ticks and applies follows.
pub fn spawn(
    ctx: &zmq::Context,
    endpoint: &str,
    curve: Option<Curve>,
    desk: Arc<Desk>,
    follows: mpsc::Receiver<Follow>,
) -> zmq::Result<()> {
    let sub = ctx.socket(SocketType::Sub)?;
    pace_reconnects(&sub)?;
    if let Some((server, own)) = &curve {
        sub.curve_client(server, own)?;
    }
    let sub = AsyncSocket::new(sub)?;
    let link_desk = desk.clone();
    diagnostics::watch(
        &desk,
        "tickz",
        endpoint,
        diagnostics::Role::Connects,
        &sub,
        Some(Box::new(move |up| link_desk.ticker_link(up))),
    )?;
    sub.with_socket(|s| s.connect(endpoint))?;
    tokio::spawn(read_ticks(sub, desk, follows));
    Ok(())
}

async fn read_ticks(sub: AsyncSocket, desk: Arc<Desk>, mut follows: mpsc::Receiver<Follow>) {
    let mut followed = BTreeSet::new();
    loop {
        tokio::select! {
            follow = follows.recv() => {
                let outcome = match follow {
                    None => return, // the host is stopping
                    Some(Follow::Add(symbol)) => {
                        let r = sub.with_socket(|s| s.subscribe(&symbol));
                        followed.insert(symbol);
                        r
                    }
                    Some(Follow::Remove(symbol)) => {
                        let r = sub.with_socket(|s| s.unsubscribe(&symbol));
                        followed.remove(&symbol);
                        r
                    }
                };
                report(outcome);
            }
            frames = sub.recv_multipart() => match frames {
                Ok(frames) => show_tick(&desk, &followed, proto::decode(&frames)),
                Err(e) => return feed_ended(e),
            }
        }
    }
}

/// `--dish`: binds an async DISH (`zmq::tokio::AsyncThreadSafeSocket`) to
/// `endpoint` and starts the task that reads the RADIO's ticks (the symbol
/// is the group) and joins or leaves groups as browsers follow.
#[cfg(zmq_draft)]
pub fn spawn_dish(
    ctx: &zmq::Context,
    endpoint: &str,
    desk: Arc<Desk>,
    follows: mpsc::Receiver<Follow>,
) -> Result<(), super::Failure> {
    if !endpoint.starts_with("udp://") {
        return Err(format!("--dish {endpoint}: takes a udp:// endpoint").into());
    }
    let dish = ctx.async_thread_safe_socket(SocketType::Dish)?;
    dish.set(zmq::opt::Linger, Duration::ZERO)?;
    dish.bind(endpoint)
        .map_err(|e| format!("--dish {endpoint}: {e}"))?;
    // UDP has no connection to watch: the feed is up once the DISH listens.
    desk.ticker_link(true);
    tokio::spawn(read_datagrams(dish, desk, follows));
    Ok(())
}

/// Without the DRAFT API there is no DISH: `--dish` says how to get one.
#[cfg(not(zmq_draft))]
pub fn spawn_dish(
    _ctx: &zmq::Context,
    endpoint: &str,
    _desk: Arc<Desk>,
    _follows: mpsc::Receiver<Follow>,
) -> Result<(), super::Failure> {
    Err(format!(
        "--dish {endpoint}: RADIO/DISH are in libzmq's DRAFT API; build dealz with it: \
         cargo run --features tokio,draft --example dealz -- --dish {endpoint}"
    )
    .into())
}

#[cfg(zmq_draft)]
async fn read_datagrams(
    dish: zmq::tokio::AsyncThreadSafeSocket,
    desk: Arc<Desk>,
    mut follows: mpsc::Receiver<Follow>,
) {
    let mut followed = BTreeSet::new();
    loop {
        tokio::select! {
            follow = follows.recv() => {
                let outcome = match follow {
                    None => return, // the host is stopping
                    Some(Follow::Add(symbol)) => {
                        let joined = if followed.contains(&symbol) {
                            Ok(())
                        } else {
                            dish.join(&symbol)
                        };
                        followed.insert(symbol);
                        joined
                    }
                    Some(Follow::Remove(symbol)) => match followed.remove(&symbol) {
                        true => dish.leave(&symbol),
                        false => Ok(()),
                    },
                };
                report(outcome);
            }
            datagram = dish.recv() => match datagram {
                Ok(datagram) => {
                    let group = datagram.group_bytes().unwrap_or_default();
                    show_tick(&desk, &followed, proto::decode_datagram(group, &datagram))
                }
                Err(e) => return feed_ended(e),
            }
        }
    }
}

/// Puts a decoded tick on the desk if its symbol is followed: exact symbols
/// only, since a prefix subscription may let others through. Undecodable
/// ticks are dropped (the feed goes on).
fn show_tick<E>(desk: &Desk, followed: &BTreeSet<String>, decoded: Result<proto::Tick, E>) {
    if let Ok(tick) = decoded {
        if followed.contains(&tick.symbol) {
            desk.tick(&tick.symbol, tick.time, tick.price);
        }
    }
}

/// A subscribe, unsubscribe, join or leave that failed: said, not fatal.
fn report(outcome: zmq::Result<()>) {
    if let Err(e) = outcome {
        eprintln!("dealz ticker: {e}");
    }
}

/// A receive failed: the feed ends. A terminated context is the host
/// stopping: nothing to say.
fn feed_ended(e: zmq::Error) {
    if !e.is_terminated() {
        eprintln!("dealz ticker: {e}");
    }
}
