//! A model check of the async layer's wake-up logic (src/tokio/waiters.rs,
//! included as it is, with loom's `Mutex` and atomics in place of `std`'s).
//!
//! libzmq is replaced by a model with the one behaviour that makes the logic
//! hard: `ZMQ_FD` is a signal that *any* call on the socket drains while it
//! processes the socket's pending commands, and the reactor reports an edge
//! only if the signal is still there when it looks (epoll re-checks an
//! edge-triggered fd before reporting it). A peer delivers commands (a
//! message to receive, room to send), a reactor thread turns signals into
//! marks and wake-ups, and tasks wait on the socket through the real
//! `Readiness::poll_with`. loom runs every interleaving (up to its preemption
//! bound); a lost wake-up leaves a task blocked forever, which loom reports
//! as a deadlock, and a spin exceeds its branch limit.
//!
//! The properties, one model each:
//! - a receive and a send waiting on one socket are both woken, whichever
//!   call drains the signal (tmq#50: a receive consuming the edge of an
//!   "activate write");
//! - two receives on one socket each get a message (the queue's head hands
//!   over to the next);
//! - a send whose POLLOUT proves nothing (ROUTER, XPUB, STREAM) still wakes
//!   when room comes, and a receive beside it is not starved;
//! - a failing socket (a terminated context) ends every waiter with the error;
//! - a waiter dropped while it is the head passes its turn on.

#![allow(dead_code)]

mod primitives {
    pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Mutex, MutexGuard};

    pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap()
    }
}

#[path = "../src/tokio/waiters.rs"]
mod waiters;

use std::future::poll_fn;
use std::task::{Context, Poll, Waker};

use loom::sync::{Arc, Condvar, Mutex};
use primitives::lock;
use waiters::{Attempt, Clearable, Direction, Readiness, Ready, SendReadiness, Source};

/// The model's only error: the context was terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Terminated;

/// What travels between the peer, the socket and the reactor outside the
/// socket's lock: libzmq's command pipe and its signal.
#[derive(Default)]
struct Wire {
    /// Commands not yet processed: messages that arrived, room that opened.
    arrived: usize,
    room_opened: usize,
    terminated: bool,
    /// The signal (eventfd) is set: commands wait.
    signal: bool,
    /// The reactor has an edge to look at.
    edge: bool,
    /// The model is over: the reactor stops.
    done: bool,
}

/// The socket as the tasks see it, behind the socket's lock.
struct Socket {
    wire: Arc<Mutex<Wire>>,
    messages: usize,
    room: usize,
    terminated: bool,
}

impl Socket {
    /// What every libzmq call does first: process the pending commands,
    /// which drains the signal.
    fn process_commands(&mut self) {
        let mut wire = lock(&self.wire);
        self.messages += std::mem::take(&mut wire.arrived);
        self.room += std::mem::take(&mut wire.room_opened);
        self.terminated |= wire.terminated;
        wire.signal = false;
    }
}

/// The socket as the calls get it: under the socket's lock (taken by
/// `poll_with`), mutable through the cell.
type Locked = std::cell::RefCell<Socket>;

fn events(socket: &Locked) -> Result<Ready, Terminated> {
    let mut socket = socket.borrow_mut();
    socket.process_commands();
    if socket.terminated {
        return Err(Terminated);
    }
    Ok(Ready {
        recv: socket.messages > 0,
        send: socket.room > 0,
    })
}

fn try_recv(socket: &Locked) -> Attempt<(), Terminated> {
    let mut socket = socket.borrow_mut();
    socket.process_commands();
    if socket.terminated {
        return Err(Terminated);
    }
    if socket.messages > 0 {
        socket.messages -= 1;
        return Ok(Some(()));
    }
    Ok(None)
}

fn try_send(socket: &Locked) -> Attempt<(), Terminated> {
    let mut socket = socket.borrow_mut();
    socket.process_commands();
    if socket.terminated {
        return Err(Terminated);
    }
    if socket.room > 0 {
        socket.room -= 1;
        return Ok(Some(()));
    }
    Ok(None)
}

/// The peer: delivers a command, and signals if none was pending (libzmq's
/// mailbox signals only when its reader may be asleep).
fn deliver(wire: &Mutex<Wire>, bell: &Condvar, change: impl FnOnce(&mut Wire)) {
    let mut wire = lock(wire);
    change(&mut wire);
    if !wire.signal {
        wire.signal = true;
        wire.edge = true;
        bell.notify_one();
    }
}

