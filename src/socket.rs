//! Sockets: every libzmq socket type, send and receive in all their forms.

use crate::context::Context;
use crate::error::{check, Error, ErrorKind, Result};
use crate::message::Message;
use crate::option::{Get, Set};
use std::ffi::{c_int, c_void, CString};
use std::fmt;

/// The socket types of libzmq 4.3.5 (`zmq_socket(3)`); the draft types need the
/// `draft` feature.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// `ZMQ_PAIR`: one exclusive peer.
    Pair,
    /// `ZMQ_PUB`: distributes messages to all subscribers.
    Pub,
    /// `ZMQ_SUB`: receives what matches its subscriptions.
    Sub,
    /// `ZMQ_REQ`: strict send, receive, send... to one of its peers.
    Req,
    /// `ZMQ_REP`: strict receive, reply; keeps the request's envelope.
    ///
    /// **Hazard (libzmq 4.3.4 and 4.3.5, vendored or system):** a peer that
    /// sends a request without the empty delimiter frame (e.g. a DEALER
    /// sending `["label", "body"]`) and disconnects can make REP drop its
    /// *next* reply, so a well-behaved REQ waits forever (libzmq's
    /// `router_t::rollback` leaves `_more_out` set). Where untrusted peers
    /// can connect, serve with a [`Router`](Self::Router) instead: it sees
    /// each request whole (`[routing id, "", body...]`), can skip malformed
    /// ones, and replies with `[routing id, "", reply]`. `tests/rep_hazard.rs`
    /// shows both.
    Rep,
    /// `ZMQ_DEALER`: round-robin out, fair-queued in.
    Dealer,
    /// `ZMQ_ROUTER`: addresses peers by routing id (the first frame).
    Router,
    /// `ZMQ_PULL`: fair-queues from pushers.
    Pull,
    /// `ZMQ_PUSH`: round-robins to pullers.
    Push,
    /// `ZMQ_XPUB`: a PUB that shows subscriptions as messages.
    XPub,
    /// `ZMQ_XSUB`: a SUB that subscribes by sending messages.
    XSub,
    /// `ZMQ_STREAM`: raw TCP peers, addressed by routing id.
    Stream,
    /// `ZMQ_SERVER` (draft): thread-safe, replies by routing id. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Server,
    /// `ZMQ_CLIENT` (draft): thread-safe dealer. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Client,
    /// `ZMQ_RADIO` (draft): group publishing. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Radio,
    /// `ZMQ_DISH` (draft): group subscribing. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Dish,
    /// `ZMQ_GATHER` (draft): thread-safe pull. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Gather,
    /// `ZMQ_SCATTER` (draft): thread-safe push. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Scatter,
    /// `ZMQ_DGRAM` (draft): UDP datagrams. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Dgram,
    /// `ZMQ_PEER` (draft): peer-to-peer, by routing id. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Peer,
    /// `ZMQ_CHANNEL` (draft): thread-safe pair. libzmq may still change it.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    Channel,
}

/// Every socket type this build knows, with its `ZMQ_*` constant and its ZMTP name.
const SOCKET_TYPES: &[(SocketType, c_int, &str)] = &[
    (SocketType::Pair, zmq_sys::ZMQ_PAIR, "PAIR"),
    (SocketType::Pub, zmq_sys::ZMQ_PUB, "PUB"),
    (SocketType::Sub, zmq_sys::ZMQ_SUB, "SUB"),
    (SocketType::Req, zmq_sys::ZMQ_REQ, "REQ"),
    (SocketType::Rep, zmq_sys::ZMQ_REP, "REP"),
    (SocketType::Dealer, zmq_sys::ZMQ_DEALER, "DEALER"),
    (SocketType::Router, zmq_sys::ZMQ_ROUTER, "ROUTER"),
    (SocketType::Pull, zmq_sys::ZMQ_PULL, "PULL"),
    (SocketType::Push, zmq_sys::ZMQ_PUSH, "PUSH"),
    (SocketType::XPub, zmq_sys::ZMQ_XPUB, "XPUB"),
    (SocketType::XSub, zmq_sys::ZMQ_XSUB, "XSUB"),
    (SocketType::Stream, zmq_sys::ZMQ_STREAM, "STREAM"),
    #[cfg(zmq_draft)]
    (SocketType::Server, zmq_sys::ZMQ_SERVER, "SERVER"),
    #[cfg(zmq_draft)]
    (SocketType::Client, zmq_sys::ZMQ_CLIENT, "CLIENT"),
    #[cfg(zmq_draft)]
    (SocketType::Radio, zmq_sys::ZMQ_RADIO, "RADIO"),
    #[cfg(zmq_draft)]
    (SocketType::Dish, zmq_sys::ZMQ_DISH, "DISH"),
    #[cfg(zmq_draft)]
    (SocketType::Gather, zmq_sys::ZMQ_GATHER, "GATHER"),
    #[cfg(zmq_draft)]
    (SocketType::Scatter, zmq_sys::ZMQ_SCATTER, "SCATTER"),
    #[cfg(zmq_draft)]
    (SocketType::Dgram, zmq_sys::ZMQ_DGRAM, "DGRAM"),
    #[cfg(zmq_draft)]
    (SocketType::Peer, zmq_sys::ZMQ_PEER, "PEER"),
    #[cfg(zmq_draft)]
    (SocketType::Channel, zmq_sys::ZMQ_CHANNEL, "CHANNEL"),
];

