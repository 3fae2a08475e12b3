//! Where the async layer's wake-ups come from: a socket's `ZMQ_FD`,
//! registered with the runtime's reactor.
//!
//! The interface is the same on every platform: [`FdSource::poll_read_ready`]
//! returns a guard while the fd is marked readable, and the mark stays until
//! the guard's [`clear_ready`](ReadyGuard::clear_ready) removes it. An edge
//! that arrives after the guard was taken survives the clear (tokio's
//! readiness ticks), which is what the wake-up logic in
//! [`waiters`](super::waiters) relies on.
//!
//! On Unix the source is tokio's `AsyncFd`; on Windows, where tokio has
//! none, a reactor thread of our own (see `windows.rs` for why).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{FdSource, ReadyGuard};
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{FdSource, ReadyGuard};

use crate::{Error, ErrorKind};

/// A tokio I/O error as ours: the errno when there is one.
pub(crate) fn io_error(error: std::io::Error, operation: &'static str) -> Error {
    match error.raw_os_error() {
        Some(errno) => Error::new(errno, operation),
        // tokio's only errno-less error here: the runtime is shutting down.
        None => Error::with_kind(ErrorKind::Terminated, operation)
            .context("the tokio runtime is shutting down"),
    }
}

/// Fails unless called inside a tokio runtime whose I/O driver is on.
///
/// tokio has no way to ask whether I/O is enabled: registering without it
/// panics ("IO is disabled"). Registration therefore runs under
/// `catch_unwind`, and that panic becomes this error; tokio's panic message
/// is still printed by the panic hook.
pub(crate) fn register_with_runtime<T>(
    operation: &'static str,
    register: impl FnOnce() -> std::io::Result<T>,
) -> crate::Result<T> {
    if ::tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::with_kind(ErrorKind::InvalidState, operation)
            .context("an async socket must be created inside a tokio runtime"));
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(register)) {
        Ok(Ok(registered)) => Ok(registered),
        Ok(Err(e)) => Err(io_error(e, operation)),
        Err(_) => Err(
            Error::with_kind(ErrorKind::InvalidState, operation).context(
                "the tokio runtime has no I/O driver: build it with `enable_io()` \
             (or `enable_all()`)",
            ),
        ),
    }
}
