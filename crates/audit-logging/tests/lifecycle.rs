//! Construction, flush and shutdown with and without an async runtime; disabled mode; limits.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use audit_logging::{AuditConfig, AuditError, AuditLogger, AuditMode, FlushMode, Health, LoggerOptions, RotationPolicy};

/// Runs a future to completion on this thread, parking until the writer wakes it. This is the
/// whole "runtime": it shows `flush().await` needs none.
fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn async_flush_and_shutdown_work_without_a_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open_with(
        dir.path(),
        FlushMode::Batched { size: 10_000, interval_secs: 3600 },
        RotationPolicy::Daily,
        LoggerOptions::default(),
    );
    for index in 0..5 {
        logger.emit(common::event(0, index)).unwrap();
    }

    assert_eq!(block_on(logger.flush()).unwrap(), Some(4));
    let report = block_on(logger.shutdown()).unwrap();
    assert_eq!(report.written, 5);
    assert_eq!(common::assert_intact(dir.path()), 5);
}

#[test]
fn flush_and_shutdown_work_inside_tokio() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let report = runtime.block_on(async {
        let logger = common::open(dir.path());
        logger.emit(common::event(0, 0)).unwrap();
        assert_eq!(logger.flush().await.unwrap(), Some(0));
        logger.shutdown().await.unwrap()
    });
    assert_eq!(report.last_seq, Some(0));
}

#[test]
fn batched_mode_syncs_on_its_timer_without_further_events() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open_with(
        dir.path(),
        FlushMode::Batched { size: 10_000, interval_secs: 1 },
        RotationPolicy::Daily,
        LoggerOptions::default(),
    );
    let receipt = logger.emit_durable(common::event(0, 0)).unwrap();

    // No flush is requested: only the writer's own timer can make the event durable.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !receipt.is_durable() && Instant::now() < deadline {
        std::thread::park_timeout(Duration::from_millis(20));
    }
    assert!(receipt.is_durable(), "the 1-second batch timer never fired");
}

#[test]
fn disabled_mode_is_a_no_op() {
    let logger = AuditLogger::new(AuditConfig {
        mode: AuditMode::Disabled,
        service_id: "any".into(),
        rotation_policy: RotationPolicy::Daily,
        retention_policy: Default::default(),
        flush_mode: FlushMode::Immediate,
    })
    .unwrap();

    logger.emit(common::event(0, 0)).unwrap();
    assert_eq!(logger.emit_durable(common::event(0, 1)).unwrap().wait().unwrap(), None);
    assert_eq!(logger.flush_blocking().unwrap(), None);
    assert_eq!(logger.health(), Health::Disabled);
    assert_eq!(logger.shutdown_blocking().unwrap().written, 0);
}

#[test]
fn drop_without_shutdown_drains_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    {
        let logger = common::open_with(
            dir.path(),
            FlushMode::Batched { size: 10_000, interval_secs: 3600 },
            RotationPolicy::Daily,
            LoggerOptions::default(),
        );
        for index in 0..100 {
            logger.emit(common::event(0, index)).unwrap();
        }
    }
    assert_eq!(common::assert_intact(dir.path()), 100);
}

#[test]
fn invalid_service_id_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path(), FlushMode::Immediate, RotationPolicy::Daily);
    config.service_id = "bad/name".into();

    match AuditLogger::new(config) {
        Err(AuditError::InvalidConfig { field, reason }) => {
            assert_eq!(field, "service_id");
            assert!(reason.contains("U+002F"), "{reason}");
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn zero_batch_size_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path(), FlushMode::Batched { size: 0, interval_secs: 1 }, RotationPolicy::Daily);
    assert!(matches!(AuditLogger::new(config), Err(AuditError::InvalidConfig { field: "flush_mode", .. })));
}

#[test]
fn sequence_space_end_refuses_every_time() {
    let dir = tempfile::tempdir().unwrap();
    // A log whose next sequence number is the last one the writer assigns.
    let last = u64::MAX - 1;
    let header = audit_logging::format::SegmentHeader::new("test-svc", last, audit_logging::format::Hash::GENESIS, chrono::Utc::now());
    std::fs::write(dir.path().join(audit_logging::format::segment_file_name(last)), header.encode()).unwrap();
    let logger = common::open(dir.path());

    logger.emit(common::event(0, 0)).unwrap();
    for index in 1..4 {
        assert!(matches!(logger.emit(common::event(0, index)), Err(AuditError::CounterOverflow)));
    }
    let report = logger.shutdown_blocking().unwrap();
    assert_eq!(report.last_seq, Some(last));
}

#[test]
fn health_reports_healthy_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let logger = common::open(dir.path());
    assert_eq!(logger.health(), Health::Healthy);
}
