//! The callers whose cost is compared, and the burst runner that times them.
//!
//! Each target is handed events built beforehand, so only the call itself is timed. Calls come
//! in bursts that fit in the target's queue. Between bursts, untimed, the runner waits until the
//! consumer has drained everything, so no timed call meets a full queue.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use audit_logging::faults::IoOperation;
use audit_logging::{AuditError, AuditEvent, AuditLogger, FlushMode, LoggerOptions};
use crossbeam_channel::Sender;
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

use crate::gate::IoGate;
use crate::workload::{local_config, sample_event, TracingLine};

/// Events a producer submits in one burst.
pub const BURST: usize = 8192;

/// Queue capacity given to every target, in events: large enough for a burst from each of
/// [`MAX_PRODUCERS`] producers within the logger's routine share (7/8 of the queue).
pub const QUEUE_CAPACITY: usize = 64 * 1024;

/// Maximum number of producer threads the runner supports with [`QUEUE_CAPACITY`].
pub const MAX_PRODUCERS: usize = 4;

/// Queue limit in bytes for the audit logger: far above what bursts of [`BURST`] events need.
pub const QUEUE_BYTES: usize = 256 * 1024 * 1024;

/// Wait between polls of a consumer that is draining.
const DRAIN_POLL: Duration = Duration::from_micros(200);

/// Something that accepts events from producer threads and drains them on another thread.
pub trait EmitTarget: Sync {
    /// Argument of one call, built before the timed section.
    type Input: Send;
    /// Per-producer state, made on the producer's thread.
    type Local;

    /// Short name, used in thread names and in the report.
    fn name(&self) -> &'static str;
    /// Makes one producer's state.
    fn local(&self) -> Self::Local;
    /// Builds the input for call number `index` (untimed).
    fn input(&self, index: u64) -> Self::Input;
    /// Makes the timed call.
    fn submit(&self, local: &mut Self::Local, input: Self::Input);
    /// Blocks until the consumer has taken all `submitted` inputs so far (untimed).
    fn wait_drained(&self, submitted: u64);
    /// Returns the number of calls that failed (a full queue or a closed consumer). Any failure
    /// makes the timings suspect, because a failed call is cheaper than a successful one.
    fn failures(&self) -> u64;
}

/// The audit logger with `FlushMode::Batched`, writing into a directory of its own.
#[derive(Debug)]
pub struct AuditTarget {
    logger: AuditLogger,
    /// When set, the writer is held at its first write of each burst, so that callers are
    /// timed without a writer running beside them.
    hold: Option<Arc<IoGate>>,
    failures: AtomicU64,
}

impl AuditTarget {
    /// Opens a logger in `dir` (which must be empty or hold a log of [`crate::workload::SERVICE_ID`])
    /// that fsyncs every 4096 events or every second, with a queue of [`QUEUE_CAPACITY`] events
    /// and [`QUEUE_BYTES`] bytes.
    pub fn open(dir: &Path) -> Result<AuditTarget, AuditError> {
        AuditTarget::with_gate(dir, None)
    }

    /// Like [`open`](Self::open), but the writer is held at its first write during each
    /// burst and released between bursts.
    pub fn open_held(dir: &Path) -> Result<AuditTarget, AuditError> {
        AuditTarget::with_gate(dir, Some(IoGate::new()))
    }

    fn with_gate(dir: &Path, hold: Option<Arc<IoGate>>) -> Result<AuditTarget, AuditError> {
        let mut options = LoggerOptions::default().queue_capacity(QUEUE_CAPACITY).queue_bytes(QUEUE_BYTES);
        if let Some(gate) = &hold {
            options = options.faults(gate.clone());
        }
        let config = local_config(dir, FlushMode::Batched { size: 4096, interval_secs: 1 });
        let logger = AuditLogger::with_options(config, options)?;
        if let Some(gate) = &hold {
            gate.close(IoOperation::Write);
        }
        Ok(AuditTarget { logger, hold, failures: AtomicU64::new(0) })
    }

    /// Drains the queue, fsyncs and stops the writer.
    pub fn shutdown(self) -> Result<(), AuditError> {
        if let Some(gate) = &self.hold {
            gate.open();
        }
        self.logger.shutdown_blocking().map(|_| ())
    }
}

impl EmitTarget for AuditTarget {
    type Input = AuditEvent;
    type Local = ();

