//! [`ThreadSafeSocket`]: the socket types libzmq makes thread-safe (draft),
//! shareable between threads as `Arc<ThreadSafeSocket>`.

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::monitor::{Monitor, MonitorEvents};
use crate::option::{Get, Set};
use crate::socket::{Sendable, Socket, SocketType};
use std::ffi::{c_void, CString};
use std::fmt;

/// The socket types libzmq makes thread-safe: it serialises every call on
/// them with a mutex of its own (`ZMQ_THREAD_SAFE` reads 1). DGRAM is a draft
/// type too, but not a thread-safe one.
pub(crate) const THREAD_SAFE_TYPES: &[SocketType] = &[
    SocketType::Server,
    SocketType::Client,
    SocketType::Radio,
    SocketType::Dish,
    SocketType::Scatter,
    SocketType::Gather,
    SocketType::Peer,
    SocketType::Channel,
];

/// A socket of a thread-safe type (SERVER, CLIENT, RADIO, DISH, SCATTER,
/// GATHER, PEER, CHANNEL): `Send` **and** `Sync`, so one `Arc` of it can be
/// used from several threads at once: to send, to receive, to join, to set
/// options (draft).
///
/// Made by [`Context::thread_safe_socket`], which refuses the other types.
/// These types carry single-part messages only, so there is no multipart
/// API here. They have no `ZMQ_FD`: wait on several of them with a
/// [`Poller`](crate::Poller) (libzmq's `zmq_poller`), or, with the `tokio`
/// feature, use `zmq::tokio::AsyncThreadSafeSocket`, whose futures wait on a
/// `zmq_poller`'s fd.
///
/// The classic [`Socket`] stays `Send` and not `Sync`:
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<zmq::Socket>();
/// ```
///
/// while this type is both:
///
/// ```
/// use std::sync::Arc;
/// use zmq::{Context, SocketType};
/// let ctx = Context::new();
/// let gather = ctx.thread_safe_socket(SocketType::Gather)?;
/// gather.bind("inproc://thread-safe-doc")?;
/// let scatter = Arc::new(ctx.thread_safe_socket(SocketType::Scatter)?);
/// scatter.connect("inproc://thread-safe-doc")?;
/// let senders: Vec<_> = (0..2)
///     .map(|i| {
///         let scatter = Arc::clone(&scatter);
///         std::thread::spawn(move || scatter.send(format!("from thread {i}")))
///     })
///     .collect();
/// for sender in senders {
///     sender.join().unwrap()?;
/// }
/// let mut got = [gather.recv_string().unwrap(), gather.recv_string().unwrap()];
/// got.sort();
/// assert_eq!(got, ["from thread 0", "from thread 1"]);
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// Multipart messages are not offered (libzmq refuses them on these types,
/// and two threads' parts would interleave):
///
/// ```compile_fail
/// let ctx = zmq::Context::new();
/// let client = ctx.thread_safe_socket(zmq::SocketType::Client).unwrap();
/// client.send_multipart(["a", "b"]).unwrap();
/// ```
///
/// Draft API: libzmq may still change these socket types.
pub struct ThreadSafeSocket {
    inner: Socket,
}

// SAFETY: only thread-safe socket types get here (checked in
// Context::thread_safe_socket), and libzmq locks its own mutex in every call
// on those (zmq_socket(3): "thread-safe sockets"). The wrapped Socket has no
// Rust-side mutable state, and the API below exposes no multipart call that
// would need two calls to stay together.
unsafe impl Sync for ThreadSafeSocket {}

impl fmt::Debug for ThreadSafeSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSafeSocket")
            .field("type", &self.inner.socket_type())
            .field("ptr", &self.inner.as_raw())
            .finish()
    }
}

impl Context {
    /// Creates a socket of a thread-safe type (`zmq_socket`, draft): SERVER,
    /// CLIENT, RADIO, DISH, SCATTER, GATHER, PEER or CHANNEL. Any other type
    /// is an [`ErrorKind::InvalidInput`] error naming it.
    ///
    /// ```
    /// let ctx = zmq::Context::new();
    /// let server = ctx.thread_safe_socket(zmq::SocketType::Server)?;
    /// let err = ctx.thread_safe_socket(zmq::SocketType::Rep).unwrap_err();
    /// assert_eq!(err.kind(), zmq::ErrorKind::InvalidInput);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    ///
    /// Draft API: libzmq may still change these socket types.
    pub fn thread_safe_socket(&self, socket_type: SocketType) -> Result<ThreadSafeSocket> {
        if !THREAD_SAFE_TYPES.contains(&socket_type) {
            return Err(
                Error::with_kind(ErrorKind::InvalidInput, "thread_safe_socket").context(
                    match socket_type.name() {
                        "DGRAM" => "DGRAM is not a thread-safe socket type",
                        _ => "not a thread-safe socket type (SERVER, CLIENT, RADIO, DISH, SCATTER, GATHER, PEER, CHANNEL)",
                    },
                ),
            );
        }
        Ok(ThreadSafeSocket {
            inner: Socket::new(self, socket_type)?,
        })
    }
}

impl ThreadSafeSocket {
    /// The raw `void *` socket, for `zmq_sys`; valid while `self` lives.
    pub fn as_raw(&self) -> *mut c_void {
        self.inner.as_raw()
    }

    /// The wrapped socket, for the crate's non-blocking calls (the async
    /// layer's); the `Sync` promise above covers every call made on it.
    #[cfg(feature = "tokio")]
    pub(crate) fn as_socket(&self) -> &Socket {
        &self.inner
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.inner.socket_type()
    }

