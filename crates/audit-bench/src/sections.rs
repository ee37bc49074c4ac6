//! The harness's measurements, one function each. Every run is bounded by an event count or a
//! duration set in [`Settings`], and every log goes into a fresh directory under
//! [`Settings::dir`] that is removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use audit_logging::config::{DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_CAPACITY};
use audit_logging::faults::IoOperation;
use audit_logging::{AuditLogger, FlushMode, LoggerOptions, OverflowPolicy, Verdict};
use tempfile::TempDir;

use crate::gate::IoGate;
use crate::stats::Percentiles;
use crate::system::{
    new_writer_thread, own_context_switches, process_times, status_kib, thread_context_switches, thread_cpu_ns,
    thread_schedstat, thread_times, threads_named, CpuTimes, WRITER_THREAD_NAME,
};
use crate::targets::{call_latencies, timer_overhead, AuditTarget, ChannelFloor, EmitTarget, TracingTarget};
use crate::workload::{local_config, sample_event};

/// Error type of the harness: any failure ends the section with a message.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Sizes and durations of one harness run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Smoke run: small counts and short durations, under a minute in all.
    pub quick: bool,
    /// Directory under which logs and the `dd` file are created.
    pub dir: PathBuf,
    /// Timed calls per producer for each emit latency row, replacing the default.
    pub emit_calls: Option<usize>,
    /// Producer counts of the durable-commit runs.
    pub durable_producers: Vec<usize>,
}

impl Settings {
    /// Returns the default settings of a full or a quick run, with logs under `dir`.
    pub fn new(quick: bool, dir: PathBuf) -> Settings {
        Settings { quick, dir, emit_calls: None, durable_producers: DURABLE_PRODUCERS.to_vec() }
    }

    /// Returns the timed calls per producer for each emit latency row.
    pub fn emit_calls(&self) -> usize {
        self.emit_calls.unwrap_or(if self.quick { 100_000 } else { 1_000_000 })
    }

    /// Returns the number of events queued behind a held writer and then drained.
    pub fn drain_events(&self) -> usize {
        if self.quick { 50_000 } else { 300_000 }
    }

    /// Returns the length of the long run.
    pub fn long_run(&self) -> Duration {
        Duration::from_secs(if self.quick { 3 } else { 20 })
    }

    /// Returns the length of each durable-commit run.
    pub fn durable_run(&self) -> Duration {
        Duration::from_secs(if self.quick { 1 } else { 5 })
    }

    /// Returns how long producers emit while fsync is held.
    pub fn stall_run(&self) -> Duration {
        Duration::from_secs(if self.quick { 1 } else { 3 })
    }

    /// Returns the number of timed runs of verify and of `openssl dgst`. The fastest of each is reported.
    pub fn verify_repeats(&self) -> usize {
        if self.quick { 1 } else { 3 }
    }

    fn temp_dir(&self, prefix: &str) -> Result<TempDir, BenchError> {
        Ok(tempfile::Builder::new().prefix(prefix).tempdir_in(&self.dir)?)
    }
}

/// Per-call latency of one caller.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    /// Description of the caller.
    pub caller: &'static str,
    /// Producer threads calling at once.
    pub producers: usize,
    /// Latencies in nanoseconds, the clock reads included.
    pub latency: Percentiles,
    /// Calls that failed (must be 0 for the row to count).
    pub failures: u64,
}

/// Caller description of the audit logger's `emit` rows.
pub const CALLER_AUDIT: &str = "audit-logging `emit` (Batched)";
/// Caller description of the audit logger rows with the writer held during bursts.
pub const CALLER_AUDIT_HELD: &str = "audit-logging `emit`, writer held during the burst";
/// Caller description of the `tracing-appender` rows.
pub const CALLER_TRACING: &str = "tracing-appender: JSON line + `non_blocking` write";
/// Caller description of the channel floor rows.
pub const CALLER_FLOOR: &str = "crossbeam `bounded` `try_send` (floor)";
/// Caller description of the timer row.
pub const CALLER_TIMER: &str = "two `Instant::now()` reads (timer cost, included above)";

