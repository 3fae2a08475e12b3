//! The ZAP authenticator (RFC 27): a background thread that answers libzmq's
//! authentication requests for every socket of a context. Its settings are
//! the built-in rules (`rules.rs`); its thread answers each request
//! (`zap_handler.rs`).

use super::address_rule::AddressPattern;
use super::cert::{load_certificates, Certificate, CertificateError};
use super::keys::PublicKey;
use super::rules::{encode_metadata, AddressRule, CurveRule, Rules};
use super::zap_handler::{locked, Completions, DeferredPolicyFn, Handler, Hooks, PolicyHook};
use super::zap_policy::{Decision, Verdict, ZapRequest};
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::socket::{Socket, SocketType};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The endpoint libzmq sends ZAP requests to (RFC 27).
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The domain name that stands for every domain without settings of its own.
pub const ANY_DOMAIN: &str = "*";

/// A ZAP handler for one context: allow and deny lists of IP addresses,
/// PLAIN usernames and passwords, CURVE public keys, per ZAP domain
/// (the ZeroMQ equivalent of pyzmq's `ThreadAuthenticator` and czmq's `zauth`).
///
/// [`start`](Self::start) binds [`ZAP_ENDPOINT`] in the context and serves it
/// from a background thread; when it returns, the authenticator is already
/// answering. Settings can change at any time and apply to the next
/// handshake. Dropping it (or [`stop`](Self::stop)) ends the thread and
/// unbinds the endpoint, after which libzmq behaves as without a ZAP handler:
/// NULL and CURVE connections are accepted, PLAIN ones refused.
///
/// The decisions, for each handshake:
/// 1. The peer's IP address: with an allow list, it must be on it; with a
///    deny list, it must not be. (An allowed address still needs PLAIN or
///    CURVE credentials.)
/// 2. Your policy, if one is set ([`set_policy`](Self::set_policy), or an
///    async fn with `set_async_policy` under the `tokio` feature): it allows,
///    denies, or hands the request on to the rules below
///    ([`Verdict::UseRules`]).
/// 3. NULL: accepted. libzmq asks the ZAP handler about NULL connections only
///    on sockets with a ZAP domain ([`Socket::set_zap_domain`]).
/// 4. PLAIN: the username and password must be configured for the socket's
///    ZAP domain (or for [`ANY_DOMAIN`]). The User-Id is the username.
/// 5. CURVE: the domain (or [`ANY_DOMAIN`]) must allow any key or list the
///    client's public key. The User-Id is the client's Z85 public key.
///
/// Anything else (GSSAPI, unknown mechanisms, malformed requests) is refused
/// with status 400. Accepted peers' messages carry the User-Id and any
/// [metadata](Self::set_metadata) as properties
/// ([`Message::user_id`](crate::Message::user_id),
/// [`Message::property`](crate::Message::property)).
///
/// ```
/// use zmq::security::{Authenticator, CurveKeyPair};
/// use zmq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let auth = Authenticator::start(&ctx)?;
/// let (server_keys, client_keys) = (CurveKeyPair::generate()?, CurveKeyPair::generate()?);
/// auth.curve_allow_key(zmq::security::ANY_DOMAIN, &client_keys.public);
///
/// let server = ctx.socket(SocketType::Pull)?;
/// server.curve_server(&server_keys.secret)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.socket(SocketType::Push)?;
/// client.curve_client(&server_keys.public, &client_keys)?;
/// client.connect(&server.last_endpoint()?)?;
/// client.send("hello")?;
/// let msg = server.recv()?;
/// assert_eq!(msg.user_id(), Some(client_keys.public.to_string().as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Authenticator {
    policy: Arc<Mutex<Rules>>,
    hooks: Arc<Mutex<Hooks>>,
    control: Mutex<Socket>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

impl Authenticator {
    /// Starts the authenticator of `context`: binds [`ZAP_ENDPOINT`] and
    /// serves it from a new thread. Until configured it accepts NULL
    /// connections and refuses PLAIN and CURVE ones.
    ///
    /// A context has one ZAP handler: a second one fails with
    /// [`ErrorKind::AddressInUse`].
    pub fn start(context: &Context) -> Result<Authenticator> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let zap = context.socket(SocketType::Router)?;
        zap.set(crate::opt::Linger, Duration::ZERO)?;
        zap.bind(ZAP_ENDPOINT)?;

