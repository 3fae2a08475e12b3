//! The ZAP authenticator (RFC 27): a background thread that answers libzmq's
//! authentication requests for every socket of a context.

use super::address_rule::AddressPattern;
use super::cert::{load_certificates, Certificate, CertificateError};
use super::keys::PublicKey;
use super::zap_policy::{Credentials, Decision, Password, Verdict, ZapRequest};
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::poll::{poll, PollEvents, PollItem};
use crate::socket::{Socket, SocketType};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// The endpoint libzmq sends ZAP requests to (RFC 27).
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The domain name that stands for every domain without settings of its own.
pub const ANY_DOMAIN: &str = "*";

const ZAP_VERSION: &[u8] = b"1.0";

/// Which peer addresses may connect at all.
#[derive(Debug, Default)]
enum AddressRule {
    #[default]
    Any,
    Allow(Vec<AddressPattern>),
    Deny(Vec<AddressPattern>),
}

/// A policy: decides each request after the address rules.
type PolicyFn = dyn Fn(&ZapRequest<'_>) -> Verdict + Send + Sync;
/// A decision log.
type DecisionFn = dyn Fn(&Decision) + Send + Sync;

/// The code the authenticator calls; shared with its thread, and cloned out
/// of the lock before a call, so a hook may reconfigure the authenticator.
#[derive(Default)]
struct Hooks {
    policy: Option<Arc<PolicyFn>>,
    log: Option<Arc<DecisionFn>>,
}

/// How CURVE clients of one domain are authenticated.
#[derive(Debug)]
enum CurveRule {
    AllowAny,
    /// Allowed keys, each with the ZAP metadata its certificate carries.
    Keys(HashMap<PublicKey, Vec<u8>>),
}

/// Everything the authenticator decides with; shared with its thread.
#[derive(Debug, Default)]
struct Policy {
    addresses: AddressRule,
    /// domain -> username -> password.
    plain: HashMap<String, HashMap<String, String>>,
    curve: HashMap<String, CurveRule>,
    /// User-Id -> encoded ZAP metadata.
    metadata: HashMap<String, Vec<u8>>,
}

impl Policy {
    fn domain<'a, T>(map: &'a HashMap<String, T>, domain: &str) -> Option<&'a T> {
        map.get(domain).or_else(|| map.get(ANY_DOMAIN))
    }
}

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
/// 2. NULL: accepted. libzmq asks the ZAP handler about NULL connections only
///    on sockets with a ZAP domain ([`Socket::set_zap_domain`]).
/// 3. PLAIN: the username and password must be configured for the socket's
///    ZAP domain (or for [`ANY_DOMAIN`]). The User-Id is the username.
/// 4. CURVE: the domain (or [`ANY_DOMAIN`]) must allow any key or list the
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
    policy: Arc<Mutex<Policy>>,
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

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The policy is plain data, valid after any panic: a poisoned lock is
    // still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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

        let policy = Arc::new(Mutex::new(Policy::default()));
        let hooks = Arc::new(Mutex::new(Hooks::default()));
        let (thread_policy, thread_hooks) = (Arc::clone(&policy), Arc::clone(&hooks));
        let thread = std::thread::Builder::new()
            .name("zmq-authenticator".into())
            .spawn(move || serve(zap, thread_control, &thread_policy, &thread_hooks))
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
    /// goes on. Replaces an earlier policy.
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
        locked(&self.hooks).policy = Some(Arc::new(policy));
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

