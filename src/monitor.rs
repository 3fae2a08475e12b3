//! Socket monitors (`zmq_socket_monitor`): a socket's connection events,
//! typed.
//!
//! [`Socket::monitor`] asks libzmq to report what happens on a socket
//! (listening, connections accepted and lost, handshakes...) and returns a
//! [`Monitor`] that yields each report as an [`Event`]:
//!
//! ```
//! use std::time::Duration;
//! use zmq::monitor::{EventKind, MonitorEvents};
//! use zmq::SocketType;
//!
//! let ctx = zmq::Context::new();
//! let server = ctx.socket(SocketType::Rep)?;
//! let mut monitor = server.monitor(MonitorEvents::LISTENING | MonitorEvents::ACCEPTED)?;
//! server.bind("tcp://127.0.0.1:*")?;
//!
//! let event = monitor.next_timeout(Duration::from_secs(5))?.expect("an event");
//! assert!(matches!(event.kind, EventKind::Listening { .. }));
//! assert_eq!(event.endpoint, server.last_endpoint()?);
//! # Ok::<(), zmq::Error>(())
//! ```
//!
//! # Never hanging libzmq
//! libzmq sends events from its I/O threads with blocking sends on a PAIR
//! socket. If nobody is connected to receive them (the monitor was closed
//! while the socket still lives: libzmq issue 3575), or the queue is full,
//! the I/O thread blocks, stalling every socket it serves, and closing the
//! socket or terminating the context hangs. This module rules both out:
//! - the monitor's receive queue is unbounded (`ZMQ_RCVHWM` 0), so an event
//!   never waits for the reader;
//! - the stream always ends with [`EventKind::MonitorStopped`] (it is always
//!   subscribed), so the monitor knows when libzmq has let go of it;
//! - dropping a [`Monitor`] before that moment hands its PAIR socket to a
//!   small background thread that discards events until libzmq stops
//!   monitoring (the socket is closed, [`Socket::stop_monitor`] is called, or
//!   the context shuts down). Call [`Socket::stop_monitor`] first to release
//!   everything at once.

use crate::error::{Error, ErrorKind, Result};
use crate::poll::{poll, PollEvents, PollItem};
use crate::socket::{Socket, SocketType};
use crate::RawFd;
use std::ffi::CString;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

bitflags::bitflags! {
    /// Which events a monitor reports (`ZMQ_EVENT_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MonitorEvents: u64 {
        /// `ZMQ_EVENT_CONNECTED`: a connection to a remote peer is established.
        const CONNECTED = zmq_sys::ZMQ_EVENT_CONNECTED as u64;
        /// `ZMQ_EVENT_CONNECT_DELAYED`: a connect could not complete at once
        /// and is being retried in the background.
        const CONNECT_DELAYED = zmq_sys::ZMQ_EVENT_CONNECT_DELAYED as u64;
        /// `ZMQ_EVENT_CONNECT_RETRIED`: a reconnect is scheduled.
        const CONNECT_RETRIED = zmq_sys::ZMQ_EVENT_CONNECT_RETRIED as u64;
        /// `ZMQ_EVENT_LISTENING`: a bind succeeded; the socket is listening.
        const LISTENING = zmq_sys::ZMQ_EVENT_LISTENING as u64;
        /// `ZMQ_EVENT_BIND_FAILED`: a bind failed.
        const BIND_FAILED = zmq_sys::ZMQ_EVENT_BIND_FAILED as u64;
        /// `ZMQ_EVENT_ACCEPTED`: a connection from a peer was accepted.
        const ACCEPTED = zmq_sys::ZMQ_EVENT_ACCEPTED as u64;
        /// `ZMQ_EVENT_ACCEPT_FAILED`: accepting a connection failed.
        const ACCEPT_FAILED = zmq_sys::ZMQ_EVENT_ACCEPT_FAILED as u64;
        /// `ZMQ_EVENT_CLOSED`: a connection or listener was closed.
        const CLOSED = zmq_sys::ZMQ_EVENT_CLOSED as u64;
        /// `ZMQ_EVENT_CLOSE_FAILED`: closing one failed.
        const CLOSE_FAILED = zmq_sys::ZMQ_EVENT_CLOSE_FAILED as u64;
        /// `ZMQ_EVENT_DISCONNECTED`: a session's connection was lost.
        const DISCONNECTED = zmq_sys::ZMQ_EVENT_DISCONNECTED as u64;
        /// `ZMQ_EVENT_MONITOR_STOPPED`: monitoring ended (always reported).
        const MONITOR_STOPPED = zmq_sys::ZMQ_EVENT_MONITOR_STOPPED as u64;
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`: a handshake failed for a
        /// reason other than protocol or authentication (an errno).
        const HANDSHAKE_FAILED_NO_DETAIL = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL as u64;
        /// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`: the ZMTP handshake (and security
        /// mechanism) completed.
        const HANDSHAKE_SUCCEEDED = zmq_sys::ZMQ_EVENT_HANDSHAKE_SUCCEEDED as u64;
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`: the peer broke the ZMTP or
        /// ZAP protocol.
        const HANDSHAKE_FAILED_PROTOCOL = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL as u64;
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`: the authenticator refused the peer.
        const HANDSHAKE_FAILED_AUTH = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_AUTH as u64;
        /// `ZMQ_EVENT_ALL`: every event of the version 1 monitor.
        const ALL = zmq_sys::ZMQ_EVENT_ALL as u64;
        /// `ZMQ_EVENT_PIPES_STATS` (draft, versioned monitor only): queue sizes,
        /// reported after `zmq_socket_monitor_pipes_stats`.
        #[cfg(zmq_draft)]
        #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
        const PIPES_STATS = zmq_sys::ZMQ_EVENT_PIPES_STATS as u64;
    }
}

