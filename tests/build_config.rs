//! What the build found is what the program runs with: build.rs turns zmq-sys's
//! probe of `zmq.h` into cfgs (`zmq_4_3_N` for each patch level reached,
//! `zmq_has_curve` when the library was built with CURVE), and the libzmq
//! linked in must agree with them. A mismatch (headers of one libzmq, the
//! library of another) would make the committed bindings lie.

/// The header's patch level within 4.3, from the `zmq_4_3_N` cfgs.
fn header_patch_4_3() -> Option<i32> {
    let reached = [
        cfg!(zmq_4_3_0),
        cfg!(zmq_4_3_1),
        cfg!(zmq_4_3_2),
        cfg!(zmq_4_3_3),
        cfg!(zmq_4_3_4),
        cfg!(zmq_4_3_5),
        cfg!(zmq_4_3_6),
        cfg!(zmq_4_3_7),
        cfg!(zmq_4_3_8),
        cfg!(zmq_4_3_9),
    ];
    // Each level implies the ones below it, so the count is the patch + 1.
    let count = reached.iter().take_while(|&&r| r).count();
    assert!(
        reached[count..].iter().all(|&r| !r),
        "the zmq_4_3_N cfgs must be a prefix: {reached:?}"
    );
    (count > 0).then(|| count as i32 - 1)
}

#[test]
fn the_linked_libzmq_has_the_version_of_the_header_built_against() {
    let (major, minor, patch) = zmq::version();
    match header_patch_4_3() {
        Some(header_patch) => assert_eq!(
            (major, minor, patch),
            (4, 3, header_patch),
            "built against zmq.h 4.3.{header_patch} but linked with libzmq {major}.{minor}.{patch}"
        ),
        None => assert_ne!(
            (major, minor),
            (4, 3),
            "linked with libzmq 4.3.{patch} but the build saw no 4.3 header"
        ),
    }
    // The vendored feature builds 4.3.5 unless LIBZMQ_NO_VENDOR asks for the
    // system's library.
    if cfg!(feature = "vendored") && option_env!("LIBZMQ_NO_VENDOR").is_none() {
        assert_eq!(header_patch_4_3(), Some(5), "the vendored libzmq is 4.3.5");
    }
}

#[test]
fn curve_found_by_the_build_is_available_at_run_time() {
    // zmq-sys reports CURVE when it knows (always for the vendored build);
    // the library linked in must then have it.
    if cfg!(zmq_has_curve) {
        assert!(
            zmq::has("curve"),
            "the build found CURVE, the library lacks it"
        );
        assert!(zmq::security::CurveKeyPair::generate().is_ok());
    }
    if cfg!(feature = "vendored") && option_env!("LIBZMQ_NO_VENDOR").is_none() {
        let found_curve = cfg!(zmq_has_curve);
        assert!(found_curve, "the vendored build always has CURVE");
    }
}