/// Encodes properties as ZMTP metadata: for each, a 1-byte name length, the
/// name, a 4-byte big-endian value length, the value.
fn encode_metadata<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Vec<u8>> {
    const RESERVED: [&str; 5] = [
        "Socket-Type",
        "Identity",
        "User-Id",
        "Peer-Address",
        "Routing-Id",
    ];
    let mut out = Vec::new();
    for (name, value) in entries {
        let invalid = |why: &str| {
            Error::with_kind(ErrorKind::InvalidInput, "ZAP metadata")
                .context(&format!("{name:?}: {why}"))
        };
        let name_len = u8::try_from(name.len())
            .ok()
            .filter(|&len| len > 0)
            .ok_or_else(|| invalid("a name is 1 to 255 bytes"))?;
        if name.contains('\0') || value.contains('\0') {
            return Err(invalid("contains a NUL byte"));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(invalid("libzmq sets this property itself"));
        }
        let value_len = u32::try_from(value.len()).map_err(|_| invalid("value too long"))?;
        out.push(name_len);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&value_len.to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    Ok(out)
}

/// The authenticator thread: answers ZAP requests until told to stop over
/// `control` or until the context is shut down.
fn serve(zap: Socket, control: Socket, policy: &Mutex<Policy>, hooks: &Mutex<Hooks>) {
    loop {
        let (zap_ready, control_ready) = {
            let mut items = [
                PollItem::socket(&zap, PollEvents::POLLIN),
                PollItem::socket(&control, PollEvents::POLLIN),
            ];
            if poll(&mut items, None).is_err() {
                // ETERM: the context is shutting down.
                break;
            }
            (items[0].is_readable(), items[1].is_readable())
        };
        if control_ready {
            break;
        }
        if !zap_ready {
            continue;
        }
        let request = match zap.try_recv_multipart() {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(e) if e.is_terminated() => break,
            Err(_) => continue,
        };
        let (user_policy, log) = {
            let hooks = locked(hooks);
            (hooks.policy.clone(), hooks.log.clone())
        };
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decide(&request, policy, user_policy.as_deref())
        }))
        .unwrap_or_else(|_| {
            let (envelope, body) = split_envelope(&request);
            ZapReply::refuse(envelope, body.get(1), 500, "internal error")
        });
        let decision = log.as_ref().map(|_| record(&request, &reply));
        let frames = reply.into_frames();
        // A ROUTER drops a reply to a peer that is gone; only ETERM matters.
        if let Err(e) = zap.send_multipart(frames) {
            if e.is_terminated() {
                break;
            }
        }
        if let (Some(log), Some(decision)) = (log, decision) {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| log(&decision)));
        }
    }
    // Unbind at once (closing alone unregisters later, on libzmq's reaper
    // thread) so that no handshake after stop() is sent here.
    let _ = zap.unbind(ZAP_ENDPOINT);
}

/// Decides one request: the address rules, then the user's policy if there
/// is one (called with no lock held), then the built-in rules.
fn decide<'a>(
    frames: &'a [Message],
    policy: &Mutex<Policy>,
    user_policy: Option<&PolicyFn>,
) -> ZapReply<'a> {
    if let Some(user_policy) = user_policy {
        let (envelope, body) = split_envelope(frames);
        // Malformed requests and refused addresses never reach the policy.
        if let Some(request) = parse_request(body) {
            if let Some(refused) = check_address(envelope, body, &locked(policy), request.address) {
                return refused;
            }
            let verdict =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| user_policy(&request)))
                    .unwrap_or_else(|_| Verdict::Deny {
                        status: 500,
                        text: "policy failed".into(),
                    });
            match verdict {
                Verdict::Allow { user_id, metadata } => {
                    let pairs = metadata.iter().map(|(n, v)| (n.as_str(), v.as_str()));
                    return match encode_metadata(pairs) {
                        Ok(metadata) => ZapReply {
                            envelope,
                            request_id: body[1].to_vec(),
                            status: 200,
                            text: Cow::Borrowed("OK"),
                            user_id: user_id.into_bytes(),
                            metadata,
                        },
                        Err(_) => ZapReply::refuse(
                            envelope,
                            body.get(1),
                            500,
                            "policy gave metadata that cannot be encoded",
                        ),
                    };
                }
                Verdict::Deny { status, text } => {
                    let status = if matches!(status, 300 | 400 | 500) {
                        status
                    } else {
                        400
                    };
                    let mut reply = ZapReply::refuse(envelope, body.get(1), status, "");
                    reply.text = Cow::Owned(text);
                    return reply;
                }
                Verdict::UseRules => {}
            }
        }
    }
    answer(frames, &locked(policy))
}

/// A well-formed request's fields, for a policy; `None` when the built-in
/// rules must refuse it as malformed.
fn parse_request(body: &[Message]) -> Option<ZapRequest<'_>> {
    if body.len() < 6 || body[0] != *ZAP_VERSION {
        return None;
    }
    let credentials = match (&body[5][..], &body[6..]) {
        (b"NULL", []) => Credentials::Null,
        (b"PLAIN", [username, password]) => Credentials::Plain {
            username: std::str::from_utf8(username).ok()?,
            password: Password(password),
        },
        (b"CURVE", [key]) => Credentials::Curve {
            public_key: PublicKey::from_bytes(<[u8; 32]>::try_from(&key[..]).ok()?),
        },
        _ => return None,
    };
    Some(ZapRequest {
        domain: std::str::from_utf8(&body[2]).ok()?,
        address: std::str::from_utf8(&body[3]).ok()?,
        routing_id: &body[4],
        credentials,
    })
}

