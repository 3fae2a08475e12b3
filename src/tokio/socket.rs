//! [`AsyncSocket`] and the futures of its sends and receives.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::readiness::{events, lock, readiness, Attempt, Direction, Readiness};
use super::AsyncMonitor;
use crate::monitor::MonitorEvents;
use crate::{Error, ErrorKind, Message, Multipart, RecvFlags, Result, SendFlags, Sendable, Socket};

/// A [`Socket`] for tokio: `send`, `recv` and their multipart forms as
/// futures, readiness from `ZMQ_FD`.
///
/// `Send + Sync`: share it with an [`Arc`](std::sync::Arc), and read and
/// write from different tasks at once (a split DEALER, say). libzmq sockets
/// are not thread-safe, so every libzmq call is made under a lock that is
/// never held across an `.await`. Any number of sends and receives may wait
/// at the same time; each is woken when libzmq says its direction is ready.
///
/// # Cancel safety
/// Dropping a future (e.g. the losing branch of `tokio::select!`, or
/// `tokio::time::timeout`) never loses or duplicates a message:
/// - [`recv`](Self::recv) and [`recv_multipart`](Self::recv_multipart) are
///   cancel safe: a message is taken out of libzmq only in the poll that
///   returns it, and a multipart message is taken whole (libzmq makes a
///   message visible to the receiver only once all its parts are in).
/// - [`send`](Self::send) and [`send_multipart`](Self::send_multipart) are
///   cancel safe in the sense that a dropped future sent the whole message or
///   nothing: its parts are handed to libzmq in one step, only when libzmq
///   accepts the first (it checks the high-water mark only there). To get an
///   unsent message back, keep the future and call
///   [`SendFuture::into_unsent`].
///
/// # Timeouts
/// `RcvTimeo` and `SndTimeo` do not apply: the async calls never block in
/// libzmq. Wrap a call in `tokio::time::timeout` instead.
///
/// # Waiting, per socket type
/// A send waits when libzmq would block and completes once libzmq has the
/// message; what a type drops by design (PUB, XPUB, ROUTER without
/// `RouterMandatory`) it drops here too. XPUB with `XpubNodrop`, STREAM and
/// ROUTER with `RouterMandatory` report POLLOUT while a send to one
/// particular peer cannot go: such a send sleeps until the next edge from
/// libzmq (room made by that peer is one), it does not spin. Waiting sends
/// of one socket are served in order, and so are waiting receives: a send
/// to a full peer holds up the sends queued behind it on that socket.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use zmq::tokio::AsyncSocket;
/// let ctx = zmq::Context::new();
/// let server = AsyncSocket::new(ctx.socket(zmq::SocketType::Rep)?)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.async_socket(zmq::SocketType::Req)?;
/// client.connect(&server.last_endpoint()?)?;
///
/// client.send("ping").await?;
/// assert_eq!(server.recv().await?, "ping");
/// server.send("pong").await?;
/// assert_eq!(client.recv().await?, "pong");
/// # Ok(())
/// # }
/// ```
pub struct AsyncSocket {
    // Declared first so it is dropped first: the fd is deregistered from the
    // runtime while the socket that owns it is still open.
    readiness: Readiness,
    socket: Mutex<Socket>,
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl AsyncSocket {
    /// Wraps a socket. Must be called inside a tokio runtime with I/O
    /// enabled (`#[tokio::main]` and `#[tokio::test]` do that); outside any
    /// runtime it returns an error of kind [`ErrorKind::InvalidState`].
    pub fn new(socket: Socket) -> Result<AsyncSocket> {
        Ok(AsyncSocket {
            readiness: readiness(&socket)?,
            socket: Mutex::new(socket),
        })
    }

    /// Sends one message part: the same types as [`Socket::send`] (borrowed
    /// bytes are copied into a [`Message`] at once, owned ones moved).
    ///
    /// Cancel safety: all or nothing; see [`SendFuture`].
    pub fn send<M: Sendable>(&self, message: M) -> SendFuture<'_> {
        SendFuture::new(self, Outgoing::One(message.into_message()))
    }

