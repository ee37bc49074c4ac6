//! `External` events: actor, action, target, outcome and details of any auditd event.

use std::collections::HashMap;

use audit_logging::limits::{MAX_EVENT_BYTES, MAX_STRING_CHARS};
use audit_logging::{AuditEvent, AuditResult};

use super::details::{self, display_value, encoded_size, FIXED_BYTES};
use super::{event_time, first_set, is_unset, known_account};
use crate::import::auditd::sanitize::Sanitizer;
use crate::import::auditd::{AuditdEvent, Record};

/// Value of `External::source` for every event from this importer.
const SOURCE: &str = "auditd";

/// Record types that add detail to another record of the same event instead of naming an
/// action of their own.
const AUXILIARY_TYPES: &[&str] = &[
    "BPRM_FCAPS",
    "CAPSET",
    "CWD",
    "EOE",
    "EXECVE",
    "FD_PAIR",
    "IPC",
    "MMAP",
    "MQ_GETSETATTR",
    "MQ_NOTIFY",
    "MQ_OPEN",
    "MQ_SENDRECV",
    "OBJ_PID",
    "PATH",
    "PROCTITLE",
    "SOCKADDR",
    "SOCKETCALL",
];

/// Builds the `External` event for `event`.
pub(super) fn to_external_event(event: &AuditdEvent, sanitizer: &mut Sanitizer) -> AuditEvent {
    let labels = record_labels(event);
    let ordered = primary_first(event);
    let primary = ordered.first().copied();

    let (actor, actor_is_account) = actor(&ordered);
    let actor = sanitizer.name(&actor);
    let action = sanitizer.name(&action(primary));
    let target = target(event, &ordered, actor_is_account, sanitizer);
    let (outcome, outcome_from) = outcome(event, &labels);
    let outcome = match outcome {
        AuditResult::Failure { reason } => AuditResult::Failure { reason: sanitizer.free_text(&reason) },
        other => other,
    };
    let reason_bytes = match &outcome {
        AuditResult::Failure { reason } => encoded_size(reason),
        _ => 0,
    };

    let fixed_bytes = FIXED_BYTES
        + encoded_size(SOURCE)
        + encoded_size(&actor)
        + encoded_size(&action)
        + encoded_size(&target)
        + reason_bytes;
    let budget = MAX_EVENT_BYTES.saturating_sub(fixed_bytes);
    let details = details::build(event, &labels, &outcome_from, budget, sanitizer);

    AuditEvent::External {
        timestamp: event_time(event),
        source: SOURCE.to_owned(),
        actor,
        action,
        target,
        outcome,
        details,
    }
}