    fn name(&self) -> &'static str {
        "audit"
    }

    fn local(&self) {}

    fn input(&self, index: u64) -> AuditEvent {
        sample_event(index)
    }

    fn submit(&self, _local: &mut (), input: AuditEvent) {
        if self.logger.emit(input).is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn wait_drained(&self, _submitted: u64) {
        if let Some(gate) = &self.hold {
            gate.open();
        }
        if self.logger.flush_blocking().is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(gate) = &self.hold {
            gate.close(IoOperation::Write);
        }
    }

    fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// `tracing-appender`'s non-blocking writer in front of a buffered file. The caller formats
/// the event as a JSON line, as a `tracing` JSON formatter would, and writes it.
#[derive(Debug)]
pub struct TracingTarget {
    writer: NonBlocking,
    lines_written: Arc<AtomicU64>,
    // Dropping the guard flushes the worker and stops it.
    _guard: WorkerGuard,
}

/// A file writer that counts the lines passing through it.
struct CountingWriter {
    file: BufWriter<File>,
    lines: Arc<AtomicU64>,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_all(buf)?;
        let lines = buf.iter().filter(|&&byte| byte == b'\n').count() as u64;
        self.lines.fetch_add(lines, Ordering::Release);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl TracingTarget {
    /// Starts a non-blocking writer, lossy as by default (a full queue drops the line), with a
    /// queue of [`QUEUE_CAPACITY`] lines, writing to `path`.
    pub fn open(path: &Path) -> io::Result<TracingTarget> {
        let lines_written = Arc::new(AtomicU64::new(0));
        let file = CountingWriter { file: BufWriter::new(File::create(path)?), lines: Arc::clone(&lines_written) };
        let (writer, guard) = NonBlockingBuilder::default().buffered_lines_limit(QUEUE_CAPACITY).finish(file);
        Ok(TracingTarget { writer, lines_written, _guard: guard })
    }
}

impl EmitTarget for TracingTarget {
    type Input = AuditEvent;
    /// The producer's writer handle and its reused format buffer.
    type Local = (NonBlocking, Vec<u8>);

    fn name(&self) -> &'static str {
        "tracing"
    }

    fn local(&self) -> (NonBlocking, Vec<u8>) {
        (self.writer.clone(), Vec::with_capacity(1024))
    }

    fn input(&self, index: u64) -> AuditEvent {
        sample_event(index)
    }

    fn submit(&self, (writer, buffer): &mut (NonBlocking, Vec<u8>), input: AuditEvent) {
        buffer.clear();
        TracingLine::format_into(&input, buffer);
        // Lossy mode never returns an error; it counts dropped lines instead (see `failures`).
        let _ = writer.write_all(buffer);
    }

    fn wait_drained(&self, submitted: u64) {
        let expected = submitted.saturating_sub(self.failures());
        while self.lines_written.load(Ordering::Acquire) < expected {
            std::thread::sleep(DRAIN_POLL);
        }
    }

    fn failures(&self) -> u64 {
        self.writer.error_counter().dropped_lines() as u64
    }
}

/// A bare bounded crossbeam channel carrying the event to a thread that drops it: the least
/// a queue hand-off can cost.
#[derive(Debug)]
pub struct ChannelFloor {
    sender: Option<Sender<AuditEvent>>,
    consumer: Option<JoinHandle<()>>,
    failures: AtomicU64,
}

impl ChannelFloor {
    /// Starts the consumer thread on a channel of [`QUEUE_CAPACITY`] events.
    pub fn start() -> io::Result<ChannelFloor> {
        let (sender, receiver) = crossbeam_channel::bounded::<AuditEvent>(QUEUE_CAPACITY);
        let consumer = std::thread::Builder::new().name("floor-consumer".into()).spawn(move || {
            for event in receiver {
                drop(event);
            }
        })?;
        Ok(ChannelFloor { sender: Some(sender), consumer: Some(consumer), failures: AtomicU64::new(0) })
    }
}

impl Drop for ChannelFloor {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(consumer) = self.consumer.take() {
            let _ = consumer.join();
        }
    }
}

impl EmitTarget for ChannelFloor {
    type Input = AuditEvent;
    type Local = ();

    fn name(&self) -> &'static str {
        "floor"
    }

    fn local(&self) {}

    fn input(&self, index: u64) -> AuditEvent {
        sample_event(index)
    }

    fn submit(&self, _local: &mut (), input: AuditEvent) {
        let sent = self.sender.as_ref().map(|sender| sender.try_send(input).is_ok());
        if sent != Some(true) {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn wait_drained(&self, _submitted: u64) {
        while self.sender.as_ref().is_some_and(|sender| !sender.is_empty()) {
            std::thread::sleep(DRAIN_POLL);
        }
    }

    fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// Runs `calls_per_producer` timed calls on each of `producers` threads, in bursts of
/// [`BURST`] that start together, and returns every call's latency in nanoseconds.
///
/// # Panics
/// If `producers` is 0 or above [`MAX_PRODUCERS`], or a producer thread cannot be started.
pub fn call_latencies<T: EmitTarget>(target: &T, producers: usize, calls_per_producer: usize) -> Vec<u64> {
    assert!((1..=MAX_PRODUCERS).contains(&producers), "producers must be 1 to {MAX_PRODUCERS}");
    let barrier = Barrier::new(producers);
    let bursts = calls_per_producer.div_ceil(BURST);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..producers)
            .map(|producer| {
                let barrier = &barrier;
                std::thread::Builder::new()
                    .name(format!("emit-{}-{producer}", target.name()))
                    .spawn_scoped(scope, move || produce(target, barrier, producer, producers, bursts, calls_per_producer))
                    .expect("start a producer thread")
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("producer thread panicked")).collect()
    })
}

