//! Overflow policies and the room kept for critical events, with the writer held inside an
//! fsync so that the queue fills deterministically.

mod common;

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use audit_logging::faults::{Fault, FaultInjector, IoOperation};
use audit_logging::format::{RecordBody, StoredRecord, SystemEvent};
use audit_logging::query::{query, Query};
use audit_logging::{AuditError, AuditEvent, AuditLogger, FlushMode, LoggerOptions, OverflowPolicy, RotationPolicy};
use chrono::Utc;

/// Holds every fsync after the first `skip` until released; reports when one is held.
#[derive(Debug, Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    syncs: usize,
    holding: bool,
    released: bool,
}

impl Gate {
    fn wait_until_holding(&self) {
        let mut state = self.state.lock().unwrap();
        while !state.holding {
            state = self.changed.wait(state).unwrap();
        }
    }

    fn release(&self) {
        self.state.lock().unwrap().released = true;
        self.changed.notify_all();
    }
}

impl FaultInjector for Gate {
    fn inject(&self, operation: IoOperation, _path: &Path, _len: usize) -> Option<Fault> {
        if operation != IoOperation::Sync {
            return None;
        }
        let mut state = self.state.lock().unwrap();
        state.syncs += 1;
        if state.syncs == 1 || state.released {
            return None;
        }
        state.holding = true;
        self.changed.notify_all();
        while !state.released {
            state = self.changed.wait(state).unwrap();
        }
        None
    }
}

const CAPACITY: usize = 16;

/// Opens a logger whose writer is stuck in its second fsync, with `CAPACITY` queue slots.
fn stalled_logger(dir: &Path, overflow: OverflowPolicy) -> (AuditLogger, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let options = LoggerOptions::default().queue_capacity(CAPACITY).overflow(overflow).faults(gate.clone());
    let logger = common::open_with(dir, FlushMode::Immediate, RotationPolicy::Daily, options);
    logger.emit_durable(common::event(0, 0)).unwrap().wait().unwrap();
    logger.emit(common::event(0, 1)).unwrap();
    gate.wait_until_holding();
    (logger, gate)
}

fn critical(index: usize) -> AuditEvent {
    AuditEvent::AuthFailure {
        timestamp: Utc::now(),
        attempted_user: Some(format!("intruder-{index}")),
        reason: "bad password".into(),
        ip: "192.0.2.1".parse().unwrap(),
        path: "/login".into(),
        service_id: "test-svc".into(),
    }
}

fn losses(records: &[StoredRecord]) -> Vec<(String, u64)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::System(SystemEvent::EventsLost { reason, count, .. }) => Some((reason.clone(), *count)),
            _ => None,
        })
        .collect()
}

/// Emits routine events until the first error, returning how many were accepted and the error.
fn fill(logger: &AuditLogger) -> (usize, AuditError) {
    for index in 0..10 * CAPACITY {
        if let Err(error) = logger.emit(common::event(1, index)) {
            return (index, error);
        }
    }
    panic!("the queue never filled");
}

#[test]
fn reject_policy_keeps_room_for_critical_events() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, gate) = stalled_logger(dir.path(), OverflowPolicy::Reject);

    let (routine, error) = fill(&logger);
    assert!(matches!(error, AuditError::BufferFull), "{error}");
    assert_eq!(routine, CAPACITY - CAPACITY / 8, "routine events stop at 7/8 of the queue");
    for index in 0..CAPACITY / 8 {
        logger.emit(critical(index)).unwrap();
    }
    assert!(matches!(logger.emit(critical(99)), Err(AuditError::BufferFull)));
    gate.release();
    let report = logger.shutdown_blocking().unwrap();

    assert_eq!(report.refused, 2);
    let records = query(dir.path(), &Query::new()).unwrap();
    assert_eq!(losses(&records), [("queue_full".to_string(), 2)]);
    assert_eq!(records.iter().filter(|r| r.body.event_type() == "auth_failure").count(), CAPACITY / 8);
    common::assert_intact(dir.path());
}

#[test]
fn drop_policy_returns_dropped_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, gate) = stalled_logger(dir.path(), OverflowPolicy::DropAndRecord);

    let (_, error) = fill(&logger);
    assert!(matches!(error, AuditError::Dropped), "{error}");
    assert!(matches!(logger.emit(common::event(2, 0)), Err(AuditError::Dropped)));
    gate.release();
    let report = logger.shutdown_blocking().unwrap();

    assert_eq!(report.dropped, 2);
    assert_eq!(losses(&query(dir.path(), &Query::new()).unwrap()), [("dropped".to_string(), 2)]);
}

#[test]
fn block_policy_times_out_then_succeeds_once_room_frees() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, gate) = stalled_logger(dir.path(), OverflowPolicy::Block { timeout: Duration::from_millis(50) });

    let (_, error) = fill(&logger);
    assert!(matches!(error, AuditError::BufferFull), "{error}");

    let logger = Arc::new(logger);
    let blocked = {
        let logger = Arc::clone(&logger);
        std::thread::spawn(move || {
            let mut timeouts = 0;
            loop {
                match logger.emit(common::event(3, 0)) {
                    Ok(()) => return timeouts,
                    Err(AuditError::BufferFull) => timeouts += 1,
                    Err(other) => panic!("unexpected {other}"),
                }
            }
        })
    };
    gate.release();
    blocked.join().unwrap();
    let logger = Arc::try_unwrap(logger).unwrap();
    logger.shutdown_blocking().unwrap();

    let records = query(dir.path(), &Query::new()).unwrap();
    assert!(records.iter().any(|r| matches!(&r.body, RecordBody::Event(AuditEvent::AuthorizationGranted { resource, .. }) if resource.resource_id == "pool-3-0")));
    assert!(losses(&records).iter().all(|(reason, _)| reason == "queue_full"));
    common::assert_intact(dir.path());
}

#[test]
fn invalid_events_are_counted_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open(dir.path());
    let bad = AuditEvent::SealVerified { timestamp: Utc::now(), shard_id: "\u{202e}evil".into(), worker_id: "w".into() };

    assert!(matches!(logger.emit(bad.clone()), Err(AuditError::InvalidInput(_))));
    assert!(matches!(logger.emit(bad), Err(AuditError::InvalidInput(_))));
    logger.emit(common::event(0, 0)).unwrap();
    let report = logger.shutdown_blocking().unwrap();

    assert_eq!(report.invalid, 2);
    assert_eq!(losses(&query(dir.path(), &Query::new()).unwrap()), [("invalid_input".to_string(), 2)]);
}