/// Why a handshake broke the protocol: the `ZMQ_PROTOCOL_ERROR_*` value of a
/// [`EventKind::HandshakeFailedProtocol`] event.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolError {
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`
    ZmtpUnspecified,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`
    ZmtpUnexpectedCommand,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`
    ZmtpInvalidSequence,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`
    ZmtpKeyExchange,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`
    ZmtpMalformedCommandUnspecified,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`
    ZmtpMalformedCommandMessage,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`
    ZmtpMalformedCommandHello,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`
    ZmtpMalformedCommandInitiate,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`
    ZmtpMalformedCommandError,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`
    ZmtpMalformedCommandReady,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`
    ZmtpMalformedCommandWelcome,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`
    ZmtpInvalidMetadata,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`: a CURVE box did not open.
    ZmtpCryptographic,
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`: the peers use different
    /// security mechanisms (or the peer named an unknown one).
    ZmtpMechanismMismatch,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED`
    ZapUnspecified,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY`
    ZapMalformedReply,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID`
    ZapBadRequestId,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION`
    ZapBadVersion,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE`
    ZapInvalidStatusCode,
    /// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA`
    ZapInvalidMetadata,
    /// `ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED`
    WsUnspecified,
    /// A code this build does not know.
    Unknown(u32),
}

const PROTOCOL_ERRORS: &[(i32, ProtocolError)] = {
    use ProtocolError::*;
    &[
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
            ZmtpUnspecified,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
            ZmtpUnexpectedCommand,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE,
            ZmtpInvalidSequence,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE,
            ZmtpKeyExchange,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
            ZmtpMalformedCommandUnspecified,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE,
            ZmtpMalformedCommandMessage,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
            ZmtpMalformedCommandHello,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
            ZmtpMalformedCommandInitiate,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR,
            ZmtpMalformedCommandError,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
            ZmtpMalformedCommandReady,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME,
            ZmtpMalformedCommandWelcome,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
            ZmtpInvalidMetadata,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
            ZmtpCryptographic,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
            ZmtpMechanismMismatch,
        ),
        (zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED, ZapUnspecified),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY,
            ZapMalformedReply,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID,
            ZapBadRequestId,
        ),
        (zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION, ZapBadVersion),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE,
            ZapInvalidStatusCode,
        ),
        (
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA,
            ZapInvalidMetadata,
        ),
        (zmq_sys::ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, WsUnspecified),
    ]
};

impl ProtocolError {
    /// The error for a `ZMQ_PROTOCOL_ERROR_*` code; [`ProtocolError::Unknown`]
    /// for any other.
    pub fn from_raw(code: u32) -> ProtocolError {
        PROTOCOL_ERRORS
            .iter()
            .find(|(raw, _)| *raw as u32 == code)
            .map_or(ProtocolError::Unknown(code), |(_, error)| *error)
    }

