//! Write and fsync failures: reported at once, recovered from without losing accepted
//! events, and recorded in the chain.

mod common;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use audit_logging::faults::{Fault, FaultInjector, IoOperation};
use audit_logging::format::{RecordBody, StoredRecord, SystemEvent};
use audit_logging::query::{query, Query};
use audit_logging::{AuditError, FailurePolicy, FlushMode, Health, LoggerOptions, RotationPolicy};

/// Fails operations of one kind from the `skip`-th on, until `healed` is set. Opening a new
/// log creates its first segment (one `Create` and one `Write` of the header).
#[derive(Debug)]
struct FailFrom {
    operation: IoOperation,
    skip: usize,
    seen: AtomicUsize,
    healed: AtomicBool,
    short_write: Option<usize>,
    errno: i32,
}

impl FailFrom {
    fn new(operation: IoOperation, skip: usize, errno: i32) -> Arc<FailFrom> {
        Arc::new(FailFrom { operation, skip, seen: AtomicUsize::new(0), healed: AtomicBool::new(false), short_write: None, errno })
    }

    fn short(skip: usize, written: usize) -> Arc<FailFrom> {
        Arc::new(FailFrom {
            operation: IoOperation::Write,
            skip,
            seen: AtomicUsize::new(0),
            healed: AtomicBool::new(false),
            short_write: Some(written),
            errno: libc_enospc(),
        })
    }

    fn heal(&self) {
        self.healed.store(true, Ordering::SeqCst);
    }
}

fn libc_enospc() -> i32 {
    28
}

const EIO: i32 = 5;

impl FaultInjector for FailFrom {
    fn inject(&self, operation: IoOperation, _path: &Path, len: usize) -> Option<Fault> {
        if operation != self.operation || self.healed.load(Ordering::SeqCst) {
            return None;
        }
        if self.seen.fetch_add(1, Ordering::SeqCst) < self.skip {
            return None;
        }
        let error = io::Error::from_raw_os_error(self.errno);
        Some(match self.short_write {
            Some(written) => Fault::ShortWrite { written: written.min(len), error },
            None => Fault::Fail(error),
        })
    }
}

fn options(injector: Arc<FailFrom>) -> LoggerOptions {
    LoggerOptions::default().faults(injector).retry_interval(Duration::from_millis(10))
}

/// Waits, up to a generous bound, for the logger to report `healthy`.
fn wait_for_health(logger: &audit_logging::AuditLogger, healthy: bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while (logger.health() == Health::Healthy) != healthy {
        assert!(Instant::now() < deadline, "health stayed {:?}", logger.health());
        std::thread::park_timeout(Duration::from_millis(5));
    }
}

fn events_in(records: &[StoredRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Event(audit_logging::AuditEvent::AuthorizationGranted { resource, .. }) => Some(resource.resource_id.clone()),
            _ => None,
        })
        .collect()
}

fn outage_records(records: &[StoredRecord]) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::System(SystemEvent::WriterRecovered { events_refused, .. }) => Some(*events_refused),
            _ => None,
        })
        .collect()
}

#[test]
fn fsync_error_outage_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let injector = FailFrom::new(IoOperation::Sync, 1, EIO);
    let logger = common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::Daily, options(injector.clone()));
    logger.emit_durable(common::event(0, 0)).unwrap().wait().unwrap();

    let receipt = logger.emit_durable(common::event(0, 1)).unwrap();
    match receipt.wait() {
        Err(AuditError::WriterFailed { reason }) => assert!(reason.contains("fsync"), "{reason}"),
        other => panic!("expected WriterFailed, got {other:?}"),
    }
    assert!(matches!(logger.health(), Health::Failed { .. }));
    assert!(matches!(logger.flush_blocking(), Err(AuditError::WriterFailed { .. })));
    let mut refused = 0;
    for index in 2..5 {
        match logger.emit(common::event(0, index)) {
            Err(AuditError::WriterFailed { .. }) => refused += 1,
            other => panic!("fail-closed logger accepted an event: {other:?}"),
        }
    }
    injector.heal();
    wait_for_health(&logger, true);
    logger.emit(common::event(0, 5)).unwrap();
    logger.shutdown_blocking().unwrap();

    common::assert_intact(dir.path());
    let records = query(dir.path(), &Query::new()).unwrap();
    assert_eq!(events_in(&records), ["pool-0-0", "pool-0-1", "pool-0-5"]);
    assert_eq!(outage_records(&records), [refused]);
}

