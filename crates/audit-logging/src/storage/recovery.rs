//! Opening an existing log: find where the chain ends and keep the evidence of a torn tail.
//!
//! Only the last segment is read at open. Its records are checked with the same chain check
//! as `verify`. After the last good record, two kinds of leftovers count as a write cut short
//! by a crash: a last line with no `\n`, and a run of NUL bytes (a file extended by the file
//! system but never filled). Those bytes are copied to `torn/`, fsynced, and cut from the
//! segment, and the writer records the repair in the chain. Anything else is damage that
//! opening must not repair: it is returned as [`AuditError::Corrupt`].

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::dir::{create_private_dir, open_private, sync_dir, SegmentFile};
use super::lines::LineReader;
use crate::error::AuditError;
use crate::format::{Hash, SegmentHeader, SystemEvent};
use crate::verify::ChainCursor;

/// Name of the folder, inside the log directory, that keeps torn tails.
pub(crate) const TORN_DIR: &str = "torn";

/// End position of the last segment.
#[derive(Debug)]
pub(crate) struct Tail {
    pub header: SegmentHeader,
    /// Sequence number and hash the next record continues from.
    pub next_seq: u64,
    pub last_hash: Hash,
    /// Length of the good part of the segment.
    pub len: u64,
    pub records: u64,
    /// The torn bytes that were found after the good part, if any.
    pub torn: Option<TornTail>,
}

/// Bytes found after the last good record.
#[derive(Debug)]
pub(crate) struct TornTail {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// Reads the last segment and returns where its chain ends.
pub(crate) fn scan_tail(segment: &SegmentFile) -> Result<Tail, AuditError> {
    let path = &segment.path;
    let corrupt = |line: u64, offset: u64, reason: String| AuditError::Corrupt { path: path.clone(), line, offset, reason };
    let mut reader = LineReader::open(path)?;
    let (header, header_len) = match reader.next_line()? {
        Some(line) if line.terminated => {
            let header = SegmentHeader::decode(line.bytes).map_err(|reason| corrupt(1, 0, reason))?;
            (header, line.bytes.len() as u64 + 1)
        }
        _ => return Err(corrupt(1, 0, "segment header is missing or incomplete".into())),
    };
    if header.first_seq != segment.first_seq {
        let reason = format!("header first_seq {} differs from the file name's {}", header.first_seq, segment.first_seq);
        return Err(corrupt(1, 0, reason));
    }
    let mut cursor = ChainCursor::from_header(&header);
    let mut len = header_len;
    let mut records = 0;
    let mut torn: Option<TornTail> = None;
    while let Some(line) = reader.next_line()? {
        if let Some(torn) = torn.as_mut() {
            // Already past the good part: everything left must be NUL fill to count as torn.
            if !is_nul_fill(line.bytes) {
                return Err(corrupt(line.number, line.offset, "data follows a damaged line".into()));
            }
            torn.bytes.extend_from_slice(line.bytes);
            if line.terminated {
                torn.bytes.push(b'\n');
            }
            continue;
        }
        let checked = if line.terminated { cursor.check_record(line.bytes).map(drop) } else { Ok(()) };
        match checked {
            Ok(()) if line.terminated => {
                len = line.offset + line.bytes.len() as u64 + 1;
                records += 1;
            }
            Ok(()) => torn = Some(TornTail { offset: line.offset, bytes: line.bytes.to_vec() }),
            Err(_) if is_nul_fill(line.bytes) => {
                let mut bytes = line.bytes.to_vec();
                bytes.push(b'\n');
                torn = Some(TornTail { offset: line.offset, bytes });
            }
            Err(kind) => return Err(corrupt(line.number, line.offset, kind.to_string())),
        }
    }
    Ok(Tail { header, next_seq: cursor.next_seq, last_hash: cursor.prev_hash, len, records, torn })
}

fn is_nul_fill(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Copies the torn bytes into `torn/`, fsyncs the copy, then cuts them from the segment.
///
/// Returns the record the writer must append to the chain.
pub(crate) fn set_aside(dir: &Path, segment: &Path, torn: &TornTail) -> Result<SystemEvent, AuditError> {
    let torn_dir = dir.join(TORN_DIR);
    create_private_dir(&torn_dir)?;
    let segment_name = segment.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let saved = unused_name(&torn_dir, &format!("{segment_name}.{}.torn", torn.offset));
    let mut file = open_private(&saved, false)?;
    file.write_all(&torn.bytes).map_err(|e| AuditError::file(&saved, "write", e))?;
    file.sync_all().map_err(|e| AuditError::file(&saved, "fsync", e))?;
    sync_dir(&torn_dir)?;

    let segment_file = OpenOptions::new().write(true).open(segment).map_err(|e| AuditError::file(segment, "open", e))?;
    segment_file.set_len(torn.offset).map_err(|e| AuditError::file(segment, "truncate", e))?;
    segment_file.sync_all().map_err(|e| AuditError::file(segment, "fsync", e))?;

    let saved_as = format!("{TORN_DIR}/{}", saved.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    tracing::warn!(
        segment = %segment.display(),
        offset = torn.offset,
        length = torn.bytes.len(),
        saved_as = %saved_as,
        "found an incomplete record at the end of the log; saved its bytes and cut them from the segment"
    );
    Ok(SystemEvent::TornTailRecovered {
        segment: segment_name,
        offset: torn.offset,
        length: torn.bytes.len() as u64,
        sha256: Hash::of(&torn.bytes),
        saved_as,
    })
}

/// Returns `dir/name`, or `dir/name.N` for the first N that does not exist yet.
fn unused_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    (1u32..)
        .map(|n| dir.join(format!("{name}.{n}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Removes temporary files left by a crash: segment headers, the chunk index, and checkpoint
/// files not yet renamed into place.
pub(crate) fn remove_stale_temp_files(dir: &Path) -> Result<(), AuditError> {
    remove_temp_files_in(dir)?;
    let checkpoints = dir.join(crate::checkpoint::CHECKPOINT_DIR);
    if checkpoints.is_dir() {
        remove_temp_files_in(&checkpoints)?;
    }
    Ok(())
}

fn remove_temp_files_in(dir: &Path) -> Result<(), AuditError> {
    let entries = fs::read_dir(dir).map_err(|e| AuditError::file(dir, "read directory", e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A temporary file is either a whole copy of something rewritten elsewhere (a segment
        // header, the chunk index) or a checkpoint whose rename never happened: no record is
        // in one, so removing them loses nothing the log needs.
        if name.starts_with('.') && name.ends_with(".tmp") {
            fs::remove_file(entry.path()).map_err(|e| AuditError::file(entry.path(), "remove", e))?;
        }
    }
    Ok(())
}
