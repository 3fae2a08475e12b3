//! PUB/SUB with prefix filters: the subscriber follows only "AAPL".
//!
//! Run: `cargo run --example hello_pubsub`

use std::time::Duration;
use zmq::{opt, Context, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new();
    let publisher = ctx.socket(SocketType::Pub)?;
    publisher.bind("tcp://127.0.0.1:*")?;

    let subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.set(opt::RcvTimeo, Duration::from_millis(100))?;
    subscriber.connect(&publisher.last_endpoint()?)?;
    subscriber.subscribe("AAPL")?;

    let mut received = 0;
    for tick in 0..200 {
        // Subscriptions reach the publisher asynchronously: keep publishing.
        publisher.send_multipart(["MSFT", &format!("{:.2}", 41.78 + tick as f64 / 100.0)])?;
        publisher.send_multipart(["AAPL", &format!("{:.2}", 95.35 + tick as f64 / 100.0)])?;
        match subscriber.recv_multipart() {
            Ok(parts) => {
                let text: Vec<_> = parts.iter().map(|p| p.as_str().unwrap_or("?")).collect();
                println!("subscriber got {text:?}");
                received += 1;
                if received == 3 {
                    break;
                }
            }
            Err(e) if e.is_timeout() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