    /// The `ZMQ_PROTOCOL_ERROR_*` code.
    pub fn to_raw(self) -> u32 {
        match self {
            ProtocolError::Unknown(code) => code,
            known => PROTOCOL_ERRORS
                .iter()
                .find(|(_, error)| *error == known)
                .map_or(0, |(raw, _)| *raw as u32),
        }
    }

    /// True for errors of the ZAP (authentication) exchange rather than ZMTP.
    pub fn is_zap(self) -> bool {
        self.to_raw() & 0xF000_0000 == 0x2000_0000
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Unknown(code) => write!(f, "unknown protocol error {code:#x}"),
            known => write!(f, "{known:?}"),
        }
    }
}

/// What happened, with the event's value decoded.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `ZMQ_EVENT_CONNECTED`: connected to a peer over this fd.
    Connected {
        /// The connection's file descriptor (for information only).
        fd: RawFd,
    },
    /// `ZMQ_EVENT_CONNECT_DELAYED`: the connect is in progress in the
    /// background.
    ConnectDelayed {
        /// The errno of the first attempt (usually `EINPROGRESS`).
        errno: i32,
    },
    /// `ZMQ_EVENT_CONNECT_RETRIED`: the next reconnect attempt is scheduled.
    ConnectRetried {
        /// The time until that attempt.
        interval: Duration,
    },
    /// `ZMQ_EVENT_LISTENING`: bound and listening on this fd.
    Listening {
        /// The listener's file descriptor.
        fd: RawFd,
    },
    /// `ZMQ_EVENT_BIND_FAILED`: a bind failed.
    BindFailed {
        /// Why.
        errno: i32,
    },
    /// `ZMQ_EVENT_ACCEPTED`: accepted a connection.
    Accepted {
        /// The accepted connection's file descriptor.
        fd: RawFd,
    },
    /// `ZMQ_EVENT_ACCEPT_FAILED`: accepting a connection failed.
    AcceptFailed {
        /// Why.
        errno: i32,
    },
    /// `ZMQ_EVENT_CLOSED`: a connection or listener was closed.
    Closed {
        /// The closed file descriptor.
        fd: RawFd,
    },
    /// `ZMQ_EVENT_CLOSE_FAILED`: closing failed.
    CloseFailed {
        /// Why.
        errno: i32,
    },
    /// `ZMQ_EVENT_DISCONNECTED`: the session's connection broke or the peer left.
    Disconnected {
        /// The connection's file descriptor.
        fd: RawFd,
    },
    /// `ZMQ_EVENT_MONITOR_STOPPED`: libzmq stopped monitoring; nothing follows.
    MonitorStopped,
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`: the handshake failed, e.g. the
    /// connection dropped during it.
    HandshakeFailedNoDetail {
        /// The errno libzmq reported.
        errno: i32,
    },
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`: the peer broke the protocol.
    HandshakeFailedProtocol {
        /// What it got wrong.
        reason: ProtocolError,
    },
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`: the authenticator (ZAP) refused the
    /// peer.
    HandshakeFailedAuth {
        /// The ZAP status code, e.g. 400 (refused) or 500 (internal error).
        status_code: u32,
    },
    /// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`: handshake and security completed.
    HandshakeSucceeded,
    /// An event this build does not know: never a panic.
    Unknown {
        /// The raw event number.
        event: u64,
        /// Its (first) value.
        value: u64,
    },
}

