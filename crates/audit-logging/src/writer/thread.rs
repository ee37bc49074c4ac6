//! The writer loop: take a batch, append it, fsync when the flush mode says, publish.
//!
//! The loop blocks for the first item (or control message, or the fsync deadline), takes
//! whatever else is queued up to [`MAX_BATCH`], encodes and hash-chains the batch into one
//! buffer, writes it with one `write`, and fsyncs at most once. Only after the fsync does it
//! publish the new durable position, so a caller is never told an event is durable before it is.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use chrono::Utc;
use crossbeam_channel::{Receiver, Select};

use super::shared::Shared;
use super::{Control, Item};
use crate::config::SyncPolicy;
use crate::error::AuditError;
use crate::format::RecordBody;
use crate::storage::LogFiles;

/// Most items taken from the queue for one write.
const MAX_BATCH: usize = 4096;

/// What the writer thread needs besides the files.
pub(crate) struct WriterSettings {
    pub policy: SyncPolicy,
    pub items: Receiver<Item>,
    pub control: Receiver<Control>,
    pub shared: Arc<Shared>,
}

/// Starts the writer thread on an opened log.
pub(crate) fn spawn(files: LogFiles, settings: WriterSettings) -> Result<JoinHandle<()>, AuditError> {
    let writer = Writer {
        files,
        policy: settings.policy,
        items: settings.items,
        control: settings.control,
        shared: settings.shared,
        taken: 0,
        unsynced_items: 0,
        oldest_unsynced: None,
        flush_requested: false,
        shutting_down: false,
    };
    std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || writer.run())
        .map_err(AuditError::Io)
}

struct Writer {
    files: LogFiles,
    policy: SyncPolicy,
    items: Receiver<Item>,
    control: Receiver<Control>,
    shared: Arc<Shared>,
    /// Items taken from the queue so far (the last one's ordinal).
    taken: u64,
    /// Items written since the last fsync.
    unsynced_items: usize,
    /// When the oldest unsynced item was written.
    oldest_unsynced: Option<Instant>,
    flush_requested: bool,
    shutting_down: bool,
}

enum Wake {
    Item(Item),
    Control(Control),
    /// Every sender is gone: the logger was dropped.
    Disconnected,
    Deadline,
}

impl Writer {
    fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            match self.wait() {
                Wake::Item(item) => batch.push(item),
                Wake::Control(control) => self.handle(control),
                Wake::Disconnected => self.shutting_down = true,
                Wake::Deadline => {}
            }
            while let Ok(control) = self.control.try_recv() {
                self.handle(control);
            }
            while batch.len() < MAX_BATCH {
                match self.items.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            if let Err(error) = self.write_batch(&mut batch) {
                self.shared.fail(&error);
                break;
            }
            if self.shutting_down && self.items.is_empty() {
                break;
            }
        }
        let written = self.taken;
        tracing::debug!(items = written, "audit writer stopped");
        self.shared.publish(|state| state.stopped = true);
    }

    fn handle(&mut self, control: Control) {
        match control {
            Control::Flush => self.flush_requested = true,
            Control::Shutdown => self.shutting_down = true,
        }
    }

    /// Blocks until an item or control message arrives or the fsync deadline passes.
    fn wait(&self) -> Wake {
        let mut select = Select::new();
        let items = select.recv(&self.items);
        let control = select.recv(&self.control);
        let ready = match self.sync_deadline() {
            Some(deadline) => match select.select_deadline(deadline) {
                Ok(operation) => operation,
                Err(_) => return Wake::Deadline,
            },
            None if self.shutting_down => return Wake::Deadline,
            None => select.select(),
        };
        match ready.index() {
            i if i == items => match ready.recv(&self.items) {
                Ok(item) => Wake::Item(item),
                Err(_) => Wake::Disconnected,
            },
            i if i == control => match ready.recv(&self.control) {
                Ok(control) => Wake::Control(control),
                Err(_) => Wake::Disconnected,
            },
            _ => Wake::Deadline,
        }
    }

    /// When written data must be fsynced at the latest.
    fn sync_deadline(&self) -> Option<Instant> {
        self.oldest_unsynced.map(|oldest| oldest + self.policy.max_delay)
    }

    fn write_batch(&mut self, batch: &mut Vec<Item>) -> Result<(), AuditError> {
        let mut critical = false;
        if !batch.is_empty() {
            self.files.rotate_if_new_day(Utc::now().date_naive())?;
            let count = batch.len();
            for item in batch.drain(..) {
                critical |= item.event.is_critical();
                self.files.append(item.accepted_at, &RecordBody::Event(item.event))?;
            }
            self.files.write_pending()?;
            self.taken += count as u64;
            self.unsynced_items += count;
            self.oldest_unsynced.get_or_insert_with(Instant::now);
        }
        if self.should_sync(critical) {
            self.sync()?;
        }
        Ok(())
    }

    fn should_sync(&self, critical: bool) -> bool {
        let deadline_passed = self.sync_deadline().is_some_and(|d| Instant::now() >= d);
        self.unsynced_items >= self.policy.max_pending
            || (critical && self.policy.critical_immediate)
            || self.flush_requested
            || self.shutting_down
            || deadline_passed
    }

    fn sync(&mut self) -> Result<(), AuditError> {
        self.files.sync()?;
        self.unsynced_items = 0;
        self.oldest_unsynced = None;
        if self.items.is_empty() {
            // Everything queued before the flush request has now been taken and synced.
            self.flush_requested = false;
        }
        let taken = self.taken;
        let next_seq = self.files.next_seq();
        let last_hash = self.files.last_hash();
        self.shared.publish(|state| {
            state.written += taken - state.durable_items;
            state.durable_items = taken;
            state.durable_seq = next_seq.checked_sub(1);
            state.last_hash = last_hash;
        });
        Ok(())
    }
}
