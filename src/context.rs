//! The context: libzmq's container for I/O threads and sockets.

use crate::error::{check, Error, Result};
use crate::socket::{Socket, SocketType};
use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::time::Duration;

/// The linger given to every new socket unless the context says otherwise: two
/// seconds.
///
/// libzmq's own default is to wait forever for unsent messages when a socket is
/// closed, which makes a program whose peer went away hang on exit. A linger of
/// zero would drop a message sent just before exit. Two seconds delivers what a
/// connected peer can take, and bounds the wait when the peer is gone. Change it
/// per context with [`ContextBuilder::default_linger`] or per socket with the
/// [`Linger`](crate::opt::Linger) option.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(2);

pub(crate) struct RawContext {
    /// NULL only when `zmq_ctx_new` failed in [`Context::new`]; `failure` then
    /// says why, and every use of the context reports it.
    ptr: *mut c_void,
    failure: Option<Error>,
    pub(crate) default_linger: Option<Duration>,
}

// SAFETY: a libzmq context is thread safe: every zmq_ctx_* function may be
// called from any thread (zmq_ctx_new(3)).
unsafe impl Send for RawContext {}
// SAFETY: as above; shared references only call thread-safe zmq_ctx_* functions.
unsafe impl Sync for RawContext {}

impl Drop for RawContext {
    fn drop(&mut self) {
        if self.ptr.is_null() {
            return;
        }
        // Every socket holds an Arc to this context, so none is open here and
        // zmq_ctx_term waits at most for the sockets' bounded linger.
        loop {
            // SAFETY: ptr came from zmq_ctx_new and is terminated only here, once.
            let rc = unsafe { zmq_sys::zmq_ctx_term(self.ptr) };
            // SAFETY: zmq_errno reads this thread's errno.
            if rc == 0 || unsafe { zmq_sys::zmq_errno() } != libc::EINTR {
                break;
            }
        }
    }
}

/// A ZeroMQ context (`zmq_ctx_new`): the I/O threads and the sockets made from it.
///
/// Cheap to clone (an `Arc`), `Send` and `Sync`: share one per process. Every
/// socket keeps its context alive; the context is terminated when the last
/// clone and the last socket are dropped, which waits at most for the sockets'
/// linger (see [`DEFAULT_LINGER`]).
///
/// ```
/// let ctx = zmq::Context::new();
/// let rep = ctx.socket(zmq::SocketType::Rep)?;
/// let req = ctx.socket(zmq::SocketType::Req)?;
/// rep.bind("inproc://hello")?;
/// req.connect("inproc://hello")?;
/// req.send("hello")?;
/// assert_eq!(rep.recv_string()?, "hello");
/// rep.send("world")?;
/// assert_eq!(&req.recv()?[..], b"world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Context {
    pub(crate) raw: Arc<RawContext>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("ptr", &self.raw.ptr)
            .finish()
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}

impl Context {
    /// A context with libzmq's defaults (one I/O thread, 1023 sockets).
    ///
    /// This never panics: if libzmq cannot create a context (out of memory or
    /// file descriptors), every call on it, starting with
    /// [`socket`](Self::socket), returns that error. Use [`Context::builder`]
    /// to get it at once instead.
    pub fn new() -> Context {
        Context::builder()
            .build()
            .unwrap_or_else(|failure| Context {
                raw: Arc::new(RawContext {
                    ptr: std::ptr::null_mut(),
                    failure: Some(failure),
                    default_linger: Some(DEFAULT_LINGER),
                }),
            })
    }

    /// The context pointer, or the error that kept it from being created.
    pub(crate) fn checked_ptr(&self) -> Result<*mut c_void> {
        match self.raw.failure {
            Some(e) => Err(e),
            None => Ok(self.raw.ptr),
        }
    }

