//! Offline verification of a log directory.
//!
//! [`verify`] reads every segment in sequence order. For every record it checks that the
//! SHA-256 of its stored bytes equals its `hash` field and that its `prev_hash` equals the
//! previous record's hash. Sequence numbers must run without gap or repeat across segments.
//! It never writes to the directory and never re-encodes parsed JSON.
//!
//! What this detects: any edit, deletion, insertion or reordering of records or segments,
//! except at the very end. What it cannot detect: the hash chain has no key, so anyone with
//! write access can rewrite records and recompute every later hash; and removing whole records
//! or segments from the end leaves a shorter log that is still consistent.

mod chain;
mod checkpoints;
mod records;

use std::fmt;
use std::path::{Path, PathBuf};

pub(crate) use chain::ChainCursor;
pub use checkpoints::{verify_log, CheckpointReport, LogReport, VerifyOptions};

use crate::error::AuditError;
use crate::format::{Hash, SegmentHeader};
use crate::storage::{list_segments, LineReader};

/// Counts of what was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    /// Records whose hash and links were checked.
    pub records: u64,
    /// Segment files read.
    pub segments: usize,
    /// Sequence number of the last good record.
    pub last_seq: Option<u64>,
    /// Hash of the last good record ([`Hash::GENESIS`] if there is none).
    pub last_hash: Hash,
    /// Records in which the writer declared a gap or a repair, in order.
    pub declared: Vec<Declared>,
}

/// A gap or repair the writer recorded in the chain itself: known, explained loss, as
/// opposed to tampering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Sequence number of the record that declares it.
    pub seq: u64,
    /// `events_lost`, `writer_recovered` or `torn_tail_recovered`.
    pub kind: String,
    /// Events lost or refused (for `torn_tail_recovered`: bytes set aside).
    pub count: u64,
    /// Why, for `events_lost`.
    pub reason: Option<String>,
}

impl fmt::Display for Declared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind.as_str() {
            "events_lost" => write!(f, "seq {}: {} events not accepted ({})", self.seq, self.count, self.reason.as_deref().unwrap_or("unknown reason")),
            "writer_recovered" => write!(f, "seq {}: writer outage, {} events refused", self.seq, self.count),
            "torn_tail_recovered" => write!(f, "seq {}: torn tail of {} bytes set aside after a crash", self.seq, self.count),
            other => write!(f, "seq {}: {other}", self.seq),
        }
    }
}

/// The result of a verification that could run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record checked out.
    Intact(VerifySummary),
    /// The first problem found. Later records were not checked.
    Damaged {
        /// The problem and its location.
        problem: Problem,
        /// Counts of what checked out before the problem.
        checked: VerifySummary,
    },
}

impl Verdict {
    /// Returns true for [`Verdict::Intact`].
    pub fn is_intact(&self) -> bool {
        matches!(self, Verdict::Intact(_))
    }
}

/// The first problem found, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The segment file.
    pub file: PathBuf,
    /// 1-based line number (line 1 is the segment header).
    pub line: u64,
    /// Byte offset of the start of that line.
    pub offset: u64,
    /// The kind of damage.
    pub kind: ProblemKind,
}

/// Kinds of damage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The line is not a well-formed record.
    Unparsable {
        /// Description of the defect.
        reason: String,
    },
    /// SHA-256 of the stored bytes differs from the stored hash: the record was changed.
    HashMismatch {
        /// Hash stored in the line.
        stored: Hash,
        /// Hash of the line's bytes.
        computed: Hash,
    },
    /// `prev_hash` (of a record or segment header) differs from the previous record's hash.
    BrokenLink {
        /// Hash of the previous record.
        expected: Hash,
        /// `prev_hash` found.
        found: Hash,
    },
    /// The sequence number skips ahead: records were removed or reordered.
    SequenceGap {
        /// Sequence number expected.
        expected: u64,
        /// Sequence number found.
        found: u64,
    },
    /// The sequence number goes back: a record was inserted, duplicated or reordered.
    SequenceRepeat {
        /// Sequence number expected.
        expected: u64,
        /// Sequence number found.
        found: u64,
    },
    /// A segment starts at another sequence number than the previous one ended: a segment is
    /// missing (or, for the first segment, the log does not start at 0).
    MissingRecords {
        /// Sequence number expected at the segment start.
        expected_seq: u64,
        /// First sequence number in the segment header.
        found_seq: u64,
    },
    /// The segment header is missing, unreadable or disagrees with the file name.
    BadHeader {
        /// Description of the defect.
        reason: String,
    },
    /// The last line has no `\n`: a write was cut short by a crash, or is still in progress.
    /// Opening the log with a logger saves these bytes aside and records the repair.
    IncompleteLine {
        /// Bytes in the incomplete line.
        length: u64,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Unparsable { reason } => write!(f, "unparsable record: {reason}"),
            ProblemKind::HashMismatch { stored, computed } => {
                write!(f, "hash mismatch: stored {stored}, bytes hash to {computed}")
            }
            ProblemKind::BrokenLink { expected, found } => {
                write!(f, "broken link: prev_hash {found}, previous record's hash is {expected}")
            }
            ProblemKind::SequenceGap { expected, found } => {
                write!(f, "sequence gap: expected {expected}, found {found}")
            }
            ProblemKind::SequenceRepeat { expected, found } => {
                write!(f, "sequence repeat: expected {expected}, found {found}")
            }
            ProblemKind::MissingRecords { expected_seq, found_seq } => write!(
                f,
                "segment missing: segment starts at sequence {found_seq}, expected {expected_seq}"
            ),
            ProblemKind::BadHeader { reason } => write!(f, "bad segment header: {reason}"),
            ProblemKind::IncompleteLine { length } => {
                write!(f, "incomplete last line ({length} bytes without a newline)")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {} (byte offset {})", self.file.display(), self.line, self.kind, self.offset)
    }
}

