//! What the [`Authenticator`](super::Authenticator) hands to your code: a
//! ZAP request to decide ([`ZapRequest`], answered with a [`Verdict`]), and
//! a record of every decision ([`Decision`]).

use std::fmt;

use super::keys::PublicKey;

/// One handshake's ZAP request (RFC 27), as a policy sees it: set with
/// [`Authenticator::set_policy`](super::Authenticator::set_policy).
#[derive(Debug)]
pub struct ZapRequest<'a> {
    pub(crate) domain: &'a str,
    pub(crate) address: &'a str,
    pub(crate) routing_id: &'a [u8],
    pub(crate) credentials: Credentials<'a>,
}

impl<'a> ZapRequest<'a> {
    /// The server socket's ZAP domain (`""` when it has none).
    pub fn domain(&self) -> &'a str {
        self.domain
    }

    /// The peer's IP address as libzmq reports it (`"127.0.0.1"`, `"::1"`).
    pub fn address(&self) -> &'a str {
        self.address
    }

    /// The peer's routing id, if it set one (`ZMQ_ROUTING_ID`).
    pub fn routing_id(&self) -> &'a [u8] {
        self.routing_id
    }

    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub fn mechanism(&self) -> &'static str {
        self.credentials.mechanism()
    }

    /// What the peer presented.
    pub fn credentials(&self) -> &Credentials<'a> {
        &self.credentials
    }
}

/// A [`ZapRequest`] that owns its fields, for a policy that answers later:
/// the async policy of `zmq::tokio` receives one. Its `Debug` form hides the
/// password, as [`Password`]'s does.
///
/// ```
/// use zmq::security::{OwnedZapRequest, ZapRequest};
///
/// fn keep(request: &ZapRequest<'_>) -> OwnedZapRequest {
///     OwnedZapRequest::from(request)
/// }
/// ```
#[derive(Clone)]
pub struct OwnedZapRequest {
    domain: String,
    address: String,
    routing_id: Vec<u8>,
    credentials: OwnedCredentials,
}

#[derive(Clone)]
enum OwnedCredentials {
    Null,
    Plain { username: String, password: Vec<u8> },
    Curve { public_key: PublicKey },
}

impl OwnedZapRequest {
    /// The server socket's ZAP domain (`""` when it has none).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The peer's IP address as libzmq reports it (`"127.0.0.1"`, `"::1"`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The peer's routing id, if it set one (`ZMQ_ROUTING_ID`).
    pub fn routing_id(&self) -> &[u8] {
        &self.routing_id
    }

    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub fn mechanism(&self) -> &'static str {
        self.credentials().mechanism()
    }

    /// What the peer presented.
    pub fn credentials(&self) -> Credentials<'_> {
        match &self.credentials {
            OwnedCredentials::Null => Credentials::Null,
            OwnedCredentials::Plain { username, password } => Credentials::Plain {
                username,
                password: Password(password),
            },
            OwnedCredentials::Curve { public_key } => Credentials::Curve {
                public_key: *public_key,
            },
        }
    }
}

impl From<&ZapRequest<'_>> for OwnedZapRequest {
    fn from(request: &ZapRequest<'_>) -> OwnedZapRequest {
        let credentials = match &request.credentials {
            Credentials::Null => OwnedCredentials::Null,
            Credentials::Plain { username, password } => OwnedCredentials::Plain {
                username: (*username).to_owned(),
                password: password.0.to_vec(),
            },
            Credentials::Curve { public_key } => OwnedCredentials::Curve {
                public_key: *public_key,
            },
        };
        OwnedZapRequest {
            domain: request.domain.to_owned(),
            address: request.address.to_owned(),
            routing_id: request.routing_id.to_vec(),
            credentials,
        }
    }
}

impl fmt::Debug for OwnedZapRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedZapRequest")
            .field("domain", &self.domain)
            .field("address", &self.address)
            .field("routing_id", &self.routing_id)
            .field("credentials", &self.credentials())
            .finish()
    }
}

/// The credentials of a ZAP request.
#[derive(Debug)]
pub enum Credentials<'a> {
    /// NULL: none (libzmq asks only for sockets with a ZAP domain).
    Null,
    /// PLAIN: a username and a password.
    Plain {
        /// The username, as UTF-8 (a request with another encoding is
        /// refused before any policy sees it).
        username: &'a str,
        /// The password: never printed.
        password: Password<'a>,
    },
    /// CURVE: the client's long-term public key.
    Curve {
        /// The key; its Z85 text is the default User-Id.
        public_key: PublicKey,
    },
}