    /// A builder for the context options (`zmq_ctx_set`).
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// Creates a socket of the given type (`zmq_socket`).
    ///
    /// The socket gets this context's default linger (see [`DEFAULT_LINGER`]).
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        Socket::new(self, socket_type)
    }

    /// Opens an async socket (feature `tokio`): `AsyncSocket::new(self.socket(socket_type)?)`.
    /// Must be called inside a tokio runtime with I/O enabled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zmq::Result<()> {
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.async_socket(zmq::SocketType::Pull)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.async_socket(zmq::SocketType::Push)?;
    /// push.connect(&pull.last_endpoint()?)?;
    /// push.send("hi").await?;
    /// assert_eq!(pull.recv().await?, "hi");
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tokio")]
    pub fn async_socket(&self, socket_type: SocketType) -> Result<crate::tokio::AsyncSocket> {
        crate::tokio::AsyncSocket::open(self, socket_type)
    }

    /// Shuts the context down (`zmq_ctx_shutdown`), from any thread.
    ///
    /// Every blocking call on its sockets, and every later call but close,
    /// returns an error whose kind is [`ErrorKind::Terminated`](crate::ErrorKind::Terminated).
    /// The context itself is terminated when its last clone and socket are dropped.
    pub fn shutdown(&self) -> Result<()> {
        let ptr = self.checked_ptr()?;
        // SAFETY: the pointer is valid while self.raw lives; shutdown is thread safe.
        check(
            unsafe { zmq_sys::zmq_ctx_shutdown(ptr) },
            "zmq_ctx_shutdown",
        )
        .map(drop)
    }

    /// The raw `void *` context, for use with `zmq_sys`. It stays valid while
    /// `self` (or any socket of it) is alive; NULL if creation failed.
    pub fn as_raw(&self) -> *mut c_void {
        self.raw.ptr
    }

    fn get(&self, option: c_int, name: &'static str) -> Result<i32> {
        let ptr = self.checked_ptr()?;
        // SAFETY: valid context pointer; zmq_ctx_get only reads an option.
        let rc = unsafe { zmq_sys::zmq_ctx_get(ptr, option) };
        check(rc, "zmq_ctx_get").map_err(|e| e.context(name))
    }

    /// `ZMQ_IO_THREADS`: the number of I/O threads.
    pub fn io_threads(&self) -> Result<i32> {
        self.get(zmq_sys::ZMQ_IO_THREADS, "ZMQ_IO_THREADS")
    }

    /// `ZMQ_MAX_SOCKETS`: the most sockets this context may have open.
    pub fn max_sockets(&self) -> Result<i32> {
        self.get(zmq_sys::ZMQ_MAX_SOCKETS, "ZMQ_MAX_SOCKETS")
    }

    /// `ZMQ_SOCKET_LIMIT`: the largest `max_sockets` this libzmq accepts.
    pub fn socket_limit(&self) -> Result<i32> {
        self.get(zmq_sys::ZMQ_SOCKET_LIMIT, "ZMQ_SOCKET_LIMIT")
    }

    /// `ZMQ_IPV6`: whether new sockets use IPv6 by default.
    pub fn ipv6(&self) -> Result<bool> {
        self.get(zmq_sys::ZMQ_IPV6, "ZMQ_IPV6").map(|v| v != 0)
    }

    /// `ZMQ_BLOCKY`: whether libzmq's own default linger is infinite.
    pub fn blocky(&self) -> Result<bool> {
        self.get(zmq_sys::ZMQ_BLOCKY, "ZMQ_BLOCKY").map(|v| v != 0)
    }

    /// `ZMQ_MAX_MSGSZ`: the largest message size the context allows.
    pub fn max_message_size(&self) -> Result<i32> {
        self.get(zmq_sys::ZMQ_MAX_MSGSZ, "ZMQ_MAX_MSGSZ")
    }

    /// `ZMQ_MSG_T_SIZE`: the size of libzmq's `zmq_msg_t`.
    pub fn message_struct_size(&self) -> Result<i32> {
        self.get(zmq_sys::ZMQ_MSG_T_SIZE, "ZMQ_MSG_T_SIZE")
    }

    /// The linger this context gives new sockets (`None`: wait forever).
    pub fn default_linger(&self) -> Option<Duration> {
        self.raw.default_linger
    }
}

/// Builds a [`Context`] with options set before any socket exists (`zmq_ctx_set`).
///
/// ```
/// let ctx = zmq::Context::builder().io_threads(2).max_sockets(64).ipv6(true).build()?;
/// assert_eq!(ctx.io_threads()?, 2);
/// assert_eq!(ctx.max_sockets()?, 64);
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    options: Vec<(c_int, &'static str, i32)>,
    thread_name_prefix: Option<i32>,
    default_linger: Option<Duration>,
}

impl Default for ContextBuilder {
    fn default() -> ContextBuilder {
        ContextBuilder {
            options: Vec::new(),
            thread_name_prefix: None,
            default_linger: Some(DEFAULT_LINGER),
        }
    }
}

impl ContextBuilder {
    fn push(mut self, option: c_int, name: &'static str, value: i32) -> Self {
        self.options.push((option, name, value));
        self
    }

