//! The tickz wire protocol parsers (examples/tickz/proto.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../examples/common/clock.rs"]
mod clock;
#[path = "frames.rs"]
mod frames;
#[allow(dead_code)]
#[path = "../../examples/tickz/proto.rs"]
mod proto;

fuzz_target!(|data: &[u8]| {
    if let Ok(tick) = proto::decode(&frames::split_frames(data)) {
        let _ = proto::plain_line(&tick);
    }
    let _ = proto::decode_time(data);
    // A RADIO/DISH datagram: the first frame as the group, the second as the body.
    if let [group, body, ..] = &frames::split_frames(data)[..] {
        if let Ok(tick) = proto::decode_datagram(group, body) {
            let _ = proto::plain_line(&tick);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = proto::parse_symbol(text);
        let _ = proto::check_symbol(text);
    }
});
