//! Monitor churn (issue 11 item 8), in its own test binary so that no other
//! test's sockets or threads change the counts.
//!
//! Linux only: it counts this process's fds and threads in `/proc/self`.
#![cfg(target_os = "linux")]

mod watchdog;

use std::time::Duration;
use watchdog::within;
use zmq::monitor::MonitorEvents;
use zmq::{Context, SocketType};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Issue 11 item 8: creating and dropping a monitor on one socket in a tight
/// loop keeps fds and threads flat (it used to run out of fds after ~2,670).
#[test]
fn monitor_churn_keeps_fds_and_threads_flat() {
    within(Duration::from_secs(300), || {
        let ctx = Context::new();
        let socket = ctx.socket(SocketType::Dealer).unwrap();
        // One cycle first, so the context's own threads and fds exist.
        drop(socket.monitor(MonitorEvents::ALL).unwrap());
        let (fds_before, threads_before) = (open_fds(), threads());
        for round in 0..10_000 {
            let monitor = socket
                .monitor(MonitorEvents::ALL)
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            drop(monitor);
        }
        // libzmq's reaper thread closes the last monitor's sockets (and their
        // mailbox eventfds) asynchronously: give it a bounded while to catch up
        // on a loaded machine. A leak (the old bug: one pair of sockets per
        // cycle, thousands of fds) never settles.
        let settled = std::time::Instant::now() + Duration::from_secs(10);
        while open_fds() > fds_before + 4 && std::time::Instant::now() < settled {
            std::thread::sleep(Duration::from_millis(10));
        }
        let (fds_after, threads_after) = (open_fds(), threads());
        eprintln!("fds {fds_before} -> {fds_after}, threads {threads_before} -> {threads_after}");
        assert!(
            fds_after <= fds_before + 4,
            "fds {fds_before} -> {fds_after}"
        );
        assert!(
            threads_after <= threads_before + 1,
            "threads {threads_before} -> {threads_after}"
        );
    });
}
