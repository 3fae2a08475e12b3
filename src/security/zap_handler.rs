//! The authenticator's thread: how one ZAP request (RFC 27) is answered. A
//! request is parsed, checked against the address rules, put to the user's
//! policy (at once, or handed out and answered later: the async policy), and
//! otherwise decided by the built-in rules; the reply goes back with the
//! request's envelope, and the decision log hears of it.
//!
//! libzmq gives every handshake its own pipe to the ZAP endpoint and one
//! request at a time on it (request id `"1"`; `zap_client.cpp` checks the
//! reply's id and status and nothing about order across pipes), so replies
//! to different handshakes may go back in any order: a slow policy holds
//! back only its own handshake.

use super::keys::PublicKey;
use super::rules::{answer, check_address, encode_metadata, Rules};
use super::zap_policy::{Credentials, Decision, OwnedZapRequest, Password, Verdict, ZapRequest};
use super::ZAP_ENDPOINT;
use crate::message::Message;
use crate::poll::{poll, PollEvents, PollItem};
use crate::socket::Socket;
use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

pub(super) const ZAP_VERSION: &[u8] = b"1.0";

/// How many wake-up messages one turn of the thread drains before it looks
/// at the other sockets again.
const WAKES_PER_TURN: usize = 1024;

/// A policy that answers at once, on the authenticator's thread.
pub(super) type PolicyFn = dyn Fn(&ZapRequest<'_>) -> Verdict + Send + Sync;
/// A policy that answers later: it gets the request and a [`PendingVerdict`]
/// to complete from any thread.
pub(crate) type DeferredPolicyFn = dyn Fn(OwnedZapRequest, PendingVerdict) + Send + Sync;
/// A decision log.
pub(super) type DecisionFn = dyn Fn(&Decision) + Send + Sync;

/// The user's policy, in one of its two forms.
#[derive(Clone)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(super) enum PolicyHook {
    Now(Arc<PolicyFn>),
    Deferred(Arc<DeferredPolicyFn>),
}

/// The code the authenticator calls; shared with its thread, and cloned out
/// of the lock before a call, so a hook may reconfigure the authenticator.
#[derive(Default)]
pub(super) struct Hooks {
    pub(super) policy: Option<PolicyHook>,
    pub(super) log: Option<Arc<DecisionFn>>,
}

pub(super) fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The rules and hooks are plain data, valid after any panic: a poisoned
    // lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The way back to the thread for verdicts given later: a channel, and an
/// inproc PUSH whose message wakes the thread's poll. The thread takes the
/// PUSH away (closing it) when it ends, so a verdict that comes too late
/// holds no socket of the context open.
pub(super) struct Completions {
    verdicts: mpsc::Sender<(u64, Verdict)>,
    wake: Mutex<Option<Socket>>,
}

impl Completions {
    pub(super) fn new(wake: Socket) -> (Arc<Completions>, mpsc::Receiver<(u64, Verdict)>) {
        let (verdicts, received) = mpsc::channel();
        let completions = Completions {
            verdicts,
            wake: Mutex::new(Some(wake)),
        };
        (Arc::new(completions), received)
    }

    fn send(&self, token: u64, verdict: Verdict) {
        // The thread has ended when the channel is closed: nobody waits.
        if self.verdicts.send((token, verdict)).is_err() {
            return;
        }
        // Sent after the verdict, so the thread, which drains the wake-ups
        // before the channel, always finds it. A full queue (EAGAIN) means
        // a wake-up is already waiting; a closed PUSH, that the thread ended.
        if let Some(wake) = locked(&self.wake).as_ref() {
            let _ = wake.send_with(&b""[..], crate::SendFlags::DONTWAIT);
        }
    }
}

