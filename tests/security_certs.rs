//! Certificate files: ours round-trip, pyzmq's load here and work in a
//! handshake, ours load in pyzmq (and a pyzmq client using them gets in).
//!
//! The interop tests run pyzmq from the venv the tests provision themselves
//! (`demo_support::python`); without python3 they fail with a message saying
//! how to get it, they do not skip.

mod demo_support;

use demo_support::python;
use std::time::Duration;
use zmq::security::{
    create_certificates, load_certificates, Authenticator, Certificate, CertificateError,
    CurveKeyPair, ANY_DOMAIN,
};
use zmq::{Context, SocketType};

const WAIT: Duration = Duration::from_secs(10);

fn require_curve() {
    assert!(
        zmq::has("curve"),
        "this libzmq has no CURVE support; the certificate tests need it (build libzmq with libsodium)"
    );
}

/// Runs the pyzmq helper script; panics with a clear message if the script
/// fails (or python3 is missing).
fn pyzmq(args: &[&str]) -> Vec<String> {
    let output = python("security_certs.py")
        .args(args)
        .output()
        .expect("running the pyzmq helper");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the pyzmq helper failed ({:?}):\n{stderr}",
        args
    );
    String::from_utf8(output.stdout)
        .expect("pyzmq helper printed non-UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn our_certificates_round_trip_with_secret_files_private() {
    require_curve();
    let dir = tempfile::tempdir().unwrap();
    let (public_path, secret_path) = create_certificates(dir.path(), "server").unwrap();
    assert_eq!(public_path, dir.path().join("server.key"));
    assert_eq!(secret_path, dir.path().join("server.key_secret"));
    // On Windows the owner-only ACL is checked by a unit test in
    // src/security/cert.rs (secret_files_get_an_owner_only_acl_on_windows).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the secret certificate is readable by others: {mode:o}"
        );
    }

    let public_text = std::fs::read_to_string(&public_path).unwrap();
    assert!(!public_text.contains("secret-key"), "{public_text}");
    let full = Certificate::load(&secret_path).unwrap();
    let public = Certificate::load(&public_path).unwrap();
    assert_eq!(public.public_key(), full.public_key());
    assert!(public.secret_key().is_none());
    let pair = full.keypair().unwrap();
    assert_eq!(pair.secret.public_key().unwrap(), pair.public);

    let listed = load_certificates(dir.path()).unwrap();
    assert_eq!(listed.len(), 1, "only *.key files are public certificates");
    assert!(listed[0].secret_key().is_none());
}

#[test]
fn loading_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Certificate::load(dir.path().join("nope.key")).unwrap_err();
    assert!(matches!(missing, CertificateError::Io { .. }));
    assert!(missing.to_string().contains("nope.key"), "{missing}");

    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "curve\n    public-key = \"too short\"\n").unwrap();
    let err = load_certificates(dir.path()).unwrap_err();
    assert!(err.to_string().contains("bad.key"), "{err}");
    assert!(err.to_string().contains("public-key"), "{err}");
}

#[test]
fn pyzmq_certificates_load_here_and_the_handshake_succeeds() {
    require_curve();
    let dir = tempfile::tempdir().unwrap();
    let dir_str = dir.path().to_str().unwrap();
    pyzmq(&["create", dir_str, "server"]);
    pyzmq(&["create", dir_str, "client"]);

    let server = Certificate::load(dir.path().join("server.key_secret")).unwrap();
    let client = Certificate::load(dir.path().join("client.key_secret")).unwrap();
    let server_keys = server
        .keypair()
        .expect("pyzmq's server.key_secret has the secret key");
    let client_keys = client
        .keypair()
        .expect("pyzmq's client.key_secret has the secret key");
    // What pyzmq itself reads from the same files.
    let py = pyzmq(&[
        "load",
        dir.path().join("client.key_secret").to_str().unwrap(),
    ]);
    assert_eq!(py[0], client_keys.public.to_string());
    assert_eq!(py[1], client_keys.secret.to_string());

    // The public certificates directory, as the authenticator loads it.
    let public_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("client.key"),
        public_dir.path().join("client.key"),
    )
    .unwrap();

    let ctx = Context::new();
    let auth = Authenticator::start(&ctx).unwrap();
    assert_eq!(
        auth.curve_allow_certificates(ANY_DOMAIN, public_dir.path())
            .unwrap(),
        1
    );
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set(zmq::opt::RcvTimeo, Some(WAIT)).unwrap();
    pull.curve_server(&server_keys.secret).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.curve_client(&server_keys.public, &client_keys)
        .unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    push.send("with pyzmq's keys").unwrap();
    let msg = pull
        .recv()
        .expect("the client with pyzmq's certificate was not let in");
    assert_eq!(msg, "with pyzmq's keys");
    assert_eq!(msg.user_id(), Some(client_keys.public.to_string().as_str()));
}

#[test]
fn our_certificates_load_in_pyzmq_and_its_client_gets_in() {
    require_curve();
    let dir = tempfile::tempdir().unwrap();
    let mut client = Certificate::generate().unwrap();
    client.set_metadata("name", "rust client").unwrap();
    let (client_public, client_secret) = client.save(dir.path().join("client.key")).unwrap();
    let client_secret = client_secret.unwrap();
    let (server_public, server_secret) = create_certificates(dir.path(), "server").unwrap();

    let py = pyzmq(&["load", client_secret.to_str().unwrap()]);
    assert_eq!(py[0], client.public_key().to_string());
    assert_eq!(py[1], client.secret_key().unwrap().to_string());
    let py = pyzmq(&["load", client_public.to_str().unwrap()]);
    assert_eq!(py, [client.public_key().to_string(), "None".to_owned()]);
    let server = Certificate::load(&server_secret).unwrap();
    let mut expected = vec![
        client.public_key().to_string(),
        server.public_key().to_string(),
    ];
    expected.sort();
    assert_eq!(pyzmq(&["load-dir", dir.path().to_str().unwrap()]), expected);

    // A pyzmq client with our certificates, against our authenticated server.
    let ctx = Context::new();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.curve_allow_certificate(ANY_DOMAIN, &Certificate::load(&client_public).unwrap())
        .unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set(zmq::opt::RcvTimeo, Some(WAIT)).unwrap();
    pull.curve_server(&server.keypair().unwrap().secret)
        .unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint().unwrap();
    let sender = std::thread::spawn(move || {
        pyzmq(&[
            "send",
            &endpoint,
            server_public.to_str().unwrap(),
            client_secret.to_str().unwrap(),
            "from pyzmq",
        ])
    });
    let msg = pull
        .recv()
        .expect("pyzmq's client with our certificate was not let in");
    assert_eq!(msg, "from pyzmq");
    assert_eq!(
        msg.user_id(),
        Some(client.public_key().to_string().as_str())
    );
    assert_eq!(msg.property("name"), Some("rust client"));
    sender.join().unwrap();
}

#[test]
fn key_pairs_survive_a_trip_through_a_certificate() {
    require_curve();
    let pair = CurveKeyPair::generate().unwrap();
    let cert = Certificate::from_keypair(pair.clone());
    let text = cert.to_secret_zpl().unwrap();
    assert_eq!(Certificate::parse(&text).unwrap().keypair().unwrap(), pair);
    assert!(Certificate::from_public(pair.public)
        .to_secret_zpl()
        .is_none());
}
