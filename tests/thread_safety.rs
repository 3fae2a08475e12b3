//! Thread safety lives in the types: Socket is Send but not Sync. What must
//! not compile (Socket, Message: !Sync; PollItem, Poller: !Send, !Sync) is
//! pinned by `compile_fail` doctests in src/doctests.rs.

fn assert_send<T: Send>() {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn context_is_send_and_sync_socket_and_message_are_send() {
    assert_send_sync::<zmq::Context>();
    assert_send::<zmq::Socket>();
    assert_send::<zmq::Message>();
    assert_send_sync::<zmq::Error>();
}

#[test]
fn a_socket_can_move_to_another_thread() {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::SocketType::Pull).unwrap();
    pull.bind("inproc://moved").unwrap();
    let push = ctx.socket(zmq::SocketType::Push).unwrap();
    push.connect("inproc://moved").unwrap();
    let t = std::thread::spawn(move || push.send("from another thread"));
    t.join().unwrap().unwrap();
    assert_eq!(pull.recv().unwrap(), "from another thread");
}
