//! Ctrl-C that ends a program blocked in `recv`: a signal thread calls
//! `Context::shutdown`, and every blocking call returns `Terminated`.
//!
//! A blocking `send`/`recv` retries `EINTR` itself (within the socket's
//! timeout), so a signal alone never ends it. Instead, block SIGINT and
//! SIGTERM in every thread, wait for them in one thread with `sigwait`, and
//! shut the context down from there: no code runs inside a signal handler.
//!
//! Windows has no signals: there a console control handler (which Windows
//! runs on a thread of its own) shuts the context down on Ctrl-C or Ctrl-Break.
//!
//! Run: `cargo run --example ctrl_c`, then press Ctrl-C.

use zmq::{Context, ErrorKind, SocketType};

/// Blocks SIGINT and SIGTERM in the calling thread and in every thread it
/// starts later, and returns the set to wait on.
#[cfg(unix)]
fn block_shutdown_signals() -> std::io::Result<libc::sigset_t> {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; the
    // calls only touch this set and the calling thread's signal mask.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        match libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) {
            0 => Ok(set),
            e => Err(std::io::Error::from_raw_os_error(e)),
        }
    }
}

/// A context that is shut down on SIGINT or SIGTERM.
#[cfg(unix)]
fn context_shut_down_by_signals() -> std::io::Result<Context> {
    // First, before any other thread exists (libzmq's I/O threads included).
    let signals = block_shutdown_signals()?;
    let ctx = Context::new();
    let for_signals = ctx.clone();
    std::thread::spawn(move || {
        let mut signal = 0;
        // SAFETY: `signals` is an initialised set; sigwait writes `signal`.
        if unsafe { libc::sigwait(&signals, &mut signal) } == 0 {
            eprintln!("signal {signal}: shutting down");
            let _ = for_signals.shutdown();
        }
    });
    Ok(ctx)
}

/// A context that is shut down on Ctrl-C or Ctrl-Break.
#[cfg(windows)]
fn context_shut_down_by_signals() -> std::io::Result<Context> {
    use std::sync::OnceLock;
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;

    static CONTEXT: OnceLock<Context> = OnceLock::new();
    unsafe extern "system" fn on_ctrl(event: u32) -> i32 {
        if let Some(ctx) = CONTEXT.get() {
            eprintln!("console event {event}: shutting down");
            let _ = ctx.shutdown();
        }
        1 // handled: do not end the process before main returns
    }
    let ctx = CONTEXT.get_or_init(Context::new).clone();
    // SAFETY: on_ctrl is a valid handler for the life of the process; it
    // only reads a static that is set before it is installed.
    if unsafe { SetConsoleCtrlHandler(Some(on_ctrl), 1) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(ctx)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = context_shut_down_by_signals()?;

    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind("tcp://127.0.0.1:*")?;
    println!(
        "waiting on {} (press Ctrl-C to stop)",
        pull.last_endpoint()?
    );
    match pull.recv() {
        Ok(message) => println!("received {} bytes", message.len()),
        Err(e) if e.kind() == ErrorKind::Terminated => println!("stopped cleanly"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