/// The refusal of the address rules, if they refuse `address`.
fn check_address<'a>(
    envelope: &'a [Message],
    body: &[Message],
    policy: &Policy,
    address: &str,
) -> Option<ZapReply<'a>> {
    let text = match &policy.addresses {
        AddressRule::Allow(allowed) if !allowed.iter().any(|p| p.matches(address)) => {
            "address not allowed"
        }
        AddressRule::Deny(denied) if denied.iter().any(|p| p.matches(address)) => "address denied",
        _ => return None,
    };
    Some(ZapReply::refuse(envelope, body.get(1), 400, text))
}

/// What the decision log is told about a request and its reply.
fn record(frames: &[Message], reply: &ZapReply<'_>) -> Decision {
    let (_, body) = split_envelope(frames);
    let text = |index: usize| {
        body.get(index)
            .map(|f| String::from_utf8_lossy(f).chars().take(64).collect())
            .unwrap_or_default()
    };
    let mechanism: String = text(5);
    let identity = match (mechanism.as_str(), body.get(6)) {
        ("PLAIN", Some(_)) => text(6),
        ("CURVE", Some(key)) => <[u8; 32]>::try_from(&key[..])
            .map(|k| PublicKey::from_bytes(k).to_z85())
            .unwrap_or_default(),
        _ => String::new(),
    };
    Decision {
        allowed: reply.status == 200,
        status: reply.status,
        reason: reply.text.to_string(),
        domain: text(2),
        address: text(3),
        mechanism,
        identity,
        user_id: String::from_utf8_lossy(&reply.user_id).into_owned(),
    }
}

/// A ZAP reply, with the ROUTER envelope of its request.
struct ZapReply<'a> {
    envelope: &'a [Message],
    request_id: Vec<u8>,
    status: u16,
    text: Cow<'static, str>,
    user_id: Vec<u8>,
    metadata: Vec<u8>,
}

impl<'a> ZapReply<'a> {
    fn refuse(
        envelope: &'a [Message],
        request_id: Option<&Message>,
        status: u16,
        text: &'static str,
    ) -> ZapReply<'a> {
        ZapReply {
            envelope,
            request_id: request_id.map(|m| m.to_vec()).unwrap_or_default(),
            status,
            text: Cow::Borrowed(text),
            user_id: Vec::new(),
            metadata: Vec::new(),
        }
    }

    fn into_frames(self) -> Vec<Vec<u8>> {
        let mut frames: Vec<Vec<u8>> = self.envelope.iter().map(|m| m.to_vec()).collect();
        frames.extend([
            ZAP_VERSION.to_vec(),
            self.request_id,
            self.status.to_string().into_bytes(),
            self.text.as_bytes().to_vec(),
            self.user_id,
            self.metadata,
        ]);
        frames
    }
}

/// Splits a ROUTER message into its envelope (routing ids up to and
/// including the empty delimiter) and the ZAP request. Without a delimiter
/// the envelope is the routing id alone.
fn split_envelope(frames: &[Message]) -> (&[Message], &[Message]) {
    match frames.iter().position(|f| f.is_empty()) {
        Some(delimiter) => frames.split_at(delimiter + 1),
        None => frames.split_at(frames.len().min(1)),
    }
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The authenticator's decision on raw ZAP request frames (envelope
/// included), with one PLAIN user `admin`/`secret`: the reply frames. Only
/// for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub fn answer_zap_request_for_fuzzing(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut policy = Policy::default();
    let mut users = HashMap::new();
    users.insert("admin".to_owned(), "secret".to_owned());
    policy.plain.insert(ANY_DOMAIN.to_owned(), users);
    let frames: Vec<Message> = frames.iter().map(|f| Message::from_slice(f)).collect();
    answer(&frames, &policy).into_frames()
}

