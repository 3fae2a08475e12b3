//! The Diagnostics panel's source: a socket monitor on every socket the host
//! holds ("diagnostics exposed at the socket level"), each read by its own
//! task and turned into events with counts per socket.

use super::state::{self, Desk, DiagEvent};
use std::sync::Arc;
use zmq::monitor::{EventKind, MonitorEvents};
use zmq::tokio::{AsyncMonitor, AsyncSocket};

/// What a link change means to the socket's owner (e.g. the Ticker panel's
/// "connected" light).
pub type OnLink = Box<dyn Fn(bool) + Send + Sync>;

/// The state a bound socket's event leads to: its peers come and go, but
/// it stays listening unless the bind fails.
pub fn bound_state_after(kind: &EventKind) -> Option<&'static str> {
    match kind {
        EventKind::Listening { .. } => Some("listening"),
        EventKind::BindFailed { .. } => Some("down"),
        _ => None,
    }
}

/// The state a connecting socket's event leads to, if it changes it.
pub fn state_after(kind: &EventKind) -> Option<&'static str> {
    match kind {
        EventKind::HandshakeSucceeded => Some("up"),
        EventKind::Connected { .. } | EventKind::Accepted { .. } => Some("handshaking"),
        EventKind::Disconnected { .. }
        | EventKind::HandshakeFailedNoDetail { .. }
        | EventKind::HandshakeFailedProtocol { .. }
        | EventKind::HandshakeFailedAuth { .. }
        | EventKind::ConnectRetried { .. } => Some("down"),
        EventKind::Listening { .. } => Some("listening"),
        EventKind::BindFailed { .. } => Some("down"),
        // A closed socket may already have a successor under its name
        // (the chat's REQ is replaced after a timeout): leave its state be.
        EventKind::MonitorStopped => None,
        _ => None,
    }
}

/// The event's kind as the panel names it: `Connected`, `Disconnected`...
pub fn kind_name(kind: &EventKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or(&debug)
        .to_owned()
}

/// The event's value in words.
pub fn detail(kind: &EventKind) -> String {
    match *kind {
        EventKind::Connected { fd } | EventKind::Accepted { fd } => format!("fd {fd}"),
        EventKind::Disconnected { fd } | EventKind::Closed { fd } => format!("fd {fd}"),
        EventKind::Listening { fd } => format!("fd {fd}"),
        EventKind::ConnectRetried { interval } => {
            format!("next attempt in {} ms", interval.as_millis())
        }
        EventKind::ConnectDelayed { errno }
        | EventKind::BindFailed { errno }
        | EventKind::AcceptFailed { errno }
        | EventKind::CloseFailed { errno }
        | EventKind::HandshakeFailedNoDetail { errno } => {
            std::io::Error::from_raw_os_error(errno).to_string()
        }
        EventKind::HandshakeFailedProtocol { reason } => reason.to_string(),
        EventKind::HandshakeFailedAuth { status_code } => {
            format!("refused by the server's authenticator (ZAP {status_code})")
        }
        EventKind::HandshakeSucceeded => "ZMTP handshake done".to_owned(),
        EventKind::MonitorStopped => "socket closed".to_owned(),
        _ => format!("{kind:?}"),
    }
}

/// How a watched socket meets its peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It connects to a server: up or down with that one link.
    Connects,
    /// It binds: peers come and go.
    Binds,
}

/// Starts watching `socket` under `name` (call it before the socket
/// connects or binds, so that nothing is missed). `on_link` hears whether
/// the link is up after each event that changes it.
pub fn watch(
    desk: &Arc<Desk>,
    name: &str,
    endpoint: &str,
    role: Role,
    socket: &AsyncSocket,
    on_link: Option<OnLink>,
) -> zmq::Result<()> {
    let monitor = socket.monitor(MonitorEvents::ALL)?;
    let initial = match role {
        Role::Connects => "connecting",
        Role::Binds => "binding",
    };
    desk.add_socket(name, endpoint, initial);
    tokio::spawn(read_events(
        desk.clone(),
        name.to_owned(),
        role,
        monitor,
        on_link,
    ));
    Ok(())
}

async fn read_events(
    desk: Arc<Desk>,
    name: String,
    role: Role,
    mut monitor: AsyncMonitor,
    on_link: Option<OnLink>,
) {
    // Ends when the socket closes (MonitorStopped) or the context shuts down.
    while let Ok(event) = monitor.next_event().await {
        let state = match role {
            Role::Connects => state_after(&event.kind),
            Role::Binds => bound_state_after(&event.kind),
        };
        if let (Some(on_link), Some(state)) = (&on_link, state) {
            match state {
                "up" => on_link(true),
                "down" => on_link(false),
                _ => {}
            }
        }
        let stopped = event.kind == EventKind::MonitorStopped;
        desk.diag(
            &name,
            DiagEvent {
                time: state::now(),
                socket: name.clone(),
                event: kind_name(&event.kind),
                endpoint: event.endpoint.clone(),
                detail: detail(&event.kind),
            },
            state,
        );
        if stopped {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn kinds_are_named_without_their_values() {
        assert_eq!(kind_name(&EventKind::Connected { fd: 7 }), "Connected");
        assert_eq!(
            kind_name(&EventKind::HandshakeSucceeded),
            "HandshakeSucceeded"
        );
        assert_eq!(
            kind_name(&EventKind::ConnectRetried {
                interval: Duration::from_millis(100)
            }),
            "ConnectRetried"
        );
        assert_eq!(
            detail(&EventKind::ConnectRetried {
                interval: Duration::from_millis(100)
            }),
            "next attempt in 100 ms"
        );
    }

    #[test]
    fn links_go_up_on_handshake_and_down_on_disconnect() {
        assert_eq!(state_after(&EventKind::HandshakeSucceeded), Some("up"));
        assert_eq!(
            state_after(&EventKind::Disconnected { fd: 3 }),
            Some("down")
        );
        assert_eq!(
            state_after(&EventKind::HandshakeFailedAuth { status_code: 400 }),
            Some("down")
        );
        assert_eq!(state_after(&EventKind::ConnectDelayed { errno: 115 }), None);
        assert_eq!(bound_state_after(&EventKind::Disconnected { fd: 3 }), None);
        assert_eq!(
            bound_state_after(&EventKind::Listening { fd: 3 }),
            Some("listening")
        );
    }
}
