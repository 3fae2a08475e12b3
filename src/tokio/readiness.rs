//! The wake-up logic of [`waiters`](super::waiters) bound to a libzmq
//! socket: `ZMQ_EVENTS` as its look, the platform's [`FdSource`] as its fd.

use std::task::{Context, Poll};

use super::source::{FdSource, ReadyGuard};
use super::waiters::{self, Clearable, Ready, SendReadiness};
use crate::poll::PollEvents;
use crate::{Error, Result, Socket, SocketType};

pub(crate) use super::primitives::lock;
pub(crate) use super::waiters::Direction;

/// A socket's readiness: [`waiters::Readiness`] over its `ZMQ_FD`.
pub(crate) type Readiness = waiters::Readiness<FdSource>;

/// The outcome of one non-blocking attempt: done (with a value or an error)
/// or not possible now.
pub(crate) type Attempt<T> = waiters::Attempt<T, Error>;

impl waiters::Source for FdSource {
    type Error = Error;
    type Guard<'a> = ReadyGuard<'a>;

    #[inline]
    fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<Result<ReadyGuard<'a>>> {
        FdSource::poll_read_ready(self, cx)
    }
}

impl Clearable for ReadyGuard<'_> {
    fn clear_ready(self) {
        ReadyGuard::clear_ready(self);
    }
}

/// Registers `socket`'s `ZMQ_FD` and reads the socket type, which decides
/// whether POLLOUT can be trusted.
pub(crate) fn readiness(socket: &Socket) -> Result<Readiness> {
    let sends = match socket.socket_type() {
        // They route each message to particular peers: POLLOUT says some
        // message could go, not this one (XPUB with XpubNodrop, ROUTER with
        // RouterMandatory; both options can be set at any time).
        SocketType::Router | SocketType::Stream | SocketType::XPub => SendReadiness::Inexact,
        _ => SendReadiness::Exact,
    };
    Ok(Readiness::new(FdSource::new(socket)?, sends))
}

/// `ZMQ_EVENTS`, the look of the wake-up logic. It processes the socket's
/// pending commands first.
#[inline]
pub(crate) fn events(socket: &Socket) -> Result<Ready> {
    let events = socket.get(crate::opt::Events)?;
    Ok(Ready {
        recv: events.contains(PollEvents::POLLIN),
        send: events.contains(PollEvents::POLLOUT),
    })
}