        let control_endpoint = format!(
            "inproc://zmq-rs.authenticator.{}.{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        let control = context.socket(SocketType::Pair)?;
        control.bind(&control_endpoint)?;
        let thread_control = context.socket(SocketType::Pair)?;
        thread_control.connect(&control_endpoint)?;
        // Verdicts of a deferred (async) policy wake the thread through here.
        let wake_endpoint = format!("{control_endpoint}.verdicts");
        let wake = context.socket(SocketType::Pull)?;
        wake.bind(&wake_endpoint)?;
        let waker = context.socket(SocketType::Push)?;
        waker.connect(&wake_endpoint)?;
        let (completions, verdicts) = Completions::new(waker);

        let policy = Arc::new(Mutex::new(Rules::default()));
        let hooks = Arc::new(Mutex::new(Hooks::default()));
        let handler = Handler {
            zap,
            control: thread_control,
            wake,
            completions,
            verdicts,
            rules: Arc::clone(&policy),
            hooks: Arc::clone(&hooks),
        };
        let thread = std::thread::Builder::new()
            .name("zmq-authenticator".into())
            .spawn(move || handler.serve())
            .map_err(|e| Error::new(e.raw_os_error().unwrap_or(0), "spawn authenticator thread"))?;
        Ok(Authenticator {
            policy,
            hooks,
            control: Mutex::new(control),
            thread: Some(thread),
        })
    }