impl EventKind {
    /// Decodes an event number and its value.
    pub fn from_raw(event: u64, value: u64) -> EventKind {
        let as_fd = || RawFd::try_from(value).unwrap_or(crate::platform::NO_FD);
        let as_errno = || i32::try_from(value).unwrap_or(0);
        let Ok(flag) = i32::try_from(event) else {
            return EventKind::Unknown { event, value };
        };
        match flag {
            zmq_sys::ZMQ_EVENT_CONNECTED => EventKind::Connected { fd: as_fd() },
            zmq_sys::ZMQ_EVENT_CONNECT_DELAYED => EventKind::ConnectDelayed { errno: as_errno() },
            zmq_sys::ZMQ_EVENT_CONNECT_RETRIED => EventKind::ConnectRetried {
                interval: Duration::from_millis(value),
            },
            zmq_sys::ZMQ_EVENT_LISTENING => EventKind::Listening { fd: as_fd() },
            zmq_sys::ZMQ_EVENT_BIND_FAILED => EventKind::BindFailed { errno: as_errno() },
            zmq_sys::ZMQ_EVENT_ACCEPTED => EventKind::Accepted { fd: as_fd() },
            zmq_sys::ZMQ_EVENT_ACCEPT_FAILED => EventKind::AcceptFailed { errno: as_errno() },
            zmq_sys::ZMQ_EVENT_CLOSED => EventKind::Closed { fd: as_fd() },
            zmq_sys::ZMQ_EVENT_CLOSE_FAILED => EventKind::CloseFailed { errno: as_errno() },
            zmq_sys::ZMQ_EVENT_DISCONNECTED => EventKind::Disconnected { fd: as_fd() },
            zmq_sys::ZMQ_EVENT_MONITOR_STOPPED => EventKind::MonitorStopped,
            zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL => {
                EventKind::HandshakeFailedNoDetail { errno: as_errno() }
            }
            zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL => EventKind::HandshakeFailedProtocol {
                reason: ProtocolError::from_raw(value as u32),
            },
            zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_AUTH => EventKind::HandshakeFailedAuth {
                status_code: value as u32,
            },
            zmq_sys::ZMQ_EVENT_HANDSHAKE_SUCCEEDED => EventKind::HandshakeSucceeded,
            _ => EventKind::Unknown { event, value },
        }
    }

    /// The flag of this kind of event; empty for [`EventKind::Unknown`] events
    /// that are not a single known flag.
    pub fn flag(&self) -> MonitorEvents {
        let raw = match *self {
            EventKind::Connected { .. } => zmq_sys::ZMQ_EVENT_CONNECTED,
            EventKind::ConnectDelayed { .. } => zmq_sys::ZMQ_EVENT_CONNECT_DELAYED,
            EventKind::ConnectRetried { .. } => zmq_sys::ZMQ_EVENT_CONNECT_RETRIED,
            EventKind::Listening { .. } => zmq_sys::ZMQ_EVENT_LISTENING,
            EventKind::BindFailed { .. } => zmq_sys::ZMQ_EVENT_BIND_FAILED,
            EventKind::Accepted { .. } => zmq_sys::ZMQ_EVENT_ACCEPTED,
            EventKind::AcceptFailed { .. } => zmq_sys::ZMQ_EVENT_ACCEPT_FAILED,
            EventKind::Closed { .. } => zmq_sys::ZMQ_EVENT_CLOSED,
            EventKind::CloseFailed { .. } => zmq_sys::ZMQ_EVENT_CLOSE_FAILED,
            EventKind::Disconnected { .. } => zmq_sys::ZMQ_EVENT_DISCONNECTED,
            EventKind::MonitorStopped => zmq_sys::ZMQ_EVENT_MONITOR_STOPPED,
            EventKind::HandshakeFailedNoDetail { .. } => {
                zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
            }
            EventKind::HandshakeFailedProtocol { .. } => {
                zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            }
            EventKind::HandshakeFailedAuth { .. } => zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
            EventKind::HandshakeSucceeded => zmq_sys::ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
            EventKind::Unknown { event, .. } => {
                return MonitorEvents::from_bits_retain(event).intersection(MonitorEvents::all())
            }
        };
        MonitorEvents::from_bits_retain(raw as u64)
    }
}

/// One event of a monitored socket.
///
/// Non-exhaustive: libzmq's versioned monitor (draft) reports more about a
/// connection than these fields, and later versions may carry it here.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The endpoint it concerns, as the socket was bound or connected, e.g.
    /// `tcp://127.0.0.1:40123` (with the versioned monitor: the local address).
    /// Empty for [`EventKind::MonitorStopped`].
    pub endpoint: String,
    /// The remote address, reported only by the versioned monitor (draft).
    pub remote_endpoint: Option<String>,
}

fn malformed(what: &str) -> Error {
    Error::new(libc::EPROTO, "monitor event").context(what)
}

fn frame_u64(frame: &[u8]) -> Option<u64> {
    frame.try_into().ok().map(u64::from_ne_bytes)
}

