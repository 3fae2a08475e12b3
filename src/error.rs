//! Errors: an errno from libzmq plus what was being done when it happened.

use std::borrow::Cow;
use std::fmt;

/// The result type of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in categories a program can act on.
///
/// Matching on it is the way to tell a timeout from a terminated context or a
/// refused route. New kinds may be added, so a `match` needs a `_` arm.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The context was shut down or terminated (`ETERM`): the socket can only be closed.
    Terminated,
    /// A blocking send or receive gave up after its `SndTimeo` / `RcvTimeo` (`EAGAIN`).
    Timeout,
    /// A non-blocking operation could not complete now (`EAGAIN`).
    WouldBlock,
    /// The socket is not in a state that allows this operation, e.g. a REQ
    /// socket that sends twice without receiving (`EFSM`).
    InvalidState,
    /// A call was interrupted by a signal (`EINTR`). Blocking sends and
    /// receives retry on their own (within their timeout) and never return
    /// it; see the socket docs on signals for Ctrl-C.
    Interrupted,
    /// The endpoint is already bound by someone (`EADDRINUSE`).
    AddressInUse,
    /// The endpoint names an address that is not local (`EADDRNOTAVAIL`).
    AddressNotAvailable,
    /// The endpoint's transport is unknown or not compiled in (`EPROTONOSUPPORT`).
    UnsupportedTransport,
    /// The transport cannot be used with this socket type (`ENOCOMPATPROTO`).
    IncompatibleTransport,
    /// An argument was invalid: a malformed endpoint, a bad option value, a NUL byte
    /// in a string, a wrong key length (`EINVAL`).
    InvalidInput,
    /// No such endpoint, file or device (`ENOENT`, `ENODEV`): e.g. unbinding what
    /// was never bound.
    NotFound,
    /// The message cannot be routed (`EHOSTUNREACH`): `RouterMandatory` with an
    /// unknown routing id.
    Unroutable,
    /// A message is larger than what is allowed (`EMSGSIZE`).
    MessageTooLarge,
    /// The operation is not supported by this socket type (`ENOTSUP`).
    NotSupported,
    /// Out of sockets or file descriptors (`EMFILE`).
    TooManySockets,
    /// Out of memory (`ENOMEM`).
    OutOfMemory,
    /// Received bytes were not valid UTF-8.
    InvalidUtf8,
    /// Any other errno.
    Other,
}

/// The number of endpoint or option-name bytes an [`Error`] keeps inline.
const DETAIL_CAPACITY: usize = 70;

/// A libzmq error with its context: the errno, a kind, the operation, and the
/// endpoint or option it concerned.
///
/// `Error` is a small `Copy` value (no allocation), so it can be returned from
/// hot paths. The detail (an endpoint or option name) is kept inline and cut at
/// 70 bytes with `…`.
///
/// ```
/// let ctx = zmq::Context::new();
/// let sock = ctx.socket(zmq::SocketType::Pub).unwrap();
/// let err = sock.bind("tcp://no-such-interface-here:1").unwrap_err();
/// assert!(err.to_string().contains("tcp://no-such-interface-here:1"));
/// ```
#[derive(Clone, Copy)]
pub struct Error {
    errno: i32,
    kind: ErrorKind,
    operation: &'static str,
    detail_len: u8,
    detail: [u8; DETAIL_CAPACITY],
}

impl Error {
    /// An error for `errno` raised while doing `operation`.
    pub fn new(errno: i32, operation: &'static str) -> Error {
        Error {
            errno,
            kind: kind_of(errno),
            operation,
            detail_len: 0,
            detail: [0; DETAIL_CAPACITY],
        }
    }

    /// An error of a given kind, not tied to an errno (`errno()` returns `EINVAL`
    /// for input errors and 0 otherwise).
    pub fn with_kind(kind: ErrorKind, operation: &'static str) -> Error {
        let errno = match kind {
            ErrorKind::InvalidInput | ErrorKind::InvalidUtf8 => libc::EINVAL,
            _ => 0,
        };
        Error {
            kind,
            ..Error::new(errno, operation)
        }
    }

