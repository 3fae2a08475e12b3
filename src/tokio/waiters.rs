//! Who waits on a socket, and who is woken when: the wake-up logic of the
//! async layer, kept free of libzmq and tokio so that a model checker can
//! run it (tests/loom_waiters.rs includes this file with loom's primitives
//! in place of `std::sync`).
//!
//! # What libzmq gives us
//! `ZMQ_FD` is not a data fd. It becomes readable (an edge) when a command
//! reaches the socket's mailbox while the socket is idle, and *any* call on
//! the socket may process those commands and drain it. `ZMQ_EVENTS` says
//! whether a receive or a send could proceed now, and it processes every
//! pending command first. Two facts shape everything below:
//! - **An edge can be consumed by the wrong call.** A call made for one
//!   waiter can process the command another waiter needed, and drain the fd
//!   before the reactor saw it (tmq#50). So after every call made while
//!   others wait, `ZMQ_EVENTS` is read and the waiters of each ready
//!   direction are woken by us, not by the fd.
//! - **`ZMQ_EVENTS` may say writable while a send fails.** XPUB with
//!   `XpubNodrop`, STREAM and ROUTER with `RouterMandatory` route each
//!   message to particular peers; POLLOUT says that *some* message could
//!   go. For those types only a send attempt tells ([`SendReadiness::Inexact`]).
//!
//! # The rules
//! 1. **One armed waiter per direction.** Waiters queue per direction, first
//!    come first served. Only the head of each queue is woken by edges and by
//!    other tasks' calls; the next in line is woken when the head completes
//!    or is dropped. Two waiters of one direction therefore never wake each
//!    other in a loop (a failed send on a mandatory ROUTER would otherwise
//!    wake the other sender, whose failure wakes the first...).
//! 2. **The mark on the fd is cleared only after a call made under it has
//!    failed.** A head takes the fd's readiness guard, then *settles*: it
//!    makes the call that processes every command pending when the guard was
//!    taken and then decides: `ZMQ_EVENTS`, then the attempt if it said the
//!    direction is ready (for the inexact sends below, the attempt decides).
//!    Only if that fails is the mark cleared. An edge that
//!    comes later survives the clear, so no wake-up is lost and none is
//!    repeated: a waiter that cannot proceed sleeps until the next edge,
//!    whatever `ZMQ_EVENTS` says.
//! 3. **Others are woken by what `ZMQ_EVENTS` says after a call**, excluding
//!    the caller: the receive head if POLLIN, the send head if POLLOUT. A
//!    failed call wakes the other direction only when it is ready, which for
//!    a receive means a message is there (progress), so no pair of waiters
//!    can wake each other forever.
//! 4. **Every error from a call on the socket ends the future that made it
//!    and wakes every waiter** (a terminated context: each finds out with its
//!    own call).
//! 5. **Wakers run after every lock is released.** They are collected in a
//!    [`WakeList`] while the locks are held; a waker may poll or drop its
//!    future on the spot.
//!
//! # What is assumed
//! A libzmq call processes the commands that are pending when it starts,
//! before it decides. The one call that breaks this is a send, which
//! processes commands at most once per millisecond (libzmq's throttle):
//! sends are therefore always settled after a `ZMQ_EVENTS` read, which
//! processes them unthrottled.

use std::collections::VecDeque;
use std::task::{Context, Poll, Wake, Waker};

use std::sync::Arc;

use super::primitives::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};

/// Which way a waiter wants to move messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Recv = 0,
    Send = 1,
}

/// What `ZMQ_EVENTS` said, in the two bits that matter here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// POLLIN: a receive would succeed.
    pub(crate) recv: bool,
    /// POLLOUT: a send could proceed (see [`SendReadiness`]).
    pub(crate) send: bool,
}

impl Ready {
    fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Recv => self.recv,
            Direction::Send => self.send,
        }
    }
}

/// Whether POLLOUT from `ZMQ_EVENTS` is the truth for every send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendReadiness {
    /// POLLOUT means the next send succeeds (PUSH, DEALER, REQ, PAIR, ...).
    Exact,
    /// POLLOUT means some send could: only an attempt tells (ROUTER, STREAM,
    /// XPUB, which route each message to particular peers).
    Inexact,
}

/// Wakers collected under a lock, to be woken once it is released. Room for
/// the usual two (one head per direction) without allocating.
#[derive(Default)]
pub(crate) struct WakeList {
    inline: [Option<Waker>; 2],
    more: Vec<Waker>,
}

