//! The Unix readiness source: `ZMQ_FD` (an eventfd or a pipe) registered
//! with tokio's reactor through `AsyncFd`.

use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use ::tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use ::tokio::io::Interest;

use super::{io_error, register_with_runtime};
use crate::{Result, Socket};

/// A `ZMQ_FD`, borrowed from its socket: libzmq owns and closes it, so this
/// newtype never does.
#[derive(Debug)]
struct ZmqFd(RawFd);

impl AsRawFd for ZmqFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// A socket's `ZMQ_FD`, registered with the current tokio runtime. Its owner
/// must drop it before closing the socket.
#[derive(Debug)]
pub(crate) struct FdSource {
    fd: AsyncFd<ZmqFd>,
}

/// The fd is marked readable; see [`FdSource::poll_read_ready`].
pub(crate) struct ReadyGuard<'a> {
    guard: AsyncFdReadyGuard<'a, ZmqFd>,
}

impl ReadyGuard<'_> {
    /// Removes the readable mark, unless an edge came after this guard was
    /// taken.
    pub(crate) fn clear_ready(mut self) {
        self.guard.clear_ready();
    }
}

impl FdSource {
    /// Registers `socket`'s `ZMQ_FD`: an error of kind
    /// [`InvalidState`](crate::ErrorKind::InvalidState) outside a tokio
    /// runtime or in one without I/O.
    pub(crate) fn new(socket: &Socket) -> Result<FdSource> {
        let raw = socket.get(crate::opt::Fd)?;
        // SAFETY: ZMQ_FD stays open and the same while the socket is open,
        // and every owner of an FdSource (AsyncSocket, AsyncMonitor) declares
        // it before the socket, so it is dropped (deregistered) first; their
        // into_inner drops it explicitly before handing the socket back.
        unsafe { FdSource::register(raw) }
    }

    /// Registers a libzmq-owned fd (`ZMQ_FD`, or a `zmq_poller`'s fd).
    ///
    /// # Safety
    /// `raw` must stay open, and be the same fd, until the returned source
    /// is dropped.
    pub(crate) unsafe fn register(raw: RawFd) -> Result<FdSource> {
        register_with_runtime("AsyncFd::new", || {
            // SAFETY: the caller keeps the fd open while the source lives.
            unsafe { AsyncFd::register_with_interest(ZmqFd(raw), Interest::READABLE) }
                .map_err(|e| e.into_parts().1)
        })
        .map(|fd| FdSource { fd })
    }

    /// `Ready` with a guard while the fd is marked readable; otherwise
    /// registers `cx`'s waker for the next edge and returns `Pending`.
    #[inline]
    pub(crate) fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ReadyGuard<'a>>> {
        match self.fd.poll_read_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(guard)) => Poll::Ready(Ok(ReadyGuard { guard })),
            Poll::Ready(Err(e)) => Poll::Ready(Err(io_error(e, "AsyncFd::poll_read_ready"))),
        }
    }
}