/// Measures the caller's cost of the audit logger's `emit`, of `tracing-appender` and of a bare
/// channel, with 1 and 2 producer threads, and the timer's own cost.
pub fn emit_latencies(settings: &Settings) -> Result<Vec<LatencyRow>, BenchError> {
    let calls = settings.emit_calls();
    let mut rows = Vec::new();
    for producers in [1, 2] {
        let dir = settings.temp_dir("emit-audit-")?;
        let audit = AuditTarget::open(dir.path())?;
        rows.push(latency_row(CALLER_AUDIT, &audit, producers, calls));
        audit.shutdown()?;

        let dir = settings.temp_dir("emit-held-")?;
        let paused_writer = AuditTarget::open_held(dir.path())?;
        rows.push(latency_row(CALLER_AUDIT_HELD, &paused_writer, producers, calls));
        paused_writer.shutdown()?;

        let dir = settings.temp_dir("emit-tracing-")?;
        let tracing = TracingTarget::open(&dir.path().join("tracing.jsonl"))?;
        rows.push(latency_row(CALLER_TRACING, &tracing, producers, calls));
        drop(tracing);

        let floor = ChannelFloor::start()?;
        rows.push(latency_row(CALLER_FLOOR, &floor, producers, calls));
    }
    let timer = Percentiles::from_samples(timer_overhead(calls)).ok_or("no timer samples")?;
    rows.push(LatencyRow { caller: CALLER_TIMER, producers: 1, latency: timer, failures: 0 });
    Ok(rows)
}

fn latency_row<T: EmitTarget>(caller: &'static str, target: &T, producers: usize, calls: usize) -> LatencyRow {
    let samples = call_latencies(target, producers, calls);
    let latency = Percentiles::from_samples(samples).expect("at least one call was timed");
    LatencyRow { caller, producers, latency, failures: target.failures() }
}

/// The writer draining a queue that was filled while it was held: its cost per event while
/// the page cache absorbs the writes.
#[derive(Debug)]
pub struct DrainResult {
    /// The `FlushMode::Batched` size, or `None` when no fsync happens until the final flush.
    pub fsync_every: Option<usize>,
    /// Fsyncs during the drain and the final flush.
    pub fsyncs: u64,
    /// Events drained.
    pub events: u64,
    /// Bytes of log per event, segment header included.
    pub bytes_per_event: f64,
    /// CPU time of the writer thread per event, from release until the queue was empty.
    pub writer_cpu_ns: f64,
    /// The part of `writer_cpu_ns` spent in user space (10 ms resolution).
    pub writer_user_ns: f64,
    /// The part of `writer_cpu_ns` spent in the kernel: the `write` calls' copy into the page
    /// cache and page faults (10 ms resolution).
    pub writer_kernel_ns: f64,
    /// Events written per second of wall time, from release to the start of the last write.
    pub drain_events_per_sec: f64,
    /// Events per second from release until `flush_blocking` returned (one final fsync).
    pub durable_events_per_sec: f64,
    /// Whether the writer was seen idle before the flush; if not, `writer_cpu_ns` includes
    /// the final fsync.
    pub idle_seen: bool,
    /// Calls that failed.
    pub failures: u64,
    /// The log, kept for [`verify_speed`].
    pub log: TempDir,
}

/// Runs [`writer_drain`] with an fsync every [`LONG_RUN_BATCH`] events, then with no fsync
/// until the final flush.
pub fn writer_drains(settings: &Settings) -> Result<Vec<DrainResult>, BenchError> {
    Ok(vec![writer_drain(settings, Some(LONG_RUN_BATCH))?, writer_drain(settings, None)?])
}

