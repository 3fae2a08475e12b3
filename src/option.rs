//! Typed socket options: one key type per libzmq option, like cppzmq's
//! `sockopt` tags. The keys, and the traits they implement, are public as
//! `zmq::opt`; this module itself is private, so each has one path.

use crate::error::{Error, ErrorKind, Result};
use crate::socket::{Socket, SocketType};
use std::ffi::c_int;
use std::time::Duration;

/// Keeps the option traits closed: every key is this crate's to define, so
/// the traits can gain methods without breaking anyone. An option this crate
/// does not know yet is still reachable through
/// [`Socket::set_raw`](crate::Socket::set_raw) and
/// [`Socket::get_raw`](crate::Socket::get_raw).
mod sealed {
    pub trait Sealed {}
}

/// A socket option key: its `ZMQ_*` number and name. Sealed: only the keys
/// in [`opt`] implement it.
pub trait SocketOption: sealed::Sealed + Copy {
    /// The `ZMQ_*` constant.
    const ID: c_int;
    /// The constant's name, used in errors.
    const NAME: &'static str;
}

/// An option that can be read, and the type it reads as. Sealed, like
/// [`SocketOption`].
pub trait Get: SocketOption {
    /// The option's value.
    type Value;
    /// Reads the option from `socket`.
    fn get(self, socket: &Socket) -> Result<Self::Value>;
}

/// An option that can be set from a `V`. Sealed, like [`SocketOption`].
pub trait Set<V>: SocketOption {
    /// Sets the option on `socket`.
    fn set(self, socket: &Socket, value: V) -> Result<()>;
}

/// How libzmq authenticates a connection: the value of
/// [`opt::Mechanism`] (`ZMQ_MECHANISM`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityMechanism {
    /// `ZMQ_NULL`: no security.
    Null,
    /// `ZMQ_PLAIN`: clear-text username and password.
    Plain,
    /// `ZMQ_CURVE`: CurveZMQ encryption and authentication.
    Curve,
    /// `ZMQ_GSSAPI`: Kerberos.
    Gssapi,
    /// A value this crate does not know.
    Unknown(i32),
}

fn invalid(name: &'static str) -> Error {
    Error::with_kind(ErrorKind::InvalidInput, "setsockopt").context(name)
}

pub(crate) fn get_i32(socket: &Socket, id: c_int, name: &'static str) -> Result<i32> {
    let mut buf = [0u8; 4];
    socket.get_raw(id, name, &mut buf)?;
    Ok(i32::from_ne_bytes(buf))
}

fn get_i64(socket: &Socket, id: c_int, name: &'static str) -> Result<i64> {
    let mut buf = [0u8; 8];
    socket.get_raw(id, name, &mut buf)?;
    Ok(i64::from_ne_bytes(buf))
}

fn get_u64(socket: &Socket, id: c_int, name: &'static str) -> Result<u64> {
    let mut buf = [0u8; 8];
    socket.get_raw(id, name, &mut buf)?;
    Ok(u64::from_ne_bytes(buf))
}

