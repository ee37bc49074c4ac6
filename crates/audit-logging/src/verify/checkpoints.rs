//! Verification with keys: the chain, plus every checkpoint's signature, root, consistency
//! with the checkpoint before it, and seal.
//!
//! What this adds to the keyless chain check: a record rewritten and re-hashed (the chain then
//! still links) no longer matches the Merkle root of the checkpoints that cover it; records
//! or whole segments cut from the end before the last checkpoint leave that checkpoint
//! covering records that do not exist; a checkpoint replaced, or resealed with a later epoch's
//! key, or removed from the middle, fails its seal check or leaves a gap in the epochs.
//!
//! What it cannot detect: records appended after the last checkpoint are only covered by the
//! chain, and are reported as unsealed. Deleting the newest checkpoints together with the
//! records after the new last one looks like a log that was never longer, unless the
//! verifier knows a newer checkpoint (for example one published elsewhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{walk, SegmentReport, Verdict};
use crate::checkpoint::{find_epoch_gaps, read_checkpoint_files, Checkpoint, Note, Seal, SealVerifier, SealingKey, VerifierKey};
use crate::error::AuditError;
use crate::format::Hash;
use crate::merkle::{empty_root, leaf_hash, verify_consistency, TreeSize, TreeStore};

/// Records per chunk of the tree store, whose edge leaves a consistency proof reads.
const CHUNK_LEAVES: u64 = 1 << crate::merkle::DEFAULT_CHUNK_LEVEL;

/// Keys and strictness for [`verify_log`].
#[derive(Debug, Default, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// Key whose signature every checkpoint must carry. Without it checkpoints are not checked.
    pub verifier: Option<&'a VerifierKey>,
    /// The initial sealing key (normally epoch 0), kept off the logging host. With it every
    /// checkpoint must carry a valid seal of its own epoch.
    pub seal_key: Option<&'a SealingKey>,
    /// Fail when no checkpoint exists or records follow the last one.
    pub require_seal: bool,
}

/// One checkpoint's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointReport {
    /// The checkpoint file.
    pub file: PathBuf,
    /// Tree size the checkpoint covers (from its text, or its file name if unreadable).
    pub size: u64,
    /// Epoch of its seal, if it has one.
    pub epoch: Option<u64>,
    /// The reason it is invalid, if it is.
    pub problem: Option<String>,
}

/// Everything [`verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// The chain check, as [`verify`](super::verify) returns it.
    pub chain: Verdict,
    /// Every segment read.
    pub segments: Vec<SegmentReport>,
    /// Every checkpoint, smallest first (empty when no verifier key was given).
    pub checkpoints: Vec<CheckpointReport>,
    /// Records after the last valid checkpoint: covered by the chain only.
    pub unsealed_records: u64,
    /// Problems of the log as a whole: missing epochs, no checkpoints when required.
    pub problems: Vec<String>,
}

impl LogReport {
    /// Returns true when the chain is intact, every checkpoint is valid and no problem was found.
    pub fn is_valid(&self) -> bool {
        self.chain.is_intact() && self.checkpoints.iter().all(|c| c.problem.is_none()) && self.problems.is_empty()
    }
}

/// A checkpoint whose note verified and whose text parsed.
struct Opened {
    index: usize,
    checkpoint: Checkpoint,
    text: String,
    seal: Option<Seal>,
}

