//! The writer thread and the state it shares with callers.

mod checkpointer;
mod shared;
mod thread;

use chrono::{DateTime, Utc};

use crate::event::AuditEvent;

pub(crate) use shared::{lock, stopped_error, DurableState, LossReason, PushState, Shared};
pub(crate) use checkpointer::Checkpointer;
pub(crate) use thread::{spawn, WriterSettings};

/// One accepted event on its way to the writer.
#[derive(Debug)]
pub(crate) struct Item {
    /// When `emit` accepted it; stored as the record's `timestamp`.
    pub accepted_at: DateTime<Utc>,
    /// Upper bound of the encoded size, counted against the queue's byte limit.
    pub size: usize,
    pub event: AuditEvent,
}

/// Requests to the writer that bypass the bounded queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Make everything queued so far durable now, whatever the flush mode.
    Flush,
    /// Refusals were tallied: record them.
    Wake,
    /// Drain the queue, make it durable and exit.
    Shutdown,
}
