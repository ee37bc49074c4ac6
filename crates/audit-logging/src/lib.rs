//! A tamper-evident, append-only security audit log.
//!
//! A service builds one [`AuditLogger`] and calls [`AuditLogger::emit`] from anywhere:
//! synchronous code, async code, `Drop`, tests. `emit` validates the event and hands it to a
//! bounded queue without blocking; a background thread writes batches to segment files in
//! the log directory, links every record to the previous one with SHA-256, and fsyncs as the
//! [`FlushMode`] requires. [`verify()`] checks a log offline and [`query`] reads it back.
//!
//! ```
//! use std::sync::Arc;
//! use audit_logging::{AuditConfig, AuditEvent, AuditLogger, AuditMode, FlushMode, RetentionPolicy, RotationPolicy};
//! use chrono::Utc;
//!
//! # fn main() -> Result<(), audit_logging::AuditError> {
//! # let dir = std::env::temp_dir().join(format!("audit-doc-{}", std::process::id()));
//! let logger = Arc::new(AuditLogger::new(AuditConfig {
//!     mode: AuditMode::Local { base_dir: dir.clone() },
//!     service_id: "vram-residency".into(),
//!     rotation_policy: RotationPolicy::Daily,
//!     retention_policy: RetentionPolicy::default(),
//!     flush_mode: FlushMode::Immediate,
//! })?);
//! logger.emit(AuditEvent::SealVerified {
//!     timestamp: Utc::now(),
//!     shard_id: "shard-1".into(),
//!     worker_id: "worker-gpu-0".into(),
//! })?;
//! logger.flush_blocking()?;
//! assert!(audit_logging::verify(&dir)?.is_intact());
//! # drop(logger);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod config;
pub mod error;
pub mod event;
#[cfg(feature = "fault-injection")]
pub mod faults;
pub mod format;
pub mod limits;
mod logger;
pub mod merkle;
pub mod proof;
pub mod query;
mod storage;
pub mod tree;
mod validation;
pub mod verify;
mod writer;

pub use config::{
    AuditConfig, AuditMode, CheckpointOptions, FailurePolicy, FlushMode, LoggerOptions, OverflowPolicy, RetentionPolicy, RotationPolicy,
};
pub use error::AuditError;
pub use event::{ActorInfo, AuditEvent, AuditResult, AuthMethod, ResourceInfo};
pub use logger::{AuditLogger, Health, Receipt, ShutdownReport};
pub use validation::check_text;
pub use verify::{verify, Verdict};
