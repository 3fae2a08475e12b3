//! Turning `ZMQ_FD` into wake-ups for any number of waiting sends and receives.
//!
//! `ZMQ_FD` is not a data fd: it becomes readable (edge-triggered) when
//! libzmq's command mailbox for the socket receives something, and any libzmq
//! call on the socket may drain it while processing those commands. So:
//! - readiness of the fd only means "look at `ZMQ_EVENTS` again", and it is
//!   cleared only after `ZMQ_EVENTS` said the waiter's direction is not ready;
//! - a call made for one waiter can swallow the edge another waiter needed (a
//!   receive that processes an "activate write" command, tmq#50), so after
//!   every call, when others wait, `ZMQ_EVENTS` is read and the waiters of
//!   each ready direction are woken by us, not by the fd;
//! - tokio's `AsyncFd` keeps one waker per direction, so the fd is polled with
//!   a fan-out waker that wakes every registered send and receive waiter.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use ::tokio::io::unix::AsyncFd;
use ::tokio::io::Interest;

use crate::poll::PollEvents;
use crate::{Error, ErrorKind, Result, Socket};

/// Which way a waiter wants to move messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Recv = 0,
    Send = 1,
}

impl Direction {
    fn event(self) -> PollEvents {
        match self {
            Direction::Recv => PollEvents::POLLIN,
            Direction::Send => PollEvents::POLLOUT,
        }
    }
}

/// A `ZMQ_FD`, borrowed from its socket: libzmq owns and closes it, so this
/// newtype never does.
#[derive(Debug)]
pub(crate) struct ZmqFd(RawFd);

impl AsRawFd for ZmqFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Registers a socket's `ZMQ_FD` with the current tokio runtime. The caller
/// must drop the `AsyncFd` before closing the socket.
pub(crate) fn register(socket: &Socket) -> Result<AsyncFd<ZmqFd>> {
    if ::tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::with_kind(ErrorKind::InvalidState, "AsyncFd::new")
            .context("an async socket must be created inside a tokio runtime"));
    }
    let fd = socket.get(crate::opt::Fd)?;
    // SAFETY: ZMQ_FD stays open and the same while the socket is open, and
    // both owners (AsyncSocket, AsyncMonitor) declare the AsyncFd before the
    // socket, so it is dropped (deregistered) first; into_inner drops it
    // explicitly before handing the socket back.
    unsafe { AsyncFd::register_with_interest(ZmqFd(fd), Interest::READABLE) }
        .map_err(|e| io_error(e.into_parts().1, "AsyncFd::register"))
}

/// A tokio I/O error as ours: the errno when there is one.
pub(crate) fn io_error(error: std::io::Error, operation: &'static str) -> Error {
    match error.raw_os_error() {
        Some(errno) => Error::new(errno, operation),
        // tokio's only errno-less error here: the runtime is shutting down.
        None => Error::with_kind(ErrorKind::Terminated, operation)
            .context("the tokio runtime is shutting down"),
    }
}

/// One registered waiter: where its waker is kept.
#[derive(Default)]
struct Slot {
    in_use: bool,
    waker: Option<Waker>,
}

/// The waiters of one direction, in a slab so a dropped future removes
/// itself in O(1) and a re-polled one updates its waker in place.
#[derive(Default)]
struct WaiterList {
    slots: Vec<Slot>,
    free: Vec<usize>,
}

impl WaiterList {
    /// Stores `waker` for the waiter `key`, giving it a key if it has none;
    /// true if the waiter is new.
    fn register(&mut self, key: &mut Option<usize>, waker: &Waker) -> bool {
        if let Some(slot) = key.and_then(|k| self.slots.get_mut(k)) {
            match &slot.waker {
                Some(old) if old.will_wake(waker) => {}
                _ => slot.waker = Some(waker.clone()),
            }
            return false;
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        self.slots[index] = Slot {
            in_use: true,
            waker: Some(waker.clone()),
        };
        *key = Some(index);
        true
    }

    /// Forgets the waiter `key`; true if it was registered.
    fn remove(&mut self, key: &mut Option<usize>) -> bool {
        match key.take() {
            Some(index) if self.slots.get(index).is_some_and(|s| s.in_use) => {
                self.slots[index] = Slot::default();
                self.free.push(index);
                true
            }
            _ => false,
        }
    }

    /// Wakes every waiter but `except`. A woken waiter stays registered (its
    /// future re-registers its waker when polled) until it completes or drops.
    fn wake_all(&mut self, except: Option<usize>) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if Some(index) != except {
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
            }
        }
    }
}

