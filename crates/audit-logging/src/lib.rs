//! A tamper-evident, append-only security audit log.
#![forbid(unsafe_code)]

pub mod config;
pub mod error;
pub mod event;
pub mod format;
pub mod limits;
mod validation;

pub use config::{AuditConfig, AuditMode, FlushMode, LoggerOptions, RetentionPolicy, RotationPolicy};
pub use error::AuditError;
pub use event::{ActorInfo, AuditEvent, AuditResult, AuthMethod, ResourceInfo};
pub use validation::check_text;
