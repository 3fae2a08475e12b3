//! A server socket's visitors, from its monitor: one log line per refused
//! or failed handshake naming the peer's address and the reason, and with
//! `--monitor` every connection event.
//!
//! libzmq 4.3's (version 1) monitor events of a bound socket carry the
//! listener's address, not the peer's, and a failed handshake carries no file
//! descriptor. So the peer is looked up (`getpeername`) when its connection
//! is accepted, while the descriptor is open, and a handshake failure is
//! pinned on the connection whose `Disconnected` follows it: libzmq reports
//! both from the same call on that connection's I/O thread.

use std::collections::HashMap;
use std::net::SocketAddr;
use zmq::monitor::{EventKind, Monitor, MonitorEvents};
use zmq::RawFd;
use zmq::Socket;

/// Watches one bound socket; `name` says which in the log (e.g. "feed").
pub struct PeerLog {
    monitor: Monitor,
    name: String,
    /// Log every event, not only failures.
    all_events: bool,
    peers: HashMap<RawFd, String>,
    /// The reason of a handshake failure whose connection is not yet known.
    failed: Option<String>,
}

impl PeerLog {
    /// Starts monitoring `socket` (before it binds, to see `Listening` too).
    pub fn new(socket: &Socket, name: &str, all_events: bool) -> zmq::Result<PeerLog> {
        Ok(PeerLog {
            monitor: socket.monitor(MonitorEvents::ALL)?,
            name: name.to_owned(),
            all_events,
            peers: HashMap::new(),
            failed: None,
        })
    }

    /// The monitor's socket, to poll for `POLLIN` with the server's own.
    pub fn socket(&self) -> &Socket {
        self.monitor.socket()
    }

    /// Handles the pending events (never blocks), returning the lines to log.
    pub fn update(&mut self) -> zmq::Result<Vec<String>> {
        let mut lines = Vec::new();
        while let Some(event) = self.monitor.try_next()? {
            let peer_of = |peers: &HashMap<RawFd, String>, fd: RawFd| {
                peers
                    .get(&fd)
                    .cloned()
                    .unwrap_or_else(|| format!("an unknown peer (fd {fd})"))
            };
            match event.kind {
                EventKind::Accepted { fd } => {
                    let peer = peer_address(fd)
                        .map_or_else(|| format!("an unknown peer (fd {fd})"), |a| a.to_string());
                    if self.all_events {
                        lines.push(format!(
                            "{}: accepted {peer} on {}",
                            self.name, event.endpoint
                        ));
                    }
                    self.peers.insert(fd, peer);
                }
                EventKind::HandshakeFailedAuth { status_code } => {
                    self.failed = Some(format!(
                        "refused by the authenticator (ZAP status {status_code}: {})",
                        match status_code {
                            400 => "key not allowed",
                            300 => "try later",
                            500 => "authenticator error",
                            _ => "refused",
                        }
                    ))
                }
                EventKind::HandshakeFailedProtocol { reason } => {
                    self.failed = Some(format!(
                        "handshake broke the protocol ({reason}): a wrong server key, or a \
                         client without CURVE?"
                    ))
                }
                EventKind::HandshakeFailedNoDetail { errno } => {
                    self.failed = Some(format!(
                        "handshake failed ({}): the client left, or does not speak ZMTP",
                        std::io::Error::from_raw_os_error(errno)
                    ))
                }
                EventKind::Disconnected { fd } => {
                    let peer = peer_of(&self.peers, fd);
                    self.peers.remove(&fd);
                    match self.failed.take() {
                        Some(why) => {
                            lines.push(format!("{}: refused {peer}: {why}", self.name));
                        }
                        None if self.all_events => {
                            lines.push(format!("{}: {peer} disconnected", self.name))
                        }
                        None => {}
                    }
                }
                EventKind::HandshakeSucceeded if self.all_events => lines.push(format!(
                    "{}: handshake succeeded on {}",
                    self.name, event.endpoint
                )),
                _ if self.all_events => lines.push(format!("{}: {event}", self.name)),
                _ => {}
            }
        }
        Ok(lines)
    }
}

/// The remote address of a connected TCP socket; `None` for other
/// transports or a socket that is already closed.
#[cfg(windows)]
fn peer_address(socket: RawFd) -> Option<SocketAddr> {
    use std::os::windows::io::FromRawSocket;
    // SAFETY: the SOCKET is only borrowed: ManuallyDrop never closes it
    // (libzmq owns it), and a stale one only makes getpeername fail.
    let stream =
        std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_socket(socket) });
    stream.peer_addr().ok()
}

/// The remote address of a connected TCP socket; `None` for other
/// transports or a descriptor that is already closed.
#[cfg(unix)]
fn peer_address(fd: RawFd) -> Option<SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr};
    let mut storage = std::mem::MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_storage>()).ok()?;
    // SAFETY: the buffer is a zeroed sockaddr_storage (large enough for any
    // address) and `len` says its size; a stale fd only makes the call fail.
    let rc = unsafe { libc::getpeername(fd, storage.as_mut_ptr().cast(), &mut len) };
    if rc != 0 {
        return None;
    }
    // SAFETY: zero-initialised above, and getpeername filled in at most `len` bytes.
    let storage = unsafe { storage.assume_init() };
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4 = unsafe { &*std::ptr::from_ref(&storage).cast::<libc::sockaddr_in>() };
            Some(SocketAddr::from((
                Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)),
                u16::from_be(v4.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6 = unsafe { &*std::ptr::from_ref(&storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::from((
                Ipv6Addr::from(v6.sin6_addr.s6_addr),
                u16::from_be(v6.sin6_port),
            )))
        }
        _ => None,
    }
}
