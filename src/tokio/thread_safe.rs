//! [`AsyncThreadSafeSocket`]: the thread-safe (draft) socket types for
//! tokio, with readiness from a `zmq_poller`'s fd (features `draft` and
//! `tokio`).
//!
//! # Where the wake-ups come from
//! Thread-safe sockets have no `ZMQ_FD` (libzmq #2941). What they have is a
//! list of *signalers*: `zmq_poller_add` gives the socket one (an eventfd on
//! Linux, a socket pair elsewhere), and `zmq_poller_fd` is its read end.
//! libzmq writes to every signaler of a socket when a command reaches the
//! socket's mailbox while its reader is idle (`mailbox_safe_t::send`): a new
//! message on a pipe that was empty, room on a pipe that was full, a new
//! peer, the context's shutdown. It writes *after* the command is queued,
//! under the socket's own mutex. Unlike `ZMQ_FD`, nothing in libzmq reads
//! that fd except `zmq_poller_wait`, which we never call: processing the
//! commands (any call on the socket) leaves the signal in place, so no call
//! of another task can consume the edge a waiter needs.
//!
//! So each socket gets a poller of its own, used for nothing but its fd,
//! which is registered with the same readiness source as the rest of the
//! async layer (tokio's `AsyncFd` on Unix, the reactor thread on Windows).
//! The wake-up logic is the async layer's (`waiters.rs`, model-checked by
//! tests/loom_waiters.rs): per-direction queues, the head woken, the mark
//! cleared only after a call made under it failed. One addition: when a
//! waiter takes the fd's mark it first reads the fd empty, then looks at
//! `ZMQ_EVENTS`. Every signal it read was written after its command was
//! queued, so that look processes the command; a signal written later is a
//! new edge, which survives the clear. Reading the fd empty is what keeps a
//! level-triggered source (Windows) from firing forever and a socket pair's
//! buffer from filling up (libzmq's I/O thread would then block writing to
//! it); it never decides correctness: a signal left unread only costs one
//! more look.
//!
//! The hot path is one non-blocking call: a send or receive is tried with
//! `ZMQ_DONTWAIT` first, and the fd is looked at only when libzmq says
//! `EAGAIN` (a poller waited on for every message is the 5× slowdown of
//! pyzmq #2103 and libzmq #3487).

use std::ffi::c_void;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::source::{FdSource, ReadyGuard};
use super::waiters::{self, Direction, Ready, SendReadiness};
use super::AsyncMonitor;
use crate::error::check;
use crate::monitor::MonitorEvents;
use crate::poll::PollEvents;
use crate::{
    Error, ErrorKind, Message, RecvFlags, Result, SendFlags, Sendable, SocketType, ThreadSafeSocket,
};

/// A [`ThreadSafeSocket`] for tokio (SERVER, CLIENT, RADIO, DISH, SCATTER,
/// GATHER, PEER, CHANNEL): `send` and `recv` as futures, readiness from a
/// `zmq_poller`'s fd (`zmq_poller_fd`). Features `draft` and `tokio`.
///
/// `Send + Sync`, like the blocking type: share one socket between tasks
/// with an [`Arc`](std::sync::Arc), and send and receive from all of them
/// at once. Any number of sends and receives may wait at the same time;
/// waiting sends are served in order, and so are waiting receives. These
/// types carry single-part messages only.
///
/// The guarantees are those of [`AsyncSocket`](super::AsyncSocket):
/// - **Cancel safety.** [`recv`](Self::recv) takes a message out of libzmq
///   only in the poll that returns it; [`send`](Self::send) hands the
///   message to libzmq whole or not at all, and
///   [`ThreadSafeSendFuture::into_unsent`] gives an unsent one back.
///   `tokio::time::timeout` around either is safe.
/// - **Shutdown.** [`Context::shutdown`](crate::Context::shutdown) wakes
///   every pending future, which then fails with
///   [`ErrorKind::Terminated`].
/// - **No spin, no lost wake-up**: see the module source
///   (`src/tokio/thread_safe.rs`) for how the poller's fd is used.
///
/// SERVER and PEER say "writable" while a send to one particular full peer
/// cannot go: such a send sleeps until room is made (libzmq signals it), it
/// does not spin; it holds up the sends queued behind it on that socket. A
/// send to a routing id that is not (or no longer) connected fails with
/// [`ErrorKind::Unroutable`]. RADIO drops what a slow DISH cannot take, as
/// the blocking API does. `RcvTimeo` and `SndTimeo` do not apply: use
/// `tokio::time::timeout`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use zmq::SocketType;
/// let ctx = zmq::Context::new();
/// let server = ctx.async_thread_safe_socket(SocketType::Server)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.async_thread_safe_socket(SocketType::Client)?;
/// client.connect(&server.last_endpoint()?)?;
///
/// client.send("ping").await?;
/// let request = server.recv().await?;
/// let from = request.server_routing_id().expect("a SERVER tags what it receives");
/// server.send_to(from, "pong").await?;
/// assert_eq!(client.recv().await?, "pong");
/// # Ok(())
/// # }
/// ```
///
/// Draft API: libzmq may still change these socket types.
pub struct AsyncThreadSafeSocket {
    // Dropped in this order: the fd is deregistered while it is open, the
    // poller (which removes its signaler from the socket) is destroyed while
    // the socket is open, and the socket is closed last.
    readiness: waiters::Readiness<SignalSource>,
    poller: SignalPoller,
    /// Held for one non-blocking call and the waiter bookkeeping around it,
    /// never across an `.await`. libzmq's own mutex already makes every call
    /// safe from any thread (that is why the socket is `Sync`); this one
    /// keeps a failed attempt and the registration of its waiter together,
    /// so that another task cannot clear the fd's mark in between after a
    /// look that woke nobody (the waiter was not queued yet): a lost
    /// wake-up. It is the lock the wake-up logic is model-checked with.
    calls: Mutex<()>,
    socket: ThreadSafeSocket,
}