impl SocketType {
    fn entry(self) -> (SocketType, c_int, &'static str) {
        // Every variant is in the table (a unit test checks it).
        SOCKET_TYPES
            .iter()
            .copied()
            .find(|(t, _, _)| *t == self)
            .unwrap_or((self, -1, "UNKNOWN"))
    }

    /// The `ZMQ_*` constant.
    pub fn to_raw(self) -> c_int {
        self.entry().1
    }

    /// The type for a `ZMQ_*` constant; `None` for a value this build does not know.
    pub fn from_raw(raw: c_int) -> Option<SocketType> {
        SOCKET_TYPES
            .iter()
            .find(|(_, r, _)| *r == raw)
            .map(|(t, _, _)| *t)
    }

    /// The name ZMTP uses for it (the `Socket-Type` property), e.g. `"DEALER"`.
    pub fn name(self) -> &'static str {
        self.entry().2
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags::bitflags! {
    /// Flags of a send (`zmq_send(3)`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SendFlags: c_int {
        /// `ZMQ_DONTWAIT`: fail with [`ErrorKind::WouldBlock`] instead of blocking.
        const DONTWAIT = zmq_sys::ZMQ_DONTWAIT;
        /// `ZMQ_SNDMORE`: more parts of this message follow.
        const SNDMORE = zmq_sys::ZMQ_SNDMORE;
    }

    /// Flags of a receive (`zmq_recv(3)`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct RecvFlags: c_int {
        /// `ZMQ_DONTWAIT`: fail with [`ErrorKind::WouldBlock`] instead of blocking.
        const DONTWAIT = zmq_sys::ZMQ_DONTWAIT;
    }
}

/// Keeps [`Sendable`] closed: its methods are this crate's internals (raw
/// flags, libzmq's send calls), and what can be sent is this crate's to add
/// to. Any `AsRef<[u8]>` type already is sendable by reference.
mod sealed {
    pub trait Sealed {}
}

/// What a send accepts: byte slices and strings (copied into libzmq's message,
/// the cheapest path for small data), and owned buffers or a [`Message`]
/// (handed over without copying).
///
/// Sealed: implemented for `&T` where `T: AsRef<[u8]>`, `[u8; N]`,
/// [`Message`], `Vec<u8>`, `Box<[u8]>`, `String` and `bytes::Bytes`. For another
/// buffer type, send `&buffer` (copied) or turn it into a [`Message`].
pub trait Sendable: sealed::Sealed {
    /// Sends `self` as one part with the given raw flags.
    #[doc(hidden)]
    fn send_raw(self, socket: &Socket, flags: c_int) -> Result<()>;

    /// Turns `self` into one message (borrowed bytes are copied), for
    /// senders that may have to keep it and retry, like the async layer.
    #[doc(hidden)]
    fn into_message(self) -> Message
    where
        Self: Sized;
}

