//! The caller's side: [`AuditLogger`], which validates events and queues them for the writer.
//!
//! `emit` needs no async runtime and waits for no I/O: it validates the event, takes the
//! time, and pushes onto a bounded queue with a non-blocking push under a short lock. A full
//! queue returns [`AuditError::BufferFull`] at once (unless the overflow policy is
//! [`OverflowPolicy::Block`], which waits up to its timeout). A refused event takes no
//! sequence number, so no gap appears.
//!
//! What a crash can lose depends on [`FlushMode`](crate::FlushMode): events accepted but not
//! yet fsynced. [`AuditLogger::emit_durable`] and [`AuditLogger::flush`] tell a caller when its
//! events are durable.

mod receipt;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossbeam_channel::{Sender, TrySendError};

pub use receipt::Receipt;

use crate::config::{AuditConfig, AuditMode, FailurePolicy, LoggerOptions, OverflowPolicy};
use crate::error::AuditError;
use crate::event::AuditEvent;
use crate::format::{check_service_id, Hash, RecordBody};
use crate::storage::{FileOps, LogFiles, Rotation, SEQ_LIMIT};
use crate::validation::validate_event;
use crate::writer::{
    self, lock, stopped_error, Checkpointer, Control, DurableState, Item, LossReason, PushState, Shared, WriterSettings,
};

/// Routine (non-critical) events may fill the queue up to `1 - 1/CRITICAL_RESERVE_DIVISOR` of
/// its capacity in events and in bytes; the rest is kept for critical events, so a flood of
/// routine events cannot crowd them out.
const CRITICAL_RESERVE_DIVISOR: usize = 8;

/// A handle that records audit events. Share it as `Arc<AuditLogger>`.
#[derive(Debug)]
pub struct AuditLogger {
    inner: Option<Inner>,
}

#[derive(Debug)]
struct Inner {
    items: Sender<Item>,
    control: Sender<Control>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
    limits: QueueLimits,
    overflow: OverflowPolicy,
    on_failure: FailurePolicy,
    disk_reserve: u64,
    drop_timeout: Duration,
}

/// Queue limits: the whole queue for critical events, less a reserve for routine ones.
#[derive(Debug, Clone, Copy)]
struct QueueLimits {
    items: usize,
    bytes: usize,
    routine_items: usize,
    routine_bytes: usize,
}

impl QueueLimits {
    fn new(items: usize, bytes: usize) -> QueueLimits {
        QueueLimits {
            items,
            bytes,
            routine_items: items - items / CRITICAL_RESERVE_DIVISOR,
            routine_bytes: bytes - bytes / CRITICAL_RESERVE_DIVISOR,
        }
    }

    fn has_room(&self, push: &PushState, size: usize, critical: bool) -> bool {
        let (items, bytes) = if critical { (self.items, self.bytes) } else { (self.routine_items, self.routine_bytes) };
        // An event larger than the whole byte limit is still accepted into an empty queue.
        push.queued_items < items && (push.queued_bytes + size <= bytes || push.queued_items == 0)
    }
}

/// Report returned by [`AuditLogger::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Sequence number of the last record in the log.
    pub last_seq: Option<u64>,
    /// Hash of the last record ([`Hash::GENESIS`] for an empty log).
    pub last_hash: Hash,
    /// Records this logger wrote, including records the writer added itself.
    pub written: u64,
    /// Events rejected because the queue was full, the writer had failed, or the disk was
    /// below its reserve.
    pub refused: u64,
    /// Events dropped under [`OverflowPolicy::DropAndRecord`].
    pub dropped: u64,
    /// Events rejected as invalid.
    pub invalid: u64,
}

/// The logger's state, as reported by [`AuditLogger::health`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Health {
    /// Accepting and writing events.
    Healthy,
    /// Logging is disabled; events are discarded by design.
    Disabled,
    /// The writer failed; `emit` returns [`AuditError::WriterFailed`].
    Failed {
        /// What failed.
        reason: String,
    },
    /// The writer thread has exited.
    Stopped,
}

impl AuditLogger {
    /// Opens the log described by `config` with default [`LoggerOptions`].
    ///
    /// For [`AuditMode::Local`] this creates the directory (mode 0700) if needed, takes its
    /// lock, recovers a torn tail, and starts the writer thread. No async runtime is needed.
    pub fn new(config: AuditConfig) -> Result<AuditLogger, AuditError> {
        AuditLogger::with_options(config, LoggerOptions::default())
    }

