//! Monitor event frames (v1 and v2 layouts): any frames decode or fail.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "frames.rs"]
mod frames;

fuzz_target!(|data: &[u8]| {
    let frames = frames::split_frames(data);
    let _ = zmq::monitor::Event::from_frames(&frames);
    let _ = zmq::monitor::Event::from_frames_v2(&frames);
});