/// Fills the queue with [`Settings::drain_events`] events while the writer is held at its
/// first write, releases it, and measures the drain.
///
/// The logger is `Batched` with `fsync_every` events and a one-second interval, or, for
/// `None`, with a size above the event count and a one-hour interval, so that no fsync
/// happens until the final flush. The library keeps every byte that is not yet fsynced in
/// memory, so with `None` its buffer grows to the whole drain.
pub fn writer_drain(settings: &Settings, fsync_every: Option<usize>) -> Result<DrainResult, BenchError> {
    let events = settings.drain_events();
    let log = settings.temp_dir("drain-")?;
    let gate = IoGate::new();
    let writers_before = threads_named(WRITER_THREAD_NAME);
    let options = LoggerOptions::default()
        .queue_capacity(events + events / 4 + 64)
        .queue_bytes(1 << 40)
        .faults(gate.clone());
    let mode = match fsync_every {
        Some(size) => FlushMode::Batched { size, interval_secs: 1 },
        None => FlushMode::Batched { size: events + 1, interval_secs: 3600 },
    };
    let logger = AuditLogger::with_options(local_config(log.path(), mode), options)?;
    let writer = new_writer_thread(&writers_before).ok_or("could not find the writer thread")?;
    let opened = gate.counts();
    let header_bytes = opened.bytes;

    gate.close(IoOperation::Write);
    let mut failures = u64::from(logger.emit(sample_event(0)).is_err());
    if !gate.wait_until_held(Duration::from_secs(10)) {
        gate.open();
        return Err("the writer did not reach its first write within 10 s".into());
    }
    for index in 1..events as u64 {
        failures += u64::from(logger.emit(sample_event(index)).is_err());
    }

    let cpu_start = thread_cpu_ns(writer).ok_or("could not read the writer's CPU time")?;
    let times_start = thread_times(writer).ok_or("could not read the writer's CPU times")?;
    let start = Instant::now();
    gate.open();
    let idle = wait_for_idle_writer(&gate, writer, Duration::from_secs(120));
    let cpu_end = match idle {
        Some(cpu) => cpu,
        None => thread_cpu_ns(writer).ok_or("could not read the writer's CPU time")?,
    };
    let times = thread_times(writer).ok_or("could not read the writer's CPU times")?.since(&times_start);
    logger.flush_blocking()?;
    let durable_secs = start.elapsed().as_secs_f64();
    let counts = gate.counts();
    logger.shutdown_blocking()?;

    let written = events as u64 - failures;
    let bytes_per_event = (counts.bytes - header_bytes) as f64 / written as f64;
    let last = counts.last_write.ok_or("the writer wrote nothing")?;
    let completed_before_last = (last.bytes_before - header_bytes) as f64 / bytes_per_event;
    let drain_secs = last.at.duration_since(start).as_secs_f64();
    Ok(DrainResult {
        fsync_every,
        fsyncs: counts.syncs - opened.syncs,
        events: written,
        bytes_per_event,
        writer_cpu_ns: (cpu_end - cpu_start) as f64 / written as f64,
        writer_user_ns: times.user_ns as f64 / written as f64,
        writer_kernel_ns: times.system_ns as f64 / written as f64,
        drain_events_per_sec: completed_before_last / drain_secs,
        durable_events_per_sec: written as f64 / durable_secs,
        idle_seen: idle.is_some(),
        failures,
        log,
    })
}

/// Polls until the writer has written nothing, used no CPU and slept for 20 ms in a row, and
/// returns its CPU time at that point. Returns `None` if that did not happen within `limit`.
fn wait_for_idle_writer(gate: &IoGate, writer: u32, limit: Duration) -> Option<u64> {
    const POLL: Duration = Duration::from_millis(5);
    const QUIET_POLLS: u32 = 4;
    let deadline = Instant::now() + limit;
    let mut last = (gate.counts().bytes, thread_cpu_ns(writer)?);
    let mut quiet = 0;
    while Instant::now() < deadline {
        std::thread::sleep(POLL);
        let now = (gate.counts().bytes, thread_cpu_ns(writer)?);
        let sleeping = thread_state(writer) == Some('S');
        quiet = if now == last && sleeping { quiet + 1 } else { 0 };
        if quiet >= QUIET_POLLS {
            return Some(now.1);
        }
        last = now;
    }
    None
}

