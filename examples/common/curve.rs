//! CURVE options shared by the chatz and tickz programs: the server's key
//! pair and allow-list of client keys, the client's view of the server key
//! and its own certificate, and the `keys` subcommand that creates
//! certificates (the czmq/pyzmq `name.key` / `name.key_secret` files).
//!
//! Without any of these options the programs use NULL security, as before.

use std::path::{Path, PathBuf};
use zmq::security::{
    create_certificates, Authenticator, Certificate, CurveKeyPair, PublicKey, SecretKey, ANY_DOMAIN,
};

type Failure = Box<dyn std::error::Error>;

/// A server's CURVE options.
#[derive(clap::Args, Debug, Default)]
pub struct ServerArgs {
    /// Encrypt with CURVE: the server's secret certificate (a `NAME.key_secret`
    /// file from the `keys` subcommand, czmq or pyzmq). Clients need its
    /// public key (`NAME.key`, or the Z85 key printed at startup).
    #[arg(long, value_name = "FILE")]
    pub curve_secret: Option<PathBuf>,
    /// Accept only the clients whose public certificates (`*.key` files) are
    /// in this directory. Without it, any client key is accepted (encrypted,
    /// not authenticated).
    #[arg(long, value_name = "DIR", requires = "curve_secret")]
    pub allow_keys: Option<PathBuf>,
    /// Print every authentication decision of the --allow-keys
    /// authenticator to stderr, e.g. `zap: denied 127.0.0.1 CURVE key Ab3dE…
    /// (domain ""): 400 key not allowed`.
    #[arg(long, requires = "allow_keys")]
    pub verbose: bool,
}

/// A server's CURVE setup, alive as long as the server: the secret key and
/// the authenticator enforcing the allow-list (if any).
pub struct ServerCurve {
    /// The server's key pair.
    pub keys: CurveKeyPair,
    /// The allow-list's authenticator; `None` accepts any client key.
    _auth: Option<Authenticator>,
    /// A line for the server's log describing the setup.
    pub summary: String,
}

impl ServerArgs {
    /// Loads the keys and starts the authenticator on `ctx` (before any
    /// socket of it binds); `None` without `--curve-secret`.
    pub fn setup(&self, ctx: &zmq::Context) -> Result<Option<ServerCurve>, Failure> {
        let Some(secret_file) = &self.curve_secret else {
            return Ok(None);
        };
        let keys = load_secret(secret_file)?;
        let (auth, who) = match &self.allow_keys {
            None => (None, "any client key accepted (no --allow-keys)".to_owned()),
            Some(dir) => {
                let auth = Authenticator::start(ctx)?;
                if self.verbose {
                    auth.on_decision(|decision| eprintln!("zap: {decision}"));
                }
                let count = auth
                    .curve_allow_certificates(ANY_DOMAIN, dir)
                    .map_err(|e| format!("--allow-keys {}: {e}", dir.display()))?;
                let who = match count {
                    0 => format!(
                        "no client keys in {}: every client is refused",
                        dir.display()
                    ),
                    1 => format!("1 client key allowed from {}", dir.display()),
                    n => format!("{n} client keys allowed from {}", dir.display()),
                };
                (Some(auth), who)
            }
        };
        let summary = format!("CURVE with server key {}; {who}", keys.public);
        Ok(Some(ServerCurve {
            keys,
            _auth: auth,
            summary,
        }))
    }
}

impl ServerCurve {
    /// The secret key each server socket is set up with.
    pub fn secret(&self) -> &SecretKey {
        &self.keys.secret
    }
}

/// A client's CURVE options.
#[derive(clap::Args, Debug, Default)]
pub struct ClientArgs {
    /// Encrypt with CURVE: the server's public key, as 40 Z85 characters or
    /// the path of its `NAME.key` certificate. (Z85 keys may start with `-`:
    /// that is accepted as a value here.)
    #[arg(long, value_name = "KEY_OR_FILE", allow_hyphen_values = true)]
    pub curve_server_key: Option<String>,
    /// Our own secret certificate (`NAME.key_secret`), whose public key the
    /// server must allow. Without it a new key pair is made for this run,
    /// which a server with an allow-list refuses.
    #[arg(long, value_name = "FILE", requires = "curve_server_key")]
    pub curve_cert: Option<PathBuf>,
}

impl ClientArgs {
    /// The server's public key and our key pair; `None` without
    /// `--curve-server-key`.
    pub fn setup(&self) -> Result<Option<(PublicKey, CurveKeyPair)>, Failure> {
        let Some(server) = &self.curve_server_key else {
            return Ok(None);
        };
        let server = server_key(server)?;
        let own = match &self.curve_cert {
            Some(file) => load_secret(file)?,
            None => CurveKeyPair::generate()?,
        };
        Ok(Some((server, own)))
    }
}

/// A Z85 public key, or the public key of a certificate file.
pub fn server_key(key_or_file: &str) -> Result<PublicKey, Failure> {
    let path = Path::new(key_or_file);
    if path.is_file() {
        return Certificate::load(path)
            .map(|cert| *cert.public_key())
            .map_err(|e| format!("--curve-server-key: {e}").into());
    }
    key_or_file.parse::<PublicKey>().map_err(|e| {
        format!(
            "--curve-server-key {key_or_file:?} is neither a certificate file nor a Z85 public key: {e}"
        )
        .into()
    })
}

/// The key pair of a secret certificate file.
fn load_secret(file: &Path) -> Result<CurveKeyPair, Failure> {
    let cert = Certificate::load(file)?;
    cert.keypair().ok_or_else(|| {
        format!(
            "{} has no secret key: give the NAME.key_secret file, not NAME.key",
            file.display()
        )
        .into()
    })
}

/// The arguments of the `keys DIR NAME` subcommand.
#[derive(clap::Args, Debug)]
pub struct KeysArgs {
    /// The directory to write to (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The certificate's name.
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// The `keys DIR NAME` subcommand: writes `DIR/NAME.key` (public, for the
/// other side) and `DIR/NAME.key_secret` (both keys, mode 0600), refusing to
/// overwrite either.
pub fn create_keys(program: &str, dir: &Path, name: &str) -> Result<(), Failure> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("{name:?} is not a usable certificate name").into());
    }
    for file in [format!("{name}.key"), format!("{name}.key_secret")] {
        let path = dir.join(file);
        if path.exists() {
            return Err(format!("{} exists; not overwriting it", path.display()).into());
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (public, secret) = create_certificates(dir, name)?;
    let key = Certificate::load(&public)?;
    eprintln!(
        "{program}: wrote {} and {}",
        public.display(),
        secret.display()
    );
    println!("{}", key.public_key());
    Ok(())
}
