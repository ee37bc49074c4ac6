//! The call existing services make, compiled unchanged and run with no async runtime.

use std::sync::Arc;

use audit_logging::query::{query, Query};
use audit_logging::{AuditConfig, AuditError, AuditEvent, AuditLogger, AuditMode, FlushMode, RetentionPolicy, RotationPolicy};
use chrono::Utc;

/// The caller's own error type, converted from `AuditError` by `?`.
#[derive(Debug)]
enum VramError {
    Audit(AuditError),
}

impl From<AuditError> for VramError {
    fn from(error: AuditError) -> Self {
        VramError::Audit(error)
    }
}

struct Shard {
    shard_id: String,
}

struct VramManager {
    audit_logger: Arc<AuditLogger>,
}

impl VramManager {
    fn seal_model(&mut self, shard: &Shard) -> Result<(), VramError> {
        self.audit_logger.emit(AuditEvent::VramSealed {
            timestamp: Utc::now(),
            shard_id: shard.shard_id.clone(),
            gpu_device: 0,
            vram_bytes: 8_000_000_000,
            digest: "a".repeat(64),
            worker_id: "worker-gpu-0".to_string(),
        })?;
        Ok(())
    }
}

#[test]
fn seal_model_event_reaches_disk_without_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig {
        mode: AuditMode::Local { base_dir: dir.path().join("audit") },
        service_id: "vram-residency".to_string(),
        rotation_policy: RotationPolicy::default(),
        retention_policy: RetentionPolicy::default(),
        flush_mode: FlushMode::default(),
    };
    let mut manager = VramManager { audit_logger: Arc::new(AuditLogger::new(config).unwrap()) };

    manager.seal_model(&Shard { shard_id: "shard-42".into() }).unwrap();
    manager.audit_logger.flush_blocking().unwrap();

    let records = query(&dir.path().join("audit"), &Query::new().event_type("vram_sealed")).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].audit_id, "audit-vram-residency-0000000000000000");
    assert_eq!(records[0].seq, 0);
    match &records[0].body {
        audit_logging::format::RecordBody::Event(AuditEvent::VramSealed { shard_id, vram_bytes, .. }) => {
            assert_eq!(shard_id, "shard-42");
            assert_eq!(*vram_bytes, 8_000_000_000);
        }
        other => panic!("unexpected record body {other:?}"),
    }
}

#[test]
fn seal_model_error_converts_into_caller_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = AuditConfig {
        mode: AuditMode::Local { base_dir: dir.path().to_path_buf() },
        service_id: "vram-residency".to_string(),
        rotation_policy: RotationPolicy::default(),
        retention_policy: RetentionPolicy::default(),
        flush_mode: FlushMode::default(),
    };
    let mut manager = VramManager { audit_logger: Arc::new(AuditLogger::new(config).unwrap()) };

    let result = manager.seal_model(&Shard { shard_id: "shard\u{1b}[2J".into() });

    match result {
        Err(VramError::Audit(AuditError::InvalidInput(message))) => {
            assert!(message.contains("shard_id"), "{message}");
            assert!(message.contains("U+001B"), "{message}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}