impl Event {
    /// Decodes the two frames of a version 1 monitor event
    /// (`zmq_socket_monitor`): 6 bytes (a native-endian `u16` event and `u32`
    /// value), then the endpoint. Anything else is an error (never a panic).
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<Event> {
        let [head, endpoint] = frames else {
            return Err(malformed("expected 2 frames"));
        };
        let head = head.as_ref();
        let (Some(event), Some(value)) = (head.get(0..2), head.get(2..6)) else {
            return Err(malformed("the first frame is not 6 bytes"));
        };
        if head.len() != 6 {
            return Err(malformed("the first frame is not 6 bytes"));
        }
        let event = u16::from_ne_bytes([event[0], event[1]]);
        let value = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
        Ok(Event {
            kind: EventKind::from_raw(event.into(), value.into()),
            endpoint: String::from_utf8_lossy(endpoint.as_ref()).into_owned(),
            remote_endpoint: None,
        })
    }

    /// Decodes the frames of a version 2 monitor event
    /// (`zmq_socket_monitor_versioned`): the event and the number of values
    /// (`u64` each), the values, then the local and the remote address.
    pub fn from_frames_v2<F: AsRef<[u8]>>(frames: &[F]) -> Result<Event> {
        let (Some(event), Some(count)) = (
            frames.first().and_then(|f| frame_u64(f.as_ref())),
            frames.get(1).and_then(|f| frame_u64(f.as_ref())),
        ) else {
            return Err(malformed("bad event or value-count frame"));
        };
        let expected = usize::try_from(count).ok().and_then(|c| c.checked_add(4));
        if expected != Some(frames.len()) {
            return Err(malformed("wrong number of frames"));
        }
        let values = &frames[2..frames.len() - 2];
        let mut first = 0;
        for (i, frame) in values.iter().enumerate() {
            let value =
                frame_u64(frame.as_ref()).ok_or_else(|| malformed("a value is not 8 bytes"))?;
            if i == 0 {
                first = value;
            }
        }
        let text = |f: &F| String::from_utf8_lossy(f.as_ref()).into_owned();
        Ok(Event {
            kind: EventKind::from_raw(event, first),
            endpoint: text(&frames[frames.len() - 2]),
            remote_endpoint: Some(text(&frames[frames.len() - 1])),
        })
    }

    /// The error an event reports (bind, accept or close failed, a delayed
    /// connect, a handshake failed without detail), as an [`Error`] naming
    /// the endpoint.
    pub fn error(&self) -> Option<Error> {
        let (errno, operation) = match self.kind {
            EventKind::BindFailed { errno } => (errno, "bind"),
            EventKind::AcceptFailed { errno } => (errno, "accept"),
            EventKind::CloseFailed { errno } => (errno, "close"),
            EventKind::HandshakeFailedNoDetail { errno } => (errno, "handshake"),
            _ => return None,
        };
        Some(Error::new(errno, operation).context(&self.endpoint))
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)?;
        if !self.endpoint.is_empty() {
            write!(f, " on {}", self.endpoint)?;
        }
        if let Some(remote) = &self.remote_endpoint {
            write!(f, " (remote {remote})")?;
        }
        Ok(())
    }
}

static NEXT_MONITOR: AtomicU64 = AtomicU64::new(0);