impl Credentials<'_> {
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub fn mechanism(&self) -> &'static str {
        match self {
            Credentials::Null => "NULL",
            Credentials::Plain { .. } => "PLAIN",
            Credentials::Curve { .. } => "CURVE",
        }
    }
}

/// A PLAIN password. Its `Debug` form hides it, so a logged request never
/// shows it; compare it with [`matches`](Self::matches).
pub struct Password<'a>(pub(crate) &'a [u8]);

impl Password<'_> {
    /// Compares with `expected` in time independent of where they differ.
    pub fn matches(&self, expected: impl AsRef<[u8]>) -> bool {
        super::rules::constant_time_eq(self.0, expected.as_ref())
    }

    /// The bytes, for a check `matches` cannot do (a password hash).
    pub fn expose(&self) -> &[u8] {
        self.0
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// A policy's answer to a [`ZapRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accept the peer. Its messages carry `user_id`
    /// ([`Message::user_id`](crate::Message::user_id)) and `metadata`
    /// ([`Message::property`](crate::Message::property)).
    Allow {
        /// The User-Id (RFC 27); empty for none.
        user_id: String,
        /// ZAP metadata: property names and values.
        metadata: Vec<(String, String)>,
    },
    /// Refuse the peer. Who learns what:
    /// - the server socket's monitor: a `HandshakeFailedAuth` event with
    ///   `status`;
    /// - the client (libzmq 4.3, as ours and pyzmq's are): for 400 and 500,
    ///   libzmq sends it an ERROR command that holds the three-digit status
    ///   and nothing else, and its monitor reports `HandshakeFailedAuth`
    ///   with `status`; for 300 no ERROR is sent and its monitor reports no
    ///   authentication failure;
    /// - `text` stays on the server: libzmq does not forward it, the
    ///   [decision log](super::Authenticator::on_decision) has it.
    Deny {
        /// 300 (temporary failure, the client may retry), 400 (refused) or
        /// 500 (the server failed); anything else is sent as 400.
        status: u16,
        /// Why: in the ZAP reply to libzmq and in the decision log, never
        /// on the wire to the client.
        text: String,
    },
    /// Decide with the authenticator's own rules (PLAIN users, CURVE keys).
    UseRules,
}

impl Verdict {
    /// Accept with `user_id` and no metadata.
    pub fn allow(user_id: impl Into<String>) -> Verdict {
        Verdict::Allow {
            user_id: user_id.into(),
            metadata: Vec::new(),
        }
    }

    /// Refuse with status 400 and `text`.
    pub fn deny(text: impl Into<String>) -> Verdict {
        Verdict::Deny {
            status: 400,
            text: text.into(),
        }
    }

    /// The same verdict with a metadata property added (for `Allow`; other
    /// verdicts are returned unchanged).
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Verdict {
        if let Verdict::Allow { metadata, .. } = &mut self {
            metadata.push((name.into(), value.into()));
        }
        self
    }
}

/// One decision of the authenticator, for the log set with
/// [`Authenticator::on_decision`](super::Authenticator::on_decision). It
/// never holds a password.
///
/// Its `Display` form is one line, e.g.
/// `denied 127.0.0.1 CURVE key Ab3dE… (domain "global"): 400 revoked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the peer was accepted (status 200).
    pub allowed: bool,
    /// The ZAP status code sent: 200, 300, 400 or 500.
    pub status: u16,
    /// The status text sent: the reason for a refusal.
    pub reason: String,
    /// The server socket's ZAP domain.
    pub domain: String,
    /// The peer's address.
    pub address: String,
    /// `"NULL"`, `"PLAIN"`, `"CURVE"`, or what the malformed request said.
    pub mechanism: String,
    /// Who the peer said it was: the PLAIN username or the CURVE key (Z85);
    /// empty for NULL and malformed requests.
    pub identity: String,
    /// The User-Id given to an accepted peer.
    pub user_id: String,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.allowed { "allowed" } else { "denied" };
        write!(f, "{verb} {} {}", self.address, self.mechanism)?;
        match self.mechanism.as_str() {
            "CURVE" if !self.identity.is_empty() => {
                let short: String = self.identity.chars().take(5).collect();
                write!(f, " key {short}…")?;
            }
            "PLAIN" if !self.identity.is_empty() => write!(f, " user {:?}", self.identity)?,
            _ => {}
        }
        write!(
            f,
            " (domain {:?}): {} {}",
            self.domain, self.status, self.reason
        )
    }
}
