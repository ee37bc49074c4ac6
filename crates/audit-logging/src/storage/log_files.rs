//! The writer's handle on the log directory.
//!
//! Appending only encodes into memory and never fails for I/O reasons; [`LogFiles::persist`]
//! then writes, rotates and fsyncs. Bytes stay in memory until fsynced, so after any write or
//! fsync error [`LogFiles::repair`] can reopen the segment, cut it back to its durable length
//! and write the rest again. Nothing accepted is lost unless the process itself dies.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::dir::{create_private_dir, list_segments, DirLock};
use super::io::FileOps;
use super::recovery::{remove_stale_temp_files, scan_tail, set_aside};
use super::segment::ActiveSegment;
use crate::error::AuditError;
use crate::format::{encode_record, Hash, RecordBody, SegmentHeader, SystemEvent};

/// The highest sequence number the writer assigns. `u64::MAX` is never used, so a chain
/// cursor can always step past the last record without overflowing.
pub(crate) const SEQ_LIMIT: u64 = u64::MAX - 1;

/// When to start a new segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation {
    pub daily: bool,
    pub size_limit: Option<u64>,
}

/// Records encoded for a segment that does not exist yet.
#[derive(Debug)]
struct PlannedSegment {
    first_seq: u64,
    header: Vec<u8>,
    bytes: Vec<u8>,
}

/// An open, locked log directory positioned at the end of its chain.
#[derive(Debug)]
pub(crate) struct LogFiles {
    dir: PathBuf,
    service_id: String,
    rotation: Rotation,
    ops: FileOps,
    segment: ActiveSegment,
    /// Bytes of the current segment after its durable length.
    unsynced: Vec<u8>,
    /// How many of `unsynced` have been written (not yet fsynced).
    written: usize,
    /// Segments to create, in order, each with the records that go in it.
    planned: VecDeque<PlannedSegment>,
    /// First sequence number, size, record count and creation date of the last segment,
    /// planned or current.
    tail_first_seq: u64,
    tail_len: u64,
    tail_records: u64,
    tail_created: NaiveDate,
    next_seq: u64,
    last_hash: Hash,
    /// Whether `append` computes Merkle leaf hashes.
    merkle_leaves: bool,
    /// Reused for each record's `audit_id`.
    id_buffer: String,
    // Declared last so the lock is released after the segment is closed.
    _lock: DirLock,
}

impl LogFiles {
    /// Opens or creates the log in `dir`, recovering a torn tail.
    ///
    /// Returns the record of the repair when a torn tail was set aside; the caller appends it
    /// before anything else.
    pub(crate) fn open(
        dir: &Path,
        service_id: &str,
        rotation: Rotation,
        ops: FileOps,
    ) -> Result<(LogFiles, Option<SystemEvent>), AuditError> {
        create_private_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        remove_stale_temp_files(dir)?;
        let now = Utc::now();
        let segments = list_segments(dir)?;
        let Some(last) = segments.last() else {
            let header = SegmentHeader::new(service_id, 0, Hash::GENESIS, now);
            let segment = ActiveSegment::create(dir, 0, &header.encode(), ops.clone())?;
            let state = TailState { first_seq: 0, len: segment.synced_len, records: 0, created: now.date_naive(), next_seq: 0, last_hash: Hash::GENESIS };
            return Ok((LogFiles::new(dir, service_id, rotation, ops, segment, state, lock), None));
        };

        let tail = scan_tail(last)?;
        let repair = match &tail.torn {
            Some(torn) => Some(set_aside(dir, &last.path, torn)?),
            None => None,
        };
        let (segment, state) = if tail.header.service_id == service_id {
            let segment = ActiveSegment::open(&last.path, tail.len, ops.clone())?;
            let created = tail.header.created.date_naive();
            let state = TailState {
                first_seq: tail.header.first_seq,
                len: tail.len,
                records: tail.records,
                created,
                next_seq: tail.next_seq,
                last_hash: tail.last_hash,
            };
            (segment, state)
        } else {
            // Records must carry their segment's service id, so a new id starts a new segment.
            let header = SegmentHeader::new(service_id, tail.next_seq, tail.last_hash, now).encode();
            let segment = ActiveSegment::create(dir, tail.next_seq, &header, ops.clone())?;
            let len = header.len() as u64;
            let state = TailState {
                first_seq: tail.next_seq,
                len,
                records: 0,
                created: now.date_naive(),
                next_seq: tail.next_seq,
                last_hash: tail.last_hash,
            };
            (segment, state)
        };
        tracing::debug!(dir = %dir.display(), next_seq = state.next_seq, "opened audit log");
        Ok((LogFiles::new(dir, service_id, rotation, ops, segment, state, lock), repair))
    }