impl<T: AsRef<[u8]> + ?Sized> sealed::Sealed for &T {}
impl<T: AsRef<[u8]> + ?Sized> Sendable for &T {
    fn send_raw(self, socket: &Socket, flags: c_int) -> Result<()> {
        let data = self.as_ref();
        socket.retry(flags, "send", |raw, flags| {
            // SAFETY: data is valid for len bytes; zmq_send copies it.
            unsafe { zmq_sys::zmq_send(raw, data.as_ptr().cast(), data.len(), flags) }
        })
    }

    fn into_message(self) -> Message {
        Message::from_slice(self.as_ref())
    }
}

impl sealed::Sealed for Message {}
impl Sendable for Message {
    fn send_raw(mut self, socket: &Socket, flags: c_int) -> Result<()> {
        socket.send_message(&mut self, flags)
    }

    fn into_message(self) -> Message {
        self
    }
}

macro_rules! sendable_via_message {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl Sendable for $ty {
            fn send_raw(self, socket: &Socket, flags: c_int) -> Result<()> {
                Message::from(self).send_raw(socket, flags)
            }

            fn into_message(self) -> Message {
                Message::from(self)
            }
        }
    )*};
}
sendable_via_message!(Vec<u8>, Box<[u8]>, String, bytes::Bytes);

impl<const N: usize> sealed::Sealed for [u8; N] {}
impl<const N: usize> Sendable for [u8; N] {
    fn send_raw(self, socket: &Socket, flags: c_int) -> Result<()> {
        (&self).send_raw(socket, flags)
    }

    fn into_message(self) -> Message {
        Message::from_slice(&self)
    }
}

/// The outcome of [`Socket::recv_into`]: how many bytes were written and how
/// large the message really was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written into the buffer.
    pub len: usize,
    /// The size of the message; larger than `len` when it was truncated.
    pub size: usize,
}

impl Received {
    /// True when the message did not fit and its tail was dropped.
    pub fn is_truncated(&self) -> bool {
        self.size > self.len
    }
}

/// A received frame that was not valid UTF-8; the message is handed back.
#[derive(Debug, thiserror::Error)]
pub enum RecvStringError {
    /// The receive itself failed.
    #[error("{0}")]
    Recv(#[from] Error),
    /// The frame arrived but is not UTF-8; here it is, untouched.
    #[error("recv_string: received {} bytes that are not valid UTF-8", .0.len())]
    InvalidUtf8(Message),
}

impl From<RecvStringError> for Error {
    /// Keeps the kind ([`ErrorKind::InvalidUtf8`] for bad text), drops the bytes.
    fn from(e: RecvStringError) -> Error {
        match e {
            RecvStringError::Recv(e) => e,
            RecvStringError::InvalidUtf8(_) => {
                Error::with_kind(ErrorKind::InvalidUtf8, "recv_string")
            }
        }
    }
}

impl From<RecvStringError> for std::io::Error {
    fn from(e: RecvStringError) -> std::io::Error {
        Error::from(e).into()
    }
}

/// A multipart message: its frames in order.
pub type Multipart = Vec<Message>;

/// A ZeroMQ socket (`zmq_socket`).
///
/// `Send` but not `Sync`: libzmq sockets must not be used from two threads at
/// once, so a socket can move to another thread but not be shared; use one
/// socket per thread and connect them with `inproc://`. The socket keeps its
/// [`Context`] alive and is closed (`zmq_close`) on drop, after which unsent
/// messages linger for at most its `Linger` (see
/// [`DEFAULT_LINGER`](crate::DEFAULT_LINGER)).
///
/// # Signals
///
/// A signal that interrupts a blocking send or receive (`EINTR`) does not
/// end it: the call resumes, and still gives up by its original deadline
/// (`SndTimeo`/`RcvTimeo` from when it started), so a profiler's or an
/// interval timer's signals cannot stretch a timeout. To stop a program
/// blocked in a call on Ctrl-C, shut its [`Context`] down from a thread that
/// waits for the signal ([`Context::shutdown`]): every blocking call then
/// returns [`ErrorKind::Terminated`]. `examples/ctrl_c.rs` shows how, with
/// `sigwait` and no signal handler.
///
/// ```
/// use zmq::{Context, SocketType};
/// let ctx = Context::new();
/// let push = ctx.socket(SocketType::Push)?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// push.bind("tcp://127.0.0.1:*")?;
/// pull.connect(&push.last_endpoint()?)?;
/// push.send_multipart(["a", "b"])?;
/// let parts = pull.recv_multipart()?;
/// assert_eq!(parts, ["a", "b"]);
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct Socket {
    raw: *mut c_void,
    socket_type: SocketType,
    context: Context,
}

// SAFETY: a libzmq socket may be migrated between threads as long as a full
// memory barrier separates the uses (zmq_socket(3)); moving a value to
// another thread in Rust implies that barrier. It is not Sync: *mut c_void
// already opts out, which forbids concurrent use.
unsafe impl Send for Socket {}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("type", &self.socket_type)
            .field("ptr", &self.raw)
            .finish()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: raw came from zmq_socket and is closed only here. zmq_close
        // fails only for an invalid socket, which cannot happen.
        unsafe { zmq_sys::zmq_close(self.raw) };
    }
}

