//! The `merkle-chunks` file: one entry per complete chunk of 1024 records.
//!
//! Layout: the 8 bytes `ALCHUNK1`, then 48 bytes per chunk in order: the chunk's Merkle root
//! (32 bytes), the first sequence number of the segment holding the chunk's first record
//! (8 bytes, big-endian) and that record's byte offset in the segment (8 bytes, big-endian).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::format::Hash;
use crate::storage::RecordLocation;

/// File name inside the log directory.
pub(crate) const CHUNK_INDEX_FILE: &str = "merkle-chunks";

const MAGIC: &[u8; 8] = b"ALCHUNK1";
const ENTRY_BYTES: usize = 48;

/// One complete chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkEntry {
    pub root: Hash,
    /// Where the chunk's first record starts.
    pub location: RecordLocation,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(CHUNK_INDEX_FILE)
}

/// Reads the entries. A missing file, or one with another header, reads as no entries; a
/// partial entry at the end (a write cut short) is ignored.
pub(crate) fn read_entries(dir: &Path) -> Result<Vec<ChunkEntry>, AuditError> {
    let path = path(dir);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuditError::file(&path, "read", e)),
    };
    let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
        tracing::warn!(path = %path.display(), "ignoring a chunk index with an unknown header; it will be rebuilt");
        return Ok(Vec::new());
    };
    Ok(body.chunks_exact(ENTRY_BYTES).map(decode).collect())
}

fn decode(entry: &[u8]) -> ChunkEntry {
    let mut root = [0u8; 32];
    root.copy_from_slice(&entry[..32]);
    let mut number = [0u8; 8];
    number.copy_from_slice(&entry[32..40]);
    let segment_first_seq = u64::from_be_bytes(number);
    number.copy_from_slice(&entry[40..48]);
    let offset = u64::from_be_bytes(number);
    ChunkEntry { root: Hash(root), location: RecordLocation { segment_first_seq, offset } }
}

fn encode(entry: &ChunkEntry, out: &mut Vec<u8>) {
    out.extend_from_slice(&entry.root.0);
    out.extend_from_slice(&entry.location.segment_first_seq.to_be_bytes());
    out.extend_from_slice(&entry.location.offset.to_be_bytes());
}

/// Replaces the file with exactly `entries` (temporary file, then rename).
pub(crate) fn rewrite(dir: &Path, entries: &[ChunkEntry]) -> Result<(), AuditError> {
    let path = path(dir);
    let temp = dir.join(format!(".{CHUNK_INDEX_FILE}.tmp"));
    let mut bytes = Vec::with_capacity(MAGIC.len() + entries.len() * ENTRY_BYTES);
    bytes.extend_from_slice(MAGIC);
    for entry in entries {
        encode(entry, &mut bytes);
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| AuditError::file(&temp, "open", e))?;
    file.write_all(&bytes).map_err(|e| AuditError::file(&temp, "write", e))?;
    fs::rename(&temp, &path).map_err(|e| AuditError::file(&path, "rename", e))
}

/// Appends entries to the file.
pub(crate) fn append(dir: &Path, entries: &[ChunkEntry]) -> Result<(), AuditError> {
    let path = path(dir);
    let mut bytes = Vec::with_capacity(entries.len() * ENTRY_BYTES);
    for entry in entries {
        encode(entry, &mut bytes);
    }
    let mut file = OpenOptions::new().append(true).open(&path).map_err(|e| AuditError::file(&path, "open", e))?;
    file.write_all(&bytes).map_err(|e| AuditError::file(&path, "write", e))
}
