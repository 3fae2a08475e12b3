//! Waiting on sockets and file descriptors: `poll` and the reusable `Poller`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use zmq::{poll, Context, ErrorKind, PollEvents, PollItem, Poller, SocketType};

mod watchdog;
use watchdog::within;

const LONG: Duration = Duration::from_secs(10);

/// A connected pair of sockets to poll as raw handles: TCP on loopback, the
/// one kind `zmq_poll` takes on every platform (on Windows it polls
/// `SOCKET`s only: no pipes).
fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (reader, _) = listener.accept().unwrap();
    (writer, reader)
}

/// The handle `zmq_poll` takes: an fd on Unix, a `SOCKET` on Windows.
#[cfg(unix)]
fn raw(stream: &TcpStream) -> zmq::RawFd {
    std::os::fd::AsRawFd::as_raw_fd(stream)
}

/// The handle `zmq_poll` takes: an fd on Unix, a `SOCKET` on Windows.
#[cfg(windows)]
fn raw(stream: &TcpStream) -> zmq::RawFd {
    std::os::windows::io::AsRawSocket::as_raw_socket(stream)
}

fn pull_push(ctx: &Context, name: &str) -> (zmq::Socket, zmq::Socket) {
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&format!("inproc://{name}")).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&format!("inproc://{name}")).unwrap();
    (pull, push)
}

#[test]
fn zero_timeout_only_looks() {
    within(LONG, || {
        let ctx = Context::new();
        let (pull, _push) = pull_push(&ctx, "poll-zero");
        let mut poller = Poller::new();
        poller.add(&pull, PollEvents::POLLIN, 1).unwrap();
        let started = Instant::now();
        assert_eq!(poller.wait(Some(Duration::ZERO)).unwrap().count(), 0);
        assert!(started.elapsed() < Duration::from_secs(1));
    });
}

#[test]
fn finite_timeout_expires_with_nothing_ready() {
    within(LONG, || {
        let ctx = Context::new();
        let (pull, _push) = pull_push(&ctx, "poll-finite");
        let mut poller = Poller::new();
        poller.add(&pull, PollEvents::POLLIN, ()).unwrap();
        let started = Instant::now();
        let ready = poller.wait(Some(Duration::from_millis(50))).unwrap();
        assert_eq!(ready.len(), 0);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(45),
            "returned after {waited:?}"
        );
    });
}

#[test]
fn waiting_forever_ends_when_a_message_arrives_from_another_thread() {
    within(LONG, || {
        let ctx = Context::new();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.bind("inproc://poll-forever").unwrap();
        let sender_ctx = ctx.clone();
        let sender = std::thread::spawn(move || {
            let push = sender_ctx.socket(SocketType::Push).unwrap();
            push.connect("inproc://poll-forever").unwrap();
            push.send("wake up").unwrap();
        });
        let mut poller = Poller::new();
        poller.add(&pull, PollEvents::POLLIN, "pull").unwrap();
        let ready: Vec<_> = poller.wait(None).unwrap().map(|(t, e)| (*t, e)).collect();
        assert_eq!(ready, [("pull", PollEvents::POLLIN)]);
        assert_eq!(pull.recv().unwrap(), "wake up");
        sender.join().unwrap();
    });
}

#[test]
fn a_raw_fd_becomes_readable() {
    within(LONG, || {
        let (mut writer, reader) = socket_pair();
        let mut poller = Poller::new();
        poller
            .add_fd(raw(&reader), PollEvents::POLLIN, "pipe")
            .unwrap();
        assert_eq!(poller.wait(Some(Duration::ZERO)).unwrap().len(), 0);
        writer.write_all(b"x").unwrap();
        let ready: Vec<_> = poller
            .wait(Some(LONG))
            .unwrap()
            .map(|(t, e)| (*t, e))
            .collect();
        assert_eq!(ready, [("pipe", PollEvents::POLLIN)]);
    });
}

#[test]
fn sockets_and_fds_mix_in_one_poller() {
    within(LONG, || {
        let ctx = Context::new();
        let (pull, push) = pull_push(&ctx, "poll-mix");
        let (mut writer, reader) = socket_pair();
        let mut poller = Poller::with_capacity(2);
        poller.add(&pull, PollEvents::POLLIN, 'z').unwrap();
        poller
            .add_fd(raw(&reader), PollEvents::POLLIN, 'f')
            .unwrap();
        push.send("m").unwrap();
        writer.write_all(b"x").unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            seen = poller.wait(Some(LONG)).unwrap().map(|(t, _)| *t).collect();
        }
        seen.sort();
        assert_eq!(seen, ['f', 'z']);
        // What was ready stays readable through `ready()` until the next change.
        assert_eq!(poller.ready().len(), 2);
    });
}