#[test]
fn short_write_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let injector = FailFrom::short(3, 100);
    let logger = common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::Daily, options(injector.clone()));
    for index in 0..2 {
        logger.emit_durable(common::event(0, index)).unwrap().wait().unwrap();
    }
    let receipt = logger.emit_durable(common::event(0, 2)).unwrap();
    assert!(matches!(receipt.wait(), Err(AuditError::WriterFailed { .. })));
    let segment = common::segments(dir.path()).pop().unwrap();
    assert!(!std::fs::read(&segment).unwrap().ends_with(b"\n"), "the short write should leave a partial line");

    injector.heal();
    wait_for_health(&logger, true);
    logger.shutdown_blocking().unwrap();

    common::assert_intact(dir.path());
    let records = query(dir.path(), &Query::new()).unwrap();
    assert_eq!(events_in(&records), ["pool-0-0", "pool-0-1", "pool-0-2"]);
    assert_eq!(outage_records(&records).len(), 1);
}

#[test]
fn keep_accepting_queues_events_during_outage() {
    let dir = tempfile::tempdir().unwrap();
    let injector = FailFrom::new(IoOperation::Write, 1, EIO);
    let logger = common::open_with(
        dir.path(),
        FlushMode::Batched { size: 100, interval_secs: 1 },
        RotationPolicy::Daily,
        options(injector.clone()).on_failure(FailurePolicy::KeepAccepting),
    );
    logger.emit(common::event(0, 0)).unwrap();
    assert!(logger.flush_blocking().is_err());
    for index in 1..20 {
        logger.emit(common::event(0, index)).unwrap();
    }
    injector.heal();
    wait_for_health(&logger, true);
    logger.flush_blocking().unwrap();
    logger.shutdown_blocking().unwrap();

    common::assert_intact(dir.path());
    let records = query(dir.path(), &Query::new()).unwrap();
    let expected: Vec<String> = (0..20).map(|i| format!("pool-0-{i}")).collect();
    assert_eq!(events_in(&records), expected);
    assert_eq!(outage_records(&records), [0]);
}

#[test]
fn failed_segment_creation_during_rotation_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let injector = FailFrom::new(IoOperation::Create, 1, EIO);
    let logger = common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::SizeLimit(1500), options(injector.clone()));
    let mut failures = 0;
    for index in 0..10 {
        match logger.emit_durable(common::event(0, index)).map(|r| r.wait()) {
            Ok(Ok(_)) => {}
            Ok(Err(AuditError::WriterFailed { .. })) => {
                failures += 1;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(failures, 1, "rotation should have failed once");
    injector.heal();
    wait_for_health(&logger, true);
    logger.shutdown_blocking().unwrap();

    assert!(common::segments(dir.path()).len() >= 2);
    common::assert_intact(dir.path());
}

#[test]
fn shutdown_reports_a_writer_that_never_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let injector = FailFrom::new(IoOperation::Sync, 0, EIO);
    let logger = common::open_with(dir.path(), FlushMode::Immediate, RotationPolicy::Daily, options(injector));
    let _ = logger.emit(common::event(0, 0));

    match logger.shutdown_blocking() {
        Err(AuditError::WriterFailed { reason }) => assert!(reason.contains("fsync"), "{reason}"),
        other => panic!("expected WriterFailed, got {other:?}"),
    }
}