/// The reactor of `h` on its own thread, until [`stop`].
fn start_reactor(h: &Harness) -> loom::thread::JoinHandle<()> {
    let (wire, bell, fd) = (Arc::clone(&h.wire), Arc::clone(&h.bell), Arc::clone(&h.fd));
    loom::thread::spawn(move || reactor(wire, bell, fd))
}

/// Ends the reactor.
fn stop(h: &Harness) {
    lock(&h.wire).done = true;
    h.bell.notify_one();
}

/// The fd's mark as the reactor keeps it (tokio's readiness with its tick).
#[derive(Default)]
struct Mark {
    marked: bool,
    tick: usize,
    waker: Option<Waker>,
}

struct ModelFd {
    mark: Mutex<Mark>,
}

struct Guard<'a> {
    fd: &'a ModelFd,
    tick: usize,
}

impl Clearable for Guard<'_> {
    fn clear_ready(self) {
        let mut mark = lock(&self.fd.mark);
        if mark.tick == self.tick {
            mark.marked = false;
        }
    }
}

impl ModelFd {
    fn poll_mark<'a>(&'a self, cx: &mut Context<'_>) -> Poll<Result<Guard<'a>, Terminated>> {
        let mut mark = lock(&self.mark);
        if mark.marked {
            return Poll::Ready(Ok(Guard {
                fd: self,
                tick: mark.tick,
            }));
        }
        mark.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// The reactor: reports an edge only if the signal is still set when it
/// looks, as epoll does for an edge-triggered fd. It sleeps until the peer
/// signals (or the model is done), so that loom does not explore a spin.
fn reactor(wire: Arc<Mutex<Wire>>, bell: Arc<Condvar>, fd: Arc<ModelFd>) {
    loop {
        let report = {
            let mut state = lock(&wire);
            while !state.edge && !state.done {
                state = bell.wait(state).unwrap();
            }
            if state.done && !state.edge {
                return;
            }
            state.edge = false;
            state.signal
        };
        if report {
            let waker = {
                let mut mark = lock(&fd.mark);
                mark.marked = true;
                mark.tick += 1;
                mark.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

struct Harness {
    wire: Arc<Mutex<Wire>>,
    bell: Arc<Condvar>,
    socket: Arc<Mutex<Locked>>,
    readiness: Arc<Readiness<Arc<ModelFd>>>,
    fd: Arc<ModelFd>,
}

impl Source for Arc<ModelFd> {
    type Error = Terminated;
    type Guard<'a> = Guard<'a>;

    fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<Result<Guard<'a>, Terminated>> {
        self.poll_mark(cx)
    }
}

fn harness(sends: SendReadiness, messages: usize, room: usize) -> Harness {
    let wire = Arc::new(Mutex::new(Wire::default()));
    let fd = Arc::new(ModelFd {
        mark: Mutex::new(Mark::default()),
    });
    Harness {
        socket: Arc::new(Mutex::new(std::cell::RefCell::new(Socket {
            wire: Arc::clone(&wire),
            messages,
            room,
            terminated: false,
        }))),
        readiness: Arc::new(Readiness::new(Arc::clone(&fd), sends)),
        fd,
        wire,
        bell: Arc::new(Condvar::new()),
    }
}

/// One task's operation, to completion.
fn run(h: &Harness, direction: Direction) -> Result<(), Terminated> {
    let mut key = None;
    let outcome = loom::future::block_on(poll_fn(|cx| {
        let attempt = match direction {
            Direction::Recv => try_recv,
            Direction::Send => try_send,
        };
        h.readiness
            .poll_with(&*h.socket, events, cx, direction, &mut key, attempt)
    }));
    h.readiness.unregister(direction, &mut key);
    outcome
}

/// Runs `tasks` (each one operation) against a peer that makes `deliveries`,
/// with the reactor beside them.
fn check(
    sends: SendReadiness,
    tasks: Vec<Direction>,
    deliveries: Vec<fn(&mut Wire)>,
    expect: Result<(), Terminated>,
) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(move || {
        let h = Arc::new(harness(sends, 0, 0));
        let reactor_thread = start_reactor(&h);
        let peer = {
            let h = Arc::clone(&h);
            let deliveries = deliveries.clone();
            loom::thread::spawn(move || {
                for change in deliveries {
                    deliver(&h.wire, &h.bell, change);
                }
            })
        };
        let workers: Vec<_> = tasks
            .iter()
            .skip(1)
            .map(|&direction| {
                let h = Arc::clone(&h);
                loom::thread::spawn(move || run(&h, direction))
            })
            .collect();
        assert_eq!(run(&h, tasks[0]), expect);
        for worker in workers {
            assert_eq!(worker.join().unwrap(), expect);
        }
        peer.join().unwrap();
        stop(&h);
        reactor_thread.join().unwrap();
    });
}

fn a_message(wire: &mut Wire) {
    wire.arrived += 1;
}

fn room(wire: &mut Wire) {
    wire.room_opened += 1;
}

fn terminate(wire: &mut Wire) {
    wire.terminated = true;
}

/// The models. Their names start with `model_check::` so that a CI run
/// which already ran them (on another build of the same code) can skip
/// them by name.
mod model_check {
    use super::*;

    #[test]
    fn a_receive_and_a_send_both_wake_whoever_drains_the_signal() {
        check(
            SendReadiness::Exact,
            vec![Direction::Recv, Direction::Send],
            vec![room, a_message],
            Ok(()),
        );
    }

    #[test]
    fn two_receives_each_get_their_message() {
        check(
            SendReadiness::Exact,
            vec![Direction::Recv, Direction::Recv],
            vec![a_message, a_message],
            Ok(()),
        );
    }

    #[test]
    fn an_inexact_send_wakes_when_room_comes_beside_a_receive() {
        check(
            SendReadiness::Inexact,
            vec![Direction::Send, Direction::Recv],
            vec![a_message, room],
            Ok(()),
        );
    }

    #[test]
    fn termination_ends_every_waiter() {
        check(
            SendReadiness::Exact,
            vec![Direction::Recv, Direction::Send],
            vec![terminate],
            Err(Terminated),
        );
    }

    /// tmq#50: a receive that is polled once and dropped (a lost `select!`)
    /// drains the signal of the room a waiting send needs; the send must still
    /// wake.
    #[test]
    fn a_receive_that_drains_the_edge_of_a_waiting_send_wakes_it() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let h = Arc::new(harness(SendReadiness::Exact, 0, 0));
            let reactor_thread = start_reactor(&h);
            let sender = {
                let h = Arc::clone(&h);
                loom::thread::spawn(move || run(&h, Direction::Send))
            };
            let peer = {
                let h = Arc::clone(&h);
                loom::thread::spawn(move || deliver(&h.wire, &h.bell, room))
            };
            // One poll of a receive, then it is dropped.
            let mut key = None;
            loom::future::block_on(poll_fn(|cx| {
                let _ = h.readiness.poll_with(
                    &*h.socket,
                    events,
                    cx,
                    Direction::Recv,
                    &mut key,
                    try_recv,
                );
                Poll::Ready(())
            }));
            h.readiness.unregister(Direction::Recv, &mut key);
            peer.join().unwrap();
            assert_eq!(sender.join().unwrap(), Ok(()));
            stop(&h);
            reactor_thread.join().unwrap();
        });
    }

    #[test]
    fn a_head_dropped_while_waiting_passes_its_turn_on() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let h = Arc::new(harness(SendReadiness::Exact, 0, 0));
            let reactor_thread = start_reactor(&h);
            // A head registers and gives up without being polled again.
            let mut head = None;
            let first = loom::future::block_on(async {
                poll_fn(|cx| {
                    let poll = h.readiness.poll_with(
                        &*h.socket,
                        events,
                        cx,
                        Direction::Recv,
                        &mut head,
                        try_recv,
                    );
                    Poll::Ready(poll.is_pending())
                })
                .await
            });
            assert!(first, "nothing to receive yet");
            let second = {
                let h = Arc::clone(&h);
                loom::thread::spawn(move || run(&h, Direction::Recv))
            };
            deliver(&h.wire, &h.bell, a_message);
            h.readiness.unregister(Direction::Recv, &mut head);
            assert_eq!(second.join().unwrap(), Ok(()));
            stop(&h);
            reactor_thread.join().unwrap();
        });
    }
}
