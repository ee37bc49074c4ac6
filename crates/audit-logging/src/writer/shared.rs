//! State shared between callers and the writer thread.
//!
//! Two locks, each held briefly:
//! - `push` orders the queue: taking a place in the queue and counting it happen together, so
//!   the n-th accepted event is the n-th item the writer takes (its ordinal), and a refused
//!   event takes no place and no sequence number. It also holds the queue's fill level and
//!   the tally of refused events that the writer turns into `events_lost` records.
//! - `durable` is what the writer publishes after each fsync: how many items and which
//!   sequence number are durable. Every waiter on that fsync wakes from one `notify_all`, so
//!   many waiters share one fsync.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::error::AuditError;
use crate::format::Hash;

/// Reason events were not accepted, as stored in `events_lost` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LossReason {
    QueueFull,
    Dropped,
    WriterFailed,
    DiskSpaceLow,
    InvalidInput,
}

impl LossReason {
    pub(crate) const ALL: [LossReason; 5] =
        [LossReason::QueueFull, LossReason::Dropped, LossReason::WriterFailed, LossReason::DiskSpaceLow, LossReason::InvalidInput];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LossReason::QueueFull => "queue_full",
            LossReason::Dropped => "dropped",
            LossReason::WriterFailed => "writer_failed",
            LossReason::DiskSpaceLow => "disk_space_low",
            LossReason::InvalidInput => "invalid_input",
        }
    }
}

/// Refusals of one reason not yet recorded in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LossTally {
    pub count: u64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// Counters guarded by the push lock.
#[derive(Debug)]
pub(crate) struct PushState {
    /// Items accepted so far; the last accepted item's ordinal.
    pub accepted: u64,
    /// Sequence numbers still available before the limit.
    pub seq_budget: u64,
    /// Items and bytes in the queue (bytes as the validator's upper bound).
    pub queued_items: usize,
    pub queued_bytes: usize,
    /// Refusals not yet recorded, indexed like [`LossReason::ALL`].
    pub unrecorded: [Option<LossTally>; 5],
    /// All refusals and drops since the logger opened, indexed like [`LossReason::ALL`].
    pub totals: [u64; 5],
    /// Set while the writer is failed: why.
    pub failure: Option<String>,
}

impl PushState {
    /// Counts one refusal; returns true if the tally was empty (the writer should be woken).
    pub(crate) fn tally(&mut self, reason: LossReason, now: DateTime<Utc>) -> bool {
        let index = reason as usize;
        self.totals[index] += 1;
        match &mut self.unrecorded[index] {
            Some(tally) => {
                tally.count += 1;
                tally.last_at = now;
                false
            }
            slot @ None => {
                *slot = Some(LossTally { count: 1, first_at: now, last_at: now });
                true
            }
        }
    }
}

/// Durable position published by the writer.
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
    /// Set while the writer is failed, and after it gave up: why.
    pub failure: Option<String>,
    /// Whether the writer thread has exited.
    pub stopped: bool,
    /// Async waiters to wake at the next change.
    pub wakers: Vec<Waker>,
    /// Threads blocked in `Receipt::wait`, with the ordinal each waits for. Each is woken
    /// alone once its ordinal is durable (or the writer fails or stops), so an fsync wakes only
    /// the waiters it satisfies and none of them has to take this lock to find out.
    pub parked: Vec<(u64, std::thread::Thread)>,
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
    /// Signalled when the writer takes items out of the queue (for `OverflowPolicy::Block`).
    pub room: Condvar,
    pub durable: Mutex<DurableState>,
    pub durable_changed: Condvar,
    /// Set when the tally of refusals is not empty, so the writer checks it without a lock.
    pub losses_pending: AtomicBool,
    /// Receipt waiters made durable but not yet woken; each woken waiter wakes up to
    /// [`CASCADE_FAN_OUT`] more.
    pub cascade: Mutex<Vec<std::thread::Thread>>,
    /// Set while a flush request is in the control channel, so waiters send at most one.
    pub flush_pending: AtomicBool,
    /// Set while free space is below the reserve; `disk_free` contains the last reading.
    pub disk_low: AtomicBool,
    pub disk_free: AtomicU64,
}

