//! CURVE keys: 32-byte public and secret keys, their Z85 text form, key pair
//! generation (`zmq_curve_keypair`) and public-key derivation (`zmq_curve_public`).

use crate::error::{Error, ErrorKind, Result};
use std::ffi::c_char;
use std::fmt;
use std::str::FromStr;

/// The length of a CURVE key in bytes.
pub const KEY_LEN: usize = 32;
/// The length of a CURVE key in Z85 text.
pub const Z85_KEY_LEN: usize = 40;

/// Overwrites `bytes` with zeros in a way the compiler may not elide.
pub(crate) fn zeroize(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference to a u8.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Overwrites the bytes of a string holding a secret with zeros.
pub(crate) fn zeroize_str(text: &mut str) {
    // SAFETY: all-zero bytes are valid UTF-8, so the str stays valid.
    zeroize(unsafe { text.as_bytes_mut() });
}

/// Parses a key given as 32 raw bytes or 40 Z85 characters.
fn key_bytes(input: &[u8], what: &'static str) -> Result<[u8; KEY_LEN]> {
    match input.len() {
        KEY_LEN => {
            let mut key = [0u8; KEY_LEN];
            key.copy_from_slice(input);
            Ok(key)
        }
        Z85_KEY_LEN => {
            if !crate::z85::is_z85(input) {
                return Err(Error::with_kind(ErrorKind::InvalidInput, what)
                    .context("40 characters, but not all from the Z85 alphabet"));
            }
            let mut decoded = crate::z85::decode(input).map_err(|_| {
                Error::with_kind(ErrorKind::InvalidInput, what).context("Z85 value out of range")
            })?;
            let mut key = [0u8; KEY_LEN];
            key.copy_from_slice(&decoded);
            zeroize(&mut decoded);
            Ok(key)
        }
        n => Err(Error::with_kind(ErrorKind::InvalidInput, what)
            .context(&format!("a key is 32 bytes or 40 Z85 characters, not {n}"))),
    }
}

/// Z85 text of a 32-byte key, into a fixed buffer (no heap copy of secrets).
fn z85_of(key: &[u8; KEY_LEN]) -> [u8; Z85_KEY_LEN + 1] {
    let mut out = [0u8; Z85_KEY_LEN + 1];
    // SAFETY: `out` has room for 32 * 5 / 4 = 40 characters and the NUL;
    // `key` is readable for 32 bytes, a multiple of 4, so encoding cannot fail.
    unsafe { zmq_sys::zmq_z85_encode(out.as_mut_ptr().cast(), key.as_ptr(), KEY_LEN) };
    out
}

/// A CURVE public key: 32 bytes, shown as 40 Z85 characters.
///
/// Public keys are not secret: `Display` and `Debug` both show the Z85 text,
/// which is also the form certificates, `User-Id` properties and most tools use.
///
/// ```
/// use zmq::security::PublicKey;
/// let key: PublicKey = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID".parse()?;
/// assert_eq!(key.to_string(), "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
/// assert_eq!(key.as_bytes().len(), 32);
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// The key with these 32 bytes.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> PublicKey {
        PublicKey(bytes)
    }

    /// A key from 32 raw bytes or 40 Z85 characters; anything else is an
    /// [`ErrorKind::InvalidInput`] error saying what was wrong.
    pub fn from_slice(input: impl AsRef<[u8]>) -> Result<PublicKey> {
        key_bytes(input.as_ref(), "public key").map(PublicKey)
    }

    /// A key from its 40 Z85 characters.
    pub fn from_z85(text: &str) -> Result<PublicKey> {
        if text.len() != Z85_KEY_LEN {
            return Err(Error::with_kind(ErrorKind::InvalidInput, "public key")
                .context(&format!("a Z85 key is 40 characters, not {}", text.len())));
        }
        PublicKey::from_slice(text)
    }

    /// The 32 bytes of the key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as 40 Z85 characters.
    pub fn to_z85(&self) -> String {
        let text = z85_of(&self.0);
        String::from_utf8_lossy(&text[..Z85_KEY_LEN]).into_owned()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_z85())
    }
}

impl FromStr for PublicKey {
    type Err = Error;
    fn from_str(text: &str) -> Result<PublicKey> {
        PublicKey::from_z85(text)
    }
}

impl AsRef<[u8]> for PublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; KEY_LEN]> for PublicKey {
    fn from(bytes: [u8; KEY_LEN]) -> PublicKey {
        PublicKey(bytes)
    }
}

/// A CURVE secret key: 32 bytes, zeroed in memory when dropped.
///
/// Its `Debug` never shows the key. `Display` and [`to_z85`](Self::to_z85)
/// do, because writing certificates and configuration needs them: do not log
/// a secret key with `{}`.
///
/// ```
/// use zmq::security::SecretKey;
/// let secret: SecretKey = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs".parse()?;
/// assert_eq!(format!("{secret:?}"), "SecretKey(<hidden>)");
/// assert_eq!(secret.public_key()?.to_string(), "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl PartialEq for SecretKey {
    /// Compares in constant time, so timing does not reveal where keys differ.
    fn eq(&self, other: &SecretKey) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for SecretKey {}

