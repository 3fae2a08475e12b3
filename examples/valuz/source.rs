//! The valuz source: waits for `batch.start`, then pushes the batch of orders.

use super::proto::{self, Orders};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// A bound source.
pub struct Source {
    push: Socket,
    control: Socket,
    /// The PUSH's endpoint, with the port a wildcard bind got.
    pub push_endpoint: String,
}

impl Source {
    /// Binds the PUSH for workers; subscribes to `batch.start` at `control`.
    pub fn bind(ctx: &zmq::Context, push_at: &str, control: &str) -> zmq::Result<Source> {
        let push = ctx.socket(SocketType::Push)?;
        // Orders still queued when the source is done go out for up to 10 s.
        push.set(zmq::opt::Linger, Duration::from_secs(10))?;
        push.bind(push_at)?;
        let sub = ctx.socket(SocketType::Sub)?;
        sub.set(zmq::opt::Linger, Duration::ZERO)?;
        sub.subscribe(proto::START)?;
        sub.connect(control)?;
        Ok(Source {
            push_endpoint: push.last_endpoint()?,
            push,
            control: sub,
        })
    }

    /// Waits for `batch.start`; false if `stop` was set first.
    pub fn wait_for_start(&self, stop: &AtomicBool) -> zmq::Result<bool> {
        while !stop.load(Ordering::Relaxed) {
            let mut items = [PollItem::socket(&self.control, PollEvents::POLLIN)];
            zmq::poll(&mut items, Some(Duration::from_millis(100)))?;
            while let Some(frames) = self.control.try_recv_multipart()? {
                if frames
                    .first()
                    .is_some_and(|f| f[..] == *proto::START.as_bytes())
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Pushes `orders` orders and returns the result the reduce should find.
    pub fn send_batch(&self, orders: u64) -> zmq::Result<f64> {
        let mut book = Orders::new(rand::rng());
        let mut expected: i64 = 0;
        for _ in 0..orders {
            let (stock, action, cents) = book.next_order();
            expected += action.sign() * cents;
            self.push.send_more(stock)?;
            self.push.send_more(action.wire())?;
            self.push.send(proto::format_cents(cents))?;
        }
        Ok(expected as f64)
    }
}