/// The send and receive waiters of one socket. It is also the waker given to
/// the `AsyncFd`: an fd edge wakes every waiter, each of which then looks at
/// `ZMQ_EVENTS` itself.
#[derive(Default)]
pub(crate) struct Waiters {
    lists: Mutex<[WaiterList; 2]>,
    /// How many waiters are registered in both lists, readable without the
    /// lock: the fast path skips all of this when nobody waits.
    count: AtomicUsize,
}

impl Waiters {
    fn lists(&self) -> MutexGuard<'_, [WaiterList; 2]> {
        // A panic cannot leave the lists half-updated, so poisoning is moot.
        self.lists.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, direction: Direction, key: &mut Option<usize>, waker: &Waker) {
        if self.lists()[direction as usize].register(key, waker) {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Inline: every completed send and receive passes here, and most never
    /// registered (the cost of a call on that path is measurable).
    #[inline]
    pub(crate) fn unregister(&self, direction: Direction, key: &mut Option<usize>) {
        if key.is_some() {
            self.remove(direction, key);
        }
    }

    #[inline(never)]
    fn remove(&self, direction: Direction, key: &mut Option<usize>) {
        if self.lists()[direction as usize].remove(key) {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether anyone but the waiter `me` waits.
    #[inline]
    fn others_wait(&self, me: Option<usize>) -> bool {
        self.count.load(Ordering::Relaxed) > usize::from(me.is_some())
    }

    /// Wakes the waiters of every direction in `ready`, except `me` in `mine`.
    fn wake_ready(&self, ready: PollEvents, mine: Direction, me: Option<usize>) {
        let mut lists = self.lists();
        for direction in [Direction::Recv, Direction::Send] {
            if ready.contains(direction.event()) {
                let except = if direction == mine { me } else { None };
                lists[direction as usize].wake_all(except);
            }
        }
    }

    fn wake_everyone(&self) {
        let mut lists = self.lists();
        for list in lists.iter_mut() {
            list.wake_all(None);
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_everyone();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_everyone();
    }
}

/// The outcome of one non-blocking attempt: done (with a value or an error)
/// or not possible now.
pub(crate) type Attempt<T> = Result<Option<T>>;

/// A socket's readiness: its registered `ZMQ_FD` and its waiters.
pub(crate) struct Readiness {
    fd: AsyncFd<ZmqFd>,
    waiters: Arc<Waiters>,
    fan_out: Waker,
}

impl Readiness {
    pub(crate) fn new(socket: &Socket) -> Result<Readiness> {
        let waiters = Arc::new(Waiters::default());
        Ok(Readiness {
            fd: register(socket)?,
            fan_out: Waker::from(Arc::clone(&waiters)),
            waiters,
        })
    }

    #[inline]
    pub(crate) fn unregister(&self, direction: Direction, key: &mut Option<usize>) {
        self.waiters.unregister(direction, key);
    }

    /// After a call on the socket (ours or the user's): if others wait, the
    /// call may have drained the fd edge they wait for, so read `ZMQ_EVENTS`
    /// and wake the directions that are ready. Returns what it read, if it did.
    #[inline]
    pub(crate) fn after_call(
        &self,
        socket: &Socket,
        mine: Direction,
        me: Option<usize>,
    ) -> Option<Result<PollEvents>> {
        if !self.waiters.others_wait(me) {
            return None;
        }
        Some(self.wake_others(socket, mine, me))
    }

    /// The slow half of [`after_call`](Self::after_call): others wait.
    #[inline(never)]
    fn wake_others(
        &self,
        socket: &Socket,
        mine: Direction,
        me: Option<usize>,
    ) -> Result<PollEvents> {
        let events = socket.get(crate::opt::Events);
        match events {
            Ok(ready) => self.waiters.wake_ready(ready, mine, me),
            // Terminated (or worse): everyone must find out for themselves.
            Err(_) => self.waiters.wake_everyone(),
        }
        events
    }

    /// Drives one operation to completion: `attempt` runs under the socket's
    /// lock, never blocks, and hands its value over only when it returns
    /// `Ok(Some(_))` or an error, so dropping the future in between loses
    /// nothing. `key` is the waiter's registration, kept by its future (which
    /// must call [`unregister`](Self::unregister) when dropped).
    ///
    /// Inline, and only the first attempt: in a busy loop most sends and
    /// receives succeed at once, and there the layer's cost is the calls
    /// and moves around `attempt` (callgrind, 64-byte inproc throughput:
    /// 1,477 instructions per message with all of this out of line, 1,321
    /// inline, 901 for the blocking API). Waiting is [`wait`](Self::wait).
    #[inline]
    pub(crate) fn poll_with<T>(
        &self,
        socket: &Mutex<Socket>,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
        mut attempt: impl FnMut(&Socket) -> Attempt<T>,
    ) -> Poll<Result<T>> {
        let locked = lock(socket);
        match attempt(&locked) {
            Ok(Some(value)) => Poll::Ready(Ok(self.finish(&locked, direction, key, value))),
            Err(e) => Poll::Ready(Err(self.finish(&locked, direction, key, e))),
            Ok(None) => self.wait(locked, socket, cx, direction, key, attempt),
        }
    }

    /// After an attempt that completed, still under the lock: the waiter is
    /// gone, and the others are woken if the call readied their direction.
    #[inline]
    fn finish<V>(
        &self,
        locked: &Socket,
        direction: Direction,
        key: &mut Option<usize>,
        value: V,
    ) -> V {
        self.waiters.unregister(direction, key);
        self.after_call(locked, direction, None);
        value
    }

    /// The rest of [`poll_with`](Self::poll_with), entered with the lock on
    /// which `attempt` just found the socket not ready.
    #[inline(never)]
    fn wait<'s, T>(
        &self,
        mut locked: MutexGuard<'s, Socket>,
        socket: &'s Mutex<Socket>,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
        mut attempt: impl FnMut(&Socket) -> Attempt<T>,
    ) -> Poll<Result<T>> {
        // `ZMQ_EVENTS` can say ready when the attempt still cannot proceed (a
        // ROUTER with `RouterMandatory` says POLLOUT while one peer's pipe is
        // full): act on it once per poll, then yield to the scheduler.
        let mut retried = false;
        loop {
            // Here `attempt` has just failed under `locked`.
            let mut again = false;
            if let Some(Ok(ready)) = self.after_call(&locked, direction, *key) {
                if ready.contains(direction.event()) {
                    if retried {
                        self.waiters.register(direction, key, cx.waker());
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    retried = true;
                    again = true; // became ready meanwhile
                }
            }
            if !again {
                self.waiters.register(direction, key, cx.waker());
                drop(locked);
                match self.wait_for_fd(socket, cx, direction, *key, &mut retried) {
                    Wait::Pending => return Poll::Pending,
                    Wait::AttemptAgain => {}
                    Wait::Failed(e) => {
                        self.waiters.unregister(direction, key);
                        return Poll::Ready(Err(e));
                    }
                }
                locked = lock(socket);
            }
            match attempt(&locked) {
                Ok(Some(value)) => {
                    return Poll::Ready(Ok(self.finish(&locked, direction, key, value)))
                }
                Err(e) => return Poll::Ready(Err(self.finish(&locked, direction, key, e))),
                Ok(None) => {}
            }
        }
    }

    /// Waits for the fd to say "look again", then looks: `ZMQ_EVENTS`.
    /// Readiness is cleared only when libzmq says `direction` is not ready.
    fn wait_for_fd(
        &self,
        socket: &Mutex<Socket>,
        cx: &mut Context<'_>,
        direction: Direction,
        me: Option<usize>,
        retried: &mut bool,
    ) -> Wait {
        loop {
            let mut fan_out = Context::from_waker(&self.fan_out);
            let mut guard = match self.fd.poll_read_ready(&mut fan_out) {
                Poll::Pending => return Wait::Pending,
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => {
                    return Wait::Failed(io_error(e, "AsyncFd::poll_read_ready"))
                }
            };
            let locked = lock(socket);
            match locked.get(crate::opt::Events) {
                Ok(ready) => {
                    // The read may have processed commands that readied
                    // the other direction; waking costs a lock, so only
                    // when someone else waits.
                    if self.waiters.others_wait(me) {
                        self.waiters.wake_ready(ready, direction, me);
                    }
                    if ready.contains(direction.event()) {
                        if !*retried {
                            *retried = true;
                            return Wait::AttemptAgain;
                        }
                        cx.waker().wake_by_ref();
                        return Wait::Pending;
                    }
                    guard.clear_ready();
                }
                Err(e) => {
                    self.waiters.wake_everyone();
                    return Wait::Failed(e);
                }
            }
        }
    }
}

/// What waiting on the fd came to.
enum Wait {
    /// Registered; a wake-up will come.
    Pending,
    /// libzmq says the direction is ready: attempt again.
    AttemptAgain,
    /// The socket or the runtime failed (e.g. the context was terminated).
    Failed(Error),
}

/// Locks a socket. A panic inside [`with_socket`](super::AsyncSocket::with_socket)
/// cannot corrupt it (libzmq's state is not ours to tear), so poisoning is moot.
#[inline]
pub(crate) fn lock(socket: &Mutex<Socket>) -> MutexGuard<'_, Socket> {
    socket.lock().unwrap_or_else(PoisonError::into_inner)
}
