//! A seam for tests that makes chosen file operations of the writer fail.
//!
//! Compiled only with the `fault-injection` feature. A [`FaultInjector`] set in
//! [`LoggerOptions`](crate::LoggerOptions) is asked before every segment write, fsync and
//! file creation, and can turn it into an error or a short write followed by an error.

use std::fmt::Debug;
use std::io;
use std::path::Path;

/// A file operation the writer is about to perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoOperation {
    /// Appending bytes to a segment.
    Write,
    /// Fsyncing a segment.
    Sync,
    /// Creating a segment file.
    Create,
}

/// What the injector wants to happen instead of the real operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum Fault {
    /// Fail with this error before doing anything.
    Fail(io::Error),
    /// Write only the first `written` bytes, then fail with `error` (a partial write, as when
    /// the disk fills in the middle of a batch).
    ShortWrite {
        /// Bytes actually written.
        written: usize,
        /// The error after them.
        error: io::Error,
    },
}

/// Decides, per operation, whether to inject a fault.
pub trait FaultInjector: Send + Sync + Debug {
    /// Called before each operation on `path`; `len` is the byte count of a write.
    fn inject(&self, operation: IoOperation, path: &Path, len: usize) -> Option<Fault>;
}
