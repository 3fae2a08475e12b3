//! Counting how often a future is polled: a spin shows as thousands of
//! polls per message where a wait costs a few.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

/// A future that adds one to `polls` each time it is polled.
pub struct Counted<'c, F> {
    inner: Pin<Box<F>>,
    polls: &'c AtomicUsize,
}

impl<F: Future> Future for Counted<'_, F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

/// `inner`, counting its polls in `polls`.
pub fn counted<F: Future>(inner: F, polls: &AtomicUsize) -> Counted<'_, F> {
    Counted {
        inner: Box::pin(inner),
        polls,
    }
}
