//! libzmq's DRAFT API, with the `draft` feature: groups for RADIO/DISH,
//! routing ids for SERVER/CLIENT and PEER, and [`ThreadSafeSocket`] for the
//! socket types libzmq makes thread-safe.
//!
//! **Draft means draft:** libzmq may still change or remove any of this in a
//! later release, and so this crate may have to follow. Everything here needs
//! libzmq built with `--enable-drafts`, which the vendored build does when the
//! `draft` feature is on.
//!
//! Two things are easy to confuse and are kept apart by name:
//! - the *peer routing id* of ROUTER and STREAM sockets: bytes chosen by the
//!   peer ([`opt::RoutingId`](crate::opt::RoutingId)) and announced in its
//!   handshake, read with [`Message::routing_id`];
//! - the *server routing id* of SERVER and PEER sockets: a `u32` libzmq
//!   assigns to each connection, read with [`Message::server_routing_id`] on
//!   a received message and set with [`Message::set_server_routing_id`] to
//!   address a reply.

mod thread_safe;

pub use thread_safe::ThreadSafeSocket;

use crate::error::{check, Error, ErrorKind, Result};
use crate::message::Message;
use crate::socket::Socket;
use std::ffi::{CStr, CString};

/// The longest group name libzmq accepts, in bytes (`ZMQ_GROUP_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = zmq_sys::ZMQ_GROUP_MAX_LENGTH as usize;

/// Checks a group name and turns it into a C string: at most
/// [`GROUP_MAX_LENGTH`] bytes and no NUL byte, each refused with an error
/// that says which rule it broke.
pub(crate) fn group_name(group: &str, operation: &'static str) -> Result<CString> {
    if group.len() > GROUP_MAX_LENGTH {
        return Err(Error::with_kind(ErrorKind::InvalidInput, operation)
            .context("group name longer than ZMQ_GROUP_MAX_LENGTH (255 bytes)"));
    }
    CString::new(group).map_err(|_| {
        Error::with_kind(ErrorKind::InvalidInput, operation)
            .context("group name contains a NUL byte")
    })
}

/// `zmq_join`/`zmq_leave` on a raw socket, with the group checked first.
pub(crate) fn join_or_leave(
    socket: &Socket,
    group: &str,
    operation: &'static str,
    call: unsafe extern "C" fn(*mut std::ffi::c_void, *const std::ffi::c_char) -> i32,
) -> Result<()> {
    let name = group_name(group, operation)?;
    // SAFETY: a live socket and a NUL-terminated group that libzmq copies.
    let rc = unsafe { call(socket.as_raw(), name.as_ptr()) };
    check(rc, operation).map(drop).map_err(|e| e.context(group))
}

impl Socket {
    /// Joins a group (`zmq_join`, draft): a DISH receives what RADIOs send to
    /// the groups it has joined. A group is at most [`GROUP_MAX_LENGTH`]
    /// (255) bytes; a longer one, or one with a NUL byte, is an
    /// [`ErrorKind::InvalidInput`] error. On other socket types libzmq
    /// answers [`ErrorKind::NotSupported`].
    ///
    /// Draft API: libzmq may still change it.
    ///
    /// ```
    /// use zmq::{Context, Message, SocketType};
    /// let ctx = Context::new();
    /// let dish = ctx.socket(SocketType::Dish)?;
    /// dish.bind("inproc://join-doc")?;
    /// dish.join("weather")?;
    /// let radio = ctx.socket(SocketType::Radio)?;
    /// radio.connect("inproc://join-doc")?;
    /// // A RADIO drops what it sends before the DISH's join has reached it,
    /// // so send until something arrives (waiting up to 20 ms each time).
    /// dish.set(zmq::opt::RcvTimeo, std::time::Duration::from_millis(20))?;
    /// let mut got = None;
    /// for _ in 0..500 {
    ///     radio.send(Message::from("goal!").with_group("sports")?)?;
    ///     radio.send(Message::from("sunny").with_group("weather")?)?;
    ///     if let Ok(msg) = dish.recv() {
    ///         got = Some(msg);
    ///         break;
    ///     }
    /// }
    /// let got = got.expect("the DISH receives within 10 s");
    /// assert_eq!(got, "sunny");
    /// assert_eq!(got.group(), Some("weather"));
    /// assert!(dish.join(&"x".repeat(256)).is_err());
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn join(&self, group: &str) -> Result<()> {
        join_or_leave(self, group, "join", zmq_sys::zmq_join)
    }

    /// Leaves a group joined with [`join`](Self::join) (`zmq_leave`, draft);
    /// leaving a group that was not joined is an [`ErrorKind::InvalidInput`]
    /// error.
    ///
    /// Draft API: libzmq may still change it.
    pub fn leave(&self, group: &str) -> Result<()> {
        join_or_leave(self, group, "leave", zmq_sys::zmq_leave)
    }
}

impl Message {
    /// The group of a message received by a DISH, or set with
    /// [`set_group`](Self::set_group) (`zmq_msg_group`, draft); `None` when it
    /// has none (or, as libzmq allows any bytes, when it is not UTF-8: see
    /// [`group_bytes`](Self::group_bytes)).
    ///
    /// Draft API: libzmq may still change it.
    pub fn group(&self) -> Option<&str> {
        self.group_bytes().and_then(|g| std::str::from_utf8(g).ok())
    }

