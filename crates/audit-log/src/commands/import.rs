//! `audit-log import`: read existing trails and append them to a log.
//!
//! Every input line ends up in exactly one of three places: a record of an imported event, a
//! separator line that `ausearch` prints, or a reported problem (`FILE:LINE: reason`). The
//! totals printed at the end count each.

use std::path::{Path, PathBuf};

use audit_logging::{
    AuditConfig, AuditError, AuditEvent, AuditLogger, AuditMode, CheckpointOptions, FlushMode, LoggerOptions,
    RetentionPolicy, RotationPolicy,
};

use super::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEM};
use crate::cli::ImportFormat;
use audit_log::import::auditd::{self, Adjustments};

/// Totals over all input files.
#[derive(Debug, Default)]
struct Totals {
    files: usize,
    unreadable_files: usize,
    lines: usize,
    records: usize,
    separator_lines: usize,
    events: usize,
    problem_lines: usize,
    rejected_events: usize,
    adjustments: Adjustments,
}

/// Settings of the log that `import` writes.
#[derive(Debug)]
pub struct Settings<'a> {
    /// Segment size limit in bytes.
    pub segment_bytes: usize,
    /// Signer key file for checkpoints.
    pub signer_key: Option<&'a Path>,
    /// Sealing key file, evolved after each checkpoint.
    pub seal_key: Option<&'a Path>,
    /// Records between checkpoints.
    pub checkpoint_every: u64,
}

/// Runs the command and returns the exit status.
pub fn run(format: ImportFormat, dir: &Path, service_id: &str, settings: &Settings<'_>, files: &[PathBuf]) -> u8 {
    let ImportFormat::Auditd = format;
    let logger = match open_logger(dir, service_id, settings) {
        Ok(logger) => logger,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", dir.display());
            return EXIT_ERROR;
        }
    };
    let mut totals = Totals::default();
    for file in files {
        if let Err(error) = import_file(&logger, file, &mut totals) {
            eprintln!("audit-log: {}: {error}", dir.display());
            let _ = logger.shutdown_blocking();
            return EXIT_ERROR;
        }
    }
    let report = match logger.shutdown_blocking() {
        Ok(report) => report,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", dir.display());
            return EXIT_ERROR;
        }
    };
    print_totals(&totals);
    match report.last_seq {
        Some(seq) => println!("log {}: last sequence {seq}, last hash {}", dir.display(), report.last_hash),
        None => println!("log {}: empty", dir.display()),
    }
    if totals.problem_lines > 0 || totals.unreadable_files > 0 || totals.rejected_events > 0 {
        EXIT_PROBLEM
    } else {
        EXIT_OK
    }
}

fn open_logger(dir: &Path, service_id: &str, settings: &Settings<'_>) -> Result<AuditLogger, AuditError> {
    let mut options = LoggerOptions::default();
    if let Some(signer) = settings.signer_key {
        let mut checkpoints = CheckpointOptions::new(super::keys::read_signer(signer)?)
            .interval(settings.checkpoint_every, std::time::Duration::from_secs(60));
        if let Some(seal) = settings.seal_key {
            checkpoints = checkpoints.seal_key_file(seal);
        }
        options = options.checkpoints(checkpoints);
    }
    let config = AuditConfig {
        mode: AuditMode::Local { base_dir: dir.to_path_buf() },
        service_id: service_id.to_owned(),
        rotation_policy: RotationPolicy::SizeLimit(settings.segment_bytes),
        retention_policy: RetentionPolicy::default(),
        // An import is one job: batch the fsyncs, and shutdown makes everything durable.
        flush_mode: FlushMode::Batched { size: 4096, interval_secs: 1 },
    };
    AuditLogger::with_options(config, options)
}

/// Imports one file. Problems in the file are reported and counted; an `Err` means the log
/// itself failed and the import must stop.
fn import_file(logger: &AuditLogger, file: &Path, totals: &mut Totals) -> Result<(), AuditError> {
    totals.files += 1;
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("audit-log: {}: cannot read: {error}", file.display());
            totals.unreadable_files += 1;
            return Ok(());
        }
    };
    let parsed = auditd::parse_bytes(&bytes);
    for issue in &parsed.issues {
        eprintln!("audit-log: {}:{}: {}", file.display(), issue.line, issue.reason);
    }
    totals.lines += parsed.summary.lines;
    totals.records += parsed.summary.records;
    totals.separator_lines += parsed.summary.separator_lines;
    totals.problem_lines += parsed.summary.issues;
    for event in &parsed.events {
        let mapped = auditd::to_event(event);
        totals.adjustments.add(&mapped.adjustments);
        match emit_waiting_for_room(logger, mapped.event) {
            Ok(()) => totals.events += 1,
            Err(AuditError::InvalidInput(reason)) => {
                let first_line = event.records.first().map_or(0, |r| r.line);
                eprintln!("audit-log: {}:{first_line}: event rejected: {reason}", file.display());
                totals.rejected_events += 1;
                totals.problem_lines += event.records.len();
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Emits `event`; when the queue is full, waits for the writer to catch up and tries again.
fn emit_waiting_for_room(logger: &AuditLogger, event: AuditEvent) -> Result<(), AuditError> {
    match logger.emit(event.clone()) {
        Err(AuditError::BufferFull) => {
            logger.flush_blocking()?;
            logger.emit(event)
        }
        other => other,
    }
}

fn print_totals(totals: &Totals) {
    println!(
        "imported {} events from {} records in {} lines of {} files",
        totals.events, totals.records, totals.lines, totals.files
    );
    println!("  ausearch separator lines skipped: {}", totals.separator_lines);
    println!("  lines not imported (reported above): {}", totals.problem_lines);
    if totals.unreadable_files > 0 {
        println!("  files that could not be read: {}", totals.unreadable_files);
    }
    let a = &totals.adjustments;
    if !a.is_empty() {
        println!(
            "  values changed to pass validation: {} escaped, {} truncated, {} NUL-separated, {} detail entries omitted",
            a.escaped_values, a.truncated_values, a.nul_separated_values, a.omitted_details
        );
    }
    if a.unmapped_fields > 0 {
        println!("  fields of authentication records with no place in auth_success: {}", a.unmapped_fields);
    }
}
