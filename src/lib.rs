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
//! - [`poll()`] (one `zmq_poll` over a slice of [`PollItem`]s) and [`Poller`]
//!   (a reusable set with a token of yours per entry; on `zmq_poller` with
//!   `draft`): waiting on sockets and file descriptors; [`Timers`]: repeating
//!   timers for the same loop (`zmq_timers`).
//! - [`proxy()`] and [`SteerableProxy`]: forwarding devices with statistics.
//! - [`monitor`]: typed connection events ([`Socket::monitor`]).
//! - [`security`]: CURVE keys, PLAIN/CURVE setup, certificates and the ZAP
//!   [`security::Authenticator`]; [`z85`] encoding.
//! - `tokio` (feature `tokio`): async sockets, streams, sinks and monitors.
//!
//! # Shutdown
//! Sockets get a bounded linger ([`DEFAULT_LINGER`], 2 s): a message sent just
//! before exit is delivered, and a gone peer cannot keep the process alive
//! for longer than that. [`Context::shutdown`] ends blocking calls on other
//! threads with [`ErrorKind::Terminated`].
#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs` on nightly: every feature-gated item
// shows its badge. Draft items are compiled under `zmq_draft` (the library in
// use has the DRAFT API), a cfg users never set; they carry
// `doc(cfg(feature = "draft"))` instead, the feature users turn on.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(docsrs, doc(auto_cfg(hide(zmq_draft))))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
mod draft;
mod endpoint_hint;
mod error;
mod message;
pub mod monitor;
// `option`, `poll` and `proxy` are public but hidden: their items' one
// documented path is `zmq::opt` and the root (below); the module paths stay
// so that code written against earlier snapshots still builds.
#[doc(hidden)]
pub mod option;
mod platform;
#[doc(hidden)]
pub mod poll;
#[doc(hidden)]
pub mod proxy;
pub mod security;
mod socket;
mod timers;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod z85;

pub use context::{Context, ContextBuilder, DEFAULT_LINGER};
#[cfg(zmq_draft)]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
pub use draft::{ThreadSafeSocket, GROUP_MAX_LENGTH};
pub use error::{Error, ErrorKind, Result};
pub use message::Message;
// One public path per item: the core at the root; monitors, security and the
// option keys in their own modules (`monitor`, `security`, `opt`), which are
// not re-exported here.
pub use option::{opt, SecurityMechanism};
pub use platform::RawFd;
pub use poll::{poll, PollEvents, PollItem, PollSocket, Poller, Ready};
pub use proxy::{
    proxy, proxy_steerable, proxy_with_capture, ProxyStatistics, SideStatistics, SteerableProxy,
};
pub use socket::{
    Multipart, Received, RecvFlags, RecvStringError, SendFlags, Sendable, Socket, SocketType,
};
pub use timers::{TimerId, Timers};

// The root paths of earlier snapshots, before one documented path per item
// (CHANGELOG, "Deprecated"): hidden from the docs, kept so that code written
// against them still builds, removed in 0.2. tests/compat_paths.rs pins them.
#[doc(hidden)]
pub use monitor::{Event, EventKind, Monitor, MonitorEvents, ProtocolError};
#[doc(hidden)]
pub use option::SecurityMechanism as Mechanism;
#[doc(hidden)]
pub use security::{Authenticator, Certificate, CurveKeyPair, PublicKey, SecretKey};

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