impl SecretKey {
    /// The key with these 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        SecretKey(bytes)
    }

    /// A key from 32 raw bytes or 40 Z85 characters; anything else is an
    /// [`ErrorKind::InvalidInput`] error saying what was wrong.
    pub fn from_slice(input: impl AsRef<[u8]>) -> Result<SecretKey> {
        key_bytes(input.as_ref(), "secret key").map(SecretKey)
    }

    /// A key from its 40 Z85 characters.
    pub fn from_z85(text: &str) -> Result<SecretKey> {
        if text.len() != Z85_KEY_LEN {
            return Err(Error::with_kind(ErrorKind::InvalidInput, "secret key")
                .context(&format!("a Z85 key is 40 characters, not {}", text.len())));
        }
        SecretKey::from_slice(text)
    }

    /// The 32 bytes of the key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as 40 Z85 characters. The returned string is yours to protect.
    pub fn to_z85(&self) -> String {
        let mut text = z85_of(&self.0);
        let out = String::from_utf8_lossy(&text[..Z85_KEY_LEN]).into_owned();
        zeroize(&mut text);
        out
    }

    /// Derives the matching public key (`zmq_curve_public`).
    ///
    /// Fails with [`ErrorKind::NotSupported`] if libzmq was built without CURVE.
    pub fn public_key(&self) -> Result<PublicKey> {
        let mut secret_text = z85_of(&self.0);
        let mut public_text = [0u8; Z85_KEY_LEN + 1];
        // SAFETY: both buffers are 41 bytes as zmq_curve_public requires; the
        // secret one is NUL-terminated Z85 (z85_of writes the NUL).
        let rc = unsafe {
            zmq_sys::zmq_curve_public(
                public_text.as_mut_ptr().cast::<c_char>(),
                secret_text.as_ptr().cast::<c_char>(),
            )
        };
        zeroize(&mut secret_text);
        if rc == -1 {
            return Err(Error::last("zmq_curve_public"));
        }
        PublicKey::from_slice(&public_text[..Z85_KEY_LEN])
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        zeroize(&mut self.0);
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

impl fmt::Display for SecretKey {
    /// Writes the secret key as Z85: only for storing it, never for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = z85_of(&self.0);
        let result = match std::str::from_utf8(&text[..Z85_KEY_LEN]) {
            Ok(s) => f.write_str(s),
            Err(_) => Err(fmt::Error),
        };
        zeroize(&mut text);
        result
    }
}

impl FromStr for SecretKey {
    type Err = Error;
    fn from_str(text: &str) -> Result<SecretKey> {
        SecretKey::from_z85(text)
    }
}

impl AsRef<[u8]> for SecretKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A CURVE key pair: a public key and its secret key.
///
/// ```
/// let server = zmq::security::CurveKeyPair::generate()?;
/// assert_eq!(server.secret.public_key()?, server.public);
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CurveKeyPair {
    /// The public key, to give to peers.
    pub public: PublicKey,
    /// The secret key, to keep.
    pub secret: SecretKey,
}

impl CurveKeyPair {
    /// A new random key pair (`zmq_curve_keypair`).
    ///
    /// Fails with [`ErrorKind::NotSupported`] if libzmq was built without CURVE.
    pub fn generate() -> Result<CurveKeyPair> {
        let mut public_text = [0u8; Z85_KEY_LEN + 1];
        let mut secret_text = [0u8; Z85_KEY_LEN + 1];
        // SAFETY: both buffers are 41 bytes, as zmq_curve_keypair requires.
        let rc = unsafe {
            zmq_sys::zmq_curve_keypair(
                public_text.as_mut_ptr().cast::<c_char>(),
                secret_text.as_mut_ptr().cast::<c_char>(),
            )
        };
        if rc == -1 {
            return Err(Error::last("zmq_curve_keypair"));
        }
        let secret = SecretKey::from_slice(&secret_text[..Z85_KEY_LEN]);
        zeroize(&mut secret_text);
        Ok(CurveKeyPair {
            public: PublicKey::from_slice(&public_text[..Z85_KEY_LEN])?,
            secret: secret?,
        })
    }

    /// The pair for a secret key, deriving its public key (`zmq_curve_public`).
    pub fn from_secret(secret: SecretKey) -> Result<CurveKeyPair> {
        Ok(CurveKeyPair {
            public: secret.public_key()?,
            secret,
        })
    }
}

impl fmt::Debug for CurveKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveKeyPair")
            .field("public", &self.public)
            .field("secret", &self.secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_bytes_and_z85_alike() {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        let key = PublicKey::from_bytes(bytes);
        assert_eq!(PublicKey::from_slice(key.to_z85()).unwrap(), key);
        assert_eq!(PublicKey::from_slice(bytes).unwrap(), key);
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        let short = PublicKey::from_z85("abc").unwrap_err();
        assert!(short.to_string().contains("not 3"), "{short}");
        let bad = SecretKey::from_z85(&"\"".repeat(40)).unwrap_err();
        assert!(bad.to_string().contains("alphabet"), "{bad}");
        assert_eq!(bad.kind(), ErrorKind::InvalidInput);
        assert!(PublicKey::from_slice([0u8; 31]).is_err());
    }

    #[test]
    fn zeroize_clears() {
        let mut data = [7u8; 8];
        zeroize(&mut data);
        assert_eq!(data, [0; 8]);
    }
}
