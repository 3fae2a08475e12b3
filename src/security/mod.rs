//! Security: CURVE keys, PLAIN/CURVE socket setup, certificate files and a
//! ZAP authenticator.
//!
//! ZeroMQ has three security mechanisms: NULL (none, the default), PLAIN
//! (username and password in clear text) and CURVE (CurveZMQ: encryption
//! and authentication by public key). Servers ask a ZAP handler (RFC 27)
//! who may connect; [`Authenticator`] is one.
//!
//! - Keys: [`CurveKeyPair::generate`], [`SecretKey::public_key`],
//!   [`PublicKey`] / [`SecretKey`] in binary or Z85.
//! - Socket setup: [`Socket::curve_server`](crate::Socket::curve_server),
//!   [`Socket::curve_client`](crate::Socket::curve_client),
//!   [`Socket::plain_server`](crate::Socket::plain_server),
//!   [`Socket::plain_client`](crate::Socket::plain_client),
//!   [`Socket::set_zap_domain`](crate::Socket::set_zap_domain).
//! - Certificates: [`Certificate`], [`create_certificates`],
//!   [`load_certificates`], in the file format of czmq and pyzmq.
//! - Authentication: [`Authenticator`], with built-in rules (addresses and
//!   CIDR ranges, PLAIN users, CURVE keys), a policy of your own
//!   ([`Authenticator::set_policy`], or an async fn with
//!   `Authenticator::set_async_policy` under the `tokio` feature) and a
//!   decision log ([`Authenticator::on_decision`]).
//!
//! ```
//! use zmq::security::{Authenticator, ANY_DOMAIN};
//! use zmq::{Context, SocketType};
//!
//! let ctx = Context::new();
//! let auth = Authenticator::start(&ctx)?;
//! auth.add_plain_user(ANY_DOMAIN, "admin", "secret");
//!
//! let server = ctx.socket(SocketType::Rep)?;
//! server.plain_server()?;
//! server.bind("tcp://127.0.0.1:*")?;
//! let client = ctx.socket(SocketType::Req)?;
//! client.plain_client("admin", "secret")?;
//! client.connect(&server.last_endpoint()?)?;
//! client.send("hi")?;
//! assert_eq!(server.recv()?.user_id(), Some("admin"));
//! # Ok::<(), zmq::Error>(())
//! ```

mod address_rule;
mod auth;
mod cert;
mod keys;
mod rules;
mod setup;
mod zap_handler;
mod zap_policy;

pub use auth::{Authenticator, ANY_DOMAIN, ZAP_ENDPOINT};
pub use cert::{create_certificates, load_certificates, Certificate, CertificateError};
pub use keys::{CurveKeyPair, PublicKey, SecretKey, KEY_LEN, Z85_KEY_LEN};
#[doc(hidden)]
pub use rules::answer_zap_request_for_fuzzing;
#[cfg(feature = "tokio")]
pub(crate) use zap_handler::PendingVerdict;
pub use zap_policy::{Credentials, Decision, OwnedZapRequest, Password, Verdict, ZapRequest};
