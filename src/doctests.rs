//! Doctests that live outside the API docs: the code blocks of the README and
//! of docs/MIGRATING.md, and the thread-safety pins. Compiled only when
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