    /// `ZMQ_IO_THREADS` (default 1): the size of libzmq's I/O thread pool.
    pub fn io_threads(self, n: i32) -> Self {
        self.push(zmq_sys::ZMQ_IO_THREADS, "ZMQ_IO_THREADS", n)
    }

    /// `ZMQ_MAX_SOCKETS` (default 1023): the most sockets open at once.
    pub fn max_sockets(self, n: i32) -> Self {
        self.push(zmq_sys::ZMQ_MAX_SOCKETS, "ZMQ_MAX_SOCKETS", n)
    }

    /// `ZMQ_IPV6` (default off): new sockets use IPv6 (dual stack).
    pub fn ipv6(self, on: bool) -> Self {
        self.push(zmq_sys::ZMQ_IPV6, "ZMQ_IPV6", i32::from(on))
    }

    /// `ZMQ_BLOCKY` (default on): libzmq's own infinite default linger. This
    /// crate sets each socket's linger itself (see [`Self::default_linger`]), so
    /// this only matters to sockets created through `zmq_sys` directly.
    pub fn blocky(self, on: bool) -> Self {
        self.push(zmq_sys::ZMQ_BLOCKY, "ZMQ_BLOCKY", i32::from(on))
    }

    /// `ZMQ_MAX_MSGSZ` (default `i32::MAX`): the largest message size.
    pub fn max_message_size(self, bytes: i32) -> Self {
        self.push(zmq_sys::ZMQ_MAX_MSGSZ, "ZMQ_MAX_MSGSZ", bytes)
    }

    /// `ZMQ_THREAD_SCHED_POLICY` (default -1, the OS default): the scheduling
    /// policy of the I/O threads (`SCHED_OTHER`, `SCHED_RR`, ...).
    pub fn thread_sched_policy(self, policy: i32) -> Self {
        self.push(
            zmq_sys::ZMQ_THREAD_SCHED_POLICY,
            "ZMQ_THREAD_SCHED_POLICY",
            policy,
        )
    }

    /// `ZMQ_THREAD_PRIORITY` (default -1, the OS default): the I/O threads' priority.
    pub fn thread_priority(self, priority: i32) -> Self {
        self.push(
            zmq_sys::ZMQ_THREAD_PRIORITY,
            "ZMQ_THREAD_PRIORITY",
            priority,
        )
    }

    /// `ZMQ_THREAD_AFFINITY_CPU_ADD`: pins the I/O threads to this CPU as well
    /// (call once per CPU).
    pub fn thread_affinity_cpu(self, cpu: i32) -> Self {
        self.push(
            zmq_sys::ZMQ_THREAD_AFFINITY_CPU_ADD,
            "ZMQ_THREAD_AFFINITY_CPU_ADD",
            cpu,
        )
    }

    /// `ZMQ_THREAD_NAME_PREFIX`: a numeric prefix for the I/O threads' names.
    pub fn thread_name_prefix(mut self, prefix: i32) -> Self {
        self.thread_name_prefix = Some(prefix);
        self
    }

    /// The linger given to each new socket (default [`DEFAULT_LINGER`]);
    /// `None` waits forever, as libzmq itself does.
    pub fn default_linger(mut self, linger: Option<Duration>) -> Self {
        self.default_linger = linger;
        self
    }

    /// Creates the context and applies the options; the first rejected option
    /// is the error, naming it.
    pub fn build(self) -> Result<Context> {
        // SAFETY: zmq_ctx_new has no preconditions; NULL means failure.
        let ptr = unsafe { zmq_sys::zmq_ctx_new() };
        if ptr.is_null() {
            return Err(Error::last("zmq_ctx_new"));
        }
        let ctx = Context {
            raw: Arc::new(RawContext {
                ptr,
                failure: None,
                default_linger: self.default_linger,
            }),
        };
        let prefix = self
            .thread_name_prefix
            .map(|p| (zmq_sys::ZMQ_THREAD_NAME_PREFIX, "ZMQ_THREAD_NAME_PREFIX", p));
        for (option, name, value) in self.options.into_iter().chain(prefix) {
            // SAFETY: valid context pointer; zmq_ctx_set validates the value.
            let rc = unsafe { zmq_sys::zmq_ctx_set(ptr, option, value) };
            check(rc, "zmq_ctx_set").map_err(|e| e.context(name))?;
        }
        Ok(ctx)
    }
}
