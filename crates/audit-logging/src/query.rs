//! Reading records back: iterate a log in order and filter it.
//!
//! Reading does not check hashes; run [`verify`](crate::verify()) for that. A last line without
//! `\n` is skipped, because the writer may be in the middle of appending it (or crashed while
//! doing so; `verify` reports that case).

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::AuditError;
use crate::format::{RecordBody, SegmentHeader, StoredRecord};
use crate::storage::{list_segments, LineReader, SegmentFile};

/// Filters for [`query`]. Every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// Event types to keep (snake_case, such as `auth_failure`); empty keeps all.
    pub event_types: Vec<String>,
    /// Keep records whose actor ([`AuditEvent::actor_id`](crate::AuditEvent::actor_id)) equals this.
    pub actor: Option<String>,
    /// Keep records whose resource ([`AuditEvent::resource_id`](crate::AuditEvent::resource_id)) equals this.
    pub resource_id: Option<String>,
    /// Keep records whose event happened at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Keep records whose event happened before this time.
    pub until: Option<DateTime<Utc>>,
    /// Keep sequence numbers at or above this.
    pub seq_from: Option<u64>,
    /// Keep sequence numbers at or below this.
    pub seq_to: Option<u64>,
    /// Stop after this many matches.
    pub limit: Option<usize>,
}

impl Query {
    /// A query that matches every record.
    pub fn new() -> Query {
        Query::default()
    }

    /// Adds an event type to keep.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Query {
        self.event_types.push(event_type.into());
        self
    }

    /// Keeps records whose actor is `actor`.
    pub fn actor(mut self, actor: impl Into<String>) -> Query {
        self.actor = Some(actor.into());
        self
    }

    /// Keeps records about `resource_id`.
    pub fn resource_id(mut self, resource_id: impl Into<String>) -> Query {
        self.resource_id = Some(resource_id.into());
        self
    }

    /// Keeps events in `[since, until)`; either end may be open.
    pub fn time_range(mut self, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Query {
        self.since = since;
        self.until = until;
        self
    }

    /// Keeps sequence numbers in `[from, to]`; either end may be open.
    pub fn seq_range(mut self, from: Option<u64>, to: Option<u64>) -> Query {
        self.seq_from = from;
        self.seq_to = to;
        self
    }

    /// Stops after `limit` matches.
    pub fn limit(mut self, limit: usize) -> Query {
        self.limit = Some(limit);
        self
    }

    /// Returns true if `record` passes every filter.
    pub fn matches(&self, record: &StoredRecord) -> bool {
        if self.seq_from.is_some_and(|from| record.seq < from) || self.seq_to.is_some_and(|to| record.seq > to) {
            return false;
        }
        if !self.event_types.is_empty() && !self.event_types.iter().any(|t| t == record.body.event_type()) {
            return false;
        }
        let (time, actor, resource) = match &record.body {
            RecordBody::Event(event) => (event.timestamp(), event.actor_id(), event.resource_id()),
            RecordBody::System(_) => (record.timestamp, None, None),
        };
        if self.actor.as_deref().is_some_and(|a| actor != Some(a)) {
            return false;
        }
        if self.resource_id.as_deref().is_some_and(|r| resource != Some(r)) {
            return false;
        }
        if self.since.is_some_and(|since| time < since) || self.until.is_some_and(|until| time >= until) {
            return false;
        }
        true
    }
}

/// Returns the records of the log in `dir` that match `query`, in sequence order.
pub fn query(dir: &Path, query: &Query) -> Result<Vec<StoredRecord>, AuditError> {
    let mut out = Vec::new();
    if query.limit == Some(0) {
        return Ok(out);
    }
    for record in Records::open(dir, query.seq_from)? {
        let record = record?;
        if query.seq_to.is_some_and(|to| record.seq > to) {
            break;
        }
        if query.matches(&record) {
            out.push(record);
            if query.limit.is_some_and(|limit| out.len() >= limit) {
                break;
            }
        }
    }
    Ok(out)
}

/// Returns the last `count` records of the log, oldest first.
pub fn tail(dir: &Path, count: usize) -> Result<Vec<StoredRecord>, AuditError> {
    let segments = list_segments(dir)?;
    let mut collected: Vec<StoredRecord> = Vec::new();
    for start in (0..segments.len()).rev() {
        if collected.len() >= count {
            break;
        }
        let mut records = Records { segments: vec![segments[start].clone()], next: 0, reader: None };
        let mut part = Vec::new();
        for record in &mut records {
            part.push(record?);
        }
        part.append(&mut collected);
        collected = part;
    }
    let skip = collected.len().saturating_sub(count);
    Ok(collected.split_off(skip))
}

/// An iterator over the records of a log, in sequence order.
pub struct Records {
    segments: Vec<SegmentFile>,
    next: usize,
    reader: Option<LineReader>,
}

impl Records {
    /// Opens the log in `dir`, skipping segments that end before `from_seq`.
    pub fn open(dir: &Path, from_seq: Option<u64>) -> Result<Records, AuditError> {
        let mut segments = list_segments(dir)?;
        if let Some(from) = from_seq {
            // Segment i holds sequence numbers from its own first_seq up to the next one's.
            let first_needed = segments.iter().rposition(|s| s.first_seq <= from).unwrap_or(0);
            segments.drain(..first_needed);
        }
        Ok(Records { segments, next: 0, reader: None })
    }

    fn next_record(&mut self) -> Result<Option<StoredRecord>, AuditError> {
        loop {
            if self.reader.is_none() {
                let Some(segment) = self.segments.get(self.next) else { return Ok(None) };
                self.next += 1;
                let mut reader = LineReader::open(&segment.path)?;
                read_header(&segment.path.clone(), &mut reader)?;
                self.reader = Some(reader);
            }
            let path = self.segments[self.next - 1].path.clone();
            let Some(reader) = self.reader.as_mut() else { continue };
            match reader.next_line()? {
                Some(line) if line.terminated => {
                    return StoredRecord::decode(line.bytes)
                        .map(Some)
                        .map_err(|reason| AuditError::Corrupt { path, line: line.number, offset: line.offset, reason });
                }
                // An unterminated last line is being written or was torn by a crash.
                Some(_) | None => self.reader = None,
            }
        }
    }
}

fn read_header(path: &Path, reader: &mut LineReader) -> Result<SegmentHeader, AuditError> {
    let corrupt = |reason: String| AuditError::Corrupt { path: path.to_path_buf(), line: 1, offset: 0, reason };
    match reader.next_line()? {
        Some(line) if line.terminated => SegmentHeader::decode(line.bytes).map_err(corrupt),
        _ => Err(corrupt("segment header is missing or incomplete".into())),
    }
}

impl Iterator for Records {
    type Item = Result<StoredRecord, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}
