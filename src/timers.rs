//! [`Timers`]: libzmq's timer set (`zmq_timers_*`), with Rust closures as
//! handlers, made to sit next to a [`Poller`](crate::Poller) in one loop.

use crate::error::{check, Error, ErrorKind, Result};
use std::any::Any;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Names a timer of one [`Timers`] set: returned by [`Timers::add`], given to
/// its handler, and taken by [`Timers::cancel`], [`Timers::set_interval`] and
/// [`Timers::reset`].
///
/// It remembers which set it came from, so an id used on another set is an
/// error rather than a different timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId {
    set: u64,
    id: c_int,
}

/// Gives every [`Timers`] a serial number of its own, for [`TimerId::set`].
static NEXT_SET: AtomicU64 = AtomicU64::new(1);

/// A handler as stored: any closure the caller gave [`Timers::add`].
type Handler<'h> = Box<dyn FnMut(TimerId) + 'h>;

/// What the C callback needs: the handlers by libzmq id, and a panic caught
/// in one of them, waiting to be re-raised once libzmq has returned.
struct Handlers<'h> {
    set: u64,
    by_id: HashMap<c_int, Handler<'h>>,
    panic: Option<Box<dyn Any + Send>>,
}

/// A set of repeating timers (`zmq_timers_new`), each running a closure every
/// interval: heartbeats, retries, expiries in a single-threaded poll loop.
///
/// Timers do not run on their own. The loop asks how long it may sleep,
/// waits on its sockets for at most that long, then runs what is due:
///
/// ```
/// use std::time::Duration;
/// use zmq::{Context, PollEvents, Poller, SocketType, Timers};
///
/// let ctx = Context::new();
/// let inbox = ctx.socket(SocketType::Pull)?;
/// inbox.bind("inproc://timers-doc")?;
/// let outbox = ctx.socket(SocketType::Push)?;
/// outbox.connect("inproc://timers-doc")?;
///
/// let mut timers = Timers::new();
/// // Every 10 ms, a heartbeat into the inbox. A handler may borrow what
/// // outlives the Timers; errors are its own to handle.
/// timers.add(Duration::from_millis(10), |_id| {
///     let _ = outbox.send("beat");
/// })?;
///
/// let mut poller = Poller::new();
/// poller.add(&inbox, PollEvents::POLLIN, "inbox")?;
/// let mut beats = 0;
/// for _ in 0..10_000 {
///     // Sleep until a socket is ready or the next timer is due...
///     let ready = poller.wait(timers.timeout())?.count();
///     if ready > 0 {
///         assert_eq!(inbox.recv()?, "beat");
///         beats += 1;
///         if beats == 3 {
///             break;
///         }
///     }
///     // ...then run the timers that are due (none, if a socket woke us).
///     timers.execute()?;
/// }
/// assert_eq!(beats, 3);
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// [`timeout`](Self::timeout) is `None` when no timer is active, which
/// `Poller::wait` takes as "wait for the sockets only".
///
/// A timer repeats until it is [cancelled](Self::cancel); a one-shot timer
/// is one whose handler's work is done once (it may set a flag the loop reads
/// to cancel it). Timers due at the same moment run in the order they were
/// added.
///
/// # Handlers and panics
/// Handlers are `FnMut(TimerId)` closures that may borrow anything that
/// outlives the set (`'h`); each lives until its timer is cancelled or the
/// set is dropped. They run only inside [`execute`](Self::execute), on the
/// caller's thread, and cannot reach the set itself (it is borrowed by
/// `execute`), so they cannot add or cancel timers while running.
///
/// A panic in a handler never unwinds into libzmq (that would abort the
/// process): it is caught, the handlers still due in that `execute` are
/// skipped (libzmq reschedules them for their next interval), and the panic
/// is raised again from `execute` once libzmq has returned, as if the
/// handler had been called directly. The timer that panicked stays
/// registered.
///
/// # Threads
/// A `Timers` is neither `Send` nor `Sync` (its handlers need not be `Send`,
/// and libzmq's timer set has no lock): create it on the thread that polls.
pub struct Timers<'h> {
    raw: *mut c_void,
    /// Owned (from `Box::into_raw`, freed in `Drop`), and kept as a raw
    /// pointer because libzmq holds a copy of it as each timer's `arg`.
    handlers: *mut Handlers<'h>,
}

impl fmt::Debug for Timers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("len", &self.len())
            .field("timeout", &self.timeout())
            .finish()
    }
}

impl Default for Timers<'_> {
    fn default() -> Self {
        Timers::new()
    }
}

impl<'h> Timers<'h> {
    /// The longest interval a timer may have: `i32::MAX` milliseconds (about
    /// 24.8 days), so that libzmq's millisecond arithmetic cannot overflow on
    /// any platform. A longer one is an [`ErrorKind::InvalidInput`] error.
    pub const MAX_INTERVAL: Duration = Duration::from_millis(i32::MAX as u64);