impl WakeList {
    fn push(&mut self, waker: Waker) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(waker),
            None => self.more.push(waker),
        }
    }

    /// Wakes everything collected. Call with no lock held. Inline for the
    /// usual case, an empty list: every wait path ends here.
    #[inline]
    pub(crate) fn wake(self) {
        if self.inline[0].is_some() {
            self.wake_all();
        }
    }

    #[inline(never)]
    fn wake_all(self) {
        let WakeList { inline, more } = self;
        let [first, second] = inline;
        for waker in [first, second].into_iter().flatten() {
            waker.wake();
        }
        for waker in more {
            waker.wake();
        }
    }
}

/// One direction's waiters, in arrival order. A waiter's key indexes its
/// slot; the queue holds the keys, its front is the head.
#[derive(Default)]
struct Queue {
    /// `Some` while the key is taken; the inner `Option` is the waker not
    /// yet woken.
    slots: Vec<Option<Option<Waker>>>,
    free: Vec<usize>,
    order: VecDeque<usize>,
}

impl Queue {
    /// Stores `waker` for `key` (queued at the back if new); true if the
    /// waiter was new.
    fn register(&mut self, key: &mut Option<usize>, waker: &Waker) -> bool {
        if let Some(Some(stored)) = key.and_then(|k| self.slots.get_mut(k)) {
            match stored {
                Some(old) if old.will_wake(waker) => {}
                _ => *stored = Some(waker.clone()),
            }
            return false;
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[index] = Some(Some(waker.clone()));
        self.order.push_back(index);
        *key = Some(index);
        true
    }

    fn head(&self) -> Option<usize> {
        self.order.front().copied()
    }

    /// Forgets `key`; if it was the head, the new head's waker goes to
    /// `wakes`. True if it was registered.
    fn remove(&mut self, key: &mut Option<usize>, wakes: &mut WakeList) -> bool {
        let Some(index) = key.take() else {
            return false;
        };
        if !matches!(self.slots.get(index), Some(Some(_))) {
            return false;
        }
        self.slots[index] = None;
        self.free.push(index);
        let was_head = self.head() == Some(index);
        if let Some(position) = self.order.iter().position(|&k| k == index) {
            self.order.remove(position);
        }
        if was_head {
            self.wake_head(None, wakes);
        }
        true
    }

    /// The head's waker to `wakes`, unless the head is `except`.
    fn wake_head(&mut self, except: Option<usize>, wakes: &mut WakeList) {
        if let Some(head) = self.head() {
            if Some(head) != except {
                if let Some(Some(waker)) = self.slots[head].as_mut().map(Option::take) {
                    wakes.push(waker);
                }
            }
        }
    }

    fn wake_everyone(&mut self, except: Option<usize>, wakes: &mut WakeList) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if Some(index) != except {
                if let Some(Some(waker)) = slot.as_mut().map(Option::take) {
                    wakes.push(waker);
                }
            }
        }
    }
}

/// The send and receive waiters of one socket. It is also the waker given to
/// the fd: an edge wakes the head of each direction.
#[derive(Default)]
pub(crate) struct Waiters {
    queues: Mutex<[Queue; 2]>,
    /// How many waiters are registered in both queues, readable without the
    /// lock: the fast path skips all of this when nobody waits.
    count: AtomicUsize,
}

