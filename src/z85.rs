//! Z85, ZeroMQ's printable encoding of binary keys (RFC 32), through libzmq's
//! own `zmq_z85_encode` / `zmq_z85_decode`, with the input validated first.

use crate::error::{Error, ErrorKind, Result};

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

fn in_alphabet(byte: u8) -> bool {
    ALPHABET.contains(&byte)
}

/// True when `text` is valid Z85: a multiple of 5 characters, all from the alphabet.
pub fn is_z85(text: &[u8]) -> bool {
    text.len().is_multiple_of(5) && text.iter().all(|&b| in_alphabet(b))
}

/// Encodes `data` (a multiple of 4 bytes long) as Z85 text (`zmq_z85_encode`).
///
/// ```
/// assert_eq!(zmq::z85::encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])?, "HelloWorld");
/// # Ok::<(), zmq::Error>(())
/// ```
pub fn encode(data: &[u8]) -> Result<String> {
    if !data.len().is_multiple_of(4) {
        return Err(Error::with_kind(ErrorKind::InvalidInput, "z85 encode")
            .context("input length must be a multiple of 4"));
    }
    let mut out = vec![0u8; data.len() / 4 * 5 + 1];
    // SAFETY: `out` has room for size*5/4 characters plus the NUL; `data` is
    // readable for its length, which is a multiple of 4.
    let rc = unsafe { zmq_sys::zmq_z85_encode(out.as_mut_ptr().cast(), data.as_ptr(), data.len()) };
    if rc.is_null() {
        return Err(Error::last("z85 encode"));
    }
    out.pop();
    String::from_utf8(out).map_err(|_| Error::with_kind(ErrorKind::Other, "z85 encode"))
}

/// Decodes Z85 text (a multiple of 5 characters from the Z85 alphabet)
/// (`zmq_z85_decode`). Each failure says what was wrong.
///
/// ```
/// assert_eq!(zmq::z85::decode("HelloWorld")?, [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
/// assert!(zmq::z85::decode("Hello Worl").is_err());
/// # Ok::<(), zmq::Error>(())
/// ```
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>> {
    let text = text.as_ref();
    if text.len() % 5 != 0 {
        return Err(Error::with_kind(ErrorKind::InvalidInput, "z85 decode")
            .context("length must be a multiple of 5"));
    }
    if !text.iter().all(|&b| in_alphabet(b)) {
        return Err(Error::with_kind(ErrorKind::InvalidInput, "z85 decode")
            .context("character outside the Z85 alphabet"));
    }
    let mut input = Vec::with_capacity(text.len() + 1);
    input.extend_from_slice(text);
    input.push(0);
    let mut out = vec![0u8; text.len() / 5 * 4];
    // SAFETY: `input` is NUL-terminated and validated; `out` has room for
    // len*4/5 bytes, which is what zmq_z85_decode writes.
    let rc = unsafe { zmq_sys::zmq_z85_decode(out.as_mut_ptr(), input.as_ptr().cast()) };
    if rc.is_null() {
        return Err(
            Error::with_kind(ErrorKind::InvalidInput, "z85 decode").context("value out of range")
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data: Vec<u8> = (0..32).collect();
        assert_eq!(decode(encode(&data).unwrap()).unwrap(), data);
    }

    #[test]
    fn rejects_bad_lengths_and_characters() {
        assert!(encode(&[1, 2, 3]).is_err());
        assert!(decode("abcd").is_err());
        assert!(decode("abc\"e").is_err());
        assert!(decode("#####").is_err()); // out of range: 84*85^4+... > u32::MAX
    }
}
