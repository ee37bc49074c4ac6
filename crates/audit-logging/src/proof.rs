//! Self-contained proofs that a record is in the log, or that one checkpoint extends another.
//!
//! A proof carries the signed checkpoint note it is relative to, so it can be checked with the
//! verifier key alone, without the log: [`InclusionProof::verify`] checks the note's signature,
//! hashes the record line into its RFC 6962 leaf, and checks the audit path against the
//! checkpoint's root; [`ConsistencyProof::verify`] checks both notes and the RFC 6962 §2.1.2
//! consistency proof between their roots.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::checkpoint::files::{list_checkpoint_files, read_checkpoint_file};
use crate::checkpoint::{Checkpoint, CheckpointFile, Note, VerifierKey};
use crate::error::AuditError;
use crate::format::Hash;
use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion, LeafIndex, TreeSize};
use crate::tree::LogTree;

/// Proof that a record is leaf `seq` of the tree a checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Sequence number of the record (its leaf index).
    pub seq: u64,
    /// The record's stored line, without `\n`: the leaf data.
    pub record: String,
    /// Tree size of the checkpoint.
    pub tree_size: u64,
    /// The audit path, RFC 6962 §2.1.1.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

/// Proof that the tree of a newer checkpoint extends the tree of an older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older signed checkpoint note.
    pub old_checkpoint: String,
    /// The newer signed checkpoint note.
    pub new_checkpoint: String,
    /// The consistency proof, RFC 6962 §2.1.2.
    pub proof: Vec<Hash>,
}

/// Proves that record `seq` is in the log, relative to the newest checkpoint that covers it.
pub fn prove_inclusion(dir: &Path, seq: u64) -> Result<InclusionProof, AuditError> {
    let files = list_checkpoint_files(dir)?;
    let (size, path) = files.iter().rev().find(|(size, _)| *size > seq).ok_or_else(|| AuditError::NoCheckpoint {
        reason: format!(
            "record {seq} is not covered by any checkpoint yet (newest covers {} records)",
            files.last().map_or(0, |(size, _)| *size)
        ),
    })?;
    let file = read_checkpoint_file(path, *size)?;
    let tree = LogTree::open(dir)?;
    let proof = tree.inclusion_proof(seq, file.name_size)?;
    let record = String::from_utf8(tree.record_line(seq)?)
        .map_err(|_| AuditError::ProofInvalid { reason: format!("record {seq} is not UTF-8") })?;
    Ok(InclusionProof { seq, record, tree_size: file.name_size, proof, checkpoint: file.note.clone() })
}

/// Proves that the checkpoint of tree size `new_size` extends the one of `old_size`.
pub fn prove_consistency(dir: &Path, old_size: u64, new_size: u64) -> Result<ConsistencyProof, AuditError> {
    let files = list_checkpoint_files(dir)?;
    let find = |size: u64| -> Result<CheckpointFile, AuditError> {
        match files.iter().find(|(name_size, _)| *name_size == size) {
            Some((_, path)) => read_checkpoint_file(path, size),
            None => Err(AuditError::NoCheckpoint { reason: format!("no checkpoint of tree size {size}") }),
        }
    };
    let (old, new) = (find(old_size)?, find(new_size)?);
    let proof = LogTree::open(dir)?.consistency_proof(old_size, new_size)?;
    Ok(ConsistencyProof { old_checkpoint: old.note.clone(), new_checkpoint: new.note.clone(), proof })
}

/// Opens a signed checkpoint note with `key` and parses its text.
fn open_note(note: &str, key: &VerifierKey) -> Result<Checkpoint, AuditError> {
    let opened = Note::open(note.as_bytes(), std::slice::from_ref(key))?;
    let checkpoint = Checkpoint::parse(&opened.text)?;
    if checkpoint.origin != key.name() {
        return Err(AuditError::ProofInvalid {
            reason: format!("checkpoint origin {:?} differs from the key name {:?}", checkpoint.origin, key.name()),
        });
    }
    Ok(checkpoint)
}

impl InclusionProof {
    /// Checks the proof with the verifier key alone and returns the checkpoint it is relative to.
    pub fn verify(&self, key: &VerifierKey) -> Result<Checkpoint, AuditError> {
        let checkpoint = open_note(&self.checkpoint, key)?;
        if checkpoint.size != self.tree_size {
            return Err(AuditError::ProofInvalid {
                reason: format!("proof is for tree size {}, the checkpoint signs {}", self.tree_size, checkpoint.size),
            });
        }
        match crate::tree::stored_seq(self.record.as_bytes()) {
            Some(seq) if seq == self.seq => {}
            Some(seq) => {
                return Err(AuditError::ProofInvalid {
                    reason: format!("the record carries sequence number {seq}, the proof claims {}", self.seq),
                })
            }
            None => return Err(AuditError::ProofInvalid { reason: "the record has no sequence number".into() }),
        }
        let leaf = leaf_hash(self.record.as_bytes());
        verify_inclusion(&leaf, LeafIndex(self.seq), TreeSize(checkpoint.size), &self.proof, &checkpoint.root)?;
        Ok(checkpoint)
    }
}

impl ConsistencyProof {
    /// Checks both signatures and the proof with the verifier key alone.
    pub fn verify(&self, key: &VerifierKey) -> Result<(Checkpoint, Checkpoint), AuditError> {
        let old = open_note(&self.old_checkpoint, key)?;
        let new = open_note(&self.new_checkpoint, key)?;
        verify_consistency(TreeSize(old.size), TreeSize(new.size), &old.root, &new.root, &self.proof)?;
        Ok((old, new))
    }
}