impl std::fmt::Debug for AsyncThreadSafeSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncThreadSafeSocket")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl crate::Context {
    /// Opens a socket of a thread-safe type for tokio: the one-step form of
    /// `AsyncThreadSafeSocket::new(ctx.thread_safe_socket(socket_type)?)`.
    /// Other types are an [`ErrorKind::InvalidInput`] error. Must be called
    /// inside a tokio runtime with I/O enabled. Features `draft` and
    /// `tokio`.
    ///
    /// Draft API: libzmq may still change these socket types.
    pub fn async_thread_safe_socket(
        &self,
        socket_type: SocketType,
    ) -> Result<AsyncThreadSafeSocket> {
        AsyncThreadSafeSocket::new(self.thread_safe_socket(socket_type)?)
    }
}

impl AsyncThreadSafeSocket {
    /// Wraps a thread-safe socket: gives it a `zmq_poller` of its own
    /// (`zmq_poller_new`, `zmq_poller_add`) and registers the poller's fd
    /// (`zmq_poller_fd`) with the runtime. Must be called inside a tokio
    /// runtime with I/O enabled; outside one it returns an error of kind
    /// [`ErrorKind::InvalidState`].
    pub fn new(socket: ThreadSafeSocket) -> Result<AsyncThreadSafeSocket> {
        let (poller, fd) = SignalPoller::new(&socket)?;
        // SAFETY: the fd belongs to the poller's signaler, which lives until
        // the poller is destroyed; `readiness` is declared before `poller`,
        // so it is dropped (deregistered) first, and `into_inner` drops it
        // first too.
        let source = unsafe { FdSource::register(fd) }?;
        let sends = match socket.socket_type() {
            // POLLOUT is always set: only an attempt tells whether the peer
            // the message is addressed to has room.
            SocketType::Server | SocketType::Peer => SendReadiness::Inexact,
            _ => SendReadiness::Exact,
        };
        Ok(AsyncThreadSafeSocket {
            readiness: waiters::Readiness::new(
                SignalSource {
                    fd: source,
                    raw: fd,
                },
                sends,
            ),
            poller,
            calls: Mutex::new(()),
            socket,
        })
    }

    /// The socket back, for blocking use; its poller is destroyed.
    pub fn into_inner(self) -> ThreadSafeSocket {
        let AsyncThreadSafeSocket {
            readiness,
            poller,
            calls: _,
            socket,
        } = self;
        drop(readiness);
        drop(poller);
        socket
    }

    /// The blocking socket, for the calls this type does not repeat (all of
    /// them are safe from any thread while futures are pending).
    pub fn get_ref(&self) -> &ThreadSafeSocket {
        &self.socket
    }

