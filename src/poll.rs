//! Waiting on several sockets and file descriptors at once.
//!
//! Two ways to wait:
//! - [`poll`] over a slice of [`PollItem`]s, one call (`zmq_poll`);
//! - a reusable [`Poller`] that remembers what is registered, each with a
//!   token of your type, and reports which tokens are ready. A wait allocates
//!   nothing. It is built on `zmq_poll`, or on libzmq's `zmq_poller` when the
//!   `draft` feature is on.
//!
//! For an external event loop, [`Socket::fd`] and [`Socket::events`] expose
//! libzmq's edge-triggered notification descriptor.
//!
//! The module is private: its items are public at the crate root (one path
//! each, `zmq::poll` being the function).

use crate::error::{Error, ErrorKind, Result};
use crate::socket::Socket;
use crate::RawFd;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

bitflags::bitflags! {
    /// What to wait for, or what is ready (`ZMQ_POLLIN`, `ZMQ_POLLOUT`, ...).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct PollEvents: i16 {
        /// A message can be received (or the fd is readable).
        const POLLIN = zmq_sys::ZMQ_POLLIN as i16;
        /// A message can be sent (or the fd is writable).
        const POLLOUT = zmq_sys::ZMQ_POLLOUT as i16;
        /// An error condition on a raw fd.
        const POLLERR = zmq_sys::ZMQ_POLLERR as i16;
        /// Urgent data on a raw fd.
        const POLLPRI = zmq_sys::ZMQ_POLLPRI as i16;
    }
}

/// Converts a poll timeout to libzmq's milliseconds: `None` waits forever
/// (-1); a non-zero duration is rounded up so that a sub-millisecond wait
/// does not become a busy loop.
pub(crate) fn timeout_millis(timeout: Option<Duration>) -> libc::c_long {
    match timeout {
        None => -1,
        Some(d) => {
            let millis = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            libc::c_long::try_from(millis).unwrap_or(libc::c_long::MAX)
        }
    }
}

/// Runs a libzmq wait with a timeout, retrying `EINTR` with the time that is
/// left. `wait` gets the timeout in milliseconds and returns libzmq's result.
fn retry_wait(
    timeout: Option<Duration>,
    operation: &'static str,
    mut wait: impl FnMut(libc::c_long) -> libc::c_int,
) -> Result<usize> {
    // The clock is read only for a finite, non-zero timeout, and only used
    // again after an interruption.
    let started = timeout.filter(|t| !t.is_zero()).map(|_| Instant::now());
    let mut left = timeout;
    loop {
        let rc = wait(timeout_millis(left));
        if rc >= 0 {
            return Ok(rc as usize);
        }
        let err = Error::last(operation);
        match err.kind() {
            ErrorKind::Interrupted => {
                if let (Some(started), Some(timeout)) = (started, timeout) {
                    left = Some(timeout.saturating_sub(started.elapsed()));
                }
            }
            // zmq_poller_wait_all reports a timeout as EAGAIN.
            ErrorKind::WouldBlock => return Ok(0),
            _ => return Err(err),
        }
    }
}

/// One entry of a [`poll`] set: a socket or a raw fd, what to wait for, and
/// (after the call) what is ready.
#[repr(transparent)]
pub struct PollItem<'a> {
    raw: zmq_sys::zmq_pollitem_t,
    _socket: PhantomData<&'a Socket>,
}

