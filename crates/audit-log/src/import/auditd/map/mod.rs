//! Mapping of grouped auditd events to [`AuditEvent`]. The table is in the parent module's
//! documentation.

mod auth;
mod details;
mod external;

use audit_logging::AuditEvent;
use chrono::{DateTime, Utc};

use super::sanitize::{Adjustments, Sanitizer};
use super::{AuditdEvent, Record};

/// An [`AuditEvent`] built from one auditd event, with the changes made to fit the library's
/// rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The event, ready for `AuditLogger::emit`.
    pub event: AuditEvent,
    /// Counts of the escapes, truncations and left-out entries that made `event` valid.
    pub adjustments: Adjustments,
}

/// Maps one auditd event to one [`AuditEvent`] that passes the library's validation.
///
/// Never fails: text the library would reject is escaped or truncated, and
/// [`Mapped::adjustments`] counts each change.
pub fn to_event(event: &AuditdEvent) -> Mapped {
    let mut sanitizer = Sanitizer::default();
    let audit_event = match auth::classify(event) {
        Some(auth) => auth::to_auth_event(event, &auth, &mut sanitizer),
        None => external::to_external_event(event, &mut sanitizer),
    };
    Mapped { event: audit_event, adjustments: sanitizer.adjustments }
}

/// Returns the event time truncated to whole milliseconds, the precision auditd writes.
fn event_time(event: &AuditdEvent) -> DateTime<Utc> {
    let nanos = event.time.timestamp_subsec_nanos();
    let millis = nanos - nanos % 1_000_000;
    DateTime::from_timestamp(event.time.timestamp(), millis).unwrap_or(event.time)
}

/// Returns true for the values auditd writes for an id that is not set.
fn is_unset(value: &str) -> bool {
    matches!(value, "" | "?" | "-1" | "4294967295" | "unset" | "(none)" | "(null)")
}

/// Returns the `acct` value when it names an account. sshd writes `(invalid user)` or
/// `(unknown)` for a name it does not know.
fn known_account(record: &Record) -> Option<&str> {
    record.value("acct").filter(|account| !is_unset(account) && !matches!(*account, "(invalid user)" | "(unknown)"))
}

/// Returns the first value of `name` that is set, with the record it came from.
fn first_set<'a>(records: &[&'a Record], name: &str) -> Option<(&'a Record, &'a str)> {
    records.iter().find_map(|record| record.value(name).filter(|value| !is_unset(value)).map(|value| (*record, value)))
}
