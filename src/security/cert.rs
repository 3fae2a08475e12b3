//! CURVE certificate files in the ZPL format (RFC 4) that czmq's `zcert` and
//! pyzmq's `zmq.auth` read and write.
//!
//! A certificate is a public key, optionally its secret key, and metadata
//! (name/value pairs). It is stored as two files: `name.key` with the public
//! key (safe to hand out) and `name.key_secret` with both keys:
//!
//! ```text
//! #   ZeroMQ CURVE **Secret** Certificate
//! metadata
//!     email = "ops@example.com"
//! curve
//!     public-key = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
//!     secret-key = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
//! ```

use super::keys::{CurveKeyPair, PublicKey, SecretKey};
use crate::error::{Error, ErrorKind};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a certificate could not be read, written or built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not valid ZPL. The reason never quotes the line: it
    /// may hold a secret key.
    #[error("{}: line {line}: {reason}", shown(path))]
    Syntax {
        /// The file, if the text came from one.
        path: Option<PathBuf>,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A `public-key` or `secret-key` value is not a valid key.
    #[error("{}: invalid {field}: {source}", shown(path))]
    Key {
        /// The file, if the text came from one.
        path: Option<PathBuf>,
        /// `"public-key"` or `"secret-key"`.
        field: &'static str,
        /// The key error (it describes the value, never quotes it).
        #[source]
        source: Box<Error>,
    },
    /// There is no `curve` / `public-key` entry.
    #[error("{}: no public-key in a curve section", shown(path))]
    MissingPublicKey {
        /// The file, if the text came from one.
        path: Option<PathBuf>,
    },
    /// The secret key does not belong to the public key.
    #[error("{}: the secret-key does not match the public-key", shown(path))]
    KeyMismatch {
        /// The file, if the text came from one.
        path: Option<PathBuf>,
    },
    /// A metadata name or value cannot be stored in a certificate.
    #[error("certificate metadata {name:?}: {reason}")]
    Metadata {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Generating keys failed (libzmq without CURVE).
    #[error("certificate keys: {0}")]
    Curve(#[source] Box<Error>),
}

impl CertificateError {
    fn with_path(mut self, file: &Path) -> CertificateError {
        match &mut self {
            CertificateError::Syntax { path, .. }
            | CertificateError::Key { path, .. }
            | CertificateError::MissingPublicKey { path }
            | CertificateError::KeyMismatch { path } => *path = Some(file.to_path_buf()),
            _ => {}
        }
        self
    }

    fn io(path: &Path, source: std::io::Error) -> CertificateError {
        CertificateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn shown(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("certificate {}", p.display()),
        None => "certificate".to_owned(),
    }
}

impl From<CertificateError> for std::io::Error {
    fn from(e: CertificateError) -> std::io::Error {
        let kind = match &e {
            CertificateError::Io { source, .. } => source.kind(),
            CertificateError::Curve(_) => std::io::ErrorKind::Unsupported,
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

/// A CURVE certificate: a public key, maybe its secret key, and metadata.
///
/// ```
/// use zmq::security::Certificate;
/// let dir = std::env::temp_dir().join(format!("zmq-cert-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let mut cert = Certificate::generate()?;
/// cert.set_metadata("name", "server")?;
/// let (public_file, secret_file) = cert.save(dir.join("server.key"))?;
///
/// let public = Certificate::load(&public_file)?;
/// assert_eq!(public.public_key(), cert.public_key());
/// assert!(public.secret_key().is_none());
/// assert_eq!(public.metadata("name"), Some("server"));
/// let full = Certificate::load(secret_file.expect("it has a secret key"))?;
/// assert_eq!(full.secret_key(), cert.secret_key());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    public: PublicKey,
    secret: Option<SecretKey>,
    metadata: Vec<(String, String)>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("public", &self.public)
            .field("secret", &self.secret)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Certificate {
    /// A certificate with a new random key pair (`zmq_curve_keypair`).
    pub fn generate() -> Result<Certificate, CertificateError> {
        CurveKeyPair::generate()
            .map(Certificate::from_keypair)
            .map_err(|e| CertificateError::Curve(Box::new(e)))
    }

    /// A certificate holding a key pair.
    pub fn from_keypair(pair: CurveKeyPair) -> Certificate {
        Certificate {
            public: pair.public,
            secret: Some(pair.secret),
            metadata: Vec::new(),
        }
    }

    /// A public certificate: a public key, no secret.
    pub fn from_public(public: PublicKey) -> Certificate {
        Certificate {
            public,
            secret: None,
            metadata: Vec::new(),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The secret key, if this certificate has one.
    pub fn secret_key(&self) -> Option<&SecretKey> {
        self.secret.as_ref()
    }

    /// The key pair, if this certificate has the secret key.
    pub fn keypair(&self) -> Option<CurveKeyPair> {
        self.secret.as_ref().map(|secret| CurveKeyPair {
            public: self.public,
            secret: secret.clone(),
        })
    }

    /// The same certificate without its secret key.
    pub fn to_public(&self) -> Certificate {
        Certificate {
            public: self.public,
            secret: None,
            metadata: self.metadata.clone(),
        }
    }

    /// The value of a metadata entry.
    pub fn metadata(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All metadata entries, in order.
    pub fn metadata_entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Sets (or replaces) a metadata entry. Names are ZPL names (letters,
    /// digits and `$-_@.&+/`, at most 255 bytes); values are one line and
    /// cannot hold both kinds of quote.
    pub fn set_metadata(&mut self, name: &str, value: &str) -> Result<(), CertificateError> {
        let invalid = |reason| CertificateError::Metadata {
            name: name.to_owned(),
            reason,
        };
        if name.is_empty() || name.len() > 255 {
            return Err(invalid("a name is 1 to 255 bytes"));
        }
        if !name.bytes().all(is_name_byte) {
            return Err(invalid("a name uses only letters, digits and $-_@.&+/"));
        }
        if value.contains(['\n', '\r', '\0']) {
            return Err(invalid("a value is a single line without NUL"));
        }
        if value.contains('"') && value.contains('\'') {
            return Err(invalid("a value cannot contain both ' and \""));
        }
        match self.metadata.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value.to_owned(),
            None => self.metadata.push((name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// Parses certificate text (ZPL).
    pub fn parse(text: &str) -> Result<Certificate, CertificateError> {
        let zpl = parse_zpl(text)?;
        let mut public = None;
        let mut secret = None;
        let mut metadata = Vec::new();
        for entry in zpl {
            match (entry.section.as_str(), entry.name.as_str()) {
                ("curve", "public-key") => {
                    public = Some(PublicKey::from_z85(&entry.value).map_err(|source| {
                        CertificateError::Key {
                            path: None,
                            field: "public-key",
                            source: Box::new(source),
                        }
                    })?);
                }
                ("curve", "secret-key") => {
                    secret = Some(SecretKey::from_z85(&entry.value).map_err(|source| {
                        CertificateError::Key {
                            path: None,
                            field: "secret-key",
                            source: Box::new(source),
                        }
                    })?);
                }
                ("metadata", _) => metadata.push((entry.name, entry.value)),
                _ => {}
            }
        }
        let public = public.ok_or(CertificateError::MissingPublicKey { path: None })?;
        if let Some(secret) = &secret {
            check_pair(&public, secret)?;
        }
        Ok(Certificate {
            public,
            secret,
            metadata,
        })
    }

    /// Reads a certificate file: `name.key` gives the public key and
    /// metadata, `name.key_secret` both keys too.
    pub fn load(path: impl AsRef<Path>) -> Result<Certificate, CertificateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| CertificateError::io(path, e))?;
        Certificate::parse(&text).map_err(|e| e.with_path(path))
    }

    /// The public certificate text: metadata and the public key.
    pub fn to_public_zpl(&self) -> String {
        self.zpl(PUBLIC_BANNER, false)
    }

    /// The secret certificate text (metadata and both keys), or `None`
    /// without a secret key.
    pub fn to_secret_zpl(&self) -> Option<String> {
        self.secret.as_ref()?;
        Some(self.zpl(SECRET_BANNER, true))
    }

    fn zpl(&self, banner: &str, with_secret: bool) -> String {
        let mut out = format!("#   ****  Generated on {} by zmq (Rust)  ****\n", utc_now());
        out.push_str(banner);
        out.push_str("\nmetadata\n");
        for (name, value) in &self.metadata {
            let quote = if value.contains('"') { '\'' } else { '"' };
            out.push_str(&format!("    {name} = {quote}{value}{quote}\n"));
        }
        out.push_str("curve\n");
        out.push_str(&format!("    public-key = \"{}\"\n", self.public));
        if let (true, Some(secret)) = (with_secret, &self.secret) {
            out.push_str(&format!("    secret-key = \"{secret}\"\n"));
        }
        out
    }

    /// Writes the public certificate to `path`.
    pub fn save_public(&self, path: impl AsRef<Path>) -> Result<(), CertificateError> {
        let path = path.as_ref();
        write_file(path, &self.to_public_zpl(), 0o644)
    }

    /// Writes the secret certificate (both keys) to `path`, readable only by
    /// its owner (mode 0600). Fails if the certificate has no secret key.
    pub fn save_secret(&self, path: impl AsRef<Path>) -> Result<(), CertificateError> {
        let path = path.as_ref();
        let Some(mut text) = self.to_secret_zpl() else {
            return Err(CertificateError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "this certificate has no secret key",
                ),
            });
        };
        let result = write_file(path, &text, 0o600);
        super::keys::zeroize_str(&mut text);
        result
    }

    /// Writes the public certificate to `path` and, if there is a secret
    /// key, the secret one to `<path>_secret` (czmq's `zcert_save`). Returns
    /// both paths (the second is `None` for a public certificate).
    pub fn save(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<(PathBuf, Option<PathBuf>), CertificateError> {
        let path = path.as_ref();
        self.save_public(path)?;
        if self.secret.is_none() {
            return Ok((path.to_path_buf(), None));
        }
        let mut secret_path = path.as_os_str().to_owned();
        secret_path.push("_secret");
        let secret_path = PathBuf::from(secret_path);
        self.save_secret(&secret_path)?;
        Ok((path.to_path_buf(), Some(secret_path)))
    }
}

/// Creates a new key pair and writes it as `<dir>/<name>.key` (public) and
/// `<dir>/<name>.key_secret` (both keys), like pyzmq's
/// `zmq.auth.create_certificates`. Returns the two paths.
pub fn create_certificates(
    dir: impl AsRef<Path>,
    name: &str,
) -> Result<(PathBuf, PathBuf), CertificateError> {
    let cert = Certificate::generate()?;
    let public = dir.as_ref().join(format!("{name}.key"));
    let (public, secret) = cert.save(public)?;
    // save() writes a secret file whenever the certificate has a secret key.
    let secret = secret.unwrap_or_else(|| dir.as_ref().join(format!("{name}.key_secret")));
    Ok((public, secret))
}

/// Loads every public certificate (`*.key` file) of a directory, in file
/// name order, as pyzmq's `zmq.auth.load_certificates` does. A file that is
/// not a valid certificate is an error naming it.
pub fn load_certificates(dir: impl AsRef<Path>) -> Result<Vec<Certificate>, CertificateError> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).map_err(|e| CertificateError::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| CertificateError::io(dir, e))?.path();
        if path.extension().is_some_and(|ext| ext == "key") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(Certificate::load).collect()
}

fn check_pair(public: &PublicKey, secret: &SecretKey) -> Result<(), CertificateError> {
    match secret.public_key() {
        Ok(derived) if derived == *public => Ok(()),
        Ok(_) => Err(CertificateError::KeyMismatch { path: None }),
        // Without CURVE in libzmq the pair cannot be checked (nor used).
        Err(e) if e.kind() == ErrorKind::NotSupported => Ok(()),
        Err(e) => Err(CertificateError::Curve(Box::new(e))),
    }
}

/// Writes `text` to `path` with exactly `mode`, whatever was there before:
/// the text goes to a new temporary file in the same directory, created with
/// `mode` (and set to it again, whatever the umask), synced, then renamed over
/// `path`. An existing 0644 file thus never holds a secret, even briefly.
///
/// On Windows, where there are no modes, a private file (`mode` without
/// group or other bits) gets an ACL before anything is written to it: one
/// entry, full control for the current user, inheritance from the directory
/// cut off (`windows_acl`). Other files keep the directory's inherited ACL.
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), CertificateError> {
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e| CertificateError::io(path, e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let temp = dir.join(temp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(mode);
    // GENERIC_WRITE | WRITE_DAC | READ_CONTROL: SetSecurityInfo needs WRITE_DAC.
    #[cfg(windows)]
    std::os::windows::fs::OpenOptionsExt::access_mode(&mut options, 0x4006_0000);
    let written = options
        .open(&temp)
        .and_then(|mut file| {
            #[cfg(unix)]
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            #[cfg(windows)]
            if mode & 0o077 == 0 {
                windows_acl::make_owner_only(&file)?;
            }
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(windows)]
pub(crate) mod windows_acl {
    //! Owner-only files on Windows: a protected DACL with a single entry
    //! granting the current user full control, so neither the directory's
    //! inherited entries (Users, Everyone...) nor anyone else can read it.
    //!
    //! Tested: the ACL built here (one entry, allowed, the current user's
    //! SID, full control) by a unit test that runs under wine in CI. wine 8
    //! does not keep a file's DACL (it maps it to Unix mode bits and builds
    //! a DACL from those when asked), so the file's own ACL can only be read
    //! back on real Windows.

    use std::fs::File;
    use std::io;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE};
    use windows_sys::Win32::Security::Authorization::{SetSecurityInfo, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        AddAccessAllowedAce, GetLengthSid, GetTokenInformation, InitializeAcl, TokenUser,
        ACCESS_ALLOWED_ACE, ACL, ACL_REVISION, DACL_SECURITY_INFORMATION,
        PROTECTED_DACL_SECURITY_INFORMATION, TOKEN_QUERY, TOKEN_USER,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// `FILE_ALL_ACCESS`: full control.
    pub(crate) const FULL_CONTROL: u32 = 0x001F_01FF;

    /// The current user's `TOKEN_USER` (its SID points into the buffer).
    pub(crate) fn current_user() -> io::Result<Vec<u64>> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: the pseudo-handle of the current process needs no closing;
        // OpenProcessToken writes a handle to `token`, closed below.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u64; 64]; // 512 bytes, 8-aligned: TOKEN_USER and its SID
        let mut len = 0u32;
        // SAFETY: buf is writable for the byte length given; len is written.
        let ok = unsafe {
            GetTokenInformation(
                token,
                TokenUser,
                buf.as_mut_ptr().cast(),
                (buf.len() * 8) as u32,
                &mut len,
            )
        };
        let error = io::Error::last_os_error();
        // SAFETY: token came from OpenProcessToken and is closed once.
        unsafe { CloseHandle(token) };
        if ok == 0 {
            return Err(error);
        }
        Ok(buf)
    }

    /// An ACL (in an 8-aligned buffer) with one entry: full control for the
    /// current user.
    pub(crate) fn owner_only_acl() -> io::Result<Vec<u64>> {
        let user = current_user()?;
        // SAFETY: current_user filled the buffer with a TOKEN_USER.
        let sid = unsafe { (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid };
        // SAFETY: sid is a valid SID inside `user`, alive for this function.
        let sid_len = unsafe { GetLengthSid(sid) } as usize;
        let acl_len = std::mem::size_of::<ACL>() + std::mem::size_of::<ACCESS_ALLOWED_ACE>()
            - std::mem::size_of::<u32>()
            + sid_len;
        let mut acl = vec![0u64; acl_len.div_ceil(8)];
        // SAFETY: acl points to acl_len writable, 8-aligned bytes; sid is valid.
        let built = unsafe {
            InitializeAcl(acl.as_mut_ptr().cast(), acl_len as u32, ACL_REVISION) != 0
                && AddAccessAllowedAce(acl.as_mut_ptr().cast(), ACL_REVISION, FULL_CONTROL, sid)
                    != 0
        };
        if !built {
            return Err(io::Error::last_os_error());
        }
        Ok(acl)
    }

    /// Gives `file` a protected DACL granting only the current user access
    /// (the handle needs `WRITE_DAC`).
    pub(crate) fn make_owner_only(file: &File) -> io::Result<()> {
        let mut acl = owner_only_acl()?;
        // SAFETY: the handle is the open file's; acl is a valid ACL; owner,
        // group and SACL are not changed (null).
        let rc = unsafe {
            SetSecurityInfo(
                file.as_raw_handle(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                acl.as_mut_ptr().cast(),
                std::ptr::null(),
            )
        };
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
        Ok(())
    }
}

const PUBLIC_BANNER: &str = "\
#   ZeroMQ CURVE Public Certificate
#   Exchange securely, or use a secure mechanism to verify the contents
#   of this file after exchange. Store public certificates in your home
#   directory, in the .curve subdirectory.
";

const SECRET_BANNER: &str = "\
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.
";

/// ZPL name characters (RFC 4): letters, digits and `$-_@.&+/`.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"$-_@.&+/".contains(&b)
}

/// One `name = value` line of a ZPL file under a top-level section.
struct ZplEntry {
    section: String,
    name: String,
    value: String,
}

/// A small ZPL (RFC 4) reader for the two-level structure of certificates:
/// top-level section names and indented `name = value` entries beneath them.
/// Comments (`#`) and blank lines are skipped; values may be unquoted or
/// quoted with `"` or `'`.
fn parse_zpl(text: &str) -> Result<Vec<ZplEntry>, CertificateError> {
    let mut entries = Vec::new();
    let mut section = String::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let syntax = |reason: &str| CertificateError::Syntax {
            path: None,
            line: line_no,
            reason: reason.to_owned(),
        };
        let line = raw_line.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if line.starts_with('\t') {
            return Err(syntax("indentation must use spaces, not tabs"));
        }
        let indented = content.len() != line.len();
        let (name, value) = match content.split_once('=') {
            Some((name, rest)) => (name.trim(), Some(parse_value(rest.trim()).map_err(syntax)?)),
            None => {
                // A bare name, possibly followed by a comment.
                let name = content.split('#').next().unwrap_or("").trim();
                (name, None)
            }
        };
        if name.is_empty() || !name.bytes().all(is_name_byte) {
            // Not quoted: a damaged `secret-key = "..."` line would put the
            // key into the error text.
            return Err(syntax(
                "invalid entry: expected `name = value` with a name of letters, digits and $-_@.&+/",
            ));
        }
        if !indented {
            section = name.to_owned();
            continue;
        }
        if section.is_empty() {
            return Err(syntax("an indented entry outside any section"));
        }
        entries.push(ZplEntry {
            section: section.clone(),
            name: name.to_owned(),
            value: value.unwrap_or_default(),
        });
    }
    Ok(entries)
}

/// A ZPL value: `"quoted"`, `'quoted'`, or unquoted up to a `#` comment.
fn parse_value(text: &str) -> Result<String, &'static str> {
    let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Ok(text.split('#').next().unwrap_or("").trim_end().to_owned());
    };
    let body = &text[1..];
    let Some(end) = body.find(quote) else {
        return Err("a quoted value without its closing quote");
    };
    let rest = body[end + 1..].trim_start();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err("text after a quoted value");
    }
    Ok(body[..end].to_owned())
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS UTC`, for the file banner.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(windows)]
    #[test]
    fn the_acl_of_secret_files_admits_the_current_user_only() {
        use windows_sys::Win32::Security::{EqualSid, GetAce, ACCESS_ALLOWED_ACE, ACL, TOKEN_USER};
        let mut acl = windows_acl::owner_only_acl().unwrap();
        let user = windows_acl::current_user().unwrap();
        let acl = acl.as_mut_ptr().cast::<ACL>();
        let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
        // SAFETY: acl is the ACL owner_only_acl built; entry 0 exists when
        // AceCount is 1 and is an ACCESS_ALLOWED_ACE, whose SID starts at
        // SidStart; the user's SID lives in `user`.
        unsafe {
            assert_eq!((*acl).AceCount, 1, "exactly one entry");
            assert_ne!(GetAce(acl, 0, &mut ace), 0);
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            assert_eq!((*ace).Header.AceType, 0, "ACCESS_ALLOWED_ACE_TYPE");
            assert_eq!((*ace).Mask, windows_acl::FULL_CONTROL);
            let sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
            assert_ne!(
                EqualSid(std::ptr::addr_of_mut!((*ace).SidStart).cast(), sid),
                0
            );
        }
        // And writing a secret file applies it without error.
        let dir = tempfile::tempdir().unwrap();
        crate::security::create_certificates(dir.path(), "alice").unwrap();
    }

    const PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    const SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

    #[test]
    fn parses_czmq_style_quoted_and_pyzmq_style_unquoted_metadata() {
        let text = format!(
            "#   ****  Generated by CZMQ  ****\n\nmetadata\n    name = \"alice\" # who\n    \
             role = admin # a comment\ncurve\n    public-key = \"{PUBLIC}\"\n    \
             secret-key = '{SECRET}'\n"
        );
        let cert = Certificate::parse(&text).unwrap();
        assert_eq!(cert.public_key().to_string(), PUBLIC);
        assert_eq!(cert.secret_key().unwrap().to_string(), SECRET);
        assert_eq!(cert.metadata("name"), Some("alice"));
        assert_eq!(cert.metadata("role"), Some("admin"));
    }

    #[test]
    fn round_trips_through_text() {
        let mut cert = Certificate::from_keypair(CurveKeyPair {
            public: PUBLIC.parse().unwrap(),
            secret: SECRET.parse().unwrap(),
        });
        cert.set_metadata("quote", "say \"hi\"").unwrap();
        let back = Certificate::parse(&cert.to_secret_zpl().unwrap()).unwrap();
        assert_eq!(back, cert);
        let public = Certificate::parse(&cert.to_public_zpl()).unwrap();
        assert_eq!(public, cert.to_public());
    }

    #[test]
    fn errors_name_the_problem_and_line() {
        let missing = Certificate::parse("metadata\ncurve\n").unwrap_err();
        assert!(matches!(missing, CertificateError::MissingPublicKey { .. }));
        let bad_key = Certificate::parse("curve\n    public-key = \"short\"\n").unwrap_err();
        assert!(
            bad_key.to_string().contains("invalid public-key"),
            "{bad_key}"
        );
        let unterminated = Certificate::parse("curve\n    public-key = \"abc\n").unwrap_err();
        assert!(
            unterminated.to_string().contains("line 2"),
            "{unterminated}"
        );
        let mismatch = format!(
            "curve\n    public-key = \"{}\"\n    secret-key = \"{SECRET}\"\n",
            "0".repeat(40)
        );
        if crate::has("curve") {
            assert!(matches!(
                Certificate::parse(&mismatch).unwrap_err(),
                CertificateError::KeyMismatch { .. }
            ));
        }
    }

    #[test]
    fn rejects_metadata_that_cannot_be_written() {
        let mut cert = Certificate::from_public(PUBLIC.parse().unwrap());
        assert!(cert.set_metadata("bad name", "x").is_err());
        assert!(cert.set_metadata("ok", "two\nlines").is_err());
        assert!(cert.set_metadata("ok", "both ' and \"").is_err());
        cert.set_metadata("ok", "fine").unwrap();
        cert.set_metadata("ok", "replaced").unwrap();
        assert_eq!(cert.metadata_entries().count(), 1);
        assert_eq!(cert.metadata("ok"), Some("replaced"));
    }

    #[test]
    fn banner_date_looks_like_a_date() {
        let now = utc_now();
        assert_eq!(now.len(), "2024-01-01 00:00:00 UTC".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
