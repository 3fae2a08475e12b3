//! Proves the platform configuration of the libzmq this crate links, through
//! the raw FFI alone: CURVE and IPC are compiled in, TCP keepalive options
//! reach the kernel, the signaler is an eventfd, the I/O threads poll with
//! epoll, and descriptors are close-on-exec.
//!
//! These run against whichever libzmq the build script chose: the vendored
//! 4.3.5 by default, the system's with `LIBZMQ_NO_VENDOR=1`. A capability the
//! build promises and that is missing fails the test, it never skips; only the
//! two `vendored_build_*` tests have nothing to check on a system libzmq,
//! whose optional parts are its packager's choice.
//!
//! Every blocking call is bounded by `ZMQ_RCVTIMEO`/`ZMQ_SNDTIMEO`, every
//! socket is closed with `ZMQ_LINGER` 0 and every context terminated, even
//! when an assertion fails (the guards below close them in `Drop`).
//!
//! Linux only: it inspects `/proc`, eventfd, epoll and `SO_PEERCRED`. The
//! Windows configuration is checked by `tests/windows.rs`.
#![cfg(target_os = "linux")]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_int, c_void, CStr, CString};
use std::marker::PhantomData;
use std::net::TcpStream;
use std::os::fd::RawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use zmq_sys as sys;

/// How long any blocking step may take before the test fails.
const TIMEOUT_MS: c_int = 5_000;

/// Whether this test binary was built against the system libzmq: the same
/// decision the build script makes (`LIBZMQ_NO_VENDOR` set to anything but
/// `0`, or the `vendored` feature off).
fn built_against_system_libzmq() -> bool {
    let no_vendor = option_env!("LIBZMQ_NO_VENDOR").is_some_and(|v| !v.is_empty() && v != "0");
    no_vendor || !cfg!(feature = "vendored")
}

/// The last libzmq error, as "what: message (errno N)".
fn zmq_failure(what: &str) -> String {
    // SAFETY: zmq_errno only reads the calling thread's errno.
    let errno = unsafe { sys::zmq_errno() };
    // SAFETY: zmq_strerror returns a pointer to a static NUL-terminated string
    // for any errno value.
    let message = unsafe { CStr::from_ptr(sys::zmq_strerror(errno)) };
    format!("{what}: {} (errno {errno})", message.to_string_lossy())
}

/// Panics with libzmq's error when a call returned -1.
fn check(rc: c_int, what: &str) -> c_int {
    assert!(rc != -1, "{}", zmq_failure(what));
    rc
}

/// `zmq_has` for a capability name.
fn has(capability: &str) -> bool {
    let capability = CString::new(capability).expect("no NUL");
    // SAFETY: zmq_has reads a NUL-terminated string that outlives the call.
    unsafe { sys::zmq_has(capability.as_ptr()) == 1 }
}

/// A libzmq context, terminated on drop.
struct Context {
    raw: *mut c_void,
}

impl Context {
    fn new() -> Self {
        // SAFETY: zmq_ctx_new has no preconditions; a NULL result is checked.
        let raw = unsafe { sys::zmq_ctx_new() };
        assert!(!raw.is_null(), "{}", zmq_failure("zmq_ctx_new"));
        Context { raw }
    }

    /// A socket of `kind` with linger 0 and both timeouts bounded.
    fn socket(&self, kind: c_int) -> Socket<'_> {
        // SAFETY: `self.raw` is a live context (terminated only in Drop, which
        // the borrow in the returned Socket keeps from running first).
        let raw = unsafe { sys::zmq_socket(self.raw, kind) };
        assert!(!raw.is_null(), "{}", zmq_failure("zmq_socket"));
        let socket = Socket {
            raw,
            _context: PhantomData,
        };
        socket.set_int(sys::ZMQ_LINGER, 0);
        socket.set_int(sys::ZMQ_RCVTIMEO, TIMEOUT_MS);
        socket.set_int(sys::ZMQ_SNDTIMEO, TIMEOUT_MS);
        socket
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        loop {
            // SAFETY: `self.raw` is a live context; all its sockets borrowed
            // it and are closed by now, so termination cannot block on them.
            let rc = unsafe { sys::zmq_ctx_term(self.raw) };
            // SAFETY: zmq_errno only reads the calling thread's errno.
            if rc == 0 || unsafe { sys::zmq_errno() } != libc::EINTR {
                break;
            }
        }
    }
}

