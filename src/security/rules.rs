//! The authenticator's built-in rules: which addresses may connect, the
//! PLAIN users and CURVE keys of each ZAP domain, the metadata sent with an
//! accepted peer, and the decision they give on a ZAP request (RFC 27).

use super::address_rule::AddressPattern;
use super::keys::PublicKey;
use super::zap_handler::{split_envelope, ZapReply, ZAP_VERSION};
use super::ANY_DOMAIN;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use std::borrow::Cow;
use std::collections::HashMap;

/// Which peer addresses may connect at all.
#[derive(Debug, Default)]
pub(super) enum AddressRule {
    #[default]
    Any,
    Allow(Vec<AddressPattern>),
    Deny(Vec<AddressPattern>),
}

/// How CURVE clients of one domain are authenticated.
#[derive(Debug)]
pub(super) enum CurveRule {
    AllowAny,
    /// Allowed keys, each with the ZAP metadata its certificate carries.
    Keys(HashMap<PublicKey, Vec<u8>>),
}

/// Everything the authenticator decides with; shared with its thread.
#[derive(Debug, Default)]
pub(super) struct Rules {
    pub(super) addresses: AddressRule,
    /// domain -> username -> password.
    pub(super) plain: HashMap<String, HashMap<String, String>>,
    pub(super) curve: HashMap<String, CurveRule>,
    /// User-Id -> encoded ZAP metadata.
    pub(super) metadata: HashMap<String, Vec<u8>>,
}

impl Rules {
    pub(super) fn domain<'a, T>(map: &'a HashMap<String, T>, domain: &str) -> Option<&'a T> {
        map.get(domain).or_else(|| map.get(ANY_DOMAIN))
    }
}

/// Encodes properties as ZMTP metadata: for each, a 1-byte name length, the
/// name, a 4-byte big-endian value length, the value.
pub(super) fn encode_metadata<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<u8>> {
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

/// The refusal of the address rules, if they refuse `address`.
pub(super) fn check_address<'a>(
    envelope: &'a [Message],
    body: &[Message],
    policy: &Rules,
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

/// Compares secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The authenticator's decision on raw ZAP request frames (envelope
/// included), with one PLAIN user `admin`/`secret`: the reply frames. Only
/// for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub fn answer_zap_request_for_fuzzing(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut policy = Rules::default();
    let mut users = HashMap::new();
    users.insert("admin".to_owned(), "secret".to_owned());
    policy.plain.insert(ANY_DOMAIN.to_owned(), users);
    let frames: Vec<Message> = frames.iter().map(|f| Message::from_slice(f)).collect();
    answer(&frames, &policy).into_frames()
}

/// Decides one ZAP request (RFC 27): version, request id, domain, address,
/// identity, mechanism, credentials...
pub(super) fn answer<'a>(frames: &'a [Message], policy: &Rules) -> ZapReply<'a> {
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
            let Some(users) = Rules::domain(&policy.plain, &domain) else {
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
            let metadata: &[u8] = match Rules::domain(&policy.curve, &domain) {
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

    fn reply_of(frames: &[&[u8]], policy: &Rules) -> (String, Vec<u8>, Vec<Vec<u8>>) {
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
        let policy = Rules::default();
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
        let mut policy = Rules::default();
        policy.plain.insert(
            ANY_DOMAIN.into(),
            HashMap::from([("admin".into(), "secret".into())]),
        );
        // A PLAIN request for domain "global" from 127.0.0.1.
        let plain = |password: &'static [u8]| {
            [
                &b"id"[..],
                b"",
                b"1.0",
                b"1",
                b"global",
                b"127.0.0.1",
                b"",
                b"PLAIN",
                b"admin",
                password,
            ]
        };
        let (status, user, _) = reply_of(&plain(b"secret"), &policy);
        assert_eq!((status.as_str(), &user[..]), ("200", &b"admin"[..]));
        assert_eq!(reply_of(&plain(b"nope"), &policy).0, "400");
    }
}
