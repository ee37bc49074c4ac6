//! The writer's checkpoints: grow the Merkle tree with each record, and after an fsync sign
//! (and seal) its root when one is due.
//!
//! Order of writes for one checkpoint: first the checkpoint file (with the seal of epoch `e`)
//! is written durably. Then the sealing key is evolved to `e + 1` and its file replaced.
//! A crash between the two leaves the key file at `e`; opening sees a checkpoint already
//! sealed at `e` and evolves the key past it, so no epoch is used twice and none is skipped.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::checkpoint::files::{checkpoint_file_name, encode_checkpoint_file, list_checkpoint_files, read_checkpoint_file};
use crate::checkpoint::{read_checkpoint_files, Checkpoint, CheckpointFile, Note, SealingKey, CHECKPOINT_DIR};
use crate::config::CheckpointOptions;
use crate::error::AuditError;
use crate::storage::{write_durably, Appended, RecordLocation};
use crate::tree::TreeBuilder;

/// Writes signed checkpoints for one log.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    dir: PathBuf,
    options: CheckpointOptions,
    tree: TreeBuilder,
    sealing: Option<SealingKey>,
    last_size: u64,
    last_time: Instant,
}

impl Checkpointer {
    /// Resumes the tree of the log in `dir` (which contains `next_seq` records) and the
    /// sealing key, if any.
    pub(crate) fn open(dir: &Path, options: CheckpointOptions, first_seq: u64, next_seq: u64) -> Result<Checkpointer, AuditError> {
        if first_seq != 0 {
            return Err(AuditError::InvalidConfig {
                field: "checkpoints",
                reason: format!("checkpoints need a log that starts at sequence 0, this one starts at {first_seq}"),
            });
        }
        crate::storage::create_private_dir(&dir.join(CHECKPOINT_DIR))?;
        // Only the newest checkpoint matters here; a large log has thousands.
        let last = match list_checkpoint_files(dir)?.pop() {
            Some((size, path)) => Some(read_checkpoint_file(&path, size)?),
            None => None,
        };
        let tree = open_tree(dir, next_seq, last.as_ref(), &options)?;
        let last_size = last.as_ref().map_or(0, |f| f.name_size);
        let sealing = match &options.seal_key_file {
            None => None,
            Some(path) => {
                let last_epoch = match last.as_ref() {
                    Some(file) if file.seal.is_some() => file.seal.map(|s| s.epoch),
                    // The newest has no seal (sealing was just turned on): look at all of them.
                    Some(_) => read_checkpoint_files(dir)?.iter().filter_map(|f| f.seal.map(|s| s.epoch)).max(),
                    None => None,
                };
                Some(load_sealing_key(path, last_epoch)?)
            }
        };
        Ok(Checkpointer { dir: dir.to_path_buf(), options, tree, sealing, last_size, last_time: Instant::now() })
    }

    /// Adds a record just appended to the tree.
    pub(crate) fn push(&mut self, appended: &Appended) -> Result<(), AuditError> {
        if appended.seq != self.tree.size() {
            return Err(AuditError::InvalidConfig {
                field: "checkpoints",
                reason: format!("Merkle tree has {} leaves but the record has sequence number {}", self.tree.size(), appended.seq),
            });
        }
        let location: RecordLocation = appended.location;
        match appended.leaf_hash {
            Some(leaf) => self.tree.push(leaf, location),
            None => Err(AuditError::InvalidConfig { field: "checkpoints", reason: "leaf hashes are off".into() }),
        }
    }

    /// Returns true when a checkpoint should be written now, so the writer fsyncs for it.
    pub(crate) fn is_due(&self, rotating: bool) -> bool {
        let size = self.tree.size();
        size > self.last_size
            && (rotating || size - self.last_size >= self.options.every_records || self.last_time.elapsed() >= self.options.every)
    }

    /// Called after every fsync, when everything appended is durable. Saves completed chunks
    /// and writes a checkpoint if one is due (or `force` is set and records were added).
    pub(crate) fn after_sync(&mut self, force: bool) -> Result<(), AuditError> {
        self.tree.save_chunks();
        let size = self.tree.size();
        if size == self.last_size {
            return Ok(());
        }
        if force || self.is_due(false) {
            self.write(size)?;
        }
        Ok(())
    }