fn c_string(text: &str, operation: &'static str) -> Result<CString> {
    CString::new(text)
        .map_err(|_| Error::with_kind(ErrorKind::InvalidInput, operation).context(text))
}

impl Socket {
    pub(crate) fn new(context: &Context, socket_type: SocketType) -> Result<Socket> {
        let ctx = context.checked_ptr()?;
        // SAFETY: the context pointer is valid while `context` lives.
        let raw = unsafe { zmq_sys::zmq_socket(ctx, socket_type.to_raw()) };
        if raw.is_null() {
            return Err(Error::last("zmq_socket").context(socket_type.name()));
        }
        let socket = Socket {
            raw,
            socket_type,
            context: context.clone(),
        };
        socket.set(crate::opt::Linger, context.default_linger())?;
        Ok(socket)
    }

    /// The raw `void *` socket, for `zmq_sys`; valid while `self` lives.
    pub fn as_raw(&self) -> *mut c_void {
        self.raw
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The context this socket belongs to.
    pub fn context(&self) -> &Context {
        &self.context
    }

    fn endpoint_call(
        &self,
        endpoint: &str,
        operation: &'static str,
        call: unsafe extern "C" fn(*mut c_void, *const std::ffi::c_char) -> c_int,
    ) -> Result<()> {
        let shown = if endpoint.is_empty() {
            "(empty endpoint)"
        } else {
            endpoint
        };
        let c_endpoint = c_string(endpoint, operation).map_err(|e| e.context(shown))?;
        // SAFETY: valid socket and NUL-terminated endpoint; libzmq copies it.
        let rc = unsafe { call(self.raw, c_endpoint.as_ptr()) };
        check(rc, operation).map(drop).map_err(|e| e.context(shown))
    }

    /// Listens on an endpoint (`zmq_bind`): `tcp://*:5555`, `tcp://127.0.0.1:*`
    /// (any free port: see [`last_endpoint`](Self::last_endpoint)), `ipc:///tmp/x`,
    /// `inproc://name`, `ws://127.0.0.1:8080/path`. Errors name the endpoint.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, "bind", zmq_sys::zmq_bind)
    }