    /// The last error of libzmq on this thread (`zmq_errno`).
    pub(crate) fn last(operation: &'static str) -> Error {
        // SAFETY: zmq_errno only reads the calling thread's errno.
        Error::new(unsafe { zmq_sys::zmq_errno() }, operation)
    }

    /// The same error, noting the endpoint, option or other subject it concerns.
    pub fn context(mut self, detail: &str) -> Error {
        let bytes = detail.as_bytes();
        let len = if bytes.len() <= DETAIL_CAPACITY {
            self.detail[..bytes.len()].copy_from_slice(bytes);
            bytes.len()
        } else {
            // Keep room for "…" (3 bytes) and cut on a char boundary.
            let mut cut = DETAIL_CAPACITY - 3;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            self.detail[..cut].copy_from_slice(&bytes[..cut]);
            self.detail[cut..cut + 3].copy_from_slice("…".as_bytes());
            cut + 3
        };
        self.detail_len = len as u8;
        self
    }

    /// Turns a would-block `EAGAIN` of a blocking call into a [`ErrorKind::Timeout`].
    pub(crate) fn as_timeout(mut self) -> Error {
        if self.kind == ErrorKind::WouldBlock {
            self.kind = ErrorKind::Timeout;
        }
        self
    }

    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno libzmq reported (0 for errors raised by this crate itself).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// What was being done, e.g. `"bind"`, `"send"`, `"setsockopt"`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The endpoint, option or other subject of the failed operation, if any.
    pub fn detail(&self) -> Option<&str> {
        if self.detail_len == 0 {
            return None;
        }
        std::str::from_utf8(&self.detail[..usize::from(self.detail_len)]).ok()
    }

    /// What the errno means, in the words of `strerror`/`zmq_strerror`, or
    /// what went wrong for an error this crate raised itself (no errno).
    ///
    /// The text is the crate's own: a static table for the errnos libzmq and
    /// the socket calls report, and `"errno N"` for any other. It is never
    /// borrowed from `zmq_strerror`, whose text for an unknown errno lives in
    /// a thread-local buffer that the next call overwrites or frees.
    pub fn message(&self) -> Cow<'static, str> {
        if self.kind == ErrorKind::InvalidUtf8 {
            return Cow::Borrowed("invalid UTF-8");
        }
        if self.errno == 0 {
            return Cow::Borrowed(kind_text(self.kind));
        }
        match errno_text(self.errno) {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(format!("errno {}", self.errno)),
        }
    }

    /// Advice for an error of `bind`, `connect`, `unbind` or `disconnect`: what
    /// is wrong with the endpoint, in words a user can act on. `None` for
    /// other errors. [`Display`](fmt::Display) appends it.
    pub fn hint(&self) -> Option<&'static str> {
        crate::endpoint_hint::hint(self.operation, self.errno, self.detail()?)
    }

    /// True when the context was terminated (`ETERM`).
    pub fn is_terminated(&self) -> bool {
        self.kind == ErrorKind::Terminated
    }

    /// True for a send or receive timeout.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// True when a non-blocking operation would have blocked.
    pub fn is_would_block(&self) -> bool {
        self.kind == ErrorKind::WouldBlock
    }
}

fn kind_of(errno: i32) -> ErrorKind {
    use ErrorKind::*;
    match errno {
        libc::EAGAIN => WouldBlock,
        libc::EINTR => Interrupted,
        libc::EADDRINUSE => AddressInUse,
        libc::EADDRNOTAVAIL => AddressNotAvailable,
        libc::EPROTONOSUPPORT => UnsupportedTransport,
        libc::EINVAL | libc::EFAULT | libc::ENAMETOOLONG => InvalidInput,
        libc::ENOENT | libc::ENODEV => NotFound,
        libc::EHOSTUNREACH => Unroutable,
        libc::EMSGSIZE => MessageTooLarge,
        libc::ENOTSUP => NotSupported,
        libc::EMFILE => TooManySockets,
        libc::ENOMEM => OutOfMemory,
        e if e == zmq_sys::ETERM => Terminated,
        e if e == zmq_sys::EFSM => InvalidState,
        e if e == zmq_sys::ENOCOMPATPROTO => IncompatibleTransport,
        _ => Other,
    }
}

