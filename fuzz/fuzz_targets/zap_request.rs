//! ZAP requests as the authenticator receives them: every request gets a
//! reply that keeps its envelope and ends with the six ZAP reply frames.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "frames.rs"]
mod frames;

fuzz_target!(|data: &[u8]| {
    let frames = frames::split_frames(data);
    let reply = zmq::security::answer_zap_request_for_fuzzing(&frames);
    assert!(reply.len() >= 6);
    let status = &reply[reply.len() - 4];
    assert!(
        status == b"200" || status == b"400" || status == b"500",
        "{status:?}"
    );
});