impl Waiters {
    fn queues(&self) -> MutexGuard<'_, [Queue; 2]> {
        lock(&self.queues)
    }

    /// Registers (or refreshes) a waiter; true if it is its queue's head.
    fn register(&self, direction: Direction, key: &mut Option<usize>, waker: &Waker) -> bool {
        let mut queues = self.queues();
        let queue = &mut queues[direction as usize];
        if queue.register(key, waker) {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        queue.head() == *key
    }

    /// Forgets a waiter; if it was a head, the next in line is woken.
    pub(crate) fn unregister(&self, direction: Direction, key: &mut Option<usize>) {
        if key.is_some() {
            let mut wakes = WakeList::default();
            self.remove(direction, key, &mut wakes);
            wakes.wake();
        }
    }

    fn remove(&self, direction: Direction, key: &mut Option<usize>, wakes: &mut WakeList) {
        if self.queues()[direction as usize].remove(key, wakes) {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether anyone but `me` waits (`me` is `None` for a caller that does
    /// not wait).
    #[inline]
    fn others_wait(&self, me: Option<usize>) -> bool {
        self.count.load(Ordering::Relaxed) > usize::from(me.is_some())
    }

    /// The heads of the directions `ready` has, except `me`, to `wakes`.
    fn wake_heads(&self, ready: Ready, me: Option<(Direction, usize)>, wakes: &mut WakeList) {
        let mut queues = self.queues();
        for direction in [Direction::Recv, Direction::Send] {
            if ready.has(direction) {
                let except = me.filter(|(d, _)| *d == direction).map(|(_, k)| k);
                queues[direction as usize].wake_head(except, wakes);
            }
        }
    }

    fn wake_everyone(&self, me: Option<(Direction, usize)>, wakes: &mut WakeList) {
        let mut queues = self.queues();
        for direction in [Direction::Recv, Direction::Send] {
            let except = me.filter(|(d, _)| *d == direction).map(|(_, k)| k);
            queues[direction as usize].wake_everyone(except, wakes);
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut wakes = WakeList::default();
        self.wake_heads(
            Ready {
                recv: true,
                send: true,
            },
            None,
            &mut wakes,
        );
        wakes.wake();
    }
}

/// The fd's readiness mark, as [`Readiness`] needs it (tokio's `AsyncFd` on
/// Unix; a model in the loom test).
pub(crate) trait Source {
    /// What a failed poll of the fd, or a failed call on the socket, gives.
    type Error;
    /// Proof that the fd is marked readable.
    type Guard<'a>: Clearable
    where
        Self: 'a;
    /// `Ready` while the fd is marked; otherwise registers `cx`'s waker for
    /// the next edge.
    fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::Guard<'a>, Self::Error>>;
}

/// A readiness guard's one operation.
pub(crate) trait Clearable {
    /// Removes the mark, unless an edge came after the guard was taken.
    fn clear_ready(self);
}

/// The outcome of one non-blocking attempt: done (with a value or an error)
/// or not possible now.
pub(crate) type Attempt<T, E> = Result<Option<T>, E>;

/// How many marks one poll settles before it yields: each needs a new edge,
/// so this only bounds a storm of them.
const MAX_ROUNDS: usize = 8;

/// A socket's readiness: its fd's mark and its waiters.
pub(crate) struct Readiness<F> {
    source: F,
    waiters: Arc<Waiters>,
    fan_out: Waker,
    sends: SendReadiness,
}

impl<F: Source> Readiness<F> {
    /// Readiness from `source`, for a socket whose POLLOUT is `sends`.
    pub(crate) fn new(source: F, sends: SendReadiness) -> Readiness<F> {
        let waiters = Arc::new(Waiters::default());
        Readiness {
            source,
            fan_out: Waker::from(Arc::clone(&waiters)),
            waiters,
            sends,
        }
    }

    /// Forgets the waiter `key` of a future that will not be polled again.
    #[inline]
    pub(crate) fn unregister(&self, direction: Direction, key: &mut Option<usize>) {
        self.waiters.unregister(direction, key);
    }

    /// After a call on the socket that is not a send or receive of ours (a
    /// `with_socket` closure): it may have processed the commands others
    /// wait for, so when anyone waits, look and wake.
    pub(crate) fn after_call<S>(&self, locked: &S, events: impl Fn(&S) -> Result<Ready, F::Error>) {
        if self.waiters.others_wait(None) {
            let mut wakes = WakeList::default();
            // On an error everyone is woken to find it out with their own
            // call; the caller's closure has its own result.
            let _ = self.look_and_wake(locked, &events, None, &mut wakes);
            wakes.wake();
        }
    }

    /// Reads `ZMQ_EVENTS` for the others and wakes the heads it readies; on
    /// an error, everyone. Returns what it read.
    fn look_and_wake<S>(
        &self,
        locked: &S,
        events: &impl Fn(&S) -> Result<Ready, F::Error>,
        me: Option<(Direction, usize)>,
        wakes: &mut WakeList,
    ) -> Result<Ready, F::Error> {
        let looked = events(locked);
        match &looked {
            Ok(ready) => self.waiters.wake_heads(*ready, me, wakes),
            Err(_) => self.waiters.wake_everyone(me, wakes),
        }
        looked
    }

    /// Drives one operation to completion: `attempt` runs under the socket's
    /// lock, never blocks, and hands its value over only when it returns
    /// `Ok(Some(_))` or an error, so dropping the future in between loses
    /// nothing. `key` is the waiter's registration, kept by its future (which
    /// must call [`unregister`](Self::unregister) when dropped).
    ///
    /// Inline, and only the first attempt: in a busy loop most sends and
    /// receives succeed at once. Waiting is [`wait`](Self::wait).
    #[inline]
    pub(crate) fn poll_with<S, T>(
        &self,
        socket: &Mutex<S>,
        events: impl Fn(&S) -> Result<Ready, F::Error>,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
        mut attempt: impl FnMut(&S) -> Attempt<T, F::Error>,
    ) -> Poll<Result<T, F::Error>> {
        let locked = lock(socket);
        let done = match attempt(&locked) {
            Ok(Some(value)) => Ok(value),
            Err(e) => Err(e),
            Ok(None) => return self.wait(locked, &events, cx, direction, key, attempt),
        };
        if key.is_none() && !self.waiters.others_wait(None) {
            return Poll::Ready(done);
        }
        let mut wakes = WakeList::default();
        self.finish(&*locked, &events, direction, key, &mut wakes);
        drop(locked);
        wakes.wake();
        Poll::Ready(done)
    }

    /// After an operation completed, under the lock: the waiter is gone (its
    /// successor woken), and the others are woken if the call readied their
    /// direction.
    #[inline(never)]
    fn finish<S>(
        &self,
        locked: &S,
        events: &impl Fn(&S) -> Result<Ready, F::Error>,
        direction: Direction,
        key: &mut Option<usize>,
        wakes: &mut WakeList,
    ) {
        self.waiters.remove(direction, key, wakes);
        if self.waiters.others_wait(None) {
            // An error here is the others' to find: they are all woken.
            let _ = self.look_and_wake(locked, events, None, wakes);
        }
    }

    /// The rest of [`poll_with`](Self::poll_with), entered with the lock on
    /// which `attempt` just failed.
    #[inline(never)]
    fn wait<S, T>(
        &self,
        locked: MutexGuard<'_, S>,
        events: &impl Fn(&S) -> Result<Ready, F::Error>,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
        mut attempt: impl FnMut(&S) -> Attempt<T, F::Error>,
    ) -> Poll<Result<T, F::Error>> {
        let mut wakes = WakeList::default();
        let outcome = self.wait_locked(
            &*locked,
            events,
            cx,
            direction,
            key,
            &mut attempt,
            &mut wakes,
        );
        if outcome.is_ready() {
            self.finish(&*locked, events, direction, key, &mut wakes);
        }
        drop(locked);
        wakes.wake();
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    fn wait_locked<S, T>(
        &self,
        locked: &S,
        events: &impl Fn(&S) -> Result<Ready, F::Error>,
        cx: &mut Context<'_>,
        direction: Direction,
        key: &mut Option<usize>,
        attempt: &mut impl FnMut(&S) -> Attempt<T, F::Error>,
        wakes: &mut WakeList,
    ) -> Poll<Result<T, F::Error>> {
        let is_head = self.waiters.register(direction, key, cx.waker());
        let me = key.map(|k| (direction, k));
        // The failed attempt may have consumed an edge others wait for.
        if self.waiters.others_wait(*key) {
            match self.look_and_wake(locked, events, me, wakes) {
                // The look processed commands: one of them may be ours.
                Ok(ready) if is_head && ready.has(direction) => match attempt(locked) {
                    Ok(None) => {}
                    Ok(Some(value)) => return Poll::Ready(Ok(value)),
                    Err(e) => return Poll::Ready(Err(e)),
                },
                Ok(_) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        if !is_head {
            // Woken when it is first in line (or on an error).
            return Poll::Pending;
        }
        for _ in 0..MAX_ROUNDS {
            let mut fan_out = Context::from_waker(&self.fan_out);
            let guard = match self.source.poll_read_ready(&mut fan_out) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => {
                    self.waiters.wake_everyone(me, wakes);
                    return Poll::Ready(Err(e));
                }
            };
            match self.settle(locked, events, direction, me, attempt, wakes) {
                Ok(None) => guard.clear_ready(),
                Ok(Some(value)) => return Poll::Ready(Ok(value)),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        // Edge after edge: let the scheduler run others, then look again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Under a fresh mark of the fd: makes the call that processes every
    /// command pending when the mark was taken, then decides. `Ok(None)`:
    /// the mark may be cleared.
    fn settle<S, T>(
        &self,
        locked: &S,
        events: &impl Fn(&S) -> Result<Ready, F::Error>,
        direction: Direction,
        me: Option<(Direction, usize)>,
        attempt: &mut impl FnMut(&S) -> Attempt<T, F::Error>,
        wakes: &mut WakeList,
    ) -> Attempt<T, F::Error> {
        // Up to twice (then the next edge decides): look, which processes
        // every pending command unthrottled and wakes the others it readies;
        // attempt only if the look says this direction can proceed. A look
        // costs libzmq less than a failed receive (which also tries its
        // pipes twice), so a receive looks first too.
        for _ in 0..2 {
            if !self
                .look_and_wake(locked, events, me, wakes)?
                .has(direction)
            {
                return Ok(None);
            }
            if let Some(value) = attempt(locked)? {
                return Ok(Some(value));
            }
            // POLLOUT proves nothing for these: the failed attempt decides.
            if direction == Direction::Send && self.sends == SendReadiness::Inexact {
                return Ok(None);
            }
        }
        Ok(None)
    }
}