    fn new(
        dir: &Path,
        service_id: &str,
        rotation: Rotation,
        ops: FileOps,
        segment: ActiveSegment,
        tail: TailState,
        lock: DirLock,
    ) -> LogFiles {
        LogFiles {
            dir: dir.to_path_buf(),
            service_id: service_id.to_owned(),
            rotation,
            ops,
            segment,
            unsynced: Vec::with_capacity(1 << 20),
            written: 0,
            planned: VecDeque::new(),
            tail_first_seq: tail.first_seq,
            tail_len: tail.len,
            tail_records: tail.records,
            tail_created: tail.created,
            next_seq: tail.next_seq,
            last_hash: tail.last_hash,
            merkle_leaves: false,
            id_buffer: String::with_capacity(64),
            _lock: lock,
        }
    }

    /// Sequence number the next record gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Hash of the last record appended (durable or not).
    pub(crate) fn last_hash(&self) -> Hash {
        self.last_hash
    }

    /// Returns the log directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes appended but not yet fsynced.
    pub(crate) fn unsynced_bytes(&self) -> usize {
        self.unsynced.len() + self.planned.iter().map(|p| p.bytes.len()).sum::<usize>()
    }

    /// Returns true while appended bytes wait to be written or fsynced.
    pub(crate) fn has_unsynced(&self) -> bool {
        !self.unsynced.is_empty() || !self.planned.is_empty()
    }

    /// Plans a new segment if daily rotation is on and the UTC date differs from the last
    /// segment's creation date.
    pub(crate) fn rotate_if_new_day(&mut self, now: DateTime<Utc>) {
        if self.rotation.daily && self.tail_records > 0 && self.tail_created != now.date_naive() {
            self.plan_segment(now);
        }
    }

    /// Encodes one record in memory and returns its sequence number, stored bytes and place.
    ///
    /// Plans a new segment first when the record would take the last one past the size limit
    /// (a segment always takes at least one record, however large).
    pub(crate) fn append(&mut self, timestamp: DateTime<Utc>, body: &RecordBody) -> Result<Appended, AuditError> {
        let seq = self.next_seq;
        if seq > SEQ_LIMIT {
            return Err(AuditError::CounterOverflow);
        }
        let id = self.audit_id(seq);
        let target = match self.planned.back_mut() {
            Some(planned) => &mut planned.bytes,
            None => &mut self.unsynced,
        };
        // Encode straight into the buffer the line goes to; a rotation below moves it.
        let start = target.len();
        let hash = encode_record(target, seq, &id, timestamp, &self.service_id, body, self.last_hash);
        let line_len = (target.len() - start) as u64;
        let mut moved: Option<Vec<u8>> = None;
        if let Some(limit) = self.rotation.size_limit {
            if self.tail_records > 0 && self.tail_len + line_len > limit {
                moved = Some(target.split_off(start));
            }
        }
        self.id_buffer = id;
        if let Some(line) = moved {
            self.plan_segment(Utc::now());
            if let Some(planned) = self.planned.back_mut() {
                planned.bytes = line;
            }
        }
        let location = RecordLocation { segment_first_seq: self.tail_first_seq, offset: self.tail_len };
        self.tail_len += line_len;
        self.tail_records += 1;
        self.next_seq = seq + 1;
        self.last_hash = hash;
        let leaf_hash = if self.merkle_leaves {
            let buffer = match self.planned.back() {
                Some(planned) => &planned.bytes,
                None => &self.unsynced,
            };
            // The stored line without its `\n`: the bytes a Merkle leaf covers.
            let stored = &buffer[buffer.len() - line_len as usize..buffer.len() - 1];
            Some(crate::merkle::leaf_hash(stored))
        } else {
            None
        };
        Ok(Appended { seq, location, leaf_hash })
    }