/// A verdict owed to one handshake. [`complete`](Self::complete) answers it;
/// dropping it unanswered refuses the handshake with status 500, so no
/// handshake waits forever on a task that was cancelled or never ran.
pub(crate) struct PendingVerdict {
    token: u64,
    completions: Arc<Completions>,
    answered: bool,
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl PendingVerdict {
    /// Sends `verdict` back to the authenticator's thread, which replies.
    pub(crate) fn complete(mut self, verdict: Verdict) {
        self.answered = true;
        self.completions.send(self.token, verdict);
    }
}

impl Drop for PendingVerdict {
    fn drop(&mut self) {
        if !self.answered {
            self.completions.send(
                self.token,
                Verdict::Deny {
                    status: 500,
                    text: "policy dropped the request".into(),
                },
            );
        }
    }
}

/// The thread's sockets and shared state.
pub(super) struct Handler {
    pub(super) zap: Socket,
    pub(super) control: Socket,
    pub(super) wake: Socket,
    pub(super) completions: Arc<Completions>,
    pub(super) verdicts: mpsc::Receiver<(u64, Verdict)>,
    pub(super) rules: Arc<Mutex<Rules>>,
    pub(super) hooks: Arc<Mutex<Hooks>>,
}

/// Whether the thread goes on.
enum Flow {
    Go,
    Stop,
}

impl Handler {
    /// Answers ZAP requests until told to stop over `control` or until the
    /// context is shut down.
    pub(super) fn serve(self) {
        // Requests handed to a deferred policy, by token.
        let mut in_flight: HashMap<u64, Vec<Message>> = HashMap::new();
        let mut next_token = 0u64;
        loop {
            let mut items = [
                PollItem::socket(&self.zap, PollEvents::POLLIN),
                PollItem::socket(&self.control, PollEvents::POLLIN),
                PollItem::socket(&self.wake, PollEvents::POLLIN),
            ];
            if poll(&mut items, None).is_err() {
                // ETERM: the context is shutting down.
                break;
            }
            let ready = [0, 1, 2].map(|i| items[i].is_readable());
            if ready[1] {
                break;
            }
            if ready[2] && matches!(self.deliver_verdicts(&mut in_flight), Flow::Stop) {
                break;
            }
            if ready[0]
                && matches!(
                    self.take_request(&mut in_flight, &mut next_token),
                    Flow::Stop
                )
            {
                break;
            }
        }
        // Handshakes still waiting for a deferred policy are refused now
        // rather than left to libzmq's handshake timeout.
        for frames in in_flight.into_values() {
            let (envelope, body) = split_envelope(&frames);
            let reply = ZapReply::refuse(envelope, body.get(1), 500, "authenticator stopped");
            self.send_and_log(&frames, reply);
        }
        // Later verdicts find no PUSH to wake anyone with.
        locked(&self.completions.wake).take();
        // Unbind at once (closing alone unregisters later, on libzmq's
        // reaper thread) so that no handshake after stop() is sent here.
        let _ = self.zap.unbind(ZAP_ENDPOINT);
    }

    /// Receives one request and answers it, or hands it to a deferred policy.
    fn take_request(&self, in_flight: &mut HashMap<u64, Vec<Message>>, next: &mut u64) -> Flow {
        let request = match self.zap.try_recv_multipart() {
            Ok(Some(request)) => request,
            Ok(None) => return Flow::Go,
            Err(e) if e.is_terminated() => return Flow::Stop,
            Err(_) => return Flow::Go,
        };
        let hook = locked(&self.hooks).policy.clone();
        let screened = catch_unwind(AssertUnwindSafe(|| match &hook {
            None => Ok(answer(&request, &locked(&self.rules))),
            Some(PolicyHook::Now(policy)) => Ok(decide_now(&request, &self.rules, &**policy)),
            Some(PolicyHook::Deferred(_)) => screen(&request, &self.rules),
        }));
        let reply = match (screened, hook) {
            (Ok(Ok(reply)), _) => reply,
            (Ok(Err(owned)), Some(PolicyHook::Deferred(policy))) => {
                let token = *next;
                *next = next.wrapping_add(1);
                let pending = PendingVerdict {
                    token,
                    completions: Arc::clone(&self.completions),
                    answered: false,
                };
                in_flight.insert(token, request);
                // A panic drops `pending`, which refuses the handshake.
                let _ = catch_unwind(AssertUnwindSafe(|| policy(owned, pending)));
                return Flow::Go;
            }
            _ => {
                let (envelope, body) = split_envelope(&request);
                ZapReply::refuse(envelope, body.get(1), 500, "internal error")
            }
        };
        self.send_and_log(&request, reply)
    }

