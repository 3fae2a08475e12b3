//! The valuz wire protocol parsers (examples/valuz/proto.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "frames.rs"]
mod frames;
#[allow(dead_code)]
#[path = "../../examples/valuz/proto.rs"]
mod proto;

fuzz_target!(|data: &[u8]| {
    let _ = proto::parse_order(&frames::split_frames(data));
    let _ = proto::parse_value(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(action) = proto::Action::parse(text) {
            let _ = proto::value_text(action, text);
        }
    }
});