/// Receives the typed events of one monitored socket (see the [module
/// docs](self)); made by [`Socket::monitor`].
///
/// Each event arrives on a PAIR socket connected to a unique
/// `inproc://zmq-monitor-N` endpoint. The stream ends with
/// [`EventKind::MonitorStopped`] when the socket is closed, another monitor
/// replaces this one, [`Socket::stop_monitor`] is called, or the context
/// shuts down; after it, every call returns `Ok(None)` at once.
///
/// Iterating blocks for each event and yields `Result<Event>`; it ends after
/// `MonitorStopped` or a terminated context. The monitor is `Send`: it can
/// move to another thread, independently of the monitored socket.
pub struct Monitor {
    pair: ManuallyDrop<Socket>,
    /// The monitored socket's address, the key of its pending drain in
    /// [`DRAINS`]; only compared, never dereferenced.
    monitored: usize,
    endpoint: String,
    versioned: bool,
    stopped: bool,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("endpoint", &self.endpoint)
            .field("versioned", &self.versioned)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl Monitor {
    fn start(socket: &Socket, events: MonitorEvents, versioned: bool) -> Result<Monitor> {
        let endpoint = format!(
            "inproc://zmq-monitor-{}",
            NEXT_MONITOR.fetch_add(1, Ordering::Relaxed)
        );
        let c_endpoint = CString::new(endpoint.as_str())
            .map_err(|_| Error::new(libc::EINVAL, "zmq_socket_monitor").context(&endpoint))?;
        let pair = socket.context().socket(SocketType::Pair)?;
        // Unbounded, so libzmq's blocking event sends never wait for us.
        pair.set(crate::opt::RcvHwm, 0)?;
        pair.set(crate::opt::Linger, Some(Duration::ZERO))?;
        // Connect before libzmq binds (inproc allows it): once monitoring
        // starts, a reader is already attached and nothing can fail.
        pair.connect(&endpoint)?;
        let events = events | MonitorEvents::MONITOR_STOPPED;
        let rc = match versioned {
            #[cfg(zmq_draft)]
            true => start_versioned(socket, &c_endpoint, events),
            _ => {
                let events = libc::c_int::try_from(events.bits()).map_err(|_| {
                    Error::new(libc::EINVAL, "zmq_socket_monitor")
                        .context("this event needs the versioned monitor")
                })?;
                // SAFETY: the socket is valid while borrowed; the endpoint is
                // NUL-terminated and copied by libzmq.
                unsafe { zmq_sys::zmq_socket_monitor(socket.as_raw(), c_endpoint.as_ptr(), events) }
            }
        };
        crate::error::check(rc, "zmq_socket_monitor").map_err(|e| e.context(&endpoint))?;
        // libzmq has just stopped any earlier monitor of this socket: let its
        // drain (if it was dropped unfinished) see MONITOR_STOPPED and end, so
        // that create/drop loops keep at most one drain per socket alive.
        finish_drain_of(socket.as_raw() as usize);
        Ok(Monitor {
            pair: ManuallyDrop::new(pair),
            monitored: socket.as_raw() as usize,
            endpoint,
            versioned,
            stopped: false,
        })
    }

    /// The inproc endpoint the events arrive on.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The PAIR socket the events arrive on, e.g. to register it with a
    /// [`Poller`](crate::poll::Poller) for `POLLIN`. Receive only through
    /// this monitor.
    pub fn socket(&self) -> &Socket {
        &self.pair
    }

    /// True once [`EventKind::MonitorStopped`] was delivered (or the context
    /// was terminated): no more events will come.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn decode(&mut self, frames: &[crate::Message]) -> Result<Event> {
        let event = if self.versioned {
            Event::from_frames_v2(frames)
        } else {
            Event::from_frames(frames)
        }?;
        if event.kind == EventKind::MonitorStopped {
            self.stopped = true;
        }
        Ok(event)
    }

    pub(crate) fn note_error(&mut self, error: Error) -> Error {
        if error.kind() == ErrorKind::Terminated {
            self.stopped = true;
        }
        error
    }

    /// Waits for the next event; `Ok(None)` once the stream has ended.
    pub fn recv(&mut self) -> Result<Option<Event>> {
        if self.stopped {
            return Ok(None);
        }
        match self.pair.recv_multipart() {
            Ok(frames) => self.decode(&frames).map(Some),
            Err(e) => Err(self.note_error(e)),
        }
    }

    /// The next event if one is waiting; `Ok(None)` if none is (or the stream
    /// has ended: see [`is_stopped`](Self::is_stopped)).
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        if self.stopped {
            return Ok(None);
        }
        match self.pair.try_recv_multipart() {
            Ok(Some(frames)) => self.decode(&frames).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(self.note_error(e)),
        }
    }

    /// Waits up to `timeout` for the next event; `Ok(None)` if none came in
    /// time (or the stream has ended: see [`is_stopped`](Self::is_stopped)).
    /// A timeout too large for the clock (e.g. `Duration::MAX`) waits forever.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Event>> {
        // None: beyond what Instant can represent, i.e. forever.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if let Some(event) = self.try_next()? {
                return Ok(Some(event));
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if self.stopped || left.is_some_and(|l| l.is_zero()) {
                return Ok(None);
            }
            let mut items = [PollItem::socket(&self.pair, PollEvents::POLLIN)];
            if let Err(e) = poll(&mut items, left) {
                return Err(self.note_error(e));
            }
        }
    }

    /// Receives and discards what is already queued; true if that included
    /// the end of the stream.
    fn drain_queued(&mut self) -> bool {
        while !self.stopped {
            match self.pair.try_recv_multipart() {
                Ok(Some(frames)) => {
                    let _ = self.decode(&frames);
                }
                Ok(None) => break,
                Err(_) => return true,
            }
        }
        self.stopped
    }
}