/// Returns the scheduler state letter of thread `tid` (`R` running, `S` sleeping, `D` in I/O, …).
fn thread_state(tid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The command name in brackets may contain spaces, so look for the state after the last closing bracket.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// A run of many seconds, meant to make the disk rather than the page cache the bound. The
/// writer's CPU and run-queue shares show whether the writer's CPU bound it instead.
#[derive(Debug, Clone, PartialEq)]
pub struct LongRunResult {
    /// Producer threads.
    pub producers: usize,
    /// Events accepted and made durable.
    pub events: u64,
    /// Log bytes written, segment headers included.
    pub bytes: u64,
    /// Seconds from the first emit until `flush_blocking` returned.
    pub seconds: f64,
    /// Fsyncs of segments.
    pub fsyncs: u64,
    /// Writer thread CPU time over wall time.
    pub writer_busy: f64,
    /// Time the writer thread was runnable but waited for a CPU, over wall time.
    pub writer_runqueue: f64,
    /// Writer thread CPU time per event, user and kernel.
    pub writer_times: CpuTimes,
    /// Calls that failed.
    pub failures: u64,
    /// `dd … conv=fdatasync` of the same size on the same filesystem, right after.
    pub dd: Result<DdResult, String>,
}

impl LongRunResult {
    /// Durable events per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.seconds
    }

    /// Log bytes per event.
    pub fn bytes_per_event(&self) -> f64 {
        self.bytes as f64 / self.events as f64
    }
}

/// A `dd` run.
#[derive(Debug, Clone, PartialEq)]
pub struct DdResult {
    /// Bytes written.
    pub bytes: u64,
    /// Seconds `dd` took, process start and final fdatasync included.
    pub seconds: f64,
}

impl DdResult {
    /// Bytes per second.
    pub fn bytes_per_sec(&self) -> f64 {
        self.bytes as f64 / self.seconds
    }
}

/// Batch size of the long run's `FlushMode::Batched`.
pub const LONG_RUN_BATCH: usize = 16 * 1024;