    /// Sends one single-part message (the same types as
    /// [`ThreadSafeSocket::send`]). A SERVER or PEER needs the message
    /// addressed ([`send_to`](Self::send_to)), a RADIO needs a group
    /// ([`send_to_group`](Self::send_to_group)).
    ///
    /// Cancel safety: all or nothing; see [`ThreadSafeSendFuture`].
    pub fn send<M: Sendable>(&self, message: M) -> ThreadSafeSendFuture<'_> {
        ThreadSafeSendFuture::new(self, Ok(message.into_message()))
    }

    /// SERVER and PEER: sends `message` to the connection `routing_id`
    /// (from [`Message::server_routing_id`] of a received message, or from
    /// [`connect_peer`](Self::connect_peer)). Zero is not an id: the future
    /// fails with [`ErrorKind::InvalidInput`]; an id that is not connected,
    /// with [`ErrorKind::Unroutable`].
    ///
    /// Cancel safety: all or nothing; see [`ThreadSafeSendFuture`].
    pub fn send_to<M: Sendable>(&self, routing_id: u32, message: M) -> ThreadSafeSendFuture<'_> {
        let message = message.into_message().with_server_routing_id(routing_id);
        ThreadSafeSendFuture::new(self, message)
    }

    /// RADIO: sends `message` to `group` (at most
    /// [`GROUP_MAX_LENGTH`](crate::GROUP_MAX_LENGTH) bytes, no NUL:
    /// otherwise the future fails with [`ErrorKind::InvalidInput`]).
    ///
    /// Cancel safety: all or nothing; see [`ThreadSafeSendFuture`].
    pub fn send_to_group<M: Sendable>(&self, group: &str, message: M) -> ThreadSafeSendFuture<'_> {
        ThreadSafeSendFuture::new(self, message.into_message().with_group(group))
    }

    /// Receives one message. On a SERVER or PEER its
    /// [`server_routing_id`](Message::server_routing_id) says whom to reply
    /// to; on a DISH its [`group`](Message::group) says where it was sent.
    ///
    /// Cancel safety: cancel safe; a dropped future has taken nothing.
    pub fn recv(&self) -> ThreadSafeRecvFuture<'_> {
        ThreadSafeRecvFuture {
            socket: self,
            key: None,
        }
    }

    /// DISH: joins a group ([`Socket::join`](crate::Socket::join),
    /// `zmq_join`). It never waits, so it is not async.
    pub fn join(&self, group: &str) -> Result<()> {
        self.socket.join(group)
    }

    /// DISH: leaves a group joined with [`join`](Self::join) (`zmq_leave`).
    pub fn leave(&self, group: &str) -> Result<()> {
        self.socket.leave(group)
    }

    /// Opens a socket of `socket_type` in `ctx` and wraps it; also available
    /// as [`Context::async_thread_safe_socket`](crate::Context::async_thread_safe_socket).
    pub fn open(ctx: &crate::Context, socket_type: SocketType) -> Result<AsyncThreadSafeSocket> {
        AsyncThreadSafeSocket::new(ctx.thread_safe_socket(socket_type)?)
    }

    /// [`ThreadSafeSocket::bind`] (`zmq_bind`); RADIO and DISH also take
    /// `udp://` endpoints.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.socket.bind(endpoint)
    }

    /// [`ThreadSafeSocket::connect`] (`zmq_connect`).
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.socket.connect(endpoint)
    }

    /// PEER: [`ThreadSafeSocket::connect_peer`] (`zmq_connect_peer`), the
    /// routing id to [`send_to`](Self::send_to).
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.socket.connect_peer(endpoint)
    }

    /// [`ThreadSafeSocket::unbind`] (`zmq_unbind`).
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.socket.unbind(endpoint)
    }

    /// [`ThreadSafeSocket::disconnect`] (`zmq_disconnect`).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.socket.disconnect(endpoint)
    }

    /// [`ThreadSafeSocket::last_endpoint`] (`ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Result<String> {
        self.socket.last_endpoint()
    }

    /// [`ThreadSafeSocket::set`]: sets a typed option.
    pub fn set<O: crate::option::Set<V>, V>(&self, option: O, value: V) -> Result<()> {
        self.socket.set(option, value)
    }

    /// [`ThreadSafeSocket::get`]: reads a typed option.
    pub fn get<O: crate::option::Get>(&self, option: O) -> Result<O::Value> {
        self.socket.get(option)
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.socket.socket_type()
    }

    /// Starts monitoring the socket ([`ThreadSafeSocket::monitor`]) and
    /// returns the events as an async stream.
    pub fn monitor(&self, events: MonitorEvents) -> Result<AsyncMonitor> {
        AsyncMonitor::new(self.socket.monitor(events)?)
    }

    /// `ZMQ_EVENTS`, the look of the wake-up logic: it processes the
    /// socket's pending commands first.
    #[inline]
    fn events(&self) -> Result<Ready> {
        let events = self.socket.get(crate::opt::Events)?;
        Ok(Ready {
            recv: events.contains(PollEvents::POLLIN),
            send: events.contains(PollEvents::POLLOUT),
        })
    }

    #[inline]
    fn poll_recv(&self, cx: &mut Context<'_>, key: &mut Option<usize>) -> Poll<Result<Message>> {
        let socket = self.socket.as_socket();
        self.readiness.poll_with(
            &self.calls,
            |_| self.events(),
            cx,
            Direction::Recv,
            key,
            |_| {
                let mut message = Message::new();
                match socket.recv_msg_into(&mut message, RecvFlags::DONTWAIT) {
                    Ok(()) => Ok(Some(message)),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
    }

    #[inline]
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<usize>,
        message: &mut Message,
    ) -> Poll<Result<()>> {
        let socket = self.socket.as_socket();
        self.readiness.poll_with(
            &self.calls,
            |_| self.events(),
            cx,
            Direction::Send,
            key,
            // On failure libzmq leaves the message as it was: kept for a
            // retry.
            |_| match socket.send_msg(message, SendFlags::DONTWAIT) {
                Ok(()) => Ok(Some(())),
                Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
                Err(e) => Err(e),
            },
        )
    }
}

/// A `zmq_poller` holding one thread-safe socket, kept for its fd.
struct SignalPoller {
    raw: *mut c_void,
}

// SAFETY: the poller is created and filled in `new`, and afterwards only
// destroyed, in `Drop` (exclusive access). No other zmq_poller call is ever
// made on it, so no two threads touch it at once; its fd is only read.
unsafe impl Send for SignalPoller {}
// SAFETY: as above: shared references give no access to the poller.
unsafe impl Sync for SignalPoller {}

impl SignalPoller {
    /// A poller holding `socket`, and its fd.
    fn new(socket: &ThreadSafeSocket) -> Result<(SignalPoller, zmq_sys::zmq_fd_t)> {
        // SAFETY: zmq_poller_new has no preconditions; NULL means failure.
        let raw = unsafe { zmq_sys::zmq_poller_new() };
        if raw.is_null() {
            return Err(Error::last("zmq_poller_new"));
        }
        let poller = SignalPoller { raw };
        let events = (zmq_sys::ZMQ_POLLIN | zmq_sys::ZMQ_POLLOUT) as std::ffi::c_short;
        // SAFETY: a live poller and a live socket; the socket outlives the
        // poller (AsyncThreadSafeSocket drops the poller first), and libzmq
        // locks the socket while it adds the signaler.
        let rc =
            unsafe { zmq_sys::zmq_poller_add(raw, socket.as_raw(), std::ptr::null_mut(), events) };
        check(rc, "zmq_poller_add")?;
        let mut fd: zmq_sys::zmq_fd_t = 0;
        // SAFETY: a live poller and a valid out-pointer.
        let rc = unsafe { zmq_sys::zmq_poller_fd(raw, &mut fd) };
        check(rc, "zmq_poller_fd")?;
        Ok((poller, fd))
    }
}

impl Drop for SignalPoller {
    fn drop(&mut self) {
        // SAFETY: raw came from zmq_poller_new and is destroyed only here,
        // while the socket it holds is still open (it removes its signaler
        // from the socket). The only failure is EFAULT for a pointer that is
        // not a poller, which this one is.
        unsafe { zmq_sys::zmq_poller_destroy(&mut self.raw) };
    }
}

/// The poller's fd as the wake-up logic's source: taking the mark reads the
/// fd empty first (see the module docs for why that order).
struct SignalSource {
    fd: FdSource,
    raw: zmq_sys::zmq_fd_t,
}

impl waiters::Source for SignalSource {
    type Error = Error;
    type Guard<'a> = ReadyGuard<'a>;

    #[inline]
    fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<Result<ReadyGuard<'a>>> {
        match self.fd.poll_read_ready(cx) {
            Poll::Ready(Ok(guard)) => {
                drain_signals(self.raw);
                Poll::Ready(Ok(guard))
            }
            other => other,
        }
    }
}

