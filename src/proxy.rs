//! Proxies (`zmq_proxy`, `zmq_proxy_steerable`): libzmq forwarding messages
//! between a frontend and a backend socket — the talk's queue (ROUTER to
//! DEALER), forwarder (XSUB to XPUB) and streamer (PULL to PUSH).
//!
//! - [`proxy`] and [`proxy_with_capture`] run on the calling thread until the
//!   context shuts down.
//! - [`SteerableProxy`] runs one on its own thread behind a handle that can
//!   [`pause`](SteerableProxy::pause), [`resume`](SteerableProxy::resume),
//!   read [`statistics`](SteerableProxy::statistics) and
//!   [`terminate`](SteerableProxy::terminate) it, and stops it when dropped.
//!
//! The module is private: its items are public at the crate root (one path
//! each, `zmq::proxy` being the function), so the example is on
//! [`SteerableProxy`].

use crate::error::{check, Error, ErrorKind, Result};
use crate::poll::{poll, PollEvents, PollItem};
use crate::socket::{SendFlags, Socket, SocketType};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

fn raw_or_null(socket: Option<&Socket>) -> *mut c_void {
    socket.map_or(std::ptr::null_mut(), Socket::as_raw)
}

/// Forwards messages between `frontend` and `backend` in both directions on
/// the calling thread (`zmq_proxy`), until the context is shut down.
///
/// It returns only with an error: [`ErrorKind::Terminated`] once
/// [`Context::shutdown`](crate::Context::shutdown) is called (from another
/// thread), never a hang or a panic. `EINTR` is retried.
pub fn proxy(frontend: &Socket, backend: &Socket) -> Result<()> {
    run_proxy(frontend, backend, None)
}

/// Like [`proxy`], and also sends a copy of every message part to `capture`
/// (`zmq_proxy` with a capture socket: a PUB, PUSH, DEALER or PAIR). Parts
/// keep their `more` flag, so multipart messages stay whole on `capture`.
pub fn proxy_with_capture(frontend: &Socket, backend: &Socket, capture: &Socket) -> Result<()> {
    run_proxy(frontend, backend, Some(capture))
}

