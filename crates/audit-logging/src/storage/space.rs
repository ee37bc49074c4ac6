//! Free space on the file system that holds the log.

use std::path::Path;

use crate::error::AuditError;

/// Returns the bytes available to this (unprivileged) process on the file system of `path`.
pub(crate) fn available_bytes(path: &Path) -> Result<u64, AuditError> {
    let stats = rustix::fs::statvfs(path).map_err(|e| AuditError::file(path, "statvfs", e.into()))?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}