impl<'a> PollItem<'a> {
    /// Waits for `events` on a socket.
    pub fn socket(socket: &'a Socket, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: zmq_sys::zmq_pollitem_t {
                socket: socket.as_raw(),
                fd: 0,
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// Waits for `events` on a raw file descriptor (a pipe, a TCP socket, stdin...).
    pub fn fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: zmq_sys::zmq_pollitem_t {
                socket: std::ptr::null_mut(),
                fd,
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// What was ready after the last [`poll`].
    pub fn ready(&self) -> PollEvents {
        PollEvents::from_bits_truncate(self.raw.revents)
    }

    /// True if the item was readable after the last [`poll`].
    pub fn is_readable(&self) -> bool {
        self.ready().contains(PollEvents::POLLIN)
    }

    /// True if the item was writable after the last [`poll`].
    pub fn is_writable(&self) -> bool {
        self.ready().contains(PollEvents::POLLOUT)
    }
}

/// Waits until one of `items` is ready or `timeout` passes (`zmq_poll`);
/// `None` waits forever, `Some(Duration::ZERO)` only looks. Returns how many
/// items are ready. `EINTR` is retried with the time that is left.
///
/// ```
/// use zmq::{poll, PollEvents, PollItem, SocketType};
/// use std::time::Duration;
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(SocketType::Pull)?;
/// pull.bind("inproc://poll-doc")?;
/// let mut items = [PollItem::socket(&pull, PollEvents::POLLIN)];
/// assert_eq!(poll(&mut items, Some(Duration::ZERO))?, 0);
/// # Ok::<(), zmq::Error>(())
/// ```
pub fn poll(items: &mut [PollItem<'_>], timeout: Option<Duration>) -> Result<usize> {
    let count = libc::c_int::try_from(items.len())
        .map_err(|_| Error::with_kind(ErrorKind::InvalidInput, "poll").context("too many items"))?;
    let ptr = items.as_mut_ptr().cast::<zmq_sys::zmq_pollitem_t>();
    retry_wait(timeout, "poll", |millis| {
        // SAFETY: PollItem is repr(transparent) over zmq_pollitem_t and its
        // sockets are borrowed for the call; count is the slice length.
        unsafe { zmq_sys::zmq_poll(ptr, count, millis) }
    })
}

/// A socket a [`Poller`] can wait on: a [`Socket`], or with the `draft`
/// feature a `ThreadSafeSocket` too. Sealed: only
/// this crate implements it.
pub trait PollSocket: sealed::Sealed {
    /// The raw libzmq socket.
    #[doc(hidden)]
    fn raw_socket(&self) -> *mut std::ffi::c_void;
}

pub(crate) mod sealed {
    /// Keeps [`PollSocket`](super::PollSocket) implemented only here.
    pub trait Sealed {}
}

impl sealed::Sealed for Socket {}

impl PollSocket for Socket {
    fn raw_socket(&self) -> *mut std::ffi::c_void {
        self.as_raw()
    }
}

/// What a [`Poller`] entry watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Socket(*mut std::ffi::c_void),
    Fd(RawFd),
}

impl Target {
    #[cfg_attr(not(zmq_draft), allow(dead_code))]
    fn describe(self) -> &'static str {
        match self {
            Target::Socket(_) => "socket",
            Target::Fd(_) => "file descriptor",
        }
    }
}

fn already_registered(target: Target) -> Error {
    Error::new(libc::EINVAL, "Poller::add").context(match target {
        Target::Socket(_) => "this socket is already registered",
        Target::Fd(_) => "this file descriptor is already registered",
    })
}

fn not_registered(operation: &'static str, target: Target) -> Error {
    Error::new(libc::ENOENT, operation).context(match target {
        Target::Socket(_) => "this socket is not registered",
        Target::Fd(_) => "this file descriptor is not registered",
    })
}

/// A reusable set of sockets and file descriptors to wait on, each registered
/// with a token of the caller's type that [`wait`](Poller::wait) hands back
/// when it is ready.
///
/// Registering, changing and removing are explicit and checked: adding what
/// is already there or removing what is not is an error, not a silent no-op.
/// A wait allocates nothing. The poller borrows its sockets (`'a`), so a
/// socket cannot be closed while it is registered.
///
/// Built on `zmq_poll`; with the `draft` feature, on libzmq's `zmq_poller`
/// (`zmq_poller_new`, `zmq_poller_add`, `zmq_poller_wait_all`), which also
/// accepts the thread-safe draft socket types.
///
/// ```
/// use zmq::{PollEvents, Poller, SocketType};
/// use std::time::Duration;
///
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// enum Source { Jobs, Control }
///
/// let ctx = zmq::Context::new();
/// let jobs = ctx.socket(SocketType::Pull)?;
/// jobs.bind("inproc://poller-doc-jobs")?;
/// let control = ctx.socket(SocketType::Pull)?;
/// control.bind("inproc://poller-doc-control")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect("inproc://poller-doc-control")?;
/// push.send("stop")?;
///
/// let mut poller = Poller::new();
/// poller.add(&jobs, PollEvents::POLLIN, Source::Jobs)?;
/// poller.add(&control, PollEvents::POLLIN, Source::Control)?;
/// let ready: Vec<Source> = poller
///     .wait(Some(Duration::from_secs(5)))?
///     .map(|(source, _events)| *source)
///     .collect();
/// assert_eq!(ready, [Source::Control]);
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct Poller<'a, T> {
    backend: backend::Backend<T>,
    _sockets: PhantomData<&'a Socket>,
}