/// A libzmq socket that borrows its context and is closed on drop.
struct Socket<'ctx> {
    raw: *mut c_void,
    _context: PhantomData<&'ctx Context>,
}

impl Socket<'_> {
    fn set_int(&self, option: c_int, value: c_int) {
        // SAFETY: `self.raw` is a live socket; the option value is a c_int
        // that outlives the call, and its size is passed with it.
        let rc = unsafe {
            sys::zmq_setsockopt(
                self.raw,
                option,
                (&value as *const c_int).cast(),
                std::mem::size_of::<c_int>(),
            )
        };
        check(rc, &format!("zmq_setsockopt({option}, {value})"));
    }

    fn set_bytes(&self, option: c_int, value: &[u8]) {
        // SAFETY: `self.raw` is a live socket; the pointer and length describe
        // `value`, which outlives the call (libzmq copies it).
        let rc =
            unsafe { sys::zmq_setsockopt(self.raw, option, value.as_ptr().cast(), value.len()) };
        check(
            rc,
            &format!("zmq_setsockopt({option}, <{} bytes>)", value.len()),
        );
    }

    fn get_int(&self, option: c_int) -> c_int {
        let mut value: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        // SAFETY: `self.raw` is a live socket; `value` and `len` are valid for
        // writes and `len` holds the size of `value`.
        let rc = unsafe {
            sys::zmq_getsockopt(
                self.raw,
                option,
                (&mut value as *mut c_int).cast(),
                &mut len,
            )
        };
        check(rc, &format!("zmq_getsockopt({option})"));
        value
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint as bound, with the port the OS chose.
    fn last_endpoint(&self) -> String {
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: `self.raw` is a live socket; `buf` is valid for `len` bytes.
        let rc = unsafe {
            sys::zmq_getsockopt(
                self.raw,
                sys::ZMQ_LAST_ENDPOINT,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        check(rc, "zmq_getsockopt(ZMQ_LAST_ENDPOINT)");
        let endpoint =
            CStr::from_bytes_until_nul(&buf[..len]).expect("ZMQ_LAST_ENDPOINT is NUL-terminated");
        endpoint.to_str().expect("endpoint is UTF-8").to_owned()
    }

    /// Binds and returns the endpoint actually bound.
    fn bind(&self, endpoint: &str) -> String {
        let c_endpoint = CString::new(endpoint).expect("endpoint has no NUL");
        // SAFETY: `self.raw` is a live socket; `c_endpoint` is NUL-terminated
        // and outlives the call.
        let rc = unsafe { sys::zmq_bind(self.raw, c_endpoint.as_ptr()) };
        check(rc, &format!("zmq_bind({endpoint})"));
        self.last_endpoint()
    }

    fn connect(&self, endpoint: &str) {
        let c_endpoint = CString::new(endpoint).expect("endpoint has no NUL");
        // SAFETY: `self.raw` is a live socket; `c_endpoint` is NUL-terminated
        // and outlives the call.
        let rc = unsafe { sys::zmq_connect(self.raw, c_endpoint.as_ptr()) };
        check(rc, &format!("zmq_connect({endpoint})"));
    }

    fn send(&self, frame: &[u8]) {
        // SAFETY: `self.raw` is a live socket; the pointer and length describe
        // `frame`, which libzmq copies before returning.
        let rc = unsafe { sys::zmq_send(self.raw, frame.as_ptr().cast(), frame.len(), 0) };
        check(rc, "zmq_send");
    }

    /// Receives one frame (at most 256 bytes kept), or the errno on failure.
    fn try_recv(&self) -> Result<Vec<u8>, c_int> {
        let mut buf = [0u8; 256];
        // SAFETY: `self.raw` is a live socket; `buf` is valid for writes of
        // `buf.len()` bytes, and libzmq writes no more than that.
        let rc = unsafe { sys::zmq_recv(self.raw, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if rc == -1 {
            // SAFETY: zmq_errno only reads the calling thread's errno.
            return Err(unsafe { sys::zmq_errno() });
        }
        let len = usize::try_from(rc).expect("zmq_recv returned a length");
        Ok(buf[..len.min(buf.len())].to_vec())
    }

    fn recv(&self) -> Vec<u8> {
        match self.try_recv() {
            Ok(frame) => frame,
            Err(errno) => {
                // SAFETY: zmq_strerror returns a static NUL-terminated string.
                let message = unsafe { CStr::from_ptr(sys::zmq_strerror(errno)) };
                panic!("zmq_recv: {} (errno {errno})", message.to_string_lossy())
            }
        }
    }
}

impl Drop for Socket<'_> {
    fn drop(&mut self) {
        // SAFETY: `self.raw` is a live socket, closed exactly once, here.
        unsafe { sys::zmq_close(self.raw) };
    }
}

/// The port of a `tcp://host:port` endpoint.
fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {endpoint}"))
}

/// What `/proc/self/fd/<fd>` points at, e.g. `socket:[1234]` or `anon_inode:[eventfd]`.
fn fd_target(fd: RawFd) -> Option<String> {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .ok()
        .map(|target| target.to_string_lossy().into_owned())
}

/// Every open descriptor of this process with what it points at.
fn open_fds() -> Vec<(RawFd, String)> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .filter_map(|fd| Some((fd, fd_target(fd)?)))
        .collect()
}

fn is_close_on_exec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor flags; an fd closed meanwhile
    // gives -1 (EBADF), which the assertion reports.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags != -1, "fcntl({fd}, F_GETFD) failed");
    flags & libc::FD_CLOEXEC != 0
}

