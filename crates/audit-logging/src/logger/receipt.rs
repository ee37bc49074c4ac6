//! [`Receipt`]: a handle to wait until one emitted event is durable.

use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::error::AuditError;
use crate::writer::{lock, stopped_error, Control, DurableState, Shared};

/// Returned by [`AuditLogger::emit_durable`](crate::AuditLogger::emit_durable).
///
/// Waiting asks the writer to fsync now (whatever the flush mode), then blocks until the fsync
/// that covers this event has completed. Many receipts share one fsync.
#[derive(Debug)]
#[must_use = "a receipt does nothing unless waited on"]
pub struct Receipt {
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    shared: Arc<Shared>,
    control: Sender<Control>,
    ordinal: u64,
}

impl Receipt {
    pub(crate) fn new(shared: Arc<Shared>, control: Sender<Control>, ordinal: u64) -> Receipt {
        Receipt { pending: Some(Pending { shared, control, ordinal }) }
    }

    pub(crate) fn disabled() -> Receipt {
        Receipt { pending: None }
    }

    /// Blocks until the event is durable and returns its sequence number (`None` when logging
    /// is disabled).
    ///
    /// # Errors
    /// [`AuditError::WriterFailed`] if the writer failed before the event was durable (the
    /// event may be lost), or [`AuditError::ShutDown`] if the writer exited first.
    pub fn wait(&self) -> Result<Option<u64>, AuditError> {
        let Some(pending) = &self.pending else { return Ok(None) };
        if !pending.shared.flush_pending.swap(true, std::sync::atomic::Ordering::AcqRel) {
            let _ = pending.control.send(Control::Flush);
        }
        let mut registered = false;
        loop {
            {
                let mut state = lock(&pending.shared.durable);
                if let Some(result) = durable_seq(&state, pending.ordinal) {
                    drop(state);
                    // Pass wake-ups on even when this thread did not need one (it may have
                    // woken early, or never slept): other waiters may be queued behind it.
                    if registered {
                        pending.shared.wake_cascade();
                    }
                    return result;
                }
                // The writer removes the entry only when it wakes this thread for good, so
                // after a spurious wake-up the entry is still there.
                if !registered {
                    state.parked.push((pending.ordinal, std::thread::current()));
                    registered = true;
                }
            }
            std::thread::park();
            pending.shared.wake_cascade();
        }
    }

    /// Returns true once the event is durable, without blocking.
    pub fn is_durable(&self) -> bool {
        match &self.pending {
            None => true,
            Some(pending) => lock(&pending.shared.durable).durable_items >= pending.ordinal,
        }
    }
}

fn durable_seq(state: &DurableState, ordinal: u64) -> Option<Result<Option<u64>, AuditError>> {
    if state.durable_items >= ordinal {
        return Some(Ok(state.seq_of(ordinal)));
    }
    (state.failure.is_some() || state.stopped).then(|| Err(stopped_error(state)))
}