/// Reads a signaler's fd until it is empty: an eventfd gives its whole
/// counter in one read, a socket pair its bytes. Both are non-blocking
/// (libzmq's `signaler_t` makes them so), so an empty one says
/// `WouldBlock`. Any other outcome is harmless: signals left in the fd only
/// cost one more look (see the module docs), and the fd stays open while the
/// socket does.
fn drain_signals(raw: zmq_sys::zmq_fd_t) {
    use std::io::Read;
    let mut fd = std::mem::ManuallyDrop::new(borrow_fd(raw));
    let mut buf = [0u8; 64];
    // Bounded: a socket pair refilled as fast as it is read would otherwise
    // keep this loop going; what is left is read at the next mark.
    for _ in 0..16 {
        match fd.read(&mut buf) {
            Ok(n) if n == buf.len() => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            _ => break,
        }
    }
}

/// The signaler's fd as something `Read`; never dropped (`ManuallyDrop`):
/// libzmq owns and closes it.
#[cfg(unix)]
fn borrow_fd(raw: zmq_sys::zmq_fd_t) -> std::fs::File {
    use std::os::fd::FromRawFd;
    // SAFETY: an open fd (the poller, which owns it, outlives every call of
    // this), wrapped in ManuallyDrop by the only caller, so never closed.
    unsafe { std::fs::File::from_raw_fd(raw) }
}

