use zmq::{Context, SocketType};

#[test]
fn req_rep_round_trip_over_tcp() {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("hello").unwrap();
    assert_eq!(rep.recv_string().unwrap(), "hello");
    rep.send(b"world".to_vec()).unwrap();
    assert_eq!(req.recv().unwrap(), "world");
}
