//! The writer loop: take a batch, append it, fsync as the flush mode requires, publish.
//!
//! The loop blocks for the first item (or control message, or the fsync deadline), takes
//! whatever else is queued up to [`MAX_BATCH`], encodes and hash-chains the batch in memory,
//! writes it with one `write`, and fsyncs at most once. Only after the fsync does it publish
//! the new durable position, so a caller is never told an event is durable before it is.
//!
//! After a write or fsync error the writer stops taking items, reports the failure to every
//! waiter, and retries every `retry_interval` by reopening the segment and rewriting from
//! memory what is not durable (see `LogFiles::repair`). On success it appends a
//! `writer_recovered` record and carries on.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::{Receiver, Select};

use super::shared::{lock, LossReason, Shared};
use super::{Checkpointer, Control, Item};
use crate::config::SyncPolicy;
use crate::error::AuditError;
use crate::format::{RecordBody, SystemEvent};
use crate::storage::{available_bytes, LogFiles};

/// Most items taken from the queue for one write.
const MAX_BATCH: usize = 4096;

/// Unsynced bytes that trigger an fsync whatever the flush mode: they are kept in memory until
/// fsynced (to rewrite them after a failure), so this bounds the writer's memory.
const MAX_UNSYNCED_BYTES: usize = 8 * 1024 * 1024;

/// Free space is read again after this many bytes have been written...
const DISK_CHECK_BYTES: u64 = 1024 * 1024;
/// ...or after this long, whichever comes first.
const DISK_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Settings and channels of the writer thread.
pub(crate) struct WriterSettings {
    pub policy: SyncPolicy,
    pub items: Receiver<Item>,
    pub control: Receiver<Control>,
    pub shared: Arc<Shared>,
    pub retry_interval: Duration,
    pub disk_warn_below: u64,
    pub disk_reserve: u64,
    /// Signs checkpoints after fsyncs, when configured.
    pub checkpointer: Option<Checkpointer>,
}

/// Starts the writer thread on an opened log.
pub(crate) fn spawn(files: LogFiles, settings: WriterSettings) -> Result<JoinHandle<()>, AuditError> {
    let mut writer = Writer {
        files,
        settings,
        taken: 0,
        unsynced_items: 0,
        oldest_unsynced: None,
        flush_requested: false,
        shutting_down: false,
        rotating: false,
        outage: None,
        disk: DiskWatch { last_check: Instant::now(), bytes_since_check: 0, warned: false },
    };
    writer.check_disk(true);
    std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || writer.run())
        .map_err(AuditError::Io)
}

struct Writer {
    files: LogFiles,
    settings: WriterSettings,
    /// Items taken from the queue so far (the last one's ordinal).
    taken: u64,
    /// Items appended since the last fsync.
    unsynced_items: usize,
    /// When the oldest unsynced item was appended.
    oldest_unsynced: Option<Instant>,
    flush_requested: bool,
    shutting_down: bool,
    /// Set when a new segment was started since the last checkpoint chance.
    rotating: bool,
    /// Set while writing fails.
    outage: Option<Outage>,
    disk: DiskWatch,
}

struct Outage {
    failed_at: DateTime<Utc>,
    error: String,
    retry_at: Instant,
}

struct DiskWatch {
    last_check: Instant,
    bytes_since_check: u64,
    warned: bool,
}