    /// Stops the thread and unbinds [`ZAP_ENDPOINT`]; when this returns, new
    /// handshakes no longer reach the authenticator. Dropping it does the same.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Never blocks: if the thread has already ended, its PAIR is gone and
        // a blocking send would wait forever for a peer. If the send fails
        // the context is shut down, which ends the thread too.
        let sent = locked(&self.control).send_with("TERMINATE", crate::SendFlags::DONTWAIT);
        if sent.is_ok() || thread.is_finished() {
            // The thread never panics outside its catch_unwind; nothing to re-raise.
            let _ = thread.join();
        }
        // Otherwise the thread is alive but cannot be told: it ends with the
        // context; joining it here could hang the caller.
    }

    /// Allows connections from an IP address (as libzmq reports it, e.g.
    /// `"127.0.0.1"`) or a CIDR range (`"10.0.0.0/8"`, `"::1/128"`; an
    /// IPv4-mapped IPv6 peer matches IPv4 ranges); once any is allowed, all
    /// others are refused. Fails with [`ErrorKind::InvalidState`] if a deny
    /// list is in use, and with [`ErrorKind::InvalidInput`] for a malformed
    /// range.
    pub fn allow(&self, address: &str) -> Result<()> {
        self.add_address(address, true)
    }

    /// Refuses connections from an IP address or a CIDR range (as
    /// [`allow`](Self::allow) takes them); others are still checked by
    /// mechanism. Fails with [`ErrorKind::InvalidState`] if an allow list is
    /// in use.
    pub fn deny(&self, address: &str) -> Result<()> {
        self.add_address(address, false)
    }

    /// Adds `address` to the allow list (`allow`) or the deny list; one kind
    /// of list at a time.
    fn add_address(&self, address: &str, allow: bool) -> Result<()> {
        let operation = if allow { "allow" } else { "deny" };
        let pattern = AddressPattern::parse(address, operation)?;
        let mut policy = locked(&self.policy);
        match (&mut policy.addresses, allow) {
            (AddressRule::Allow(list), true) | (AddressRule::Deny(list), false) => {
                if !list.contains(&pattern) {
                    list.push(pattern);
                }
                Ok(())
            }
            (rule @ AddressRule::Any, _) => {
                *rule = if allow {
                    AddressRule::Allow(vec![pattern])
                } else {
                    AddressRule::Deny(vec![pattern])
                };
                Ok(())
            }
            _ => Err(Error::with_kind(ErrorKind::InvalidState, operation)
                .context("use an allow list or a deny list, not both")),
        }
    }

    /// Lets `policy` decide every request that passes the address rules,
    /// before (or instead of) the PLAIN and CURVE rules: it returns
    /// [`Verdict::Allow`], [`Verdict::Deny`] or [`Verdict::UseRules`]. It
    /// runs on the authenticator's thread, one request at a time, without any
    /// of the authenticator's locks held (it may change the authenticator's
    /// settings). A policy that panics refuses the request with status 500
    /// ("policy failed"), which the decision log shows; the authenticator
    /// goes on. Replaces an earlier policy. A policy that waits (a database,
    /// a key service) holds back every handshake behind it: make it an
    /// async fn with `set_async_policy` (feature `tokio`) instead.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, Mutex};
    /// use zmq::security::{Authenticator, Credentials, CurveKeyPair, Verdict};
    ///
    /// let ctx = zmq::Context::new();
    /// let auth = Authenticator::start(&ctx)?;
    /// // Keys live elsewhere (a database, a key service); revoking one takes
    /// // effect at its next connection, without a restart.
    /// let allowed: Arc<Mutex<HashSet<String>>> = Arc::default();
    /// let keys = Arc::clone(&allowed);
    /// auth.set_policy(move |request| match request.credentials() {
    ///     Credentials::Curve { public_key } if keys.lock().unwrap().contains(&public_key.to_z85()) => {
    ///         Verdict::allow(public_key.to_z85()).with_metadata("Tier", "gold")
    ///     }
    ///     Credentials::Curve { .. } => Verdict::deny("unknown key"),
    ///     _ => Verdict::UseRules,
    /// });
    /// let client = CurveKeyPair::generate()?;
    /// allowed.lock().unwrap().insert(client.public.to_z85());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_policy(&self, policy: impl Fn(&ZapRequest<'_>) -> Verdict + Send + Sync + 'static) {
        locked(&self.hooks).policy = Some(PolicyHook::Now(Arc::new(policy)));
    }

    /// Lets `policy` decide every request that passes the address rules,
    /// later: the thread hands it the request and goes on with others. The
    /// async policy of `zmq::tokio` is built on this.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn set_deferred_policy(&self, policy: Arc<DeferredPolicyFn>) {
        locked(&self.hooks).policy = Some(PolicyHook::Deferred(policy));
    }

    /// Removes the policy: the built-in rules decide again.
    pub fn clear_policy(&self) {
        locked(&self.hooks).policy = None;
    }

    /// Calls `log` with every decision (accepted or refused, with the reason
    /// and the peer; never a password), on the authenticator's thread after
    /// the reply is sent, like czmq's verbose `zauth`. A panic in it is
    /// caught and ignored. Replaces an earlier log.
    ///
    /// ```
    /// let ctx = zmq::Context::new();
    /// let auth = zmq::security::Authenticator::start(&ctx)?;
    /// auth.on_decision(|decision| eprintln!("zap: {decision}"));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn on_decision(&self, log: impl Fn(&Decision) + Send + Sync + 'static) {
        locked(&self.hooks).log = Some(Arc::new(log));
    }

    /// Forgets the allow or deny list: every address may connect again.
    pub fn clear_addresses(&self) {
        locked(&self.policy).addresses = AddressRule::Any;
    }

    /// Adds (or changes) a PLAIN user of a ZAP domain ([`ANY_DOMAIN`] for all
    /// domains without users of their own, including sockets with no domain).
    pub fn add_plain_user(&self, domain: &str, username: &str, password: &str) {
        locked(&self.policy)
            .plain
            .entry(domain.to_owned())
            .or_default()
            .insert(username.to_owned(), password.to_owned());
    }

    /// Removes a PLAIN user of a domain; returns whether it existed.
    pub fn remove_plain_user(&self, domain: &str, username: &str) -> bool {
        let mut policy = locked(&self.policy);
        let Some(users) = policy.plain.get_mut(domain) else {
            return false;
        };
        let existed = users.remove(username).is_some();
        if users.is_empty() {
            policy.plain.remove(domain);
        }
        existed
    }

    /// Replaces the PLAIN users of a domain with `(username, password)` pairs.
    pub fn set_plain_users<U, P>(&self, domain: &str, users: impl IntoIterator<Item = (U, P)>)
    where
        U: Into<String>,
        P: Into<String>,
    {
        let users: HashMap<String, String> = users
            .into_iter()
            .map(|(u, p)| (u.into(), p.into()))
            .collect();
        locked(&self.policy).plain.insert(domain.to_owned(), users);
    }

    /// Accepts every CURVE client of a domain: encryption without
    /// authentication by key (the "Stonehouse" pattern still checks addresses).
    pub fn curve_allow_any(&self, domain: &str) {
        locked(&self.policy)
            .curve
            .insert(domain.to_owned(), CurveRule::AllowAny);
    }

    /// Accepts a CURVE client key in a domain (replacing an allow-any rule).
    pub fn curve_allow_key(&self, domain: &str, key: &PublicKey) {
        self.curve_allow_keys_with(domain, [(*key, Vec::new())]);
    }

    /// Accepts the public key of a certificate in a domain; the
    /// certificate's metadata is sent with the ZAP reply, so the client's
    /// messages carry it as properties.
    pub fn curve_allow_certificate(&self, domain: &str, certificate: &Certificate) -> Result<()> {
        let metadata = encode_metadata(certificate.metadata_entries())?;
        self.curve_allow_keys_with(domain, [(*certificate.public_key(), metadata)]);
        Ok(())
    }

    fn curve_allow_keys_with(
        &self,
        domain: &str,
        keys: impl IntoIterator<Item = (PublicKey, Vec<u8>)>,
    ) {
        let mut policy = locked(&self.policy);
        let rule = policy
            .curve
            .entry(domain.to_owned())
            .or_insert_with(|| CurveRule::Keys(HashMap::new()));
        if let CurveRule::AllowAny = rule {
            *rule = CurveRule::Keys(HashMap::new());
        }
        if let CurveRule::Keys(allowed) = rule {
            allowed.extend(keys);
        }
    }

    /// Stops accepting a CURVE client key in a domain; returns whether it was
    /// listed.
    pub fn curve_remove_key(&self, domain: &str, key: &PublicKey) -> bool {
        match locked(&self.policy).curve.get_mut(domain) {
            Some(CurveRule::Keys(keys)) => keys.remove(key).is_some(),
            _ => false,
        }
    }

    /// Makes the public certificates (`*.key` files) of a directory the
    /// allowed CURVE keys of a domain, replacing its earlier keys, and
    /// returns how many were loaded. Their metadata travels with the ZAP
    /// reply. Call it again after the directory changes.
    pub fn curve_allow_certificates(
        &self,
        domain: &str,
        dir: impl AsRef<Path>,
    ) -> std::result::Result<usize, CertificateError> {
        let certificates = load_certificates(dir)?;
        let mut keys = HashMap::with_capacity(certificates.len());
        for cert in &certificates {
            let metadata = encode_metadata(cert.metadata_entries()).map_err(|e| {
                CertificateError::Metadata {
                    name: e.detail().unwrap_or_default().to_owned(),
                    reason: "cannot be sent as ZAP metadata",
                }
            })?;
            keys.insert(*cert.public_key(), metadata);
        }
        let count = keys.len();
        locked(&self.policy)
            .curve
            .insert(domain.to_owned(), CurveRule::Keys(keys));
        Ok(count)
    }

    /// Refuses every CURVE client of a domain (the state before any CURVE
    /// setting; [`ANY_DOMAIN`] may still apply).
    pub fn curve_clear(&self, domain: &str) {
        locked(&self.policy).curve.remove(domain);
    }

    /// Sets the metadata sent with every accepted handshake whose User-Id is
    /// `user_id` (a PLAIN username, a CURVE Z85 public key, or `""` for NULL);
    /// it arrives on the peer's messages as properties. Replaces earlier
    /// metadata of that user (and, for CURVE, its certificate's). Names are 1
    /// to 255 bytes; names and values hold no NUL; libzmq's own property
    /// names (`Socket-Type`, `Identity`, `User-Id`, `Peer-Address`,
    /// `Routing-Id`) are refused.
    ///
    /// ```
    /// # let ctx = zmq::Context::new();
    /// # let auth = zmq::security::Authenticator::start(&ctx)?;
    /// auth.set_metadata("admin", [("Role", "operator"), ("X-Team", "ops")])?;
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn set_metadata<N, V>(
        &self,
        user_id: &str,
        entries: impl IntoIterator<Item = (N, V)>,
    ) -> Result<()>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let entries: Vec<(N, V)> = entries.into_iter().collect();
        let encoded = encode_metadata(entries.iter().map(|(n, v)| (n.as_ref(), v.as_ref())))?;
        locked(&self.policy)
            .metadata
            .insert(user_id.to_owned(), encoded);
        Ok(())
    }

    /// Removes the metadata of a User-Id.
    pub fn clear_metadata(&self, user_id: &str) {
        locked(&self.policy).metadata.remove(user_id);
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
