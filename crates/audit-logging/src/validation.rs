//! Checks every string, list and nested value of an event before it is accepted.
//!
//! The check runs the event through serde with a serializer that writes nothing: it visits each
//! value exactly as the writer will later encode it, so a field added to an event can never be
//! missed. Rules:
//! - every string: at most [`MAX_STRING_CHARS`] characters; no NUL, ESC or other C0/C1 control
//!   character, no bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), no U+FEFF;
//! - free-text fields (reasons, details, validation errors, and every string inside
//!   `PoolModified::changes` or `External::details` values) may also contain TAB, LF and CR;
//! - every list or map: at most [`MAX_LIST_ITEMS`] items; nesting at most [`MAX_JSON_DEPTH`];
//! - the whole event: at most [`MAX_EVENT_BYTES`] once encoded (an upper bound computed here).

use std::fmt;

use serde::ser::{self, Serialize};

use crate::error::AuditError;
use crate::event::AuditEvent;
use crate::limits::{MAX_EVENT_BYTES, MAX_JSON_DEPTH, MAX_LIST_ITEMS, MAX_STRING_CHARS};

/// Returns true for field names whose values are prose and may contain TAB, LF and CR.
fn is_free_text_field(name: &str) -> bool {
    matches!(name, "reason" | "details" | "violation" | "validation_error" | "changes")
}

/// Upper bound of the encoded size of a value formatted through `Display`: an RFC 3339
/// timestamp with nanoseconds and an offset is 35 bytes plus quotes.
const COLLECTED_STR_BYTES: usize = 40;

/// Upper bound of the encoded size of a number, `true`, `false` or `null`.
const SCALAR_BYTES: usize = 24;

/// Validates `event`, returning [`AuditError::InvalidInput`] naming the first offending field,
/// or on success an upper bound of its encoded size in bytes.
pub(crate) fn validate_event(event: &AuditEvent) -> Result<usize, AuditError> {
    // The first pass keeps no field path, which is most of its cost; only when it finds a
    // problem does a second pass track the path to name the field.
    let mut checker = Checker::new(false);
    if let Err(Invalid(first)) = event.serialize(&mut checker) {
        let mut named = Checker::new(true);
        let message = match event.serialize(&mut named) {
            Err(Invalid(message)) => message,
            Ok(()) => first,
        };
        return Err(AuditError::InvalidInput(message));
    }
    if checker.encoded_bytes > MAX_EVENT_BYTES {
        return Err(AuditError::InvalidInput(format!(
            "event is too large: up to {} bytes encoded, limit {MAX_EVENT_BYTES}",
            checker.encoded_bytes
        )));
    }
    Ok(checker.encoded_bytes)
}

/// Checks one string against the rules above. `field` names it in the error.
pub fn check_text(field: &str, value: &str, free_text: bool) -> Result<(), AuditError> {
    check_str(value, free_text).map_err(|reason| AuditError::InvalidInput(format!("{field}: {reason}")))
}

fn check_str(value: &str, free_text: bool) -> Result<(), String> {
    // Fast path: printable ASCII only, and few enough bytes that the character limit holds.
    if value.len() <= MAX_STRING_CHARS && is_printable_ascii(value.as_bytes()) {
        return Ok(());
    }
    let mut count = 0usize;
    for (index, c) in value.chars().enumerate() {
        count += 1;
        if let Some(kind) = forbidden_kind(c, free_text) {
            return Err(format!("{kind} U+{:04X} at character {index} is not allowed", c as u32));
        }
    }
    if count > MAX_STRING_CHARS {
        return Err(format!("string has {count} characters, limit {MAX_STRING_CHARS}"));
    }
    Ok(())
}

/// Returns true if every byte is in 0x20..=0x7E, testing eight bytes at a time. It may return
/// false for some printable text (the caller then checks character by character), but never
/// true for text with any other byte.
fn is_printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte below 0x20 borrows into its high bit; a byte of 0x7F or more has or gets its
        // high bit set by adding one. Carries only ever add false alarms.
        let below_space = x.wrapping_sub(ONES * 0x20) & !x;
        let delete_or_high = x.wrapping_add(ONES) | x;
        if (below_space | delete_or_high) & HIGH != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|b| (0x20..0x7f).contains(b))
}

fn forbidden_kind(c: char, free_text: bool) -> Option<&'static str> {
    match c {
        '\t' | '\n' | '\r' if free_text => None,
        '\0' => Some("NUL"),
        '\u{1b}' => Some("ESC"),
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some("control character"),
        '\u{202a}'..='\u{202e}' => Some("bidirectional override"),
        '\u{2066}'..='\u{2069}' => Some("bidirectional isolate"),
        '\u{feff}' => Some("byte order mark"),
        _ => None,
    }
}

