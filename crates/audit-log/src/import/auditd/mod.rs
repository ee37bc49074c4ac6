//! Parser for the Linux audit daemon's text log, and its mapping to [`AuditEvent`](audit_logging::AuditEvent).
//!
//! # Input
//!
//! One record per line, as auditd writes `/var/log/audit/audit.log` and `ausearch --raw`
//! prints it:
//!
//! ```text
//! node=web1 type=USER_AUTH msg=audit(1489636960.072:19623789): pid=28281 uid=0 auid=700 msg='op=PAM:authentication acct="root" exe="/bin/su" addr=? res=success'
//! ```
//!
//! - `node=HOST` is optional. `type=TYPE` and `msg=audit(SECONDS.MILLISECONDS:SERIAL)` are
//!   required, and a line without them is reported as a [`ParseIssue`].
//! - Fields are `key=value` or `key="value"`. Some fields (`proctitle`, the `EXECVE`
//!   arguments, `name`, `comm`, `exe`, `cwd`, `cmd`, `acct`, `data`, `key` and others) are
//!   written as hex when the value contains a space, a quote or a control byte. Such a value is
//!   decoded only when it is unquoted and has an even number of hex digits, so `(null)` and `?`
//!   stay as they are.
//! - The single-quoted `msg='...'` of records written by user-space programs (PAM, sshd,
//!   shadow-utils) is expanded into the record's own fields. An inner field whose name the
//!   record already has is stored as `msg.NAME`.
//! - Words that are not `key=value` are kept: words before the first field form a `text`
//!   field (`user`, `auditd start,`, `avc:  denied  { read } for`), a word after an unquoted
//!   value extends that value (`op=adding group to /etc/group`), and the old kernel form
//!   `old auid=1 new auid=2` becomes `old-auid=1 auid=2`. A repeated name gets `#2`, `#3`.
//! - In the enriched format (`log_format = ENRICHED`) a GS character (0x1D) separates the raw
//!   fields from resolved names such as `UID="root"`. Those are kept in [`Record::enriched`].
//! - The `----` and `time->...` lines that `ausearch` prints between events are counted in
//!   [`Summary::separator_lines`] and otherwise skipped. The interpreted output of
//!   `ausearch -i` is not supported: its lines are reported as issues.
//!
//! Records with the same node, time and serial form one [`AuditdEvent`], also when other
//! records lie between them. An `EOE` record closes its event, and a later record with the
//! same time and serial starts a new one.
//!
//! # Mapping to `AuditEvent`
//!
//! | auditd event | `AuditEvent` |
//! |---|---|
//! | one `USER_AUTH` or `USER_LOGIN` record, `res=success`, account known from `acct` or `id` | `AuthSuccess` |
//! | one `USER_AUTH` or `USER_LOGIN` record, `res=failed`, `addr` is an IP address | `AuthFailure` |
//! | everything else, including the cases above without an account or address | `External` |
//!
//! `USER_START` (PAM session open), `USER_ACCT` (PAM account check) and `CRED_*` records stay
//! `External`: each follows the `USER_AUTH` of the same login, so mapping them to
//! `AuthSuccess` would count one login several times.
//!
//! `AuthSuccess` takes `user_id` from `acct` (or `uid=N` from `id`), `ip` from `addr`,
//! `session_id` from `ses`, `path` from `terminal` and `service_id` from `exe` (as `NODE:EXE`
//! when the record names a node). It has no map for the other fields, so
//! [`Adjustments::unmapped_fields`] counts them. `AuthFailure` writes every field of the
//! record, with the audit serial and line number, into `reason`.
//!
//! `External` uses `source = "auditd"` and:
//! - `action`: the type of the primary record, which is the first record that is neither
//!   `SYSCALL` nor auxiliary (`PATH`, `CWD`, `EXECVE`, `PROCTITLE`, `SOCKADDR`, ...), else the
//!   `SYSCALL` record, else the first record. For `SYSCALL` the action is the resolved name
//!   from the enriched format (`execve`) or `syscall 59`.
//! - `actor`: the `auid` if set (`auid=1000`, or the enriched name), else `acct`, else the
//!   `uid` (`uid=0`, or the enriched name), else `unknown`. The primary record is searched
//!   first.
//! - `target`: the first `PATH` name, else `cmd`, `unit`, the `EXECVE` `a0`, `acct` (when the
//!   actor is not already the account), `exe`, `comm`, `proctitle`, else empty.
//! - `outcome`: `Failure` if any record has `res=failed`/`res=0`, `success=no` or
//!   `apparmor="DENIED"`, or is an SELinux `avc: denied`. Otherwise `Success`, also when no
//!   record states a result. `details["audit.outcome_from"]` names the deciding field, or
//!   states that none was found.
//! - `details`: `audit.serial`, `audit.node`, `audit.records` (record types in order),
//!   `audit.lines` (line numbers), `audit.outcome_from`, then every field as `TYPE.name`, or
//!   `TYPE[i].name` (i counted from 0) when the event has several records of that type.
//!   Enriched fields are stored as `TYPE.enriched.NAME`.
//!
//! Every string is made to pass the library's validation (see [`audit_logging::check_text`]):
//! forbidden characters are written as visible escapes (`\x1b`, `\u{202e}`, and `\t`, `\n`,
//! `\r` outside free-text fields), values longer than the limit are cut with a marker, NUL
//! separators in process titles and `execve` arguments become spaces as `ausearch -i` shows
//! them, and detail entries beyond the entry or size limit are replaced by one
//! `audit.omitted` entry. [`Adjustments`] counts each of these changes.

