//! The chain and the sequence continue across restarts and rotation.

mod common;

use audit_logging::query::{query, Query};
use audit_logging::{AuditError, FlushMode, LoggerOptions, RotationPolicy};

#[test]
fn reopen_continues_sequence_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    for run in 0..3 {
        let logger = common::open(dir.path());
        for index in 0..10 {
            logger.emit(common::event(run, index)).unwrap();
        }
        let report = logger.shutdown_blocking().unwrap();
        assert_eq!(report.last_seq, Some(run as u64 * 10 + 9));
    }

    assert_eq!(common::assert_intact(dir.path()), 30);
    let records = query(dir.path(), &Query::new()).unwrap();
    let ids: Vec<String> = records.iter().map(|r| r.audit_id.clone()).collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 30, "audit ids must never repeat across restarts");
    assert_eq!(records[10].prev_hash, records[9].hash, "restart must not restart the chain");
}

#[test]
fn rotation_by_size_continues_chain_across_segments_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    for run in 0..2 {
        let logger =
            common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::SizeLimit(4096), LoggerOptions::default());
        for index in 0..100 {
            logger.emit(common::event(run, index)).unwrap();
        }
        logger.shutdown_blocking().unwrap();
    }

    let segments = common::segments(dir.path());
    assert!(segments.len() > 5, "expected many 4 KiB segments, got {}", segments.len());
    for segment in &segments[..segments.len() - 1] {
        let len = std::fs::metadata(segment).unwrap().len();
        assert!(len <= 4096, "{} is {len} bytes", segment.display());
    }
    assert_eq!(common::assert_intact(dir.path()), 200);
}

#[test]
fn record_larger_than_size_limit_gets_its_own_segment() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::SizeLimit(64), LoggerOptions::default());
    for index in 0..3 {
        logger.emit(common::event(0, index)).unwrap();
    }
    logger.shutdown_blocking().unwrap();

    assert_eq!(common::segments(dir.path()).len(), 3);
    assert_eq!(common::assert_intact(dir.path()), 3);
}

#[test]
fn second_writer_on_same_directory_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let _first = common::open(dir.path());

    let second = audit_logging::AuditLogger::new(common::config(dir.path(), FlushMode::Immediate, RotationPolicy::Daily));

    match second {
        Err(AuditError::Locked { dir: locked, holder }) => {
            assert_eq!(locked, dir.path());
            assert_eq!(holder, Some(format!("pid {}", std::process::id())));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn directory_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let logger = common::open(&log);
    logger.emit(common::event(0, 0)).unwrap();
    logger.shutdown_blocking().unwrap();

    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o700);
    for entry in std::fs::read_dir(&log).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{}", path.display());
    }
}

#[test]
fn another_service_id_starts_a_new_segment() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open(dir.path());
    logger.emit(common::event(0, 0)).unwrap();
    logger.shutdown_blocking().unwrap();

    let mut config = common::config(dir.path(), FlushMode::Immediate, RotationPolicy::Daily);
    config.service_id = "other-svc".into();
    let logger = audit_logging::AuditLogger::new(config).unwrap();
    logger.emit(common::event(0, 1)).unwrap();
    logger.shutdown_blocking().unwrap();

    assert_eq!(common::segments(dir.path()).len(), 2);
    assert_eq!(common::assert_intact(dir.path()), 2);
    let records = query(dir.path(), &Query::new()).unwrap();
    assert_eq!(records[1].audit_id, "audit-other-svc-0000000000000001");
}
