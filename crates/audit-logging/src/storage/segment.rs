//! The segment file the writer appends to.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::dir::{open_private, sync_dir};
use crate::error::AuditError;
use crate::format::{segment_file_name, SegmentHeader};

/// The open, append-only segment at the end of the log.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    pub path: PathBuf,
    file: File,
    /// Bytes in the file, header included.
    pub len: u64,
    /// Records in the file.
    pub records: u64,
    /// UTC date of the header's `created`, for daily rotation.
    pub created: NaiveDate,
}

impl ActiveSegment {
    /// Creates a segment holding only `header`.
    ///
    /// The header is written to a temporary file, fsynced and renamed into place, and the
    /// directory is fsynced, so a crash leaves either no segment or one with a whole header.
    pub(crate) fn create(dir: &Path, header: &SegmentHeader) -> Result<ActiveSegment, AuditError> {
        let name = segment_file_name(header.first_seq);
        let path = dir.join(&name);
        let temp = dir.join(format!(".{name}.tmp"));
        let bytes = header.encode();
        let mut file = open_private(&temp, false)?;
        file.set_len(0).map_err(|e| AuditError::file(&temp, "truncate", e))?;
        file.write_all(&bytes).map_err(|e| AuditError::file(&temp, "write", e))?;
        file.sync_all().map_err(|e| AuditError::file(&temp, "fsync", e))?;
        fs::rename(&temp, &path).map_err(|e| AuditError::file(&path, "rename", e))?;
        sync_dir(dir)?;
        // The handle was opened for writing at offset 0 and has written the header, so later
        // writes land after it; nothing else writes to the file while the directory is locked.
        tracing::debug!(segment = %path.display(), first_seq = header.first_seq, "created segment");
        Ok(ActiveSegment { path, file, len: bytes.len() as u64, records: 0, created: header.created.date_naive() })
    }

    /// Opens an existing segment for appending. `len` and `records` come from recovery.
    pub(crate) fn open(path: &Path, len: u64, records: u64, created: NaiveDate) -> Result<ActiveSegment, AuditError> {
        let file = open_private(path, true)?;
        Ok(ActiveSegment { path: path.to_path_buf(), file, len, records, created })
    }

    /// Appends `bytes`, which hold `records` whole record lines.
    pub(crate) fn write(&mut self, bytes: &[u8], records: u64) -> Result<(), AuditError> {
        self.file.write_all(bytes).map_err(|e| AuditError::file(&self.path, "write", e))?;
        self.len += bytes.len() as u64;
        self.records += records;
        Ok(())
    }

    /// Makes everything written so far durable (fdatasync, which includes the file size).
    pub(crate) fn sync(&mut self) -> Result<(), AuditError> {
        self.file.sync_data().map_err(|e| AuditError::file(&self.path, "fsync", e))
    }
}