/// The IPv4 port of a socket address, if it is one.
fn ipv4_port(addr: &libc::sockaddr_storage) -> Option<u16> {
    if c_int::from(addr.ss_family) != libc::AF_INET {
        return None;
    }
    // SAFETY: the family is AF_INET, so the storage holds a sockaddr_in, and
    // sockaddr_storage is large and aligned enough for it.
    let v4 = unsafe { &*(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
    Some(u16::from_be(v4.sin_port))
}

/// `getsockname` (`peer == false`) or `getpeername` (`peer == true`) as an IPv4 port.
fn socket_port(fd: RawFd, peer: bool) -> Option<u16> {
    // SAFETY: sockaddr_storage is plain data for which all zeroes is valid.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let addr_ptr = (&mut addr as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    let rc = if peer {
        // SAFETY: `addr` is valid for writes of `len` bytes; a non-socket or
        // unconnected fd makes the call fail, which is handled.
        unsafe { libc::getpeername(fd, addr_ptr, &mut len) }
    } else {
        // SAFETY: as above.
        unsafe { libc::getsockname(fd, addr_ptr, &mut len) }
    };
    if rc != 0 {
        return None;
    }
    ipv4_port(&addr)
}

/// An integer socket option read straight from the kernel.
fn kernel_sockopt(fd: RawFd, level: c_int, name: c_int) -> c_int {
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `value` is valid for writes of `len` bytes.
    let rc =
        unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut c_int).cast(), &mut len) };
    assert_eq!(rc, 0, "getsockopt({fd}, {level}, {name}) failed");
    value
}

