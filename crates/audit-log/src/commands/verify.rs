//! `audit-log verify`.

use std::io::Write;
use std::path::Path;

use audit_logging::verify::{verify, verify_log, LogReport, Verdict, VerifyOptions, VerifySummary};
use serde_json::json;

use super::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEM};

/// Key files given to `verify`.
#[derive(Debug, Default)]
pub struct KeyFiles<'a> {
    /// Verifier key file.
    pub key: Option<&'a Path>,
    /// Initial sealing key file.
    pub seal_key: Option<&'a Path>,
    /// Whether unsealed records fail verification.
    pub require_seal: bool,
}

/// Runs the command and returns the exit status.
pub fn run(dir: &Path, keys: &KeyFiles<'_>, json_output: bool) -> u8 {
    match keys.key {
        None => run_chain(dir, json_output),
        Some(key) => run_with_keys(dir, key, keys, json_output),
    }
}

fn run_with_keys(dir: &Path, key_path: &Path, keys: &KeyFiles<'_>, json_output: bool) -> u8 {
    let verifier = match super::keys::read_verifier(key_path) {
        Ok(key) => key,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", key_path.display());
            return EXIT_ERROR;
        }
    };
    let seal_key = match keys.seal_key.map(super::keys::read_sealing_key).transpose() {
        Ok(key) => key,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", keys.seal_key.unwrap_or(Path::new("")).display());
            return EXIT_ERROR;
        }
    };
    let options = VerifyOptions { verifier: Some(&verifier), seal_key: seal_key.as_ref(), require_seal: keys.require_seal };
    let report = match verify_log(dir, options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", dir.display());
            return EXIT_ERROR;
        }
    };
    let mut out = std::io::stdout().lock();
    let written = if json_output { writeln!(out, "{}", report_json(&report)) } else { write_report(&mut out, &report) };
    if written.is_err() {
        return EXIT_ERROR;
    }
    if report.is_valid() {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    }
}

/// Writes one line per segment and per checkpoint, then the problems and a summary.
fn write_report(out: &mut impl Write, report: &LogReport) -> std::io::Result<()> {
    for segment in &report.segments {
        let name = file_name(&segment.file);
        match &segment.problem {
            None if segment.records == 0 => writeln!(out, "segment {name}: valid, no records")?,
            None => writeln!(
                out,
                "segment {name}: valid, records {}-{}",
                segment.first_seq,
                segment.first_seq + segment.records - 1
            )?,
            Some(problem) => writeln!(out, "segment {name}: INVALID: line {}: {}", problem.line, problem.kind)?,
        }
    }
    for checkpoint in &report.checkpoints {
        let name = file_name(&checkpoint.file);
        let epoch = checkpoint.epoch.map(|e| format!(", seal epoch {e}")).unwrap_or_default();
        match &checkpoint.problem {
            None => writeln!(out, "checkpoint {name}: valid, tree size {}{epoch}", checkpoint.size)?,
            Some(problem) => writeln!(out, "checkpoint {name}: INVALID: {problem}")?,
        }
    }
    if report.unsealed_records > 0 {
        writeln!(out, "unsealed: {} records after the last valid checkpoint", report.unsealed_records)?;
    }
    for problem in &report.problems {
        writeln!(out, "problem: {problem}")?;
    }
    match &report.chain {
        Verdict::Intact(summary) => write_declared(out, summary)?,
        Verdict::Damaged { checked, .. } => write_declared(out, checked)?,
    }
    let segments_valid = report.segments.iter().filter(|s| s.problem.is_none()).count();
    let checkpoints_valid = report.checkpoints.iter().filter(|c| c.problem.is_none()).count();
    writeln!(
        out,
        "{}: {segments_valid}/{} segments valid, {checkpoints_valid}/{} checkpoints valid, {} unsealed records, {} other problems",
        if report.is_valid() { "valid" } else { "INVALID" },
        report.segments.len(),
        report.checkpoints.len(),
        report.unsealed_records,
        report.problems.len()
    )
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn report_json(report: &LogReport) -> serde_json::Value {
    json!({
        "status": if report.is_valid() { "valid" } else { "invalid" },
        "chain": verdict_json(&report.chain),
        "segments": report.segments.iter().map(|s| json!({
            "file": s.file.display().to_string(),
            "first_seq": s.first_seq,
            "records": s.records,
            "problem": s.problem.as_ref().map(|p| json!({"line": p.line, "offset": p.offset, "reason": p.kind.to_string()})),
        })).collect::<Vec<_>>(),
        "checkpoints": report.checkpoints.iter().map(|c| json!({
            "file": c.file.display().to_string(),
            "size": c.size,
            "epoch": c.epoch,
            "problem": c.problem,
        })).collect::<Vec<_>>(),
        "unsealed_records": report.unsealed_records,
        "problems": report.problems,
    })
}

/// Checks the keyless chain only.
fn run_chain(dir: &Path, json_output: bool) -> u8 {
    let mut out = std::io::stdout().lock();
    let verdict = match verify(dir) {
        Ok(verdict) => verdict,
        Err(error) => {
            if json_output {
                let _ = writeln!(out, "{}", json!({"status": "error", "error": error.to_string()}));
            } else {
                eprintln!("audit-log: {}: {error}", dir.display());
            }
            return EXIT_ERROR;
        }
    };
    let written = if json_output { writeln!(out, "{}", verdict_json(&verdict)) } else { write_text(&mut out, &verdict) };
    if written.is_err() {
        return EXIT_ERROR;
    }
    if verdict.is_intact() {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    }
}

fn write_text(out: &mut impl Write, verdict: &Verdict) -> std::io::Result<()> {
    match verdict {
        Verdict::Intact(summary) => {
            writeln!(out, "intact: {}", describe(summary))?;
            write_declared(out, summary)
        }
        Verdict::Damaged { problem, checked } => {
            writeln!(out, "damaged: {problem}")?;
            writeln!(out, "checked before the problem: {}", describe(checked))?;
            write_declared(out, checked)
        }
    }
}

/// Lists the gaps and repairs the writer recorded: known loss, not tampering.
fn write_declared(out: &mut impl Write, summary: &VerifySummary) -> std::io::Result<()> {
    for declared in &summary.declared {
        writeln!(out, "declared gap: {declared}")?;
    }
    Ok(())
}

fn describe(summary: &VerifySummary) -> String {
    let counts = format!("{} records in {} {}", summary.records, summary.segments, plural(summary.segments, "segment"));
    match summary.last_seq {
        Some(seq) => format!("{counts}, last sequence {seq}, last hash {}", summary.last_hash),
        None => counts,
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

fn summary_json(summary: &VerifySummary) -> serde_json::Value {
    json!({
        "records": summary.records,
        "segments": summary.segments,
        "last_seq": summary.last_seq,
        "last_hash": summary.last_hash.to_hex(),
        "declared": summary.declared.iter().map(|d| json!({
            "seq": d.seq,
            "kind": d.kind,
            "count": d.count,
            "reason": d.reason,
        })).collect::<Vec<_>>(),
    })
}

fn verdict_json(verdict: &Verdict) -> serde_json::Value {
    match verdict {
        Verdict::Intact(summary) => json!({"status": "intact", "checked": summary_json(summary)}),
        Verdict::Damaged { problem, checked } => json!({
            "status": "damaged",
            "problem": {
                "file": problem.file.display().to_string(),
                "line": problem.line,
                "offset": problem.offset,
                "reason": problem.kind.to_string(),
            },
            "checked": summary_json(checked),
        }),
    }
}
