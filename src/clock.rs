//! When a blocking call started: the one clock read on the hot path of every
//! blocking send and receive ([`Socket::retry`](crate::Socket)).
//!
//! Why not `Instant::now()`: on Linux it is the same `clock_gettime`
//! (`CLOCK_MONOTONIC`), but behind a wrapper that checks and converts the
//! result; a blocking inproc round trip makes four such reads, and the
//! wrapper alone cost 1.5 % of libzmq's instructions per round trip
//! (callgrind, `benches/perf/roundtrip_check.py`). The reading is only
//! looked at again when a signal interrupts the call, off the hot path.

use std::time::Duration;

/// A reading of the monotonic clock, taken when a blocking call starts.
#[derive(Clone, Copy)]
pub(crate) struct Started(Reading);

#[cfg(unix)]
type Reading = libc::timespec;
#[cfg(not(unix))]
type Reading = std::time::Instant;

impl Started {
    /// Reads the monotonic clock.
    #[inline]
    pub(crate) fn now() -> Started {
        Started(read())
    }

    /// The time since [`now`](Self::now) (zero if the clock misbehaved).
    pub(crate) fn elapsed(&self) -> Duration {
        since(&self.0, &read())
    }
}

#[cfg(unix)]
#[inline]
fn read() -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC exists on
    // every Unix we build for, so the call cannot fail (were it to, `now`
    // stays zero and `elapsed` saturates to zero: the wait is not shortened).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now
}

#[cfg(unix)]
fn since(start: &libc::timespec, now: &libc::timespec) -> Duration {
    let as_duration = |t: &libc::timespec| {
        Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_nsec).unwrap_or(0),
        )
    };
    as_duration(now).saturating_sub(as_duration(start))
}

#[cfg(not(unix))]
#[inline]
fn read() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(not(unix))]
fn since(start: &std::time::Instant, now: &std::time::Instant) -> Duration {
    now.saturating_duration_since(*start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_follows_the_monotonic_clock() {
        let started = Started::now();
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}
