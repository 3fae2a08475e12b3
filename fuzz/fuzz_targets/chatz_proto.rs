//! The chatz wire protocol parsers (examples/chatz/proto.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "frames.rs"]
mod frames;
#[allow(dead_code)]
#[path = "../../examples/chatz/proto.rs"]
mod proto;

fuzz_target!(|data: &[u8]| {
    let _ = proto::parse_request(data);
    let _ = proto::parse_broadcast(data);
    let _ = proto::parse_reply(&frames::split_frames(data));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = proto::check_handle(text);
    }
});
