//! The writer's side: the tree grows with every record and completed chunks go to the index.

use std::path::{Path, PathBuf};

use super::chunk_index::{self, ChunkEntry};
use super::load::{load, ENTRY_LEVEL};
use super::CHUNK_LEAVES;
use crate::error::AuditError;
use crate::format::Hash;
use crate::merkle::Frontier;
use crate::storage::RecordLocation;

/// The writer's Merkle tree: O(log n) state plus the chunks not yet saved to the index.
#[derive(Debug)]
pub(crate) struct TreeBuilder {
    dir: PathBuf,
    frontier: Frontier,
    /// Location of the first record of the current, incomplete chunk.
    chunk_start: Option<RecordLocation>,
    /// Completed chunks not yet appended to the index file.
    unsaved: Vec<ChunkEntry>,
    /// False after a failed index write; the next open then rebuilds the missing entries.
    index_writable: bool,
}

impl TreeBuilder {
    /// Resumes the tree of the log in `dir`, which contains `next_seq` records.
    pub(crate) fn open(dir: &Path, next_seq: u64) -> Result<TreeBuilder, AuditError> {
        let loaded = load(dir, true)?;
        if loaded.size() != next_seq {
            return Err(AuditError::Corrupt {
                path: dir.to_path_buf(),
                line: 0,
                offset: 0,
                reason: format!("segments hold {} records but the chain ends at sequence {next_seq}; run verify", loaded.size()),
            });
        }
        let mut frontier = Frontier::new();
        for entry in &loaded.entries {
            frontier.push_subtree_reporting(ENTRY_LEVEL, entry.root, |_, _| {})?;
        }
        for (leaf, _) in &loaded.tail {
            frontier.push(*leaf)?;
        }
        // Rewriting the index at every open drops entries past the records, a damaged tail or
        // a foreign header, and costs one small write (56 bytes per 1024 records).
        chunk_index::rewrite(dir, &loaded.entries)?;
        Ok(TreeBuilder {
            dir: dir.to_path_buf(),
            frontier,
            chunk_start: loaded.tail.first().map(|(_, line)| line.location),
            unsaved: Vec::new(),
            index_writable: true,
        })
    }

    /// Adds the next record's leaf hash and its place in the log.
    pub(crate) fn push(&mut self, leaf: Hash, location: RecordLocation) -> Result<(), AuditError> {
        if self.frontier.size().get().is_multiple_of(CHUNK_LEAVES) {
            self.chunk_start = Some(location);
        }
        let mut completed = None;
        self.frontier.push_reporting(leaf, |level, root| {
            if level == ENTRY_LEVEL {
                completed = Some(*root);
            }
        })?;
        if let (Some(root), Some(location)) = (completed, self.chunk_start) {
            self.unsaved.push(ChunkEntry { root, location });
        }
        Ok(())
    }

    /// Number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.frontier.size().get()
    }

    /// Root of the tree of all leaves pushed.
    pub(crate) fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Appends completed chunks to the index file. Call after the records they cover are
    /// durable. A failure only costs time at the next open, so it is logged, not returned.
    pub(crate) fn save_chunks(&mut self) {
        if self.unsaved.is_empty() || !self.index_writable {
            return;
        }
        match chunk_index::append(&self.dir, &self.unsaved) {
            Ok(()) => self.unsaved.clear(),
            Err(error) => {
                tracing::warn!(error = %error, "could not update the chunk index; it will be rebuilt at the next open");
                self.index_writable = false;
            }
        }
    }
}
