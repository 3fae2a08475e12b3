//! Turns what zmq-sys found (`DEP_ZMQ_*`) into cfgs, each declared for
//! `rustc-check-cfg`: `zmq_draft` when the DRAFT API is built in, and
//! `zmq_4_3_N` for every patch level the library reaches.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(zmq_draft)");
    println!("cargo:rustc-check-cfg=cfg(zmq_has_curve)");
    for patch in 0..=9 {
        println!("cargo:rustc-check-cfg=cfg(zmq_4_3_{patch})");
    }
    for var in [
        "DEP_ZMQ_DRAFT",
        "DEP_ZMQ_VERSION_NUMBER",
        "DEP_ZMQ_HAS_CURVE",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if std::env::var("DEP_ZMQ_DRAFT").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=zmq_draft");
    }
    if std::env::var("DEP_ZMQ_HAS_CURVE").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=zmq_has_curve");
    }
    let version: u32 = std::env::var("DEP_ZMQ_VERSION_NUMBER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_300);
    if version / 100 == 403 {
        for patch in 0..=(version % 100).min(9) {
            println!("cargo:rustc-cfg=zmq_4_3_{patch}");
        }
    }
}