    /// Builds `audit-{service_id}-{seq:016x}` in a reused buffer.
    fn audit_id(&mut self, seq: u64) -> String {
        let mut id = std::mem::take(&mut self.id_buffer);
        id.clear();
        id.push_str("audit-");
        id.push_str(&self.service_id);
        id.push('-');
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for shift in (0..16).rev() {
            id.push(char::from(DIGITS[((seq >> (shift * 4)) & 0xf) as usize]));
        }
        id
    }

    /// Returns whether appended records wait for a segment not yet created.
    pub(crate) fn has_planned_segment(&self) -> bool {
        !self.planned.is_empty()
    }

    /// Makes [`append`](Self::append) compute each record's Merkle leaf hash.
    pub(crate) fn enable_merkle_leaves(&mut self) {
        self.merkle_leaves = true;
    }

    /// First sequence number of the log (0 unless the log was created by hand).
    pub(crate) fn first_seq(&self) -> Result<u64, AuditError> {
        Ok(list_segments(&self.dir)?.first().map_or(0, |s| s.first_seq))
    }

    /// Starts a planned segment at the current end of the chain.
    fn plan_segment(&mut self, now: DateTime<Utc>) {
        let header = SegmentHeader::new(&self.service_id, self.next_seq, self.last_hash, now).encode();
        self.tail_first_seq = self.next_seq;
        self.tail_len = header.len() as u64;
        self.tail_records = 0;
        self.tail_created = now.date_naive();
        self.planned.push_back(PlannedSegment { first_seq: self.next_seq, header, bytes: Vec::new() });
    }

    /// Writes everything appended, creating planned segments on the way (each finished
    /// segment is fsynced before the next is created), then fsyncs if `sync` is set.
    pub(crate) fn persist(&mut self, sync: bool) -> Result<(), AuditError> {
        loop {
            if self.written < self.unsynced.len() {
                self.segment.write(&self.unsynced[self.written..])?;
                self.written = self.unsynced.len();
            }
            if self.planned.is_empty() {
                break;
            }
            self.sync_segment()?;
            let Some(next) = self.planned.front() else { break };
            let segment = ActiveSegment::create(&self.dir, next.first_seq, &next.header, self.ops.clone())?;
            self.segment = segment;
            let next = self.planned.pop_front().map(|p| p.bytes).unwrap_or_default();
            self.unsynced = next;
            self.written = 0;
        }
        if sync {
            self.sync_segment()?;
        }
        Ok(())
    }

    fn sync_segment(&mut self) -> Result<(), AuditError> {
        if self.unsynced.is_empty() {
            return Ok(());
        }
        self.segment.sync(self.unsynced.len() as u64)?;
        self.unsynced.clear();
        self.written = 0;
        Ok(())
    }

    /// After a failed write or fsync: reopens the segment with a new handle, cuts it back to
    /// its durable length, and writes and fsyncs everything not yet durable.
    pub(crate) fn repair(&mut self) -> Result<(), AuditError> {
        self.segment.reopen(&self.unsynced)?;
        self.written = 0;
        self.persist(true)
    }
}

/// A record just appended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Appended {
    pub seq: u64,
    pub location: RecordLocation,
    /// The record's Merkle leaf hash, when enabled.
    pub leaf_hash: Option<Hash>,
}

/// Location of a record's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordLocation {
    /// First sequence number of the segment, which names its file.
    pub segment_first_seq: u64,
    /// Byte offset of the line in the segment.
    pub offset: u64,
}

/// End of the chain when the log is opened.
struct TailState {
    first_seq: u64,
    len: u64,
    records: u64,
    created: NaiveDate,
    next_seq: u64,
    last_hash: Hash,
}
