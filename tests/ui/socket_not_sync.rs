// A Socket must not be shared between threads: this must not compile.
fn main() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::SocketType::Pair).unwrap();
    let shared = std::sync::Arc::new(socket);
    let clone = shared.clone();
    std::thread::spawn(move || {
        let _ = clone.send("from two threads at once");
    });
}