    /// Answers the requests whose deferred verdicts have come back.
    fn deliver_verdicts(&self, in_flight: &mut HashMap<u64, Vec<Message>>) -> Flow {
        for _ in 0..WAKES_PER_TURN {
            match self.wake.try_recv() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) if e.is_terminated() => return Flow::Stop,
                Err(_) => break,
            }
        }
        while let Ok((token, verdict)) = self.verdicts.try_recv() {
            let Some(request) = in_flight.remove(&token) else {
                continue;
            };
            let reply = catch_unwind(AssertUnwindSafe(|| {
                reply_to_verdict(&request, verdict, &self.rules)
            }))
            .unwrap_or_else(|_| {
                let (envelope, body) = split_envelope(&request);
                ZapReply::refuse(envelope, body.get(1), 500, "internal error")
            });
            if let Flow::Stop = self.send_and_log(&request, reply) {
                return Flow::Stop;
            }
        }
        Flow::Go
    }

    /// Sends `reply` to libzmq, then tells the decision log.
    fn send_and_log(&self, request: &[Message], reply: ZapReply<'_>) -> Flow {
        let log = locked(&self.hooks).log.clone();
        let decision = log.as_ref().map(|_| record(request, &reply));
        // A ROUTER drops a reply to a peer that is gone; only ETERM matters.
        if let Err(e) = self.zap.send_multipart(reply.into_frames()) {
            if e.is_terminated() {
                return Flow::Stop;
            }
        }
        if let (Some(log), Some(decision)) = (log, decision) {
            let _ = catch_unwind(AssertUnwindSafe(|| log(&decision)));
        }
        Flow::Go
    }
}

/// What happens to a request before any policy: a malformed one is refused
/// by the built-in rules and a refused address is refused; otherwise the
/// request as a policy sees it.
fn screen<'a>(
    frames: &'a [Message],
    rules: &Mutex<Rules>,
) -> Result<ZapReply<'a>, OwnedZapRequest> {
    let (envelope, body) = split_envelope(frames);
    let Some(request) = parse_request(body) else {
        return Ok(answer(frames, &locked(rules)));
    };
    match check_address(envelope, body, &locked(rules), request.address) {
        Some(refused) => Ok(refused),
        None => Err(OwnedZapRequest::from(&request)),
    }
}

/// Decides one request with a policy that answers at once: the address
/// rules, then the policy (called with no lock held), then, if it defers,
/// the built-in rules.
fn decide_now<'a>(frames: &'a [Message], rules: &Mutex<Rules>, policy: &PolicyFn) -> ZapReply<'a> {
    let (envelope, body) = split_envelope(frames);
    // Malformed requests and refused addresses never reach the policy.
    let Some(request) = parse_request(body) else {
        return answer(frames, &locked(rules));
    };
    if let Some(refused) = check_address(envelope, body, &locked(rules), request.address) {
        return refused;
    }
    let verdict =
        catch_unwind(AssertUnwindSafe(|| policy(&request))).unwrap_or_else(|_| Verdict::Deny {
            status: 500,
            text: "policy failed".into(),
        });
    reply_to_verdict(frames, verdict, rules)
}