/// Reads a variable-length option, growing the buffer until it fits (libzmq
/// answers EINVAL when a buffer is too small).
fn get_bytes(
    socket: &Socket,
    id: c_int,
    name: &'static str,
    first_guess: usize,
) -> Result<Vec<u8>> {
    const LIMIT: usize = 1 << 20;
    let mut size = first_guess;
    loop {
        let mut buf = vec![0u8; size];
        match socket.get_raw(id, name, &mut buf) {
            Ok(len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Err(e) if e.kind() == ErrorKind::InvalidInput && size < LIMIT => size *= 4,
            Err(e) => return Err(e),
        }
    }
}

fn get_string(
    socket: &Socket,
    id: c_int,
    name: &'static str,
    first_guess: usize,
) -> Result<String> {
    let mut bytes = get_bytes(socket, id, name, first_guess)?;
    if bytes.last() == Some(&0) {
        bytes.pop();
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::with_kind(ErrorKind::InvalidUtf8, "getsockopt").context(name))
}

fn millis(value: Duration, name: &'static str) -> Result<i32> {
    i32::try_from(value.as_millis()).map_err(|_| invalid(name))
}

fn millis_or_forever(value: Option<Duration>, name: &'static str) -> Result<i32> {
    value.map_or(Ok(-1), |d| millis(d, name))
}

fn to_duration(ms: i32) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

fn check_curve_key(key: &[u8], name: &'static str) -> Result<()> {
    match key.len() {
        32 => Ok(()),
        40 if crate::z85::is_z85(key) => Ok(()),
        _ => Err(Error::with_kind(ErrorKind::InvalidInput, "setsockopt").context(name)),
    }
}

macro_rules! codec {
    (i32, get, $name:ident) => {
        impl Get for $name {
            type Value = i32;
            fn get(self, s: &Socket) -> Result<i32> {
                get_i32(s, Self::ID, Self::NAME)
            }
        }
    };
    (i32, set, $name:ident) => {
        impl Set<i32> for $name {
            fn set(self, s: &Socket, v: i32) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, &v.to_ne_bytes())
            }
        }
    };
    (i64, get, $name:ident) => {
        impl Get for $name {
            type Value = i64;
            fn get(self, s: &Socket) -> Result<i64> {
                get_i64(s, Self::ID, Self::NAME)
            }
        }
    };
    (i64, set, $name:ident) => {
        impl Set<i64> for $name {
            fn set(self, s: &Socket, v: i64) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, &v.to_ne_bytes())
            }
        }
    };
    (u64, get, $name:ident) => {
        impl Get for $name {
            type Value = u64;
            fn get(self, s: &Socket) -> Result<u64> {
                get_u64(s, Self::ID, Self::NAME)
            }
        }
    };
    (u64, set, $name:ident) => {
        impl Set<u64> for $name {
            fn set(self, s: &Socket, v: u64) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, &v.to_ne_bytes())
            }
        }
    };
    (bool, get, $name:ident) => {
        impl Get for $name {
            type Value = bool;
            fn get(self, s: &Socket) -> Result<bool> {
                get_i32(s, Self::ID, Self::NAME).map(|v| v != 0)
            }
        }
    };
    (bool, set, $name:ident) => {
        impl Set<bool> for $name {
            fn set(self, s: &Socket, v: bool) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, &i32::from(v).to_ne_bytes())
            }
        }
    };
    (millis, get, $name:ident) => {
        impl Get for $name {
            type Value = Duration;
            fn get(self, s: &Socket) -> Result<Duration> {
                get_i32(s, Self::ID, Self::NAME).map(to_duration)
            }
        }
    };
    (millis, set, $name:ident) => {
        impl Set<Duration> for $name {
            fn set(self, s: &Socket, v: Duration) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, &millis(v, Self::NAME)?.to_ne_bytes())
            }
        }
    };
    (millis_opt, get, $name:ident) => {
        impl Get for $name {
            type Value = Option<Duration>;
            fn get(self, s: &Socket) -> Result<Option<Duration>> {
                let ms = get_i32(s, Self::ID, Self::NAME)?;
                Ok((ms >= 0).then(|| to_duration(ms)))
            }
        }
    };
    (millis_opt, set, $name:ident) => {
        impl Set<Option<Duration>> for $name {
            fn set(self, s: &Socket, v: Option<Duration>) -> Result<()> {
                s.set_raw(
                    Self::ID,
                    Self::NAME,
                    &millis_or_forever(v, Self::NAME)?.to_ne_bytes(),
                )
            }
        }
        impl Set<Duration> for $name {
            fn set(self, s: &Socket, v: Duration) -> Result<()> {
                self.set(s, Some(v))
            }
        }
    };
    (secs_opt, get, $name:ident) => {
        impl Get for $name {
            type Value = Option<Duration>;
            fn get(self, s: &Socket) -> Result<Option<Duration>> {
                let secs = get_i32(s, Self::ID, Self::NAME)?;
                Ok((secs >= 0).then(|| Duration::from_secs(secs as u64)))
            }
        }
    };
    (secs_opt, set, $name:ident) => {
        impl Set<Option<Duration>> for $name {
            fn set(self, s: &Socket, v: Option<Duration>) -> Result<()> {
                let secs = match v {
                    None => -1,
                    Some(d) => i32::try_from(d.as_secs()).map_err(|_| invalid(Self::NAME))?,
                };
                s.set_raw(Self::ID, Self::NAME, &secs.to_ne_bytes())
            }
        }
        impl Set<Duration> for $name {
            fn set(self, s: &Socket, v: Duration) -> Result<()> {
                self.set(s, Some(v))
            }
        }
    };
    (bytes, get, $name:ident) => {
        impl Get for $name {
            type Value = Vec<u8>;
            fn get(self, s: &Socket) -> Result<Vec<u8>> {
                get_bytes(s, Self::ID, Self::NAME, 256)
            }
        }
    };
    (bytes, set, $name:ident) => {
        impl<V: AsRef<[u8]>> Set<V> for $name {
            fn set(self, s: &Socket, v: V) -> Result<()> {
                s.set_raw(Self::ID, Self::NAME, v.as_ref())
            }
        }
    };
    (string, get, $name:ident) => {
        impl Get for $name {
            type Value = String;
            fn get(self, s: &Socket) -> Result<String> {
                get_string(s, Self::ID, Self::NAME, 256)
            }
        }
    };
    (string, set, $name:ident) => {
        impl<V: AsRef<str>> Set<V> for $name {
            fn set(self, s: &Socket, v: V) -> Result<()> {
                let text = v.as_ref();
                if text.contains('\0') {
                    return Err(invalid(Self::NAME));
                }
                s.set_raw(Self::ID, Self::NAME, text.as_bytes())
            }
        }
    };
    (curve_key, get, $name:ident) => {
        impl Get for $name {
            type Value = [u8; 32];
            fn get(self, s: &Socket) -> Result<[u8; 32]> {
                let mut key = [0u8; 32];
                s.get_raw(Self::ID, Self::NAME, &mut key)?;
                Ok(key)
            }
        }
    };
    (curve_key, set, $name:ident) => {
        impl<V: AsRef<[u8]>> Set<V> for $name {
            fn set(self, s: &Socket, v: V) -> Result<()> {
                let key = v.as_ref();
                check_curve_key(key, Self::NAME)?;
                s.set_raw(Self::ID, Self::NAME, key)
            }
        }
    };
}

