//! The tickz server: a PUB that publishes every symbol's price each tick,
//! and with `--radio` (draft) a RADIO that sends the same ticks over UDP.

use super::peers::PeerLog;
use super::{clock, proto};
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zmq::security::SecretKey;
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// The largest message the PUB takes from a subscriber, in bytes.
pub const MAX_INBOUND_MESSAGE: i64 = 1024;

/// Where the server's log lines go (stderr for the program).
pub type Log = Box<dyn Fn(&str) + Send>;

/// A bound ticker.
pub struct TickServer {
    publisher: Socket,
    interval: Duration,
    prices: Vec<(String, f64)>,
    peers: Option<(PeerLog, Log)>,
    /// The RADIO of `--radio`, if any: every tick goes out on it too.
    #[cfg(zmq_draft)]
    radio: Option<Socket>,
    /// The PUB's endpoint, with the port a wildcard bind got.
    pub endpoint: String,
}

impl TickServer {
    /// Binds the PUB; the talk's symbols start at their opening prices.
    #[allow(dead_code)] // the NULL-only entry point, for the tour and the tests
    pub fn bind(ctx: &zmq::Context, endpoint: &str, interval: Duration) -> zmq::Result<TickServer> {
        TickServer::bind_curve(ctx, endpoint, interval, None)
    }

    /// Like [`TickServer::bind`], and with `curve` (the server's secret key)
    /// the PUB is a CURVE server: the context's ZAP handler, if one is
    /// running, decides which client keys get in.
    pub fn bind_curve(
        ctx: &zmq::Context,
        endpoint: &str,
        interval: Duration,
        curve: Option<&SecretKey>,
    ) -> zmq::Result<TickServer> {
        let names: Vec<&str> = proto::SYMBOLS.iter().map(|(s, _)| *s).collect();
        debug_assert_eq!(proto::check_prefix_free(&names), Ok(()));
        let publisher = ctx.socket(SocketType::Pub)?;
        publisher.set(zmq::opt::Linger, Duration::from_millis(200))?;
        // What a PUB receives is subscriptions: a symbol of at most 12
        // characters and its 1-byte header. A larger message (a CURVE
        // handshake command is a few hundred bytes) drops that subscriber.
        publisher.set(zmq::opt::MaxMsgSize, MAX_INBOUND_MESSAGE)?;
        if let Some(secret) = curve {
            publisher.curve_server(secret)?;
        }
        publisher.bind(endpoint)?;
        Ok(TickServer {
            endpoint: publisher.last_endpoint()?,
            publisher,
            interval,
            prices: proto::SYMBOLS
                .iter()
                .map(|&(s, p)| (s.to_owned(), p))
                .collect(),
            peers: None,
            #[cfg(zmq_draft)]
            radio: None,
        })
    }

    /// Sends every tick over a RADIO as well (draft), connected to a
    /// `udp://` endpoint: a multicast group address such as
    /// `udp://239.0.0.1:9013` (or `udp://IFACE;239.0.0.1:9013` to pick the
    /// interface), or one DISH's unicast address. Each tick is one datagram
    /// whose group is the symbol (see [`proto::encode_datagram`]).
    #[cfg(zmq_draft)]
    pub fn add_radio(&mut self, ctx: &zmq::Context, endpoint: &str) -> zmq::Result<()> {
        if !endpoint.starts_with("udp://") {
            return Err(
                zmq::Error::with_kind(zmq::ErrorKind::InvalidInput, "--radio")
                    .context("takes a udp:// endpoint"),
            );
        }
        debug_assert!(proto::SYMBOLS
            .iter()
            .all(|(s, _)| s.len() <= zmq::GROUP_MAX_LENGTH));
        let radio = ctx.socket(SocketType::Radio)?;
        radio.set(zmq::opt::Linger, Duration::from_millis(200))?;
        // Over UDP the RADIO is the side that connects (sends datagrams to
        // the address) and the DISH the side that binds.
        radio.connect(endpoint)?;
        self.radio = Some(radio);
        Ok(())
    }

    /// Logs one line per refused or failed handshake (the peer's address
    /// and why) through `log`, and with `all_events` every connection event
    /// of the PUB (the `--monitor` flag). Call it before [`run`](Self::run).
    pub fn watch_peers(&mut self, all_events: bool, log: Log) -> zmq::Result<()> {
        self.peers = Some((PeerLog::new(&self.publisher, "feed", all_events)?, log));
        Ok(())
    }

    /// Waits up to `timeout` for monitor events and logs them (or just
    /// waits, when nobody watches the peers).
    fn wait_and_log(&mut self, timeout: Duration) -> zmq::Result<()> {
        let Some((peers, log)) = &mut self.peers else {
            // Pacing, not waiting for a condition.
            std::thread::sleep(timeout);
            return Ok(());
        };
        let mut items = [PollItem::socket(peers.socket(), PollEvents::POLLIN)];
        zmq::poll(&mut items, Some(timeout))?;
        for line in peers.update()? {
            log(&line);
        }
        Ok(())
    }

    /// Publishes one tick of every symbol.
    pub fn tick(&mut self, rng: &mut impl Rng) -> zmq::Result<()> {
        let now = clock::now_epoch();
        for (symbol, price) in &mut self.prices {
            *price = proto::walk(*price, rng.random_range(-1.0..1.0));
            self.publisher
                .send_multipart(proto::encode(symbol, now, *price))?;
            #[cfg(zmq_draft)]
            if let Some(radio) = &self.radio {
                let datagram = zmq::Message::from_slice(&proto::encode_datagram(now, *price));
                radio.send(datagram.with_group(symbol)?)?;
            }
        }
        Ok(())
    }

    /// Ticks every interval until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) -> zmq::Result<()> {
        let mut rng = rand::rng();
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now >= next {
                self.tick(&mut rng)?;
                next += self.interval;
                if next < now {
                    next = now + self.interval;
                }
            } else {
                // Wait in short slices so that a stop request is seen promptly.
                self.wait_and_log((next - now).min(Duration::from_millis(50)))?;
            }
        }
        Ok(())
    }
}
