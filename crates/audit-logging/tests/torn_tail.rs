//! A crash in the middle of a write leaves a torn last line; reopening keeps the bytes aside,
//! records the repair in the chain and continues.

mod common;

use std::fs::OpenOptions;
use std::io::Write;

use audit_logging::format::{RecordBody, SystemEvent};
use audit_logging::query::{query, Query};
use audit_logging::verify::{ProblemKind, Verdict};
use audit_logging::AuditError;

fn log_with_records(dir: &std::path::Path, count: usize) {
    let logger = common::open(dir);
    for index in 0..count {
        logger.emit(common::event(0, index)).unwrap();
    }
    logger.shutdown_blocking().unwrap();
}

fn append_bytes(path: &std::path::Path, bytes: &[u8]) {
    OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

#[test]
fn torn_tail_is_saved_recorded_and_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    log_with_records(dir.path(), 5);
    let segment = common::segments(dir.path()).pop().unwrap();
    let good_len = std::fs::metadata(&segment).unwrap().len();
    let torn = br#"{"seq":5,"audit_id":"audit-test-svc-0000000000000005","timest"#;
    append_bytes(&segment, torn);

    match audit_logging::verify(dir.path()).unwrap() {
        Verdict::Damaged { problem, .. } => {
            assert_eq!(problem.kind, ProblemKind::IncompleteLine { length: torn.len() as u64 });
            assert_eq!(problem.offset, good_len);
            assert_eq!(problem.line, 7);
        }
        other => panic!("verify should report the torn line, got {other:?}"),
    }

    let logger = common::open(dir.path());
    logger.emit(common::event(1, 0)).unwrap();
    logger.shutdown_blocking().unwrap();

    assert_eq!(common::assert_intact(dir.path()), 7);
    let records = query(dir.path(), &Query::new()).unwrap();
    match &records[5].body {
        RecordBody::System(SystemEvent::TornTailRecovered { segment: name, offset, length, saved_as, .. }) => {
            assert_eq!(name, &segment.file_name().unwrap().to_string_lossy());
            assert_eq!(*offset, good_len);
            assert_eq!(*length, torn.len() as u64);
            let saved = std::fs::read(dir.path().join(saved_as)).unwrap();
            assert_eq!(saved, torn);
        }
        other => panic!("expected a torn-tail record at seq 5, got {other:?}"),
    }
    assert_eq!(records[6].seq, 6);
}

#[test]
fn nul_filled_tail_counts_as_torn() {
    let dir = tempfile::tempdir().unwrap();
    log_with_records(dir.path(), 3);
    let segment = common::segments(dir.path()).pop().unwrap();
    append_bytes(&segment, &[0u8; 300]);

    let logger = common::open(dir.path());
    logger.shutdown_blocking().unwrap();

    assert_eq!(common::assert_intact(dir.path()), 4);
}

#[test]
fn repeated_crashes_each_keep_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    log_with_records(dir.path(), 2);
    for round in 0..3 {
        let segment = common::segments(dir.path()).pop().unwrap();
        append_bytes(&segment, format!("{{\"seq\":{round}").as_bytes());
        let logger = common::open(dir.path());
        logger.shutdown_blocking().unwrap();
    }

    assert_eq!(common::assert_intact(dir.path()), 5);
    let saved = std::fs::read_dir(dir.path().join("torn")).unwrap().count();
    assert_eq!(saved, 3);
}

#[test]
fn damage_before_the_tail_is_an_error_not_a_repair() {
    let dir = tempfile::tempdir().unwrap();
    log_with_records(dir.path(), 3);
    let segment = common::segments(dir.path()).pop().unwrap();
    let text = std::fs::read_to_string(&segment).unwrap();
    let damaged = text.replacen("\"action\":\"read\"", "\"action\":\"rEad\"", 1);
    std::fs::write(&segment, &damaged).unwrap();

    let result = audit_logging::AuditLogger::new(common::config(
        dir.path(),
        audit_logging::FlushMode::Immediate,
        audit_logging::RotationPolicy::Daily,
    ));

    match result {
        Err(AuditError::Corrupt { path, line, reason, .. }) => {
            assert_eq!(path, segment);
            assert_eq!(line, 2);
            assert!(reason.contains("hash mismatch"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&segment).unwrap(), damaged, "opening must not modify a damaged log");
}