/// The descriptor of the TCP connection libzmq accepted on `port`: a socket
/// whose local port is `port` and that has a peer (the listener has none).
/// Waits at most `TIMEOUT_MS` for it to appear.
fn accepted_tcp_fd(port: u16) -> RawFd {
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        let found = open_fds()
            .into_iter()
            .filter(|(_, target)| target.starts_with("socket:"))
            .map(|(fd, _)| fd)
            .find(|&fd| socket_port(fd, false) == Some(port) && socket_port(fd, true).is_some());
        if let Some(fd) = found {
            return fd;
        }
        assert!(
            Instant::now() < deadline,
            "no accepted connection on port {port} after {TIMEOUT_MS} ms"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A ZMQ_STREAM socket listening on 127.0.0.1 with the given keepalive
/// settings, a plain TCP peer connected to it, and the accepted fd.
struct AcceptedTcp<'ctx> {
    _listener: Socket<'ctx>,
    _peer: TcpStream,
    fd: RawFd,
}

fn accept_plain_tcp_peer<'ctx>(
    ctx: &'ctx Context,
    keepalive: &[(c_int, c_int)],
) -> AcceptedTcp<'ctx> {
    let listener = ctx.socket(sys::ZMQ_STREAM);
    for &(option, value) in keepalive {
        listener.set_int(option, value);
    }
    let port = port_of(&listener.bind("tcp://127.0.0.1:*"));
    let peer = TcpStream::connect(("127.0.0.1", port)).expect("connect to the STREAM socket");
    // A STREAM socket announces each accepted connection as [routing id, empty].
    let routing_id = listener.recv();
    assert!(
        !routing_id.is_empty(),
        "STREAM connect notification has a routing id"
    );
    assert_eq!(
        listener.recv(),
        b"",
        "STREAM connect notification ends with an empty frame"
    );
    let fd = accepted_tcp_fd(port);
    AcceptedTcp {
        _listener: listener,
        _peer: peer,
        fd,
    }
}

#[test]
fn curve_is_compiled_in() {
    let capability = CString::new("curve").expect("no NUL");
    // SAFETY: zmq_has reads a NUL-terminated string that outlives the call.
    let has_curve = unsafe { sys::zmq_has(capability.as_ptr()) };
    assert_eq!(
        has_curve, 1,
        "zmq_has(\"curve\") is false: this libzmq was built without CURVE"
    );
}

#[test]
fn ipc_is_compiled_in() {
    let capability = CString::new("ipc").expect("no NUL");
    // SAFETY: zmq_has reads a NUL-terminated string that outlives the call.
    let has_ipc = unsafe { sys::zmq_has(capability.as_ptr()) };
    assert_eq!(
        has_ipc, 1,
        "zmq_has(\"ipc\") is false: this libzmq was built without IPC"
    );
}

#[test]
fn version_is_the_one_built_against() {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: the three pointers are valid for writes of a c_int each.
    unsafe { sys::zmq_version(&mut major, &mut minor, &mut patch) };
    eprintln!("linked libzmq {major}.{minor}.{patch}");
    if built_against_system_libzmq() {
        assert!(
            major == 4 && minor == 3 && patch >= 4,
            "the system libzmq is {major}.{minor}.{patch}; expected 4.3.x with x >= 4"
        );
    } else {
        assert_eq!(
            (major, minor, patch),
            (4, 3, 5),
            "the vendored libzmq must be 4.3.5"
        );
    }
}

#[test]
fn libzmq_is_linked_the_way_the_build_chose() {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps is readable");
    let shared_libzmq = maps.lines().find(|line| line.contains("/libzmq.so"));
    if !built_against_system_libzmq() {
        assert_eq!(
            shared_libzmq, None,
            "the vendored libzmq must be linked statically, not a shared libzmq"
        );
    } else if option_env!("LIBZMQ_STATIC").is_none_or(|v| v.is_empty() || v == "0") {
        assert!(
            shared_libzmq.is_some(),
            "the system libzmq is not mapped into the process"
        );
    }
}

#[test]
fn vendored_build_has_exactly_the_documented_capabilities() {
    if built_against_system_libzmq() {
        // The system library's optional parts are its packager's choice.
        return;
    }
    // libzmq 4.3.5 spells the websocket capabilities in capitals.
    for present in ["curve", "ipc", "tipc", "WS"] {
        assert!(has(present), "the vendored libzmq lacks {present:?}");
    }
    // Left out on purpose: each needs a system library (see vendor/README.md).
    for absent in ["WSS", "pgm", "norm", "vmci", "gssapi", "draft"] {
        assert!(
            !has(absent),
            "the vendored libzmq unexpectedly has {absent:?}; update vendor/README.md"
        );
    }
}