macro_rules! options {
    ($( $(#[doc = $doc:literal])* $name:ident = $id:ident : $codec:ident [$($access:ident)+]; )*) => {$(
        $(#[doc = $doc])*
        #[doc = ""]
        #[doc = concat!("libzmq: `", stringify!($id), "`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl SocketOption for $name {
            const ID: c_int = zmq_sys::$id;
            const NAME: &'static str = stringify!($id);
        }
        $( codec!($codec, $access, $name); )+
    )*};
}

/// The option keys, one type per libzmq socket option, for
/// [`Socket::get`](crate::Socket::get) and [`Socket::set`](crate::Socket::set).
///
/// Times are `Duration`s; where libzmq uses -1 for "forever" or "off" the value
/// is an `Option<Duration>` with `None` for -1. Flags are `bool`. Integers have
/// the width libzmq declares. Each key's doc names its default.
pub mod opt {
    use super::*;
    pub use super::{Get, Set, SocketOption};

    options! {
        /// I/O thread affinity bitmap of new connections (default 0: any thread).
        Affinity = ZMQ_AFFINITY: u64 [get set];
        /// The socket's routing id, 1 to 255 bytes, not starting with a zero
        /// byte (default: none; ROUTER peers then get a generated one).
        RoutingId = ZMQ_ROUTING_ID: bytes [get set];
        /// Adds a SUB prefix filter (write-only).
        Subscribe = ZMQ_SUBSCRIBE: bytes [set];
        /// Removes a SUB prefix filter (write-only).
        Unsubscribe = ZMQ_UNSUBSCRIBE: bytes [set];
        /// Multicast data rate in kilobits per second (default 100).
        Rate = ZMQ_RATE: i32 [get set];
        /// Multicast recovery interval (default 10 s).
        RecoveryIvl = ZMQ_RECOVERY_IVL: millis [get set];
        /// Kernel send buffer size in bytes (default -1: the OS default).
        SndBuf = ZMQ_SNDBUF: i32 [get set];
        /// Kernel receive buffer size in bytes (default -1: the OS default).
        RcvBuf = ZMQ_RCVBUF: i32 [get set];
        /// Whether more parts of the last received message follow (read-only).
        RcvMore = ZMQ_RCVMORE: bool [get];
        /// How long unsent messages wait after close (default here:
        /// [`DEFAULT_LINGER`](crate::DEFAULT_LINGER), 2 s; libzmq's is `None`, forever).
        Linger = ZMQ_LINGER: millis_opt [get set];
        /// Initial reconnect interval (default 100 ms; `None`: never reconnect).
        ReconnectIvl = ZMQ_RECONNECT_IVL: millis_opt [get set];
        /// Maximum length of the queue of pending connections (default 100).
        Backlog = ZMQ_BACKLOG: i32 [get set];
        /// Upper bound of the exponential reconnect backoff (default 0: no backoff).
        ReconnectIvlMax = ZMQ_RECONNECT_IVL_MAX: millis [get set];
        /// Largest inbound message in bytes; larger ones drop the peer (default -1: no limit).
        MaxMsgSize = ZMQ_MAXMSGSIZE: i64 [get set];
        /// Outbound high-water mark in messages (default 1000; 0: none).
        SndHwm = ZMQ_SNDHWM: i32 [get set];
        /// Inbound high-water mark in messages (default 1000; 0: none).
        RcvHwm = ZMQ_RCVHWM: i32 [get set];
        /// Multicast hops (default 1).
        MulticastHops = ZMQ_MULTICAST_HOPS: i32 [get set];
        /// Receive timeout (default `None`: block forever).
        RcvTimeo = ZMQ_RCVTIMEO: millis_opt [get set];
        /// Send timeout (default `None`: block forever).
        SndTimeo = ZMQ_SNDTIMEO: millis_opt [get set];
        /// The last endpoint bound, with a wildcard port resolved (read-only).
        LastEndpoint = ZMQ_LAST_ENDPOINT: string [get];
        /// ROUTER: fail with an unroutable error instead of dropping messages
        /// for unknown peers (default off; write-only).
        RouterMandatory = ZMQ_ROUTER_MANDATORY: bool [set];
        /// `SO_KEEPALIVE`: -1 the OS default, 0 off, 1 on (default -1).
        TcpKeepalive = ZMQ_TCP_KEEPALIVE: i32 [get set];
        /// `TCP_KEEPCNT`: probes before dropping (default -1: the OS default).
        TcpKeepaliveCnt = ZMQ_TCP_KEEPALIVE_CNT: i32 [get set];
        /// `TCP_KEEPIDLE`, in whole seconds (default `None`: the OS default).
        TcpKeepaliveIdle = ZMQ_TCP_KEEPALIVE_IDLE: secs_opt [get set];
        /// `TCP_KEEPINTVL`, in whole seconds (default `None`: the OS default).
        TcpKeepaliveIntvl = ZMQ_TCP_KEEPALIVE_INTVL: secs_opt [get set];
        /// Queue messages only to completed connections (default off).
        Immediate = ZMQ_IMMEDIATE: bool [get set];
        /// XPUB: pass on every subscription, duplicates included (default off; write-only).
        XpubVerbose = ZMQ_XPUB_VERBOSE: bool [set];
        /// ROUTER: raw mode (deprecated; use STREAM) (default off; write-only).
        RouterRaw = ZMQ_ROUTER_RAW: bool [set];
        /// Use IPv6 as well as IPv4 (default off).
        Ipv6 = ZMQ_IPV6: bool [get set];
        /// Act as a PLAIN server (default off).
        PlainServer = ZMQ_PLAIN_SERVER: bool [get set];
        /// PLAIN client username (default empty).
        PlainUsername = ZMQ_PLAIN_USERNAME: string [get set];
        /// PLAIN client password (default empty).
        PlainPassword = ZMQ_PLAIN_PASSWORD: string [get set];
        /// Act as a CURVE server (default off).
        CurveServer = ZMQ_CURVE_SERVER: bool [get set];
        /// The socket's long-term CURVE public key: 32 bytes, or 40 Z85 characters.
        CurvePublickey = ZMQ_CURVE_PUBLICKEY: curve_key [get set];
        /// The socket's long-term CURVE secret key: 32 bytes, or 40 Z85 characters.
        CurveSecretkey = ZMQ_CURVE_SECRETKEY: curve_key [get set];
        /// A CURVE client's view of the server's public key: 32 bytes, or 40 Z85 characters.
        CurveServerkey = ZMQ_CURVE_SERVERKEY: curve_key [get set];
        /// ROUTER/DEALER/REQ: send an empty message on connect (default off; write-only).
        ProbeRouter = ZMQ_PROBE_ROUTER: bool [set];
        /// REQ: match replies to requests (default off; write-only).
        ReqCorrelate = ZMQ_REQ_CORRELATE: bool [set];
        /// REQ: allow a new request before the reply (default off; write-only).
        ReqRelaxed = ZMQ_REQ_RELAXED: bool [set];
        /// Keep only the last message in queues (default off; write-only).
        Conflate = ZMQ_CONFLATE: bool [set];
        /// The ZAP domain, sent to the authenticator (default empty).
        ZapDomain = ZMQ_ZAP_DOMAIN: string [get set];
        /// ROUTER: a new connection with a known routing id takes it over
        /// (default off; write-only).
        RouterHandover = ZMQ_ROUTER_HANDOVER: bool [set];
        /// IP type-of-service of outgoing packets (default 0).
        Tos = ZMQ_TOS: i32 [get set];
        /// The routing id to give the peer of the next `connect` (write-only).
        ConnectRoutingId = ZMQ_CONNECT_ROUTING_ID: bytes [set];
        /// Act as a GSSAPI server (default off).
        GssapiServer = ZMQ_GSSAPI_SERVER: bool [get set];
        /// GSSAPI principal name.
        GssapiPrincipal = ZMQ_GSSAPI_PRINCIPAL: string [get set];
        /// GSSAPI service principal name.
        GssapiServicePrincipal = ZMQ_GSSAPI_SERVICE_PRINCIPAL: string [get set];
        /// GSSAPI without encryption (default off).
        GssapiPlaintext = ZMQ_GSSAPI_PLAINTEXT: bool [get set];
        /// Maximum handshake time (default 30 s; zero: no limit).
        HandshakeIvl = ZMQ_HANDSHAKE_IVL: millis [get set];
        /// A SOCKS5 proxy, `host:port` (default none).
        SocksProxy = ZMQ_SOCKS_PROXY: string [get set];
        /// XPUB: fail with would-block instead of dropping at the high-water
        /// mark (default off; write-only).
        XpubNodrop = ZMQ_XPUB_NODROP: bool [set];
        /// XPUB: subscriptions are applied by the application (default off; write-only).
        XpubManual = ZMQ_XPUB_MANUAL: bool [set];
        /// XPUB: a message sent to each new subscriber (write-only).
        XpubWelcomeMsg = ZMQ_XPUB_WELCOME_MSG: bytes [set];
        /// STREAM: deliver empty connect/disconnect notifications (default on; write-only).
        StreamNotify = ZMQ_STREAM_NOTIFY: bool [set];
        /// PUB/SUB: deliver what does *not* match (default off).
        InvertMatching = ZMQ_INVERT_MATCHING: bool [get set];
        /// ZMTP heartbeat interval (default 0: off).
        HeartbeatIvl = ZMQ_HEARTBEAT_IVL: millis [get set];
        /// Heartbeat time-to-live announced to the peer, in 100 ms steps (default 0).
        HeartbeatTtl = ZMQ_HEARTBEAT_TTL: millis [get set];
        /// Heartbeat timeout (default `None`: the heartbeat interval).
        HeartbeatTimeout = ZMQ_HEARTBEAT_TIMEOUT: millis_opt [get set];
        /// XPUB: pass on every subscribe and unsubscribe (default off; write-only).
        XpubVerboser = ZMQ_XPUB_VERBOSER: bool [set];
        /// TCP connect timeout (default 0: the OS's).
        ConnectTimeout = ZMQ_CONNECT_TIMEOUT: millis [get set];
        /// `TCP_USER_TIMEOUT`: maximum retransmission time (default 0: the OS's).
        TcpMaxrt = ZMQ_TCP_MAXRT: millis [get set];
        /// Whether the socket type is thread safe (read-only).
        ThreadSafe = ZMQ_THREAD_SAFE: bool [get];
        /// Multicast maximum transport data unit (default 1500).
        MulticastMaxtpdu = ZMQ_MULTICAST_MAXTPDU: i32 [get set];
        /// VMCI buffer size (VMCI is not in the vendored build).
        VmciBufferSize = ZMQ_VMCI_BUFFER_SIZE: u64 [get set];
        /// VMCI minimum buffer size.
        VmciBufferMinSize = ZMQ_VMCI_BUFFER_MIN_SIZE: u64 [get set];
        /// VMCI maximum buffer size.
        VmciBufferMaxSize = ZMQ_VMCI_BUFFER_MAX_SIZE: u64 [get set];
        /// VMCI connect timeout, in milliseconds.
        VmciConnectTimeout = ZMQ_VMCI_CONNECT_TIMEOUT: i32 [get set];
        /// Use this pre-bound file descriptor for the next bind (default -1).
        UseFd = ZMQ_USE_FD: i32 [get set];
        /// GSSAPI principal name type.
        GssapiPrincipalNametype = ZMQ_GSSAPI_PRINCIPAL_NAMETYPE: i32 [get set];
        /// GSSAPI service principal name type.
        GssapiServicePrincipalNametype = ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: i32 [get set];
        /// `SO_BINDTODEVICE`: bind the socket to a network interface (default none).
        BindToDevice = ZMQ_BINDTODEVICE: string [get set];
        /// Deprecated TCP accept filter (write-only).
        TcpAcceptFilter = ZMQ_TCP_ACCEPT_FILTER: bytes [set];
        /// Deprecated inverse of `Ipv6` (default on).
        Ipv4Only = ZMQ_IPV4ONLY: bool [get set];
    }

    /// The socket's type (read-only). libzmq: `ZMQ_TYPE`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Type;
    impl sealed::Sealed for Type {}
    impl SocketOption for Type {
        const ID: c_int = zmq_sys::ZMQ_TYPE;
        const NAME: &'static str = "ZMQ_TYPE";
    }
    impl Get for Type {
        type Value = SocketType;
        fn get(self, s: &Socket) -> Result<SocketType> {
            let raw = get_i32(s, Self::ID, Self::NAME)?;
            SocketType::from_raw(raw)
                .ok_or_else(|| Error::with_kind(ErrorKind::Other, "getsockopt").context(Self::NAME))
        }
    }

    /// The file descriptor that signals socket events, for external event
    /// loops (read-only; edge-triggered: see [`Socket::fd`](crate::Socket::fd)). libzmq: `ZMQ_FD`.
    /// The thread-safe (draft) socket types have none: an
    /// [`ErrorKind::NotSupported`] error.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Fd;
    impl sealed::Sealed for Fd {}
    impl SocketOption for Fd {
        const ID: c_int = zmq_sys::ZMQ_FD;
        const NAME: &'static str = "ZMQ_FD";
    }
    impl Get for Fd {
        /// An `int` on Unix, a `SOCKET` (8 bytes) on 64-bit Windows.
        type Value = crate::RawFd;
        fn get(self, s: &Socket) -> Result<crate::RawFd> {
            let mut buf = [0u8; std::mem::size_of::<crate::RawFd>()];
            s.get_raw(Self::ID, Self::NAME, &mut buf)
                .map(|_| crate::RawFd::from_ne_bytes(buf))
                .map_err(|e| {
                    // libzmq's bare EINVAL for the thread-safe (draft) types,
                    // which have no ZMQ_FD, said in words a user can act on.
                    if e.errno() == libc::EINVAL && s.get(ThreadSafe).unwrap_or(false) {
                        Error::new(libc::ENOTSUP, "getsockopt ZMQ_FD")
                            .context("thread-safe sockets have none; wait on them with a Poller")
                    } else {
                        e
                    }
                })
        }
    }

    /// Which of readable/writable the socket is now (read-only). libzmq: `ZMQ_EVENTS`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Events;
    impl sealed::Sealed for Events {}
    impl SocketOption for Events {
        const ID: c_int = zmq_sys::ZMQ_EVENTS;
        const NAME: &'static str = "ZMQ_EVENTS";
    }
    impl Get for Events {
        type Value = crate::poll::PollEvents;
        fn get(self, s: &Socket) -> Result<crate::poll::PollEvents> {
            let raw = get_i32(s, Self::ID, Self::NAME)?;
            Ok(crate::poll::PollEvents::from_bits_truncate(raw as i16))
        }
    }

    /// The security mechanism in use (read-only). libzmq: `ZMQ_MECHANISM`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Mechanism;
    impl sealed::Sealed for Mechanism {}
    impl SocketOption for Mechanism {
        const ID: c_int = zmq_sys::ZMQ_MECHANISM;
        const NAME: &'static str = "ZMQ_MECHANISM";
    }
    impl Get for Mechanism {
        type Value = super::SecurityMechanism;
        fn get(self, s: &Socket) -> Result<super::SecurityMechanism> {
            Ok(match get_i32(s, Self::ID, Self::NAME)? {
                zmq_sys::ZMQ_NULL => super::SecurityMechanism::Null,
                zmq_sys::ZMQ_PLAIN => super::SecurityMechanism::Plain,
                zmq_sys::ZMQ_CURVE => super::SecurityMechanism::Curve,
                zmq_sys::ZMQ_GSSAPI => super::SecurityMechanism::Gssapi,
                other => super::SecurityMechanism::Unknown(other),
            })
        }
    }

    #[cfg(zmq_draft)]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub use super::draft::*;
}

#[cfg(zmq_draft)]
mod draft {
    use super::*;
    options! {
        /// ROUTER: notify of connects and disconnects (bit set of
        /// `ZMQ_NOTIFY_CONNECT`, `ZMQ_NOTIFY_DISCONNECT`; default 0) (draft API: libzmq may still change it).
        RouterNotify = ZMQ_ROUTER_NOTIFY: i32 [get set];
        /// Enforce the ZAP domain even when NULL (default off) (draft API: libzmq may still change it).
        ZapEnforceDomain = ZMQ_ZAP_ENFORCE_DOMAIN: bool [get set];
        /// Windows loopback fast path (draft API: libzmq may still change it).
        LoopbackFastpath = ZMQ_LOOPBACK_FASTPATH: bool [get set];
        /// Adds a `name:value` metadata property to the handshake (write-only; draft API: libzmq may still change it).
        Metadata = ZMQ_METADATA: string [set];
        /// Multicast loopback (default on) (draft API: libzmq may still change it).
        MulticastLoop = ZMQ_MULTICAST_LOOP: bool [get set];
        /// XPUB manual mode, last value caching (write-only; draft API: libzmq may still change it).
        XpubManualLastValue = ZMQ_XPUB_MANUAL_LAST_VALUE: bool [set];
        /// SOCKS5 username (draft API: libzmq may still change it).
        SocksUsername = ZMQ_SOCKS_USERNAME: string [get set];
        /// SOCKS5 password (draft API: libzmq may still change it).
        SocksPassword = ZMQ_SOCKS_PASSWORD: string [get set];
        /// Bytes read from the kernel at a time (default 8192) (draft API: libzmq may still change it).
        InBatchSize = ZMQ_IN_BATCH_SIZE: i32 [get set];
        /// Bytes written to the kernel at a time (default 8192) (draft API: libzmq may still change it).
        OutBatchSize = ZMQ_OUT_BATCH_SIZE: i32 [get set];
        /// XPUB: process only the first subscribe of a multipart (write-only; draft API: libzmq may still change it).
        OnlyFirstSubscribe = ZMQ_ONLY_FIRST_SUBSCRIBE: bool [set];
        /// When to stop reconnecting (bit set of `ZMQ_RECONNECT_STOP_*`) (draft API: libzmq may still change it).
        ReconnectStop = ZMQ_RECONNECT_STOP: i32 [get set];
        /// A message sent to each new peer (write-only; draft API: libzmq may still change it).
        HelloMsg = ZMQ_HELLO_MSG: bytes [set];
        /// A message received when a peer disconnects (write-only; draft API: libzmq may still change it).
        DisconnectMsg = ZMQ_DISCONNECT_MSG: bytes [set];
        /// `SO_PRIORITY` of the socket (draft API: libzmq may still change it).
        Priority = ZMQ_PRIORITY: i32 [get set];
        /// `SO_BUSY_POLL` (write-only; draft API: libzmq may still change it).
        BusyPoll = ZMQ_BUSY_POLL: bool [set];
        /// A message received when the connection is re-established (write-only; draft API: libzmq may still change it).
        HiccupMsg = ZMQ_HICCUP_MSG: bytes [set];
        /// XSUB: pass on unsubscriptions (write-only; draft API: libzmq may still change it).
        XsubVerboseUnsubscribe = ZMQ_XSUB_VERBOSE_UNSUBSCRIBE: bool [set];
        /// XPUB/PUB: the number of topics subscribed (read-only; draft API: libzmq may still change it).
        TopicsCount = ZMQ_TOPICS_COUNT: i32 [get];
        /// WSS: the server's private key, PEM (write-only; draft API:
        /// libzmq may still change it; needs libzmq built with WSS).
        WssKeyPem = ZMQ_WSS_KEY_PEM: string [set];
        /// WSS: the server's certificate, PEM (write-only; draft API: libzmq
        /// may still change it).
        WssCertPem = ZMQ_WSS_CERT_PEM: string [set];
        /// WSS: a certificate to trust, PEM (write-only; draft API: libzmq
        /// may still change it).
        WssTrustPem = ZMQ_WSS_TRUST_PEM: string [set];
        /// WSS: the host name the server's certificate must name (write-only;
        /// draft API: libzmq may still change it).
        WssHostname = ZMQ_WSS_HOSTNAME: string [set];
        /// WSS: trust the system's certificate store (default on; write-only;
        /// draft API: libzmq may still change it).
        WssTrustSystem = ZMQ_WSS_TRUST_SYSTEM: bool [set];
        /// NORM: congestion control mode, one of `ZMQ_NORM_FIXED`, `_CC`,
        /// `_CCL`, `_CCE`, `_CCE_ECNONLY` (draft API: libzmq may still change
        /// it; needs libzmq built with NORM, which the vendored build is not).
        NormMode = ZMQ_NORM_MODE: i32 [get set];
        /// NORM: unicast NACKs (draft API: libzmq may still change it).
        NormUnicastNack = ZMQ_NORM_UNICAST_NACK: bool [get set];
        /// NORM: buffer size in kilobytes (draft API: libzmq may still change it).
        NormBufferSize = ZMQ_NORM_BUFFER_SIZE: i32 [get set];
        /// NORM: segment size in bytes (draft API: libzmq may still change it).
        NormSegmentSize = ZMQ_NORM_SEGMENT_SIZE: i32 [get set];
        /// NORM: block size (draft API: libzmq may still change it).
        NormBlockSize = ZMQ_NORM_BLOCK_SIZE: i32 [get set];
        /// NORM: parity segments per block (draft API: libzmq may still change it).
        NormNumParity = ZMQ_NORM_NUM_PARITY: i32 [get set];
        /// NORM: automatic parity segments (draft API: libzmq may still change it).
        NormNumAutoparity = ZMQ_NORM_NUM_AUTOPARITY: i32 [get set];
        /// NORM: push mode (draft API: libzmq may still change it).
        NormPush = ZMQ_NORM_PUSH: bool [get set];
    }
}
