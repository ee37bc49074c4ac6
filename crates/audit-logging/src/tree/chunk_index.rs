//! The `merkle-chunks` file: one entry per complete chunk of 1024 records.
//!
//! Layout: the 8 bytes `ALCHUNK1`, then 56 bytes per chunk in order: the chunk's Merkle root
//! (32 bytes), the first sequence number of the segment holding the chunk's first record
//! (8 bytes, big-endian), that record's byte offset in the segment (8 bytes, big-endian), and
//! the first 8 bytes of SHA-256 over those 48 bytes. The checksum catches accidental damage
//! without reading the log; reading stops at the first entry that fails it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::format::Hash;
use crate::storage::{write_durably, RecordLocation};

/// File name inside the log directory.
pub(crate) const CHUNK_INDEX_FILE: &str = "merkle-chunks";

const MAGIC: &[u8; 8] = b"ALCHUNK1";
const ENTRY_BYTES: usize = 56;
const CHECKED_BYTES: usize = 48;

/// One complete chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkEntry {
    pub root: Hash,
    /// Location of the chunk's first record.
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
    let mut entries = Vec::with_capacity(body.len() / ENTRY_BYTES);
    for (index, entry) in body.chunks_exact(ENTRY_BYTES).enumerate() {
        if checksum(&entry[..CHECKED_BYTES]) != entry[CHECKED_BYTES..] {
            tracing::warn!(path = %path.display(), chunk = index, "chunk index entry fails its checksum; later entries are recomputed");
            break;
        }
        entries.push(decode(entry));
    }
    Ok(entries)
}

fn checksum(bytes: &[u8]) -> [u8; 8] {
    let digest = Hash::of(bytes);
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest.0[..8]);
    out
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
    let start = out.len();
    out.extend_from_slice(&entry.root.0);
    out.extend_from_slice(&entry.location.segment_first_seq.to_be_bytes());
    out.extend_from_slice(&entry.location.offset.to_be_bytes());
    let sum = checksum(&out[start..]);
    out.extend_from_slice(&sum);
}

/// Replaces the file with exactly `entries`, durably (temporary file, fsync, rename).
pub(crate) fn rewrite(dir: &Path, entries: &[ChunkEntry]) -> Result<(), AuditError> {
    let mut bytes = Vec::with_capacity(MAGIC.len() + entries.len() * ENTRY_BYTES);
    bytes.extend_from_slice(MAGIC);
    for entry in entries {
        encode(entry, &mut bytes);
    }
    write_durably(dir, CHUNK_INDEX_FILE, &bytes)?;
    Ok(())
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
