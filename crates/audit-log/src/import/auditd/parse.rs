//! Reading lines into records, and grouping records into events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::fields::{parse_fields, Interpretation};
use super::sanitize::snippet;
use super::{AuditdEvent, ParseIssue, Parsed, Record, Summary};

/// The GS (group separator) character that starts the resolved fields of the enriched format.
const ENRICHED_SEPARATOR: char = '\u{1d}';

/// Parses auditd log text into events and issues. See the module documentation for the format.
pub fn parse(text: &str) -> Parsed {
    parse_bytes(text.as_bytes())
}

/// Parses auditd log bytes. A line that is not valid UTF-8 is reported as an issue and
/// parsing continues with the next line.
pub fn parse_bytes(input: &[u8]) -> Parsed {
    let mut summary = Summary::default();
    let mut issues = Vec::new();
    let mut grouper = Grouper::default();

    for (index, raw_line) in input.split_inclusive(|&byte| byte == b'\n').enumerate() {
        let line_number = index + 1;
        let trimmed = raw_line.trim_ascii();
        if trimmed.is_empty() {
            summary.blank_lines += 1;
            continue;
        }
        summary.lines += 1;

        let line = match std::str::from_utf8(trimmed) {
            Ok(line) => line,
            Err(error) => {
                let reason = format!("line is not valid UTF-8 (invalid byte at offset {})", error.valid_up_to());
                issues.push(ParseIssue { line: line_number, reason });
                continue;
            }
        };
        if is_separator(line) {
            summary.separator_lines += 1;
            continue;
        }

        let outcome = parse_line(line, line_number).and_then(|stamped| grouper.add(stamped));
        match outcome {
            Ok(()) => summary.records += 1,
            Err(reason) => issues.push(ParseIssue { line: line_number, reason }),
        }
    }

    let events = grouper.events;
    summary.events = events.len();
    summary.issues = issues.len();
    Parsed { events, issues, summary }
}

/// Returns true for the lines `ausearch` prints between events.
fn is_separator(line: &str) -> bool {
    line.starts_with("time->") || (line.len() >= 4 && line.bytes().all(|byte| byte == b'-'))
}

/// Identifies the event a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct EventKey {
    node: Option<String>,
    time: DateTime<Utc>,
    serial: u64,
}

/// A parsed record with the stamp of its event.
struct StampedRecord {
    key: EventKey,
    record: Record,
}

fn parse_line(line: &str, line_number: usize) -> Result<StampedRecord, String> {
    let (raw_part, enriched_part) = match line.split_once(ENRICHED_SEPARATOR) {
        Some((raw, enriched)) => (raw, Some(enriched)),
        None => (line, None),
    };

    let mut rest = raw_part;
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let (name, remaining) = split_word(after);
        if name.is_empty() {
            return Err("node= has no value".to_owned());
        }
        node = Some(name.to_owned());
        rest = remaining;
    }

    let Some(after_type) = rest.strip_prefix("type=") else {
        return Err(format!("expected \"type=\" at the start of the record, found {}", snippet(rest)));
    };
    let (record_type, rest) = split_word(after_type);
    check_record_type(record_type)?;

    let Some(after_msg) = rest.strip_prefix("msg=audit(") else {
        return Err(format!("expected \"msg=audit(TIME:SERIAL)\" after type={record_type}, found {}", snippet(rest)));
    };
    let Some(close) = after_msg.find(')') else {
        return Err("msg=audit( has no closing parenthesis".to_owned());
    };
    let (time, serial) = parse_stamp(&after_msg[..close])?;
    let body = &after_msg[close + 1..];
    let body = body.strip_prefix(':').unwrap_or(body);

    let fields = parse_fields(record_type, body, Interpretation::Record)?;
    let enriched = match enriched_part {
        Some(text) => parse_fields(record_type, text, Interpretation::Enriched)?,
        None => Vec::new(),
    };

    let record = Record { line: line_number, record_type: record_type.to_owned(), fields, enriched };
    Ok(StampedRecord { key: EventKey { node, time, serial }, record })
}

/// Splits off the text up to the first space or tab, and skips the spaces after it.
fn split_word(text: &str) -> (&str, &str) {
    let end = text.find([' ', '\t']).unwrap_or(text.len());
    (&text[..end], text[end..].trim_start_matches([' ', '\t']))
}

fn check_record_type(record_type: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']');
    if record_type.is_empty() || record_type.len() > 64 || !record_type.chars().all(allowed) {
        return Err(format!(
            "invalid record type {}: expected up to 64 letters, digits, '_', '[' or ']'",
            snippet(record_type)
        ));
    }
    Ok(())
}

/// Parses `SECONDS.FRACTION:SERIAL`, the inside of `msg=audit(...)`.
fn parse_stamp(stamp: &str) -> Result<(DateTime<Utc>, u64), String> {
    let Some((time_text, serial_text)) = stamp.rsplit_once(':') else {
        return Err(format!("invalid msg=audit({}): expected TIME:SERIAL", snippet(stamp)));
    };
    let serial = serial_text
        .parse::<u64>()
        .map_err(|_| format!("invalid serial number {} in msg=audit(...)", snippet(serial_text)))?;
    let time = parse_time(time_text).ok_or_else(|| {
        let hint = if time_text.contains('/') {
            " (the interpreted output of ausearch -i is not supported; use ausearch --raw)"
        } else {
            ""
        };
        format!(
            "invalid event time {} in msg=audit(...): expected seconds since the Unix epoch, such as 1489519230.178{hint}",
            snippet(time_text)
        )
    })?;
    Ok((time, serial))
}

/// Parses `SECONDS` or `SECONDS.FRACTION` with up to 9 fraction digits.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let (seconds_text, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if seconds_text.is_empty() || seconds_text.len() > 18 || !digits(seconds_text) {
        return None;
    }
    if fraction.len() > 9 || !digits(fraction) {
        return None;
    }
    let seconds: i64 = seconds_text.parse().ok()?;
    let nanos: u32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
    DateTime::from_timestamp(seconds, nanos)
}

/// Collects records into events by their stamp.
#[derive(Default)]
struct Grouper {
    events: Vec<AuditdEvent>,
    /// Events that have not seen their `EOE` record, by stamp, as indexes into `events`.
    open: HashMap<EventKey, usize>,
}

impl Grouper {
    fn add(&mut self, stamped: StampedRecord) -> Result<(), String> {
        let StampedRecord { key, record } = stamped;
        if record.record_type == "EOE" {
            let Some(index) = self.open.remove(&key) else {
                return Err(format!(
                    "end-of-event record (EOE) for serial {} has no records before it. Its records may be in an earlier file",
                    key.serial
                ));
            };
            self.events[index].records.push(record);
            return Ok(());
        }

        match self.open.get(&key) {
            Some(&index) => self.events[index].records.push(record),
            None => {
                let event =
                    AuditdEvent { node: key.node.clone(), time: key.time, serial: key.serial, records: vec![record] };
                self.open.insert(key, self.events.len());
                self.events.push(event);
            }
        }
        Ok(())
    }
}
