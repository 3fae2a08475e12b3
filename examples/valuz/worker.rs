//! The valuz worker: values each order (`action × price × 100`) until `batch.leave`.

use super::proto;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// A connected worker.
pub struct Worker {
    pull: Socket,
    push: Socket,
    control: Socket,
}

impl Worker {
    /// Connects to the source (`pull`), the reduce (`push`) and the control feed.
    pub fn connect(
        ctx: &zmq::Context,
        pull: &str,
        push: &str,
        control: &str,
    ) -> zmq::Result<Worker> {
        let sub = ctx.socket(SocketType::Sub)?;
        sub.set(zmq::opt::Linger, Duration::ZERO)?;
        sub.subscribe(proto::LEAVE)?;
        sub.connect(control)?;
        let pull_socket = ctx.socket(SocketType::Pull)?;
        pull_socket.set(zmq::opt::Linger, Duration::ZERO)?;
        pull_socket.connect(pull)?;
        let push_socket = ctx.socket(SocketType::Push)?;
        push_socket.set(zmq::opt::Linger, Duration::from_secs(2))?;
        push_socket.connect(push)?;
        Ok(Worker {
            pull: pull_socket,
            push: push_socket,
            control: sub,
        })
    }

    /// Says "idling", values orders until `batch.leave` (or `stop`), and
    /// returns how many it valued.
    pub fn run(&self, stop: &AtomicBool, log: &dyn Fn(&str)) -> zmq::Result<u64> {
        self.push.send("")?;
        let mut valued = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut items = [
                PollItem::socket(&self.pull, PollEvents::POLLIN),
                PollItem::socket(&self.control, PollEvents::POLLIN),
            ];
            zmq::poll(&mut items, Some(Duration::from_millis(100)))?;
            while let Some(frames) = self.pull.try_recv_multipart()? {
                let value = match proto::parse_order(&frames) {
                    Ok(order) => proto::value_text(order.action, order.price),
                    Err(why) => {
                        log(&format!("malformed order: {why}"));
                        None
                    }
                };
                // One value per order, or the reduce waits forever: a bad
                // order is answered with "nan", which the reduce counts as bad.
                self.push.send(value.unwrap_or_else(|| "nan".to_owned()))?;
                valued += 1;
            }
            while let Some(frames) = self.control.try_recv_multipart()? {
                if frames
                    .first()
                    .is_some_and(|f| f[..] == *proto::LEAVE.as_bytes())
                {
                    return Ok(valued);
                }
            }
        }
        Ok(valued)
    }
}