    /// An empty timer set (`zmq_timers_new`).
    pub fn new() -> Timers<'h> {
        // SAFETY: zmq_timers_new takes no arguments and returns an owned
        // timer set, freed in Drop.
        let raw = unsafe { zmq_sys::zmq_timers_new() };
        if raw.is_null() {
            // libzmq returns NULL only when `new` fails (and 4.3 aborts
            // before that): the same treatment as a failed Box allocation.
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 64]>());
        }
        let handlers = Box::new(Handlers {
            set: NEXT_SET.fetch_add(1, Ordering::Relaxed),
            by_id: HashMap::new(),
            panic: None,
        });
        Timers {
            raw,
            handlers: Box::into_raw(handlers),
        }
    }

    fn handlers(&self) -> &Handlers<'h> {
        // SAFETY: the pointer comes from Box::into_raw in `new` and is freed
        // only in Drop; libzmq reads it only inside zmq_timers_execute, which
        // runs under `&mut self`, so no mutable access overlaps this one.
        unsafe { &*self.handlers }
    }

    fn handlers_mut(&mut self) -> &mut Handlers<'h> {
        // SAFETY: as in `handlers`, and `&mut self` makes this the only
        // access.
        unsafe { &mut *self.handlers }
    }

    /// The number of timers (added and not cancelled).
    pub fn len(&self) -> usize {
        self.handlers().by_id.len()
    }

    /// True when there is no timer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a timer that runs `handler` every `interval`, first one interval
    /// from now (`zmq_timers_add`), and returns its id, which the handler
    /// also receives.
    ///
    /// Intervals count in whole milliseconds: a shorter one is rounded up.
    /// A zero interval (which would make libzmq run the handler forever
    /// inside one `execute`) and one longer than
    /// [`MAX_INTERVAL`](Self::MAX_INTERVAL) are [`ErrorKind::InvalidInput`]
    /// errors.
    pub fn add(
        &mut self,
        interval: Duration,
        handler: impl FnMut(TimerId) + 'h,
    ) -> Result<TimerId> {
        let millis = interval_millis(interval, "Timers::add")?;
        // SAFETY: a live timer set; `fire` matches zmq_timer_fn, and its arg
        // is the handler table, which outlives the timer set (Drop destroys
        // the set first). zmq_timers_add does not call the handler.
        let id =
            unsafe { zmq_sys::zmq_timers_add(self.raw, millis, Some(fire), self.handlers.cast()) };
        check(id, "zmq_timers_add")?;
        let handlers = self.handlers_mut();
        handlers.by_id.insert(id, Box::new(handler));
        Ok(TimerId {
            set: handlers.set,
            id,
        })
    }

    /// Cancels a timer (`zmq_timers_cancel`): its handler will not run again
    /// and is dropped now. An id already cancelled is an
    /// [`ErrorKind::NotFound`] error; an id of another `Timers`, an
    /// [`ErrorKind::InvalidInput`] error.
    pub fn cancel(&mut self, timer: TimerId) -> Result<()> {
        self.known(timer, "Timers::cancel")?;
        // SAFETY: a live timer set; the id is one of its live timers.
        let rc = unsafe { zmq_sys::zmq_timers_cancel(self.raw, timer.id) };
        check(rc, "zmq_timers_cancel")?;
        // libzmq will not call this id again, so its handler can go.
        self.handlers_mut().by_id.remove(&timer.id);
        Ok(())
    }

    /// Changes a timer's interval and restarts its countdown from now with
    /// the new interval (`zmq_timers_set_interval`). The interval is checked
    /// as in [`add`](Self::add), the id as in [`cancel`](Self::cancel).
    pub fn set_interval(&mut self, timer: TimerId, interval: Duration) -> Result<()> {
        let millis = interval_millis(interval, "Timers::set_interval")?;
        self.known(timer, "Timers::set_interval")?;
        // SAFETY: a live timer set; the id is one of its live timers.
        let rc = unsafe { zmq_sys::zmq_timers_set_interval(self.raw, timer.id, millis) };
        check(rc, "zmq_timers_set_interval").map(drop)
    }

    /// Restarts a timer's countdown from now (`zmq_timers_reset`): it next
    /// runs one full interval later, as a watchdog that is fed. The id is
    /// checked as in [`cancel`](Self::cancel).
    pub fn reset(&mut self, timer: TimerId) -> Result<()> {
        self.known(timer, "Timers::reset")?;
        // SAFETY: a live timer set; the id is one of its live timers.
        let rc = unsafe { zmq_sys::zmq_timers_reset(self.raw, timer.id) };
        check(rc, "zmq_timers_reset").map(drop)
    }

    /// How long until the next timer is due (`zmq_timers_timeout`):
    /// `Some(Duration::ZERO)` when one is due already, `None` when there is
    /// no timer. Made to be passed to [`Poller::wait`](crate::Poller::wait).
    pub fn timeout(&self) -> Option<Duration> {
        // SAFETY: a live timer set. zmq_timers_timeout only drops cancelled
        // entries and reads deadlines; it calls no handler.
        let millis = unsafe { zmq_sys::zmq_timers_timeout(self.raw) };
        u64::try_from(millis).ok().map(Duration::from_millis)
    }

    /// Runs the handlers of the timers that are due, in deadline order, and
    /// schedules each again one interval later (`zmq_timers_execute`).
    /// Running none is fine: call it after every wait.
    ///
    /// If a handler panics, the panic is raised again from here after libzmq
    /// has returned (see [the type's docs](Self#handlers-and-panics)).
    pub fn execute(&mut self) -> Result<()> {
        // SAFETY: a live timer set. It calls `fire` with the handler table
        // as arg; `&mut self` guarantees no other access to that table while
        // it runs.
        let rc = unsafe { zmq_sys::zmq_timers_execute(self.raw) };
        if let Some(payload) = self.handlers_mut().panic.take() {
            panic::resume_unwind(payload);
        }
        check(rc, "zmq_timers_execute").map(drop)
    }

    /// Checks that an id names a live timer of this set.
    fn known(&self, timer: TimerId, operation: &'static str) -> Result<()> {
        let handlers = self.handlers();
        if timer.set != handlers.set {
            return Err(Error::with_kind(ErrorKind::InvalidInput, operation)
                .context("this TimerId belongs to another Timers"));
        }
        if !handlers.by_id.contains_key(&timer.id) {
            return Err(
                Error::new(libc::ENOENT, operation).context("no such timer: it was cancelled")
            );
        }
        Ok(())
    }
}

