//! One browser's send queue, and its policy.
//!
//! The desk pushes every change into the outbox of every open browser, and
//! each browser's session takes them out as fast as its WebSocket takes
//! them. A browser that reads slowly never makes the host hold an unbounded
//! backlog for it:
//!
//! - Ticks are coalesced: a symbol has at most one tick waiting, the latest
//!   price (it keeps the place in the queue of the first one it replaced).
//! - Other changes (chat lines, diagnostics, the valuation's progress...)
//!   queue up to [`MAX_QUEUED_BYTES`]. Past that the browser is too far
//!   behind to catch up change by change: its queue is dropped and it is
//!   sent a fresh snapshot of the whole state instead.
//!
//! So an outbox holds at most [`MAX_QUEUED_BYTES`] of changes plus one tick
//! per followed symbol. A browser that does not read at all is closed by
//! its session (see `web.rs`), not by the outbox.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// The changes (other than ticks) that may wait for one browser, in bytes
/// of JSON.
pub const MAX_QUEUED_BYTES: usize = 256 * 1024;

/// What is waiting for one browser, in order.
#[derive(Debug)]
enum Item {
    /// A change, as the JSON sent.
    Change(Arc<str>),
    /// The latest tick of this symbol (in `Pending::ticks`, unless the
    /// symbol was forgotten since).
    Tick(Arc<str>),
}

/// What the session sends next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// A change's JSON.
    Change(Arc<str>),
    /// A tick's JSON (the latest of its symbol).
    Tick(Arc<str>),
    /// The browser fell behind by more than [`MAX_QUEUED_BYTES`]: its queue
    /// was dropped, and it needs the whole state again.
    Resync,
}

#[derive(Debug, Default)]
struct Pending {
    items: VecDeque<Item>,
    /// The latest tick (its JSON) of each symbol with a tick waiting.
    ticks: HashMap<Arc<str>, Arc<str>>,
    /// JSON bytes of the changes in `items`.
    bytes: usize,
    /// The queue overflowed: the next thing to send is a snapshot.
    resync: bool,
    /// Times the queue overflowed (for the tests and the panel).
    overflows: u64,
}

/// One browser's send queue.
#[derive(Debug, Default)]
pub struct Outbox {
    pending: Mutex<Pending>,
    ready: Notify,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox::default()
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Plain data: a panic elsewhere leaves it usable.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a change; past [`MAX_QUEUED_BYTES`] the queue is dropped and
    /// the browser is marked for a fresh snapshot.
    pub fn push_change(&self, json: Arc<str>) {
        let mut pending = self.lock();
        if pending.resync {
            return; // the snapshot to come includes this change
        }
        if pending.bytes + json.len() > MAX_QUEUED_BYTES {
            pending.items.clear();
            pending.ticks.clear();
            pending.bytes = 0;
            pending.resync = true;
            pending.overflows += 1;
        } else {
            pending.bytes += json.len();
            pending.items.push_back(Item::Change(json));
        }
        drop(pending);
        self.ready.notify_one();
    }

    /// Queues a tick (its JSON, made once for every browser), replacing
    /// the one of the same symbol still waiting.
    pub fn push_tick(&self, symbol: &Arc<str>, json: &Arc<str>) {
        let mut pending = self.lock();
        if pending.resync {
            return;
        }
        if pending.ticks.insert(symbol.clone(), json.clone()).is_none() {
            pending.items.push_back(Item::Tick(symbol.clone()));
        }
        drop(pending);
        self.ready.notify_one();
    }

    /// Drops the waiting tick of a symbol no longer followed.
    pub fn forget(&self, symbol: &str) {
        self.lock().ticks.remove(symbol);
    }

    /// Empties the queue (a snapshot is being sent that includes it all).
    pub fn clear(&self) {
        let mut pending = self.lock();
        pending.items.clear();
        pending.ticks.clear();
        pending.bytes = 0;
        pending.resync = false;
    }

