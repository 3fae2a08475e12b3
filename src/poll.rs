//! Waiting on several sockets and file descriptors at once (`zmq_poll`).

use crate::error::{Error, ErrorKind, Result};
use crate::socket::Socket;
use std::os::fd::RawFd;
use std::time::Duration;

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

/// Converts a poll timeout: `None` waits forever.
pub(crate) fn timeout_millis(timeout: Option<Duration>) -> libc::c_long {
    match timeout {
        None => -1,
        Some(d) => libc::c_long::try_from(d.as_millis()).unwrap_or(libc::c_long::MAX),
    }
}

/// One entry of a [`poll`] set: a socket or a raw fd, what to wait for, and
/// (after the call) what is ready.
#[repr(transparent)]
pub struct PollItem<'a> {
    raw: zmq_sys::zmq_pollitem_t,
    _socket: std::marker::PhantomData<&'a Socket>,
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
            _socket: std::marker::PhantomData,
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
            _socket: std::marker::PhantomData,
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
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    let count = libc::c_int::try_from(items.len())
        .map_err(|_| Error::with_kind(ErrorKind::InvalidInput, "poll").context("too many items"))?;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        // SAFETY: PollItem is repr(transparent) over zmq_pollitem_t and its
        // sockets are borrowed for the call; count is the slice length.
        let rc = unsafe {
            zmq_sys::zmq_poll(items.as_mut_ptr().cast(), count, timeout_millis(left))
        };
        if rc >= 0 {
            return Ok(rc as usize);
        }
        let err = Error::last("poll");
        if err.kind() != ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

impl Socket {
    /// What the socket is ready for now (`ZMQ_EVENTS`).
    pub fn events(&self) -> Result<PollEvents> {
        self.get(crate::opt::Events)
    }

    /// The file descriptor libzmq signals socket activity on (`ZMQ_FD`), for
    /// integrating with an external event loop.
    ///
    /// It is **edge-triggered** and says only "something may have changed":
    /// after it becomes readable, read [`events`](Self::events) and receive
    /// until it no longer reports `POLLIN`; also check `events` after every
    /// send or receive, as those can consume the notification.
    pub fn fd(&self) -> Result<RawFd> {
        self.get(crate::opt::Fd)
    }
}