    /// The context this socket belongs to.
    pub fn context(&self) -> &Context {
        self.inner.context()
    }

    /// Listens on an endpoint (`zmq_bind`); see [`Socket::bind`]. RADIO and
    /// DISH also take `udp://` endpoints.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.inner.bind(endpoint)
    }

    /// Connects to an endpoint (`zmq_connect`); see [`Socket::connect`].
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.inner.connect(endpoint)
    }

    /// PEER only: connects and returns the server routing id that addresses
    /// this peer in [`Message::set_server_routing_id`] (`zmq_connect_peer`).
    /// Other types: [`ErrorKind::NotSupported`].
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        let c_endpoint = CString::new(endpoint).map_err(|_| {
            Error::with_kind(ErrorKind::InvalidInput, "connect_peer").context(endpoint)
        })?;
        // SAFETY: a live socket and a NUL-terminated endpoint libzmq copies.
        let id = unsafe { zmq_sys::zmq_connect_peer(self.as_raw(), c_endpoint.as_ptr()) };
        if id == 0 {
            return Err(Error::last("connect_peer").context(endpoint));
        }
        Ok(id)
    }

    /// Stops listening on a bound endpoint (`zmq_unbind`).
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.inner.unbind(endpoint)
    }

    /// Disconnects from a connected endpoint (`zmq_disconnect`).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.inner.disconnect(endpoint)
    }

    /// The last endpoint bound (`ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Result<String> {
        self.inner.last_endpoint()
    }

    /// Sets a socket option, typed by its key in [`opt`](crate::opt).
    pub fn set<O: Set<V>, V>(&self, option: O, value: V) -> Result<()> {
        self.inner.set(option, value)
    }

    /// Reads a socket option, typed by its key in [`opt`](crate::opt).
    pub fn get<O: Get>(&self, option: O) -> Result<O::Value> {
        self.inner.get(option)
    }

    /// DISH: joins a group; see [`Socket::join`].
    pub fn join(&self, group: &str) -> Result<()> {
        self.inner.join(group)
    }

    /// DISH: leaves a group; see [`Socket::leave`].
    pub fn leave(&self, group: &str) -> Result<()> {
        self.inner.leave(group)
    }

    /// Sends one single-part message, blocking while the queue is full (up
    /// to `SndTimeo`). A SERVER or PEER needs the message addressed with
    /// [`Message::set_server_routing_id`]; a RADIO needs a group
    /// ([`Message::set_group`]).
    pub fn send(&self, data: impl Sendable) -> Result<()> {
        self.inner.send(data)
    }

    /// Sends without blocking: `Ok(Some(message))` hands the message back
    /// when it cannot be queued now; see [`Socket::try_send`].
    #[must_use = "a message handed back was not sent"]
    pub fn try_send(&self, message: impl Sendable) -> Result<Option<Message>> {
        self.inner.try_send(message)
    }

    /// Receives one message, blocking until one arrives (or `RcvTimeo`
    /// expires). Several threads may wait at once; each message goes to one.
    pub fn recv(&self) -> Result<Message> {
        self.inner.recv()
    }

    /// Receives a message if one is waiting: `Ok(None)` when none is.
    pub fn try_recv(&self) -> Result<Option<Message>> {
        self.inner.try_recv()
    }

    /// Receives one message as text; see [`Socket::recv_string`].
    pub fn recv_string(&self) -> Result<String, crate::RecvStringError> {
        self.inner.recv_string()
    }

    /// Receives one message as a `Vec<u8>` (one copy).
    pub fn recv_bytes(&self) -> Result<Vec<u8>> {
        self.inner.recv_bytes()
    }

    /// Starts monitoring this socket's connections; see [`Socket::monitor`].
    pub fn monitor(&self, events: MonitorEvents) -> Result<Monitor> {
        self.inner.monitor(events)
    }

    /// Stops the monitor started with [`monitor`](Self::monitor).
    pub fn stop_monitor(&self) -> Result<()> {
        self.inner.stop_monitor()
    }
}

impl crate::poll::sealed::Sealed for ThreadSafeSocket {}

/// A [`Poller`](crate::Poller) waits on thread-safe sockets through libzmq's
/// `zmq_poller` (the only way to poll them), with the same tokens as for
/// classic sockets.
impl crate::poll::PollSocket for ThreadSafeSocket {
    fn raw_socket(&self) -> *mut c_void {
        self.as_raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_safe_list_agrees_with_libzmq() {
        let ctx = Context::new();
        let all = [
            SocketType::Pair,
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
            SocketType::Pull,
            SocketType::Push,
            SocketType::XPub,
            SocketType::XSub,
            SocketType::Stream,
            SocketType::Server,
            SocketType::Client,
            SocketType::Radio,
            SocketType::Dish,
            SocketType::Gather,
            SocketType::Scatter,
            SocketType::Dgram,
            SocketType::Peer,
            SocketType::Channel,
        ];
        for kind in all {
            let socket = ctx.socket(kind).unwrap();
            let libzmq_says = socket.get(crate::opt::ThreadSafe).unwrap();
            assert_eq!(THREAD_SAFE_TYPES.contains(&kind), libzmq_says, "{kind}");
            assert_eq!(ctx.thread_safe_socket(kind).is_ok(), libzmq_says, "{kind}");
        }
    }
}
