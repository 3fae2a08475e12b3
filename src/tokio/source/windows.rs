//! The Windows readiness source: `ZMQ_FD` watched by one reactor thread.
//!
//! On Windows `ZMQ_FD` is a real, non-blocking socket: the read end of the
//! loopback pair libzmq's signaler writes a byte to when commands reach the
//! socket's mailbox, and reads again when the socket processes them (which
//! every `ZMQ_EVENTS` read, send and receive does). So "readable" is a level:
//! it stays true until libzmq has processed the commands.
//!
//! # Design, and why
//!
//! tokio has no `AsyncFd` on Windows, and its sockets (`TcpStream`...) own
//! what they wrap: they would close libzmq's socket on drop, and their
//! readiness can only be cleared through their own I/O calls, without the
//! "keep an edge that came after the guard" rule this module promises (see
//! [`super`]). Instead:
//!
//! - **One reactor thread per process** (`zmq-fd-reactor`, started on first
//!   use, never stopped: it owns no socket, only registrations) waits on a
//!   [`polling::Poller`] (IOCP and AFD polls underneath, as libzmq's own
//!   wepoll backend does, so it works wherever libzmq's I/O threads do,
//!   wine included). It is independent of any tokio runtime: sockets of
//!   several runtimes, or of a runtime that shuts down, are all served.
//! - **Oneshot interest, armed on demand.** A source is armed only when a
//!   task polls it while it is not marked ready; the poller fires once and
//!   disarms it. Because readability is a level, arming after a clear sees
//!   commands that arrived at any time before: no wake-up is lost, and an
//!   idle socket costs nothing.
//! - **Ticks.** Each event the reactor delivers bumps the source's tick;
//!   [`ReadyGuard::clear_ready`] removes the mark only if no event came after
//!   the guard was taken, as tokio's readiness does.
//! - **Wakers run after the locks are released**: the reactor collects them
//!   under the locks and calls them after, so a waker that polls or drops
//!   its future on the spot cannot deadlock with the reactor.
//! - Like `AsyncFd`, a source keeps one waker: that of the last poll.
//!
//! The cost per wait is a `modify` of the poller (one AFD poll), a `notify`
//! (see `poll_read_ready`) and a thread hop for the wake-up, paid only by
//! calls that must wait.

use std::collections::HashMap;
use std::os::windows::io::{BorrowedSocket, RawSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};

use polling::{Event, Events, Poller};

use crate::{Error, Result, Socket};

/// Readiness of one registered `ZMQ_FD`.
#[derive(Debug, Default)]
struct State {
    /// Marked readable (set by the reactor, cleared by a guard).
    ready: bool,
    /// Bumped by every event the reactor delivers.
    tick: u64,
    /// Interest is armed in the poller (oneshot: it disarms when it fires).
    armed: bool,
    /// The task to wake on the next event.
    waker: Option<Waker>,
}

/// One registration, shared by its [`FdSource`] and the reactor.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain flags behind, which
        // are still meaningful: keep going rather than poison every socket.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The process's reactor: the poller and who is registered with it.
struct Reactor {
    poller: Poller,
    sources: Mutex<HashMap<usize, Arc<Shared>>>,
    next_key: AtomicUsize,
}

impl Reactor {
    /// The reactor, started on first use.
    fn get() -> Result<&'static Reactor> {
        static REACTOR: OnceLock<std::result::Result<&'static Reactor, i32>> = OnceLock::new();
        let started = REACTOR.get_or_init(|| {
            let poller = Poller::new().map_err(|e| e.raw_os_error().unwrap_or(0))?;
            let reactor: &'static Reactor = Box::leak(Box::new(Reactor {
                poller,
                sources: Mutex::new(HashMap::new()),
                next_key: AtomicUsize::new(0),
            }));
            std::thread::Builder::new()
                .name("zmq-fd-reactor".into())
                .spawn(move || reactor.run())
                .map_err(|e| e.raw_os_error().unwrap_or(0))?;
            Ok(reactor)
        });
        started.map_err(|errno| {
            Error::new(errno, "zmq::tokio reactor")
                .context("could not start the ZMQ_FD reactor thread")
        })
    }

    fn sources(&self) -> MutexGuard<'_, HashMap<usize, Arc<Shared>>> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reactor thread: marks fired sources ready and wakes their tasks.
    fn run(&self) {
        let mut events = Events::new();
        let mut wakers = Vec::new();
        loop {
            events.clear();
            if let Err(e) = self.poller.wait(&mut events, None) {
                // Interrupted waits are retried; anything else would be a
                // bug in the poller's state. Retrying after a pause keeps
                // registered tasks alive (their next poll re-arms).
                if e.kind() != std::io::ErrorKind::Interrupted {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                continue;
            }
            {
                let sources = self.sources();
                for event in events.iter() {
                    if let Some(shared) = sources.get(&event.key) {
                        let mut state = shared.lock();
                        state.ready = true;
                        state.armed = false;
                        state.tick = state.tick.wrapping_add(1);
                        wakers.extend(state.waker.take());
                    }
                }
            }
            // After both locks are released: a waker may poll or drop its
            // future right here.
            for waker in wakers.drain(..) {
                waker.wake();
            }
        }
    }
}

