//! [`AsyncMonitor`]: a socket's monitor events as an async stream.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::source::FdSource;
use crate::monitor::{Event, Monitor};
use crate::poll::PollEvents;
use crate::{Error, ErrorKind, Result};

/// The events of a [`Monitor`], received asynchronously; made by
/// [`AsyncSocket::monitor`](super::AsyncSocket::monitor) or
/// [`AsyncMonitor::new`].
///
/// As a `Stream` it yields `Result<Event>` and ends after
/// [`EventKind::MonitorStopped`](crate::monitor::EventKind::MonitorStopped) or a
/// terminated context, like the blocking [`Monitor`]'s iterator. Receiving
/// is cancel safe: an event is taken from libzmq only in the poll that
/// returns it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmq::Result<()> {
/// use zmq::monitor::{EventKind, MonitorEvents};
/// use zmq::tokio::AsyncSocket;
/// let ctx = zmq::Context::new();
/// let server = AsyncSocket::new(ctx.socket(zmq::SocketType::Rep)?)?;
/// let mut monitor = server.monitor(MonitorEvents::LISTENING)?;
/// server.with_socket(|s| s.bind("tcp://127.0.0.1:*"))?;
/// assert_eq!(monitor.next_event().await?.kind.flag(), MonitorEvents::LISTENING);
/// # Ok(())
/// # }
/// ```
pub struct AsyncMonitor {
    // Declared first so it is dropped first: the fd is deregistered while the
    // monitor's PAIR socket, which owns it, is still open.
    fd: FdSource,
    monitor: Monitor,
}

impl std::fmt::Debug for AsyncMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncMonitor")
            .field("monitor", &self.monitor)
            .finish_non_exhaustive()
    }
}

impl AsyncMonitor {
    /// Receives `monitor`'s events asynchronously. Must be called inside a
    /// tokio runtime with I/O enabled.
    pub fn new(monitor: Monitor) -> Result<AsyncMonitor> {
        Ok(AsyncMonitor {
            fd: FdSource::new(monitor.socket())?,
            monitor,
        })
    }

    /// Waits for the next event. After the stream has ended (the last event
    /// is `MonitorStopped`) it fails at once with [`ErrorKind::Terminated`].
    ///
    /// Cancel safety: cancel safe.
    pub async fn next_event(&mut self) -> Result<Event> {
        match poll_fn(|cx| self.poll_event(cx)).await? {
            Some(event) => Ok(event),
            None => Err(
                Error::with_kind(ErrorKind::Terminated, "AsyncMonitor::next_event")
                    .context("the monitor has stopped"),
            ),
        }
    }

    /// The blocking monitor back.
    pub fn into_inner(self) -> Monitor {
        let AsyncMonitor { fd, monitor } = self;
        drop(fd);
        monitor
    }

    /// True once the stream has ended.
    pub fn is_stopped(&self) -> bool {
        self.monitor.is_stopped()
    }

    /// Polls for the next event: `Ok(None)` once the stream has ended.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Event>>> {
        loop {
            match self.monitor.try_next() {
                Ok(Some(event)) => return Poll::Ready(Ok(Some(event))),
                Ok(None) if self.monitor.is_stopped() => return Poll::Ready(Ok(None)),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // One waiter only (`&mut self`), so tokio's single waker is enough;
            // the rule is the socket's: clear readiness only when libzmq
            // says there is nothing to read.
            let guard = match self.fd.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.monitor.note_error(e))),
            };
            // Every error goes through the monitor, so that a terminated
            // context ends the stream once, not at every poll.
            match self.monitor.socket().get(crate::opt::Events) {
                Ok(ready) if !ready.contains(PollEvents::POLLIN) => guard.clear_ready(),
                Ok(_) => {}
                Err(e) => return Poll::Ready(Err(self.monitor.note_error(e))),
            }
        }
    }
}

impl Stream for AsyncMonitor {
    type Item = Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Event>>> {
        let this = self.get_mut();
        if this.monitor.is_stopped() {
            return Poll::Ready(None);
        }
        match std::task::ready!(this.poll_event(cx)) {
            Ok(event) => Poll::Ready(event.map(Ok)),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }
}
