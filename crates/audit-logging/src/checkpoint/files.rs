//! Checkpoint files in the log directory.
//!
//! Each checkpoint is one file, `checkpoints/<tree size, 20 digits>.checkpoint`, holding the
//! signed note (C2SP signed-note over a C2SP tlog-checkpoint text) followed, when sealing is
//! on, by one seal line `seal <epoch> <base64 MAC>\n`. The seal line is outside the signed
//! note, so removing it leaves a note whose signature still verifies; only a verifier with the
//! sealing key notices the missing seal.
//!
//! Files are written to a temporary name, fsynced and renamed, and the folder is fsynced, so a
//! crash leaves either the whole file or none.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Seal, SEAL_KEYWORD};
use crate::error::AuditError;

/// Folder of checkpoint files inside the log directory.
pub const CHECKPOINT_DIR: &str = "checkpoints";

const SUFFIX: &str = ".checkpoint";

/// A checkpoint file as stored, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    /// Path of the file.
    pub path: PathBuf,
    /// Tree size in the file name.
    pub name_size: u64,
    /// The signed note: checkpoint text, blank line, signature lines.
    pub note: String,
    /// The seal line, if present and well formed.
    pub seal: Option<Seal>,
    /// A last line that starts like a seal but does not parse, with the reason.
    pub bad_seal: Option<String>,
}

/// Returns the file name of the checkpoint of a tree of `size` records.
pub fn checkpoint_file_name(size: u64) -> String {
    format!("{size:020}{SUFFIX}")
}

fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// Builds a checkpoint file's contents from a signed note and an optional seal.
pub fn encode_checkpoint_file(note: &str, seal: Option<&Seal>) -> String {
    match seal {
        Some(seal) => format!("{note}{seal}\n"),
        None => note.to_owned(),
    }
}

/// Splits a checkpoint file's contents into the note and the seal line.
pub fn decode_checkpoint_file(path: &Path, name_size: u64, text: &str) -> CheckpointFile {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let (note, last) = match body.rfind('\n') {
        Some(index) => (&text[..index + 1], &body[index + 1..]),
        None => (text, ""),
    };
    let mut file = CheckpointFile { path: path.to_path_buf(), name_size, note: text.to_owned(), seal: None, bad_seal: None };
    if last.starts_with(&format!("{SEAL_KEYWORD} ")) {
        file.note = note.to_owned();
        match Seal::parse(last) {
            Ok(seal) => file.seal = Some(seal),
            Err(error) => file.bad_seal = Some(error.to_string()),
        }
    }
    file
}

/// Lists the checkpoint files of the log in `dir` as (tree size in the name, path), smallest
/// tree first, without reading them. A log without the folder has none.
pub fn list_checkpoint_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, AuditError> {
    let folder = dir.join(CHECKPOINT_DIR);
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuditError::file(&folder, "read directory", e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::file(&folder, "read directory", e))?;
        if let Some(name_size) = entry.file_name().to_str().and_then(parse_name) {
            files.push((name_size, entry.path()));
        }
    }
    files.sort_unstable();
    Ok(files)
}

/// Reads one checkpoint file.
///
/// Bytes that are not UTF-8 are replaced with U+FFFD, so the note then fails its signature
/// check and the file is reported as invalid instead of stopping verification.
pub fn read_checkpoint_file(path: &Path, name_size: u64) -> Result<CheckpointFile, AuditError> {
    let bytes = fs::read(path).map_err(|e| AuditError::file(path, "read", e))?;
    Ok(decode_checkpoint_file(path, name_size, &String::from_utf8_lossy(&bytes)))
}

/// Reads every checkpoint file of the log in `dir`, smallest tree first.
pub fn read_checkpoint_files(dir: &Path) -> Result<Vec<CheckpointFile>, AuditError> {
    list_checkpoint_files(dir)?.iter().map(|(size, path)| read_checkpoint_file(path, *size)).collect()
}
