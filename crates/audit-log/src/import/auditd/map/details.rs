//! The `details` map of an `External` event: every field of every record, within the limits.

use std::collections::BTreeMap;

use audit_logging::limits::{MAX_DETAILS, MAX_EVENT_BYTES, MAX_STRING_CHARS};

use crate::import::auditd::decode::is_execve_argument;
use crate::import::auditd::sanitize::Sanitizer;
use crate::import::auditd::{AuditdEvent, Encoding, Field};

/// Upper bound of the encoded size of the parts of an `External` event that
/// [`encoded_size`] is not applied to: field names, tags, the timestamp and brackets.
pub(super) const FIXED_BYTES: usize = 1024;

/// Room kept for the `audit.omitted` entry.
const OMITTED_ENTRY_BYTES: usize = 512;

/// Keys stay this much below the string limit so that a `#N` suffix still fits.
const MAX_KEY_CHARS: usize = MAX_STRING_CHARS - 16;

/// Returns the size the library's validation assumes for a string once encoded: escaping may
/// double every byte, and quotes and a separator add three.
pub(super) fn encoded_size(text: &str) -> usize {
    2 * text.len() + 3
}

/// Returns true for values whose NUL bytes separate arguments: `proctitle` and `execve`
/// arguments. `ausearch -i` shows those NULs as spaces.
pub(super) fn is_nul_separated(record_type: &str, name: &str) -> bool {
    name == "proctitle" || (record_type == "EXECVE" && is_execve_argument(name))
}

/// Replaces NUL separators by spaces where [`is_nul_separated`] applies, counting the change.
pub(super) fn display_value(record_type: &str, field: &Field, sanitizer: &mut Sanitizer) -> String {
    if is_nul_separated(record_type, &field.name) && field.value.contains('\0') {
        sanitizer.adjustments.nul_separated_values += 1;
        return field.value.replace('\0', " ");
    }
    field.value.clone()
}

/// One detail entry before cleaning.
struct Entry<'a> {
    key: String,
    value: EntryValue<'a>,
}

enum EntryValue<'a> {
    /// A summary such as `audit.serial`, or an enriched field.
    Text(String),
    /// A record field with its record type, which decides NUL and UTF-8 handling.
    Field(&'a str, &'a Field),
}

/// Builds the details of `event`, keeping the entries in order until the entry limit or
/// `budget_bytes` of encoded size is reached, and stating how many were left out.
pub(super) fn build(
    event: &AuditdEvent,
    labels: &[String],
    outcome_from: &str,
    budget_bytes: usize,
    sanitizer: &mut Sanitizer,
) -> BTreeMap<String, String> {
    let entries = entries(event, labels, outcome_from);
    let total = entries.len();
    // When everything cannot be kept, one entry is needed for the `audit.omitted` note.
    let max_kept = if total > MAX_DETAILS { MAX_DETAILS - 1 } else { total };
    // The map's own brackets count 2 bytes.
    let budget = budget_bytes.saturating_sub(OMITTED_ENTRY_BYTES + 2);

    let mut details = BTreeMap::new();
    let mut used_bytes = 0;
    for entry in entries.into_iter().take(max_kept) {
        // Count changes only for entries that are kept.
        let mut scratch = Sanitizer::default();
        let key = scratch.clean(&entry.key, false, MAX_KEY_CHARS);
        let value = match entry.value {
            EntryValue::Text(text) => scratch.free_text(&text),
            EntryValue::Field(record_type, field) => field_value(record_type, field, &mut scratch),
        };

        let key = unique_key(&details, key);
        let cost = encoded_size(&key) + encoded_size(&value);
        if used_bytes + cost > budget {
            break;
        }
        used_bytes += cost;
        sanitizer.adjustments.add(&scratch.adjustments);
        details.insert(key, value);
    }

    let omitted = total - details.len();
    if omitted > 0 {
        sanitizer.adjustments.omitted_details += omitted;
        let note = format!(
            "{omitted} of {total} detail entries omitted: an event holds at most {MAX_DETAILS} entries and {MAX_EVENT_BYTES} bytes"
        );
        details.insert(unique_key(&details, "audit.omitted".to_owned()), note);
    }
    details
}

/// Cleans a field value. A decoded value with bytes that were not UTF-8 already contains
/// `\xNN` escapes, and counts as escaped once.
fn field_value(record_type: &str, field: &Field, sanitizer: &mut Sanitizer) -> String {
    let value = display_value(record_type, field, sanitizer);
    let escapes_before = sanitizer.adjustments.escaped_values;
    let value = sanitizer.free_text(&value);
    let has_invalid_utf8 = matches!(field.encoding, Encoding::Hex { invalid_utf8_bytes: 1.. });
    if has_invalid_utf8 && sanitizer.adjustments.escaped_values == escapes_before {
        sanitizer.adjustments.escaped_values += 1;
    }
    value
}

fn entries<'a>(event: &'a AuditdEvent, labels: &[String], outcome_from: &str) -> Vec<Entry<'a>> {
    let summary = |key: &str, value: String| Entry { key: key.to_owned(), value: EntryValue::Text(value) };
    let record_types: Vec<&str> = event.records.iter().map(|record| record.record_type.as_str()).collect();
    let lines: Vec<String> = event.records.iter().map(|record| record.line.to_string()).collect();

    let mut entries = vec![summary("audit.serial", event.serial.to_string())];
    if let Some(node) = &event.node {
        entries.push(summary("audit.node", node.clone()));
    }
    entries.push(summary("audit.records", record_types.join(",")));
    entries.push(summary("audit.lines", lines.join(",")));
    entries.push(summary("audit.outcome_from", outcome_from.to_owned()));

    for (record, label) in event.records.iter().zip(labels) {
        for field in &record.fields {
            let key = format!("{label}.{}", field.name);
            entries.push(Entry { key, value: EntryValue::Field(&record.record_type, field) });
        }
        for field in &record.enriched {
            let key = format!("{label}.enriched.{}", field.name);
            entries.push(Entry { key, value: EntryValue::Text(field.value.clone()) });
        }
    }
    entries
}

/// Returns `key`, or `key#2`, `key#3`, ... if the map already has it. Cleaning can map two
/// different raw keys to one text, and a record type may look like an indexed label.
fn unique_key(details: &BTreeMap<String, String>, key: String) -> String {
    if !details.contains_key(&key) {
        return key;
    }
    let mut suffix = 2;
    loop {
        let candidate = format!("{key}#{suffix}");
        if !details.contains_key(&candidate) {
            return candidate;
        }
        suffix += 1;
    }
}
