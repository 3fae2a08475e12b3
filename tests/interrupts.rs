//! Signals: an interrupted blocking call still ends by its timeout, and a
//! signal thread can stop a program blocked in `recv` (examples/ctrl_c.rs).
//!
//! Unix only: POSIX signals (SIGUSR1, `pthread_kill`, `sigaction`) do not
//! exist on Windows, where Ctrl-C runs a console handler on its own thread.
#![cfg(unix)]

mod demo_support;
mod watchdog;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use watchdog::within;
use zmq::{opt, Context, ErrorKind, SocketType};

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a no-op SIGUSR1 handler without `SA_RESTART`, so that a blocked
/// `poll` inside libzmq returns `EINTR` on every signal.
fn interrupt_with_sigusr1() {
    // SAFETY: the handler does nothing (async-signal-safe); the sigaction
    // struct is fully initialised before use.
    unsafe {
        let mut action = std::mem::zeroed::<libc::sigaction>();
        action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
}

/// Sends SIGUSR1 to `thread` every 15 ms until `stop` is set; counts them.
fn pester(thread: libc::pthread_t, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut sent = 0;
        let give_up = Instant::now() + Duration::from_secs(10);
        while !stop.load(Ordering::Relaxed) && Instant::now() < give_up {
            // SAFETY: `thread` is alive until `stop` is set (the test joins
            // this thread before the target thread ends).
            unsafe { libc::pthread_kill(thread, libc::SIGUSR1) };
            sent += 1;
            std::thread::sleep(Duration::from_millis(15)); // the signal rate, not a wait
        }
        sent
    })
}

/// Runs `blocking` while signals arrive every 15 ms; returns its result, how
/// long it took, and how many signals were sent meanwhile.
fn under_signals<T>(blocking: impl FnOnce() -> T) -> (T, Duration, u32) {
    interrupt_with_sigusr1();
    let stop = Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let pesterer = pester(me, Arc::clone(&stop));
    let started = Instant::now();
    let result = blocking();
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let sent = pesterer.join().unwrap();
    (result, took, sent)
}

#[test]
fn an_interrupted_recv_still_times_out_by_its_deadline() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.set(opt::RcvTimeo, Duration::from_millis(200)).unwrap();
        pull.bind("inproc://nobody-sends").unwrap();
        let (result, took, sent) = under_signals(|| pull.recv());
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Timeout);
        assert!(took >= Duration::from_millis(190), "{took:?}");
        assert!(
            took < Duration::from_secs(1),
            "{took:?} with {sent} signals"
        );
        assert!(sent >= 3, "only {sent} signals: the test proved nothing");
    });
}

#[test]
fn an_interrupted_send_still_times_out_by_its_deadline() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set(opt::SndTimeo, Duration::from_millis(200)).unwrap();
        push.bind("inproc://nobody-receives").unwrap();
        let (result, took, sent) = under_signals(|| push.send("lost"));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Timeout);
        assert!(
            took < Duration::from_secs(1),
            "{took:?} with {sent} signals"
        );
        assert!(sent >= 3, "only {sent} signals: the test proved nothing");
    });
}

#[test]
fn an_interrupted_recv_still_receives_what_arrives() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.set(opt::RcvTimeo, Duration::from_secs(5)).unwrap();
        pull.bind("inproc://arrives-later").unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect("inproc://arrives-later").unwrap();
        let (go, wait) = mpsc::channel::<()>();
        let sender = std::thread::spawn(move || {
            // Sent once the receiver has been interrupted a few times.
            let _ = wait.recv_timeout(Duration::from_millis(150));
            push.send("late").unwrap();
        });
        let (result, _, _) = under_signals(|| pull.recv());
        drop(go);
        sender.join().unwrap();
        assert_eq!(result.unwrap(), "late");
    });
}

#[test]
fn ctrl_c_example_stops_a_blocked_recv_cleanly() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(demo_support::example("ctrl_c"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("waiting on tcp://"), "{first}");
    // SAFETY: kill only sends a signal to our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let (done, finished) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = child.wait().unwrap();
        let rest: Vec<String> = lines.map_while(|l| l.ok()).collect();
        let _ = done.send((status, rest));
    });
    let (status, rest) = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the example did not exit within 10 s of SIGINT");
    waiter.join().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(rest, ["stopped cleanly"]);
}
