//! Hello world over REQ/REP: a server thread answers "World" to each "Hello".
//!
//! Run: `cargo run --example hello_reqrep`

use zmq::{Context, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new();
    let server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint()?;

    let worker = std::thread::spawn(move || -> zmq::Result<()> {
        for _ in 0..3 {
            let request = server.recv()?;
            println!(
                "server received {:?}",
                request.as_str().unwrap_or("<binary>")
            );
            server.send("World")?;
        }
        Ok(())
    });

    let client = ctx.socket(SocketType::Req)?;
    client.connect(&endpoint)?;
    for n in 0..3 {
        client.send("Hello")?;
        let reply = client.recv_string()?;
        println!("client {n} got {reply:?}");
    }
    worker.join().expect("server thread panicked")?;
    Ok(())
}
