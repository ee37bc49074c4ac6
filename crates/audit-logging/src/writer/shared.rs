//! State shared between callers and the writer thread.
//!
//! Two locks, each held briefly:
//! - `push` orders the queue: taking a place in the queue and counting it happen together, so
//!   the n-th accepted event is the n-th item the writer takes (its ordinal), and a refused
//!   event takes no place and no sequence number.
//! - `durable` is what the writer publishes after each fsync: how many items and which
//!   sequence number are durable. Every waiter on that fsync wakes from one `notify_all`, so
//!   many waiters share one fsync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::error::AuditError;
use crate::format::Hash;

/// Counters guarded by the push lock.
#[derive(Debug)]
pub(crate) struct PushState {
    /// Items accepted so far; the last accepted item's ordinal.
    pub accepted: u64,
    /// Sequence numbers still available before the limit.
    pub seq_budget: u64,
    /// Events refused because the queue was full.
    pub refused: u64,
}

/// What the writer has made durable.
#[derive(Debug)]
pub(crate) struct DurableState {
    /// Items (by ordinal) that are durable: ordinals `1..=durable_items`.
    pub durable_items: u64,
    /// Sequence number of the last durable record.
    pub durable_seq: Option<u64>,
    /// Hash of the last durable record.
    pub last_hash: Hash,
    /// Records written by this logger (events and the writer's own records).
    pub written: u64,
    /// Sequence number of item ordinal `first_ordinal`, for each run of items with no
    /// writer record between them, oldest first.
    pub seq_runs: Vec<(u64, u64)>,
    /// Why the writer stopped, if it failed.
    pub failure: Option<String>,
    /// Whether the writer thread has exited.
    pub stopped: bool,
    /// Async waiters to wake at the next change.
    pub wakers: Vec<Waker>,
}

impl DurableState {
    /// Returns the sequence number given to the item with `ordinal`.
    pub(crate) fn seq_of(&self, ordinal: u64) -> Option<u64> {
        let (first_ordinal, first_seq) = self.seq_runs.iter().rev().find(|(first, _)| *first <= ordinal)?;
        Some(first_seq + (ordinal - first_ordinal))
    }
}

/// The shared state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub push: Mutex<PushState>,
    pub durable: Mutex<DurableState>,
    pub durable_changed: Condvar,
    /// Set once the writer fails, so `emit` can refuse without taking a lock.
    pub failed: AtomicBool,
}

/// Locks a mutex, ignoring poisoning: no code panics while holding these locks, and the state
/// they guard stays consistent between statements.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(next_seq: u64, seq_budget: u64, last_hash: Hash) -> Shared {
        Shared {
            push: Mutex::new(PushState { accepted: 0, seq_budget, refused: 0 }),
            durable: Mutex::new(DurableState {
                durable_items: 0,
                durable_seq: next_seq.checked_sub(1),
                last_hash,
                written: 0,
                seq_runs: vec![(1, next_seq)],
                failure: None,
                stopped: false,
                wakers: Vec::new(),
            }),
            durable_changed: Condvar::new(),
            failed: AtomicBool::new(false),
        }
    }

    /// Applies `update` to the durable state and wakes every waiter.
    pub(crate) fn publish(&self, update: impl FnOnce(&mut DurableState)) {
        let wakers = {
            let mut state = lock(&self.durable);
            update(&mut state);
            std::mem::take(&mut state.wakers)
        };
        self.durable_changed.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }

    /// Records a writer failure and wakes every waiter.
    pub(crate) fn fail(&self, error: &AuditError) {
        self.failed.store(true, Ordering::Release);
        let reason = error.to_string();
        tracing::error!(error = %reason, "audit writer failed; the logger no longer accepts events");
        self.publish(|state| state.failure = Some(reason));
    }

    /// Blocks until `ready` returns `Some`, or until `timeout` passes (then returns `None`).
    pub(crate) fn wait_until<T>(
        &self,
        timeout: Option<Duration>,
        mut ready: impl FnMut(&DurableState) -> Option<T>,
    ) -> Option<T> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = lock(&self.durable);
        loop {
            if let Some(value) = ready(&state) {
                return Some(value);
            }
            state = match deadline {
                None => self.durable_changed.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    self.durable_changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }
}

/// Error for callers when the writer has failed or stopped.
pub(crate) fn stopped_error(state: &DurableState) -> AuditError {
    match &state.failure {
        Some(reason) => AuditError::WriterFailed { reason: reason.clone() },
        None => AuditError::ShutDown,
    }
}