/// The signaler's socket as something `Read`; never dropped
/// (`ManuallyDrop`): libzmq owns and closes it.
#[cfg(windows)]
fn borrow_fd(raw: zmq_sys::zmq_fd_t) -> std::net::TcpStream {
    use std::os::windows::io::FromRawSocket;
    // SAFETY: an open socket (the poller, which owns it, outlives every
    // call of this), wrapped in ManuallyDrop by the only caller, so never
    // closed.
    unsafe { std::net::TcpStream::from_raw_socket(raw) }
}

/// What a send future still holds.
#[derive(Debug)]
enum Outgoing {
    Ready(Message),
    /// Building the message failed (a bad routing id or group): reported by
    /// the first poll.
    Invalid(Error),
    Done,
}

/// The future of [`AsyncThreadSafeSocket::send`], [`send_to`] and
/// [`send_to_group`].
///
/// Cancel safety: dropping it before it completes sent the whole message or
/// nothing. [`into_unsent`](Self::into_unsent) tells which and hands an
/// unsent message back (poll it as `&mut fut`: it is `Unpin`).
///
/// [`send_to`]: AsyncThreadSafeSocket::send_to
/// [`send_to_group`]: AsyncThreadSafeSocket::send_to_group
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct ThreadSafeSendFuture<'a> {
    socket: &'a AsyncThreadSafeSocket,
    outgoing: Outgoing,
    key: Option<usize>,
}

impl<'a> ThreadSafeSendFuture<'a> {
    fn new(socket: &'a AsyncThreadSafeSocket, message: Result<Message>) -> Self {
        ThreadSafeSendFuture {
            socket,
            outgoing: match message {
                Ok(message) => Outgoing::Ready(message),
                Err(e) => Outgoing::Invalid(e),
            },
            key: None,
        }
    }

    /// Gives up sending: `Some(message)` if it was not sent, `None` if it
    /// was (or could not be built).
    pub fn into_unsent(mut self) -> Option<Message> {
        match std::mem::replace(&mut self.outgoing, Outgoing::Done) {
            Outgoing::Ready(message) => Some(message),
            Outgoing::Invalid(_) | Outgoing::Done => None,
        }
    }
}

impl Future for ThreadSafeSendFuture<'_> {
    type Output = Result<()>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        let done = match &mut this.outgoing {
            Outgoing::Ready(message) => match this.socket.poll_send(cx, &mut this.key, message) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(done) => done,
            },
            Outgoing::Invalid(e) => Err(*e),
            Outgoing::Done => Ok(()),
        };
        // Sent, or failed for good: an error leaves nothing to retry.
        this.outgoing = Outgoing::Done;
        Poll::Ready(done)
    }
}

impl Drop for ThreadSafeSendFuture<'_> {
    fn drop(&mut self) {
        self.socket
            .readiness
            .unregister(Direction::Send, &mut self.key);
    }
}

/// The future of [`AsyncThreadSafeSocket::recv`]. Cancel safe.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct ThreadSafeRecvFuture<'a> {
    socket: &'a AsyncThreadSafeSocket,
    key: Option<usize>,
}

impl Future for ThreadSafeRecvFuture<'_> {
    type Output = Result<Message>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        let this = self.get_mut();
        this.socket.poll_recv(cx, &mut this.key)
    }
}

impl Drop for ThreadSafeRecvFuture<'_> {
    fn drop(&mut self) {
        self.socket
            .readiness
            .unregister(Direction::Recv, &mut self.key);
    }
}