fn run_proxy(frontend: &Socket, backend: &Socket, capture: Option<&Socket>) -> Result<()> {
    loop {
        // SAFETY: the sockets are valid while borrowed; libzmq uses them only
        // during the call, on this thread (they are not Sync, so no other
        // thread can use them meanwhile).
        let rc = unsafe {
            zmq_sys::zmq_proxy(frontend.as_raw(), backend.as_raw(), raw_or_null(capture))
        };
        match check(rc, "zmq_proxy") {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Runs a steerable proxy on the calling thread (`zmq_proxy_steerable`),
/// taking commands from `control`; `Ok(())` after `TERMINATE`.
///
/// Prefer [`SteerableProxy`], which speaks the control protocol for you. The
/// protocol differs between libzmq versions: 4.3.5 answers *every* command
/// (an empty frame for `PAUSE`, `RESUME` and `TERMINATE`, eight `u64` frames
/// for `STATISTICS`), so a REP or PAIR control socket works and a REQ peer
/// never hangs; earlier versions answer only `STATISTICS`, so only PAIR
/// works. 4.3.5 also swaps the effect of `PAUSE` and `RESUME` (libzmq pull
/// request 4600). An interrupted call (`EINTR`) returns
/// [`ErrorKind::Interrupted`]: restarting would lose the state.
pub fn proxy_steerable(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: &Socket,
) -> Result<()> {
    // SAFETY: as in run_proxy: valid, borrowed sockets used only during the call.
    let rc = unsafe {
        zmq_sys::zmq_proxy_steerable(
            frontend.as_raw(),
            backend.as_raw(),
            raw_or_null(capture),
            control.as_raw(),
        )
    };
    check(rc, "zmq_proxy_steerable").map(drop)
}

/// Message and byte counters of one side of a proxy. Messages are counted
/// per part: a three-part message counts three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SideStatistics {
    /// Message parts received from this socket.
    pub messages_received: u64,
    /// Bytes received from this socket.
    pub bytes_received: u64,
    /// Message parts sent to this socket.
    pub messages_sent: u64,
    /// Bytes sent to this socket.
    pub bytes_sent: u64,
}

/// A steerable proxy's counters (the reply to its `STATISTICS` command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProxyStatistics {
    /// The frontend socket's counters.
    pub frontend: SideStatistics,
    /// The backend socket's counters.
    pub backend: SideStatistics,
}

impl ProxyStatistics {
    /// Decodes the eight native-endian `u64` frames of a `STATISTICS` reply,
    /// in libzmq's order: frontend received messages, bytes, sent messages,
    /// bytes, then the same for the backend. Anything else is an error.
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<ProxyStatistics> {
        let bad =
            || Error::new(libc::EPROTO, "proxy statistics").context("expected 8 frames of 8 bytes");
        if frames.len() != 8 {
            return Err(bad());
        }
        let mut values = [0u64; 8];
        for (value, frame) in values.iter_mut().zip(frames) {
            let bytes: [u8; 8] = frame.as_ref().try_into().map_err(|_| bad())?;
            *value = u64::from_ne_bytes(bytes);
        }
        let side = |v: &[u64]| SideStatistics {
            messages_received: v[0],
            bytes_received: v[1],
            messages_sent: v[2],
            bytes_sent: v[3],
        };
        Ok(ProxyStatistics {
            frontend: side(&values[..4]),
            backend: side(&values[4..]),
        })
    }
}

/// The commands as the linked libzmq understands them.
struct Commands {
    pause: &'static [u8],
    resume: &'static [u8],
}

impl Commands {
    fn for_linked_library() -> Commands {
        // libzmq 4.3.5's proxy.cpp tests `memcmp(cmd, "\x05PAUSE", 6)`
        // without `== 0` and sets `paused` for RESUME: the two commands do
        // each other's job (fixed after the release, pull request 4600).
        if crate::version() == (4, 3, 5) {
            Commands {
                pause: b"RESUME",
                resume: b"PAUSE",
            }
        } else {
            Commands {
                pause: b"PAUSE",
                resume: b"RESUME",
            }
        }
    }
}

static NEXT_CONTROL: AtomicU64 = AtomicU64::new(0);

/// How often a command reply wait checks that the proxy thread still runs.
const LIVENESS_CHECK: Duration = Duration::from_millis(100);

/// A steerable proxy on its own thread (`zmq_proxy_steerable`), and the
/// handle that steers it.
///
/// The frontend, backend (and capture) sockets move into the proxy thread.
/// The handle talks to it over a PAIR pair on a unique
/// `inproc://zmq-proxy-control-N` endpoint, and hides the differences of the
/// libzmq versions: which commands get a reply, and 4.3.5's swapped
/// `PAUSE`/`RESUME`. Every command waits until the proxy has applied it, so
/// after [`pause`](Self::pause) returns no further message is forwarded.
///
/// Dropping the handle terminates the proxy and joins its thread. When the
/// context shuts down, the proxy ends by itself with
/// [`ErrorKind::Terminated`], which [`terminate`](Self::terminate) reports.
///
/// libzmq sends to the capture socket (and the rest of a multipart message)
/// with blocking sends, so a capture peer that stops reading can hold the
/// proxy, and with it [`terminate`](Self::terminate) and drop, until it reads
/// again or the context shuts down.
///
/// The handle is `Send` but not `Sync` (it owns a socket).
///
/// ```
/// use zmq::{SocketType, SteerableProxy};
/// let ctx = zmq::Context::new();
/// let frontend = ctx.socket(SocketType::Pull)?;
/// frontend.bind("inproc://proxy-doc-in")?;
/// let backend = ctx.socket(SocketType::Push)?;
/// backend.bind("inproc://proxy-doc-out")?;
/// let proxy = SteerableProxy::spawn(frontend, backend)?;
///
/// let producer = ctx.socket(SocketType::Push)?;
/// producer.connect("inproc://proxy-doc-in")?;
/// let consumer = ctx.socket(SocketType::Pull)?;
/// consumer.connect("inproc://proxy-doc-out")?;
/// producer.send("hello")?;
/// assert_eq!(consumer.recv()?, "hello");
///
/// let stats = proxy.statistics()?;
/// assert_eq!(stats.frontend.messages_received, 1);
/// assert_eq!(stats.backend.bytes_sent, 5);
/// proxy.terminate()?;
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct SteerableProxy {
    control: Socket,
    thread: Option<JoinHandle<Result<()>>>,
    commands: Commands,
}

impl std::fmt::Debug for SteerableProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SteerableProxy")
            .field("running", &self.is_running())
            .finish()
    }
}

impl SteerableProxy {
    /// Starts forwarding between `frontend` and `backend` on a new thread.
    pub fn spawn(frontend: Socket, backend: Socket) -> Result<SteerableProxy> {
        SteerableProxy::start(frontend, backend, None)
    }

    /// Like [`spawn`](Self::spawn), copying every message part to `capture`.
    pub fn spawn_with_capture(
        frontend: Socket,
        backend: Socket,
        capture: Socket,
    ) -> Result<SteerableProxy> {
        SteerableProxy::start(frontend, backend, Some(capture))
    }

