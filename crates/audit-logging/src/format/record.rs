//! Record lines: encoding, the hashed bytes, and decoding.
//!
//! A record is one line of JSON:
//!
//! ```text
//! {"seq":7,"audit_id":"audit-svc-0000000000000007","timestamp":"…","service_id":"svc",
//!  "event":{"event_type":"vram_sealed",…},"prev_hash":"<64 hex>","hash":"<64 hex>"}
//! ```
//!
//! (shown wrapped; stored on one line). The record's hash is SHA-256 over the line's bytes up
//! to, not including, the final `,"hash":"` suffix. Those bytes include `prev_hash`, so each hash
//! covers the previous one. Verification hashes the bytes as read and never re-encodes JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Hash;
use crate::event::AuditEvent;

/// Bytes between the hashed part of a line and the end: `,"hash":"` + 64 hex + `"}`.
const HASH_SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;
const HASH_KEY: &[u8] = b",\"hash\":\"";

/// Records the writer itself adds to the chain, stored under `system` rather than `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SystemEvent {
    /// Opening the log found an incomplete last line (a crash mid-write). The bytes were saved
    /// to `saved_as` and removed from the segment before this record was appended.
    TornTailRecovered {
        /// Segment file name.
        segment: String,
        /// Byte offset in the segment where the torn bytes began.
        offset: u64,
        /// Number of torn bytes.
        length: u64,
        /// SHA-256 of the torn bytes.
        sha256: Hash,
        /// Path of the saved copy, relative to the log directory.
        saved_as: String,
    },
    /// Events were not accepted. They have no sequence numbers. This record sits where the
    /// writer learned of them, and `verify` reports it as a declared gap.
    EventsLost {
        /// How many events.
        count: u64,
        /// Why: `queue_full`, `dropped`, `writer_failed`, `disk_space_low` or `invalid_input`.
        reason: String,
        /// When the first of them was refused.
        first_at: DateTime<Utc>,
        /// When the last of them was refused.
        last_at: DateTime<Utc>,
    },
    /// The writer could not write or fsync for a while and then recovered. Events accepted
    /// before the failure were kept in memory and written on recovery.
    WriterRecovered {
        /// When the first error happened.
        failed_at: DateTime<Utc>,
        /// When writing worked again.
        recovered_at: DateTime<Utc>,
        /// The first error.
        error: String,
        /// Events rejected with `WriterFailed` during the outage.
        events_refused: u64,
    },
}

/// Content of a record: an event from a caller, or a record from the writer.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    /// An event passed to `emit`.
    Event(AuditEvent),
    /// A record the writer added (recovery and similar).
    System(SystemEvent),
}

impl RecordBody {
    /// Returns the snake_case event type.
    pub fn event_type(&self) -> &'static str {
        match self {
            RecordBody::Event(event) => event.event_type(),
            RecordBody::System(SystemEvent::TornTailRecovered { .. }) => "torn_tail_recovered",
            RecordBody::System(SystemEvent::EventsLost { .. }) => "events_lost",
            RecordBody::System(SystemEvent::WriterRecovered { .. }) => "writer_recovered",
        }
    }
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// Sequence number, contiguous from 0 across segments.
    pub seq: u64,
    /// `audit-{service_id}-{seq:016x}`.
    pub audit_id: String,
    /// When the logger accepted the event.
    pub timestamp: DateTime<Utc>,
    /// Service that wrote the record.
    pub service_id: String,
    /// The event.
    pub body: RecordBody,
    /// Hash of the previous record.
    pub prev_hash: Hash,
    /// This record's hash.
    pub hash: Hash,
}

#[derive(Serialize)]
struct EncodedRecord<'a> {
    seq: u64,
    audit_id: &'a str,
    #[serde(serialize_with = "super::time::serialize_rfc3339")]
    timestamp: DateTime<Utc>,
    service_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a AuditEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a SystemEvent>,
    prev_hash: Hash,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodedRecord {
    seq: u64,
    audit_id: String,
    timestamp: DateTime<Utc>,
    service_id: String,
    #[serde(default)]
    event: Option<AuditEvent>,
    #[serde(default)]
    system: Option<SystemEvent>,
    prev_hash: Hash,
    hash: Hash,
}

/// The fields verification needs, parsed from a line without building the event.
#[derive(Deserialize)]
pub(crate) struct RecordFields<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub audit_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub service_id: std::borrow::Cow<'a, str>,
    pub prev_hash: Hash,
    pub hash: Hash,
    /// Present on records the writer added; only the fields `verify` reports are read.
    #[serde(default)]
    pub system: Option<SystemFields>,
}

/// The parts of a writer record that `verify` reports as a declared gap or repair.
#[derive(Deserialize)]
pub(crate) struct SystemFields {
    pub event_type: String,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub events_refused: Option<u64>,
    #[serde(default)]
    pub length: Option<u64>,
}

/// The fields verification needs, read at their fixed places in a line the writer produced.
pub(crate) struct CanonicalFields<'a> {
    pub seq: u64,
    pub audit_id: &'a [u8],
    pub service_id: &'a [u8],
    pub prev_hash: Hash,
}

