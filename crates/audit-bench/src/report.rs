//! Markdown tables of a harness run.

use std::fmt::Write;
use std::path::Path;

use crate::sections::{
    DrainResult, DurableRow, LatencyRow, LongRunResult, Settings, StallResult, VerifyResult, CALLER_AUDIT,
    CALLER_TRACING, LONG_RUN_BATCH,
};
use crate::system::Machine;

/// Outcome of one section: `None` when it was not selected, `Err` with the message when it failed.
pub type Section<T> = Option<Result<T, String>>;

/// Everything one harness run measured.
#[derive(Debug)]
pub struct Results {
    /// The machine it ran on.
    pub machine: Machine,
    /// Sizes and durations used.
    pub settings: Settings,
    /// Caller cost rows.
    pub latencies: Section<Vec<LatencyRow>>,
    /// The page-cache drains: with periodic fsyncs, then with none until the end.
    pub drain: Section<Vec<DrainResult>>,
    /// The disk-bound run.
    pub long_run: Section<LongRunResult>,
    /// Durable commits with 1, 8 and 64 producers.
    pub durable: Section<Vec<DurableRow>>,
    /// Verification speed.
    pub verify: Section<VerifyResult>,
    /// Memory under a stalled fsync.
    pub stall: Section<StallResult>,
}

/// One line of the targets table.
struct Target {
    goal: String,
    measured: String,
    met: bool,
}

const MIB: f64 = 1024.0 * 1024.0;
const MB: f64 = 1e6;

/// Renders the run as Markdown: the machine, the caller cost table, the throughput table and
/// the targets table.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let mut targets = Vec::new();
    render_machine(&mut out, results);
    render_latencies(&mut out, &results.latencies, &mut targets);
    render_throughput(&mut out, results, &mut targets);
    render_targets(&mut out, &targets);
    out
}

fn render_machine(out: &mut String, results: &Results) {
    let machine = &results.machine;
    let mode = if results.settings.quick { "quick (`--quick`)" } else { "full" };
    let disk = match machine.rotational {
        Some(true) => "rotational",
        Some(false) => "non-rotational",
        None => "rotational: unknown",
    };
    let _ = writeln!(out, "### Run\n");
    let _ = writeln!(out, "- mode: {mode}; logs under `{}`", results.settings.dir.display());
    let _ = writeln!(
        out,
        "- machine: {} CPUs, {}{}, {} MiB memory, kernel {}",
        machine.cpus,
        machine.cpu_model,
        if machine.sha_ni { " (sha_ni)" } else { "" },
        machine.memory_mib,
        machine.kernel
    );
    let _ = writeln!(out, "- filesystem: {} ({disk})", machine.filesystem);
    let _ = writeln!(out, "- load average (1 min) at start: {}\n", machine.load_average);
}

fn render_latencies(out: &mut String, section: &Section<Vec<LatencyRow>>, targets: &mut Vec<Target>) {
    let Some(section) = section else { return };
    let _ = writeln!(out, "### Caller cost per call, in ns\n");
    let rows = match section {
        Ok(rows) => rows,
        Err(error) => {
            let _ = writeln!(out, "Failed: {error}\n");
            return;
        }
    };
    let _ = writeln!(out, "| caller | producers | p50 | p99 | p99.9 | max | mean | calls | failed calls |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let l = &row.latency;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} |",
            row.caller, row.producers, l.p50, l.p99, l.p999, l.max, l.mean, l.count, row.failures
        );
    }
    let _ = writeln!(
        out,
        "\nEach call timed alone with `Instant::now()`, on events built beforehand, in bursts of 8192 per \
         producer that never fill the queue.\n"
    );

    for producers in [1, 2] {
        let find = |caller: &str| rows.iter().find(|row| row.caller == caller && row.producers == producers);
        let Some(audit) = find(CALLER_AUDIT) else { continue };
        let valid = audit.failures == 0;
        let suffix = if producers == 1 { "1 producer" } else { "2 producers" };
        targets.push(Target {
            goal: format!("`emit` p50 ≤ 100 ns, {suffix}"),
            measured: format!("{} ns ({:.1}× the target)", audit.latency.p50, audit.latency.p50 as f64 / 100.0),
            met: valid && audit.latency.p50 <= 100,
        });
        targets.push(Target {
            goal: format!("`emit` p99 ≤ 1 µs, {suffix}"),
            measured: format!("{} ns ({:.1}× the target)", audit.latency.p99, audit.latency.p99 as f64 / 1000.0),
            met: valid && audit.latency.p99 <= 1000,
        });
        if let Some(tracing) = find(CALLER_TRACING) {
            targets.push(Target {
                goal: format!("`emit` p50 and p99 no worse than tracing-appender, {suffix}"),
                measured: format!(
                    "p50 {} vs {} ns ({:.2}×), p99 {} vs {} ns ({:.2}×)",
                    audit.latency.p50,
                    tracing.latency.p50,
                    audit.latency.p50 as f64 / tracing.latency.p50 as f64,
                    audit.latency.p99,
                    tracing.latency.p99,
                    audit.latency.p99 as f64 / tracing.latency.p99 as f64
                ),
                met: valid && audit.latency.p50 <= tracing.latency.p50 && audit.latency.p99 <= tracing.latency.p99,
            });
        }
    }
}

