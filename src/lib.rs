//! Safe, fast Rust bindings for [ZeroMQ](https://zeromq.org) (libzmq).
//!
//! Every socket type and pattern, over `tcp`, `ipc`, `inproc` and `ws`; typed
//! options; zero-copy messages; NULL, PLAIN and CURVE security. By default
//! libzmq 4.3.5 is compiled in with CURVE (no system packages); set
//! `LIBZMQ_NO_VENDOR=1` to use the system's libzmq.
//!
//! ```
//! use zmq::{Context, SocketType};
//!
//! let ctx = Context::new();
//! let server = ctx.socket(SocketType::Rep)?;
//! server.bind("tcp://127.0.0.1:*")?;
//! let client = ctx.socket(SocketType::Req)?;
//! client.connect(&server.last_endpoint()?)?;
//!
//! client.send("Hello")?;
//! assert_eq!(server.recv_string()?, "Hello");
//! server.send("World")?;
//! assert_eq!(client.recv()?, "World");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Shape
//! - [`Context`]: `Clone + Send + Sync`; creates [`Socket`]s.
//! - [`Socket`]: `Send`, not `Sync`; `send`/`recv`, `try_send`/`try_recv`,
//!   multipart, typed [`opt`]ions.
//! - [`Message`]: one frame, zero-copy from owned buffers and into `Bytes`.
//! - [`Error`]: a small `Copy` value with a [`ErrorKind`], the operation and
//!   the endpoint or option concerned.
//! - [`poll()`] and [`Poller`]: waiting on sockets and file descriptors;
//!   [`Timers`]: repeating timers for the same loop (`zmq_timers`).
//! - [`proxy()`] and [`SteerableProxy`]: forwarding devices with statistics.
//! - [`monitor`]: typed connection events ([`Socket::monitor`]).
//! - [`security`]: CURVE keys, PLAIN/CURVE setup, certificates and the ZAP
//!   [`Authenticator`]; [`z85`] encoding.
//! - `tokio` (feature `tokio`): async sockets, streams, sinks and monitors.
//!
//! # Shutdown
//! Sockets get a bounded linger ([`DEFAULT_LINGER`], 2 s): a message sent just
//! before exit is delivered, and a gone peer cannot keep the process alive
//! for longer than that. [`Context::shutdown`] ends blocking calls on other
//! threads with [`ErrorKind::Terminated`].
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

// What differs per platform lives in `platform` (the fd/SOCKET type, signal
// masking), `security::cert` (private files) and `tokio::source` (readiness).
#[cfg(not(any(unix, windows)))]
compile_error!("the zmq crate supports Unix-like systems and Windows");

mod clock;
mod compat;
mod context;
#[cfg(doctest)]
mod doctests;
#[cfg(zmq_draft)]
mod draft;
mod endpoint_hint;
mod error;
mod message;
pub mod monitor;
pub mod option;
mod platform;
pub mod poll;
pub mod proxy;
pub mod security;
mod socket;
mod timers;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod z85;

pub use context::{Context, ContextBuilder, DEFAULT_LINGER};
#[cfg(zmq_draft)]
pub use draft::{ThreadSafeSocket, GROUP_MAX_LENGTH};
pub use error::{Error, ErrorKind, Result};
pub use message::Message;
pub use monitor::{Event, EventKind, Monitor, MonitorEvents, ProtocolError};
pub use option::{opt, Mechanism};
pub use platform::RawFd;
pub use poll::Poller;
pub use poll::{poll, PollEvents, PollItem};
pub use proxy::{proxy, ProxyStatistics, SteerableProxy};
pub use security::{Authenticator, Certificate, CurveKeyPair, PublicKey, SecretKey};
pub use socket::{
    Multipart, Received, RecvFlags, RecvStringError, SendFlags, Sendable, Socket, SocketType,
};
pub use timers::{TimerId, Timers};

/// The raw FFI crate, for what the safe API does not cover.
pub use zmq_sys as sys;

/// The version of the libzmq in use (`zmq_version`): `(major, minor, patch)`.
///
/// ```
/// let (major, minor, _) = zmq::version();
/// assert!((major, minor) >= (4, 3));
/// ```
pub fn version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: zmq_version writes three ints through valid pointers.
    unsafe { zmq_sys::zmq_version(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

/// Whether libzmq was built with a capability (`zmq_has`): `"ipc"`, `"pgm"`,
/// `"tipc"`, `"norm"`, `"curve"`, `"gssapi"`, `"draft"`, `"ws"`, `"wss"`.
///
/// Names are matched case-insensitively (libzmq 4.3.5 itself only knows
/// `"WS"` and `"WSS"` in capitals).
///
/// ```
/// # #[cfg(feature = "vendored")]
/// assert!(zmq::has("curve"), "the vendored build always has CURVE");
/// ```
pub fn has(capability: &str) -> bool {
    let ask = |name: String| match std::ffi::CString::new(name) {
        // SAFETY: name is a valid NUL-terminated string.
        Ok(name) => unsafe { zmq_sys::zmq_has(name.as_ptr()) == 1 },
        Err(_) => false,
    };
    ask(capability.to_ascii_lowercase()) || ask(capability.to_ascii_uppercase())
}
