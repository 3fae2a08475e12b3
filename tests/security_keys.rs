//! CURVE keys: generation, derivation, Z85 text, and use as socket options.

use zmq::security::{CurveKeyPair, PublicKey, SecretKey};
use zmq::{Context, ErrorKind, SocketType};

const REFERENCE_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const REFERENCE_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

fn require_curve() {
    assert!(
        zmq::has("curve"),
        "this libzmq has no CURVE support; the security tests need it (build libzmq with libsodium)"
    );
}

#[test]
fn reference_secret_derives_reference_public() {
    require_curve();
    let secret: SecretKey = REFERENCE_SECRET.parse().unwrap();
    assert_eq!(secret.public_key().unwrap().to_string(), REFERENCE_PUBLIC);
    let pair = CurveKeyPair::from_secret(secret).unwrap();
    assert_eq!(pair.public, REFERENCE_PUBLIC.parse::<PublicKey>().unwrap());
}

#[test]
fn generated_pairs_are_distinct_and_consistent() {
    require_curve();
    let a = CurveKeyPair::generate().unwrap();
    let b = CurveKeyPair::generate().unwrap();
    assert_ne!(a.public, b.public);
    assert_eq!(a.secret.public_key().unwrap(), a.public);
    assert_eq!(b.secret.public_key().unwrap(), b.public);
}

#[test]
fn z85_text_and_bytes_round_trip() {
    let public: PublicKey = REFERENCE_PUBLIC.parse().unwrap();
    assert_eq!(public.to_string(), REFERENCE_PUBLIC);
    assert_eq!(public.to_z85(), REFERENCE_PUBLIC);
    assert_eq!(PublicKey::from_bytes(*public.as_bytes()), public);
    assert_eq!(PublicKey::from_slice(public.as_bytes()).unwrap(), public);
    assert_eq!(
        zmq::z85::decode(REFERENCE_PUBLIC).unwrap(),
        public.as_bytes()
    );

    let secret: SecretKey = REFERENCE_SECRET.parse().unwrap();
    assert_eq!(secret.to_z85(), REFERENCE_SECRET);
    assert_eq!(secret.to_string(), REFERENCE_SECRET);
    assert_eq!(SecretKey::from_bytes(*secret.as_bytes()), secret);
}

#[test]
fn secret_key_debug_never_shows_the_key() {
    let secret: SecretKey = REFERENCE_SECRET.parse().unwrap();
    let shown = format!("{secret:?}");
    assert!(!shown.contains(REFERENCE_SECRET), "{shown}");
    assert!(
        !shown.contains(&format!("{:?}", secret.as_bytes())),
        "{shown}"
    );
    let pair = CurveKeyPair {
        public: REFERENCE_PUBLIC.parse().unwrap(),
        secret,
    };
    let shown = format!("{pair:?}");
    assert!(
        shown.contains(REFERENCE_PUBLIC) && !shown.contains(REFERENCE_SECRET),
        "{shown}"
    );
}

#[test]
fn malformed_keys_are_clear_errors() {
    let too_short = PublicKey::from_z85("Yne@$w-vo<fVvi]a<NY6T1ed").unwrap_err();
    assert_eq!(too_short.kind(), ErrorKind::InvalidInput);
    assert!(
        too_short.to_string().contains("40 characters"),
        "{too_short}"
    );

    // 40 characters, one outside the alphabet (libzmq issue 1250).
    let bad_char = format!("{}\"", &REFERENCE_PUBLIC[..39]);
    let err = bad_char.parse::<PublicKey>().unwrap_err();
    assert!(err.to_string().contains("alphabet"), "{err}");

    // Valid characters, but a group above 2^32.
    let out_of_range = "#".repeat(40);
    let err = out_of_range.parse::<SecretKey>().unwrap_err();
    assert!(err.to_string().contains("range"), "{err}");

    let err = PublicKey::from_slice([1u8; 33]).unwrap_err();
    assert!(err.to_string().contains("not 33"), "{err}");
}

#[test]
fn keys_pass_to_typed_socket_options() {
    require_curve();
    let pair = CurveKeyPair::generate().unwrap();
    let ctx = Context::new();
    let sock = ctx.socket(SocketType::Dealer).unwrap();
    sock.set(zmq::opt::CurveServerkey, &pair.public).unwrap();
    sock.set(zmq::opt::CurvePublickey, &pair.public).unwrap();
    sock.set(zmq::opt::CurveSecretkey, &pair.secret).unwrap();
    assert_eq!(
        sock.get(zmq::opt::CurveServerkey).unwrap(),
        *pair.public.as_bytes()
    );
    assert_eq!(
        sock.get(zmq::opt::CurveSecretkey).unwrap(),
        *pair.secret.as_bytes()
    );
    assert_eq!(
        sock.get(zmq::opt::Mechanism).unwrap(),
        zmq::SecurityMechanism::Curve
    );
}

#[test]
fn setup_helpers_set_the_mechanism() {
    require_curve();
    let ctx = Context::new();
    let pair = CurveKeyPair::generate().unwrap();

    let server = ctx.socket(SocketType::Router).unwrap();
    server.curve_server(&pair.secret).unwrap();
    assert!(server.get(zmq::opt::CurveServer).unwrap());
    assert_eq!(
        server.get(zmq::opt::Mechanism).unwrap(),
        zmq::SecurityMechanism::Curve
    );

    let client = ctx.socket(SocketType::Dealer).unwrap();
    client
        .curve_client(&pair.public, &CurveKeyPair::generate().unwrap())
        .unwrap();
    assert!(!client.get(zmq::opt::CurveServer).unwrap());
    assert_eq!(
        client.get(zmq::opt::CurveServerkey).unwrap(),
        *pair.public.as_bytes()
    );

    let plain = ctx.socket(SocketType::Rep).unwrap();
    plain.plain_server().unwrap();
    plain.set_zap_domain("global").unwrap();
    assert_eq!(
        plain.get(zmq::opt::Mechanism).unwrap(),
        zmq::SecurityMechanism::Plain
    );
    assert_eq!(plain.zap_domain().unwrap(), "global");

    let plain_client = ctx.socket(SocketType::Req).unwrap();
    plain_client.plain_client("admin", "secret").unwrap();
    assert_eq!(plain_client.get(zmq::opt::PlainUsername).unwrap(), "admin");
    assert_eq!(plain_client.get(zmq::opt::PlainPassword).unwrap(), "secret");
}