    /// The group as bytes (`zmq_msg_group`, draft); `None` when it has none.
    ///
    /// Draft API: libzmq may still change it.
    pub fn group_bytes(&self) -> Option<&[u8]> {
        // SAFETY: zmq_msg_group only reads the initialised message; Message
        // is not Sync, so no other thread touches it.
        let group = unsafe { zmq_sys::zmq_msg_group(self.raw_ptr()) };
        if group.is_null() {
            return None;
        }
        // SAFETY: a non-NULL result is a NUL-terminated string stored in (or
        // owned by) the message, alive as long as the borrow of self.
        let bytes = unsafe { CStr::from_ptr(group) }.to_bytes();
        (!bytes.is_empty()).then_some(bytes)
    }

    /// Sets the group a RADIO sends this message to (`zmq_msg_set_group`,
    /// draft). At most [`GROUP_MAX_LENGTH`] (255) bytes and no NUL byte,
    /// else an [`ErrorKind::InvalidInput`] error.
    ///
    /// Draft API: libzmq may still change it.
    pub fn set_group(&mut self, group: &str) -> Result<()> {
        let name = group_name(group, "zmq_msg_set_group")?;
        // SAFETY: an initialised message we own, and a NUL-terminated group
        // that libzmq copies.
        let rc = unsafe { zmq_sys::zmq_msg_set_group(self.as_mut_ptr(), name.as_ptr()) };
        check(rc, "zmq_msg_set_group")
            .map(drop)
            .map_err(|e| e.context(group))
    }

    /// [`set_group`](Self::set_group), by value, for building a message in
    /// one expression: `Message::from("sunny").with_group("weather")?`.
    ///
    /// Draft API: libzmq may still change it.
    pub fn with_group(mut self, group: &str) -> Result<Message> {
        self.set_group(group)?;
        Ok(self)
    }

    /// The server routing id (`zmq_msg_routing_id`, draft): on a message
    /// received by a SERVER or PEER socket, the `u32` that libzmq gave the
    /// connection it came from; `None` when it has none (zero).
    ///
    /// Not the peer's routing id *property* of ROUTER sockets (bytes chosen
    /// by the peer): that is [`routing_id`](Self::routing_id).
    ///
    /// Draft API: libzmq may still change it.
    ///
    /// ```
    /// use zmq::{Context, SocketType};
    /// let ctx = Context::new();
    /// let server = ctx.socket(SocketType::Server)?;
    /// server.bind("inproc://server-routing-id-doc")?;
    /// let client = ctx.socket(SocketType::Client)?;
    /// client.connect("inproc://server-routing-id-doc")?;
    /// client.send("ping")?;
    /// let request = server.recv()?;
    /// let from = request.server_routing_id().expect("a SERVER tags what it receives");
    /// let mut reply = zmq::Message::from("pong");
    /// reply.set_server_routing_id(from)?;
    /// server.send(reply)?;
    /// assert_eq!(client.recv()?, "pong");
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn server_routing_id(&self) -> Option<u32> {
        // SAFETY: zmq_msg_routing_id only reads the initialised message;
        // Message is not Sync, so no other thread touches it.
        let id = unsafe { zmq_sys::zmq_msg_routing_id(self.raw_ptr()) };
        (id != 0).then_some(id)
    }

    /// Addresses this message to a connection of a SERVER or PEER socket
    /// (`zmq_msg_set_routing_id`, draft), with an id from
    /// [`server_routing_id`](Self::server_routing_id) (or, for PEER, from
    /// [`ThreadSafeSocket::connect_peer`]). Zero is not an id: an
    /// [`ErrorKind::InvalidInput`] error.
    ///
    /// Draft API: libzmq may still change it.
    pub fn set_server_routing_id(&mut self, id: u32) -> Result<()> {
        // SAFETY: an initialised message we own.
        let rc = unsafe { zmq_sys::zmq_msg_set_routing_id(self.as_mut_ptr(), id) };
        check(rc, "zmq_msg_set_routing_id").map(drop)
    }

    /// [`set_server_routing_id`](Self::set_server_routing_id), by value.
    ///
    /// Draft API: libzmq may still change it.
    pub fn with_server_routing_id(mut self, id: u32) -> Result<Message> {
        self.set_server_routing_id(id)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_of_the_maximum_length_is_accepted_one_byte_more_is_not() {
        let mut msg = Message::from_slice(b"x");
        msg.set_group(&"g".repeat(GROUP_MAX_LENGTH)).unwrap();
        assert_eq!(msg.group().map(str::len), Some(GROUP_MAX_LENGTH));
        let err = msg
            .set_group(&"g".repeat(GROUP_MAX_LENGTH + 1))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("ZMQ_GROUP_MAX_LENGTH"), "{err}");
        let err = msg.set_group("nul\0inside").unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
    }

    #[test]
    fn a_fresh_message_has_no_group_and_no_server_routing_id() {
        let mut msg = Message::from_slice(b"x");
        assert_eq!(msg.group(), None);
        assert_eq!(msg.server_routing_id(), None);
        msg.set_server_routing_id(7).unwrap();
        assert_eq!(msg.server_routing_id(), Some(7));
        let err = msg.set_server_routing_id(0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
