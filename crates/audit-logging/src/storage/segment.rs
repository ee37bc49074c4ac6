//! The segment file the writer appends to.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::dir::{open_private, sync_dir};
use super::io::FileOps;
use crate::error::AuditError;
use crate::format::segment_file_name;

/// The open, append-only segment at the end of the log.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    pub path: PathBuf,
    /// `None` after a failed write or fsync: the handle is not trusted again, because after
    /// an fsync error the state of the page cache is unknown.
    file: Option<File>,
    /// Bytes known to be durable, header included.
    pub synced_len: u64,
    ops: FileOps,
}

impl ActiveSegment {
    /// Creates a segment holding only `header` (one encoded line) for `first_seq`.
    ///
    /// The header is written to a temporary file, fsynced and renamed into place, and the
    /// directory is fsynced, so a crash leaves either no segment or one with a whole header.
    pub(crate) fn create(dir: &Path, first_seq: u64, header: &[u8], ops: FileOps) -> Result<ActiveSegment, AuditError> {
        let name = segment_file_name(first_seq);
        let path = dir.join(&name);
        let temp = dir.join(format!(".{name}.tmp"));
        ops.before_create(&path).map_err(|e| AuditError::file(&path, "create", e))?;
        let mut file = open_private(&temp, false)?;
        file.set_len(0).map_err(|e| AuditError::file(&temp, "truncate", e))?;
        ops.write_all(&mut file, &temp, header).map_err(|e| AuditError::file(&temp, "write", e))?;
        file.sync_all().map_err(|e| AuditError::file(&temp, "fsync", e))?;
        fs::rename(&temp, &path).map_err(|e| AuditError::file(&path, "rename", e))?;
        sync_dir(dir)?;
        drop(file);
        let file = open_private(&path, true)?;
        tracing::debug!(segment = %path.display(), first_seq, "created segment");
        Ok(ActiveSegment { path, file: Some(file), synced_len: header.len() as u64, ops })
    }

    /// Opens an existing segment for appending; `len` bytes of it are durable.
    pub(crate) fn open(path: &Path, len: u64, ops: FileOps) -> Result<ActiveSegment, AuditError> {
        let file = open_private(path, true)?;
        Ok(ActiveSegment { path: path.to_path_buf(), file: Some(file), synced_len: len, ops })
    }

    /// Appends `bytes`. On error the handle is dropped; [`reopen`](Self::reopen) repairs.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), AuditError> {
        let file = self.file.as_mut().ok_or_else(|| closed_error(&self.path))?;
        let result = self.ops.write_all(file, &self.path, bytes);
        result.map_err(|e| {
            self.file = None;
            AuditError::file(&self.path, "write", e)
        })
    }

    /// Fsyncs what was written; on success `unsynced` more bytes are durable.
    pub(crate) fn sync(&mut self, unsynced: u64) -> Result<(), AuditError> {
        let file = self.file.as_ref().ok_or_else(|| closed_error(&self.path))?;
        match self.ops.sync_data(file, &self.path) {
            Ok(()) => {
                self.synced_len += unsynced;
                Ok(())
            }
            Err(e) => {
                self.file = None;
                Err(AuditError::file(&self.path, "fsync", e))
            }
        }
    }

    /// Opens a fresh handle after a failure and cuts the file back to its durable length.
    ///
    /// `expected` holds the bytes the writer meant to write after that length; bytes on disk
    /// that differ from them (a partial or failed write) are logged before being cut.
    pub(crate) fn reopen(&mut self, expected: &[u8]) -> Result<(), AuditError> {
        self.file = None;
        let path = &self.path;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| AuditError::file(path, "reopen", e))?;
        let on_disk = file.metadata().map_err(|e| AuditError::file(path, "stat", e))?.len();
        if on_disk < self.synced_len {
            return Err(AuditError::Corrupt {
                path: path.clone(),
                line: 0,
                offset: on_disk,
                reason: format!("segment is {on_disk} bytes, shorter than the {} bytes already fsynced", self.synced_len),
            });
        }
        let extra = on_disk - self.synced_len;
        if extra > 0 {
            let mut tail = Vec::new();
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(self.synced_len))
                .and_then(|_| file.by_ref().take(extra).read_to_end(&mut tail))
                .map_err(|e| AuditError::file(path, "read", e))?;
            let matching = tail.iter().zip(expected).take_while(|(a, b)| a == b).count();
            tracing::warn!(
                segment = %path.display(),
                offset = self.synced_len,
                unsynced_bytes = extra,
                matching_bytes = matching,
                "cutting unsynced bytes after a write failure; they are rewritten from memory"
            );
        }
        file.set_len(self.synced_len).map_err(|e| AuditError::file(path, "truncate", e))?;
        self.file = Some(file);
        Ok(())
    }
}

fn closed_error(path: &Path) -> AuditError {
    AuditError::file(path, "write", std::io::Error::other("segment handle was closed after an earlier error"))
}