    fn start(frontend: Socket, backend: Socket, capture: Option<Socket>) -> Result<SteerableProxy> {
        let ctx = frontend.context().clone();
        let endpoint = format!(
            "inproc://zmq-proxy-control-{}",
            NEXT_CONTROL.fetch_add(1, Ordering::Relaxed)
        );
        let proxy_side = ctx.socket(SocketType::Pair)?;
        proxy_side.set(crate::opt::Linger, Some(Duration::ZERO))?;
        proxy_side.bind(&endpoint)?;
        let control = ctx.socket(SocketType::Pair)?;
        control.set(crate::opt::Linger, Some(Duration::ZERO))?;
        control.connect(&endpoint)?;
        let thread = std::thread::Builder::new()
            .name("zmq-proxy".into())
            .spawn(move || {
                crate::platform::block_async_signals();
                proxy_steerable(&frontend, &backend, capture.as_ref(), &proxy_side)
            })
            .map_err(|e| {
                Error::new(
                    e.raw_os_error().unwrap_or(libc::EAGAIN),
                    "spawn proxy thread",
                )
            })?;
        Ok(SteerableProxy {
            control,
            thread: Some(thread),
            commands: Commands::for_linked_library(),
        })
    }

    /// True while the proxy thread runs.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    fn not_running() -> Error {
        Error::new(libc::ESRCH, "steer proxy").context("the proxy is not running")
    }

    /// Sends `command` (if any) then `STATISTICS`, and returns the statistics
    /// once the proxy has answered, skipping the empty acknowledgements some
    /// versions send. Commands are handled in order, so the answer proves the
    /// command was applied.
    fn exchange(&self, command: Option<&'static [u8]>) -> Result<ProxyStatistics> {
        if !self.is_running() {
            return Err(SteerableProxy::not_running());
        }
        // Never block on send: with no proxy behind the PAIR it would wait forever.
        let send = |bytes: &'static [u8]| {
            self.control
                .send_with(bytes, SendFlags::DONTWAIT)
                .map_err(|e| match e.kind() {
                    ErrorKind::WouldBlock => SteerableProxy::not_running(),
                    _ => e,
                })
        };
        if let Some(command) = command {
            send(command)?;
        }
        send(b"STATISTICS")?;
        loop {
            let mut items = [PollItem::socket(&self.control, PollEvents::POLLIN)];
            if poll(&mut items, Some(LIVENESS_CHECK))? == 0 {
                if !self.is_running() {
                    return Err(SteerableProxy::not_running());
                }
                continue;
            }
            let frames = self.control.recv_multipart()?;
            if frames.len() == 1 && frames[0].is_empty() {
                continue; // 4.3.5's acknowledgement of PAUSE/RESUME
            }
            return ProxyStatistics::from_frames(&frames);
        }
    }

    /// Stops forwarding; messages queue up in the sockets (up to their
    /// high-water marks) until [`resume`](Self::resume). Returns once the
    /// proxy has applied it.
    pub fn pause(&self) -> Result<()> {
        self.exchange(Some(self.commands.pause)).map(drop)
    }

    /// Forwards again, starting with what queued up while paused.
    pub fn resume(&self) -> Result<()> {
        self.exchange(Some(self.commands.resume)).map(drop)
    }

    /// The proxy's counters since it started.
    pub fn statistics(&self) -> Result<ProxyStatistics> {
        self.exchange(None)
    }

    /// Stops the proxy, joins its thread and returns how it ended: `Ok(())`
    /// after this command, [`ErrorKind::Terminated`] if the context had shut
    /// down first. The sockets are closed.
    pub fn terminate(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        if !thread.is_finished() {
            // If this fails the context is shutting down, which ends the
            // proxy too; either way the join below returns.
            let _ = self
                .control
                .send_with(&b"TERMINATE"[..], SendFlags::DONTWAIT);
        }
        match thread.join() {
            Ok(result) => result,
            Err(_) => Err(Error::new(libc::ECANCELED, "proxy thread").context("panicked")),
        }
    }
}

impl Drop for SteerableProxy {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_decode_in_libzmq_order() {
        let frames: Vec<[u8; 8]> = (1..=8u64).map(u64::to_ne_bytes).collect();
        let stats = ProxyStatistics::from_frames(&frames).unwrap();
        assert_eq!(stats.frontend.messages_received, 1);
        assert_eq!(stats.frontend.bytes_received, 2);
        assert_eq!(stats.frontend.messages_sent, 3);
        assert_eq!(stats.frontend.bytes_sent, 4);
        assert_eq!(stats.backend.messages_received, 5);
        assert_eq!(stats.backend.bytes_sent, 8);
    }

    #[test]
    fn malformed_statistics_are_errors() {
        assert!(ProxyStatistics::from_frames::<&[u8]>(&[]).is_err());
        let short: Vec<&[u8]> = vec![&[0; 8]; 7];
        assert!(ProxyStatistics::from_frames(&short).is_err());
        let mut wrong: Vec<&[u8]> = vec![&[0; 8]; 8];
        wrong[3] = &[0; 4];
        assert!(ProxyStatistics::from_frames(&wrong).is_err());
    }
}