fn render_throughput(out: &mut String, results: &Results, targets: &mut Vec<Target>) {
    let mut rows: Vec<[String; 4]> = Vec::new();
    if let Some(drain) = &results.drain {
        drain_rows(drain, &mut rows, targets);
    }
    if let Some(long_run) = &results.long_run {
        long_run_rows(long_run, &mut rows, targets);
    }
    if let Some(durable) = &results.durable {
        durable_rows(durable, &mut rows, targets);
    }
    if let Some(verify) = &results.verify {
        verify_rows(verify, &mut rows, targets);
    }
    if let Some(stall) = &results.stall {
        stall_rows(stall, &mut rows, targets);
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Writer, durable commits, verification, memory\n");
    let _ = writeln!(out, "| measurement | result | same-run reference | ratio |");
    let _ = writeln!(out, "|---|---|---|---|");
    for [measurement, result, reference, ratio] in rows {
        let _ = writeln!(out, "| {measurement} | {result} | {reference} | {ratio} |");
    }
    let _ = writeln!(out);
}

fn failed_row(rows: &mut Vec<[String; 4]>, measurement: &str, error: &str) {
    rows.push([measurement.into(), format!("failed: {error}"), String::new(), String::new()]);
}

fn failures_note(failures: u64) -> String {
    if failures == 0 { String::new() } else { format!("; **{failures} calls failed**") }
}

fn drain_rows(section: &Result<Vec<DrainResult>, String>, rows: &mut Vec<[String; 4]>, targets: &mut Vec<Target>) {
    let name = "Batched writer draining a queue filled while it was held";
    let drains = match section {
        Ok(drains) => drains,
        Err(error) => return failed_row(rows, name, error),
    };
    for drain in drains {
        let cpu_note = if drain.idle_seen { "" } else { ", includes the final fsync because the writer was never seen idle" };
        let fsync = match drain.fsync_every {
            Some(size) => format!("fsync every {size} events or 1 s"),
            None => "no fsync by event count or time (the writer still fsyncs every 8 MiB it keeps unsynced)".into(),
        };
        rows.push([
            format!("{name}, {fsync} ({} events)", drain.events),
            format!(
                "writer CPU {:.0} ns/event (user {:.0}, kernel {:.0}{cpu_note}); {} events/s written; {:.0} B/event; {} fsyncs; {} events/s durable incl. the final fsync{}",
                drain.writer_cpu_ns,
                drain.writer_user_ns,
                drain.writer_kernel_ns,
                rate(drain.drain_events_per_sec),
                drain.bytes_per_event,
                drain.fsyncs,
                rate(drain.durable_events_per_sec),
                failures_note(drain.failures)
            ),
            String::new(),
            String::new(),
        ]);
    }
    if let Some(drain) = drains.iter().find(|drain| drain.fsync_every.is_some()) {
        targets.push(Target {
            goal: format!("Batched writer ≤ 1 µs of CPU per event (fsync every {LONG_RUN_BATCH} events)"),
            measured: format!("{:.0} ns ({:.2}× the target)", drain.writer_cpu_ns, drain.writer_cpu_ns / 1000.0),
            met: drain.failures == 0 && drain.writer_cpu_ns <= 1000.0,
        });
    }
    if let Some(drain) = drains.iter().find(|drain| drain.fsync_every.is_none()) {
        targets.push(Target {
            goal: "Batched writer ≥ 1M events/s into the page cache (fsync only every 8 MiB)".into(),
            measured: format!("{} events/s ({:.2}× the target)", rate(drain.drain_events_per_sec), drain.drain_events_per_sec / 1e6),
            met: drain.failures == 0 && drain.drain_events_per_sec >= 1e6,
        });
    }
}

fn long_run_rows(section: &Result<LongRunResult, String>, rows: &mut Vec<[String; 4]>, targets: &mut Vec<Target>) {
    let name = format!("Batched long run: fsync every {LONG_RUN_BATCH} events or 1 s, `OverflowPolicy::Block`");
    let run = match section {
        Ok(run) => run,
        Err(error) => return failed_row(rows, &name, error),
    };
    let result = format!(
        "{} events/s durable; {:.0} B/event; {:.0} MB/s; {} events in {:.1} s, {} fsyncs; writer thread on a CPU {:.0}% and waiting for one {:.0}% of the time, {:.0} ns/event user + {:.0} ns/event kernel{}",
        rate(run.events_per_sec()),
        run.bytes_per_event(),
        run.events_per_sec() * run.bytes_per_event() / MB,
        run.events,
        run.seconds,
        run.fsyncs,
        run.writer_busy * 100.0,
        run.writer_runqueue * 100.0,
        run.writer_times.user_ns,
        run.writer_times.system_ns,
        failures_note(run.failures)
    );
    let measurement = format!("{name} ({} producer)", run.producers);
    match &run.dd {
        Ok(dd) => {
            let bound = dd.bytes_per_sec() / run.bytes_per_event();
            let ratio = run.events_per_sec() / bound;
            rows.push([
                measurement,
                result,
                format!(
                    "`dd bs=1M count={} conv=fdatasync`: {:.0} MB/s ÷ {:.0} B/event = {} events/s",
                    dd.bytes / (1024 * 1024),
                    dd.bytes_per_sec() / MB,
                    run.bytes_per_event(),
                    rate(bound)
                ),
                format!("{ratio:.2}× dd"),
            ]);
            targets.push(Target {
                goal: "Batched long run ≥ 0.8× dd bandwidth ÷ bytes per event".into(),
                measured: format!("{ratio:.2}× ({} of {} events/s)", rate(run.events_per_sec()), rate(bound)),
                met: run.failures == 0 && ratio >= 0.8,
            });
        }
        Err(error) => rows.push([measurement, result, format!("dd: {error}"), String::new()]),
    }
}

fn durable_rows(section: &Result<Vec<DurableRow>, String>, rows: &mut Vec<[String; 4]>, targets: &mut Vec<Target>) {
    let name = "Immediate, each producer waits on its own `emit_durable(..).wait()`";
    let durable = match section {
        Ok(durable) => durable,
        Err(error) => return failed_row(rows, name, error),
    };
    for row in durable {
        rows.push([
            format!("{name}, {} producers", row.producers),
            format!(
                "{} durable events/s; {:.1} events per fsync; {} fsyncs in {:.1} s; {:.2} cores busy; {:.1} producer sleeps per event, {:.1} writer sleeps per fsync{}",
                rate(row.events_per_sec()),
                row.events_per_fsync(),
                row.fsyncs,
                row.seconds,
                row.cores_busy,
                row.producer_sleeps_per_event,
                row.writer_sleeps_per_fsync,
                failures_note(row.failures)
            ),
            String::new(),
            String::new(),
        ]);
    }
    if let Some(row) = durable.iter().find(|row| row.producers == 64) {
        targets.push(Target {
            goal: "≥ 200k durable events/s with 64 producers".into(),
            measured: format!("{} events/s ({:.2}× the target)", rate(row.events_per_sec()), row.events_per_sec() / 200e3),
            met: row.failures == 0 && row.events_per_sec() >= 200e3,
        });
    }
}

fn verify_rows(section: &Result<VerifyResult, String>, rows: &mut Vec<[String; 4]>, targets: &mut Vec<Target>) {
    let name = "`audit_logging::verify` of the first drain's log (files in the page cache)";
    let verify = match section {
        Ok(verify) => verify,
        Err(error) => return failed_row(rows, name, error),
    };
    let result = format!(
        "{:.0} MB/s, {} records/s ({} records, {:.1} MB, {} files)",
        verify.verify_bytes_per_sec() / MB,
        rate(verify.verify_records_per_sec()),
        verify.records,
        verify.bytes as f64 / MB,
        verify.files
    );
    match &verify.openssl {
        Ok(timing) => {
            let openssl = timing.bytes_per_sec(verify.bytes);
            let ratio = verify.verify_bytes_per_sec() / openssl;
            let reference = format!(
                "`openssl dgst -sha256` over the same files: {:.0} MB/s (its {:.1} ms process start left out)",
                openssl / MB,
                timing.startup_seconds * 1e3
            );
            rows.push([name.into(), result, reference, format!("{ratio:.2}× openssl")]);
            targets.push(Target {
                goal: "verify (all cores) ≥ 0.8× `openssl dgst -sha256` (one core)".into(),
                measured: format!("{ratio:.2}× ({:.0} of {:.0} MB/s)", verify.verify_bytes_per_sec() / MB, openssl / MB),
                met: ratio >= 0.8,
            });
        }
        Err(error) => rows.push([name.into(), result, format!("openssl: {error}"), String::new()]),
    }
}

fn stall_rows(section: &Result<StallResult, String>, rows: &mut Vec<[String; 4]>, targets: &mut Vec<Target>) {
    let name = "Peak resident set while fsync is held and producers keep emitting (child process)";
    let stall = match section {
        Ok(stall) => stall,
        Err(error) => return failed_row(rows, name, error),
    };
    let peak_mib = stall.peak_kib as f64 / 1024.0;
    let queue_mib = stall.queue_bytes as f64 / MIB;
    let stalled = if stall.stalled { "" } else { "; **the writer was never seen held in fsync**" };
    rows.push([
        format!("{name}, {} producers", stall.producers),
        format!(
            "VmHWM {peak_mib:.1} MiB ({:.1} MiB before the producers started); {} events accepted, {} rejected{stalled}",
            stall.baseline_kib as f64 / 1024.0,
            stall.accepted,
            stall.rejected
        ),
        format!("default queue limits: {queue_mib:.0} MiB, {} events", stall.queue_capacity),
        format!("{:.2}× the queue's byte limit", peak_mib / queue_mib),
    ]);
    targets.push(Target {
        goal: "peak resident set ≤ 64 MiB with fsync stalled".into(),
        measured: format!("{peak_mib:.1} MiB"),
        met: stall.stalled && peak_mib <= 64.0,
    });
}

fn render_targets(out: &mut String, targets: &[Target]) {
    if targets.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---|---|");
    for target in targets {
        let _ = writeln!(out, "| {} | {} | {} |", target.goal, target.measured, if target.met { "yes" } else { "**no**" });
    }
    let _ = writeln!(out);
}

/// Renders criterion's estimates for the `emit` group as a Markdown table: the mean and the
/// median time per call with their 95 % confidence intervals, in ns.
///
/// `criterion_dir` is criterion's output directory (`target/criterion`); each benchmark's
/// `emit/NAME/new/estimates.json` is read.
pub fn criterion_table(criterion_dir: &Path) -> Result<String, String> {
    let group = criterion_dir.join("emit");
    let entries = std::fs::read_dir(&group).map_err(|e| format!("could not read {}: {e}", group.display()))?;
    let mut names: Vec<String> = entries.filter_map(Result::ok).filter_map(|entry| entry.file_name().into_string().ok()).collect();
    names.sort();

    let mut out = String::new();
    let _ = writeln!(out, "### Criterion: time per call, one producer, in ns\n");
    let _ = writeln!(out, "| benchmark | mean | mean 95 % CI | median | median 95 % CI |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let mut found = false;

    for name in names {
        let path = group.join(&name).join("new").join("estimates.json");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };

        let estimates: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("invalid JSON in {}: {e}", path.display()))?;
        let statistic = |key: &str| -> Option<(f64, f64, f64)> {
            let value = &estimates[key];
            let interval = &value["confidence_interval"];
            Some((value["point_estimate"].as_f64()?, interval["lower_bound"].as_f64()?, interval["upper_bound"].as_f64()?))
        };

        let (Some(mean), Some(median)) = (statistic("mean"), statistic("median")) else {
            return Err(format!("{} lacks the mean or the median", path.display()));
        };
        let _ = writeln!(
            out,
            "| `emit/{name}` | {:.0} | {:.0}–{:.0} | {:.0} | {:.0}–{:.0} |",
            mean.0, mean.1, mean.2, median.0, median.1, median.2
        );
        found = true;
    }

    if !found {
        return Err(format!("no estimates under {}; run `cargo bench -p audit-bench --bench emit` first", group.display()));
    }
    let _ = writeln!(out, "\nEach criterion sample times a run of calls in bursts of 8192 and divides by the count.");
    Ok(out)
}

/// Formats a rate per second with a k or M suffix.
fn rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2}M", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1}k", per_sec / 1e3)
    } else {
        format!("{per_sec:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_uses_suffixes() {
        assert_eq!(rate(950.0), "950");
        assert_eq!(rate(12_345.0), "12.3k");
        assert_eq!(rate(2_500_000.0), "2.50M");
    }
}