/// Emits from one producer as fast as the writer takes events (`OverflowPolicy::Block`, default
/// queue) for [`Settings::long_run`], with `FlushMode::Batched { size: LONG_RUN_BATCH,
/// interval_secs: 1 }`, then flushes; then runs `dd` with the same number of bytes.
pub fn long_run(settings: &Settings) -> Result<LongRunResult, BenchError> {
    const PRODUCERS: usize = 1;
    let log = settings.temp_dir("long-")?;
    let gate = IoGate::new();
    let writers_before = threads_named(WRITER_THREAD_NAME);
    let options = LoggerOptions::default()
        .overflow(OverflowPolicy::Block { timeout: Duration::from_secs(30) })
        .faults(gate.clone());
    let mode = FlushMode::Batched { size: LONG_RUN_BATCH, interval_secs: 1 };
    let logger = AuditLogger::with_options(local_config(log.path(), mode), options)?;
    let writer = new_writer_thread(&writers_before).ok_or("could not find the writer thread")?;
    let opened = gate.counts();

    let accepted = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let (cpu_start, queued_start) = thread_schedstat(writer).ok_or("could not read the writer's CPU time")?;
    let times_start = thread_times(writer).ok_or("could not read the writer's CPU times")?;
    let start = Instant::now();
    let deadline = start + settings.long_run();
    std::thread::scope(|scope| {
        for producer in 0..PRODUCERS as u64 {
            let (logger, accepted, failed) = (&logger, &accepted, &failed);
            scope.spawn(move || {
                let mut index = producer << 40;
                while Instant::now() < deadline {
                    for _ in 0..64 {
                        match logger.emit(sample_event(index)) {
                            Ok(()) => accepted.fetch_add(1, Ordering::Relaxed),
                            Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                        };
                        index += 1;
                    }
                }
            });
        }
    });
    logger.flush_blocking()?;
    let seconds = start.elapsed().as_secs_f64();
    let (cpu_end, queued_end) = thread_schedstat(writer).ok_or("could not read the writer's CPU time")?;
    let times = thread_times(writer).ok_or("could not read the writer's CPU times")?.since(&times_start);
    let counts = gate.counts();
    logger.shutdown_blocking()?;
    let bytes = counts.bytes - opened.bytes;
    drop(log);

    let dd = run_dd(&settings.dir, bytes);
    let events = accepted.into_inner();
    Ok(LongRunResult {
        producers: PRODUCERS,
        events,
        writer_times: CpuTimes {
            user_ns: times.user_ns / events.max(1),
            system_ns: times.system_ns / events.max(1),
        },
        bytes,
        seconds,
        fsyncs: counts.syncs - opened.syncs,
        writer_busy: (cpu_end - cpu_start) as f64 / 1e9 / seconds,
        writer_runqueue: (queued_end - queued_start) as f64 / 1e9 / seconds,
        failures: failed.into_inner(),
        dd,
    })
}

/// Runs `dd if=/dev/zero of=DIR/dd.bin bs=1M count=N conv=fdatasync` with N MiB covering
/// `bytes`, and removes the file.
fn run_dd(dir: &Path, bytes: u64) -> Result<DdResult, String> {
    const MIB: u64 = 1024 * 1024;
    let count = bytes.div_ceil(MIB).max(1);
    let file = tempfile::Builder::new().prefix("dd-").tempfile_in(dir).map_err(|e| format!("could not create the dd file: {e}"))?;
    let start = Instant::now();
    let output = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", file.path().display()))
        .arg("bs=1M")
        .arg(format!("count={count}"))
        .arg("conv=fdatasync")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run dd: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!("dd failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(DdResult { bytes: count * MIB, seconds })
}

/// Durable commits from producers that each wait for their own event.
#[derive(Debug, Clone, PartialEq)]
pub struct DurableRow {
    /// Producer threads, each looping on `emit_durable(..).wait()`.
    pub producers: usize,
    /// Events whose receipts completed.
    pub events: u64,
    /// Seconds the run took.
    pub seconds: f64,
    /// Fsyncs of segments.
    pub fsyncs: u64,
    /// CPU time of the whole process over wall time: how many of the cores were busy.
    pub cores_busy: f64,
    /// Times a producer thread went to sleep (voluntary context switches), per durable event.
    pub producer_sleeps_per_event: f64,
    /// Times the writer thread went to sleep, per fsync.
    pub writer_sleeps_per_fsync: f64,
    /// Calls that failed.
    pub failures: u64,
}

impl DurableRow {
    /// Durable events per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.seconds
    }

    /// Average events made durable by one fsync.
    pub fn events_per_fsync(&self) -> f64 {
        self.events as f64 / self.fsyncs.max(1) as f64
    }
}

/// Producer counts of the durable-commit runs.
pub const DURABLE_PRODUCERS: [usize; 3] = [1, 8, 64];

/// Runs `FlushMode::Immediate` with 1, 8 and 64 producers, each looping on
/// `emit_durable(event)?.wait()` for [`Settings::durable_run`].
pub fn durable_commits(settings: &Settings) -> Result<Vec<DurableRow>, BenchError> {
    settings.durable_producers.iter().map(|&producers| durable_run(settings, producers)).collect()
}

