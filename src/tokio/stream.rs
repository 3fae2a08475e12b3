//! [`MultipartStream`] and [`MultipartSink`]: an [`AsyncSocket`] as a
//! `futures` `Stream` and `Sink` of multipart messages.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use super::readiness::Direction;
use super::socket::Outgoing;
use super::AsyncSocket;
use crate::{ErrorKind, Multipart, Result};

/// The messages of an [`AsyncSocket`] as a `Stream` of multipart messages.
///
/// It ends after yielding an error of kind [`ErrorKind::Terminated`] (the
/// context was shut down); other errors are yielded and the stream goes on.
/// Dropping it between items loses nothing (receiving is cancel safe).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use std::sync::Arc;
/// use futures_util::{SinkExt, StreamExt};
/// use zmq::tokio::{AsyncSocket, MultipartSink, MultipartStream};
///
/// let ctx = zmq::Context::new();
/// let pull = Arc::new(AsyncSocket::new(ctx.socket(zmq::SocketType::Pull)?)?);
/// pull.with_socket(|s| s.bind("inproc://stream-doc"))?;
/// let push = Arc::new(AsyncSocket::new(ctx.socket(zmq::SocketType::Push)?)?);
/// push.with_socket(|s| s.connect("inproc://stream-doc"))?;
///
/// let mut sink = MultipartSink::new(push);
/// sink.send(vec!["a".into(), "b".into()]).await?;
/// let mut stream = MultipartStream::new(pull);
/// let parts = stream.next().await.unwrap()?;
/// assert_eq!(parts, ["a", "b"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MultipartStream {
    socket: Arc<AsyncSocket>,
    key: Option<usize>,
    ended: bool,
}

impl MultipartStream {
    /// A stream of the messages `socket` receives.
    pub fn new(socket: Arc<AsyncSocket>) -> MultipartStream {
        MultipartStream {
            socket,
            key: None,
            ended: false,
        }
    }

    /// The socket it reads from.
    pub fn socket(&self) -> &Arc<AsyncSocket> {
        &self.socket
    }
}

impl Stream for MultipartStream {
    type Item = Result<Multipart>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Multipart>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let received = std::task::ready!(this.socket.poll_recv_multipart(cx, &mut this.key));
        if matches!(&received, Err(e) if e.kind() == ErrorKind::Terminated) {
            this.ended = true;
        }
        Poll::Ready(Some(received))
    }
}

impl Drop for MultipartStream {
    fn drop(&mut self) {
        self.socket.cancel_wait(Direction::Recv, &mut self.key);
    }
}

/// An [`AsyncSocket`] as a `Sink` of multipart messages.
///
/// It buffers one message: `poll_ready` (and so `SinkExt::send`, `feed`)
/// waits until the previous one is in libzmq's queue. Each message is sent
/// whole or not at all; [`into_unsent`](Self::into_unsent) returns a
/// buffered message that was not sent.
///
/// # When libzmq refuses a message
/// A message refused with an error (say [`ErrorKind::Unroutable`] from a
/// ROUTER with `RouterMandatory`) fails the `poll_ready`, `poll_flush` or
/// `poll_close` that tried it, once. The sink then no longer holds it and
/// stays usable: the next message is sent as usual, and
/// [`take_failed`](Self::take_failed) gives the refused one back.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use std::sync::Arc;
/// use futures_util::SinkExt;
/// let ctx = zmq::Context::new();
/// let router = Arc::new(ctx.async_socket(zmq::SocketType::Router)?);
/// router.set(zmq::opt::RouterMandatory, true)?;
/// let mut sink = zmq::tokio::MultipartSink::new(router);
/// let refused = sink.send(vec!["nobody".into(), "hello".into()]).await;
/// assert_eq!(refused.unwrap_err().kind(), zmq::ErrorKind::Unroutable);
/// assert_eq!(sink.take_failed().unwrap(), ["nobody", "hello"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MultipartSink {
    socket: Arc<AsyncSocket>,
    pending: Outgoing,
    failed: Option<Multipart>,
    key: Option<usize>,
}

impl MultipartSink {
    /// A sink that sends through `socket`.
    pub fn new(socket: Arc<AsyncSocket>) -> MultipartSink {
        MultipartSink {
            socket,
            pending: Outgoing::Sent,
            failed: None,
            key: None,
        }
    }

    /// The socket it writes to.
    pub fn socket(&self) -> &Arc<AsyncSocket> {
        &self.socket
    }

    /// Gives up: the buffered message if it was not sent yet.
    pub fn into_unsent(mut self) -> Option<Multipart> {
        self.pending.take()
    }

    /// The last message libzmq refused, taken out of the sink (see
    /// [When libzmq refuses a message](Self#when-libzmq-refuses-a-message)).
    pub fn take_failed(&mut self) -> Option<Multipart> {
        self.failed.take()
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if matches!(self.pending, Outgoing::Sent) {
            return Poll::Ready(Ok(()));
        }
        let sent = std::task::ready!(self.socket.poll_send(cx, &mut self.key, &mut self.pending));
        if sent.is_err() {
            // Refused for good: out of the way of the messages behind it.
            self.failed = self.pending.take();
        }
        Poll::Ready(sent)
    }
}

impl Sink<Multipart> for MultipartSink {
    type Error = crate::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_pending(cx)
    }

    fn start_send(self: Pin<&mut Self>, parts: Multipart) -> Result<()> {
        let this = self.get_mut();
        this.pending = Outgoing::from_parts(parts);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_pending(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_pending(cx)
    }
}

impl Drop for MultipartSink {
    fn drop(&mut self) {
        self.socket.cancel_wait(Direction::Send, &mut self.key);
    }
}