enum Segment {
    Field(&'static str),
    Index(usize),
    Key(String),
}

struct Checker {
    /// The field path, kept only when `track_path` is set.
    path: Vec<Segment>,
    track_path: bool,
    /// Nesting depth of the current value.
    depth: usize,
    encoded_bytes: usize,
    /// How many fields on the current path are free text; strings below any of them may
    /// contain TAB, LF and CR.
    free_text_depth: usize,
}

#[derive(Debug)]
struct Invalid(String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl ser::Error for Invalid {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Invalid(msg.to_string())
    }
}

impl Checker {
    fn new(track_path: bool) -> Checker {
        Checker { path: Vec::new(), track_path, depth: 0, encoded_bytes: 0, free_text_depth: 0 }
    }

    fn push(&mut self, segment: Segment) {
        self.depth += 1;
        if self.track_path {
            self.path.push(segment);
        }
    }

    fn pop(&mut self) {
        self.depth -= 1;
        if self.track_path {
            self.path.pop();
        }
    }

    fn path_string(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
                Segment::Key(key) => out.push_str(&format!("[{key:?}]")),
            }
        }
        if out.is_empty() {
            out.push_str("event");
        }
        out
    }

    fn is_free_text(&self) -> bool {
        self.free_text_depth > 0
    }

    fn fail(&self, reason: impl fmt::Display) -> Invalid {
        Invalid(format!("field {}: {reason}", self.path_string()))
    }

    fn enter(&mut self, len: Option<usize>) -> Result<(), Invalid> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(self.fail(format!("nesting deeper than {MAX_JSON_DEPTH} levels")));
        }
        if let Some(len) = len {
            if len > MAX_LIST_ITEMS {
                return Err(self.fail(format!("{len} items, limit {MAX_LIST_ITEMS}")));
            }
        }
        self.encoded_bytes += 2;
        Ok(())
    }

    fn string(&mut self, value: &str, free_text: bool) -> Result<(), Invalid> {
        check_str(value, free_text).map_err(|reason| self.fail(reason))?;
        // Escaping at most doubles a string that passed the checks above (TAB, LF, CR, quote
        // and backslash each become two bytes); the quotes and a separator add three.
        self.encoded_bytes += 2 * value.len() + 3;
        Ok(())
    }

    fn scalar(&mut self) -> Result<(), Invalid> {
        self.encoded_bytes += SCALAR_BYTES;
        Ok(())
    }

    fn element<T: ?Sized + Serialize>(&mut self, index: usize, value: &T) -> Result<(), Invalid> {
        if index >= MAX_LIST_ITEMS {
            return Err(self.fail(format!("more than {MAX_LIST_ITEMS} items")));
        }
        self.push(Segment::Index(index));
        let result = value.serialize(&mut *self);
        self.pop();
        result
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Invalid> {
        self.encoded_bytes += key.len() + 3;
        let free_text = is_free_text_field(key);
        self.free_text_depth += usize::from(free_text);
        self.push(Segment::Field(key));
        let result = value.serialize(&mut *self);
        self.pop();
        self.free_text_depth -= usize::from(free_text);
        result
    }
}

/// Serialises a map key, which must be a string, into an owned `String`.
struct KeyCapture;

impl ser::Serializer for KeyCapture {
    type Ok = String;
    type Error = Invalid;
    type SerializeSeq = ser::Impossible<String, Invalid>;
    type SerializeTuple = ser::Impossible<String, Invalid>;
    type SerializeTupleStruct = ser::Impossible<String, Invalid>;
    type SerializeTupleVariant = ser::Impossible<String, Invalid>;
    type SerializeMap = ser::Impossible<String, Invalid>;
    type SerializeStruct = ser::Impossible<String, Invalid>;
    type SerializeStructVariant = ser::Impossible<String, Invalid>;

