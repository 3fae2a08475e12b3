//! PUSH/PULL: a ventilator spreads work over two workers, a sink collects.
//!
//! Run: `cargo run --example hello_pipeline`

use zmq::{Context, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new();
    let ventilator = ctx.socket(SocketType::Push)?;
    ventilator.bind("inproc://work")?;
    let sink = ctx.socket(SocketType::Pull)?;
    sink.bind("inproc://results")?;

    let workers: Vec<_> = (0..2)
        .map(|id| {
            let ctx = ctx.clone();
            std::thread::spawn(move || -> zmq::Result<()> {
                let input = ctx.socket(SocketType::Pull)?;
                input.connect("inproc://work")?;
                let output = ctx.socket(SocketType::Push)?;
                output.connect("inproc://results")?;
                loop {
                    let task = input.recv()?;
                    if task.is_empty() {
                        return Ok(()); // the stop signal
                    }
                    let n: u64 = task.as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
                    output.send(format!("worker {id}: {n}² = {}", n * n))?;
                }
            })
        })
        .collect();

    for n in 1..=6u64 {
        ventilator.send(n.to_string())?;
    }
    for _ in 0..6 {
        println!("{}", sink.recv_string()?);
    }
    for _ in &workers {
        ventilator.send("")?;
    }
    for w in workers {
        w.join().expect("worker panicked")?;
    }
    Ok(())
}