/// Threads each woken waiter wakes in turn.
pub(crate) const CASCADE_FAN_OUT: usize = 2;

/// Locks a mutex, ignoring poisoning: no code panics while holding these locks, and the state
/// they guard stays consistent between statements.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(next_seq: u64, seq_budget: u64, last_hash: Hash, written: u64) -> Shared {
        Shared {
            push: Mutex::new(PushState {
                accepted: 0,
                seq_budget,
                queued_items: 0,
                queued_bytes: 0,
                unrecorded: [None; 5],
                totals: [0; 5],
                failure: None,
            }),
            room: Condvar::new(),
            durable: Mutex::new(DurableState {
                durable_items: 0,
                durable_seq: next_seq.checked_sub(1),
                last_hash,
                written,
                seq_runs: vec![(1, next_seq)],
                failure: None,
                stopped: false,
                wakers: Vec::new(),
                parked: Vec::new(),
            }),
            durable_changed: Condvar::new(),
            losses_pending: AtomicBool::new(false),
            cascade: Mutex::new(Vec::new()),
            flush_pending: AtomicBool::new(false),
            disk_low: AtomicBool::new(false),
            disk_free: AtomicU64::new(u64::MAX),
        }
    }

    /// Applies `update` to the durable state and wakes the waiters it satisfies: condition
    /// and async waiters directly, and receipt waiters two at a time, each woken one waking
    /// two more (see `wake_cascade`).
    pub(crate) fn publish(&self, update: impl FnOnce(&mut DurableState)) {
        let (wakers, first) = {
            let mut state = lock(&self.durable);
            update(&mut state);
            let everyone = state.failure.is_some() || state.stopped;
            let durable = state.durable_items;
            let (ready, waiting): (Vec<_>, Vec<_>) =
                std::mem::take(&mut state.parked).into_iter().partition(|(ordinal, _)| everyone || *ordinal <= durable);
            state.parked = waiting;
            // Waking a thread costs the waker a system call. The writer wakes two and leaves
            // the rest to them (`wake_cascade`), so it can start its next batch at once. The
            // rest are queued before this lock is released: a waiter that sees itself durable
            // then always finds them, and its own `wake_cascade` passes the wake-ups on even
            // if it woke early on its own.
            let mut ready = ready.into_iter().map(|(_, thread)| thread);
            let first: Vec<std::thread::Thread> = ready.by_ref().take(CASCADE_FAN_OUT).collect();
            lock(&self.cascade).extend(ready);
            (std::mem::take(&mut state.wakers), first)
        };
        for thread in first {
            thread.unpark();
        }
        self.durable_changed.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }


    /// Wakes up to [`CASCADE_FAN_OUT`] receipt waiters that the writer left for others to wake.
    pub(crate) fn wake_cascade(&self) {
        let next: Vec<std::thread::Thread> = {
            let mut cascade = lock(&self.cascade);
            let keep = cascade.len().saturating_sub(CASCADE_FAN_OUT);
            cascade.split_off(keep)
        };
        for thread in next {
            thread.unpark();
        }
    }

    /// Records a writer failure (or clears it with `None`) and wakes every waiter.
    pub(crate) fn set_failure(&self, failure: Option<String>) {
        lock(&self.push).failure.clone_from(&failure);
        self.publish(|state| state.failure = failure);
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

    /// Marks refusals as waiting to be recorded.
    pub(crate) fn note_losses(&self) {
        self.losses_pending.store(true, Ordering::Release);
    }
}

/// Error for callers when the writer has failed or stopped.
pub(crate) fn stopped_error(state: &DurableState) -> AuditError {
    match &state.failure {
        Some(reason) => AuditError::WriterFailed { reason: reason.clone() },
        None => AuditError::ShutDown,
    }
}