    /// Opens the log described by `config` with explicit options.
    pub fn with_options(config: AuditConfig, options: LoggerOptions) -> Result<AuditLogger, AuditError> {
        let base_dir = match &config.mode {
            AuditMode::Disabled => return Ok(AuditLogger { inner: None }),
            AuditMode::Local { base_dir } => base_dir.clone(),
        };
        check_service_id(&config.service_id).map_err(|reason| AuditError::InvalidConfig { field: "service_id", reason })?;
        if options.queue_capacity < 2 {
            return Err(AuditError::InvalidConfig { field: "queue_capacity", reason: "must be at least 2".into() });
        }
        if options.queue_bytes < crate::limits::MAX_EVENT_BYTES {
            let reason = format!("must be at least {} bytes, the largest event", crate::limits::MAX_EVENT_BYTES);
            return Err(AuditError::InvalidConfig { field: "queue_bytes", reason });
        }
        let policy = config.flush_mode.sync_policy()?;
        let (daily, size_limit) = config.rotation_policy.rules()?;

        let ops = FileOps {
            #[cfg(feature = "fault-injection")]
            injector: options.faults.clone(),
        };
        let rotation = Rotation { daily, size_limit };
        let (mut files, repair) = LogFiles::open(&base_dir, &config.service_id, rotation, ops)?;
        let mut written = 0;
        if let Some(repair) = repair {
            files.append(Utc::now(), &RecordBody::System(repair))?;
            files.persist(true)?;
            written += 1;
        }
        let next_seq = files.next_seq();
        let checkpointer = match options.checkpoints.clone() {
            None => None,
            Some(checkpoints) => {
                files.enable_merkle_leaves();
                Some(Checkpointer::open(&base_dir, checkpoints, files.first_seq()?, next_seq)?)
            }
        };
        let seq_budget = (SEQ_LIMIT + 1).saturating_sub(next_seq);
        let shared = Arc::new(Shared::new(next_seq, seq_budget, files.last_hash(), written));

        let (items_tx, items_rx) = crossbeam_channel::bounded(options.queue_capacity);
        let (control_tx, control_rx) = crossbeam_channel::unbounded();
        let settings = WriterSettings {
            policy,
            items: items_rx,
            control: control_rx,
            shared: Arc::clone(&shared),
            retry_interval: options.retry_interval,
            disk_warn_below: options.disk_warn_below,
            disk_reserve: options.disk_reserve,
            checkpointer,
        };
        let thread = writer::spawn(files, settings)?;
        Ok(AuditLogger {
            inner: Some(Inner {
                items: items_tx,
                control: control_tx,
                shared,
                thread: Some(thread),
                dir: base_dir,
                limits: QueueLimits::new(options.queue_capacity, options.queue_bytes),
                overflow: options.overflow,
                on_failure: options.on_failure,
                disk_reserve: options.disk_reserve,
                drop_timeout: options.drop_timeout,
            }),
        })
    }

