//! `zmq::Timers`: order, cancel, reset, set_interval, panicking handlers and
//! bad ids. Time passes through a `Poller` wait bounded by the timers' own
//! timeout, as in a real loop; every loop has a deadline.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};
use zmq::{Context, ErrorKind, PollEvents, Poller, SocketType, Timers};

/// How long a loop may run before the test gives up: generous, for a loaded
/// machine.
const DEADLINE: Duration = Duration::from_secs(30);

/// Waits, as a poll loop would, until the next timer is due (at most
/// [`DEADLINE`]): `zmq::poll` with no items sleeps for its timeout.
fn wait_for_next_timer(timers: &Timers<'_>) {
    let wait = timers.timeout().map(|t| t.min(DEADLINE));
    assert_eq!(zmq::poll(&mut [], wait).unwrap(), 0);
}

/// Runs the loop `poller.wait(timers.timeout())` then `timers.execute()`
/// until `done` holds; fails the test after [`DEADLINE`].
fn run_until(timers: &mut Timers<'_>, mut done: impl FnMut() -> bool) {
    let ctx = Context::new();
    let idle = ctx.socket(SocketType::Pull).unwrap();
    idle.bind("inproc://timers-test-idle").unwrap();
    let mut poller = Poller::new();
    poller.add(&idle, PollEvents::POLLIN, ()).unwrap();
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < DEADLINE,
            "timers did not fire within {DEADLINE:?}"
        );
        let wait = timers.timeout().map(|t| t.min(DEADLINE));
        assert_eq!(
            poller.wait(wait).unwrap().count(),
            0,
            "nothing is sent to the idle socket"
        );
        timers.execute().unwrap();
    }
}

#[test]
fn timers_fire_first_in_deadline_order_not_in_the_order_added() {
    let fired = RefCell::new(Vec::new());
    let mut timers = Timers::new();
    let record = &fired;
    for millis in [150, 50, 100] {
        timers
            .add(Duration::from_millis(millis), move |_| {
                record.borrow_mut().push(millis)
            })
            .unwrap();
    }
    assert_eq!(timers.len(), 3);
    let first_fires = |fired: &[u64]| {
        let mut seen = Vec::new();
        for &m in fired {
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
        seen
    };
    run_until(&mut timers, || first_fires(&fired.borrow()).len() == 3);
    drop(timers);
    assert_eq!(first_fires(&fired.into_inner()), [50, 100, 150]);
}

#[test]
fn a_timer_repeats_and_hands_its_own_id_to_its_handler() {
    let ids = RefCell::new(Vec::new());
    let mut timers = Timers::new();
    let id = timers
        .add(Duration::from_millis(5), |id| ids.borrow_mut().push(id))
        .unwrap();
    run_until(&mut timers, || ids.borrow().len() >= 3);
    drop(timers);
    assert!(ids.into_inner().iter().all(|&got| got == id));
}

#[test]
fn a_cancelled_timer_never_runs_again_and_its_handler_is_dropped() {
    let cancelled_runs = Rc::new(Cell::new(0));
    let kept_runs = Cell::new(0);
    let mut timers = Timers::new();
    let counter = Rc::clone(&cancelled_runs);
    let cancelled = timers
        .add(Duration::from_millis(5), move |_| {
            counter.set(counter.get() + 1)
        })
        .unwrap();
    timers
        .add(Duration::from_millis(5), |_| {
            kept_runs.set(kept_runs.get() + 1)
        })
        .unwrap();
    assert_eq!(
        Rc::strong_count(&cancelled_runs),
        2,
        "the handler holds a clone"
    );
    timers.cancel(cancelled).unwrap();
    assert_eq!(
        Rc::strong_count(&cancelled_runs),
        1,
        "cancel drops the handler"
    );
    assert_eq!(timers.len(), 1);
    run_until(&mut timers, || kept_runs.get() >= 5);
    assert_eq!(cancelled_runs.get(), 0);
}

#[test]
fn with_its_only_timer_cancelled_a_set_has_no_timeout() {
    let mut timers = Timers::new();
    assert_eq!(timers.timeout(), None, "an empty set");
    let id = timers.add(Duration::from_secs(60), |_| {}).unwrap();
    let timeout = timers.timeout().expect("one timer");
    assert!(timeout <= Duration::from_secs(60) && timeout > Duration::from_secs(50));
    timers.cancel(id).unwrap();
    assert_eq!(timers.timeout(), None);
    assert!(timers.is_empty());
}

#[test]
fn reset_restarts_the_countdown_from_now() {
    let mut timers = Timers::new();
    let id = timers.add(Duration::from_secs(60), |_| {}).unwrap();
    // Letting time pass is the point here, not waiting for a condition.
    std::thread::sleep(Duration::from_millis(300));
    let before = timers.timeout().unwrap();
    assert!(before <= Duration::from_millis(59_700), "{before:?}");
    timers.reset(id).unwrap();
    let after = timers.timeout().unwrap();
    assert!(after > before, "reset: {before:?} then {after:?}");
}

#[test]
fn set_interval_takes_effect_from_now_and_for_every_later_run() {
    let runs = Cell::new(0);
    let mut timers = Timers::new();
    let id = timers
        .add(Duration::from_secs(3600), |_| runs.set(runs.get() + 1))
        .unwrap();
    timers.set_interval(id, Duration::from_millis(5)).unwrap();
    assert!(timers.timeout().unwrap() <= Duration::from_millis(5));
    run_until(&mut timers, || runs.get() >= 3);
    timers.set_interval(id, Duration::from_secs(3600)).unwrap();
    assert!(timers.timeout().unwrap() > Duration::from_secs(3500));
}

#[test]
fn a_panicking_handler_panics_out_of_execute_not_into_libzmq() {
    let healthy_runs = Cell::new(0);
    let mut timers = Timers::new();
    // Due at the same moment, the panicking one first (added first).
    let panicking = timers
        .add(Duration::from_millis(5), |_| {
            panic!("handler failed on purpose")
        })
        .unwrap();
    timers
        .add(Duration::from_millis(5), |_| {
            healthy_runs.set(healthy_runs.get() + 1)
        })
        .unwrap();
    let started = Instant::now();
    let payload = loop {
        assert!(
            started.elapsed() < DEADLINE,
            "the panicking timer never fired"
        );
        wait_for_next_timer(&timers);
        // Reaching this catch at all shows that the panic did not cross the
        // C frames of zmq_timers_execute: Rust aborts the process when a
        // panic unwinds out of an `extern "C"` function.
        match panic::catch_unwind(AssertUnwindSafe(|| timers.execute())) {
            Ok(result) => result.unwrap(),
            Err(payload) => break payload,
        }
    };
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"handler failed on purpose")
    );
    assert_eq!(
        healthy_runs.get(),
        0,
        "the handlers after a panic in the same execute are skipped"
    );
    // The set is still usable: the panicking timer stays until cancelled,
    // and the other one runs again.
    assert_eq!(timers.len(), 2);
    timers.cancel(panicking).unwrap();
    run_until(&mut timers, || healthy_runs.get() >= 2);
}