/// Verifies the log in `dir` with the given keys. `Err` means verification could not run.
pub fn verify_log(dir: &Path, options: VerifyOptions<'_>) -> Result<LogReport, AuditError> {
    let files = match options.verifier {
        Some(_) => read_checkpoint_files(dir)?,
        None => Vec::new(),
    };
    let mut reports: Vec<CheckpointReport> = files
        .iter()
        .map(|f| CheckpointReport { file: f.path.clone(), size: f.name_size, epoch: f.seal.map(|s| s.epoch), problem: None })
        .collect();
    let mut opened = Vec::new();
    if let Some(verifier) = options.verifier {
        for (index, file) in files.iter().enumerate() {
            match open_checkpoint(file, verifier) {
                Ok((checkpoint, text)) => {
                    reports[index].size = checkpoint.size;
                    opened.push(Opened { index, checkpoint, text, seal: file.seal });
                }
                Err(problem) => reports[index].problem = Some(problem),
            }
            if let Some(reason) = &file.bad_seal {
                reports[index].problem.get_or_insert_with(|| reason.clone());
            }
        }
    }

    // Walk the chain once, computing the Merkle root at every size a checkpoint claims.
    let mut wanted: Vec<u64> = opened.iter().map(|o| o.checkpoint.size).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut roots: BTreeMap<u64, Hash> = BTreeMap::new();
    if wanted.first() == Some(&0) {
        roots.insert(0, empty_root());
    }
    // The tree is built from the records as read, never from the merkle-chunks cache. The
    // leaves of chunks that hold a checkpoint's edge are kept for the consistency proofs.
    let mut tree = TreeStore::new();
    let needed_chunks: BTreeSet<u64> =
        wanted.iter().filter(|&&size| size % CHUNK_LEAVES != 0).map(|&size| size / CHUNK_LEAVES).collect();
    let mut kept = KeptLeaves::default();
    let mut next_wanted = wanted.iter().copied().filter(|&s| s > 0).peekable();
    let (chain, segments) = walk(dir, &mut |seq, line| {
        if next_wanted.peek().is_none() {
            return;
        }
        let leaf = leaf_hash(line);
        // Push fails only at 2^64 leaves, which a log of u64 sequence numbers cannot reach.
        let _ = tree.push(leaf);
        if needed_chunks.contains(&(seq / CHUNK_LEAVES)) {
            kept.leaves.insert(seq, leaf);
        }
        if next_wanted.peek() == Some(&tree.size().get()) {
            roots.insert(tree.size().get(), tree.root());
            next_wanted.next();
        }
    })?;
    let records = match &chain {
        Verdict::Intact(summary) => summary.records,
        Verdict::Damaged { checked, .. } => checked.records,
    };

    let mut previous: Option<&Opened> = None;
    let mut last_valid_size = 0;
    let mut any_valid = false;
    let mut seal_verifier = options.seal_key.map(SealVerifier::new);
    let mut seals = Vec::new();
    for current in &opened {
        let report = &mut reports[current.index];
        let checkpoint = &current.checkpoint;
        let problem = check_root(checkpoint, files[current.index].name_size, records, &roots)
            .or_else(|| check_seal(seal_verifier.as_mut(), current, &mut seals))
            .or_else(|| previous.and_then(|p| check_consistency(&tree, &kept, &p.checkpoint, checkpoint)));
        if problem.is_none() {
            any_valid = true;
            last_valid_size = last_valid_size.max(checkpoint.size);
            previous = Some(current);
        }
        report.problem = report.problem.take().or(problem);
    }

    let mut problems = Vec::new();
    if let Some(verifier) = &seal_verifier {
        let last = seals.iter().map(|s: &Seal| s.epoch).max();
        if let Some(last) = last {
            let gaps = find_epoch_gaps(&seals, verifier.first_epoch()..=last);
            for missing in gaps.missing {
                problems.push(format!(
                    "no sealed checkpoint for epochs {}..={}: checkpoints were removed or resealed",
                    missing.start(),
                    missing.end()
                ));
            }
            if !gaps.out_of_order.is_empty() {
                problems.push("seal epochs do not increase with tree size: checkpoints were reordered or resealed".into());
            }
        }
    }
    let unsealed_records = records.saturating_sub(last_valid_size);
    if options.require_seal {
        if !any_valid {
            problems.push("no valid checkpoint: the log is not sealed".into());
        } else if unsealed_records > 0 {
            problems.push(format!("{unsealed_records} records after the last checkpoint are not sealed"));
        }
    }
    Ok(LogReport { chain, segments, checkpoints: reports, unsealed_records, problems })
}

fn open_checkpoint(file: &crate::checkpoint::CheckpointFile, verifier: &VerifierKey) -> Result<(Checkpoint, String), String> {
    let note = Note::open(file.note.as_bytes(), std::slice::from_ref(verifier)).map_err(|e| format!("signature: {e}"))?;
    let checkpoint = Checkpoint::parse(&note.text).map_err(|e| format!("checkpoint text: {e}"))?;
    if checkpoint.origin != verifier.name() {
        return Err(format!("origin {:?} differs from the key name {:?}", checkpoint.origin, verifier.name()));
    }
    Ok((checkpoint, note.text))
}

fn check_root(checkpoint: &Checkpoint, name_size: u64, records: u64, roots: &BTreeMap<u64, Hash>) -> Option<String> {
    if checkpoint.size != name_size {
        return Some(format!(
            "file name says tree size {name_size} but the checkpoint covers {}: the file was replaced",
            checkpoint.size
        ));
    }
    if checkpoint.size > records {
        return Some(format!(
            "covers {} records but only {records} verified: records were removed from the end, or are damaged",
            checkpoint.size
        ));
    }
    match roots.get(&checkpoint.size) {
        Some(root) if root.ct_eq(&checkpoint.root) => None,
        Some(root) => Some(format!(
            "root {} differs from the root of records 0..{} ({root}): records were rewritten",
            checkpoint.root, checkpoint.size
        )),
        None => Some(format!("no root computed for tree size {}", checkpoint.size)),
    }
}

fn check_seal(verifier: Option<&mut SealVerifier>, current: &Opened, seals: &mut Vec<Seal>) -> Option<String> {
    let verifier = verifier?;
    let Some(seal) = current.seal else {
        return Some("no seal: the seal line was removed".into());
    };
    match verifier.verify(&seal, current.text.as_bytes()) {
        Ok(()) => {
            seals.push(seal);
            None
        }
        Err(error) => Some(format!("seal of epoch {} does not verify ({error}): made with another epoch's key, or over other text", seal.epoch)),
    }
}

/// Leaf hashes kept during the walk, by sequence number.
#[derive(Default)]
struct KeptLeaves {
    leaves: BTreeMap<u64, Hash>,
}

impl KeptLeaves {
    fn range(&self, range: std::ops::Range<u64>) -> Result<Vec<Hash>, AuditError> {
        range
            .map(|seq| {
                self.leaves.get(&seq).copied().ok_or_else(|| AuditError::ProofInvalid {
                    reason: format!("leaf {seq} was not kept for the consistency proof"),
                })
            })
            .collect()
    }
}

fn check_consistency(tree: &TreeStore, kept: &KeptLeaves, old: &Checkpoint, new: &Checkpoint) -> Option<String> {
    let proof = match tree.consistency_proof(TreeSize(old.size), TreeSize(new.size), |range| kept.range(range)) {
        Ok(proof) => proof,
        Err(error) => return Some(format!("cannot prove consistency with the checkpoint at {}: {error}", old.size)),
    };
    verify_consistency(TreeSize(old.size), TreeSize(new.size), &old.root, &new.root, &proof)
        .err()
        .map(|error| format!("not consistent with the checkpoint at tree size {}: {error}", old.size))
}