    fn serialize_str(self, v: &str) -> Result<String, Invalid> {
        Ok(v.to_owned())
    }
    fn serialize_bool(self, _: bool) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_i64(self, v: i64) -> Result<String, Invalid> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Invalid> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Invalid> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Invalid> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Invalid> {
        self.serialize_i64(v.into())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Invalid> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Invalid> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Invalid> {
        self.serialize_u64(v.into())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_f64(self, _: f64) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_char(self, v: char) -> Result<String, Invalid> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_none(self) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, Invalid> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, Invalid> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<String, Invalid> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Invalid> {
        Err(Invalid("map key is not a string".into()))
    }
}

/// Compound state: the index of the next list element.
struct Compound<'a> {
    checker: &'a mut Checker,
    next_index: usize,
}

impl<'a> ser::Serializer for &'a mut Checker {
    type Ok = ();
    type Error = Invalid;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, _: bool) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_i8(self, _: i8) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_i16(self, _: i16) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_i32(self, _: i32) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_i64(self, _: i64) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_u8(self, _: u8) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_u16(self, _: u16) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_u32(self, _: u32) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_u64(self, _: u64) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_f32(self, _: f32) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_f64(self, _: f64) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_char(self, v: char) -> Result<(), Invalid> {
        let free_text = self.is_free_text();
        self.string(v.encode_utf8(&mut [0; 4]), free_text)
    }
    fn serialize_str(self, v: &str) -> Result<(), Invalid> {
        let free_text = self.is_free_text();
        self.string(v, free_text)
    }
    /// Counts a value that serde formats through `Display` without formatting it. In the
    /// event catalogue only `chrono::DateTime` does so, and its RFC 3339 text is made of
    /// digits, `-`, `:`, `.`, `T`, `Z` and `+`, none of which the rules reject.
    // NOTE: a future field type that formats free text through `Display` would skip the
    // character checks here; such a type must serialise through `serialize_str` instead.
    fn collect_str<T: ?Sized + std::fmt::Display>(self, _value: &T) -> Result<(), Invalid> {
        self.encoded_bytes += COLLECTED_STR_BYTES;
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Invalid> {
        // Encoded as a list of numbers by serde_json.
        self.enter(Some(v.len()))?;
        self.encoded_bytes += 4 * v.len();
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Invalid> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Invalid> {
        self.scalar()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Invalid> {
        self.encoded_bytes += variant.len() + 3;
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<(), Invalid> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Invalid> {
        self.enter(None)?;
        self.field(variant, value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Invalid> {
        self.enter(len)?;
        Ok(Compound { checker: self, next_index: 0 })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Invalid> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Invalid> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Invalid> {
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Invalid> {
        self.enter(len)?;
        Ok(Compound { checker: self, next_index: 0 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Invalid> {
        self.enter(None)?;
        Ok(Compound { checker: self, next_index: 0 })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Invalid> {
        self.enter(None)?;
        Ok(Compound { checker: self, next_index: 0 })
    }
}

impl Compound<'_> {
    fn next_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        let index = self.next_index;
        self.next_index += 1;
        self.checker.element(index, value)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        self.next_element(value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        self.next_element(value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        self.next_element(value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        self.next_element(value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Invalid> {
        if self.next_index >= MAX_LIST_ITEMS {
            return Err(self.checker.fail(format!("more than {MAX_LIST_ITEMS} entries")));
        }
        self.next_index += 1;
        let key = key.serialize(KeyCapture).map_err(|e| self.checker.fail(e))?;
        // Keys are names, never prose: control characters are rejected even in free-text maps.
        let checked = check_str(&key, false);
        let key_len = key.len();
        self.checker.push(Segment::Key(key));
        if let Err(reason) = checked {
            let error = self.checker.fail(format!("key {reason}"));
            self.checker.pop();
            return Err(error);
        }
        self.checker.encoded_bytes += 2 * key_len + 3;
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Invalid> {
        let result = value.serialize(&mut *self.checker);
        self.checker.pop();
        result
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Invalid> {
        self.checker.field(key, value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Invalid;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Invalid> {
        self.checker.field(key, value)
    }
    fn end(self) -> Result<(), Invalid> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::*;
    use crate::event::{ActorInfo, AuditResult, AuthMethod};

    fn actor(user_id: &str, session_id: Option<&str>) -> ActorInfo {
        ActorInfo {
            user_id: user_id.into(),
            ip: None,
            auth_method: AuthMethod::ApiKey,
            session_id: session_id.map(str::to_owned),
        }
    }

    fn message(result: Result<usize, AuditError>) -> String {
        match result {
            Err(AuditError::InvalidInput(message)) => message,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn canceled(reason: &str) -> AuditEvent {
        AuditEvent::TaskCanceled { timestamp: Utc::now(), actor: actor("alice", None), task_id: "t1".into(), reason: reason.into() }
    }

    #[test]
    fn printable_ascii_check_matches_byte_rule() {
        for length in 0..40 {
            let clean: Vec<u8> = (0..length).map(|i| 0x20 + (i * 7 % 95) as u8).collect();
            assert!(is_printable_ascii(&clean), "{clean:?}");
            for position in 0..length {
                for bad in [0x00, 0x09, 0x1f, 0x7f, 0x80, 0xc3, 0xff] {
                    let mut dirty = clean.clone();
                    dirty[position] = bad;
                    assert!(!is_printable_ascii(&dirty), "byte {bad:#x} at {position} of {length}");
                }
            }
        }
    }

    #[test]
    fn clean_event_passes() {
        assert!(validate_event(&canceled("user asked\nto stop")).unwrap() > 0);
    }

    #[test]
    fn escape_in_nested_optional_field_is_named() {
        let event = AuditEvent::TaskCanceled {
            timestamp: Utc::now(),
            actor: actor("alice", Some("s\u{1b}1")),
            task_id: "t1".into(),
            reason: "r".into(),
        };
        let message = message(validate_event(&event));
        assert!(message.contains("actor.session_id"), "{message}");
        assert!(message.contains("U+001B"), "{message}");
        assert!(message.contains("ESC"), "{message}");
    }

    #[test]
    fn newline_only_in_free_text() {
        validate_event(&canceled("line one\r\nline two\tend")).unwrap();
        let event = AuditEvent::SealVerified { timestamp: Utc::now(), shard_id: "a\nb".into(), worker_id: "w".into() };
        let message = message(validate_event(&event));
        assert!(message.contains("shard_id"), "{message}");
        assert!(message.contains("U+000A"), "{message}");
    }

    #[test]
    fn every_forbidden_code_point_is_rejected() {
        let forbidden = ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{feff}'];
        for c in forbidden {
            let message = message(validate_event(&canceled(&format!("x{c}y"))));
            assert!(message.contains(&format!("U+{:04X}", c as u32)), "{message}");
            assert!(message.contains("reason"), "{message}");
        }
    }

    #[test]
    fn list_item_is_named_by_index() {
        let event = AuditEvent::DataDeleted {
            timestamp: Utc::now(),
            customer_id: "c".into(),
            data_types: vec!["ok".into(), "bad\u{202e}".into()],
            reason: "r".into(),
        };
        let message = message(validate_event(&event));
        assert!(message.contains("data_types[1]"), "{message}");
        assert!(message.contains("U+202E"), "{message}");
    }

    #[test]
    fn long_string_is_rejected_with_its_length() {
        let message = message(validate_event(&canceled(&"x".repeat(MAX_STRING_CHARS + 1))));
        assert!(message.contains(&format!("{} characters", MAX_STRING_CHARS + 1)), "{message}");
    }

    #[test]
    fn long_list_is_rejected() {
        let event = AuditEvent::GdprDataAccessRequest {
            timestamp: Utc::now(),
            customer_id: "c".into(),
            requester: "r".into(),
            scope: vec!["s".into(); MAX_LIST_ITEMS + 1],
        };
        let message = message(validate_event(&event));
        assert!(message.contains("scope"), "{message}");
    }

    #[test]
    fn changes_value_is_walked_to_every_string() {
        let changes = serde_json::json!({"replicas": {"old": 1, "new": 2}, "labels": ["a", "b\u{0}"]});
        let event = AuditEvent::PoolModified { timestamp: Utc::now(), actor: actor("alice", None), pool_id: "p".into(), changes };
        let message = message(validate_event(&event));
        assert!(message.contains("changes[\"labels\"][1]"), "{message}");
        assert!(message.contains("U+0000"), "{message}");
    }

    #[test]
    fn changes_key_with_control_character_is_rejected() {
        let changes = serde_json::json!({"a\u{7}": 1});
        let event = AuditEvent::PoolModified { timestamp: Utc::now(), actor: actor("alice", None), pool_id: "p".into(), changes };
        let message = message(validate_event(&event));
        assert!(message.contains("key"), "{message}");
        assert!(message.contains("U+0007"), "{message}");
    }

    #[test]
    fn deeply_nested_changes_are_rejected() {
        let mut changes = serde_json::json!(1);
        for _ in 0..MAX_JSON_DEPTH + 2 {
            changes = serde_json::json!([changes]);
        }
        let event = AuditEvent::PoolModified { timestamp: Utc::now(), actor: actor("alice", None), pool_id: "p".into(), changes };
        let message = message(validate_event(&event));
        assert!(message.contains("nesting"), "{message}");
    }

    #[test]
    fn oversized_event_is_rejected() {
        let details: BTreeMap<String, String> = (0..200).map(|i| (format!("key{i}"), "v".repeat(1000))).collect();
        let event = AuditEvent::External {
            timestamp: Utc::now(),
            source: "app".into(),
            actor: "a".into(),
            action: "x".into(),
            target: String::new(),
            outcome: AuditResult::Success,
            details,
        };
        let message = message(validate_event(&event));
        assert!(message.contains("too large"), "{message}");
    }

    #[test]
    fn failure_reason_inside_result_is_free_text() {
        let event = AuditEvent::TaskCompleted {
            timestamp: Utc::now(),
            task_id: "t".into(),
            worker_id: "w".into(),
            tokens_generated: 1,
            duration_ms: 2,
            result: AuditResult::Failure { reason: "out of memory\nretry later".into() },
        };
        validate_event(&event).unwrap();
    }
}