impl Drop for Timers<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` is the live timer set from zmq_timers_new, destroyed
        // once, here; it only fails on a pointer that is not a timer set.
        unsafe { zmq_sys::zmq_timers_destroy(&mut self.raw) };
        // SAFETY: from Box::into_raw in `new`; libzmq, which held copies of
        // it, is gone, so this is the last use.
        drop(unsafe { Box::from_raw(self.handlers) });
    }
}

/// Converts an interval to libzmq's milliseconds, rounding up, refusing zero
/// and anything above [`Timers::MAX_INTERVAL`].
fn interval_millis(interval: Duration, operation: &'static str) -> Result<usize> {
    if interval.is_zero() {
        return Err(Error::with_kind(ErrorKind::InvalidInput, operation)
            .context("a timer interval must be longer than zero"));
    }
    if interval > Timers::MAX_INTERVAL {
        return Err(Error::with_kind(ErrorKind::InvalidInput, operation)
            .context("a timer interval must be at most Timers::MAX_INTERVAL (i32::MAX ms)"));
    }
    // At most i32::MAX after the check above, so it fits a usize.
    let millis = interval.as_nanos().div_ceil(1_000_000);
    usize::try_from(millis)
        .map_err(|_| Error::with_kind(ErrorKind::InvalidInput, operation).context("interval"))
}

/// The `zmq_timer_fn` libzmq calls from `zmq_timers_execute`: runs the
/// handler of `timer_id`, catching a panic so that it never unwinds into C.
unsafe extern "C" fn fire(timer_id: c_int, arg: *mut c_void) {
    // SAFETY: arg is the handler table given to zmq_timers_add, alive until
    // the Timers drops (after the set is destroyed); zmq_timers_execute runs
    // under `&mut Timers`, so this is the only access while it lives.
    let handlers = unsafe { &mut *arg.cast::<Handlers<'_>>() };
    if handlers.panic.is_some() {
        // A handler has panicked in this round: run nothing more until the
        // panic has been raised again in `execute`.
        return;
    }
    let id = TimerId {
        set: handlers.set,
        id: timer_id,
    };
    if let Some(handler) = handlers.by_id.get_mut(&timer_id) {
        // AssertUnwindSafe: the panic is not swallowed but raised again from
        // `execute`, so the caller sees it as from a direct call.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| handler(id))) {
            handlers.panic = Some(payload);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_up_to_whole_milliseconds_and_refuse_zero_and_too_long() {
        assert_eq!(interval_millis(Duration::from_micros(1), "t").unwrap(), 1);
        assert_eq!(
            interval_millis(Duration::from_micros(1001), "t").unwrap(),
            2
        );
        assert_eq!(
            interval_millis(Timers::MAX_INTERVAL, "t").unwrap(),
            i32::MAX as usize
        );
        let zero = interval_millis(Duration::ZERO, "t").unwrap_err();
        assert_eq!(zero.kind(), ErrorKind::InvalidInput);
        assert!(zero.to_string().contains("longer than zero"), "{zero}");
        let long = interval_millis(Timers::MAX_INTERVAL + Duration::from_nanos(1), "t");
        assert!(long.unwrap_err().to_string().contains("MAX_INTERVAL"));
    }
}
