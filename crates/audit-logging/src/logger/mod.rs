//! The caller's side: [`AuditLogger`], which validates events and queues them for the writer.
//!
//! `emit` never blocks and needs no async runtime: it validates the event, takes the time,
//! and pushes onto a bounded queue with a non-blocking push. A full queue returns
//! [`AuditError::BufferFull`] at once; the event takes no sequence number, so no gap appears.
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
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use crossbeam_channel::{Sender, TrySendError};

pub use receipt::Receipt;

use crate::config::{AuditConfig, AuditMode, LoggerOptions};
use crate::error::AuditError;
use crate::event::AuditEvent;
use crate::format::{check_service_id, Hash, RecordBody};
use crate::storage::{LogFiles, Rotation, SEQ_LIMIT};
use crate::validation::validate_event;
use crate::writer::{self, lock, stopped_error, Control, DurableState, Item, Shared, WriterSettings};

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
    drop_timeout: Duration,
}

/// What [`AuditLogger::shutdown`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Sequence number of the last record in the log.
    pub last_seq: Option<u64>,
    /// Hash of the last record ([`Hash::GENESIS`] for an empty log).
    pub last_hash: Hash,
    /// Records this logger wrote, including records the writer added itself.
    pub written: u64,
    /// Events refused with [`AuditError::BufferFull`].
    pub refused: u64,
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
        if options.queue_capacity == 0 {
            return Err(AuditError::InvalidConfig { field: "queue_capacity", reason: "must be at least 1".into() });
        }
        let policy = config.flush_mode.sync_policy()?;
        let (daily, size_limit) = config.rotation_policy.rules()?;

        let (mut files, repair) = LogFiles::open(&base_dir, &config.service_id, Rotation { daily, size_limit })?;
        let mut written = 0;
        if let Some(repair) = repair {
            files.append(Utc::now(), &RecordBody::System(repair))?;
            files.sync()?;
            written += 1;
        }
        let next_seq = files.next_seq();
        let seq_budget = (SEQ_LIMIT + 1).saturating_sub(next_seq);
        let shared = Arc::new(Shared::new(next_seq, seq_budget, files.last_hash()));
        lock(&shared.durable).written = written;

        let (items_tx, items_rx) = crossbeam_channel::bounded(options.queue_capacity);
        let (control_tx, control_rx) = crossbeam_channel::unbounded();
        let settings = WriterSettings { policy, items: items_rx, control: control_rx, shared: Arc::clone(&shared) };
        let thread = writer::spawn(files, settings)?;
        Ok(AuditLogger {
            inner: Some(Inner {
                items: items_tx,
                control: control_tx,
                shared,
                thread: Some(thread),
                drop_timeout: options.drop_timeout,
            }),
        })
    }

    /// Validates `event` and queues it for the writer. Never blocks.
    ///
    /// `Ok` means the event was accepted and will be written in order; it is durable once a
    /// later [`flush`](Self::flush) returns, or at once with [`emit_durable`](Self::emit_durable).
    ///
    /// # Errors
    /// [`AuditError::InvalidInput`] naming the field; [`AuditError::BufferFull`] when the queue
    /// is full; [`AuditError::WriterFailed`] or [`AuditError::ShutDown`] once the writer has
    /// stopped; [`AuditError::CounterOverflow`] when sequence numbers are exhausted.
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
    ShutdownReport { last_seq: None, last_hash: Hash::GENESIS, written: 0, refused: 0 }
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
        validate_event(&event)?;
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(stopped_error(&lock(&self.shared.durable)));
        }
        let mut push = lock(&self.shared.push);
        if push.seq_budget == 0 {
            return Err(AuditError::CounterOverflow);
        }
        // The time is taken under the lock so that timestamps never go backwards along the
        // sequence (as long as the system clock does not).
        let item = Item { accepted_at: Utc::now(), event };
        match self.items.try_send(item) {
            Ok(()) => {
                push.accepted += 1;
                push.seq_budget -= 1;
                Ok(push.accepted)
            }
            Err(TrySendError::Full(_)) => {
                push.refused += 1;
                Err(AuditError::BufferFull)
            }
            Err(TrySendError::Disconnected(_)) => {
                drop(push);
                Err(stopped_error(&lock(&self.shared.durable)))
            }
        }
    }

    /// Asks the writer to fsync now and returns the ordinal that must become durable.
    fn request_flush(&self) -> u64 {
        let target = lock(&self.shared.push).accepted;
        // A send error means the writer has exited; the wait then reports why.
        let _ = self.control.send(Control::Flush);
        target
    }

    /// Joins the writer thread (already told to stop) and builds the report.
    fn finish(&mut self) -> Result<ShutdownReport, AuditError> {
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                return Err(AuditError::WriterFailed { reason: "writer thread panicked".into() });
            }
        }
        let refused = lock(&self.shared.push).refused;
        let state = lock(&self.shared.durable);
        if let Some(reason) = &state.failure {
            return Err(AuditError::WriterFailed { reason: reason.clone() });
        }
        Ok(ShutdownReport { last_seq: state.durable_seq, last_hash: state.last_hash, written: state.written, refused })
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