impl<T> std::fmt::Debug for Poller<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").field("len", &self.len()).finish()
    }
}

impl<T> Default for Poller<'_, T> {
    fn default() -> Self {
        Poller::new()
    }
}

impl<'a, T> Poller<'a, T> {
    /// An empty poller.
    pub fn new() -> Self {
        Poller::with_capacity(0)
    }

    /// An empty poller with room for `capacity` entries before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Poller {
            backend: backend::Backend::with_capacity(capacity),
            _sockets: PhantomData,
        }
    }

    /// The number of registered sockets and file descriptors.
    pub fn len(&self) -> usize {
        self.backend.len()
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers a socket to wait for `events` on, with the token that
    /// [`wait`](Self::wait) reports for it. Registering the same socket twice
    /// is an [`ErrorKind::InvalidInput`] error.
    pub fn add<S: PollSocket + ?Sized>(
        &mut self,
        socket: &'a S,
        events: PollEvents,
        token: T,
    ) -> Result<()> {
        self.backend
            .add(Target::Socket(socket.raw_socket()), events, token)
    }

    /// Registers a raw file descriptor (a pipe, a TCP socket, stdin...); it
    /// must stay open while it is registered. Registering the same fd twice
    /// is an [`ErrorKind::InvalidInput`] error.
    pub fn add_fd(&mut self, fd: RawFd, events: PollEvents, token: T) -> Result<()> {
        self.backend.add(Target::Fd(fd), events, token)
    }

    /// Changes what to wait for on a registered socket; an
    /// [`ErrorKind::NotFound`] error if it is not registered.
    pub fn modify<S: PollSocket + ?Sized>(&mut self, socket: &S, events: PollEvents) -> Result<()> {
        self.backend
            .modify(Target::Socket(socket.raw_socket()), events)
    }

    /// Changes what to wait for on a registered fd; an
    /// [`ErrorKind::NotFound`] error if it is not registered.
    pub fn modify_fd(&mut self, fd: RawFd, events: PollEvents) -> Result<()> {
        self.backend.modify(Target::Fd(fd), events)
    }

    /// Unregisters a socket and gives its token back; an
    /// [`ErrorKind::NotFound`] error if it is not registered.
    pub fn remove<S: PollSocket + ?Sized>(&mut self, socket: &S) -> Result<T> {
        self.backend.remove(Target::Socket(socket.raw_socket()))
    }

    /// Unregisters a file descriptor and gives its token back; an
    /// [`ErrorKind::NotFound`] error if it is not registered.
    pub fn remove_fd(&mut self, fd: RawFd) -> Result<T> {
        self.backend.remove(Target::Fd(fd))
    }

    /// Waits until something registered is ready or `timeout` passes, and
    /// returns the ready entries as `(token, events)`; empty on timeout.
    /// `None` waits forever, `Some(Duration::ZERO)` only looks; `EINTR` is
    /// retried with the time that is left.
    ///
    /// Waiting forever with nothing registered is an
    /// [`ErrorKind::InvalidInput`] error rather than a hang; with a timeout,
    /// an empty poller just sleeps.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Ready<'_, T>> {
        if self.is_empty() {
            match timeout {
                None => {
                    return Err(Error::new(libc::EINVAL, "Poller::wait")
                        .context("nothing is registered: it would wait forever"))
                }
                Some(t) => {
                    std::thread::sleep(t);
                    self.backend.clear_ready();
                    return Ok(self.ready());
                }
            }
        }
        self.backend.wait(timeout)?;
        Ok(self.ready())
    }

    /// The entries found ready by the last [`wait`](Self::wait), as
    /// `(token, events)`; empty after a change to the registrations.
    pub fn ready(&self) -> Ready<'_, T> {
        self.backend.ready()
    }
}

