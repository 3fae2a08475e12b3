//! The tickz server: a PUB that publishes every symbol's price each tick.

use super::{clock, proto};
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zmq::security::SecretKey;
use zmq::{Socket, SocketType};

/// A bound ticker.
pub struct TickServer {
    publisher: Socket,
    interval: Duration,
    prices: Vec<(String, f64)>,
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
        })
    }

    /// Publishes one tick of every symbol.
    pub fn tick(&mut self, rng: &mut impl Rng) -> zmq::Result<()> {
        let now = clock::now_epoch();
        for (symbol, price) in &mut self.prices {
            *price = proto::walk(*price, rng.random_range(-1.0..1.0));
            self.publisher
                .send_multipart(proto::encode(symbol, now, *price))?;
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
                // Pacing, not waiting for a condition: sleep in short slices
                // so that a stop request is seen promptly.
                std::thread::sleep((next - now).min(Duration::from_millis(50)));
            }
        }
        Ok(())
    }
}
