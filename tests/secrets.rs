//! Secret keys stay secret: secret files end 0600, and no error or `Debug`
//! text quotes secret key material (issue 11 item 5), plus the smaller
//! safety checks of item 6.

use rand::{Rng, SeedableRng};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use zmq::security::{Certificate, CurveKeyPair};
use zmq::{Context, ErrorKind, SocketType};

// Unix modes; on Windows the secret file's owner-only ACL is checked by
// the unit test secret_files_get_an_owner_only_acl_on_windows (src/security/cert.rs).
#[cfg(unix)]
#[test]
fn save_secret_over_a_world_readable_file_leaves_it_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.key_secret");
    std::fs::write(&path, "old, public text").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cert = Certificate::generate().unwrap();
    cert.save_secret(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let loaded = Certificate::load(&path).unwrap();
    assert_eq!(loaded.public_key(), cert.public_key());
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Every 8-character window of the secret's Z85 text: no error may contain one.
fn fragments(secret: &str) -> Vec<&str> {
    (0..=secret.len() - 8).map(|i| &secret[i..i + 8]).collect()
}

fn damage(text: &str, rng: &mut impl Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..5) {
            0 => bytes[at] = rng.random_range(0x20..0x7f),
            1 => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, b"=\"'#\t\n "[rng.random_range(0..7)]),
            3 => bytes[at] = b'"',
            _ => bytes[at] = b' ',
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn damaged_certificates_never_quote_the_secret_key() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut failures = 0;
    for round in 0..50 {
        let cert = Certificate::generate().unwrap();
        let text = cert.to_secret_zpl().unwrap();
        let secret = cert.secret_key().unwrap().to_string();
        assert!(text.contains(&secret));
        let pieces = fragments(&secret);
        for _ in 0..200 {
            let damaged = damage(&text, &mut rng);
            let Err(err) = Certificate::parse(&damaged) else {
                continue;
            };
            failures += 1;
            for shown in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
                for piece in &pieces {
                    assert!(
                        !shown.contains(piece),
                        "round {round}: error quotes the secret ({piece}): {shown}"
                    );
                }
            }
        }
    }
    assert!(
        failures > 1_000,
        "only {failures} damaged files failed to parse"
    );
}

#[test]
fn debug_output_hides_secret_keys() {
    let pair = CurveKeyPair::generate().unwrap();
    let secret = pair.secret.to_string();
    let cert = Certificate::generate().unwrap();
    let cert_secret = cert.secret_key().unwrap().to_string();
    for (shown, secret) in [
        (format!("{pair:?}"), &secret),
        (format!("{:?}", pair.secret), &secret),
        (format!("{cert:?}"), &cert_secret),
    ] {
        for piece in fragments(secret) {
            assert!(!shown.contains(piece), "{shown}");
        }
    }
}

#[test]
fn empty_plain_credentials_are_refused_with_the_reason() {
    let ctx = Context::new();
    let client = ctx.socket(SocketType::Req).unwrap();
    for (user, password, what) in [("admin", "", "password"), ("", "secret", "username")] {
        let err = client.plain_client(user, password).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let text = err.to_string();
        assert!(text.contains(&format!("empty PLAIN {what}")), "{text}");
        assert!(text.contains("NULL"), "{text}");
    }
}

#[test]
fn try_send_accepts_a_borrowed_slice_and_hands_a_copy_back() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.bind("inproc://try-send-borrowed").unwrap();
    let buf: Vec<u8> = (1..=3).collect();
    let back = push.try_send(&buf[..]).unwrap();
    assert_eq!(back.unwrap(), &buf[..]);
    let text = String::from("abc");
    let back = push.try_send(text.as_str()).unwrap();
    assert_eq!(back.unwrap(), "abc");
}