/// The description of a crate-raised error that has no errno.
fn kind_text(kind: ErrorKind) -> &'static str {
    use ErrorKind::*;
    match kind {
        Terminated => "the context was terminated",
        Timeout => "timed out",
        WouldBlock => "the operation would block",
        InvalidState => "not allowed in the socket's current state",
        Interrupted => "interrupted by a signal",
        AddressInUse => "address already in use",
        AddressNotAvailable => "address not available",
        UnsupportedTransport => "unsupported transport",
        IncompatibleTransport => "transport not compatible with the socket type",
        InvalidInput => "invalid input",
        NotFound => "not found",
        Unroutable => "no route to the peer",
        MessageTooLarge => "message too large",
        NotSupported => "not supported",
        TooManySockets => "too many sockets or files open",
        OutOfMemory => "out of memory",
        InvalidUtf8 => "invalid UTF-8",
        Other => "failed",
    }
}

/// The text of the errnos libzmq, its transports and the file calls of this
/// crate report (glibc's wording), and of libzmq's own errnos. Truly static:
/// nothing here comes from a C buffer.
fn errno_text(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::EPERM => "Operation not permitted",
        libc::ENOENT => "No such file or directory",
        libc::ESRCH => "No such process",
        libc::EINTR => "Interrupted system call",
        libc::EIO => "Input/output error",
        libc::ENXIO => "No such device or address",
        libc::EBADF => "Bad file descriptor",
        libc::EAGAIN => "Resource temporarily unavailable",
        libc::ENOMEM => "Cannot allocate memory",
        libc::EACCES => "Permission denied",
        libc::EFAULT => "Bad address",
        libc::EBUSY => "Device or resource busy",
        libc::EEXIST => "File exists",
        libc::ENODEV => "No such device",
        libc::ENOTDIR => "Not a directory",
        libc::EISDIR => "Is a directory",
        libc::EINVAL => "Invalid argument",
        libc::ENFILE => "Too many open files in system",
        libc::EMFILE => "Too many open files",
        libc::ENOSPC => "No space left on device",
        libc::EPIPE => "Broken pipe",
        libc::ERANGE => "Numerical result out of range",
        libc::ENAMETOOLONG => "File name too long",
        libc::ENOSYS => "Function not implemented",
        libc::ENOTSOCK => "Socket operation on non-socket",
        libc::EDESTADDRREQ => "Destination address required",
        libc::EMSGSIZE => "Message too long",
        libc::EPROTOTYPE => "Protocol wrong type for socket",
        libc::ENOPROTOOPT => "Protocol not available",
        libc::EPROTONOSUPPORT => "Protocol not supported",
        libc::ENOTSUP => "Operation not supported",
        libc::EAFNOSUPPORT => "Address family not supported by protocol",
        libc::EADDRINUSE => "Address already in use",
        libc::EADDRNOTAVAIL => "Cannot assign requested address",
        libc::ENETDOWN => "Network is down",
        libc::ENETUNREACH => "Network is unreachable",
        libc::ENETRESET => "Network dropped connection on reset",
        libc::ECONNABORTED => "Software caused connection abort",
        libc::ECONNRESET => "Connection reset by peer",
        libc::ENOBUFS => "No buffer space available",
        libc::EISCONN => "Transport endpoint is already connected",
        libc::ENOTCONN => "Transport endpoint is not connected",
        libc::ETIMEDOUT => "Connection timed out",
        libc::ECONNREFUSED => "Connection refused",
        #[cfg(unix)] // not an errno of Windows' C runtime
        libc::EHOSTDOWN => "Host is down",
        libc::EHOSTUNREACH => "No route to host",
        libc::EINPROGRESS => "Operation now in progress",
        libc::EALREADY => "Operation already in progress",
        libc::ELOOP => "Too many levels of symbolic links",
        libc::EROFS => "Read-only file system",
        e if e == zmq_sys::EFSM => "Operation cannot be accomplished in current state",
        e if e == zmq_sys::ENOCOMPATPROTO => "The protocol is not compatible with the socket type",
        e if e == zmq_sys::ETERM => "Context was terminated",
        e if e == zmq_sys::EMTHREAD => "No thread available",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(detail) => write!(f, "{} {}: {}", self.operation, detail, self.message())?,
            None => write!(f, "{}: {}", self.operation, self.message())?,
        }
        if self.kind == ErrorKind::Timeout {
            f.write_str(" (timed out)")?;
        }
        if let Some(hint) = self.hint() {
            write!(f, ": {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("errno", &self.errno)
            .field("operation", &self.operation)
            .field("detail", &self.detail())
            .field("message", &self.message())
            .finish()
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.errno == other.errno
            && self.kind == other.kind
            && self.operation == other.operation
            && self.detail() == other.detail()
    }
}