/// Returns the detail prefix of each record: its type, or `TYPE[i]` when the event has
/// several records of that type.
fn record_labels(event: &AuditdEvent) -> Vec<String> {
    let mut totals: HashMap<&str, usize> = HashMap::new();
    for record in &event.records {
        *totals.entry(record.record_type.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    event
        .records
        .iter()
        .map(|record| {
            let record_type = record.record_type.as_str();
            let index = seen.entry(record_type).or_default();
            let label =
                if totals[record_type] > 1 { format!("{record_type}[{index}]") } else { record_type.to_owned() };
            *index += 1;
            label
        })
        .collect()
}

/// Returns the records with the primary record first, then the others in line order.
fn primary_first(event: &AuditdEvent) -> Vec<&Record> {
    let records = &event.records;
    let is_main = |record: &&Record| {
        let record_type = record.record_type.as_str();
        record_type != "SYSCALL" && !AUXILIARY_TYPES.contains(&record_type)
    };
    let primary = records
        .iter()
        .position(|record| is_main(&record))
        .or_else(|| records.iter().position(|record| record.record_type == "SYSCALL"))
        .unwrap_or(0);

    let mut ordered: Vec<&Record> = Vec::with_capacity(records.len());
    ordered.extend(records.get(primary));
    ordered.extend(records.iter().enumerate().filter(|(index, _)| *index != primary).map(|(_, record)| record));
    ordered
}

/// Returns the actor and whether it is the `acct` value.
fn actor(records: &[&Record]) -> (String, bool) {
    if let Some((record, auid)) = first_set(records, "auid") {
        return (resolved_name(record, "AUID").unwrap_or_else(|| format!("auid={auid}")), false);
    }
    if let Some(account) = records.iter().find_map(|record| known_account(record)) {
        return (account.to_owned(), true);
    }
    if let Some((record, uid)) = first_set(records, "uid") {
        return (resolved_name(record, "UID").unwrap_or_else(|| format!("uid={uid}")), false);
    }
    ("unknown".to_owned(), false)
}

/// Returns the name that the enriched format resolved for an id field, such as `AUID`.
fn resolved_name(record: &Record, enriched_field: &str) -> Option<String> {
    record.enriched_value(enriched_field).filter(|name| !is_unset(name)).map(str::to_owned)
}

fn action(primary: Option<&Record>) -> String {
    let Some(record) = primary else {
        return "unknown".to_owned();
    };
    if record.record_type == "SYSCALL" {
        if let Some(name) = record.enriched_value("SYSCALL") {
            return name.to_owned();
        }
        if let Some(number) = record.value("syscall") {
            return format!("syscall {number}");
        }
    }
    record.record_type.clone()
}

fn target(event: &AuditdEvent, ordered: &[&Record], actor_is_account: bool, sanitizer: &mut Sanitizer) -> String {
    let path_name = event
        .records
        .iter()
        .filter(|record| record.record_type == "PATH")
        .find_map(|record| record.fields.iter().find(|field| field.name == "name" && !is_unset(&field.value)))
        .map(|field| ("PATH", field));
    let execve_program = event
        .records
        .iter()
        .filter(|record| record.record_type == "EXECVE")
        .find_map(|record| record.fields.iter().find(|field| field.name == "a0"))
        .map(|field| ("EXECVE", field));
    let from_field = |name: &str| {
        ordered.iter().find_map(|record| {
            record
                .fields
                .iter()
                .find(|field| field.name == name && !is_unset(&field.value))
                .map(|field| (record.record_type.as_str(), field))
        })
    };

    let chosen = path_name
        .or_else(|| from_field("cmd"))
        .or_else(|| from_field("unit"))
        .or(execve_program)
        .or_else(|| {
            if actor_is_account {
                None
            } else {
                from_field("acct").filter(|(_, field)| field.value != "(invalid user)")
            }
        })
        .or_else(|| from_field("exe"))
        .or_else(|| from_field("comm"))
        .or_else(|| from_field("proctitle"));
    match chosen {
        Some((record_type, field)) => {
            let value = display_value(record_type, field, sanitizer);
            sanitizer.name(&value)
        }
        None => String::new(),
    }
}

/// Returns `Some(true)` for a field that reports a failure or denial, `Some(false)` for one
/// that reports success, and `None` for any other field.
fn reports_failure(record: &Record, name: &str, value: &str) -> Option<bool> {
    match (name, value) {
        ("res", "success" | "yes" | "1") | ("success", "yes") => Some(false),
        ("res", "failed" | "failure" | "no" | "0") | ("success", "no") | ("apparmor", "DENIED") => Some(true),
        ("text", text) if record.record_type == "AVC" => {
            let mut words = text.split_whitespace();
            match (words.next(), words.next()) {
                (Some("avc:"), Some("denied")) => Some(true),
                (Some("avc:"), Some("granted")) => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Returns the outcome and the text for `audit.outcome_from`.
fn outcome(event: &AuditdEvent, labels: &[String]) -> (AuditResult, String) {
    let mut failures = Vec::new();
    let mut failures_chars = 0;
    let mut first_success = None;
    for (record, label) in event.records.iter().zip(labels) {
        for field in &record.fields {
            let Some(failed) = reports_failure(record, &field.name, &field.value) else {
                continue;
            };
            let stated = format!("{label}.{}={}", field.name, field.value);
            if failed {
                // The reason is cut to the string limit anyway, so stop collecting well past it.
                if failures_chars > 2 * MAX_STRING_CHARS {
                    continue;
                }
                let failure = match record.value("exit").filter(|_| field.name == "success") {
                    Some(exit) => format!("{stated}, {label}.exit={exit}"),
                    None => stated,
                };
                failures_chars += failure.len() + 2;
                failures.push(failure);
            } else if first_success.is_none() {
                first_success = Some(stated);
            }
        }
    }

    if !failures.is_empty() {
        let reason = failures.join("; ");
        return (AuditResult::Failure { reason: reason.clone() }, reason);
    }
    match first_success {
        Some(stated) => (AuditResult::Success, stated),
        None => (AuditResult::Success, "none: no res=, success= or denial field, so stored as success".to_owned()),
    }
}
