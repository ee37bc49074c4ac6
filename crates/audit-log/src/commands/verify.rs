//! `audit-log verify`.

use std::io::Write;
use std::path::Path;

use audit_logging::verify::{verify, Verdict, VerifySummary};
use serde_json::json;

use super::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEM};

/// Runs the command and returns the exit status.
pub fn run(dir: &Path, json_output: bool) -> u8 {
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