impl Iterator for Monitor {
    type Item = Result<Event>;

    /// Blocks for the next event; `None` after `MonitorStopped` or once the
    /// context is terminated.
    fn next(&mut self) -> Option<Result<Event>> {
        self.recv().transpose()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let finished = self.drain_queued();
        // SAFETY: the PAIR is taken exactly once, here, and never used after.
        let pair = unsafe { ManuallyDrop::take(&mut self.pair) };
        if finished {
            return; // libzmq has let go: closing the PAIR (linger 0) is safe.
        }
        // libzmq still sends events; closing now would block its I/O thread
        // on the next one. A helper thread receives them until the end.
        let versioned = self.versioned;
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(pair)));
        let for_thread = std::sync::Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("zmq-monitor-drain".into())
            .spawn(move || {
                let pair = for_thread.lock().ok().and_then(|mut p| p.take());
                if let Some(pair) = pair {
                    drain_until_stopped(&pair, versioned);
                }
            });
        if let Ok(handle) = spawned {
            remember_drain(self.monitored, handle);
        } else {
            // No thread: leak the PAIR rather than risk a hang.
            if let Some(pair) = slot.lock().ok().and_then(|mut p| p.take()) {
                std::mem::forget(pair);
            }
        }
    }
}

/// Drains of dropped, unfinished monitors, by monitored socket. Each ends
/// when libzmq stops its monitor: when the socket closes, another monitor
/// replaces it, or the context shuts down.
static DRAINS: std::sync::Mutex<Vec<(usize, std::thread::JoinHandle<()>)>> =
    std::sync::Mutex::new(Vec::new());

fn remember_drain(monitored: usize, handle: std::thread::JoinHandle<()>) {
    let mut drains = DRAINS.lock().unwrap_or_else(|e| e.into_inner());
    // Forget the drains that have ended (their sockets were closed).
    let (ended, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *drains)
        .into_iter()
        .partition(|(_, h)| h.is_finished());
    *drains = running;
    drains.push((monitored, handle));
    drop(drains);
    for (_, handle) in ended {
        let _ = handle.join();
    }
}

/// Waits for the drain of the monitor libzmq has just stopped on `monitored`.
fn finish_drain_of(monitored: usize) {
    let pending: Vec<_> = {
        let mut drains = DRAINS.lock().unwrap_or_else(|e| e.into_inner());
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut *drains)
            .into_iter()
            .partition(|(socket, _)| *socket == monitored);
        *drains = others;
        mine
    };
    for (_, handle) in pending {
        // The drain ends at MONITOR_STOPPED, which libzmq sent before
        // zmq_socket_monitor returned; it never panics.
        let _ = handle.join();
    }
}

fn drain_until_stopped(pair: &Socket, versioned: bool) {
    loop {
        let Ok(frames) = pair.recv_multipart() else {
            return; // the context is shutting down
        };
        let event = if versioned {
            Event::from_frames_v2(&frames)
        } else {
            Event::from_frames(&frames)
        };
        if matches!(
            event,
            Ok(Event {
                kind: EventKind::MonitorStopped,
                ..
            })
        ) {
            return;
        }
    }
}

#[cfg(zmq_draft)]
fn start_versioned(socket: &Socket, endpoint: &CString, events: MonitorEvents) -> libc::c_int {
    // SAFETY: the socket is valid while borrowed; the endpoint is
    // NUL-terminated and copied by libzmq.
    unsafe {
        zmq_sys::zmq_socket_monitor_versioned(
            socket.as_raw(),
            endpoint.as_ptr(),
            events.bits(),
            2,
            zmq_sys::ZMQ_PAIR,
        )
    }
}

