//! Loading the chunk index and the records after it, shared by the writer and by readers.

use std::path::Path;

use super::chunk_index::{read_entries, ChunkEntry};
use super::raw_lines::{RawLine, RawLines};
use super::{CHUNK_LEAVES, CHUNK_LEVEL};
use crate::error::AuditError;
use crate::format::Hash;
use crate::merkle::{leaf_hash, tree_root};

/// Complete chunks and the records after them.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Every complete chunk of the log, in order.
    pub entries: Vec<ChunkEntry>,
    /// Leaf hashes and lines of the records after the last complete chunk.
    pub tail: Vec<(Hash, RawLine)>,
}

impl Loaded {
    /// Number of records covered.
    pub(crate) fn size(&self) -> u64 {
        self.entries.len() as u64 * CHUNK_LEAVES + self.tail.len() as u64
    }
}

/// Reads the chunk index of `dir` and the records after it (all records when the index is
/// missing or fails its checksums).
///
/// With `check_last`, the last entry is also checked against the records it covers, stepping
/// back until one agrees: the writer does this before it signs roots built on the index.
/// Readers skip it, because every chunk a proof reads is checked against its stored root.
pub(crate) fn load(dir: &Path, check_last: bool) -> Result<Loaded, AuditError> {
    let mut entries = read_entries(dir)?;
    while let Some(last) = entries.last().filter(|_| check_last) {
        let index = entries.len() as u64 - 1;
        if chunk_matches(dir, last, index)? {
            break;
        }
        // A crash can leave the index ahead of the records, and a damaged index is only a
        // cache: step back until an entry agrees with the records.
        tracing::warn!(dir = %dir.display(), chunk = index, "chunk index entry does not match the records; recomputing it");
        entries.pop();
    }
    let mut lines = match entries.last() {
        Some(last) => {
            let first_seq = (entries.len() as u64 - 1) * CHUNK_LEAVES;
            let mut lines = RawLines::open(dir, Some((last.location, first_seq)))?;
            for _ in 0..CHUNK_LEAVES {
                lines.next_line()?;
            }
            lines
        }
        None => RawLines::open(dir, None)?,
    };
    let mut tail: Vec<(Hash, RawLine)> = Vec::new();
    while let Some(line) = lines.next_line()? {
        check_seq(dir, &line)?;
        tail.push((leaf_hash(&line.bytes), line));
        if tail.len() as u64 == CHUNK_LEAVES {
            let leaves: Vec<Hash> = tail.iter().map(|(hash, _)| *hash).collect();
            entries.push(ChunkEntry { root: tree_root(&leaves), location: tail[0].1.location });
            tail.clear();
        }
    }
    Ok(Loaded { entries, tail })
}

/// Returns true if the 1024 records at `entry` start with sequence number
/// `index * 1024` and hash to `entry.root`.
pub(crate) fn chunk_matches(dir: &Path, entry: &ChunkEntry, index: u64) -> Result<bool, AuditError> {
    let first_seq = index * CHUNK_LEAVES;
    let mut lines = match RawLines::open(dir, Some((entry.location, first_seq))) {
        Ok(lines) => lines,
        Err(AuditError::File { .. }) => return Ok(false),
        Err(other) => return Err(other),
    };
    let mut leaves = Vec::with_capacity(CHUNK_LEAVES as usize);
    for _ in 0..CHUNK_LEAVES {
        match lines.next_line()? {
            Some(line) if stored_seq(&line.bytes) == Some(line.seq) => leaves.push(leaf_hash(&line.bytes)),
            _ => return Ok(false),
        }
    }
    Ok(tree_root(&leaves).ct_eq(&entry.root))
}

/// Reads the sequence number from the start of a record line, `{"seq":N,`.
pub(crate) fn stored_seq(line: &[u8]) -> Option<u64> {
    let digits = line.strip_prefix(b"{\"seq\":")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

fn check_seq(dir: &Path, line: &RawLine) -> Result<(), AuditError> {
    if stored_seq(&line.bytes) == Some(line.seq) {
        return Ok(());
    }
    Err(AuditError::Corrupt {
        path: dir.join(crate::format::segment_file_name(line.location.segment_first_seq)),
        line: 0,
        offset: line.location.offset,
        reason: format!("expected the record with sequence number {} here; run verify", line.seq),
    })
}

/// Level of the chunk roots, for building trees from entries.
pub(crate) const ENTRY_LEVEL: u32 = CHUNK_LEVEL;
