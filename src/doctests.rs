//! Doctests that live outside the API docs: the code blocks of the README and
//! of docs/MIGRATING.md, the thread-safety pins and the seals. Compiled only when
//! rustdoc collects doctests (`cargo test --doc`), so they cost nothing in a
//! build and reuse the library (and libzmq) already built.

/// Every Rust block of the README runs here, so the README cannot rot.
#[doc = include_str!("../README.md")]
pub struct Readme;

/// The migration guide's Rust blocks, likewise.
#[doc = include_str!("../docs/MIGRATING.md")]
pub struct Migrating;

/// What may cross or be shared between threads is fixed by the types, and
/// each pin below is checked by the compiler. Every `compile_fail` block is
/// the same one-line check as a passing block beside it, with only the trait
/// changed, so it fails for the missing trait and nothing else.
///
/// [`Context`](crate::Context) is `Send + Sync`; [`Socket`](crate::Socket)
/// and [`Message`](crate::Message) are `Send`:
///
/// ```
/// fn send_and_sync<T: Send + Sync>() {}
/// fn send<T: Send>() {}
/// send_and_sync::<zmq::Context>();
/// send_and_sync::<zmq::Error>();
/// send::<zmq::Socket>();
/// send::<zmq::Message>();
/// ```
///
/// A `Socket` is not `Sync`: libzmq sockets must not be used from two
/// threads at once.
///
/// ```compile_fail,E0277
/// fn sync<T: Sync>() {}
/// sync::<zmq::Socket>();
/// ```
///
/// A `Message` is not `Sync`: cloning a large message writes its reference
/// count non-atomically the first time.
///
/// ```compile_fail,E0277
/// fn sync<T: Sync>() {}
/// sync::<zmq::Message>();
/// ```
///
/// A [`PollItem`](crate::PollItem) borrows its socket, so sending it to
/// another thread would let two threads use the socket; nor is it `Sync`.
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<zmq::PollItem<'static>>();
/// ```
///
/// ```compile_fail,E0277
/// fn sync<T: Sync>() {}
/// sync::<zmq::PollItem<'static>>();
/// ```
///
/// A [`Poller`](crate::Poller) borrows its sockets too, whatever its tokens.
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<zmq::Poller<'static, u32>>();
/// ```
///
/// ```compile_fail,E0277
/// fn sync<T: Sync>() {}
/// sync::<zmq::Poller<'static, u32>>();
/// ```
pub struct ThreadSafety;

/// What is closed to other crates, so that it can grow without breaking
/// them, each pinned by the compiler: every block below is a complete,
/// well-formed use that fails only for the seal or the `#[non_exhaustive]`.
///
/// [`Sendable`](crate::Sendable) is sealed: what can be sent is this crate's
/// to extend (an `AsRef<[u8]>` type is sendable by reference already).
///
/// ```compile_fail,E0277
/// struct Mine;
/// impl zmq::Sendable for Mine {
///     fn send_raw(self, _: &zmq::Socket, _: std::ffi::c_int) -> zmq::Result<()> {
///         Ok(())
///     }
///     fn into_message(self) -> zmq::Message {
///         zmq::Message::new()
///     }
/// }
/// ```
///
/// The option traits are sealed: every key is this crate's
/// ([`Socket::set_raw`](crate::Socket::set_raw) reaches any other option).
///
/// ```compile_fail,E0277
/// #[derive(Clone, Copy)]
/// struct MyOption;
/// impl zmq::opt::SocketOption for MyOption {
///     const ID: std::ffi::c_int = 9999;
///     const NAME: &'static str = "ZMQ_MINE";
/// }
/// ```
///
/// A monitor [`Event`](crate::monitor::Event) may gain fields: other crates
/// read it, but cannot build one field by field.
///
/// ```compile_fail,E0639
/// let _ = zmq::monitor::Event {
///     kind: zmq::monitor::EventKind::MonitorStopped,
///     endpoint: String::new(),
///     remote_endpoint: None,
/// };
/// ```
pub struct Sealed;