    /// Sends all parts as one multipart message, with the same bounds as
    /// [`Socket::send_multipart`]. An empty list fails with
    /// [`ErrorKind::InvalidInput`].
    ///
    /// Cancel safety: all parts or none; see [`SendFuture`].
    pub fn send_multipart<I>(&self, parts: I) -> SendFuture<'_>
    where
        I: IntoIterator,
        I::Item: Sendable,
    {
        let parts: Multipart = parts.into_iter().map(Sendable::into_message).collect();
        SendFuture::new(self, Outgoing::from_parts(parts))
    }

    /// Receives one message part.
    ///
    /// Cancel safety: cancel safe; a dropped future has taken nothing.
    pub fn recv(&self) -> RecvFuture<'_> {
        RecvFuture {
            socket: self,
            key: None,
        }
    }

    /// Receives every part of the next multipart message.
    ///
    /// Cancel safety: cancel safe; the parts are taken all at once, in the
    /// poll that returns them.
    pub fn recv_multipart(&self) -> RecvMultipartFuture<'_> {
        RecvMultipartFuture {
            socket: self,
            key: None,
        }
    }

    /// Opens a socket of `socket_type` in `ctx` and wraps it: the one-step
    /// form of `AsyncSocket::new(ctx.socket(socket_type)?)`, also available
    /// as [`Context::async_socket`](crate::Context::async_socket).
    pub fn open(ctx: &crate::Context, socket_type: crate::SocketType) -> Result<AsyncSocket> {
        AsyncSocket::new(ctx.socket(socket_type)?)
    }

    /// [`Socket::bind`]: binds to `endpoint` (not async: libzmq binds at
    /// once, tcp included).
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.with_socket(|s| s.bind(endpoint))
    }

    /// [`Socket::connect`]: connects to `endpoint`. libzmq connects in the
    /// background and reconnects by itself, so this returns at once.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.with_socket(|s| s.connect(endpoint))
    }

    /// [`Socket::unbind`].
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.with_socket(|s| s.unbind(endpoint))
    }

    /// [`Socket::disconnect`].
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.with_socket(|s| s.disconnect(endpoint))
    }

    /// [`Socket::last_endpoint`]: the endpoint last bound or connected,
    /// with the port libzmq chose for `tcp://...:*`.
    pub fn last_endpoint(&self) -> Result<String> {
        self.with_socket(Socket::last_endpoint)
    }

    /// [`Socket::subscribe`] (SUB, XSUB).
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.with_socket(|s| s.subscribe(prefix))
    }

    /// [`Socket::unsubscribe`] (SUB, XSUB).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.with_socket(|s| s.unsubscribe(prefix))
    }

    /// [`Socket::set`]: sets a typed option.
    pub fn set<O: crate::option::Set<V>, V>(&self, option: O, value: V) -> Result<()> {
        self.with_socket(|s| s.set(option, value))
    }

    /// [`Socket::get`]: reads a typed option.
    pub fn get<O: crate::option::Get>(&self, option: O) -> Result<O::Value> {
        self.with_socket(|s| s.get(option))
    }

    /// [`Socket::socket_type`].
    pub fn socket_type(&self) -> crate::SocketType {
        lock(&self.socket).socket_type()
    }

    /// Runs `f` on the socket, for what is not async: options, `bind`,
    /// `connect`, `subscribe`... It holds the socket's lock while `f` runs:
    /// a blocking call inside it blocks every task using this socket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zmq::Result<()> {
    /// let ctx = zmq::Context::new();
    /// let sub = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::SocketType::Sub)?)?;
    /// sub.with_socket(|s| {
    ///     s.set(zmq::opt::RcvHwm, 10)?;
    ///     s.subscribe("prices.")
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_socket<R>(&self, f: impl FnOnce(&Socket) -> R) -> R {
        let socket = lock(&self.socket);
        let result = f(&socket);
        // `f` may have processed libzmq's commands (reading `ZMQ_EVENTS`, a
        // subscription...) and with them an edge that waiters need.
        self.readiness.after_call(&*socket, events);
        result
    }

    /// Starts monitoring the socket ([`Socket::monitor`]) and returns the
    /// events as an async stream.
    pub fn monitor(&self, events: MonitorEvents) -> Result<AsyncMonitor> {
        let monitor = self.with_socket(|s| s.monitor(events))?;
        AsyncMonitor::new(monitor)
    }

    /// The socket back, for blocking use.
    pub fn into_inner(self) -> Socket {
        let AsyncSocket { readiness, socket } = self;
        drop(readiness);
        socket.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Polls a receive of one part. `key` is the caller's waiter
    /// registration: `None` at first, kept between polls, and given to
    /// [`cancel_wait`](Self::cancel_wait) when dropped before completion.
    #[inline]
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<usize>,
    ) -> Poll<Result<Message>> {
        self.readiness
            .poll_with(&self.socket, events, cx, Direction::Recv, key, try_recv_one)
    }

    /// Polls a receive of a whole multipart message; see
    /// [`poll_recv`](Self::poll_recv).
    #[inline]
    pub(crate) fn poll_recv_multipart(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<usize>,
    ) -> Poll<Result<Multipart>> {
        self.readiness.poll_with(
            &self.socket,
            events,
            cx,
            Direction::Recv,
            key,
            Socket::try_recv_multipart,
        )
    }

    /// Forgets a waiter registration of a future that will not be polled
    /// again.
    #[inline]
    pub(crate) fn cancel_wait(&self, direction: Direction, key: &mut Option<usize>) {
        self.readiness.unregister(direction, key);
    }

    /// Polls sending `outgoing`; see [`poll_recv`](Self::poll_recv).
    #[inline]
    pub(crate) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<usize>,
        outgoing: &mut Outgoing,
    ) -> Poll<Result<()>> {
        self.readiness
            .poll_with(&self.socket, events, cx, Direction::Send, key, |socket| {
                outgoing.try_send(socket)
            })
    }
}

