//! The synchronisation primitives of the wake-up logic: `std`'s here; the
//! loom model check (tests/loom_waiters.rs) supplies loom's under the same
//! names, so [`waiters`](super::waiters) runs unchanged under the checker.
//! (The fan-out waker's `Arc` stays `std`'s: `Waker::from` needs it, and its
//! reference count is not part of the logic.)

pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`. Nothing here can be left half-updated by a panic (a panic
/// inside `with_socket` cannot tear libzmq's state, and the waiter queues
/// are updated without calling out), so poisoning is moot.
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