/// Verifies the log in `dir`.
///
/// Returns `Err` only when verification could not run (the directory is missing or a file
/// cannot be read); damage is reported as [`Verdict::Damaged`].
pub fn verify(dir: &Path) -> Result<Verdict, AuditError> {
    Ok(walk(dir, &mut |_, _| {})?.0)
}

/// One segment's result, for reports that list every segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentReport {
    /// The segment file.
    pub file: PathBuf,
    /// First sequence number in its name.
    pub first_seq: u64,
    /// Records that checked out in it.
    pub records: u64,
    /// The problem found in it, if any.
    pub problem: Option<Problem>,
}

/// Walks the chain like [`verify`], calling `observe(seq, line)` with each record that checks
/// out, and reports every segment read.
pub(crate) fn walk(dir: &Path, observe: &mut dyn FnMut(u64, &[u8])) -> Result<(Verdict, Vec<SegmentReport>), AuditError> {
    let segments = list_segments(dir)?;
    let mut summary =
        VerifySummary { records: 0, segments: 0, last_seq: None, last_hash: Hash::GENESIS, declared: Vec::new() };
    let mut cursor: Option<ChainCursor> = None;
    let mut reports = Vec::new();
    for segment in &segments {
        summary.segments += 1;
        let before = summary.records;
        let result = verify_segment(&segment.path, segment.first_seq, &mut cursor, &mut summary, observe)?;
        let problem = result.err();
        reports.push(SegmentReport {
            file: segment.path.clone(),
            first_seq: segment.first_seq,
            records: summary.records - before,
            problem: problem.clone(),
        });
        if let Some(problem) = problem {
            return Ok((Verdict::Damaged { problem, checked: summary }, reports));
        }
    }
    Ok((Verdict::Intact(summary), reports))
}

/// Checks one segment, continuing the chain in `cursor`. The outer `Result` is for I/O errors.
fn verify_segment(
    path: &Path,
    name_seq: u64,
    cursor: &mut Option<ChainCursor>,
    summary: &mut VerifySummary,
    observe: &mut dyn FnMut(u64, &[u8]),
) -> Result<Result<(), Problem>, AuditError> {
    let problem = |line: u64, offset: u64, kind: ProblemKind| Problem { file: path.to_path_buf(), line, offset, kind };
    let mut reader = LineReader::open(path)?;
    let header = match reader.next_line()? {
        None => return Ok(Err(problem(1, 0, ProblemKind::BadHeader { reason: "empty file".into() }))),
        Some(line) if !line.terminated => {
            return Ok(Err(problem(1, 0, ProblemKind::BadHeader { reason: "header line has no newline".into() })))
        }
        Some(line) => match SegmentHeader::decode(line.bytes) {
            Ok(header) => (header, line.bytes.len() as u64 + 1),
            Err(reason) => return Ok(Err(problem(1, 0, ProblemKind::BadHeader { reason }))),
        },
    };
    let (header, header_len) = header;
    if header.first_seq != name_seq {
        let reason = format!("header first_seq {} differs from the file name's {name_seq}", header.first_seq);
        return Ok(Err(problem(1, 0, ProblemKind::BadHeader { reason })));
    }
    let chain = match cursor {
        Some(chain) => {
            if let Err(kind) = chain.enter_segment(&header) {
                return Ok(Err(problem(1, 0, kind)));
            }
            chain
        }
        None => {
            if header.first_seq != 0 {
                let kind = ProblemKind::MissingRecords { expected_seq: 0, found_seq: header.first_seq };
                return Ok(Err(problem(1, 0, kind)));
            }
            if !header.prev_hash.ct_eq(&Hash::GENESIS) {
                let kind = ProblemKind::BrokenLink { expected: Hash::GENESIS, found: header.prev_hash };
                return Ok(Err(problem(1, 0, kind)));
            }
            cursor.insert(ChainCursor::from_header(&header))
        }
    };
    records::check_records(path, header_len, chain, summary, observe)
}
