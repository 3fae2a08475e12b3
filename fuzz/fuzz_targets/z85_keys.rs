//! Z85 decoding and CURVE key text: any input is a value or an error, and
//! whatever decodes encodes back to the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = zmq::z85::decode(data) {
        let again = zmq::z85::encode(&bytes).expect("decoded Z85 re-encodes");
        assert_eq!(again.as_bytes(), data);
    }
    let _ = zmq::z85::is_z85(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = zmq::security::PublicKey::from_z85(text) {
            assert_eq!(key.to_z85(), text);
        }
        if let Err(e) = zmq::security::SecretKey::from_z85(text) {
            // A rejected secret is never quoted back: the text may be our
            // own wording (e.g. "secret key"), but nothing beyond what any
            // input of that length gets.
            let shown = e.to_string();
            let own_words = [" ".repeat(text.len()), "#".repeat(40)].map(|t| {
                zmq::security::SecretKey::from_z85(&t)
                    .err()
                    .map(|e| e.to_string())
            });
            let ours = own_words.iter().flatten().any(|w| w.contains(text));
            assert!(text.is_empty() || ours || !shown.contains(text), "{shown}");
        }
    }
    let _ = zmq::security::PublicKey::from_slice(data);
});