/// Decides one ZAP request (RFC 27): version, request id, domain, address,
/// identity, mechanism, credentials...
fn answer<'a>(frames: &'a [Message], policy: &Policy) -> ZapReply<'a> {
    let (envelope, body) = split_envelope(frames);
    let refuse = |text| ZapReply::refuse(envelope, body.get(1), 400, text);
    if body.len() < 6 {
        return refuse("malformed request: fewer than 6 frames");
    }
    if body[0] != *ZAP_VERSION {
        return refuse("unsupported ZAP version");
    }
    let domain = String::from_utf8_lossy(&body[2]);
    let address = String::from_utf8_lossy(&body[3]);
    let mechanism = &body[5][..];
    let credentials = &body[6..];

    if let Some(refused) = check_address(envelope, body, policy, &address) {
        return refused;
    }

    let (user_id, key_metadata): (Vec<u8>, &[u8]) = match mechanism {
        b"NULL" => {
            if !credentials.is_empty() {
                return refuse("malformed request: NULL has no credentials");
            }
            (Vec::new(), &[])
        }
        b"PLAIN" => {
            let [username, password] = credentials else {
                return refuse("malformed request: PLAIN needs a username and a password");
            };
            let Some(users) = Policy::domain(&policy.plain, &domain) else {
                return refuse("no PLAIN users for this domain");
            };
            let Some(expected) = std::str::from_utf8(username)
                .ok()
                .and_then(|u| users.get(u))
            else {
                return refuse("unknown user");
            };
            if !constant_time_eq(expected.as_bytes(), password) {
                return refuse("wrong password");
            }
            (username.to_vec(), &[])
        }
        b"CURVE" => {
            let [key] = credentials else {
                return refuse("malformed request: CURVE needs one public key");
            };
            let Ok(key) = <[u8; 32]>::try_from(&key[..]) else {
                return refuse("malformed request: a CURVE key is 32 bytes");
            };
            let key = PublicKey::from_bytes(key);
            let metadata: &[u8] = match Policy::domain(&policy.curve, &domain) {
                None => return refuse("no CURVE keys for this domain"),
                Some(CurveRule::AllowAny) => &[],
                Some(CurveRule::Keys(keys)) => match keys.get(&key) {
                    Some(metadata) => metadata,
                    None => return refuse("key not allowed"),
                },
            };
            (key.to_z85().into_bytes(), metadata)
        }
        _ => return refuse("unsupported mechanism"),
    };

    let metadata = std::str::from_utf8(&user_id)
        .ok()
        .and_then(|id| policy.metadata.get(id))
        .map(Vec::as_slice)
        .unwrap_or(key_metadata)
        .to_vec();
    ZapReply {
        envelope,
        request_id: body[1].to_vec(),
        status: 200,
        text: Cow::Borrowed("OK"),
        user_id,
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(frames: &[&[u8]]) -> Vec<Message> {
        frames.iter().map(|f| Message::from_slice(f)).collect()
    }

    fn reply_of(frames: &[&[u8]], policy: &Policy) -> (String, Vec<u8>, Vec<Vec<u8>>) {
        let req = request(frames);
        let reply = answer(&req, policy).into_frames();
        let status = String::from_utf8(reply[reply.len() - 4].clone()).unwrap();
        let user = reply[reply.len() - 2].clone();
        (status, user, reply)
    }

    #[test]
    fn metadata_is_zmtp_encoded() {
        let encoded = encode_metadata([("Hello", "World")]).unwrap();
        assert_eq!(encoded, b"\x05Hello\x00\x00\x00\x05World");
        assert!(encode_metadata([("", "x")]).is_err());
        assert!(encode_metadata([("Socket-Type", "REQ")]).is_err());
        assert!(encode_metadata([("a".repeat(256).as_str(), "x")]).is_err());
    }

    #[test]
    fn malformed_requests_get_400_with_the_envelope_kept() {
        let policy = Policy::default();
        let (status, _, reply) = reply_of(&[b"peer", b"", b"1.0", b"7"], &policy);
        assert_eq!(status, "400");
        assert_eq!(reply[0], b"peer");
        assert_eq!(reply[1], b"");
        assert_eq!(reply[3], b"7");
        let (status, _, _) = reply_of(
            &[b"peer", b"", b"2.0", b"1", b"", b"1.2.3.4", b"", b"NULL"],
            &policy,
        );
        assert_eq!(status, "400");
        let (status, _, reply) = reply_of(&[b"peer"], &policy);
        assert_eq!(status, "400");
        assert_eq!(reply.len(), 7);
        let (status, _, _) = reply_of(
            &[
                b"peer", b"", b"1.0", b"1", b"", b"1.2.3.4", b"", b"CURVE", b"short",
            ],
            &policy,
        );
        assert_eq!(status, "400");
    }

    #[test]
    fn plain_domains_fall_back_to_any_domain() {
        let mut policy = Policy::default();
        policy.plain.insert(
            ANY_DOMAIN.into(),
            HashMap::from([("admin".into(), "secret".into())]),
        );
        let ok = [
            &b"id"[..],
            b"",
            b"1.0",
            b"1",
            b"global",
            b"127.0.0.1",
            b"",
            b"PLAIN",
            b"admin",
            b"secret",
        ];
        let (status, user, _) = reply_of(&ok, &policy);
        assert_eq!((status.as_str(), &user[..]), ("200", &b"admin"[..]));
        let wrong = [
            &b"id"[..],
            b"",
            b"1.0",
            b"1",
            b"global",
            b"127.0.0.1",
            b"",
            b"PLAIN",
            b"admin",
            b"nope",
        ];
        assert_eq!(reply_of(&wrong, &policy).0, "400");
    }
}