#[inline]
fn try_recv_one(socket: &Socket) -> Attempt<Message> {
    let mut message = Message::new();
    match socket.recv_msg_into(&mut message, RecvFlags::DONTWAIT) {
        Ok(()) => Ok(Some(message)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sends the parts after the first, every one of them whatever happens, as
/// the blocking [`Socket::send_multipart`] does: libzmq must see the message
/// end. Past the first part a send fails only when the peer's pipe is being
/// torn down (a PUSH, DEALER or REQ whose peer just left). libzmq has then
/// dropped the parts already queued and drops the rest of the message as it
/// arrives: the message is lost with its peer, as queued messages are, and
/// the send reports success, like the blocking call. Stopping early instead
/// would leave libzmq dropping the *next* message. Another error is reported
/// (the first one), after the rest was fed all the same.
fn send_rest(socket: &Socket, rest: &mut [Message]) -> Result<()> {
    let mut failure = None;
    let last = rest.len().saturating_sub(1);
    for (index, part) in rest.iter_mut().enumerate() {
        let flags = if index == last {
            SendFlags::DONTWAIT
        } else {
            SendFlags::DONTWAIT | SendFlags::SNDMORE
        };
        match socket.send_msg(part, flags) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// What a send future still has to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Nothing: sent (or taken back).
    Sent,
    /// An empty multipart message, which cannot be sent.
    Invalid,
    One(Message),
    Many(Multipart),
}

impl Outgoing {
    pub(crate) fn from_parts(mut parts: Multipart) -> Outgoing {
        match parts.len() {
            0 => Outgoing::Invalid,
            1 => Outgoing::One(parts.pop().unwrap_or_default()),
            _ => Outgoing::Many(parts),
        }
    }

    /// Sends everything or nothing, without blocking: `Ok(None)` when libzmq
    /// would not take the first part now (nothing was sent). Inline for the
    /// one-part case, the one a busy loop takes.
    #[inline]
    pub(crate) fn try_send(&mut self, socket: &Socket) -> Attempt<()> {
        match self {
            // On failure libzmq leaves the message as it was: kept for a retry.
            Outgoing::One(message) => match socket.send_msg(message, SendFlags::DONTWAIT) {
                Ok(()) => {
                    *self = Outgoing::Sent;
                    Ok(Some(()))
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
                Err(e) => Err(e),
            },
            _ => self.try_send_other(socket),
        }
    }

    #[inline(never)]
    fn try_send_other(&mut self, socket: &Socket) -> Attempt<()> {
        match self {
            Outgoing::Sent => Ok(Some(())),
            Outgoing::Invalid => {
                *self = Outgoing::Sent;
                Err(Error::with_kind(ErrorKind::InvalidInput, "send_multipart")
                    .context("a multipart message needs at least one part"))
            }
            Outgoing::One(_) => self.try_send(socket),
            Outgoing::Many(parts) => {
                // Nothing sent unless libzmq takes the first part (the
                // high-water mark counts whole messages, checked there).
                match socket.send_msg(&mut parts[0], SendFlags::DONTWAIT | SendFlags::SNDMORE) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                    Err(e) => return Err(e),
                }
                let result = send_rest(socket, &mut parts[1..]);
                *self = Outgoing::Sent;
                result.map(Some)
            }
        }
    }

    pub(crate) fn take(&mut self) -> Option<Multipart> {
        match std::mem::replace(self, Outgoing::Sent) {
            Outgoing::One(message) => Some(vec![message]),
            Outgoing::Many(parts) => Some(parts),
            Outgoing::Sent | Outgoing::Invalid => None,
        }
    }
}

/// The future of [`AsyncSocket::send`] and [`AsyncSocket::send_multipart`].
///
/// Cancel safety: dropping it before it completes sent either the whole
/// message or nothing. [`into_unsent`](Self::into_unsent) tells which and
/// hands an unsent message back, e.g. after losing a `select!` (poll it as
/// `&mut fut`: it is `Unpin`):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use std::time::Duration;
/// let ctx = zmq::Context::new();
/// let push = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::SocketType::Push)?)?;
/// push.with_socket(|s| s.bind("inproc://nobody-pulls"))?;
/// let mut send = push.send("hello");
/// tokio::select! {
///     _ = &mut send => unreachable!("nobody is connected"),
///     _ = tokio::time::sleep(Duration::from_millis(10)) => {}
/// }
/// assert_eq!(send.into_unsent().unwrap(), ["hello"]);
/// # Ok(())
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct SendFuture<'a> {
    socket: &'a AsyncSocket,
    outgoing: Outgoing,
    key: Option<usize>,
}

impl<'a> SendFuture<'a> {
    fn new(socket: &'a AsyncSocket, outgoing: Outgoing) -> SendFuture<'a> {
        SendFuture {
            socket,
            outgoing,
            key: None,
        }
    }

    /// Gives up sending: `Some(parts)` if nothing was sent (the whole
    /// message, back), `None` if it was sent (or was an empty multipart).
    pub fn into_unsent(mut self) -> Option<Multipart> {
        self.outgoing.take()
    }
}

impl Future for SendFuture<'_> {
    type Output = Result<()>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        this.socket.poll_send(cx, &mut this.key, &mut this.outgoing)
    }
}

impl Drop for SendFuture<'_> {
    fn drop(&mut self) {
        self.socket.cancel_wait(Direction::Send, &mut self.key);
    }
}

/// The future of [`AsyncSocket::recv`]. Cancel safe.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct RecvFuture<'a> {
    socket: &'a AsyncSocket,
    key: Option<usize>,
}

impl Future for RecvFuture<'_> {
    type Output = Result<Message>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        let this = self.get_mut();
        this.socket.poll_recv(cx, &mut this.key)
    }
}

impl Drop for RecvFuture<'_> {
    fn drop(&mut self) {
        self.socket.cancel_wait(Direction::Recv, &mut self.key);
    }
}

/// The future of [`AsyncSocket::recv_multipart`]. Cancel safe.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct RecvMultipartFuture<'a> {
    socket: &'a AsyncSocket,
    key: Option<usize>,
}

impl Future for RecvMultipartFuture<'_> {
    type Output = Result<Multipart>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Multipart>> {
        let this = self.get_mut();
        this.socket.poll_recv_multipart(cx, &mut this.key)
    }
}

impl Drop for RecvMultipartFuture<'_> {
    fn drop(&mut self) {
        self.socket.cancel_wait(Direction::Recv, &mut self.key);
    }
}
