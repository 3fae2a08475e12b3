//! PUSH/PULL: a ventilator spreads work over two workers, a sink collects,
//! and a PUB tells every worker to stop.
//!
//! Run: `cargo run --example hello_pipeline`
//!
//! Two lessons of the pattern:
//! - PUSH round-robins over the workers connected *at the time*: wait until
//!   every worker says it is ready, or the first one gets all the work.
//! - A stop sent over PUSH reaches one worker, not each: two stops can land
//!   on the same worker and leave the other waiting forever. A control
//!   message for everyone goes over PUB/SUB.

use zmq::{Context, PollEvents, PollItem, SocketType};

const WORKERS: usize = 2;
const READY: &str = "ready";
const STOP: &str = "stop";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new();
    let ventilator = ctx.socket(SocketType::Push)?;
    ventilator.bind("inproc://work")?;
    let sink = ctx.socket(SocketType::Pull)?;
    sink.bind("inproc://results")?;
    let control = ctx.socket(SocketType::Pub)?;
    control.bind("inproc://control")?;

    let workers: Vec<_> = (0..WORKERS)
        .map(|id| {
            let ctx = ctx.clone();
            std::thread::spawn(move || -> zmq::Result<()> {
                let stop = ctx.socket(SocketType::Sub)?;
                stop.subscribe(STOP)?;
                stop.connect("inproc://control")?;
                let input = ctx.socket(SocketType::Pull)?;
                input.connect("inproc://work")?;
                let output = ctx.socket(SocketType::Push)?;
                output.connect("inproc://results")?;
                // Connected (and subscribed) before this is sent: the main
                // thread's PUB will have our subscription when it says stop.
                output.send(READY)?;
                loop {
                    let mut items = [
                        PollItem::socket(&input, PollEvents::POLLIN),
                        PollItem::socket(&stop, PollEvents::POLLIN),
                    ];
                    zmq::poll(&mut items, None)?;
                    if items[1].is_readable() {
                        return Ok(());
                    }
                    if items[0].is_readable() {
                        let task = input.recv()?;
                        let n: u64 = task.as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
                        output.send(format!("worker {id}: {n}² = {}", n * n))?;
                    }
                }
            })
        })
        .collect();

    for _ in 0..WORKERS {
        let ready = sink.recv_string()?;
        debug_assert_eq!(ready, READY);
    }
    for n in 1..=6u64 {
        ventilator.send(n.to_string())?;
    }
    for _ in 0..6 {
        println!("{}", sink.recv_string()?);
    }
    control.send(STOP)?; // every worker is subscribed: each one gets it
    for w in workers {
        w.join().map_err(|_| "a worker panicked")??;
    }
    println!("all {WORKERS} workers stopped");
    Ok(())
}