/// The reply to a request that passed the address rules, given a policy's
/// verdict.
fn reply_to_verdict<'a>(
    frames: &'a [Message],
    verdict: Verdict,
    rules: &Mutex<Rules>,
) -> ZapReply<'a> {
    let (envelope, body) = split_envelope(frames);
    match verdict {
        Verdict::Allow { user_id, metadata } => {
            let pairs = metadata.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            match encode_metadata(pairs) {
                Ok(metadata) => ZapReply {
                    envelope,
                    request_id: body.get(1).map(|m| m.to_vec()).unwrap_or_default(),
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
            }
        }
        Verdict::Deny { status, text } => {
            let status = if matches!(status, 300 | 400 | 500) {
                status
            } else {
                400
            };
            let mut reply = ZapReply::refuse(envelope, body.get(1), status, "");
            reply.text = Cow::Owned(text);
            reply
        }
        Verdict::UseRules => answer(frames, &locked(rules)),
    }
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
pub(super) struct ZapReply<'a> {
    pub(super) envelope: &'a [Message],
    pub(super) request_id: Vec<u8>,
    pub(super) status: u16,
    pub(super) text: Cow<'static, str>,
    pub(super) user_id: Vec<u8>,
    pub(super) metadata: Vec<u8>,
}

impl<'a> ZapReply<'a> {
    pub(super) fn refuse(
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

    pub(super) fn into_frames(self) -> Vec<Vec<u8>> {
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
pub(super) fn split_envelope(frames: &[Message]) -> (&[Message], &[Message]) {
    match frames.iter().position(|f| f.is_empty()) {
        Some(delimiter) => frames.split_at(delimiter + 1),
        None => frames.split_at(frames.len().min(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_request() -> Vec<Message> {
        [
            &b"peer"[..],
            b"",
            b"1.0",
            b"1",
            b"",
            b"127.0.0.1",
            b"",
            b"PLAIN",
            b"admin",
            b"secret",
        ]
        .iter()
        .map(|f| Message::from_slice(f))
        .collect()
    }

    fn status_and_text(reply: ZapReply<'_>) -> (String, String) {
        let frames = reply.into_frames();
        let n = frames.len();
        (
            String::from_utf8(frames[n - 4].clone()).unwrap(),
            String::from_utf8(frames[n - 3].clone()).unwrap(),
        )
    }

    #[test]
    fn a_deny_status_outside_300_400_500_is_sent_as_400() {
        let rules = Mutex::new(Rules::default());
        let request = plain_request();
        for (status, sent) in [
            (300, "300"),
            (400, "400"),
            (500, "500"),
            (401, "400"),
            (200, "400"),
        ] {
            let verdict = Verdict::Deny {
                status,
                text: "no".into(),
            };
            let reply = reply_to_verdict(&request, verdict, &rules);
            assert_eq!(status_and_text(reply), (sent.to_owned(), "no".to_owned()));
        }
    }

    #[test]
    fn metadata_that_cannot_be_encoded_refuses_with_500() {
        let rules = Mutex::new(Rules::default());
        let request = plain_request();
        let verdict = Verdict::allow("admin").with_metadata("User-Id", "forged");
        let reply = reply_to_verdict(&request, verdict, &rules);
        assert_eq!(status_and_text(reply).0, "500");
    }

    #[test]
    fn an_owned_request_keeps_the_fields_and_hides_the_password() {
        let request = plain_request();
        let (_, body) = split_envelope(&request);
        let owned = OwnedZapRequest::from(&parse_request(body).unwrap());
        assert_eq!((owned.address(), owned.mechanism()), ("127.0.0.1", "PLAIN"));
        match owned.credentials() {
            Credentials::Plain { username, password } => {
                assert_eq!(username, "admin");
                assert!(password.matches("secret"));
            }
            other => panic!("{other:?}"),
        }
        let printed = format!("{owned:?}");
        assert!(
            printed.contains("admin") && !printed.contains("secret"),
            "{printed}"
        );
    }
}