/// A socket's `ZMQ_FD`, registered with the reactor. Its owner must drop it
/// before closing the socket.
#[derive(Debug)]
pub(crate) struct FdSource {
    socket: RawSocket,
    key: usize,
    shared: Arc<Shared>,
}

/// The fd is marked readable; see [`FdSource::poll_read_ready`].
pub(crate) struct ReadyGuard<'a> {
    source: &'a FdSource,
    tick: u64,
}

impl ReadyGuard<'_> {
    /// Removes the readable mark, unless an event came after this guard was
    /// taken.
    pub(crate) fn clear_ready(self) {
        let mut state = self.source.shared.lock();
        if state.tick == self.tick {
            state.ready = false;
        }
    }
}

impl FdSource {
    /// Registers `socket`'s `ZMQ_FD`: an error of kind
    /// [`InvalidState`](crate::ErrorKind::InvalidState) outside a tokio
    /// runtime, as on Unix (the reactor itself needs none, but the futures
    /// built on this source are tokio's). A runtime without tokio's I/O
    /// driver works here: this source does not use it.
    pub(crate) fn new(socket: &Socket) -> Result<FdSource> {
        let raw = socket.get(crate::opt::Fd)?;
        // SAFETY: ZMQ_FD stays open and the same while the socket is open,
        // and every owner of an FdSource drops it (deleting the
        // registration) before closing the socket.
        unsafe { FdSource::register(raw) }
    }

    /// Registers a libzmq-owned socket (`ZMQ_FD`, or a `zmq_poller`'s fd).
    ///
    /// # Safety
    /// `raw` must stay open, and be the same socket, until the returned
    /// source is dropped.
    pub(crate) unsafe fn register(raw: RawSocket) -> Result<FdSource> {
        let reactor = Reactor::get()?;
        let key = reactor.next_key.fetch_add(1, Ordering::Relaxed);
        // Starts marked ready, so the first wait checks ZMQ_EVENTS before it
        // sleeps (commands may have arrived before the registration).
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                ready: true,
                ..State::default()
            }),
        });
        reactor.sources().insert(key, Arc::clone(&shared));
        let added = super::register_with_runtime("Poller::add", || {
            // SAFETY: the caller keeps the socket open while the source
            // lives, and dropping the source deletes the registration.
            unsafe { reactor.poller.add(raw, Event::none(key)) }
        });
        if let Err(e) = added {
            reactor.sources().remove(&key);
            return Err(e);
        }
        Ok(FdSource {
            socket: raw,
            key,
            shared,
        })
    }

    /// The registered socket, borrowed for the poller's calls.
    fn borrowed(&self) -> BorrowedSocket<'_> {
        // SAFETY: the socket stays open while this source exists (see `register`).
        unsafe { BorrowedSocket::borrow_raw(self.socket) }
    }

    /// `Ready` with a guard while the fd is marked readable; otherwise
    /// registers `cx`'s waker for the next event and returns `Pending`.
    pub(crate) fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ReadyGuard<'a>>> {
        let mut state = self.shared.lock();
        if state.ready {
            return Poll::Ready(Ok(ReadyGuard {
                source: self,
                tick: state.tick,
            }));
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        if !state.armed {
            // Armed under the state lock: the reactor cannot deliver this
            // event before `armed` says so.
            let reactor = match Reactor::get() {
                Ok(reactor) => reactor,
                Err(e) => return Poll::Ready(Err(e)),
            };
            // polling applies a modify made while its wait is not inside the
            // kernel call at the start of the next wait, and checks which
            // applies before queueing: a modify racing the reactor's return
            // to its wait can stay queued while the wait sleeps forever.
            // notify() ends that wait, and the next one applies the queue.
            let armed = reactor
                .poller
                .modify(self.borrowed(), Event::readable(self.key))
                .and_then(|()| reactor.poller.notify());
            if let Err(e) = armed {
                state.waker = None;
                return Poll::Ready(Err(super::io_error(e, "Poller::modify")));
            }
            state.armed = true;
        }
        Poll::Pending
    }
}

impl Drop for FdSource {
    fn drop(&mut self) {
        if let Ok(reactor) = Reactor::get() {
            // An error here means the socket is no longer registered, which
            // is what dropping wants anyway.
            let _ = reactor.poller.delete(self.borrowed());
            reactor.sources().remove(&self.key);
        }
    }
}