#[test]
fn vendored_build_round_trips_over_ws() {
    if built_against_system_libzmq() {
        return;
    }
    let ctx = Context::new();
    let server = ctx.socket(sys::ZMQ_PAIR);
    let client = ctx.socket(sys::ZMQ_PAIR);
    let endpoint = server.bind("ws://127.0.0.1:*");
    client.connect(&endpoint);
    client.send(b"over websocket");
    assert_eq!(server.recv(), b"over websocket");
}

#[test]
fn tcp_keepalive_options_reach_the_accepted_socket() {
    let ctx = Context::new();
    let accepted = accept_plain_tcp_peer(
        &ctx,
        &[
            (sys::ZMQ_TCP_KEEPALIVE, 1),
            (sys::ZMQ_TCP_KEEPALIVE_IDLE, 77),
            (sys::ZMQ_TCP_KEEPALIVE_INTVL, 13),
            (sys::ZMQ_TCP_KEEPALIVE_CNT, 5),
        ],
    );
    let fd = accepted.fd;
    assert_eq!(
        kernel_sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
        1,
        "SO_KEEPALIVE"
    );
    assert_eq!(
        kernel_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE),
        77,
        "TCP_KEEPIDLE"
    );
    assert_eq!(
        kernel_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL),
        13,
        "TCP_KEEPINTVL"
    );
    assert_eq!(
        kernel_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT),
        5,
        "TCP_KEEPCNT"
    );
}

#[test]
fn tcp_binds_to_an_interface_given_by_name() {
    let ctx = Context::new();
    let server = ctx.socket(sys::ZMQ_PAIR);
    let client = ctx.socket(sys::ZMQ_PAIR);
    // Interface names resolve through getifaddrs; without it libzmq says ENODEV.
    let endpoint = server.bind("tcp://lo:*");
    assert!(
        endpoint.starts_with("tcp://127.0.0.1:"),
        "tcp://lo:* bound {endpoint}"
    );
    client.connect(&endpoint);
    client.send(b"via the loopback interface");
    assert_eq!(server.recv(), b"via the loopback interface");
}

#[test]
fn accepted_tcp_socket_is_close_on_exec() {
    let ctx = Context::new();
    let accepted = accept_plain_tcp_peer(&ctx, &[]);
    assert!(
        is_close_on_exec(accepted.fd),
        "the accepted TCP socket lacks FD_CLOEXEC"
    );
}

#[test]
fn socket_signaler_is_a_close_on_exec_eventfd() {
    let ctx = Context::new();
    let socket = ctx.socket(sys::ZMQ_PAIR);
    // ZMQ_FD is the descriptor of the socket's mailbox signaler.
    let signaler = socket.get_int(sys::ZMQ_FD);
    let target = fd_target(signaler).expect("the ZMQ_FD descriptor is open");
    assert_eq!(
        target, "anon_inode:[eventfd]",
        "the signaler is not an eventfd"
    );
    assert!(
        open_fds()
            .iter()
            .any(|(_, target)| target == "anon_inode:[eventfd]"),
        "/proc/self/fd lists no eventfd"
    );
    assert!(
        is_close_on_exec(signaler),
        "the eventfd signaler lacks FD_CLOEXEC"
    );
}

#[test]
fn io_threads_poll_with_close_on_exec_epoll() {
    let ctx = Context::new();
    // The I/O and reaper threads, with their pollers, start with the first socket.
    let _socket = ctx.socket(sys::ZMQ_PAIR);
    // Only libzmq opens epoll instances in this process, so every one of
    // them is libzmq's (this context's or a concurrently running test's).
    let mut checked = 0;
    for (fd, target) in open_fds() {
        if target != "anon_inode:[eventpoll]" {
            continue;
        }
        // SAFETY: F_GETFD only reads descriptor flags; failure is handled.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        // Another test's context may have closed this fd, and it may have been
        // reused, since the listing; only a still-identical fd counts.
        if flags == -1 || fd_target(fd).as_deref() != Some("anon_inode:[eventpoll]") {
            continue;
        }
        assert!(
            flags & libc::FD_CLOEXEC != 0,
            "epoll fd {fd} lacks FD_CLOEXEC"
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "no anon_inode:[eventpoll] in /proc/self/fd: libzmq does not poll with epoll"
    );
}

/// The names of this process's threads, from `/proc/self/task/*/comm`.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task is readable")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .collect()
}