    fn write(&mut self, size: u64) -> Result<(), AuditError> {
        let text = Checkpoint { origin: self.options.origin.clone(), size, root: self.tree.root(), extensions: Vec::new() }.to_text()?;
        let note = Note::sign(&text, &[&self.options.signer])?;
        let seal = self.sealing.as_ref().map(|key| key.seal(text.as_bytes()));
        let contents = encode_checkpoint_file(&note, seal.as_ref());
        write_durably(&self.dir.join(CHECKPOINT_DIR), &checkpoint_file_name(size), contents.as_bytes())?;
        // The checkpoint exists now: even if replacing the key file fails below, the next
        // checkpoint must be a new one, sealed with the evolved key kept in memory.
        self.last_size = size;
        self.last_time = Instant::now();
        tracing::debug!(size, "wrote checkpoint");
        if let (Some(key), Some(path)) = (self.sealing.as_mut(), self.options.seal_key_file.as_ref()) {
            key.evolve()?;
            save_sealing_key(path, key)?;
        }
        Ok(())
    }
}

/// Resumes the tree and, when the last checkpoint covers exactly the records present (as after
/// a clean shutdown), checks the resumed root against it. A mismatch first rebuilds the chunk
/// index from the records; if the records themselves no longer match, opening fails.
fn open_tree(dir: &Path, next_seq: u64, last: Option<&CheckpointFile>, options: &CheckpointOptions) -> Result<TreeBuilder, AuditError> {
    let tree = TreeBuilder::open(dir, next_seq)?;
    let Some(last) = last else { return Ok(tree) };
    let verifier = options.signer.verifier_key();
    let Ok(note) = Note::open(last.note.as_bytes(), &[verifier]) else { return Ok(tree) };
    let Ok(checkpoint) = Checkpoint::parse(&note.text) else { return Ok(tree) };
    if checkpoint.size != tree.size() || checkpoint.root.ct_eq(&tree.root()) {
        return Ok(tree);
    }
    tracing::warn!(dir = %dir.display(), "Merkle root disagrees with the last checkpoint; rebuilding the chunk index from the records");
    let index = dir.join(crate::tree::CHUNK_INDEX_FILE);
    std::fs::remove_file(&index).map_err(|e| AuditError::file(&index, "remove", e))?;
    let tree = TreeBuilder::open(dir, next_seq)?;
    if !checkpoint.root.ct_eq(&tree.root()) {
        return Err(AuditError::Corrupt {
            path: last.path.clone(),
            line: 0,
            offset: 0,
            reason: format!("records 0..{} no longer match this signed checkpoint; run verify --key", checkpoint.size),
        });
    }
    Ok(tree)
}

/// Most steps the key is evolved at open to catch up with the newest checkpoint. A crash costs
/// one step; more means the checkpoint files or the key file are not the ones written together.
const MAX_EVOLVE_AT_OPEN: u64 = 1024;

/// Reads the sealing key and evolves it past `last_epoch`, the newest epoch already used.
fn load_sealing_key(path: &Path, last_epoch: Option<u64>) -> Result<SealingKey, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::file(path, "read sealing key", e))?;
    let mut key = SealingKey::from_key_file(&text)?;
    if let Some(last) = last_epoch {
        if last.saturating_sub(key.epoch()) > MAX_EVOLVE_AT_OPEN {
            return Err(AuditError::InvalidConfig {
                field: "checkpoints",
                reason: format!(
                    "the newest checkpoint claims seal epoch {last} but the key file is at epoch {}; refusing to evolve the key that far",
                    key.epoch()
                ),
            });
        }
        if key.epoch() > last + 1 {
            tracing::warn!(key_epoch = key.epoch(), last_sealed = last, "sealing key is ahead of the last sealed checkpoint; verification will report the skipped epochs");
        }
        let mut evolved = false;
        while key.epoch() <= last {
            key.evolve()?;
            evolved = true;
        }
        if evolved {
            save_sealing_key(path, &key)?;
        }
    }
    Ok(key)
}

/// Replaces the key file durably, so the previous epoch's key is no longer in it.
fn save_sealing_key(path: &Path, key: &SealingKey) -> Result<(), AuditError> {
    // NOTE: the old key's bytes may survive in free blocks of the file system until those are
    // reused. Erasing them needs the disk's own secure-erase support.
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    write_durably(folder, &name, key.to_key_file().as_bytes())?;
    Ok(())
}
