//! Many threads emitting at once produce one contiguous, verifiable chain.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use audit_logging::format::{RecordBody, SystemEvent};
use audit_logging::query::{query, Query};
use audit_logging::{AuditEvent, FlushMode, LoggerOptions, RotationPolicy};

const THREADS: usize = 8;
const PER_THREAD: usize = 2_000;

#[test]
fn concurrent_emitters_produce_contiguous_chain() {
    let dir = tempfile::tempdir().unwrap();
    let logger = Arc::new(common::open_with(
        dir.path(),
        FlushMode::Batched { size: 512, interval_secs: 1 },
        RotationPolicy::SizeLimit(256 * 1024),
        LoggerOptions::default().queue_capacity(2 * THREADS * PER_THREAD).queue_bytes(64 << 20),
    ));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let logger = Arc::clone(&logger);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for index in 0..PER_THREAD {
                    logger.emit(common::event(thread, index)).unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let last = logger.flush_blocking().unwrap();

    assert_eq!(last, Some((THREADS * PER_THREAD - 1) as u64));
    assert_eq!(common::assert_intact(dir.path()), (THREADS * PER_THREAD) as u64);
    assert!(common::segments(dir.path()).len() > 1, "expected rotation by size");
    let records = query(dir.path(), &Query::new()).unwrap();
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..(THREADS * PER_THREAD) as u64).collect::<Vec<_>>());
    // Each thread's events appear in the order that thread emitted them, and none is missing.
    let mut next_index = [0usize; THREADS];
    let mut seen = HashSet::new();
    for record in &records {
        let RecordBody::Event(AuditEvent::AuthorizationGranted { resource, .. }) = &record.body else {
            panic!("unexpected record {record:?}");
        };
        let mut parts = resource.resource_id.split('-').skip(1);
        let thread: usize = parts.next().unwrap().parse().unwrap();
        let index: usize = parts.next().unwrap().parse().unwrap();
        assert_eq!(index, next_index[thread], "thread {thread} out of order at seq {}", record.seq);
        next_index[thread] += 1;
        assert!(seen.insert(resource.resource_id.clone()));
    }
    assert!(next_index.iter().all(|&n| n == PER_THREAD));
}

#[test]
fn durable_receipts_return_each_callers_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let logger = Arc::new(common::open(dir.path()));
    let start = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|thread| {
            let logger = Arc::clone(&logger);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                (0..200)
                    .map(|index| {
                        let receipt = logger.emit_durable(common::event(thread, index)).unwrap();
                        (format!("pool-{thread}-{index}"), receipt.wait().unwrap().unwrap())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let acknowledged: Vec<(String, u64)> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();

    let records = query(dir.path(), &Query::new()).unwrap();
    for (resource_id, seq) in acknowledged {
        let record = &records[seq as usize];
        assert_eq!(record.seq, seq);
        let RecordBody::Event(AuditEvent::AuthorizationGranted { resource, .. }) = &record.body else {
            panic!("unexpected record {record:?}");
        };
        assert_eq!(resource.resource_id, resource_id);
    }
}

#[test]
fn full_queue_refuses_without_leaving_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open_with(
        dir.path(),
        FlushMode::Batched { size: 1_000_000, interval_secs: 3600 },
        RotationPolicy::Daily,
        LoggerOptions::default().queue_capacity(4),
    );
    let mut accepted = 0u64;
    let mut refused = 0u64;
    for index in 0..10_000 {
        match logger.emit(common::event(0, index)) {
            Ok(()) => accepted += 1,
            Err(audit_logging::AuditError::BufferFull) => refused += 1,
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    let report = logger.shutdown_blocking().unwrap();

    assert!(refused > 0, "a 4-slot queue should fill during a burst of 10000");
    assert_eq!(report.refused, refused);
    let records = query(dir.path(), &Query::new()).unwrap();
    let mut events = 0;
    let mut recorded_losses = 0;
    for record in &records {
        match &record.body {
            RecordBody::Event(_) => events += 1,
            RecordBody::System(SystemEvent::EventsLost { count, reason, .. }) => {
                assert_eq!(reason, "queue_full");
                recorded_losses += count;
            }
            other => panic!("unexpected record {other:?}"),
        }
    }
    assert_eq!(events, accepted);
    assert_eq!(recorded_losses, refused, "every refusal must be counted in the log");
    assert_eq!(report.written, records.len() as u64);
    assert_eq!(report.last_seq, Some(records.len() as u64 - 1));
    assert_eq!(common::assert_intact(dir.path()), records.len() as u64);
}

#[test]
fn many_waiting_receipts_all_wake() {
    const WAITERS: usize = 32;
    const EACH: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let logger = Arc::new(common::open(dir.path()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let start = Arc::new(Barrier::new(WAITERS));
    for thread in 0..WAITERS {
        let logger = Arc::clone(&logger);
        let start = Arc::clone(&start);
        let done = done_tx.clone();
        std::thread::spawn(move || {
            start.wait();
            for index in 0..EACH {
                logger.emit_durable(common::event(thread, index)).unwrap().wait().unwrap();
            }
            done.send(()).unwrap();
        });
    }
    // A lost wake-up would leave a waiter parked for ever; fail instead of hanging the suite.
    for finished in 0..WAITERS {
        if done_rx.recv_timeout(std::time::Duration::from_secs(120)).is_err() {
            panic!("only {finished} of {WAITERS} waiters finished: a wake-up was lost");
        }
    }
    assert_eq!(logger.flush_blocking().unwrap(), Some((WAITERS * EACH - 1) as u64));
}
