//! The async layer for tokio (feature `tokio`): [`AsyncSocket`] with
//! `send`/`recv` futures, a [`MultipartStream`] and [`MultipartSink`], and
//! [`AsyncMonitor`] for monitor events.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmq::Result<()> {
//! use zmq::tokio::AsyncSocket;
//! use zmq::SocketType;
//!
//! let ctx = zmq::Context::new();
//! let pull = AsyncSocket::new(ctx.socket(SocketType::Pull)?)?;
//! pull.with_socket(|s| s.bind("tcp://127.0.0.1:*"))?;
//! let endpoint = pull.with_socket(|s| s.last_endpoint())?;
//!
//! let push = AsyncSocket::new(ctx.socket(SocketType::Push)?)?;
//! push.with_socket(|s| s.connect(&endpoint))?;
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
//! libzmq's `ZMQ_FD` is registered with tokio's reactor. It is
//! edge-triggered and also signals libzmq's internal commands, so the fd
//! only says "look at `ZMQ_EVENTS` again": a waiter clears the fd's
//! readiness only after `ZMQ_EVENTS` said its direction is not ready, and
//! after every send, receive or `ZMQ_EVENTS` read, when others wait,
//! `ZMQ_EVENTS` is read once more and the waiters of each ready direction are
//! woken (one task's call may have consumed the edge another task waits for).
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

mod monitor;
mod primitives;
mod readiness;
mod socket;
mod source;
mod stream;
mod waiters;

pub use monitor::AsyncMonitor;
pub use socket::{AsyncSocket, RecvFuture, RecvMultipartFuture, SendFuture};
pub use stream::{MultipartSink, MultipartStream};