impl Socket {
    /// Starts monitoring this socket (`zmq_socket_monitor`) for `events`
    /// (plus [`MonitorEvents::MONITOR_STOPPED`], always) and returns the
    /// [`Monitor`] that receives them. Start it before `bind`/`connect` to
    /// see those. A second call replaces the first monitor, which then ends.
    ///
    /// ```
    /// use zmq::monitor::{EventKind, MonitorEvents};
    /// let ctx = zmq::Context::new();
    /// let sock = ctx.socket(zmq::SocketType::Dealer)?;
    /// let mut monitor = sock.monitor(MonitorEvents::ALL)?;
    /// sock.stop_monitor()?;
    /// let last = monitor.last().unwrap()?;
    /// assert_eq!(last.kind, EventKind::MonitorStopped);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn monitor(&self, events: MonitorEvents) -> Result<Monitor> {
        Monitor::start(self, events, false)
    }

    /// Starts a version 2 monitor (`zmq_socket_monitor_versioned`, draft):
    /// like [`monitor`](Self::monitor), and each [`Event`] also carries the
    /// remote address.
    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub fn monitor_versioned(&self, events: MonitorEvents) -> Result<Monitor> {
        Monitor::start(self, events, true)
    }

    /// Stops monitoring this socket (`zmq_socket_monitor` with a NULL
    /// endpoint): its [`Monitor`] receives [`EventKind::MonitorStopped`] and
    /// ends, and can then be dropped without a background drain. Stopping a
    /// socket that is not monitored does nothing.
    pub fn stop_monitor(&self) -> Result<()> {
        // SAFETY: the socket is valid while borrowed; a NULL endpoint is
        // libzmq's documented-in-code way to stop monitoring.
        let rc = unsafe { zmq_sys::zmq_socket_monitor(self.as_raw(), std::ptr::null(), 0) };
        crate::error::check(rc, "zmq_socket_monitor").map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(event: i32, value: u32, endpoint: &str) -> Vec<Vec<u8>> {
        let mut head = (event as u16).to_ne_bytes().to_vec();
        head.extend_from_slice(&value.to_ne_bytes());
        vec![head, endpoint.as_bytes().to_vec()]
    }

    #[test]
    fn decodes_a_protocol_failure_with_its_reason() {
        let frames = v1(
            zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH as u32,
            "tcp://127.0.0.1:5555",
        );
        let event = Event::from_frames(&frames).unwrap();
        assert_eq!(
            event.kind,
            EventKind::HandshakeFailedProtocol {
                reason: ProtocolError::ZmtpMechanismMismatch
            }
        );
        assert_eq!(event.endpoint, "tcp://127.0.0.1:5555");
    }

    #[test]
    fn unknown_events_and_codes_are_values() {
        let event = Event::from_frames(&v1(0x8000, 7, "x")).unwrap();
        assert_eq!(
            event.kind,
            EventKind::Unknown {
                event: 0x8000,
                value: 7
            }
        );
        assert_eq!(
            ProtocolError::from_raw(0x1234),
            ProtocolError::Unknown(0x1234)
        );
        for (raw, error) in PROTOCOL_ERRORS {
            assert_eq!(ProtocolError::from_raw(*raw as u32), *error);
            assert_eq!(error.to_raw(), *raw as u32);
        }
        assert!(ProtocolError::ZapBadVersion.is_zap());
        assert!(!ProtocolError::ZmtpCryptographic.is_zap());
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let cases: Vec<Vec<Vec<u8>>> = vec![
            vec![],
            vec![vec![1, 0, 0, 0, 0, 0]],
            vec![vec![1, 0, 0], b"ep".to_vec()],
            vec![vec![1, 0, 0, 0, 0, 0, 0], b"ep".to_vec()],
            vec![vec![0; 6], vec![], vec![]],
        ];
        for frames in cases {
            assert!(Event::from_frames(&frames).is_err(), "{frames:?}");
            assert!(Event::from_frames_v2(&frames).is_err(), "{frames:?}");
        }
        let huge_count = vec![1u64.to_ne_bytes().to_vec(), u64::MAX.to_ne_bytes().to_vec()];
        assert!(Event::from_frames_v2(&huge_count).is_err());
    }

    #[test]
    fn decodes_a_versioned_event_with_both_addresses() {
        let frames = vec![
            (zmq_sys::ZMQ_EVENT_CONNECT_RETRIED as u64)
                .to_ne_bytes()
                .to_vec(),
            1u64.to_ne_bytes().to_vec(),
            250u64.to_ne_bytes().to_vec(),
            b"tcp://127.0.0.1:1".to_vec(),
            b"tcp://127.0.0.1:2".to_vec(),
        ];
        let event = Event::from_frames_v2(&frames).unwrap();
        assert_eq!(
            event.kind,
            EventKind::ConnectRetried {
                interval: Duration::from_millis(250)
            }
        );
        assert_eq!(event.remote_endpoint.as_deref(), Some("tcp://127.0.0.1:2"));
        assert_eq!(event.kind.flag(), MonitorEvents::CONNECT_RETRIED);
    }
}
