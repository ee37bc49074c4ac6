//! Escaping and truncation that make any text pass the library's string validation.

use std::fmt::Write as _;

use audit_logging::check_text;
use audit_logging::limits::MAX_STRING_CHARS;

/// Counts of the changes [`to_event`](super::to_event) made so that the event passes the
/// library's validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adjustments {
    /// Strings in which a forbidden character, or a decoded byte that is not UTF-8, was
    /// written as a visible escape such as `\x1b` or `\u{202e}`.
    pub escaped_values: usize,
    /// Strings cut to the maximum length, ending in a `...[truncated from N characters]` marker.
    pub truncated_values: usize,
    /// Process titles and `execve` arguments whose NUL separators were replaced by spaces.
    pub nul_separated_values: usize,
    /// Detail entries left out because the event reached the entry or size limit. The event
    /// then has an `audit.omitted` entry that states the number.
    pub omitted_details: usize,
    /// Fields of an authentication record that `AuthSuccess` has no place for.
    pub unmapped_fields: usize,
}

impl Adjustments {
    /// Returns true when the event carries every value exactly as decoded.
    pub fn is_empty(&self) -> bool {
        *self == Adjustments::default()
    }

    /// Adds the counts of `other` to `self`.
    pub fn add(&mut self, other: &Adjustments) {
        self.escaped_values += other.escaped_values;
        self.truncated_values += other.truncated_values;
        self.nul_separated_values += other.nul_separated_values;
        self.omitted_details += other.omitted_details;
        self.unmapped_fields += other.unmapped_fields;
    }
}

/// Escapes and truncates strings for an event and counts what it changed.
#[derive(Debug, Default)]
pub(super) struct Sanitizer {
    pub(super) adjustments: Adjustments,
}

impl Sanitizer {
    /// Cleans a value of a field where TAB, LF and CR are forbidden (names, ids, paths).
    pub(super) fn name(&mut self, value: &str) -> String {
        self.clean(value, false, MAX_STRING_CHARS)
    }

    /// Cleans a value of a free-text field (`reason`, detail values).
    pub(super) fn free_text(&mut self, value: &str) -> String {
        self.clean(value, true, MAX_STRING_CHARS)
    }

    /// Cleans `value` to at most `max_chars` characters.
    pub(super) fn clean(&mut self, value: &str, free_text: bool, max_chars: usize) -> String {
        let cleaned = clean(value, free_text, max_chars);
        self.adjustments.escaped_values += usize::from(cleaned.escaped);
        self.adjustments.truncated_values += usize::from(cleaned.truncated);
        cleaned.text
    }
}

struct Cleaned {
    text: String,
    escaped: bool,
    truncated: bool,
}

fn clean(value: &str, free_text: bool, max_chars: usize) -> Cleaned {
    let total_chars = value.chars().count();
    let valid = check_text("value", value, free_text).is_ok();
    if valid && total_chars <= max_chars {
        return Cleaned { text: value.to_owned(), escaped: false, truncated: false };
    }

    // `check_text` also fails on length alone, so look for the characters themselves.
    let escaped = !valid && value.chars().any(|c| is_forbidden(c, free_text));
    let (text, complete) = escape_prefix(value, free_text, max_chars);
    if complete {
        return Cleaned { text, escaped, truncated: false };
    }

    let marker = format!("...[truncated from {total_chars} characters]");
    let room = max_chars.saturating_sub(marker.chars().count());
    let (mut text, _) = escape_prefix(value, free_text, room);
    text.push_str(&marker);
    Cleaned { text, escaped, truncated: true }
}

/// Returns true if the library rejects `c` in a string, asking the library itself so that
/// the two rules cannot drift apart.
fn is_forbidden(c: char, free_text: bool) -> bool {
    let mut buffer = [0u8; 4];
    check_text("value", c.encode_utf8(&mut buffer), free_text).is_err()
}

