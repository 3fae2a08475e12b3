//! The async layer for tokio (feature `tokio`): [`AsyncSocket`] with
//! `send`/`recv` futures, a [`MultipartStream`] and [`MultipartSink`], and
//! [`AsyncMonitor`] for monitor events.
//! With the `draft` feature too, `AsyncThreadSafeSocket` does the same for
//! the thread-safe socket types (CLIENT/SERVER, RADIO/DISH,
//! SCATTER/GATHER, PEER, CHANNEL), which have no `ZMQ_FD`: it waits on a
//! `zmq_poller`'s fd.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmq::Result<()> {
//! use zmq::SocketType;
//!
//! let ctx = zmq::Context::new();
//! let pull = ctx.async_socket(SocketType::Pull)?;
//! pull.bind("tcp://127.0.0.1:*")?;
//!
//! let push = ctx.async_socket(SocketType::Push)?;
//! push.connect(&pull.last_endpoint()?)?;
//! let sender = tokio::spawn(async move {
//!     push.send_multipart(["job", "42"]).await
//! });
//! assert_eq!(pull.recv_multipart().await?, ["job", "42"]);
//! sender.await.expect("the sender task")?;
//! # Ok(())
//! # }
//! ```
//!
//! # How readiness works
//! libzmq's `ZMQ_FD` is registered with the runtime's reactor (tokio's
//! `AsyncFd` on Unix). It is edge-triggered, also signals libzmq's internal
//! commands, and any call on the socket may drain it, so the fd only says
//! "look again". Waiters queue per direction and the first in line is the
//! one woken; the fd's mark is cleared only after a call made under it has
//! failed, so a waiter that cannot proceed sleeps until the next edge, never
//! spins; and after every call made while others wait, `ZMQ_EVENTS` is read
//! and the ready directions are woken (one task's call may have consumed the
//! edge another task waits for). Wakers are called after every lock is
//! released. The rules, and what they assume of libzmq, are written down in
//! the source (`src/tokio/waiters.rs`) and model-checked with loom
//! (`tests/loom_waiters.rs`).
//!
//! # What each socket type does
//! A send waits when libzmq would block, and reports `Ok` once libzmq has the
//! message; the types that drop do so as in the blocking API (PUB and XPUB
//! for a full subscriber, ROUTER for an unknown or full peer). XPUB with
//! `XpubNodrop`, STREAM and ROUTER with `RouterMandatory` say "writable"
//! while a send to a particular peer still cannot go: such a send waits for
//! the next edge (room made by that peer is one), and waiting sends of one
//! socket are served in order. The README's table lists every type.
//!
//! # Cancel safety
//! Every future of this module can be dropped without losing or duplicating
//! a message: receives take a message out of libzmq only in the poll that
//! returns it (a multipart message whole), and sends hand a message to libzmq
//! whole or not at all ([`SendFuture::into_unsent`] gives an unsent one
//! back). `tokio::time::timeout` around any of them is therefore safe.
//!
//! # Shutdown and timeouts
//! [`Context::shutdown`](crate::Context::shutdown) wakes every pending future
//! of the context's sockets, which then fail with
//! [`ErrorKind::Terminated`](crate::ErrorKind::Terminated). The sockets'
//! `RcvTimeo` and `SndTimeo` do not apply to async calls (they never block
//! in libzmq): use `tokio::time::timeout`.

mod auth;
mod monitor;
mod primitives;
mod readiness;
mod socket;
mod source;
mod stream;
#[cfg(zmq_draft)]
mod thread_safe;
mod waiters;

pub use monitor::AsyncMonitor;
pub use socket::{AsyncSocket, RecvFuture, RecvMultipartFuture, SendFuture};
pub use stream::{MultipartSink, MultipartStream};
#[cfg(zmq_draft)]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
pub use thread_safe::{AsyncThreadSafeSocket, ThreadSafeRecvFuture, ThreadSafeSendFuture};
