//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use audit_logging::{
    ActorInfo, AuditConfig, AuditEvent, AuditLogger, AuditMode, AuthMethod, FlushMode, LoggerOptions, ResourceInfo,
    RetentionPolicy, RotationPolicy,
};
use chrono::Utc;

pub fn config(dir: &Path, flush_mode: FlushMode, rotation_policy: RotationPolicy) -> AuditConfig {
    AuditConfig {
        mode: AuditMode::Local { base_dir: dir.to_path_buf() },
        service_id: "test-svc".into(),
        rotation_policy,
        retention_policy: RetentionPolicy::default(),
        flush_mode,
    }
}

pub fn open(dir: &Path) -> AuditLogger {
    AuditLogger::new(config(dir, FlushMode::Immediate, RotationPolicy::Daily)).unwrap()
}

pub fn open_with(dir: &Path, flush_mode: FlushMode, rotation: RotationPolicy, options: LoggerOptions) -> AuditLogger {
    AuditLogger::with_options(config(dir, flush_mode, rotation), options).unwrap()
}

/// An event that names `thread` and `index`, so tests can find it again.
pub fn event(thread: usize, index: usize) -> AuditEvent {
    AuditEvent::AuthorizationGranted {
        timestamp: Utc::now(),
        actor: ActorInfo {
            user_id: format!("user-{thread}"),
            ip: Some("10.0.0.7".parse().unwrap()),
            auth_method: AuthMethod::BearerToken,
            session_id: Some(format!("session-{thread}")),
        },
        resource: ResourceInfo {
            resource_type: "pool".into(),
            resource_id: format!("pool-{thread}-{index}"),
            parent_id: None,
        },
        action: "read".into(),
    }
}

/// Paths of the segment files in `dir`, in sequence order.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("segment-"))
        .collect();
    paths.sort();
    paths
}

/// Asserts that the log verifies and returns how many records it holds.
pub fn assert_intact(dir: &Path) -> u64 {
    match audit_logging::verify(dir).unwrap() {
        audit_logging::Verdict::Intact(summary) => summary.records,
        audit_logging::Verdict::Damaged { problem, .. } => panic!("log damaged: {problem}"),
    }
}