fn durable_run(settings: &Settings, producers: usize) -> Result<DurableRow, BenchError> {
    let log = settings.temp_dir("durable-")?;
    let gate = IoGate::new();
    let writers_before = threads_named(WRITER_THREAD_NAME);
    let options = LoggerOptions::default().faults(gate.clone());
    let logger = AuditLogger::with_options(local_config(log.path(), FlushMode::Immediate), options)?;
    let writer = new_writer_thread(&writers_before).ok_or("could not find the writer thread")?;
    let opened = gate.counts();

    let completed = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let producer_sleeps = AtomicU64::new(0);
    let barrier = Barrier::new(producers + 1);
    let run = settings.durable_run();
    let mut writer_sleeps = 0;
    let mut cpu_start = CpuTimes::default();
    let start = std::thread::scope(|scope| {
        for producer in 0..producers as u64 {
            let (logger, completed, failed, barrier, producer_sleeps) =
                (&logger, &completed, &failed, &barrier, &producer_sleeps);
            scope.spawn(move || {
                barrier.wait();
                let sleeps_start = own_context_switches().map_or(0, |(voluntary, _)| voluntary);
                let deadline = Instant::now() + run;
                let mut index = producer << 40;
                while Instant::now() < deadline {
                    let durable = logger.emit_durable(sample_event(index)).and_then(|receipt| receipt.wait());
                    match durable {
                        Ok(_) => completed.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    index += 1;
                }
                let sleeps = own_context_switches().map_or(0, |(voluntary, _)| voluntary);
                producer_sleeps.fetch_add(sleeps.saturating_sub(sleeps_start), Ordering::Relaxed);
            });
        }
        writer_sleeps = thread_context_switches(writer).map_or(0, |(voluntary, _)| voluntary);
        cpu_start = process_times().unwrap_or_default();
        barrier.wait();
        // Leaving the scope joins every producer, so the elapsed time below covers them all.
        Instant::now()
    });

    let seconds = start.elapsed().as_secs_f64();
    let cpu = process_times().unwrap_or_default().since(&cpu_start);
    let writer_sleeps = thread_context_switches(writer).map_or(0, |(voluntary, _)| voluntary) - writer_sleeps;
    let counts = gate.counts();
    logger.shutdown_blocking()?;

    let events = completed.into_inner();
    let fsyncs = counts.syncs - opened.syncs;
    Ok(DurableRow {
        producers,
        events,
        seconds,
        fsyncs,
        cores_busy: cpu.total_ns() as f64 / 1e9 / seconds,
        producer_sleeps_per_event: producer_sleeps.into_inner() as f64 / events.max(1) as f64,
        writer_sleeps_per_fsync: writer_sleeps as f64 / fsyncs.max(1) as f64,
        failures: failed.into_inner(),
    })
}

/// Verification speed next to `openssl dgst -sha256` over the same files.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyResult {
    /// Segment files.
    pub files: usize,
    /// Bytes in them.
    pub bytes: u64,
    /// Records verified.
    pub records: u64,
    /// Fastest `verify` run, in seconds.
    pub verify_seconds: f64,
    /// Fastest `openssl dgst -sha256` run over the same files, or why it could not run.
    pub openssl: Result<OpensslTiming, String>,
}

/// Timings of `openssl dgst -sha256`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpensslTiming {
    /// Fastest run over the segment files, in seconds.
    pub seconds: f64,
    /// Fastest run over `/dev/null`, in seconds: the process start, subtracted from `seconds`
    /// for the hashing rate.
    pub startup_seconds: f64,
}

impl OpensslTiming {
    /// Bytes hashed per second, the process start left out.
    pub fn bytes_per_sec(&self, bytes: u64) -> f64 {
        bytes as f64 / (self.seconds - self.startup_seconds).max(1e-9)
    }
}

impl VerifyResult {
    /// Verified bytes per second.
    pub fn verify_bytes_per_sec(&self) -> f64 {
        self.bytes as f64 / self.verify_seconds
    }