/// Escapes `value` until the output would exceed `max_chars` characters. Stops before an
/// escape sequence that does not fit, so no sequence is cut. Returns the output and whether
/// all of `value` fit.
fn escape_prefix(value: &str, free_text: bool, max_chars: usize) -> (String, bool) {
    let mut out = String::new();
    let mut used_chars = 0;
    for c in value.chars() {
        let start = out.len();
        if is_forbidden(c, free_text) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
        let piece_chars = out[start..].chars().count();
        if used_chars + piece_chars > max_chars {
            out.truncate(start);
            return (out, false);
        }
        used_chars += piece_chars;
    }
    (out, true)
}

fn push_escape(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = match c {
        '\t' => write!(out, "\\t"),
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    };
}

/// Returns `value` escaped, shortened to 60 characters and in double quotes, for messages.
pub(super) fn snippet(value: &str) -> String {
    format!("\"{}\"", clean(value, false, 60).text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_valid_text() {
        let mut sanitizer = Sanitizer::default();
        assert_eq!(sanitizer.name("/usr/bin/sudo"), "/usr/bin/sudo");
        assert_eq!(sanitizer.free_text("line one\nline two\tend\r"), "line one\nline two\tend\r");
        assert!(sanitizer.adjustments.is_empty());
    }

    #[test]
    fn clean_escapes_forbidden_characters() {
        let mut sanitizer = Sanitizer::default();
        let cleaned = sanitizer.name("a\u{1b}[31mb\u{202e}c\u{0}d\u{85}e\u{feff}\n");
        assert_eq!(cleaned, "a\\x1b[31mb\\u{202e}c\\x00d\\u{85}e\\u{feff}\\n");
        assert_eq!(sanitizer.adjustments.escaped_values, 1);
        assert!(check_text("name", &cleaned, false).is_ok());
    }

    #[test]
    fn free_text_escapes_all_but_tab_lf_cr() {
        let mut sanitizer = Sanitizer::default();
        let cleaned = sanitizer.free_text("a\tb\nc\u{7f}d\u{2066}");
        assert_eq!(cleaned, "a\tb\nc\\x7fd\\u{2066}");
        assert_eq!(sanitizer.adjustments.escaped_values, 1);
    }

    #[test]
    fn clean_truncates_with_marker() {
        let mut sanitizer = Sanitizer::default();
        let long = "x".repeat(5000);
        let cleaned = sanitizer.name(&long);
        assert_eq!(cleaned.chars().count(), MAX_STRING_CHARS);
        assert!(cleaned.ends_with("...[truncated from 5000 characters]"), "{cleaned}");
        assert_eq!(sanitizer.adjustments.truncated_values, 1);
        assert_eq!(sanitizer.adjustments.escaped_values, 0);
        assert!(check_text("name", &cleaned, false).is_ok());
    }

    #[test]
    fn escapes_past_limit_are_truncated() {
        let mut sanitizer = Sanitizer::default();
        let hostile = "\u{202e}".repeat(300);
        let cleaned = sanitizer.name(&hostile);
        assert!(cleaned.chars().count() <= MAX_STRING_CHARS);
        assert!(cleaned.ends_with("...[truncated from 300 characters]"), "{cleaned}");
        let escaped_prefix = cleaned.trim_end_matches("...[truncated from 300 characters]");
        assert!(escaped_prefix.ends_with("\\u{202e}"), "an escape sequence was cut: {escaped_prefix}");
        assert_eq!(sanitizer.adjustments.escaped_values, 1);
        assert_eq!(sanitizer.adjustments.truncated_values, 1);
    }

    #[test]
    fn multibyte_characters_count_as_one() {
        let mut sanitizer = Sanitizer::default();
        let value = "é".repeat(MAX_STRING_CHARS);
        assert_eq!(sanitizer.name(&value), value);
        assert!(sanitizer.adjustments.is_empty());
    }

    #[test]
    fn snippet_is_short_and_escaped() {
        let quoted = snippet(&format!("\u{1b}{}", "y".repeat(200)));
        assert!(quoted.starts_with("\"\\x1b"), "{quoted}");
        assert!(quoted.chars().count() <= 62, "{quoted}");
    }
}