    /// Validates `event` and queues it for the writer. Waits for no I/O, and blocks only
    /// under [`OverflowPolicy::Block`] while the queue is full.
    ///
    /// `Ok` means the event was accepted and will be written in order; it is durable once a
    /// later [`flush`](Self::flush) returns, or at once with [`emit_durable`](Self::emit_durable).
    ///
    /// Every error except `CounterOverflow` and `ShutDown` is also counted, and the writer
    /// appends an `events_lost` record with the count and time span as soon as it can.
    ///
    /// # Errors
    /// [`AuditError::InvalidInput`] naming the field; [`AuditError::BufferFull`] or
    /// [`AuditError::Dropped`] when the queue is full (see [`OverflowPolicy`]);
    /// [`AuditError::WriterFailed`] while the writer cannot write (with
    /// [`FailurePolicy::FailClosed`]); [`AuditError::DiskSpaceLow`] below the disk reserve;
    /// [`AuditError::ShutDown`] once the writer has exited; [`AuditError::CounterOverflow`]
    /// when sequence numbers are exhausted.
    pub fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        match &self.inner {
            None => Ok(()),
            Some(inner) => inner.submit(event).map(|_| ()),
        }
    }

    /// Like [`emit`](Self::emit), and returns a [`Receipt`] to wait on until this event is
    /// durable. Waiters share fsyncs: many receipts complete on one.
    pub fn emit_durable(&self, event: AuditEvent) -> Result<Receipt, AuditError> {
        match &self.inner {
            None => Ok(Receipt::disabled()),
            Some(inner) => {
                let ordinal = inner.submit(event)?;
                Ok(Receipt::new(Arc::clone(&inner.shared), inner.control.clone(), ordinal))
            }
        }
    }

    /// Waits until every event accepted before this call is durable, and returns the highest
    /// durable sequence number (`None` for an empty or disabled log).
    ///
    /// Works in any async runtime, or none: the writer thread wakes the future.
    pub async fn flush(&self) -> Result<Option<u64>, AuditError> {
        let Some(inner) = &self.inner else { return Ok(None) };
        let target = inner.request_flush();
        WaitFuture { shared: &inner.shared, ready: move |s: &DurableState| flushed(s, target) }.await
    }

    /// Blocking form of [`flush`](Self::flush), for synchronous code.
    pub fn flush_blocking(&self) -> Result<Option<u64>, AuditError> {
        let Some(inner) = &self.inner else { return Ok(None) };
        let target = inner.request_flush();
        inner.shared.wait_until(None, |s| flushed(s, target)).unwrap_or(Err(AuditError::ShutDown))
    }

    /// Reports whether the writer is healthy, without blocking on it.
    pub fn health(&self) -> Health {
        let Some(inner) = &self.inner else { return Health::Disabled };
        let state = lock(&inner.shared.durable);
        match (&state.failure, state.stopped) {
            (Some(reason), _) => Health::Failed { reason: reason.clone() },
            (None, true) => Health::Stopped,
            (None, false) => Health::Healthy,
        }
    }

    /// Returns the sequence number of the last durable record, without waiting.
    pub fn durable_seq(&self) -> Option<u64> {
        self.inner.as_ref().and_then(|inner| lock(&inner.shared.durable).durable_seq)
    }

    /// Drains the queue, makes everything durable, stops the writer thread and reports.
    pub async fn shutdown(mut self) -> Result<ShutdownReport, AuditError> {
        let Some(mut inner) = self.inner.take() else { return Ok(disabled_report()) };
        let _ = inner.control.send(Control::Shutdown);
        WaitFuture { shared: &inner.shared, ready: |s: &DurableState| s.stopped.then_some(()) }.await;
        inner.finish()
    }

    /// Blocking form of [`shutdown`](Self::shutdown).
    pub fn shutdown_blocking(mut self) -> Result<ShutdownReport, AuditError> {
        let Some(mut inner) = self.inner.take() else { return Ok(disabled_report()) };
        let _ = inner.control.send(Control::Shutdown);
        inner.finish()
    }
}

fn disabled_report() -> ShutdownReport {
    ShutdownReport { last_seq: None, last_hash: Hash::GENESIS, written: 0, refused: 0, dropped: 0, invalid: 0 }
}

/// Ready once `target` items are durable; an error once the writer failed or stopped short.
fn flushed(state: &DurableState, target: u64) -> Option<Result<Option<u64>, AuditError>> {
    if state.failure.is_some() {
        return Some(Err(stopped_error(state)));
    }
    if state.durable_items >= target {
        return Some(Ok(state.durable_seq));
    }
    state.stopped.then(|| Err(stopped_error(state)))
}