    /// Verified records per second.
    pub fn verify_records_per_sec(&self) -> f64 {
        self.records as f64 / self.verify_seconds
    }
}

/// Times `audit_logging::verify` on the log in `dir` and `openssl dgst -sha256` on its
/// segment files, each [`Settings::verify_repeats`] times, keeping the fastest. The files were
/// just written, so both read them from the page cache.
pub fn verify_speed(settings: &Settings, dir: &Path) -> Result<VerifyResult, BenchError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    let bytes = files.iter().map(|path| std::fs::metadata(path).map(|m| m.len())).sum::<Result<u64, _>>()?;

    let mut verify_seconds = f64::INFINITY;
    let mut records = 0;
    for _ in 0..settings.verify_repeats() {
        let start = Instant::now();
        let verdict = audit_logging::verify(dir)?;
        verify_seconds = verify_seconds.min(start.elapsed().as_secs_f64());
        match verdict {
            Verdict::Intact(summary) => records = summary.records,
            Verdict::Damaged { problem, .. } => return Err(format!("benchmark log failed verification: {problem}").into()),
        }
    }

    let openssl = time_openssl(&files, settings.verify_repeats());
    Ok(VerifyResult { files: files.len(), bytes, records, verify_seconds, openssl })
}

/// Runs `openssl dgst -sha256` over `files` and over `/dev/null`, `repeats` times each, and
/// keeps the fastest of each.
fn time_openssl(files: &[PathBuf], repeats: usize) -> Result<OpensslTiming, String> {
    let best = |inputs: &[PathBuf]| -> Result<f64, String> {
        let mut best = f64::INFINITY;
        for _ in 0..repeats {
            let start = Instant::now();
            let status = Command::new("openssl")
                .args(["dgst", "-sha256"])
                .args(inputs)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .map_err(|error| format!("could not run openssl: {error}"))?;
            if !status.success() {
                return Err(format!("openssl dgst failed: {status}"));
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let startup_seconds = best(&[PathBuf::from("/dev/null")])?;
    let seconds = best(files)?;
    Ok(OpensslTiming { seconds, startup_seconds })
}

/// Memory while fsync is stalled and producers keep emitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StallResult {
    /// Producer threads.
    pub producers: usize,
    /// Queue limit in bytes (the default).
    pub queue_bytes: usize,
    /// Queue limit in events (the default).
    pub queue_capacity: usize,
    /// Peak resident set (VmHWM) before the producers started, in KiB.
    pub baseline_kib: u64,
    /// Peak resident set (VmHWM) at the end of the stall, in KiB.
    pub peak_kib: u64,
    /// Events accepted during the stall.
    pub accepted: u64,
    /// Events rejected during the stall (queue full).
    pub rejected: u64,
    /// Whether the writer was seen held in fsync.
    pub stalled: bool,
}

/// Producer threads of the stall run.
pub const STALL_PRODUCERS: usize = 64;

/// Command-line flag that makes the harness binary run [`stall_child`] and print its result.
pub const STALL_CHILD_FLAG: &str = "--stall-child";

/// Runs the stall measurement in a child process (this executable with [`STALL_CHILD_FLAG`]),
/// so that its peak resident set is not raised by earlier measurements.
pub fn stall_memory(settings: &Settings) -> Result<StallResult, BenchError> {
    let output = Command::new(std::env::current_exe()?)
        .arg(STALL_CHILD_FLAG)
        .arg("--dir")
        .arg(&settings.dir)
        .arg("--seconds")
        .arg(settings.stall_run().as_secs().to_string())
        .stdin(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(format!("stall child failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim()).into());
    }
    let text = String::from_utf8(output.stdout)?;
    parse_stall_line(&text).ok_or_else(|| format!("could not parse the stall child's output: {text:?}").into())
}

/// Formats `result` as one line of `key=value` pairs, the stall child's output.
pub fn format_stall_line(result: &StallResult) -> String {
    format!(
        "producers={} queue_bytes={} queue_capacity={} baseline_kib={} peak_kib={} accepted={} rejected={} stalled={}",
        result.producers,
        result.queue_bytes,
        result.queue_capacity,
        result.baseline_kib,
        result.peak_kib,
        result.accepted,
        result.rejected,
        result.stalled
    )
}

/// Parses the line written by [`format_stall_line`].
pub fn parse_stall_line(text: &str) -> Option<StallResult> {
    let field = |key: &str| {
        text.split_whitespace().find_map(|pair| pair.strip_prefix(key)?.strip_prefix('=')).map(str::to_owned)
    };
    let number = |key: &str| field(key)?.parse::<u64>().ok();
    Some(StallResult {
        producers: number("producers")? as usize,
        queue_bytes: number("queue_bytes")? as usize,
        queue_capacity: number("queue_capacity")? as usize,
        baseline_kib: number("baseline_kib")?,
        peak_kib: number("peak_kib")?,
        accepted: number("accepted")?,
        rejected: number("rejected")?,
        stalled: field("stalled")?.parse().ok()?,
    })
}

/// Measures memory in the child process: opens a `Batched` logger with the default queue limits
/// whose fsyncs an [`IoGate`] holds, runs [`STALL_PRODUCERS`] threads that emit as fast as
/// they can for `run`, and returns the process's peak resident set.
pub fn stall_child(dir: &Path, run: Duration) -> Result<StallResult, BenchError> {
    let log = tempfile::Builder::new().prefix("stall-").tempdir_in(dir)?;
    let gate = IoGate::new();
    let options = LoggerOptions::default().faults(gate.clone());
    let mode = FlushMode::Batched { size: 4096, interval_secs: 1 };
    let logger = AuditLogger::with_options(local_config(log.path(), mode), options)?;
    gate.close(IoOperation::Sync);
    let baseline_kib = status_kib("VmHWM").ok_or("could not read VmHWM")?;

    let accepted = AtomicU64::new(0);
    let rejected = AtomicU64::new(0);
    let deadline = Instant::now() + run;
    let stalled = std::thread::scope(|scope| {
        for producer in 0..STALL_PRODUCERS as u64 {
            let (logger, accepted, rejected) = (&logger, &accepted, &rejected);
            scope.spawn(move || {
                let mut index = producer << 40;
                while Instant::now() < deadline {
                    match logger.emit(sample_event(index)) {
                        Ok(()) => accepted.fetch_add(1, Ordering::Relaxed),
                        Err(_) => rejected.fetch_add(1, Ordering::Relaxed),
                    };
                    index += 1;
                }
            });
        }
        gate.wait_until_held(run)
    });
    let peak_kib = status_kib("VmHWM").ok_or("could not read VmHWM")?;
    gate.open();
    logger.shutdown_blocking()?;
    Ok(StallResult {
        producers: STALL_PRODUCERS,
        queue_bytes: DEFAULT_QUEUE_BYTES,
        queue_capacity: DEFAULT_QUEUE_CAPACITY,
        baseline_kib,
        peak_kib,
        accepted: accepted.into_inner(),
        rejected: rejected.into_inner(),
        stalled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_line_round_trips() {
        let result = StallResult {
            producers: 64,
            queue_bytes: 10,
            queue_capacity: 20,
            baseline_kib: 30,
            peak_kib: 40,
            accepted: 50,
            rejected: 60,
            stalled: true,
        };
        assert_eq!(parse_stall_line(&format_stall_line(&result)), Some(result));
    }

    #[test]
    fn thread_state_of_current_thread_is_running() {
        let tid = std::fs::read_link("/proc/thread-self").ok().and_then(|link| link.file_name()?.to_str()?.parse().ok());
        assert_eq!(tid.and_then(thread_state), Some('R'));
    }
}
