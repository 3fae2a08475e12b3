//! The tickz client's engine: a SUB that follows exact symbols, or with
//! `--dish` (draft) a DISH that joins one group per symbol.

use super::link::LinkWatch;
use super::proto::{self, Tick};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use zmq::security::{CurveKeyPair, PublicKey};
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// Where the ticks come from.
enum Feed {
    /// A SUB connected to the server's PUB; its monitor tells what a
    /// silence means.
    Sub { socket: Socket, link: LinkWatch },
    /// A DISH bound to a `udp://` endpoint (draft). UDP has no connection
    /// to watch: a silence can only be reported, with the likely causes.
    #[cfg(zmq_draft)]
    Dish {
        socket: Socket,
        endpoint: String,
        heard: Instant,
        reported: bool,
    },
}

/// A ticker reader.
pub struct TickClient {
    feed: Feed,
    followed: BTreeSet<String>,
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
            feed: Feed::Sub { socket: sub, link },
            followed: BTreeSet::new(),
            rejected: 0,
        })
    }

    /// Reads ticks from RADIO datagrams instead (draft): a DISH bound to a
    /// `udp://` endpoint, the multicast group address the server's
    /// `--radio` sends to (e.g. `udp://239.0.0.1:9013`, or
    /// `udp://IFACE;239.0.0.1:9013` to pick the interface), or a unicast
    /// address of this host. Following a symbol joins its group.
    #[cfg(zmq_draft)]
    pub fn dish(ctx: &zmq::Context, endpoint: &str) -> zmq::Result<TickClient> {
        if !endpoint.starts_with("udp://") {
            return Err(
                zmq::Error::with_kind(zmq::ErrorKind::InvalidInput, "--dish")
                    .context("takes a udp:// endpoint"),
            );
        }
        let dish = ctx.socket(SocketType::Dish)?;
        dish.set(zmq::opt::Linger, Duration::ZERO)?;
        // Over UDP the DISH binds (receives on the address; for a multicast
        // address libzmq also joins the IP multicast group).
        dish.bind(endpoint)?;
        Ok(TickClient {
            feed: Feed::Dish {
                socket: dish,
                endpoint: endpoint.to_owned(),
                heard: Instant::now(),
                reported: false,
            },
            followed: BTreeSet::new(),
            rejected: 0,
        })
    }

    fn socket(&self) -> &Socket {
        match &self.feed {
            Feed::Sub { socket, .. } => socket,
            #[cfg(zmq_draft)]
            Feed::Dish { socket, .. } => socket,
        }
    }

    /// Notes that something arrived, ending a silence.
    fn heard(&mut self) {
        match &mut self.feed {
            Feed::Sub { link, .. } => link.heard(),
            #[cfg(zmq_draft)]
            Feed::Dish {
                heard, reported, ..
            } => {
                *heard = Instant::now();
                *reported = false;
            }
        }
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
        match &self.feed {
            Feed::Sub { socket, .. } => socket.subscribe(symbol)?,
            #[cfg(zmq_draft)]
            Feed::Dish { socket, .. } => socket.join(symbol)?,
        }
        Ok(true)
    }

    /// Stops following `symbol`; false if it was not followed.
    pub fn unfollow(&mut self, symbol: &str) -> zmq::Result<bool> {
        if !self.followed.remove(symbol) {
            return Ok(false);
        }
        match &self.feed {
            Feed::Sub { socket, .. } => socket.unsubscribe(symbol)?,
            #[cfg(zmq_draft)]
            Feed::Dish { socket, .. } => socket.leave(symbol)?,
        }
        Ok(true)
    }

    /// Waits at most `max_wait` for ticks, and returns those of followed symbols.
    pub fn step(&mut self, max_wait: Duration) -> zmq::Result<Vec<Tick>> {
        let mut items = [PollItem::socket(self.socket(), PollEvents::POLLIN)];
        zmq::poll(&mut items, Some(max_wait))?;
        let mut ticks = Vec::new();
        let mut decoded = Vec::new();
        match &mut self.feed {
            Feed::Sub { socket, link } => {
                link.update()?;
                while let Some(frames) = socket.try_recv_multipart()? {
                    decoded.push(proto::decode(&frames));
                }
            }
            #[cfg(zmq_draft)]
            Feed::Dish { socket, .. } => {
                while let Some(datagram) = socket.try_recv()? {
                    let group = datagram.group_bytes().unwrap_or_default();
                    decoded.push(proto::decode_datagram(group, &datagram));
                }
            }
        }
        if !decoded.is_empty() {
            self.heard();
        }
        for tick in decoded {
            match tick {
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
            self.heard(); // nothing asked for, so nothing is missing
            return None;
        }
        let followed: Vec<&str> = self.followed.iter().map(String::as_str).collect();
        match &mut self.feed {
            Feed::Sub { link, .. } => {
                let mut text = link.silence(Instant::now())?;
                if link.is_up() {
                    text.push_str(&format!(
                        " (or it publishes none of {})",
                        followed.join(", ")
                    ));
                }
                Some(text)
            }
            #[cfg(zmq_draft)]
            Feed::Dish {
                endpoint,
                heard,
                reported,
                ..
            } => {
                if *reported || heard.elapsed() < super::link::SILENCE {
                    return None;
                }
                *reported = true;
                Some(format!(
                    "nothing on {endpoint} for {} s: no datagram for {}: is a tickz server \
                     sending there (server --radio with the same address), and for a multicast \
                     group, does this host route 224.0.0.0/4 to the interface it arrives on?",
                    heard.elapsed().as_secs(),
                    followed.join(", ")
                ))
            }
        }
    }

    /// Whether a silence was reported and no tick has come since.
    pub fn is_silent(&self) -> bool {
        match &self.feed {
            Feed::Sub { link, .. } => link.is_silent(),
            #[cfg(zmq_draft)]
            Feed::Dish { reported, .. } => *reported,
        }
    }
}
