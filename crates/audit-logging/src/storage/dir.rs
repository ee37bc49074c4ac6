//! The log directory: creation with private permissions, the writer lock, and the segment list.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::format::parse_segment_file_name;

/// Name of the lock file inside the log directory.
pub(crate) const LOCK_FILE: &str = "LOCK";

/// Mode of the log directory and of every directory the writer creates.
const DIR_MODE: u32 = 0o700;

/// Mode of every file the writer creates.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) with mode 0700, or tightens an existing one to 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), AuditError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| AuditError::file(dir, "create directory", e))?;
    let metadata = fs::metadata(dir).map_err(|e| AuditError::file(dir, "stat", e))?;
    if !metadata.is_dir() {
        return Err(AuditError::file(dir, "open log directory", std::io::Error::other("not a directory")));
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode != DIR_MODE {
        tracing::warn!(dir = %dir.display(), mode = format!("{mode:o}"), "tightening log directory permissions to 0700");
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
            .map_err(|e| AuditError::file(dir, "chmod", e))?;
    }
    Ok(())
}

/// Fsyncs a directory so that a file created or renamed in it survives a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::file(dir, "fsync directory", e))
}

/// Opens (creating if needed) a file for writing with mode 0600.
pub(crate) fn open_private(path: &Path, append: bool) -> Result<File, AuditError> {
    let mut options = OpenOptions::new();
    options.create(true).mode(FILE_MODE);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    options.open(path).map_err(|e| AuditError::file(path, "open", e))
}

/// An exclusive advisory lock (flock) on the directory's lock file, held while this value lives.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock or returns [`AuditError::Locked`] naming the holder recorded in the file.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, AuditError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&path)
            .map_err(|e| AuditError::file(&path, "open", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(AuditError::Locked {
                    dir: dir.to_path_buf(),
                    holder: (!holder.is_empty()).then(|| holder.to_owned()),
                });
            }
            Err(TryLockError::Error(e)) => return Err(AuditError::file(&path, "lock", e)),
        }
        let holder = format!("pid {}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()))
            .map_err(|e| AuditError::file(&path, "write", e))?;
        Ok(DirLock { _file: file })
    }
}

/// A segment file found in the log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentFile {
    /// Sequence number in the file name.
    pub first_seq: u64,
    /// Full path.
    pub path: PathBuf,
}

/// Lists the segment files of `dir` in sequence order. Other files are ignored.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<SegmentFile>, AuditError> {
    let entries = fs::read_dir(dir).map_err(|e| AuditError::file(dir, "read directory", e))?;
    let mut segments = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::file(dir, "read directory", e))?;
        let name = entry.file_name();
        if let Some(first_seq) = name.to_str().and_then(parse_segment_file_name) {
            segments.push(SegmentFile { first_seq, path: entry.path() });
        }
    }
    segments.sort_by_key(|s| s.first_seq);
    Ok(segments)
}

/// Writes a file durably: temporary file, fsync, rename, fsync of the folder. Mode 0600.
pub(crate) fn write_durably(folder: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, AuditError> {
    let path = folder.join(name);
    let temp = folder.join(format!(".{name}.tmp"));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| AuditError::file(&temp, "open", e))?;
    file.write_all(contents).map_err(|e| AuditError::file(&temp, "write", e))?;
    file.sync_all().map_err(|e| AuditError::file(&temp, "fsync", e))?;
    fs::rename(&temp, &path).map_err(|e| AuditError::file(&path, "rename", e))?;
    sync_dir(folder)?;
    Ok(path)
}
