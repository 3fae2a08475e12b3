//! Aliases for code moving over from the `zmq` 0.10 crate: its names for
//! calls this crate spells differently, where one line is then enough to
//! keep a program working. `docs/MIGRATING.md` maps the rest.

use crate::error::Result;
use crate::option::opt;
use crate::poll::{PollEvents, PollItem};
use crate::socket::{Socket, SocketType};

impl Socket {
    /// A [`PollItem`] waiting for `events` on this socket, for [`poll`](crate::poll());
    /// the `zmq` 0.10 name of [`PollItem::socket`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use zmq::{PollEvents, SocketType};
    ///
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// pull.bind("inproc://as-poll-item")?;
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.connect("inproc://as-poll-item")?;
    /// push.send("ready")?;
    ///
    /// let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
    /// assert_eq!(zmq::poll(&mut items, Some(Duration::from_secs(5)))?, 1);
    /// assert!(items[0].is_readable());
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem::socket(self, events)
    }

    /// The socket's type as libzmq reports it (`ZMQ_TYPE`), a `Result` as in
    /// `zmq` 0.10. [`Socket::socket_type`] gives the same without asking libzmq.
    ///
    /// ```
    /// use zmq::SocketType;
    ///
    /// let ctx = zmq::Context::new();
    /// let dealer = ctx.socket(SocketType::Dealer)?;
    /// assert_eq!(dealer.get_socket_type()?, SocketType::Dealer);
    /// assert_eq!(dealer.get_socket_type()?, dealer.socket_type());
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn get_socket_type(&self) -> Result<SocketType> {
        self.get(opt::Type)
    }
}
