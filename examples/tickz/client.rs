//! The tickz client's engine: a SUB that follows exact symbols.

use super::link::LinkWatch;
use super::proto::{self, Tick};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use zmq::security::{CurveKeyPair, PublicKey};
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// A ticker reader.
pub struct TickClient {
    sub: Socket,
    followed: BTreeSet<String>,
    link: LinkWatch,
    /// Messages refused: malformed, or a symbol we do not follow that a
    /// prefix subscription let through.
    pub rejected: u64,
}

impl TickClient {
    /// Connects to a ticker, following nothing yet.
    #[allow(dead_code)] // the NULL-only entry point, for the tour and the tests
    pub fn connect(ctx: &zmq::Context, endpoint: &str) -> zmq::Result<TickClient> {
        TickClient::connect_curve(ctx, endpoint, None)
    }

    /// Like [`TickClient::connect`], and with `curve` (the server's public
    /// key and our key pair) the SUB is a CURVE client.
    pub fn connect_curve(
        ctx: &zmq::Context,
        endpoint: &str,
        curve: Option<&(PublicKey, CurveKeyPair)>,
    ) -> zmq::Result<TickClient> {
        let sub = ctx.socket(SocketType::Sub)?;
        sub.set(zmq::opt::Linger, Duration::ZERO)?;
        if let Some((server, own)) = curve {
            sub.curve_client(server, own)?;
        }
        let link = LinkWatch::new(&sub, endpoint, curve.is_some())?;
        sub.connect(endpoint)?;
        Ok(TickClient {
            sub,
            link,
            followed: BTreeSet::new(),
            rejected: 0,
        })
    }

    /// The followed symbols, sorted.
    pub fn followed(&self) -> impl Iterator<Item = &str> {
        self.followed.iter().map(String::as_str)
    }

    /// Follows `symbol` (subscribes to its exact bytes); false if already followed.
    pub fn follow(&mut self, symbol: &str) -> zmq::Result<bool> {
        if !self.followed.insert(symbol.to_owned()) {
            return Ok(false);
        }
        self.sub.subscribe(symbol)?;
        Ok(true)
    }

    /// Stops following `symbol`; false if it was not followed.
    pub fn unfollow(&mut self, symbol: &str) -> zmq::Result<bool> {
        if !self.followed.remove(symbol) {
            return Ok(false);
        }
        self.sub.unsubscribe(symbol)?;
        Ok(true)
    }

    /// Waits at most `max_wait` for ticks, and returns those of followed symbols.
    pub fn step(&mut self, max_wait: Duration) -> zmq::Result<Vec<Tick>> {
        let mut items = [PollItem::socket(&self.sub, PollEvents::POLLIN)];
        zmq::poll(&mut items, Some(max_wait))?;
        let mut ticks = Vec::new();
        self.link.update()?;
        while let Some(frames) = self.sub.try_recv_multipart()? {
            self.link.heard();
            match proto::decode(&frames) {
                Ok(tick) if self.followed.contains(&tick.symbol) => ticks.push(tick),
                _ => self.rejected += 1,
            }
        }
        Ok(ticks)
    }

    /// After [`link::SILENCE`](super::link::SILENCE) without a tick: what
    /// to tell the user, with the likely causes (once per silence, and again
    /// if the diagnosis changes). Nothing while no symbol is followed.
    pub fn silence(&mut self) -> Option<String> {
        if self.followed.is_empty() {
            self.link.heard(); // nothing asked for, so nothing is missing
            return None;
        }
        let mut text = self.link.silence(Instant::now())?;
        if self.link.is_up() {
            let followed: Vec<&str> = self.followed().collect();
            text.push_str(&format!(
                " (or it publishes none of {})",
                followed.join(", ")
            ));
        }
        Some(text)
    }

    /// Whether a silence was reported and no tick has come since.
    pub fn is_silent(&self) -> bool {
        self.link.is_silent()
    }
}
