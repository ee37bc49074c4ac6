//! The crate's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when emitting, writing, reading or verifying a log.
///
/// Variants carry the path, line, byte offset, sequence number or field concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The queue to the writer thread is full, so the event was not accepted. Nothing was
    /// written and no sequence number was used; the caller may retry or fail its own operation.
    #[error("audit queue is full: the event was not accepted")]
    BufferFull,

    /// The event failed validation. The message names the field and, for a rejected character,
    /// its code point.
    #[error("invalid audit event: {0}")]
    InvalidInput(String),

    /// Every sequence number has been used. The log accepts no further events.
    #[error("sequence numbers exhausted: the log accepts no further events")]
    CounterOverflow,

    /// An I/O error with no single file to blame.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),

    /// An I/O error on a named file or directory.
    #[error("{}: {operation} failed: {source}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// The operation that failed, such as `open` or `fsync`.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// Another process (or another logger in this process) holds the log directory's lock.
    #[error("{}: log is locked by another writer ({})", dir.display(), holder.as_deref().unwrap_or("holder unknown"))]
    Locked {
        /// The log directory.
        dir: PathBuf,
        /// Content of the lock file, naming its holder, such as `pid 1234`.
        holder: Option<String>,
    },

    /// Stored data is damaged in a way that opening the log must not repair.
    #[error("{}:{line}: {reason} (byte offset {offset})", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Byte offset of the start of that line.
        offset: u64,
        /// Description of the damage.
        reason: String,
    },

    /// The writer thread hit an error and stopped accepting events. Events not yet durable when
    /// this happened may be lost; the reason names the operation that failed.
    #[error("audit writer failed: {reason}")]
    WriterFailed {
        /// Description of the failure, with the path concerned.
        reason: String,
    },

    /// The queue was full and the overflow policy is
    /// [`OverflowPolicy::DropAndRecord`](crate::config::OverflowPolicy::DropAndRecord): the
    /// event was dropped, and the log will contain a record counting it.
    #[error("audit queue is full: the event was dropped and the drop will be recorded in the log")]
    Dropped,

    /// Free space on the log's file system is below the configured reserve, so the event was
    /// rejected. The reserve keeps room for queued events and for the record of refusals.
    #[error("{}: only {free} bytes free, below the reserve of {required} bytes: the event was rejected", path.display())]
    DiskSpaceLow {
        /// The log directory.
        path: PathBuf,
        /// Bytes free at the last check.
        free: u64,
        /// The configured reserve.
        required: u64,
    },

    /// The logger was shut down, or its writer thread has exited.
    #[error("audit logger is shut down")]
    ShutDown,

    /// A Merkle tree operation or proof failed.
    #[error("Merkle tree: {0}")]
    Merkle(#[from] crate::merkle::MerkleError),

    /// A key, signed note, checkpoint or seal is invalid.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),

    /// No checkpoint fits the request, for example none covers the record to prove.
    #[error("no checkpoint: {reason}")]
    NoCheckpoint {
        /// Which checkpoint was needed.
        reason: String,
    },

    /// A proof does not match its checkpoint.
    #[error("invalid proof: {reason}")]
    ProofInvalid {
        /// The check that failed.
        reason: String,
    },

    /// A configuration value is invalid.
    #[error("invalid configuration: {field}: {reason}")]
    InvalidConfig {
        /// The configuration field.
        field: &'static str,
        /// Description of the invalid value.
        reason: String,
    },
}

impl AuditError {
    pub(crate) fn file(path: impl Into<PathBuf>, operation: &'static str, source: io::Error) -> Self {
        AuditError::File { path: path.into(), operation, source }
    }
}
