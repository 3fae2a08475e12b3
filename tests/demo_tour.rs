//! The tour runs every demo in one process for about five seconds and exits 0.

mod demo_support;

use demo_support::{example, Proc};
use std::process::Command;
use std::time::Duration;

#[test]
fn tour_shows_every_demo_and_exits_zero() {
    let mut tour = Proc::spawn("tour", Command::new(example("tour")));
    let status = tour.wait(Duration::from_secs(60));
    let out = tour.seen_out.join("\n");
    assert!(status.success(), "{out}");
    for want in [
        "tickz   AAPL ",
        "tickz   MSFT ",
        "alice: hi all",
        "bob: hello alice",
        "Calculated result: ",
        "all parts worked",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{out}");
    }
    // It ends by saying what to run next: the three demos' commands.
    let last = tour.seen_out.last().map(String::as_str).unwrap_or_default();
    for command in [
        "cargo run --example chatz -- server",
        "cargo run --example chatz -- client --handle alice",
        "cargo run --example tickz -- server",
        "cargo run --example tickz -- client AAPL MSFT",
        "cargo run --example valuz -- run --workers 4",
    ] {
        assert!(
            last.contains(command),
            "no {command:?} in the last line {last:?}"
        );
    }
}
