//! Criterion benchmark of the caller's cost of one call, from one producer thread: the audit
//! logger's `emit` (Batched, into a temporary directory) next to `tracing-appender`'s
//! non-blocking writer fed the same event as a JSON line, and a bare crossbeam `try_send`.
//!
//! Criterion reports the mean and median time per call; the harness binary
//! (`cargo run --release -p audit-bench`) reports p50 and p99 of single calls.

use std::cell::Cell;
use std::time::Duration;

use audit_bench::targets::{timed_bursts, AuditTarget, ChannelFloor, EmitTarget, TracingTarget};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Times `iters` calls in bursts that never fill the queue, and panics if any call failed,
/// because a failed call is cheaper than a real one and would flatter the result.
fn bench_target<T: EmitTarget>(criterion: &mut Criterion, id: &str, target: &T) {
    let submitted = Cell::new(0);
    let mut group = criterion.benchmark_group("emit");
    group.throughput(Throughput::Elements(1));
    group.bench_function(id, |bencher| {
        bencher.iter_custom(|iters| {
            let (elapsed, total) = timed_bursts(target, iters, submitted.get());
            submitted.set(total);
            elapsed
        })
    });
    group.finish();
    assert_eq!(target.failures(), 0, "{id}: calls failed during the benchmark");
}

fn emit(criterion: &mut Criterion) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let audit = AuditTarget::open(dir.path()).expect("open the audit logger");
    bench_target(criterion, "audit_logging_batched", &audit);
    audit.shutdown().expect("shut the audit logger down");

    let tracing = TracingTarget::open(&dir.path().join("tracing.jsonl")).expect("start tracing-appender");
    bench_target(criterion, "tracing_appender_json", &tracing);
    drop(tracing);

    let floor = ChannelFloor::start().expect("start the channel consumer");
    bench_target(criterion, "crossbeam_try_send", &floor);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5));
    targets = emit
}
criterion_main!(benches);
