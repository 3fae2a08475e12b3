//! What differs between Unix and Windows, in one place: the handle type
//! libzmq polls and signals on, and signal masking.

/// A raw handle libzmq can poll besides its own sockets, and the one it
/// signals socket activity on (`ZMQ_FD`): libzmq's `zmq_fd_t`.
///
/// On Unix it is a file descriptor ([`std::os::fd::RawFd`], an `int`); on
/// Windows a `SOCKET` (`std::os::windows::io::RawSocket`, 8 bytes on
/// 64-bit Windows), which is what `zmq_poll` accepts there: sockets only, no
/// pipes or console handles.
#[cfg(unix)]
pub type RawFd = std::os::fd::RawFd;

/// A raw handle libzmq can poll besides its own sockets, and the one it
/// signals socket activity on (`ZMQ_FD`): libzmq's `zmq_fd_t`.
///
/// On Unix it is a file descriptor (`std::os::fd::RawFd`, an `int`); on
/// Windows a `SOCKET` ([`std::os::windows::io::RawSocket`], 8 bytes on
/// 64-bit Windows), which is what `zmq_poll` accepts there: sockets only, no
/// pipes or console handles.
#[cfg(windows)]
pub type RawFd = std::os::windows::io::RawSocket;

// zmq_fd_t and RawFd are the same type on every supported platform: a
// mismatch (a new platform, other bindings) stops the build here rather than
// truncating handles at run time.
const _: fn(RawFd) -> zmq_sys::zmq_fd_t = |fd| fd;

/// The value of a handle that is none (`-1` on Unix, `INVALID_SOCKET` on
/// Windows), as monitor events report it when an event has no handle.
#[cfg(unix)]
pub(crate) const NO_FD: RawFd = -1;
#[cfg(windows)]
pub(crate) const NO_FD: RawFd = RawFd::MAX;

/// Blocks every asynchronous signal on the calling thread, so that a
/// long-running wait on it (the proxy's) is never interrupted (`EINTR`) and
/// its state never lost; the process's other threads still receive them.
#[cfg(unix)]
pub(crate) fn block_async_signals() {
    // SAFETY: sigset_t is plain data initialised by sigfillset before use;
    // pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for synchronous in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL] {
            libc::sigdelset(&mut set, synchronous);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Windows has no signals that interrupt a blocking call (Ctrl-C runs a
/// handler on a thread of its own), so there is nothing to block.
#[cfg(windows)]
pub(crate) fn block_async_signals() {}