/// The entries of a [`Poller`] found ready by its last wait: `(token, events)`.
pub struct Ready<'p, T> {
    inner: backend::ReadyIter<'p, T>,
    remaining: usize,
}

impl<'p, T> Iterator for Ready<'p, T> {
    type Item = (&'p T, PollEvents);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let item = self.inner.next()?;
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for Ready<'_, T> {}

impl<T> std::fmt::Debug for Ready<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("remaining", &self.remaining)
            .finish()
    }
}

/// The `zmq_poll` backend: an array of poll items kept compact, with the
/// tokens alongside.
#[cfg(not(zmq_draft))]
mod backend {
    use super::{already_registered, not_registered, retry_wait, PollEvents, Ready, Target};
    use crate::error::Result;

    pub(super) struct Backend<T> {
        items: Vec<zmq_sys::zmq_pollitem_t>,
        tokens: Vec<T>,
        ready: usize,
    }

    pub(super) struct ReadyIter<'p, T> {
        items:
            std::iter::Zip<std::slice::Iter<'p, zmq_sys::zmq_pollitem_t>, std::slice::Iter<'p, T>>,
    }

    impl<'p, T> Iterator for ReadyIter<'p, T> {
        type Item = (&'p T, PollEvents);
        fn next(&mut self) -> Option<Self::Item> {
            self.items
                .find(|(item, _)| item.revents != 0)
                .map(|(item, token)| (token, PollEvents::from_bits_truncate(item.revents)))
        }
    }

    fn target_of(item: &zmq_sys::zmq_pollitem_t) -> Target {
        if item.socket.is_null() {
            Target::Fd(item.fd)
        } else {
            Target::Socket(item.socket)
        }
    }

    impl<T> Backend<T> {
        pub(super) fn with_capacity(capacity: usize) -> Self {
            Backend {
                items: Vec::with_capacity(capacity),
                tokens: Vec::with_capacity(capacity),
                ready: 0,
            }
        }

        pub(super) fn len(&self) -> usize {
            self.items.len()
        }

        fn position(&self, target: Target) -> Option<usize> {
            self.items.iter().position(|item| target_of(item) == target)
        }

        pub(super) fn clear_ready(&mut self) {
            self.ready = 0;
            for item in &mut self.items {
                item.revents = 0;
            }
        }

        pub(super) fn add(&mut self, target: Target, events: PollEvents, token: T) -> Result<()> {
            if self.position(target).is_some() {
                return Err(already_registered(target));
            }
            let (socket, fd) = match target {
                Target::Socket(socket) => (socket, 0),
                Target::Fd(fd) => (std::ptr::null_mut(), fd),
            };
            self.clear_ready();
            self.items.push(zmq_sys::zmq_pollitem_t {
                socket,
                fd,
                events: events.bits(),
                revents: 0,
            });
            self.tokens.push(token);
            Ok(())
        }

        pub(super) fn modify(&mut self, target: Target, events: PollEvents) -> Result<()> {
            let index = self
                .position(target)
                .ok_or_else(|| not_registered("Poller::modify", target))?;
            self.clear_ready();
            self.items[index].events = events.bits();
            Ok(())
        }

        pub(super) fn remove(&mut self, target: Target) -> Result<T> {
            let index = self
                .position(target)
                .ok_or_else(|| not_registered("Poller::remove", target))?;
            self.clear_ready();
            self.items.swap_remove(index);
            Ok(self.tokens.swap_remove(index))
        }

        pub(super) fn wait(&mut self, timeout: Option<std::time::Duration>) -> Result<()> {
            // The length fits: add() cannot push past what memory allows, and
            // zmq_poll takes an int; refuse rather than truncate.
            let count = libc::c_int::try_from(self.items.len()).map_err(|_| {
                crate::Error::new(libc::EINVAL, "Poller::wait").context("too many entries")
            })?;
            let ptr = self.items.as_mut_ptr();
            self.ready = 0;
            self.ready = retry_wait(timeout, "Poller::wait", |millis| {
                // SAFETY: ptr/count describe the live items array; every
                // socket in it is borrowed by the Poller for its lifetime 'a.
                unsafe { zmq_sys::zmq_poll(ptr, count, millis) }
            })?;
            Ok(())
        }

        pub(super) fn ready(&self) -> Ready<'_, T> {
            Ready {
                inner: ReadyIter {
                    items: self.items.iter().zip(self.tokens.iter()),
                },
                remaining: self.ready,
            }
        }
    }
}

