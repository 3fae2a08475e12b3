//! RADIO/DISH groups and SERVER/CLIENT routing ids (draft): over inproc, tcp
//! and unicast UDP on the loopback interface.
#![cfg(zmq_draft)]

use std::time::Duration;
use zmq::{opt, Context, ErrorKind, Message, Socket, SocketType};

/// How long one receive waits inside a send-until-received loop, and how
/// many rounds it gets: 20 ms × 500 = 10 s at most.
const ROUND: Duration = Duration::from_millis(20);
const ROUNDS: usize = 500;

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
    s.set(opt::SndTimeo, Duration::from_secs(5)).unwrap();
    s
}

/// A UDP port that was free a moment ago (UDP endpoints take no wildcard).
fn free_udp_port() -> u16 {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// A bound DISH and a RADIO connected to it over `transport`.
fn radio_and_dish(ctx: &Context, transport: &str) -> (Socket, Socket) {
    let dish = socket(ctx, SocketType::Dish);
    let radio = socket(ctx, SocketType::Radio);
    let endpoint = match transport {
        "inproc" => format!("inproc://dish-{}", std::process::id()),
        "tcp" => "tcp://127.0.0.1:*".to_owned(),
        "udp" => format!("udp://127.0.0.1:{}", free_udp_port()),
        other => panic!("no such transport in this test: {other}"),
    };
    dish.bind(&endpoint).unwrap();
    let endpoint = if transport == "tcp" {
        dish.last_endpoint().unwrap()
    } else {
        endpoint
    };
    radio.connect(&endpoint).unwrap();
    (radio, dish)
}

/// Sends one message to each of `groups` per round, tagged with the round,
/// until the DISH has received something from round `n` in `last_group`;
/// returns every `(group, body)` received. A RADIO drops what it sends
/// before the DISH's joins reach it, hence the rounds.
fn broadcast_until(
    radio: &Socket,
    dish: &Socket,
    groups: &[&str],
    last_group: &str,
) -> Vec<(String, String)> {
    dish.set(opt::RcvTimeo, ROUND).unwrap();
    let mut received = Vec::new();
    for round in 0..ROUNDS {
        for group in groups {
            let body = format!("{group} {round}");
            radio
                .send(Message::from(body).with_group(group).unwrap())
                .unwrap();
        }
        while let Ok(msg) = dish.recv() {
            let group = msg.group().expect("a DISH message has a group").to_owned();
            let body = msg.as_str().unwrap().to_owned();
            let done = group == last_group;
            received.push((group, body));
            if done {
                return received;
            }
        }
    }
    panic!("nothing for {last_group} arrived in {ROUNDS} rounds; got {received:?}");
}

#[test]
fn a_dish_receives_only_the_groups_it_joined_on_every_transport() {
    let ctx = Context::new();
    for transport in ["inproc", "tcp", "udp"] {
        let (radio, dish) = radio_and_dish(&ctx, transport);
        dish.join("AAPL").unwrap();
        dish.join("MSFT").unwrap();
        let got = broadcast_until(&radio, &dish, &["AAPL", "GOOG", "MSFT"], "MSFT");
        assert!(
            got.iter()
                .all(|(g, body)| g != "GOOG" && body.starts_with(g.as_str())),
            "{transport}: {got:?}"
        );
        assert!(got.iter().any(|(g, _)| g == "AAPL"), "{transport}: {got:?}");

        // After leaving, AAPL never arrives again, even what was in flight:
        // a DISH also filters what it receives.
        dish.leave("AAPL").unwrap();
        let got = broadcast_until(&radio, &dish, &["AAPL", "MSFT"], "MSFT");
        assert!(got.iter().all(|(g, _)| g == "MSFT"), "{transport}: {got:?}");
    }
}

#[test]
fn group_names_are_checked_against_zmq_group_max_length() {
    let ctx = Context::new();
    let dish = socket(&ctx, SocketType::Dish);
    dish.join(&"g".repeat(zmq::GROUP_MAX_LENGTH)).unwrap();

    let err = dish.join(&"g".repeat(256)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ZMQ_GROUP_MAX_LENGTH"), "{err}");
    let err = dish.leave(&"g".repeat(256)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = dish.join("a\0b").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = Message::from("x").with_group(&"g".repeat(256)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn joining_twice_leaving_what_was_never_joined_and_joining_on_a_radio_are_errors() {
    let ctx = Context::new();
    let dish = socket(&ctx, SocketType::Dish);
    dish.join("once").unwrap();
    let err = dish.join("once").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("once"),
        "the error names the group: {err}"
    );
    let err = dish.leave("never").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    let radio = socket(&ctx, SocketType::Radio);
    let err = radio.join("news").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSupported, "{err}");
}

#[test]
fn a_server_replies_to_each_client_by_its_server_routing_id() {
    let ctx = Context::new();
    let server = socket(&ctx, SocketType::Server);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.last_endpoint().unwrap();
    let clients: Vec<Socket> = (0..3)
        .map(|_| {
            let c = socket(&ctx, SocketType::Client);
            c.connect(&endpoint).unwrap();
            c
        })
        .collect();
    for (i, client) in clients.iter().enumerate() {
        client.send(format!("client {i}")).unwrap();
    }
    let mut ids = Vec::new();
    for _ in 0..clients.len() {
        let request = server.recv().unwrap();
        let id = request
            .server_routing_id()
            .expect("SERVER tags each message");
        ids.push(id);
        // The peer's Routing-Id *property* is a different thing: a CLIENT
        // announces none.
        assert_eq!(request.routing_id(), None);
        let reply = Message::from(format!("reply to {}", request.as_str().unwrap()));
        server
            .send(reply.with_server_routing_id(id).unwrap())
            .unwrap();
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), clients.len(), "one id per connection");
    for (i, client) in clients.iter().enumerate() {
        assert_eq!(
            client.recv_string().unwrap(),
            format!("reply to client {i}")
        );
    }
}

#[test]
fn a_server_refuses_a_message_without_a_routing_id_and_draft_types_refuse_multipart() {
    let ctx = Context::new();
    let server = socket(&ctx, SocketType::Server);
    server.bind("inproc://unaddressed").unwrap();
    let err = server.send("to whom?").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unroutable, "{err}");

    let client = socket(&ctx, SocketType::Client);
    client.connect("inproc://unaddressed").unwrap();
    let err = client.send_multipart(["a", "b"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}