#[test]
fn background_threads_are_named() {
    let ctx = Context::new();
    let _socket = ctx.socket(sys::ZMQ_PAIR);
    // Each thread names itself once it runs, so wait for it, boundedly.
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        let names = thread_names();
        let reaper = names.iter().any(|name| name == "ZMQbg/Reaper");
        let io = names.iter().any(|name| name.starts_with("ZMQbg/IO/"));
        if reaper && io {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no ZMQbg/Reaper and ZMQbg/IO/n threads among {names:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn pair_round_trips_over_ipc() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("zmq-sys-platform-{}-pair.ipc", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let endpoint = format!("ipc://{}", path.display());
    {
        let ctx = Context::new();
        let server = ctx.socket(sys::ZMQ_PAIR);
        let client = ctx.socket(sys::ZMQ_PAIR);
        assert_eq!(server.bind(&endpoint), endpoint);
        client.connect(&endpoint);
        client.send(b"ping over ipc");
        assert_eq!(server.recv(), b"ping over ipc");
        server.send(b"pong over ipc");
        assert_eq!(client.recv(), b"pong over ipc");
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn ipc_wildcard_binds_inside_a_private_temporary_directory() {
    let ctx = Context::new();
    let server = ctx.socket(sys::ZMQ_PAIR);
    let client = ctx.socket(sys::ZMQ_PAIR);
    let endpoint = server.bind("ipc://*");
    // With mkdtemp, libzmq makes a 0700 directory per wildcard socket and binds
    // `socket` inside it; without, it binds a bare file from mkstemp.
    let path = PathBuf::from(endpoint.strip_prefix("ipc://").expect("an ipc endpoint"));
    assert!(
        path.ends_with("socket"),
        "ipc://* bound {endpoint}, not <dir>/socket"
    );
    let dir = path.parent().expect("the socket has a directory");
    let mode = std::fs::metadata(dir)
        .expect("the wildcard directory exists")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o700
    );

    client.connect(&endpoint);
    client.send(b"through a wildcard");
    assert_eq!(server.recv(), b"through a wildcard");
}

/// A PAIR pair over a fresh ipc path whose server admits peers by credentials.
fn ipc_pair_with_filter<'ctx>(
    ctx: &'ctx Context,
    name: &str,
    filters: &[(c_int, c_int)],
) -> (Socket<'ctx>, Socket<'ctx>, PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "zmq-sys-platform-{}-{name}.ipc",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let server = ctx.socket(sys::ZMQ_PAIR);
    for &(option, value) in filters {
        server.set_int(option, value);
    }
    let endpoint = server.bind(&format!("ipc://{}", path.display()));
    let client = ctx.socket(sys::ZMQ_PAIR);
    client.connect(&endpoint);
    (server, client, path)
}

#[test]
fn ipc_peer_credential_filters_admit_this_process() {
    let pid = c_int::try_from(std::process::id()).expect("pid fits a c_int");
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() } as c_int;
    let ctx = Context::new();
    // Both options exist only when libzmq reads SO_PEERCRED.
    let filters = [
        (sys::ZMQ_IPC_FILTER_PID, pid),
        (sys::ZMQ_IPC_FILTER_UID, uid),
    ];
    let (server, client, path) = ipc_pair_with_filter(&ctx, "filter-admits", &filters);
    client.send(b"it is me");
    assert_eq!(server.recv(), b"it is me");
    drop((server, client));
    let _ = std::fs::remove_file(path);
}

#[test]
fn ipc_peer_credential_filter_turns_away_another_uid() {
    // SAFETY: getuid has no preconditions and cannot fail.
    let other_uid = (unsafe { libc::getuid() } as c_int).wrapping_add(1);
    let ctx = Context::new();
    let filters = [(sys::ZMQ_IPC_FILTER_UID, other_uid)];
    let (server, client, path) = ipc_pair_with_filter(&ctx, "filter-refuses", &filters);
    server.set_int(sys::ZMQ_RCVTIMEO, 300);
    client.set_int(sys::ZMQ_SNDTIMEO, 0);
    // The client may queue the message locally or not at all; either way the
    // server must never see it.
    // SAFETY: `client.raw` is a live socket; the buffer outlives the call.
    let _ = unsafe {
        sys::zmq_send(
            client.raw,
            b"let me in".as_ptr().cast(),
            9,
            sys::ZMQ_DONTWAIT,
        )
    };
    assert_eq!(
        server.try_recv(),
        Err(libc::EAGAIN),
        "the uid filter let a foreign peer in"
    );
    drop((server, client));
    let _ = std::fs::remove_file(path);
}

/// A Z85-encoded CURVE key pair (40 characters each).
struct KeyPair {
    public: Vec<u8>,
    secret: Vec<u8>,
}

fn curve_keypair() -> KeyPair {
    let mut public = [0u8; 41];
    let mut secret = [0u8; 41];
    // SAFETY: both buffers hold the 40 Z85 characters plus the NUL that
    // zmq_curve_keypair writes.
    let rc =
        unsafe { sys::zmq_curve_keypair(public.as_mut_ptr().cast(), secret.as_mut_ptr().cast()) };
    check(rc, "zmq_curve_keypair (is CURVE compiled in?)");
    KeyPair {
        public: public[..40].to_vec(),
        secret: secret[..40].to_vec(),
    }
}

/// A CURVE REP server bound on 127.0.0.1 and a REQ client connected to it
/// that believes the server's public key is `claimed_server_key`.
fn curve_req_rep<'ctx>(
    ctx: &'ctx Context,
    server_keys: &KeyPair,
    claimed_server_key: &[u8],
) -> (Socket<'ctx>, Socket<'ctx>) {
    let server = ctx.socket(sys::ZMQ_REP);
    server.set_int(sys::ZMQ_CURVE_SERVER, 1);
    server.set_bytes(sys::ZMQ_CURVE_SECRETKEY, &server_keys.secret);
    let endpoint = server.bind("tcp://127.0.0.1:*");

    let client_keys = curve_keypair();
    let client = ctx.socket(sys::ZMQ_REQ);
    client.set_bytes(sys::ZMQ_CURVE_SERVERKEY, claimed_server_key);
    client.set_bytes(sys::ZMQ_CURVE_PUBLICKEY, &client_keys.public);
    client.set_bytes(sys::ZMQ_CURVE_SECRETKEY, &client_keys.secret);
    client.connect(&endpoint);
    (server, client)
}

#[test]
fn curve_handshake_over_tcp_round_trips() {
    let ctx = Context::new();
    let server_keys = curve_keypair();
    let (server, client) = curve_req_rep(&ctx, &server_keys, &server_keys.public);
    assert_eq!(server.get_int(sys::ZMQ_MECHANISM), sys::ZMQ_CURVE);
    assert_eq!(client.get_int(sys::ZMQ_MECHANISM), sys::ZMQ_CURVE);

    client.send(b"hello, encrypted");
    assert_eq!(server.recv(), b"hello, encrypted");
    server.send(b"welcome, encrypted");
    assert_eq!(client.recv(), b"welcome, encrypted");
}

#[test]
fn curve_client_with_the_wrong_server_key_gets_nothing_through() {
    let ctx = Context::new();
    let server_keys = curve_keypair();
    let impostor_keys = curve_keypair();
    let (server, client) = curve_req_rep(&ctx, &server_keys, &impostor_keys.public);
    let short_wait: c_int = 300;
    server.set_int(sys::ZMQ_RCVTIMEO, short_wait);
    client.set_int(sys::ZMQ_RCVTIMEO, short_wait);

    client.send(b"let me in");
    assert_eq!(
        server.try_recv(),
        Err(libc::EAGAIN),
        "the server accepted a client that has the wrong key"
    );
    assert_eq!(
        client.try_recv(),
        Err(libc::EAGAIN),
        "the client got a reply through a failed handshake"
    );
}