    /// Times the queue overflowed into a snapshot.
    #[cfg(test)]
    pub fn overflows(&self) -> u64 {
        self.lock().overflows
    }

    /// The next thing to send, if any, taken off the queue.
    pub fn try_next(&self) -> Option<Next> {
        let mut pending = self.lock();
        if pending.resync {
            return Some(Next::Resync);
        }
        while let Some(item) = pending.items.pop_front() {
            match item {
                Item::Change(json) => {
                    pending.bytes -= json.len();
                    return Some(Next::Change(json));
                }
                Item::Tick(symbol) => {
                    if let Some(json) = pending.ticks.remove(&symbol) {
                        return Some(Next::Tick(json));
                    }
                    // Forgotten since it was queued: nothing to send.
                }
            }
        }
        None
    }

    /// Waits for the next thing to send. Cancel safe: an item is taken off
    /// the queue only when this returns it.
    pub async fn next(&self) -> Next {
        loop {
            let ready = self.ready.notified();
            if let Some(next) = self.try_next() {
                return next;
            }
            ready.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(text: &str) -> Next {
        Next::Change(text.into())
    }

    fn tick(text: &str) -> Arc<str> {
        text.into()
    }

    #[test]
    fn ticks_of_one_symbol_coalesce_into_the_latest_in_the_first_ones_place() {
        let outbox = Outbox::new();
        let (msft, aapl): (Arc<str>, Arc<str>) = ("MSFT".into(), "AAPL".into());
        outbox.push_tick(&msft, &tick("MSFT 41"));
        outbox.push_change("chat".into());
        outbox.push_tick(&aapl, &tick("AAPL 95"));
        outbox.push_tick(&msft, &tick("MSFT 42"));
        outbox.push_tick(&msft, &tick("MSFT 43"));
        assert_eq!(outbox.try_next(), Some(Next::Tick(tick("MSFT 43"))));
        assert_eq!(outbox.try_next(), Some(change("chat")));
        assert_eq!(outbox.try_next(), Some(Next::Tick(tick("AAPL 95"))));
        assert_eq!(outbox.try_next(), None);
        // Once sent, a new tick queues again.
        outbox.push_tick(&msft, &tick("MSFT 44"));
        assert_eq!(outbox.try_next(), Some(Next::Tick(tick("MSFT 44"))));
    }

    #[test]
    fn a_forgotten_symbols_waiting_tick_is_not_sent() {
        let outbox = Outbox::new();
        let msft: Arc<str> = "MSFT".into();
        outbox.push_tick(&msft, &tick("MSFT 41"));
        outbox.forget("MSFT");
        outbox.push_change("forgot MSFT".into());
        assert_eq!(outbox.try_next(), Some(change("forgot MSFT")));
        assert_eq!(outbox.try_next(), None);
    }

    #[test]
    fn a_browser_too_far_behind_gets_a_snapshot_instead_of_a_backlog() {
        let outbox = Outbox::new();
        let line: Arc<str> = "x".repeat(1000).into();
        for _ in 0..(MAX_QUEUED_BYTES / 1000) {
            outbox.push_change(line.clone());
        }
        assert_eq!(outbox.overflows(), 0);
        outbox.push_change(line.clone());
        assert_eq!(outbox.overflows(), 1);
        // Nothing else is kept until the snapshot is sent.
        outbox.push_tick(&"MSFT".into(), &tick("MSFT 41"));
        outbox.push_change(line.clone());
        assert_eq!(outbox.try_next(), Some(Next::Resync));
        assert_eq!(outbox.lock().items.len(), 0);
        outbox.clear();
        assert_eq!(outbox.try_next(), None);
        outbox.push_change("after".into());
        assert_eq!(outbox.try_next(), Some(change("after")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn next_waits_for_a_push() {
        let outbox = Arc::new(Outbox::new());
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.next().await }
        });
        tokio::task::yield_now().await;
        outbox.push_change("late".into());
        assert_eq!(waiter.await.unwrap(), change("late"));
    }
}
