//! The writer's handle on the log directory: appends encoded records, rotates, fsyncs.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::dir::{create_private_dir, list_segments, DirLock};
use super::recovery::{remove_stale_temp_files, scan_tail, set_aside};
use super::segment::ActiveSegment;
use crate::error::AuditError;
use crate::format::{audit_id, encode_record, Hash, RecordBody, SegmentHeader, SystemEvent};

/// The highest sequence number the writer assigns. `u64::MAX` is never used, so a chain
/// cursor can always step past the last record without overflowing.
pub(crate) const SEQ_LIMIT: u64 = u64::MAX - 1;

/// When to start a new segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation {
    pub daily: bool,
    pub size_limit: Option<u64>,
}

/// An open, locked log directory positioned at the end of its chain.
#[derive(Debug)]
pub(crate) struct LogFiles {
    dir: PathBuf,
    service_id: String,
    rotation: Rotation,
    segment: ActiveSegment,
    /// Encoded records not yet written to the segment.
    pending: Vec<u8>,
    pending_records: u64,
    /// Whether bytes were written since the last fsync.
    unsynced: bool,
    next_seq: u64,
    last_hash: Hash,
    // Declared last so the lock is released after the segment is closed.
    _lock: DirLock,
}

impl LogFiles {
    /// Opens or creates the log in `dir`, recovering a torn tail.
    ///
    /// Returns the record of the repair when a torn tail was set aside; the caller appends it
    /// before anything else.
    pub(crate) fn open(dir: &Path, service_id: &str, rotation: Rotation) -> Result<(LogFiles, Option<SystemEvent>), AuditError> {
        create_private_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        remove_stale_temp_files(dir)?;
        let now = Utc::now();
        let segments = list_segments(dir)?;
        let Some(last) = segments.last() else {
            let header = SegmentHeader::new(service_id, 0, Hash::GENESIS, now);
            let segment = ActiveSegment::create(dir, &header)?;
            return Ok((LogFiles::new(dir, service_id, rotation, segment, 0, Hash::GENESIS, lock), None));
        };

        let tail = scan_tail(last)?;
        let repair = match &tail.torn {
            Some(torn) => Some(set_aside(dir, &last.path, torn)?),
            None => None,
        };
        let segment = if tail.header.service_id == service_id {
            ActiveSegment::open(&last.path, tail.len, tail.records, tail.header.created.date_naive())?
        } else {
            // Records must carry their segment's service id, so a new id starts a new segment.
            let header = SegmentHeader::new(service_id, tail.next_seq, tail.last_hash, now);
            ActiveSegment::create(dir, &header)?
        };
        tracing::debug!(dir = %dir.display(), next_seq = tail.next_seq, "opened audit log");
        let files = LogFiles::new(dir, service_id, rotation, segment, tail.next_seq, tail.last_hash, lock);
        Ok((files, repair))
    }

    fn new(
        dir: &Path,
        service_id: &str,
        rotation: Rotation,
        segment: ActiveSegment,
        next_seq: u64,
        last_hash: Hash,
        lock: DirLock,
    ) -> LogFiles {
        LogFiles {
            dir: dir.to_path_buf(),
            service_id: service_id.to_owned(),
            rotation,
            segment,
            pending: Vec::with_capacity(1 << 20),
            pending_records: 0,
            unsynced: false,
            next_seq,
            last_hash,
            _lock: lock,
        }
    }

    /// Sequence number the next record gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Hash of the last record appended (written or pending).
    pub(crate) fn last_hash(&self) -> Hash {
        self.last_hash
    }

    /// Starts a new segment first if daily rotation is on and the date has changed.
    pub(crate) fn rotate_if_new_day(&mut self, today: NaiveDate) -> Result<(), AuditError> {
        let has_records = self.segment.records + self.pending_records > 0;
        if self.rotation.daily && has_records && self.segment.created != today {
            self.write_pending()?;
            self.rotate()?;
        }
        Ok(())
    }

    /// Encodes one record into the pending buffer and returns its sequence number.
    ///
    /// Starts a new segment first when the record would take the current one past the size
    /// limit (a segment always takes at least one record, however large).
    pub(crate) fn append(&mut self, timestamp: DateTime<Utc>, body: &RecordBody) -> Result<u64, AuditError> {
        let seq = self.next_seq;
        if seq > SEQ_LIMIT {
            return Err(AuditError::CounterOverflow);
        }
        let start = self.pending.len();
        let id = audit_id(&self.service_id, seq);
        let hash = encode_record(&mut self.pending, seq, &id, timestamp, &self.service_id, body, self.last_hash);
        if let Some(limit) = self.rotation.size_limit {
            let has_records = self.segment.records + self.pending_records > 0;
            if has_records && self.segment.len + self.pending.len() as u64 > limit {
                // The line was encoded with this seq and prev_hash, which the new segment's
                // header continues from, so it stays valid in the new segment.
                let line = self.pending.split_off(start);
                self.write_pending()?;
                self.rotate()?;
                self.pending = line;
            }
        }
        self.pending_records += 1;
        self.next_seq = seq + 1;
        self.last_hash = hash;
        Ok(seq)
    }

    /// Writes the pending buffer to the segment in one call.
    pub(crate) fn write_pending(&mut self) -> Result<(), AuditError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.segment.write(&self.pending, self.pending_records)?;
        self.pending.clear();
        self.pending_records = 0;
        self.unsynced = true;
        Ok(())
    }

    /// Writes anything pending and fsyncs the segment.
    pub(crate) fn sync(&mut self) -> Result<(), AuditError> {
        self.write_pending()?;
        if self.unsynced {
            self.segment.sync()?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Fsyncs the current segment and starts a new one at the current end of the chain.
    fn rotate(&mut self) -> Result<(), AuditError> {
        self.sync()?;
        let header = SegmentHeader::new(&self.service_id, self.next_seq, self.last_hash, Utc::now());
        self.segment = ActiveSegment::create(&self.dir, &header)?;
        Ok(())
    }
}
