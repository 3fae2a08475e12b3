//! The committed bindings have the layout the C compiler gives `zmq.h`'s
//! structs on this target: sizes, alignments and field offsets, compared with
//! `build/layout.c` compiled by the same C compiler that built libzmq. The
//! bindings are per platform (on 64-bit Windows `zmq_fd_t` is an 8-byte
//! `SOCKET`), so this runs on every target the CI builds tests for.

use std::mem::{align_of, offset_of, size_of};

use zmq_sys as sys;

unsafe extern "C" {
    /// `build/layout.c`: the C view, in the order `rust_layout` lists it.
    static zmq_sys_c_layout: [usize; 0];
    static zmq_sys_c_layout_len: usize;
}

/// The Rust view, named, in `build/layout.c`'s order.
fn rust_layout() -> Vec<(&'static str, usize)> {
    #[cfg_attr(not(zmq_draft), allow(unused_mut))]
    let mut layout = vec![
        ("size_of zmq_fd_t", size_of::<sys::zmq_fd_t>()),
        ("align_of zmq_fd_t", align_of::<sys::zmq_fd_t>()),
        ("size_of zmq_msg_t", size_of::<sys::zmq_msg_t>()),
        ("align_of zmq_msg_t", align_of::<sys::zmq_msg_t>()),
        ("size_of zmq_pollitem_t", size_of::<sys::zmq_pollitem_t>()),
        ("align_of zmq_pollitem_t", align_of::<sys::zmq_pollitem_t>()),
        (
            "offset_of zmq_pollitem_t.socket",
            offset_of!(sys::zmq_pollitem_t, socket),
        ),
        (
            "offset_of zmq_pollitem_t.fd",
            offset_of!(sys::zmq_pollitem_t, fd),
        ),
        (
            "offset_of zmq_pollitem_t.events",
            offset_of!(sys::zmq_pollitem_t, events),
        ),
        (
            "offset_of zmq_pollitem_t.revents",
            offset_of!(sys::zmq_pollitem_t, revents),
        ),
    ];
    #[cfg(zmq_draft)]
    layout.extend([
        (
            "size_of zmq_poller_event_t",
            size_of::<sys::zmq_poller_event_t>(),
        ),
        (
            "align_of zmq_poller_event_t",
            align_of::<sys::zmq_poller_event_t>(),
        ),
        (
            "offset_of zmq_poller_event_t.socket",
            offset_of!(sys::zmq_poller_event_t, socket),
        ),
        (
            "offset_of zmq_poller_event_t.fd",
            offset_of!(sys::zmq_poller_event_t, fd),
        ),
        (
            "offset_of zmq_poller_event_t.user_data",
            offset_of!(sys::zmq_poller_event_t, user_data),
        ),
        (
            "offset_of zmq_poller_event_t.events",
            offset_of!(sys::zmq_poller_event_t, events),
        ),
    ]);
    layout
}

#[test]
fn every_struct_has_the_c_compilers_layout() {
    // SAFETY: both statics are defined by build/layout.c, linked into this
    // test by the build script; the array has `zmq_sys_c_layout_len` elements
    // and neither is ever written.
    let c_layout = unsafe {
        std::slice::from_raw_parts(
            std::ptr::addr_of!(zmq_sys_c_layout).cast::<usize>(),
            zmq_sys_c_layout_len,
        )
    };
    let rust = rust_layout();
    assert_eq!(
        c_layout.len(),
        rust.len(),
        "build/layout.c and this test list different items (draft on one side only?)"
    );
    let wrong: Vec<String> = rust
        .iter()
        .zip(c_layout)
        .filter(|((_, r), c)| r != *c)
        .map(|((what, r), c)| format!("{what}: Rust {r}, C {c}"))
        .collect();
    assert!(wrong.is_empty(), "layout differs from C: {wrong:#?}");
}

#[test]
fn zmq_fd_t_is_the_platforms_socket_type() {
    // What the safe crate relies on when it reads ZMQ_FD (an int on Unix, a
    // SOCKET on Windows).
    #[cfg(windows)]
    assert_eq!(
        size_of::<sys::zmq_fd_t>(),
        size_of::<std::os::windows::io::RawSocket>()
    );
    #[cfg(unix)]
    assert_eq!(size_of::<sys::zmq_fd_t>(), size_of::<std::os::fd::RawFd>());
}
