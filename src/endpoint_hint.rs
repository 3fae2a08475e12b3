//! Advice for a failed `bind`/`connect`: libzmq reports only an errno
//! ("Invalid argument", "No such device"), which does not tell a user which
//! part of `tcp://host:port` is wrong. This reads the endpoint and the errno
//! and says what to change. It runs only when an error is displayed.

/// What to tell the user about `operation` on `endpoint` failing with `errno`.
pub(crate) fn hint(operation: &str, errno: i32, endpoint: &str) -> Option<&'static str> {
    let binding = match operation {
        "bind" | "unbind" => true,
        "connect" | "disconnect" => false,
        _ => return None,
    };
    let Some((transport, address)) = endpoint.split_once("://") else {
        return (errno == libc::EINVAL).then_some(
            "malformed endpoint: expected transport://address, \
             e.g. tcp://127.0.0.1:5555, ipc:///tmp/name or inproc://name",
        );
    };
    let is_tcp_like = matches!(transport, "tcp" | "ws" | "wss");
    match errno {
        libc::EPROTONOSUPPORT => Some(
            "unknown transport: use tcp://, ipc://, inproc:// or ws:// \
             (pgm, epgm, norm, vmci, udp only when libzmq was built with them)",
        ),
        libc::EINVAL if is_tcp_like && !has_port(address) => Some(
            "malformed address: expected tcp://host:port with a numeric port, \
             e.g. tcp://127.0.0.1:5555; bind also takes tcp://*:5555, and port * for any free port",
        ),
        libc::EINVAL if transport.is_empty() || address.is_empty() => {
            Some("malformed endpoint: expected transport://address, e.g. tcp://127.0.0.1:5555")
        }
        libc::ENODEV if binding => Some(
            "unknown host or interface: bind takes a local interface name, one of this \
             machine's IP addresses, or * for all; to reach another host, connect instead",
        ),
        libc::EADDRNOTAVAIL => {
            Some("address not available: bind takes an address of this machine, or * for all")
        }
        libc::EADDRINUSE => Some(
            "port in use: another socket or process already listens there; \
             pick another port, or bind to port * and read last_endpoint()",
        ),
        libc::ENOENT if operation == "disconnect" => {
            Some("not connected to this endpoint: disconnect takes the endpoint given to connect")
        }
        libc::ENOENT if operation == "unbind" => Some(
            "not bound to this endpoint: unbind takes the endpoint that last_endpoint() reported",
        ),
        libc::ENOENT if transport == "ipc" => {
            Some("the ipc path's directory does not exist or cannot be reached")
        }
        libc::EACCES => {
            Some("permission denied: a port below 1024 or an ipc path you cannot write")
        }
        e if e == zmq_sys::ENOCOMPATPROTO => Some(
            "this transport cannot be used with this socket type (e.g. pgm only carries PUB/SUB)",
        ),
        e if e == zmq_sys::EMTHREAD => {
            Some("no I/O thread: the context was made with zero I/O threads")
        }
        // A connect resolves host names in the background: an unknown host
        // shows up as retried connects in a monitor, not as an error here.
        _ => None,
    }
}

/// True when `address` ends in `:port` with a number or `*` as the port (ws
/// endpoints may carry a path after it).
fn has_port(address: &str) -> bool {
    let host_port = address.split('/').next().unwrap_or(address);
    match host_port.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && (port == "*" || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_a_number_or_a_star() {
        assert!(has_port("127.0.0.1:5555"));
        assert!(has_port("*:*"));
        assert!(has_port("[::1]:80"));
        assert!(has_port("127.0.0.1:8080/path"));
        assert!(!has_port("nope:xx"));
        assert!(!has_port("localhost"));
        assert!(!has_port(":5555"));
    }

    #[test]
    fn other_operations_get_no_hint() {
        assert_eq!(hint("send", libc::EINVAL, "tcp://x"), None);
    }
}