#[test]
fn a_hundred_sockets_report_exactly_the_ready_ones() {
    within(LONG, || {
        let ctx = Context::new();
        let pairs: Vec<_> = (0..100)
            .map(|i| pull_push(&ctx, &format!("poll-hundred-{i}")))
            .collect();
        let mut poller = Poller::with_capacity(100);
        for (i, (pull, _)) in pairs.iter().enumerate() {
            poller.add(pull, PollEvents::POLLIN, i).unwrap();
        }
        assert_eq!(poller.len(), 100);
        for &i in &[3, 42, 99] {
            pairs[i].1.send("ping").unwrap();
        }
        let deadline = Instant::now() + LONG;
        let mut ready: Vec<usize> = Vec::new();
        while ready.len() < 3 && Instant::now() < deadline {
            ready = poller.wait(Some(LONG)).unwrap().map(|(i, _)| *i).collect();
        }
        ready.sort();
        assert_eq!(ready, [3, 42, 99]);
    });
}

#[test]
fn a_connected_push_is_writable() {
    within(LONG, || {
        let ctx = Context::new();
        let (_pull, push) = pull_push(&ctx, "poll-out");
        let mut poller = Poller::new();
        poller.add(&push, PollEvents::POLLOUT, "push").unwrap();
        let ready: Vec<_> = poller
            .wait(Some(LONG))
            .unwrap()
            .map(|(t, e)| (*t, e))
            .collect();
        assert_eq!(ready, [("push", PollEvents::POLLOUT)]);
    });
}

#[test]
fn registering_twice_is_a_clear_error() {
    let ctx = Context::new();
    let (pull, _push) = pull_push(&ctx, "poll-twice");
    let mut poller = Poller::new();
    poller.add(&pull, PollEvents::POLLIN, 1).unwrap();
    let err = poller.add(&pull, PollEvents::POLLOUT, 2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("already registered"), "{err}");
    assert_eq!(poller.len(), 1);

    let (_writer, reader) = socket_pair();
    poller.add_fd(raw(&reader), PollEvents::POLLIN, 3).unwrap();
    let err = poller
        .add_fd(raw(&reader), PollEvents::POLLIN, 4)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("file descriptor is already registered"),
        "{err}"
    );
}

#[test]
fn removing_or_changing_what_is_not_registered_is_a_clear_error() {
    let ctx = Context::new();
    let (pull, push) = pull_push(&ctx, "poll-remove");
    let mut poller = Poller::new();
    poller.add(&pull, PollEvents::POLLIN, "pull").unwrap();

    let err = poller.remove(&push).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("not registered"), "{err}");
    assert_eq!(
        poller
            .modify(&push, PollEvents::POLLOUT)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(poller.remove_fd(0).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        poller.modify_fd(0, PollEvents::POLLIN).unwrap_err().kind(),
        ErrorKind::NotFound
    );

    assert_eq!(poller.remove(&pull).unwrap(), "pull");
    assert!(poller.is_empty());
    assert_eq!(
        poller.remove(&pull).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    poller.add(&pull, PollEvents::POLLIN, "again").unwrap();
    assert_eq!(poller.len(), 1);
}

#[test]
fn modify_changes_what_is_waited_for() {
    within(LONG, || {
        let ctx = Context::new();
        let (_pull, push) = pull_push(&ctx, "poll-modify");
        let mut poller = Poller::new();
        poller.add(&push, PollEvents::POLLIN, ()).unwrap();
        assert_eq!(poller.wait(Some(Duration::ZERO)).unwrap().len(), 0);
        poller.modify(&push, PollEvents::POLLOUT).unwrap();
        assert_eq!(poller.wait(Some(LONG)).unwrap().len(), 1);
    });
}

#[test]
fn an_empty_poller_refuses_to_wait_forever() {
    let mut poller: Poller<'_, ()> = Poller::new();
    let err = poller.wait(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(poller.wait(Some(Duration::ZERO)).unwrap().len(), 0);
}

#[test]
fn poll_over_items_reports_readiness() {
    within(LONG, || {
        let ctx = Context::new();
        let (pull, push) = pull_push(&ctx, "poll-items");
        let mut items = [PollItem::socket(&pull, PollEvents::POLLIN)];
        assert_eq!(poll(&mut items, Some(Duration::ZERO)).unwrap(), 0);
        push.send("m").unwrap();
        assert_eq!(poll(&mut items, Some(LONG)).unwrap(), 1);
        assert!(items[0].is_readable());
    });
}

#[test]
fn the_notification_fd_and_events_drive_an_external_loop() {
    within(LONG, || {
        let ctx = Context::new();
        let (pull, push) = pull_push(&ctx, "poll-fd");
        let fd = pull.fd().unwrap();
        #[cfg(unix)]
        assert!(fd >= 0);
        #[cfg(windows)]
        assert_ne!(fd, zmq::RawFd::MAX, "INVALID_SOCKET");
        assert!(!pull.events().unwrap().contains(PollEvents::POLLIN));
        push.send("m").unwrap();
        // Edge-triggered: wait on the fd, then ask `events` what is ready.
        let mut poller = Poller::new();
        poller.add_fd(fd, PollEvents::POLLIN, ()).unwrap();
        while !pull.events().unwrap().contains(PollEvents::POLLIN) {
            poller.wait(Some(LONG)).unwrap();
        }
        assert_eq!(pull.recv().unwrap(), "m");
    });
}