    /// Connects to an endpoint (`zmq_connect`); libzmq connects in the
    /// background and reconnects on its own.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, "connect", zmq_sys::zmq_connect)
    }

    /// Stops listening on a bound endpoint (`zmq_unbind`); use the endpoint
    /// [`last_endpoint`](Self::last_endpoint) reported for wildcard binds.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, "unbind", zmq_sys::zmq_unbind)
    }

    /// Disconnects from a connected endpoint (`zmq_disconnect`).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, "disconnect", zmq_sys::zmq_disconnect)
    }

    /// The last endpoint bound (`ZMQ_LAST_ENDPOINT`), with the real port of a
    /// wildcard bind, e.g. `tcp://127.0.0.1:37521`.
    pub fn last_endpoint(&self) -> Result<String> {
        self.get(crate::opt::LastEndpoint)
    }

    /// Subscribes a SUB socket to messages starting with `prefix` (`ZMQ_SUBSCRIBE`);
    /// the empty prefix matches everything.
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.set(crate::opt::Subscribe, prefix)
    }

    /// Removes one earlier subscription to `prefix` (`ZMQ_UNSUBSCRIBE`).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.set(crate::opt::Unsubscribe, prefix)
    }

    /// Sets a socket option (`zmq_setsockopt`), typed by its key in [`opt`](crate::opt).
    ///
    /// ```
    /// use std::time::Duration;
    /// let ctx = zmq::Context::new();
    /// let sock = ctx.socket(zmq::SocketType::Pub)?;
    /// sock.set(zmq::opt::SndHwm, 10_000)?;
    /// sock.set(zmq::opt::Linger, Duration::from_millis(100))?;
    /// assert_eq!(sock.get(zmq::opt::Linger)?, Some(Duration::from_millis(100)));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn set<O: Set<V>, V>(&self, option: O, value: V) -> Result<()> {
        option.set(self, value)
    }

    /// Reads a socket option (`zmq_getsockopt`), typed by its key in [`opt`](crate::opt).
    pub fn get<O: Get>(&self, option: O) -> Result<O::Value> {
        option.get(self)
    }

    /// `zmq_setsockopt` with raw bytes; prefer [`set`](Self::set).
    pub fn set_raw(&self, option: c_int, name: &'static str, value: &[u8]) -> Result<()> {
        // SAFETY: value is valid for its length; libzmq copies what it needs.
        let rc = unsafe {
            zmq_sys::zmq_setsockopt(self.raw, option, value.as_ptr().cast(), value.len())
        };
        check(rc, "setsockopt")
            .map(drop)
            .map_err(|e| e.context(name))
    }

    /// `zmq_getsockopt` into `buf`, returning the length libzmq wrote; prefer
    /// [`get`](Self::get).
    pub fn get_raw(&self, option: c_int, name: &'static str, buf: &mut [u8]) -> Result<usize> {
        let mut len = buf.len();
        // SAFETY: buf is writable for len bytes; libzmq writes at most len and
        // stores the used length in len.
        let rc =
            unsafe { zmq_sys::zmq_getsockopt(self.raw, option, buf.as_mut_ptr().cast(), &mut len) };
        check(rc, "getsockopt").map_err(|e| e.context(name))?;
        Ok(len)
    }

    /// Runs a libzmq send/recv call, retrying `EINTR`. A non-blocking call
    /// (`DONTWAIT`) runs as it is. A blocking call notes the time first (one
    /// clock read, far cheaper than a failed non-blocking attempt) and then
    /// makes the blocking call itself, so a call that must wait pays only for
    /// the wait, as it does in C. Only if a signal interrupts it (`EINTR`)
    /// does it wait again, for what is left of `RcvTimeo`/`SndTimeo` from the
    /// start of the call: libzmq itself would restart its full timeout on
    /// every retry.
    #[inline]
    fn retry(
        &self,
        flags: c_int,
        operation: &'static str,
        mut call: impl FnMut(*mut c_void, c_int) -> c_int,
    ) -> Result<()> {
        if flags & zmq_sys::ZMQ_DONTWAIT != 0 {
            loop {
                if call(self.raw, flags) != -1 {
                    return Ok(());
                }
                let err = Error::last(operation);
                if err.kind() != ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
        let started = crate::clock::Started::now();
        if call(self.raw, flags) != -1 {
            return Ok(());
        }
        self.blocking_call_failed(started, flags, operation, call)
    }

    /// The rare end of a blocking [`retry`](Self::retry): the call failed,
    /// timed out, or was interrupted by a signal and must wait for the rest
    /// of the socket's timeout counted from `started`.
    #[cold]
    #[inline(never)]
    fn blocking_call_failed(
        &self,
        started: crate::clock::Started,
        flags: c_int,
        operation: &'static str,
        mut call: impl FnMut(*mut c_void, c_int) -> c_int,
    ) -> Result<()> {
        let err = Error::last(operation);
        match err.kind() {
            ErrorKind::Interrupted => {}
            ErrorKind::WouldBlock => return Err(err.as_timeout()),
            _ => return Err(err),
        }
        // Interrupted: wait for the rest of the socket's timeout only.
        let (timeout, ready_when) = if operation == "send" {
            (
                self.get(crate::opt::SndTimeo)?,
                crate::poll::PollEvents::POLLOUT,
            )
        } else {
            (
                self.get(crate::opt::RcvTimeo)?,
                crate::poll::PollEvents::POLLIN,
            )
        };
        // None: no timeout, or one beyond the clock's range: wait forever.
        let deadline = timeout.and_then(|t| {
            std::time::Instant::now().checked_add(t.saturating_sub(started.elapsed()))
        });
        loop {
            let flags = match deadline {
                None => flags,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Err(Error::new(libc::EAGAIN, operation).as_timeout());
                    }
                    let mut items = [crate::poll::PollItem::socket(self, ready_when)];
                    crate::poll::poll(&mut items, Some(left))?;
                    flags | zmq_sys::ZMQ_DONTWAIT
                }
            };
            if call(self.raw, flags) != -1 {
                return Ok(());
            }
            let err = Error::last(operation);
            match err.kind() {
                ErrorKind::Interrupted | ErrorKind::WouldBlock if deadline.is_some() => {}
                ErrorKind::Interrupted => {}
                ErrorKind::WouldBlock => return Err(err.as_timeout()),
                _ => return Err(err),
            }
        }
    }

    #[inline]
    fn send_message(&self, msg: &mut Message, flags: c_int) -> Result<()> {
        let ptr = msg.as_mut_ptr();
        self.retry(flags, "send", |raw, flags| {
            // SAFETY: valid socket and message; on success libzmq takes the
            // contents and leaves the message empty (closing it stays valid).
            unsafe { zmq_sys::zmq_msg_send(ptr, raw, flags) }
        })
    }

    /// Sends one message part, blocking while the queue is full (up to
    /// `SndTimeo`, after which the error kind is [`ErrorKind::Timeout`]).
    ///
    /// Accepts `&[u8]`, `&str`, `&Vec<u8>`, byte arrays (copied) and `Vec<u8>`,
    /// `String`, `Box<[u8]>`, `Bytes`, [`Message`] (moved without copying).
    pub fn send(&self, data: impl Sendable) -> Result<()> {
        data.send_raw(self, 0)
    }

    /// Sends one part with more parts to follow (`ZMQ_SNDMORE`).
    pub fn send_more(&self, data: impl Sendable) -> Result<()> {
        data.send_raw(self, zmq_sys::ZMQ_SNDMORE)
    }

    /// Sends one part with explicit flags.
    pub fn send_with(&self, data: impl Sendable, flags: SendFlags) -> Result<()> {
        data.send_raw(self, flags.bits())
    }

    /// Sends a message in place (`zmq_msg_send`), leaving `message` empty and
    /// ready to be reused, e.g. by [`recv_msg_into`](Self::recv_msg_into): the
    /// loop of an echo server allocates nothing per message. On failure the
    /// message keeps its contents.
    #[inline]
    pub fn send_msg(&self, message: &mut Message, flags: SendFlags) -> Result<()> {
        self.send_message(message, flags.bits())
    }

    /// Sends without blocking. `Ok(None)`: queued. `Ok(Some(message))`: the
    /// queue is full (or no peer is ready), and the message is handed back
    /// untouched to retry later.
    ///
    /// ```
    /// let ctx = zmq::Context::new();
    /// let push = ctx.socket(zmq::SocketType::Push)?;
    /// push.bind("inproc://nobody-listens")?;
    /// let back = push.try_send("hello")?;     // no peer: would block
    /// assert_eq!(back.unwrap(), "hello");
    /// # Ok::<(), zmq::Error>(())
    /// ```
    ///
    /// Accepts what [`send`](Self::send) accepts; borrowed data is copied
    /// into the message that may come back.
    #[must_use = "a message handed back was not sent"]
    pub fn try_send(&self, message: impl Sendable) -> Result<Option<Message>> {
        let mut message = message.into_message();
        match self.send_message(&mut message, zmq_sys::ZMQ_DONTWAIT) {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Some(message)),
            Err(e) => Err(e),
        }
    }

    /// Sends all parts as one multipart message: all parts are delivered, or none.
    ///
    /// libzmq checks the high-water mark only at the first part, so once it is
    /// accepted the rest cannot block.
    pub fn send_multipart<I>(&self, parts: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Sendable,
    {
        let mut parts = parts.into_iter().peekable();
        if parts.peek().is_none() {
            return Err(Error::with_kind(ErrorKind::InvalidInput, "send_multipart")
                .context("a multipart message needs at least one part"));
        }
        while let Some(part) = parts.next() {
            let flags = if parts.peek().is_some() {
                zmq_sys::ZMQ_SNDMORE
            } else {
                0
            };
            part.send_raw(self, flags)?;
        }
        Ok(())
    }

    /// Receives into a reusable message (`zmq_msg_recv`); its old contents are released.
    #[inline]
    pub fn recv_msg_into(&self, message: &mut Message, flags: RecvFlags) -> Result<()> {
        let ptr = message.as_mut_ptr();
        self.retry(flags.bits(), "recv", |raw, flags| {
            // SAFETY: valid socket and initialised message, which libzmq
            // closes and refills.
            unsafe { zmq_sys::zmq_msg_recv(ptr, raw, flags) }
        })
    }

    /// Receives one message part, blocking until one arrives (or `RcvTimeo`
    /// expires: [`ErrorKind::Timeout`]).
    pub fn recv(&self) -> Result<Message> {
        let mut message = Message::new();
        self.recv_msg_into(&mut message, RecvFlags::empty())?;
        Ok(message)
    }

    /// Receives one part if one is waiting: `Ok(None)` when none is.
    pub fn try_recv(&self) -> Result<Option<Message>> {
        let mut message = Message::new();
        match self.recv_msg_into(&mut message, RecvFlags::DONTWAIT) {
            Ok(()) => Ok(Some(message)),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Receives one part as a `Vec<u8>` (one copy).
    pub fn recv_bytes(&self) -> Result<Vec<u8>> {
        self.recv().map(|m| m.to_vec())
    }

    /// Receives one part as text. Invalid UTF-8 is an error that hands the
    /// message back ([`RecvStringError::InvalidUtf8`]).
    pub fn recv_string(&self) -> Result<String, RecvStringError> {
        let message = self.recv()?;
        match std::str::from_utf8(&message) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(RecvStringError::InvalidUtf8(message)),
        }
    }

    /// Receives one part into `buf` (`zmq_recv`). A larger message is
    /// truncated to fit, which the result reports.
    pub fn recv_into(&self, buf: &mut [u8]) -> Result<Received> {
        self.recv_into_with(buf, RecvFlags::empty())
    }

    /// [`recv_into`](Self::recv_into) with flags (e.g. `DONTWAIT`).
    pub fn recv_into_with(&self, buf: &mut [u8], flags: RecvFlags) -> Result<Received> {
        let mut size = 0;
        let (ptr, len) = (buf.as_mut_ptr(), buf.len());
        self.retry(flags.bits(), "recv", |raw, flags| {
            // SAFETY: buf is writable for len bytes; zmq_recv writes at most len.
            let rc = unsafe { zmq_sys::zmq_recv(raw, ptr.cast(), len, flags) };
            size = rc.max(0) as usize;
            rc
        })?;
        Ok(Received {
            len: size.min(len),
            size,
        })
    }

    /// Whether the last part received has more parts after it (`ZMQ_RCVMORE`).
    pub fn more(&self) -> Result<bool> {
        self.get(crate::opt::RcvMore)
    }

    /// Receives every part of the next multipart message.
    pub fn recv_multipart(&self) -> Result<Multipart> {
        let mut parts = Vec::new();
        loop {
            let part = self.recv()?;
            let more = part.more();
            parts.push(part);
            if !more {
                return Ok(parts);
            }
        }
    }

    /// Receives a whole multipart message if its first part is waiting;
    /// `Ok(None)` if none is. (The remaining parts are always already there.)
    pub fn try_recv_multipart(&self) -> Result<Option<Multipart>> {
        let Some(first) = self.try_recv()? else {
            return Ok(None);
        };
        let mut more = first.more();
        let mut parts = vec![first];
        while more {
            let part = self.recv()?;
            more = part.more();
            parts.push(part);
        }
        Ok(Some(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_socket_type_round_trips_through_its_constant() {
        for &(t, raw, name) in SOCKET_TYPES {
            assert_eq!(t.to_raw(), raw);
            assert_eq!(SocketType::from_raw(raw), Some(t));
            assert_eq!(t.name(), name);
        }
        assert_eq!(SocketType::from_raw(999), None);
    }
}
