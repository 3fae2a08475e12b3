//! What a client knows about its link to the server, from its socket
//! monitor, and what it tells the user when the server goes quiet.
//!
//! ZeroMQ reconnects silently: a refused CURVE key, a wrong endpoint or a
//! server that is down all look the same to `recv` (nothing arrives). The
//! monitor's typed events tell them apart, so after [`SILENCE`] without a
//! word from the server the client can say which it probably is.

use std::time::{Duration, Instant};
use zmq::monitor::{EventKind, Monitor, MonitorEvents};
use zmq::Socket;

/// How long a client waits for anything from its server before it says so.
pub const SILENCE: Duration = Duration::from_secs(5);

/// How far a connection got, as the monitor last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// No TCP connection yet (the connect is pending or retrying).
    Connecting,
    /// Connected, the ZMTP/CURVE handshake not done.
    Handshaking,
    /// Handshake done: messages can flow.
    Up,
}

/// One client socket's link to its server.
pub struct LinkWatch {
    monitor: Monitor,
    endpoint: String,
    curve: bool,
    stage: Stage,
    /// Why the last handshake failed, in words (kept until one succeeds).
    failure: Option<String>,
    heard: Instant,
    /// The diagnosis last reported for the current silence, if any.
    reported: Option<String>,
}

impl LinkWatch {
    /// Watches `socket`, which will connect to `endpoint` (start the watch
    /// before the connect so that nothing is missed).
    pub fn new(socket: &Socket, endpoint: &str, curve: bool) -> zmq::Result<LinkWatch> {
        Ok(LinkWatch {
            monitor: socket.monitor(MonitorEvents::ALL)?,
            endpoint: endpoint.to_owned(),
            curve,
            stage: Stage::Connecting,
            failure: None,
            heard: Instant::now(),
            reported: None,
        })
    }

    /// Takes the monitor's pending events (never blocks) and returns them
    /// as lines for a `--monitor`-style log.
    pub fn update(&mut self) -> zmq::Result<Vec<String>> {
        let mut lines = Vec::new();
        while let Some(event) = self.monitor.try_next()? {
            match event.kind {
                EventKind::Connected { .. } => self.stage = Stage::Handshaking,
                EventKind::HandshakeSucceeded => {
                    self.stage = Stage::Up;
                    self.failure = None;
                }
                EventKind::Disconnected { .. } | EventKind::Closed { .. } => {
                    self.stage = Stage::Connecting
                }
                EventKind::HandshakeFailedAuth { status_code } => {
                    self.failure = Some(refusal(status_code, self.curve))
                }
                EventKind::HandshakeFailedProtocol { reason } => {
                    self.failure = Some(if self.curve {
                        format!(
                            "the security handshake failed ({reason}): is --curve-server-key \
                             the server's public key, and does the server use CURVE?"
                        )
                    } else {
                        format!(
                            "the handshake failed ({reason}): does the server expect CURVE \
                             (--curve-server-key)?"
                        )
                    })
                }
                EventKind::HandshakeFailedNoDetail { .. } => {
                    self.failure = Some(if self.curve {
                        "the connection dropped during the handshake: a server without CURVE, \
                         or a wrong server key?"
                            .to_owned()
                    } else {
                        "the connection dropped during the handshake: does the server expect \
                         CURVE, or is it not a ZeroMQ server?"
                            .to_owned()
                    })
                }
                _ => {}
            }
            lines.push(event.to_string());
        }
        Ok(lines)
    }

    /// Whether the handshake with the server is done.
    pub fn is_up(&self) -> bool {
        self.stage == Stage::Up
    }

    /// Call when anything arrives from the server.
    pub fn heard(&mut self) {
        self.heard = Instant::now();
        self.reported = None;
    }

    /// Whether a silence was reported and not yet ended by [`heard`](Self::heard).
    pub fn is_silent(&self) -> bool {
        self.reported.is_some()
    }

    /// After [`SILENCE`] without a word from the server: what to tell the
    /// user (once, and again only if the diagnosis changes).
    pub fn silence(&mut self, now: Instant) -> Option<String> {
        if now.saturating_duration_since(self.heard) < SILENCE {
            return None;
        }
        let cause = self.diagnosis();
        if self.reported.as_deref() == Some(cause.as_str()) {
            return None;
        }
        let text = format!(
            "nothing from {} for {} s: {cause}",
            self.endpoint,
            now.saturating_duration_since(self.heard).as_secs(),
        );
        self.reported = Some(cause);
        Some(text)
    }

    /// The likely causes of a silence, most specific first.
    pub fn diagnosis(&self) -> String {
        if let Some(failure) = &self.failure {
            return failure.clone();
        }
        match self.stage {
            Stage::Connecting => format!(
                "no connection to {}: is the server running, and is the endpoint right \
                 (host and port)?",
                self.endpoint
            ),
            Stage::Handshaking => {
                if self.curve {
                    "connected, but the CURVE handshake does not finish: a wrong server key, \
                     or our key refused?"
                        .to_owned()
                } else {
                    "connected, but the handshake does not finish: is it a ZeroMQ server, \
                     and does it expect CURVE?"
                        .to_owned()
                }
            }
            Stage::Up => "connected, but the server sends nothing: is it stalled, or is \
                          this the wrong port of it?"
                .to_owned(),
        }
    }
}

fn refusal(status_code: u32, curve: bool) -> String {
    let what = if curve { "our CURVE key" } else { "us" };
    match status_code {
        300 => format!("the server's authenticator refused {what} for now (ZAP status 300)"),
        500 => format!("the server's authenticator failed (ZAP status 500) and refused {what}"),
        code => format!(
            "the server refused {what} (ZAP status {code}): ask its operator to allow our \
             public key"
        ),
    }
}