mod decode;
mod fields;
mod map;
mod parse;
mod sanitize;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, Utc};

pub use map::{to_event, Mapped};
pub use parse::{parse, parse_bytes};
pub use sanitize::Adjustments;

/// The result of parsing one auditd log: the grouped events and the lines that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Events in the order of their first record.
    pub events: Vec<AuditdEvent>,
    /// Lines that are not records, in line order.
    pub issues: Vec<ParseIssue>,
    /// Line, record, event and issue counts.
    pub summary: Summary,
}

/// Counts that account for every line of the input.
///
/// Each non-blank line is exactly one of: a record of one event, an issue, or an `ausearch`
/// separator. [`Summary::is_balanced`] checks this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Non-blank lines read.
    pub lines: usize,
    /// Lines that are empty or contain only spaces, tabs and a carriage return.
    pub blank_lines: usize,
    /// `----` and `time->...` lines printed by `ausearch`.
    pub separator_lines: usize,
    /// Records parsed; each belongs to exactly one event.
    pub records: usize,
    /// Events formed from the records.
    pub events: usize,
    /// Lines reported as issues.
    pub issues: usize,
}

impl Summary {
    /// Returns true when every non-blank line is counted once as a record, an issue or a
    /// separator.
    pub fn is_balanced(&self) -> bool {
        self.records + self.issues + self.separator_lines == self.lines
    }
}

/// A line that could not be parsed as an auditd record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIssue {
    /// Line number, counted from 1.
    pub line: usize,
    /// Description of the problem. Values quoted from the line are escaped and shortened.
    pub reason: String,
}

impl fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The records that share one `msg=audit(TIME:SERIAL)` stamp on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditdEvent {
    /// The `node=` name, when the log has one.
    pub node: Option<String>,
    /// Event time in UTC, with the precision written in the log (milliseconds for auditd).
    pub time: DateTime<Utc>,
    /// Serial number the kernel or auditd assigned to the event.
    pub serial: u64,
    /// Records in line order. Never empty for events returned by [`parse`].
    pub records: Vec<Record>,
}

/// One line of the log: a record of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Line number, counted from 1.
    pub line: usize,
    /// The `type=` value, such as `SYSCALL` or `USER_LOGIN`.
    pub record_type: String,
    /// Fields in the order they appear, with `msg='...'` expanded and hex decoded.
    pub fields: Vec<Field>,
    /// Fields after the GS separator of the enriched format, such as `UID` or `SYSCALL`.
    pub enriched: Vec<Field>,
}

impl Record {
    /// Returns the value of the first field called `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|field| field.name == name).map(|field| field.value.as_str())
    }

    /// Returns the value of the first enriched field called `name`.
    pub fn enriched_value(&self, name: &str) -> Option<&str> {
        self.enriched.iter().find(|field| field.name == name).map(|field| field.value.as_str())
    }
}

/// One `key=value` field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field name, made unique within its record (see the module documentation).
    pub name: String,
    /// Value with quotes removed and hex decoded. It may contain any character, including
    /// NUL and control characters, until [`to_event`] escapes them.
    pub value: String,
    /// Form of the value in the log.
    pub encoding: Encoding,
}

/// Form in which a field value was written in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Unquoted and stored as written, such as `pid=4121`, `addr=?` or `key=(null)`.
    Plain,
    /// Between double or single quotes, which are removed.
    Quoted,
    /// Hex digits, decoded. Decoded bytes that are not valid UTF-8 are written as `\xNN`.
    Hex {
        /// Number of bytes written as `\xNN` because they were not valid UTF-8.
        invalid_utf8_bytes: usize,
    },
}
