//! Certificate files (ZPL): any text parses or fails with an error, and an
//! error never quotes the secret-key value that was in the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match zmq::security::Certificate::parse(text) {
        Ok(cert) => {
            // What parsed writes back out and parses again to the same keys.
            let out = cert.to_secret_zpl().unwrap_or_else(|| cert.to_public_zpl());
            let again = zmq::security::Certificate::parse(&out).expect("own output parses");
            assert_eq!(again.public_key(), cert.public_key());
        }
        Err(e) => {
            let shown = format!("{e} {e:?}");
            for line in text.lines().filter(|l| l.contains("secret-key")) {
                if let Some(value) = line
                    .split(['"', '\'', '='])
                    .map(str::trim)
                    .find(|v| v.len() >= 20)
                {
                    assert!(!shown.contains(value), "error quotes {value:?}: {shown}");
                }
            }
        }
    }
});