/// The `zmq_poller` backend (draft): tokens in a slab whose index is the
/// entry's `user_data`, and a preallocated event array for `wait_all`.
#[cfg(zmq_draft)]
mod backend {
    use super::{already_registered, not_registered, retry_wait, PollEvents, Ready, Target};
    use crate::error::{check, Error, Result};
    use std::ffi::c_void;

    struct Entry<T> {
        target: Target,
        token: T,
    }

    pub(super) struct Backend<T> {
        raw: *mut c_void,
        slots: Vec<Option<Entry<T>>>,
        free: Vec<usize>,
        len: usize,
        events: Vec<zmq_sys::zmq_poller_event_t>,
        ready: usize,
    }

    impl<T> Drop for Backend<T> {
        fn drop(&mut self) {
            if !self.raw.is_null() {
                // SAFETY: raw came from zmq_poller_new and is destroyed only here.
                unsafe { zmq_sys::zmq_poller_destroy(&mut self.raw) };
            }
        }
    }

    pub(super) struct ReadyIter<'p, T> {
        events: std::slice::Iter<'p, zmq_sys::zmq_poller_event_t>,
        slots: &'p [Option<Entry<T>>],
    }

    impl<'p, T> Iterator for ReadyIter<'p, T> {
        type Item = (&'p T, PollEvents);
        fn next(&mut self) -> Option<Self::Item> {
            for event in self.events.by_ref() {
                let slot = event.user_data as usize;
                if let Some(Some(entry)) = self.slots.get(slot) {
                    return Some((&entry.token, PollEvents::from_bits_truncate(event.events)));
                }
            }
            None
        }
    }

    impl<T> Backend<T> {
        pub(super) fn with_capacity(capacity: usize) -> Self {
            Backend {
                raw: std::ptr::null_mut(),
                slots: Vec::with_capacity(capacity),
                free: Vec::new(),
                len: 0,
                events: Vec::with_capacity(capacity),
                ready: 0,
            }
        }

        pub(super) fn len(&self) -> usize {
            self.len
        }

        fn slot_of(&self, target: Target) -> Option<usize> {
            self.slots
                .iter()
                .position(|slot| matches!(slot, Some(entry) if entry.target == target))
        }

        pub(super) fn clear_ready(&mut self) {
            self.ready = 0;
        }

        fn poller(&mut self) -> Result<*mut c_void> {
            if self.raw.is_null() {
                // SAFETY: zmq_poller_new has no preconditions; NULL means failure.
                self.raw = unsafe { zmq_sys::zmq_poller_new() };
                if self.raw.is_null() {
                    return Err(Error::last("zmq_poller_new"));
                }
            }
            Ok(self.raw)
        }

        pub(super) fn add(&mut self, target: Target, events: PollEvents, token: T) -> Result<()> {
            if self.slot_of(target).is_some() {
                return Err(already_registered(target));
            }
            let poller = self.poller()?;
            let slot = self.free.last().copied().unwrap_or(self.slots.len());
            let user_data = slot as *mut c_void;
            let bits = libc::c_short::from(events.bits());
            // SAFETY: poller is live; a socket target is borrowed by the
            // Poller for 'a; user_data is an index, never dereferenced.
            let rc = unsafe {
                match target {
                    Target::Socket(socket) => {
                        zmq_sys::zmq_poller_add(poller, socket, user_data, bits)
                    }
                    Target::Fd(fd) => zmq_sys::zmq_poller_add_fd(poller, fd, user_data, bits),
                }
            };
            check(rc, "zmq_poller_add").map_err(|e| e.context(target.describe()))?;
            self.clear_ready();
            let entry = Some(Entry { target, token });
            if slot == self.slots.len() {
                self.slots.push(entry);
            } else {
                self.free.pop();
                self.slots[slot] = entry;
            }
            self.len += 1;
            self.events
                .resize(self.len, zmq_sys::zmq_poller_event_t::default());
            Ok(())
        }

        pub(super) fn modify(&mut self, target: Target, events: PollEvents) -> Result<()> {
            if self.slot_of(target).is_none() {
                return Err(not_registered("Poller::modify", target));
            }
            let bits = libc::c_short::from(events.bits());
            // SAFETY: the target is registered, so the poller is live and the
            // socket is borrowed for 'a.
            let rc = unsafe {
                match target {
                    Target::Socket(socket) => zmq_sys::zmq_poller_modify(self.raw, socket, bits),
                    Target::Fd(fd) => zmq_sys::zmq_poller_modify_fd(self.raw, fd, bits),
                }
            };
            check(rc, "zmq_poller_modify").map_err(|e| e.context(target.describe()))?;
            self.clear_ready();
            Ok(())
        }

        pub(super) fn remove(&mut self, target: Target) -> Result<T> {
            let slot = self
                .slot_of(target)
                .ok_or_else(|| not_registered("Poller::remove", target))?;
            // SAFETY: the target is registered, so the poller is live and the
            // socket is borrowed for 'a.
            let rc = unsafe {
                match target {
                    Target::Socket(socket) => zmq_sys::zmq_poller_remove(self.raw, socket),
                    Target::Fd(fd) => zmq_sys::zmq_poller_remove_fd(self.raw, fd),
                }
            };
            check(rc, "zmq_poller_remove").map_err(|e| e.context(target.describe()))?;
            self.clear_ready();
            self.len -= 1;
            self.free.push(slot);
            match self.slots[slot].take() {
                Some(entry) => Ok(entry.token),
                None => Err(not_registered("Poller::remove", target)),
            }
        }

        pub(super) fn wait(&mut self, timeout: Option<std::time::Duration>) -> Result<()> {
            let count = libc::c_int::try_from(self.events.len()).map_err(|_| {
                Error::new(libc::EINVAL, "Poller::wait").context("too many entries")
            })?;
            let (raw, events) = (self.raw, self.events.as_mut_ptr());
            self.ready = 0;
            let ready = retry_wait(timeout, "Poller::wait", |millis| {
                // SAFETY: raw is live (something is registered); events has
                // room for count entries, one per registration.
                unsafe { zmq_sys::zmq_poller_wait_all(raw, events, count, millis) }
            })?;
            self.ready = ready.min(self.events.len());
            Ok(())
        }

        pub(super) fn ready(&self) -> Ready<'_, T> {
            Ready {
                inner: ReadyIter {
                    events: self.events[..self.ready].iter(),
                    slots: &self.slots,
                },
                remaining: self.ready,
            }
        }
    }
}