impl Eq for Error {}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind as Io;
        let kind = match e.kind {
            ErrorKind::Timeout => Io::TimedOut,
            ErrorKind::WouldBlock => Io::WouldBlock,
            ErrorKind::Interrupted => Io::Interrupted,
            ErrorKind::AddressInUse => Io::AddrInUse,
            ErrorKind::AddressNotAvailable => Io::AddrNotAvailable,
            ErrorKind::InvalidInput => Io::InvalidInput,
            ErrorKind::InvalidUtf8 => Io::InvalidData,
            ErrorKind::NotFound => Io::NotFound,
            ErrorKind::NotSupported => Io::Unsupported,
            ErrorKind::OutOfMemory => Io::OutOfMemory,
            _ => Io::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// Converts libzmq's `-1 = failure` convention into a `Result`.
#[inline]
pub(crate) fn check(rc: i32, operation: &'static str) -> Result<i32> {
    if rc == -1 {
        Err(Error::last(operation))
    } else {
        Ok(rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_cut_on_a_char_boundary() {
        let long = "é".repeat(60);
        let e = Error::new(libc::EINVAL, "bind").context(&long);
        let d = e.detail().unwrap();
        assert!(d.ends_with('…'));
        assert!(d.len() <= DETAIL_CAPACITY);
    }

    #[test]
    fn unknown_errno_is_a_value_not_a_panic() {
        let e = Error::new(987_654, "send");
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn an_unknown_errno_is_described_by_its_number() {
        let e = Error::new(987_654, "send");
        assert_eq!(e.message(), "errno 987654");
        assert_eq!(e.to_string(), "send: errno 987654");
    }

    #[test]
    fn an_error_without_errno_never_says_success() {
        let e = Error::with_kind(ErrorKind::Other, "authenticate");
        assert_eq!(e.errno(), 0);
        assert!(!e.to_string().contains("Success"), "{e}");
        assert_eq!(e.to_string(), "authenticate: failed");
    }

    #[test]
    fn known_errnos_match_libzmq_s_own_text() {
        // libzmq passes C errnos to the C runtime's strerror: glibc's text is
        // ours, msvcrt's differs ("Address in use"), so on Windows only
        // libzmq's own errnos are compared (and the test below pins ours).
        #[cfg(unix)]
        let c_runtime = [libc::EINVAL, libc::EADDRINUSE, libc::ENODEV];
        #[cfg(windows)]
        let c_runtime: [i32; 0] = [];
        for errno in c_runtime.into_iter().chain([zmq_sys::EFSM, zmq_sys::ETERM]) {
            // SAFETY: for these known errnos zmq_strerror returns static text;
            // this test only compares it with ours.
            let theirs = unsafe { std::ffi::CStr::from_ptr(zmq_sys::zmq_strerror(errno)) };
            assert_eq!(Error::new(errno, "x").message(), theirs.to_str().unwrap());
        }
    }

    #[test]
    fn errno_text_is_the_same_on_every_platform() {
        assert_eq!(
            Error::new(libc::EADDRINUSE, "x").message(),
            "Address already in use"
        );
        assert_eq!(Error::new(libc::EINVAL, "x").message(), "Invalid argument");
    }

    #[test]
    fn eagain_of_a_blocking_call_is_a_timeout() {
        let e = Error::new(libc::EAGAIN, "recv").as_timeout();
        assert!(e.is_timeout());
        assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::TimedOut);
    }
}
