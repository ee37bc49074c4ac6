//! The readers' side: proofs from a log directory without reading the whole log.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::chunk_index::ChunkEntry;
use super::load::{load, stored_seq};
use super::raw_lines::RawLines;
use super::CHUNK_LEAVES;
use crate::error::AuditError;
use crate::format::Hash;
use crate::merkle::{leaf_hash, LeafIndex, TreeSize, TreeStore};

/// The Merkle tree of a log directory, for generating inclusion and consistency proofs.
///
/// Opening reads the `merkle-chunks` index and the records after its last complete chunk.
/// A proof then reads at most two chunks of 1024 records. Opening never writes: if the index
/// is missing or wrong, the tree is computed from all records, which is slower.
#[derive(Debug)]
pub struct LogTree {
    dir: PathBuf,
    store: TreeStore,
    entries: Vec<ChunkEntry>,
    /// Leaf hashes and lines of the records after the last complete chunk.
    tail: Vec<(Hash, Vec<u8>)>,
}

impl LogTree {
    /// Opens the tree of the log in `dir`.
    pub fn open(dir: &Path) -> Result<LogTree, AuditError> {
        let loaded = load(dir, false)?;
        let mut store = TreeStore::new();
        for entry in &loaded.entries {
            store.push_chunk(entry.root)?;
        }
        for (leaf, _) in &loaded.tail {
            store.push(*leaf)?;
        }
        let tail = loaded.tail.into_iter().map(|(leaf, line)| (leaf, line.bytes)).collect();
        Ok(LogTree { dir: dir.to_path_buf(), store, entries: loaded.entries, tail })
    }

    /// Number of records (leaves).
    pub fn size(&self) -> u64 {
        self.store.size().get()
    }

    /// Root of the tree of the first `tree_size` records.
    pub fn root_at(&self, tree_size: u64) -> Result<Hash, AuditError> {
        self.store.root_at(TreeSize(tree_size), |range| self.leaf_hashes(range))
    }

    /// Audit path of record `seq` in the tree of the first `tree_size` records (RFC 6962 §2.1.1).
    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<Vec<Hash>, AuditError> {
        self.store.inclusion_proof(LeafIndex(seq), TreeSize(tree_size), |range| self.leaf_hashes(range))
    }

    /// Consistency proof between the trees of the first `old_size` and `new_size` records
    /// (RFC 6962 §2.1.2).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        self.store.consistency_proof(TreeSize(old_size), TreeSize(new_size), |range| self.leaf_hashes(range))
    }

    /// Returns the stored line (without `\n`) of record `seq`: the leaf data.
    pub fn record_line(&self, seq: u64) -> Result<Vec<u8>, AuditError> {
        let tail_start = self.entries.len() as u64 * CHUNK_LEAVES;
        if seq >= tail_start {
            return self
                .tail
                .get((seq - tail_start) as usize)
                .map(|(_, line)| line.clone())
                .ok_or(AuditError::Merkle(crate::merkle::MerkleError::IndexOutOfRange { index: seq, tree_size: self.size() }));
        }
        let lines = self.chunk_lines(seq / CHUNK_LEAVES)?;
        // The chunk has CHUNK_LEAVES lines and seq lies inside it.
        Ok(lines[(seq % CHUNK_LEAVES) as usize].clone())
    }

    /// Reads the lines of complete chunk `chunk`, checking each line's sequence number.
    fn chunk_lines(&self, chunk: u64) -> Result<Vec<Vec<u8>>, AuditError> {
        let first_seq = chunk * CHUNK_LEAVES;
        let entry = self.entries[chunk as usize];
        let mut reader = RawLines::open(&self.dir, Some((entry.location, first_seq)))?;
        let mut lines = Vec::with_capacity(CHUNK_LEAVES as usize);
        for _ in 0..CHUNK_LEAVES {
            match reader.next_line()? {
                Some(line) if stored_seq(&line.bytes) == Some(line.seq) => lines.push(line.bytes),
                _ => {
                    return Err(AuditError::Corrupt {
                        path: self.dir.join(super::CHUNK_INDEX_FILE),
                        line: 0,
                        offset: 0,
                        reason: format!("chunk {chunk} does not point at records {first_seq}.. any more; run verify"),
                    })
                }
            }
        }
        Ok(lines)
    }

    fn leaf_hashes(&self, range: Range<u64>) -> Result<Vec<Hash>, AuditError> {
        let tail_start = self.entries.len() as u64 * CHUNK_LEAVES;
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        let mut seq = range.start;
        while seq < range.end {
            if seq >= tail_start {
                let from = (seq - tail_start) as usize;
                let to = (range.end - tail_start) as usize;
                out.extend(self.tail[from..to.min(self.tail.len())].iter().map(|(leaf, _)| *leaf));
                break;
            }
            let chunk = seq / CHUNK_LEAVES;
            let lines = self.chunk_lines(chunk)?;
            let chunk_end = (chunk + 1) * CHUNK_LEAVES;
            let upto = range.end.min(chunk_end);
            out.extend(lines[(seq - chunk * CHUNK_LEAVES) as usize..(upto - chunk * CHUNK_LEAVES) as usize].iter().map(|l| leaf_hash(l)));
            seq = upto;
        }
        Ok(out)
    }
}