impl Socket {
    /// What the socket is ready for now (`ZMQ_EVENTS`).
    ///
    /// Reading it also makes libzmq process pending commands, which is what
    /// re-arms the [`fd`](Self::fd) notification.
    pub fn events(&self) -> Result<PollEvents> {
        self.get(crate::opt::Events)
    }

    /// The file descriptor libzmq signals socket activity on (`ZMQ_FD`), for
    /// integrating with an external event loop (epoll, mio, tokio's `AsyncFd`).
    ///
    /// It is **edge-triggered** and says only "something may have changed",
    /// never "a message is waiting": after it becomes readable, read
    /// [`events`](Self::events) and receive until it no longer reports
    /// `POLLIN`. Also check `events` after every send or receive, as those
    /// can consume the notification without the fd becoming readable again.
    /// Never read from or write to the fd yourself.
    ///
    /// The thread-safe socket types of the `draft` feature (SERVER, CLIENT,
    /// RADIO, DISH, ...) have no `ZMQ_FD`: an [`ErrorKind::NotSupported`]
    /// error that says so. So they cannot be driven by an external event
    /// loop (nor by `zmq::tokio`, whose `AsyncSocket::new` fails the same
    /// way): wait on them with a [`Poller`] on a thread of its own, or in
    /// `tokio::task::spawn_blocking`.
    pub fn fd(&self) -> Result<RawFd> {
        self.get(crate::opt::Fd)
    }
}

#[cfg(test)]
mod tests {
    use super::timeout_millis;
    use std::time::Duration;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_millis(None), -1);
        assert_eq!(timeout_millis(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_millis(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_millis(Some(Duration::from_millis(7))), 7);
        assert_eq!(timeout_millis(Some(Duration::from_micros(7_001))), 8);
        assert_eq!(timeout_millis(Some(Duration::MAX)), libc::c_long::MAX);
    }
}