// Lives on the stack for one loop iteration; boxing the item would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
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
            if self.outage.is_some() {
                if self.retry() || !self.shutting_down {
                    continue;
                }
                // Shutting down and the disk still fails: give up; the failure stays published.
                break;
            }
            match self.wait() {
                Wake::Item(item) => batch.push(item),
                Wake::Control(control) => self.handle(control),
                Wake::Disconnected => self.shutting_down = true,
                Wake::Deadline => {}
            }
            while let Ok(control) = self.settings.control.try_recv() {
                self.handle(control);
            }
            while batch.len() < MAX_BATCH {
                match self.settings.items.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            if let Err(error) = self.write_batch(&mut batch) {
                self.enter_outage(&error);
                continue;
            }
            if self.shutting_down && self.settings.items.is_empty() && !self.files.has_unsynced() {
                break;
            }
        }
        tracing::debug!(items = self.taken, "audit writer stopped");
        self.settings.shared.publish(|state| state.stopped = true);
    }

    fn handle(&mut self, control: Control) {
        match control {
            Control::Flush => {
                self.settings.shared.flush_pending.store(false, Ordering::Release);
                self.flush_requested = true;
            }
            Control::Wake => {}
            Control::Shutdown => self.shutting_down = true,
        }
    }

    /// Blocks until an item or control message arrives or the fsync deadline passes.
    fn wait(&self) -> Wake {
        let mut select = Select::new();
        let items = select.recv(&self.settings.items);
        let control = select.recv(&self.settings.control);
        let ready = match self.sync_deadline() {
            Some(deadline) => match select.select_deadline(deadline) {
                Ok(operation) => operation,
                Err(_) => return Wake::Deadline,
            },
            None if self.shutting_down => return Wake::Deadline,
            None => select.select(),
        };
        match ready.index() {
            i if i == items => match ready.recv(&self.settings.items) {
                Ok(item) => Wake::Item(item),
                Err(_) => Wake::Disconnected,
            },
            i if i == control => match ready.recv(&self.settings.control) {
                Ok(control) => Wake::Control(control),
                Err(_) => Wake::Disconnected,
            },
            _ => Wake::Deadline,
        }
    }

    /// When appended data must be fsynced at the latest.
    fn sync_deadline(&self) -> Option<Instant> {
        self.oldest_unsynced.map(|oldest| oldest + self.settings.policy.max_delay)
    }

    /// Appends the batch in memory (this cannot fail for I/O reasons), then writes and maybe
    /// fsyncs. On error the appended records stay in memory for [`Writer::retry`].
    fn write_batch(&mut self, batch: &mut Vec<Item>) -> Result<(), AuditError> {
        let mut critical = false;
        let now = Utc::now();
        self.record_losses(now);
        if !batch.is_empty() {
            self.files.rotate_if_new_day(now);
            let count = batch.len();
            let mut bytes = 0;
            for item in batch.drain(..) {
                critical |= item.event.is_critical();
                bytes += item.size;
                let appended = self.files.append(item.accepted_at, &RecordBody::Event(item.event))?;
                if let Some(checkpointer) = self.settings.checkpointer.as_mut() {
                    checkpointer.push(&appended)?;
                }
            }
            self.release_queue_room(count, bytes);
            self.taken += count as u64;
            self.unsynced_items += count;
            self.oldest_unsynced.get_or_insert_with(Instant::now);
            self.disk.bytes_since_check += bytes as u64;
        }
        let sync = self.should_sync(critical);
        self.rotating |= self.files.has_planned_segment();
        self.files.persist(sync)?;
        if sync {
            self.publish_durable();
            self.after_sync();
        }
        self.check_disk(false);
        Ok(())
    }

    /// Saves Merkle chunks and writes a checkpoint if one is due. A failed checkpoint is
    /// logged and tried again after the next fsync; the records themselves are durable.
    fn after_sync(&mut self) {
        let force = std::mem::take(&mut self.rotating) || self.shutting_down;
        if let Some(checkpointer) = self.settings.checkpointer.as_mut() {
            if let Err(error) = checkpointer.after_sync(force) {
                tracing::error!(error = %error, "could not write a checkpoint; records after the last one stay unsealed until the next succeeds");
            }
        }
    }

    fn release_queue_room(&self, count: usize, bytes: usize) {
        let shared = &self.settings.shared;
        {
            let mut push = lock(&shared.push);
            push.queued_items -= count;
            push.queued_bytes -= bytes;
        }
        shared.room.notify_all();
    }

    fn should_sync(&self, critical: bool) -> bool {
        let policy = &self.settings.policy;
        let deadline_passed = self.sync_deadline().is_some_and(|d| Instant::now() >= d);
        self.unsynced_items >= policy.max_pending
            || (critical && policy.critical_immediate)
            || self.flush_requested
            || self.shutting_down
            || deadline_passed
            || (self.unsynced_items == 0 && self.files.has_unsynced())
            || self.files.unsynced_bytes() >= MAX_UNSYNCED_BYTES
            || self.settings.checkpointer.as_ref().is_some_and(|c| c.is_due(self.files.has_planned_segment()))
    }

    /// Publishes the position just fsynced.
    fn publish_durable(&mut self) {
        self.unsynced_items = 0;
        self.oldest_unsynced = None;
        if self.settings.items.is_empty() {
            // Everything queued before the flush request has now been taken and synced.
            self.flush_requested = false;
        }
        let taken = self.taken;
        let next_seq = self.files.next_seq();
        let last_hash = self.files.last_hash();
        self.settings.shared.publish(|state| {
            let records = next_seq - state.durable_seq.map_or(0, |s| s + 1);
            state.written += records;
            state.durable_items = taken;
            state.durable_seq = next_seq.checked_sub(1);
            state.last_hash = last_hash;
        });
    }

    /// Appends one record the writer makes itself, taking a sequence number from the budget.
    fn append_system(&mut self, record: SystemEvent, now: DateTime<Utc>) {
        let shared = &self.settings.shared;
        {
            let mut push = lock(&shared.push);
            if push.seq_budget == 0 {
                tracing::error!(?record, "sequence numbers exhausted: cannot record this in the log");
                return;
            }
            push.seq_budget -= 1;
        }
        let appended = match self.files.append(now, &RecordBody::System(record)) {
            Ok(appended) => appended,
            Err(error) => {
                tracing::error!(error = %error, "could not append a writer record");
                return;
            }
        };
        if let Some(checkpointer) = self.settings.checkpointer.as_mut() {
            if let Err(error) = checkpointer.push(&appended) {
                tracing::error!(error = %error, "could not add a writer record to the Merkle tree");
            }
        }
        // The next item taken from the queue now gets the sequence number after this record.
        let next = (self.taken + 1, self.files.next_seq());
        lock(&shared.durable).seq_runs.push(next);
    }

    /// Turns the tally of refused events into `events_lost` records.
    fn record_losses(&mut self, now: DateTime<Utc>) {
        let shared = &self.settings.shared;
        if !shared.losses_pending.swap(false, Ordering::AcqRel) {
            return;
        }
        let tallies = std::mem::take(&mut lock(&shared.push).unrecorded);
        for (reason, tally) in LossReason::ALL.iter().zip(tallies) {
            if let Some(tally) = tally {
                let record = SystemEvent::EventsLost {
                    count: tally.count,
                    reason: reason.as_str().into(),
                    first_at: tally.first_at,
                    last_at: tally.last_at,
                };
                self.append_system(record, now);
            }
        }
    }

    fn enter_outage(&mut self, error: &AuditError) {
        let reason = error.to_string();
        tracing::error!(error = %reason, "audit writer failed; retrying every {:?}", self.settings.retry_interval);
        self.outage = Some(Outage {
            failed_at: Utc::now(),
            error: reason.clone(),
            retry_at: Instant::now() + self.settings.retry_interval,
        });
        self.settings.shared.set_failure(Some(reason));
    }

    /// Waits for the retry time (or a shutdown request), then tries to repair. Returns true on
    /// recovery.
    fn retry(&mut self) -> bool {
        let Some(outage) = &self.outage else { return true };
        if !self.shutting_down {
            let wait = outage.retry_at.saturating_duration_since(Instant::now());
            match self.settings.control.recv_timeout(wait) {
                Ok(control) => {
                    self.handle(control);
                    if !self.shutting_down {
                        return false;
                    }
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => self.shutting_down = true,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            }
        }
        if let Err(error) = self.files.repair() {
            tracing::warn!(error = %error, "audit writer still failing");
            if let Some(outage) = &mut self.outage {
                outage.retry_at = Instant::now() + self.settings.retry_interval;
            }
            return false;
        }
        let Some(outage) = self.outage.take() else { return true };
        let now = Utc::now();
        let events_refused = {
            let mut push = lock(&self.settings.shared.push);
            push.unrecorded[LossReason::WriterFailed as usize].take().map_or(0, |t| t.count)
        };
        tracing::warn!(failed_at = %outage.failed_at, refused = events_refused, "audit writer recovered");
        let record = SystemEvent::WriterRecovered { failed_at: outage.failed_at, recovered_at: now, error: outage.error, events_refused };
        self.append_system(record, now);
        if let Err(error) = self.files.persist(true) {
            self.enter_outage(&error);
            return false;
        }
        self.publish_durable();
        self.after_sync();
        self.settings.shared.set_failure(None);
        true
    }

    /// Reads free space when enough bytes or time have passed (or when `force`), and updates
    /// the flag `emit` checks.
    fn check_disk(&mut self, force: bool) {
        let due = self.disk.bytes_since_check >= DISK_CHECK_BYTES || self.disk.last_check.elapsed() >= DISK_CHECK_INTERVAL;
        if !force && !due {
            return;
        }
        self.disk.last_check = Instant::now();
        self.disk.bytes_since_check = 0;
        let free = match available_bytes(self.files.dir()) {
            Ok(free) => free,
            Err(error) => {
                tracing::warn!(error = %error, "could not read free disk space");
                return;
            }
        };
        let shared = &self.settings.shared;
        shared.disk_free.store(free, Ordering::Relaxed);
        let low = free < self.settings.disk_reserve;
        if shared.disk_low.swap(low, Ordering::AcqRel) != low {
            if low {
                tracing::error!(free, reserve = self.settings.disk_reserve, "free disk space below the reserve; rejecting events");
            } else {
                tracing::warn!(free, "free disk space above the reserve again; accepting events");
            }
        }
        let warn = free < self.settings.disk_warn_below;
        if warn && !self.disk.warned {
            tracing::warn!(free, threshold = self.settings.disk_warn_below, "free disk space is low");
        }
        self.disk.warned = warn;
    }
}