/// Runs one producer's share of [`call_latencies`] and returns its latencies.
fn produce<T: EmitTarget>(
    target: &T,
    barrier: &Barrier,
    producer: usize,
    producers: usize,
    bursts: usize,
    calls: usize,
) -> Vec<u64> {
    let mut local = target.local();
    let mut latencies = Vec::with_capacity(calls);
    let mut submitted = 0u64;
    for burst in 0..bursts {
        let size = BURST.min(calls - burst * BURST);
        let first = (producer * calls + burst * BURST) as u64;
        let mut inputs: Vec<T::Input> = (0..size as u64).map(|i| target.input(first + i)).collect();
        barrier.wait();
        for input in inputs.drain(..) {
            let start = Instant::now();
            target.submit(&mut local, input);
            latencies.push(start.elapsed().as_nanos() as u64);
        }
        submitted += (size * producers) as u64;
        barrier.wait();
        if producer == 0 {
            target.wait_drained(submitted);
        }
    }
    latencies
}

/// Runs `calls` timed calls on the current thread in bursts of [`BURST`] and returns the total
/// time spent inside the calls (the shape criterion's `iter_custom` expects).
///
/// `already_submitted` is how many calls the target has taken before; the return value's
/// second element is the new total.
pub fn timed_bursts<T: EmitTarget>(target: &T, calls: u64, already_submitted: u64) -> (Duration, u64) {
    let mut local = target.local();
    let mut total = Duration::ZERO;
    let mut submitted = already_submitted;
    let mut left = calls;
    while left > 0 {
        let size = left.min(BURST as u64);
        let inputs: Vec<T::Input> = (0..size).map(|i| target.input(submitted + i)).collect();
        let start = Instant::now();
        for input in inputs {
            target.submit(&mut local, input);
        }
        total += start.elapsed();
        submitted += size;
        left -= size;
        target.wait_drained(submitted);
    }
    (total, submitted)
}

/// Returns the latencies of `calls` empty timed sections: the cost of reading the clock twice,
/// which every latency from [`call_latencies`] includes.
pub fn timer_overhead(calls: usize) -> Vec<u64> {
    (0..calls)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(());
            start.elapsed().as_nanos() as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_latencies_cover_every_call() {
        let floor = ChannelFloor::start().unwrap();
        let latencies = call_latencies(&floor, 2, BURST + 10);
        assert_eq!(latencies.len(), 2 * (BURST + 10));
        assert_eq!(floor.failures(), 0);
    }

    #[test]
    fn audit_bursts_write_every_event() {
        let dir = tempfile::tempdir().unwrap();
        let target = AuditTarget::open(dir.path()).unwrap();
        let (_, submitted) = timed_bursts(&target, 100, 0);
        assert_eq!(submitted, 100);
        assert_eq!(target.failures(), 0);
        target.shutdown().unwrap();
        let verdict = audit_logging::verify(dir.path()).unwrap();
        let audit_logging::Verdict::Intact(summary) = verdict else { panic!("log damaged: {verdict:?}") };
        assert_eq!(summary.records, 100);
    }

    #[test]
    fn held_audit_bursts_write_every_event() {
        let dir = tempfile::tempdir().unwrap();
        let target = AuditTarget::open_held(dir.path()).unwrap();
        let (_, submitted) = timed_bursts(&target, 2 * BURST as u64 + 1, 0);
        assert_eq!(target.failures(), 0);
        target.shutdown().unwrap();
        let verdict = audit_logging::verify(dir.path()).unwrap();
        let audit_logging::Verdict::Intact(summary) = verdict else { panic!("log damaged: {verdict:?}") };
        assert_eq!(summary.records, submitted);
    }

    #[test]
    fn tracing_bursts_write_every_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tracing.jsonl");
        let target = TracingTarget::open(&path).unwrap();
        let (_, submitted) = timed_bursts(&target, 50, 0);
        assert_eq!(submitted, 50);
        drop(target);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 50);
        assert!(text.lines().all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()));
    }
}