impl Inner {
    /// Validates and queues `event`, returning its ordinal among accepted items.
    fn submit(&self, event: AuditEvent) -> Result<u64, AuditError> {
        let size = match validate_event(&event) {
            Ok(size) => size,
            Err(error) => {
                self.refuse(&mut lock(&self.shared.push), LossReason::InvalidInput);
                return Err(error);
            }
        };
        let critical = event.is_critical();
        let mut push = lock(&self.shared.push);
        let mut deadline: Option<Instant> = None;
        loop {
            if push.seq_budget == 0 {
                return Err(AuditError::CounterOverflow);
            }
            if let Some(reason) = &push.failure {
                if self.on_failure == FailurePolicy::FailClosed {
                    let error = AuditError::WriterFailed { reason: reason.clone() };
                    self.refuse(&mut push, LossReason::WriterFailed);
                    return Err(error);
                }
            }
            if self.shared.disk_low.load(Ordering::Acquire) {
                self.refuse(&mut push, LossReason::DiskSpaceLow);
                let free = self.shared.disk_free.load(Ordering::Relaxed);
                return Err(AuditError::DiskSpaceLow { path: self.dir.clone(), free, required: self.disk_reserve });
            }
            if self.limits.has_room(&push, size, critical) {
                break;
            }
            let timeout = match self.overflow {
                OverflowPolicy::Block { timeout } => timeout,
                OverflowPolicy::DropAndRecord => {
                    self.refuse(&mut push, LossReason::Dropped);
                    return Err(AuditError::Dropped);
                }
                OverflowPolicy::Reject => Duration::ZERO,
            };
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + timeout);
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
                self.refuse(&mut push, LossReason::QueueFull);
                return Err(AuditError::BufferFull);
            };
            push = self.shared.room.wait_timeout(push, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        // The time is taken under the lock so that the timestamps of event records never go
        // backwards along the sequence (as long as the system clock does not). Records the
        // writer adds carry the time they were written, which can be slightly later.
        let item = Item { accepted_at: Utc::now(), size, event };
        match self.items.try_send(item) {
            Ok(()) => {
                push.accepted += 1;
                push.seq_budget -= 1;
                push.queued_items += 1;
                push.queued_bytes += size;
                Ok(push.accepted)
            }
            // The limits above are below the channel's capacity, so Full means the writer has
            // not yet released room it took; treat it like any full queue.
            Err(TrySendError::Full(_)) => {
                self.refuse(&mut push, LossReason::QueueFull);
                Err(AuditError::BufferFull)
            }
            Err(TrySendError::Disconnected(_)) => {
                drop(push);
                Err(stopped_error(&lock(&self.shared.durable)))
            }
        }
    }

    /// Counts a refusal for the writer to record, waking it if the tally was empty.
    fn refuse(&self, push: &mut PushState, reason: LossReason) {
        if push.tally(reason, Utc::now()) {
            self.shared.note_losses();
            let _ = self.control.send(Control::Wake);
        }
    }

    /// Asks the writer to fsync now and returns the ordinal that must become durable.
    fn request_flush(&self) -> u64 {
        let target = lock(&self.shared.push).accepted;
        // A send error means the writer has exited; the wait then reports why.
        if !self.shared.flush_pending.swap(true, Ordering::AcqRel) {
            let _ = self.control.send(Control::Flush);
        }
        target
    }

    /// Joins the writer thread (already sent `Shutdown`) and builds the report.
    fn finish(&mut self) -> Result<ShutdownReport, AuditError> {
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                return Err(AuditError::WriterFailed { reason: "writer thread panicked".into() });
            }
        }
        let totals = lock(&self.shared.push).totals;
        let state = lock(&self.shared.durable);
        if let Some(reason) = &state.failure {
            return Err(AuditError::WriterFailed { reason: reason.clone() });
        }
        let count = |reason: LossReason| totals[reason as usize];
        Ok(ShutdownReport {
            last_seq: state.durable_seq,
            last_hash: state.last_hash,
            written: state.written,
            refused: count(LossReason::QueueFull) + count(LossReason::WriterFailed) + count(LossReason::DiskSpaceLow),
            dropped: count(LossReason::Dropped),
            invalid: count(LossReason::InvalidInput),
        })
    }
}

impl Drop for AuditLogger {
    /// Best effort: asks the writer to drain and waits up to the drop timeout
    /// ([`LoggerOptions::drop_timeout`]). Unlike `shutdown`, it cannot report a failure to
    /// the caller, and if the disk stalls past the timeout the thread is left running and
    /// events still queued may never become durable; both cases are logged at error level.
    fn drop(&mut self) {
        let Some(mut inner) = self.inner.take() else { return };
        let _ = inner.control.send(Control::Shutdown);
        let stopped = inner.shared.wait_until(Some(inner.drop_timeout), |s| s.stopped.then_some(()));
        if stopped.is_none() {
            tracing::error!(
                timeout_ms = inner.drop_timeout.as_millis() as u64,
                "audit logger dropped without shutdown and the writer did not finish in time; queued events may not be durable"
            );
            return;
        }
        if let Err(error) = inner.finish() {
            tracing::error!(error = %error, "audit logger dropped without shutdown and its writer had failed");
        }
    }
}

/// A future that completes when `ready` returns `Some` for the durable state.
struct WaitFuture<'a, F> {
    shared: &'a Shared,
    ready: F,
}

impl<T, F: FnMut(&DurableState) -> Option<T> + Unpin> Future for WaitFuture<'_, F> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let mut state = lock(&this.shared.durable);
        if let Some(value) = (this.ready)(&state) {
            return Poll::Ready(value);
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
