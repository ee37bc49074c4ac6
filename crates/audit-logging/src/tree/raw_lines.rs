//! Stored record lines in sequence order, from any record onwards, without decoding them.

use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::storage::{list_segments, LineReader, RecordLocation, SegmentFile};

/// One stored record line.
#[derive(Debug)]
pub(crate) struct RawLine {
    /// Sequence number, counted from the segment's first sequence number.
    pub seq: u64,
    pub location: RecordLocation,
    /// The line without its `\n`.
    pub bytes: Vec<u8>,
}

/// Iterates stored lines of complete records. A last line without `\n` is not returned.
pub(crate) struct RawLines {
    segments: Vec<SegmentFile>,
    next_segment: usize,
    reader: Option<(LineReader, u64, u64)>,
}

impl RawLines {
    /// Starts at the record at `start` with sequence number `seq`, or at the first record of the
    /// log when `start` is `None`.
    pub(crate) fn open(dir: &Path, start: Option<(RecordLocation, u64)>) -> Result<RawLines, AuditError> {
        let segments = list_segments(dir)?;
        let mut lines = RawLines { segments, next_segment: 0, reader: None };
        if let Some((location, seq)) = start {
            let index = lines
                .segments
                .iter()
                .position(|s| s.first_seq == location.segment_first_seq)
                .ok_or_else(|| missing_segment(dir, location.segment_first_seq))?;
            let path = lines.segments[index].path.clone();
            lines.reader = Some((LineReader::open_at(&path, location.offset, 0)?, location.segment_first_seq, seq));
            lines.next_segment = index + 1;
        }
        Ok(lines)
    }

    /// Returns the next line, or `None` after the last complete one.
    pub(crate) fn next_line(&mut self) -> Result<Option<RawLine>, AuditError> {
        loop {
            if self.reader.is_none() {
                let Some(segment) = self.segments.get(self.next_segment) else { return Ok(None) };
                self.next_segment += 1;
                let mut reader = LineReader::open(&segment.path)?;
                // Skip the header line.
                reader.next_line()?;
                self.reader = Some((reader, segment.first_seq, segment.first_seq));
            }
            let Some((reader, segment_first_seq, seq)) = self.reader.as_mut() else { continue };
            match reader.next_line()? {
                Some(line) if line.terminated => {
                    let raw = RawLine {
                        seq: *seq,
                        location: RecordLocation { segment_first_seq: *segment_first_seq, offset: line.offset },
                        bytes: line.bytes.to_vec(),
                    };
                    *seq += 1;
                    return Ok(Some(raw));
                }
                _ => self.reader = None,
            }
        }
    }
}

fn missing_segment(dir: &Path, first_seq: u64) -> AuditError {
    let path: PathBuf = dir.join(crate::format::segment_file_name(first_seq));
    AuditError::file(path, "open", std::io::Error::new(std::io::ErrorKind::NotFound, "segment named by merkle-chunks is missing"))
}
