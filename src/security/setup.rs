//! One-call security setup of a socket: PLAIN and CURVE servers and clients,
//! and the ZAP domain.

use super::keys::{CurveKeyPair, PublicKey, SecretKey};
use crate::error::Result;
use crate::opt;
use crate::socket::Socket;

impl Socket {
    /// Makes this socket a PLAIN server (`ZMQ_PLAIN_SERVER`): clients must
    /// send a username and password, which the ZAP handler (an
    /// [`Authenticator`](super::Authenticator)) checks. Without a ZAP handler
    /// every PLAIN client is refused. PLAIN sends the password in clear text.
    pub fn plain_server(&self) -> Result<()> {
        self.set(opt::PlainServer, true)
    }

    /// Makes this socket a PLAIN client with these credentials
    /// (`ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD`).
    ///
    /// Both must be non-empty: libzmq cannot carry an empty PLAIN username or
    /// password (setting either to zero length switches the socket back to
    /// the NULL mechanism), so an empty one is refused up front with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    ///
    /// ```
    /// let ctx = zmq::Context::new();
    /// let client = ctx.socket(zmq::SocketType::Req)?;
    /// let err = client.plain_client("admin", "").unwrap_err();
    /// assert!(err.to_string().contains("empty PLAIN password"));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn plain_client(&self, username: &str, password: &str) -> Result<()> {
        for (what, value) in [("username", username), ("password", password)] {
            if value.is_empty() {
                return Err(crate::Error::with_kind(
                    crate::ErrorKind::InvalidInput,
                    "plain_client",
                )
                .context(if what == "username" {
                    "empty PLAIN username: libzmq would fall back to NULL security"
                } else {
                    "empty PLAIN password: libzmq would fall back to NULL security"
                }));
            }
        }
        self.set(opt::PlainUsername, username)?;
        self.set(opt::PlainPassword, password)
    }

    /// Makes this socket a CURVE server with its secret key
    /// (`ZMQ_CURVE_SERVER`, `ZMQ_CURVE_SECRETKEY`). Clients need the matching
    /// public key. With an [`Authenticator`](super::Authenticator) running,
    /// it decides which client keys get in; without one, any client key does.
    ///
    /// ```
    /// use zmq::security::CurveKeyPair;
    /// let (server_keys, client_keys) = (CurveKeyPair::generate()?, CurveKeyPair::generate()?);
    /// let ctx = zmq::Context::new();
    /// let server = ctx.socket(zmq::SocketType::Rep)?;
    /// server.curve_server(&server_keys.secret)?;
    /// server.bind("tcp://127.0.0.1:*")?;
    /// let client = ctx.socket(zmq::SocketType::Req)?;
    /// client.curve_client(&server_keys.public, &client_keys)?;
    /// client.connect(&server.last_endpoint()?)?;
    /// client.send("secret hello")?;
    /// assert_eq!(server.recv()?, "secret hello");
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn curve_server(&self, secret: &SecretKey) -> Result<()> {
        self.set(opt::CurveServer, true)?;
        self.set(opt::CurveSecretkey, secret)
    }

    /// Makes this socket a CURVE client of the server with public key
    /// `server`, using its own key pair (`ZMQ_CURVE_SERVERKEY`,
    /// `ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`).
    pub fn curve_client(&self, server: &PublicKey, own: &CurveKeyPair) -> Result<()> {
        self.set(opt::CurveServerkey, server)?;
        self.set(opt::CurvePublickey, &own.public)?;
        self.set(opt::CurveSecretkey, &own.secret)
    }

    /// Sets the ZAP domain (`ZMQ_ZAP_DOMAIN`), which the authenticator sees
    /// with each request and which selects its PLAIN and CURVE settings.
    ///
    /// libzmq consults the ZAP handler for NULL connections only when a
    /// domain is set; PLAIN and CURVE always consult it.
    pub fn set_zap_domain(&self, domain: &str) -> Result<()> {
        self.set(opt::ZapDomain, domain)
    }

    /// The ZAP domain (`ZMQ_ZAP_DOMAIN`); empty when none is set.
    pub fn zap_domain(&self) -> Result<String> {
        self.get(opt::ZapDomain)
    }
}
