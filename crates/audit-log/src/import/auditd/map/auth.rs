//! `AuthSuccess` and `AuthFailure` for single PAM authentication and login records.

use std::fmt::Write as _;
use std::net::IpAddr;

use audit_logging::{ActorInfo, AuditEvent, AuthMethod};

use super::{event_time, is_unset, known_account};
use crate::import::auditd::sanitize::Sanitizer;
use crate::import::auditd::{AuditdEvent, Record};

/// Record types that report the result of an authentication or login.
const AUTH_TYPES: &[&str] = &["USER_AUTH", "USER_LOGIN"];

/// Fields that `AuthSuccess` carries besides the user (`acct` or `id`). The others are
/// counted in `Adjustments::unmapped_fields`.
const SUCCESS_FIELDS: &[&str] = &["addr", "ses", "terminal", "exe", "res"];

/// The variant an authentication event maps to, decided before any text is cleaned.
pub(super) enum AuthOutcome<'a> {
    Success { record: &'a Record, user: User<'a> },
    Failure { record: &'a Record, ip: IpAddr },
}

/// The account that authenticated.
pub(super) enum User<'a> {
    /// The `acct` value.
    Account(&'a str),
    /// The `id` value, with its enriched name if the log has one.
    Uid { uid: &'a str, name: Option<&'a str> },
}

/// Returns how `event` maps if it is a single authentication record with a usable result.
pub(super) fn classify(event: &AuditdEvent) -> Option<AuthOutcome<'_>> {
    let mut records = event.records.iter().filter(|record| record.record_type != "EOE");
    let record = records.next()?;
    if records.next().is_some() || !AUTH_TYPES.contains(&record.record_type.as_str()) {
        return None;
    }
    match record.value("res")? {
        "success" => user(record).map(|user| AuthOutcome::Success { record, user }),
        "failed" => {
            let ip = record.value("addr")?.parse::<IpAddr>().ok()?;
            Some(AuthOutcome::Failure { record, ip })
        }
        _ => None,
    }
}

fn user(record: &Record) -> Option<User<'_>> {
    if let Some(account) = known_account(record) {
        return Some(User::Account(account));
    }
    let uid = record.value("id").filter(|uid| !is_unset(uid))?;
    let name = record.enriched_value("ID").filter(|name| !is_unset(name));
    Some(User::Uid { uid, name })
}

/// Builds the `AuthSuccess` or `AuthFailure` for an event that [`classify`] accepted.
pub(super) fn to_auth_event(event: &AuditdEvent, outcome: &AuthOutcome<'_>, sanitizer: &mut Sanitizer) -> AuditEvent {
    match *outcome {
        AuthOutcome::Success { record, ref user } => success(event, record, user, sanitizer),
        AuthOutcome::Failure { record, ip } => failure(event, record, ip, sanitizer),
    }
}

fn success(event: &AuditdEvent, record: &Record, user: &User<'_>, sanitizer: &mut Sanitizer) -> AuditEvent {
    let user_id = match *user {
        User::Account(account) => sanitizer.name(account),
        User::Uid { name: Some(name), .. } => sanitizer.name(name),
        User::Uid { uid, name: None } => sanitizer.name(&format!("uid={uid}")),
    };
    let session_id = record.value("ses").filter(|ses| !is_unset(ses)).map(|ses| sanitizer.name(ses));
    let ip = record.value("addr").and_then(|addr| addr.parse::<IpAddr>().ok());

    let user_field = match user {
        User::Account(_) => "acct",
        User::Uid { .. } => "id",
    };
    let unmapped_fields = record
        .fields
        .iter()
        .filter(|field| field.name != user_field && !SUCCESS_FIELDS.contains(&field.name.as_str()))
        .count();
    let unmapped_enriched = match user {
        User::Uid { name: Some(_), .. } => record.enriched.len().saturating_sub(1),
        _ => record.enriched.len(),
    };
    sanitizer.adjustments.unmapped_fields += unmapped_fields + unmapped_enriched;

    AuditEvent::AuthSuccess {
        timestamp: event_time(event),
        actor: ActorInfo { user_id, ip, auth_method: AuthMethod::Internal, session_id },
        method: AuthMethod::Internal,
        path: terminal(record, sanitizer),
        service_id: service_id(event, record, sanitizer),
    }
}

fn failure(event: &AuditdEvent, record: &Record, ip: IpAddr, sanitizer: &mut Sanitizer) -> AuditEvent {
    AuditEvent::AuthFailure {
        timestamp: event_time(event),
        attempted_user: known_account(record).map(|account| sanitizer.name(account)),
        reason: sanitizer.free_text(&failure_reason(event, record)),
        ip,
        path: terminal(record, sanitizer),
        service_id: service_id(event, record, sanitizer),
    }
}

/// Writes every field of the record into one line, because `AuthFailure` has no details map.
fn failure_reason(event: &AuditdEvent, record: &Record) -> String {
    let mut reason = format!("{} failed (audit serial {}, line {}):", record.record_type, event.serial, record.line);
    if let Some(node) = &event.node {
        push_field(&mut reason, "node", node);
    }
    for field in record.fields.iter().chain(&record.enriched) {
        push_field(&mut reason, &field.name, &field.value);
    }
    reason
}

fn push_field(out: &mut String, name: &str, value: &str) {
    let needs_quotes = value.is_empty() || value.contains([' ', '\t', '"']);
    // Writing to a String cannot fail.
    let _ = if needs_quotes { write!(out, " {name}=\"{value}\"") } else { write!(out, " {name}={value}") };
}

fn terminal(record: &Record, sanitizer: &mut Sanitizer) -> String {
    match record.value("terminal").filter(|terminal| !is_unset(terminal)) {
        Some(terminal) => sanitizer.name(terminal),
        None => String::new(),
    }
}

/// Returns `exe`, or `NODE:EXE` when the event names a node.
fn service_id(event: &AuditdEvent, record: &Record, sanitizer: &mut Sanitizer) -> String {
    let exe = record.value("exe").filter(|exe| !is_unset(exe)).unwrap_or("");
    match &event.node {
        Some(node) => sanitizer.name(&format!("{node}:{exe}")),
        None => sanitizer.name(exe),
    }
}