/// Reads the fields of a record line without a JSON parser, given the hashed part (the line
/// up to the hash field). Returns `None` for anything but the exact shape `encode_record`
/// writes for an event record, and for writer records (`system`), so that the caller falls
/// back to a full JSON parse; that keeps verification fast without accepting another shape.
pub(crate) fn read_canonical(hashed: &[u8]) -> Option<CanonicalFields<'_>> {
    const PREV_KEY: &[u8] = b",\"prev_hash\":\"";
    let rest = hashed.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().position(|b| !b.is_ascii_digit())?;
    if digits == 0 || digits > 20 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let seq = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let (audit_id, rest) = quoted_value(&rest[digits..], b",\"audit_id\":\"")?;
    let (_, rest) = quoted_value(rest, b",\"timestamp\":\"")?;
    let (service_id, rest) = quoted_value(rest, b",\"service_id\":\"")?;
    if !rest.starts_with(b",\"event\":{") {
        return None;
    }
    let tail = rest.len().checked_sub(PREV_KEY.len() + 64 + 1)?;
    let suffix = &rest[tail..];
    if !suffix.starts_with(PREV_KEY) || suffix.last() != Some(&b'"') {
        return None;
    }
    let prev_hash = Hash::from_hex_bytes(&suffix[PREV_KEY.len()..PREV_KEY.len() + 64])?;
    Some(CanonicalFields { seq, audit_id, service_id, prev_hash })
}

/// Reads `KEY"VALUE"` at the start of `input` (the key given with its opening quote), where
/// VALUE has no quote or backslash; returns VALUE and the rest after its closing quote.
fn quoted_value<'a>(input: &'a [u8], key: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let rest = input.strip_prefix(key)?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest[end] != b'"' {
        return None;
    }
    Some((&rest[..end], &rest[end + 1..]))
}

/// Appends the line for one record (with its `\n`) to `out` and returns the record's hash.
pub(crate) fn encode_record(
    out: &mut Vec<u8>,
    seq: u64,
    audit_id: &str,
    timestamp: DateTime<Utc>,
    service_id: &str,
    body: &RecordBody,
    prev_hash: Hash,
) -> Hash {
    let (event, system) = match body {
        RecordBody::Event(event) => (Some(event), None),
        RecordBody::System(system) => (None, Some(system)),
    };
    let record = EncodedRecord { seq, audit_id, timestamp, service_id, event, system, prev_hash };
    let start = out.len();
    // Writing validated strings, numbers and timestamps into a Vec cannot fail: serde_json only
    // fails on I/O errors, non-string map keys and non-finite floats, none of which occur here.
    serde_json::to_writer(&mut *out, &record).expect("audit record serialises");
    // Drop the closing brace: the hash field is appended after hashing the bytes so far.
    out.pop();
    let hash = Hash::of(&out[start..]);
    out.extend_from_slice(HASH_KEY);
    let mut hex = [0u8; 64];
    out.extend_from_slice(hash.hex_into(&mut hex).as_bytes());
    out.extend_from_slice(b"\"}\n");
    hash
}

/// Splits a line (without its `\n`) into the hashed bytes and the stored hash.
pub(crate) fn split_line(line: &[u8]) -> Result<(&[u8], Hash), &'static str> {
    if line.len() < HASH_SUFFIX_LEN + 2 || !line.ends_with(b"\"}") {
        return Err("line does not end with a hash field");
    }
    let split = line.len() - HASH_SUFFIX_LEN;
    let (body, suffix) = line.split_at(split);
    if !suffix.starts_with(HASH_KEY) {
        return Err("line does not end with a hash field");
    }
    let hash = Hash::from_hex_bytes(&suffix[HASH_KEY.len()..HASH_KEY.len() + 64]).ok_or("hash is not 64 lowercase hex digits")?;
    Ok((body, hash))
}

impl StoredRecord {
    /// Decodes one line (without its `\n`). Does not check the hash; see [`crate::verify()`].
    pub fn decode(line: &[u8]) -> Result<StoredRecord, String> {
        let raw: DecodedRecord = serde_json::from_slice(line).map_err(|e| format!("invalid record: {e}"))?;
        let body = match (raw.event, raw.system) {
            (Some(event), None) => RecordBody::Event(event),
            (None, Some(system)) => RecordBody::System(system),
            _ => return Err("invalid record: exactly one of `event` and `system` must be present".into()),
        };
        Ok(StoredRecord {
            seq: raw.seq,
            audit_id: raw.audit_id,
            timestamp: raw.timestamp,
            service_id: raw.service_id,
            body,
            prev_hash: raw.prev_hash,
            hash: raw.hash,
        })
    }
}

impl StoredRecord {
    /// Returns the record as a JSON object with the same fields as the stored line.
    pub fn to_json(&self) -> serde_json::Value {
        let (key, body) = match &self.body {
            RecordBody::Event(event) => ("event", serde_json::to_value(event)),
            RecordBody::System(system) => ("system", serde_json::to_value(system)),
        };
        let mut object = serde_json::Map::new();
        object.insert("seq".into(), self.seq.into());
        object.insert("audit_id".into(), self.audit_id.clone().into());
        object.insert("timestamp".into(), self.timestamp.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true).into());
        object.insert("service_id".into(), self.service_id.clone().into());
        object.insert(key.into(), body.unwrap_or(serde_json::Value::Null));
        object.insert("prev_hash".into(), self.prev_hash.to_hex().into());
        object.insert("hash".into(), self.hash.to_hex().into());
        serde_json::Value::Object(object)
    }
}