#[test]
fn bad_ids_and_intervals_are_clear_errors() {
    let mut timers = Timers::new();
    let mut other = Timers::new();
    let id = timers.add(Duration::from_secs(1), |_| {}).unwrap();
    let foreign = other.add(Duration::from_secs(1), |_| {}).unwrap();

    timers.cancel(id).unwrap();
    for err in [
        timers.cancel(id).unwrap_err(),
        timers.reset(id).unwrap_err(),
        timers.set_interval(id, Duration::from_secs(1)).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains("cancelled"), "{err}");
    }

    for err in [
        timers.cancel(foreign).unwrap_err(),
        timers.reset(foreign).unwrap_err(),
        timers
            .set_interval(foreign, Duration::from_secs(1))
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("another Timers"), "{err}");
    }
    // The refusals touched neither set.
    assert_eq!((timers.len(), other.len()), (0, 1));
    other.reset(foreign).unwrap();

    let zero = timers.add(Duration::ZERO, |_| {}).unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidInput);
    assert!(zero.to_string().contains("longer than zero"), "{zero}");
    let too_long = other
        .set_interval(foreign, Timers::MAX_INTERVAL + Duration::from_millis(1))
        .unwrap_err();
    assert_eq!(too_long.kind(), ErrorKind::InvalidInput);
    assert!(too_long.to_string().contains("MAX_INTERVAL"), "{too_long}");
}

#[test]
fn dropping_the_set_drops_every_handler() {
    let witness = Rc::new(());
    let mut timers = Timers::new();
    for _ in 0..3 {
        let w = Rc::clone(&witness);
        timers
            .add(Duration::from_secs(1), move |_| {
                let _witness = &w;
            })
            .unwrap();
    }
    assert_eq!(Rc::strong_count(&witness), 4);
    drop(timers);
    assert_eq!(Rc::strong_count(&witness), 1);
}
