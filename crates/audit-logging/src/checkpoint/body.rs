//! The checkpoint text of the C2SP tlog-checkpoint specification (section "Note text").
//!
//! ```text
//! <origin>
//! <tree size: ASCII decimal, no leading zeros unless the size is 0>
//! <root hash: standard base64 of the 32-byte RFC 6962 Merkle tree root>
//! [<extension line>...]
//! ```
//!
//! Every line, the last included, ends with a newline (0x0A). The origin must be non-empty.
//! The specification recommends, but does not require, a schema-less URL without spaces or
//! plus signs, and clients must not assume that form, so this parser accepts any non-empty
//! origin. Extension lines are optional and must be non-empty. The checkpoint text
//! is the text of a signed note, so it also must not contain ASCII control characters other
//! than newline.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::error::CheckpointError;
use crate::format::Hash;

/// A Merkle tree head in the C2SP tlog-checkpoint text format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identity of the log that issued the checkpoint, such as `example.com/log`.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 Merkle tree root at `size` leaves.
    pub root: Hash,
    /// Extension lines, without their newlines. The specification discourages them because
    /// log monitors cannot audit them.
    pub extensions: Vec<String>,
}

/// 1-based line numbers of the three mandatory lines.
const ORIGIN_LINE: usize = 1;
const SIZE_LINE: usize = 2;
const ROOT_LINE: usize = 3;

fn invalid(line: usize, field: &'static str, reason: impl Into<String>) -> CheckpointError {
    CheckpointError::InvalidCheckpoint { line, field, reason: reason.into() }
}

/// Checks one line's content: no newline and no other ASCII control character.
fn check_line_characters(line: usize, field: &'static str, content: &str) -> Result<(), CheckpointError> {
    match content.bytes().find(|&b| b < 0x20) {
        Some(b'\n') => Err(invalid(line, field, "contains a newline")),
        Some(byte) => Err(invalid(line, field, format!("contains ASCII control character 0x{byte:02x}"))),
        None => Ok(()),
    }
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() {
        return Err(invalid(ORIGIN_LINE, "origin", "is empty"));
    }
    check_line_characters(ORIGIN_LINE, "origin", origin)
}

fn check_extension(line: usize, extension: &str) -> Result<(), CheckpointError> {
    if extension.is_empty() {
        return Err(invalid(line, "extension line", "is empty; extension lines must be non-empty"));
    }
    check_line_characters(line, "extension line", extension)
}

/// Parses a canonical decimal `u64`: ASCII digits only, no sign, no leading zero unless the
/// number is `0`. On failure, returns the reason, worded to follow the field name in an
/// error message.
pub(super) fn parse_canonical_decimal(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("is empty".to_owned());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not an ASCII decimal number"));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(format!("{text:?} has a leading zero"));
    }
    text.parse::<u64>().map_err(|_| format!("{text:?} is larger than the maximum {}", u64::MAX))
}

fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    parse_canonical_decimal(text).map_err(|reason| invalid(SIZE_LINE, "tree size", reason))
}

/// Parses a root hash: standard padded base64 of exactly 32 bytes, in its one canonical spelling.
fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    // The STANDARD engine requires canonical padding and zero trailing bits, so each byte
    // string has exactly one accepted encoding.
    let bytes = BASE64
        .decode(text)
        .map_err(|err| invalid(ROOT_LINE, "root hash", format!("is not valid standard base64: {err}")))?;
    let root: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| invalid(ROOT_LINE, "root hash", format!("decodes to {} bytes; expected 32", bytes.len())))?;
    Ok(Hash(root))
}

impl Checkpoint {
    /// Parses a checkpoint text, such as [`crate::checkpoint::VerifiedNote::text`].
    ///
    /// Rejects a missing final newline, fewer than three lines and an empty origin. Rejects a
    /// tree size with a sign, a leading zero or more than 64 bits, and a root hash that is not
    /// canonical base64 of 32 bytes. Rejects empty extension lines and ASCII control
    /// characters. Errors name the line and field.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let Some(body) = text.strip_suffix('\n') else {
            let last_line = text.matches('\n').count() + 1;
            return Err(invalid(last_line, "text", "does not end with a newline"));
        };
        let mut lines = body.split('\n');

        // split always yields at least one item, so the origin line is always present.
        let origin = lines.next().unwrap_or_default();
        check_origin(origin)?;
        let size = parse_size(lines.next().ok_or_else(|| invalid(SIZE_LINE, "tree size", "is missing"))?)?;
        let root = parse_root(lines.next().ok_or_else(|| invalid(ROOT_LINE, "root hash", "is missing"))?)?;

        let mut extensions = Vec::new();
        for (index, extension) in lines.enumerate() {
            check_extension(ROOT_LINE + 1 + index, extension)?;
            extensions.push(extension.to_owned());
        }
        Ok(Checkpoint { origin: origin.to_owned(), size, root, extensions })
    }

    /// Formats the checkpoint text, the exact inverse of [`Checkpoint::parse`].
    ///
    /// Fails when a field cannot be written without changing the meaning of the text: an
    /// empty origin or extension line, or one containing a newline or another ASCII control
    /// character.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        check_origin(&self.origin)?;
        for (index, extension) in self.extensions.iter().enumerate() {
            check_extension(ROOT_LINE + 1 + index, extension)?;
        }

        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root.0));
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_BASE64: &str = "UKvK8Sai4WKd30qm3U7wXJMCzREUTdKcYUn8jtkHVl0=";

    fn field_of(text: &str) -> (usize, &'static str) {
        match Checkpoint::parse(text) {
            Err(CheckpointError::InvalidCheckpoint { line, field, .. }) => (line, field),
            other => panic!("{text:?}: expected InvalidCheckpoint, got {other:?}"),
        }
    }

    #[test]
    fn round_trip_with_extensions() {
        let text = format!("example.com/log\n0\n{ROOT_BASE64}\nfirst extension\nsecond\n");
        let checkpoint = Checkpoint::parse(&text).unwrap();
        assert_eq!(checkpoint.size, 0);
        assert_eq!(checkpoint.extensions, ["first extension", "second"]);
        assert_eq!(checkpoint.to_text().unwrap(), text);
    }

    #[test]
    fn size_limits() {
        let max = format!("o\n{}\n{ROOT_BASE64}\n", u64::MAX);
        assert_eq!(Checkpoint::parse(&max).unwrap().size, u64::MAX);
        assert_eq!(field_of(&format!("o\n18446744073709551616\n{ROOT_BASE64}\n")), (2, "tree size"));
        for bad in ["+1", "-1", " 1", "1 ", "00", "01", "", "1e3", "\u{0661}"] {
            assert_eq!(field_of(&format!("o\n{bad}\n{ROOT_BASE64}\n")), (2, "tree size"), "size {bad:?}");
        }
    }

    #[test]
    fn root_must_be_canonical_32_bytes() {
        let short = BASE64.encode([0u8; 31]);
        let long = BASE64.encode([0u8; 33]);
        let unpadded = ROOT_BASE64.trim_end_matches('=');
        // Same bytes as ROOT_BASE64 except nonzero trailing bits in the last character.
        let trailing_bits = ROOT_BASE64.replace("l0=", "l1=");
        for bad in [short.as_str(), &long, unpadded, &trailing_bits, "", "not base64!"] {
            assert_eq!(field_of(&format!("o\n1\n{bad}\n")), (3, "root hash"), "root {bad:?}");
        }
    }

    #[test]
    fn structure_errors_name_the_line() {
        assert_eq!(field_of(&format!("o\n1\n{ROOT_BASE64}")), (3, "text"));
        assert_eq!(field_of("o\n1\n"), (3, "root hash"));
        assert_eq!(field_of("o\n"), (2, "tree size"));
        assert_eq!(field_of(&format!("\n1\n{ROOT_BASE64}\n")), (1, "origin"));
        assert_eq!(field_of(&format!("o\n1\n{ROOT_BASE64}\next\n\n")), (5, "extension line"));
        assert_eq!(field_of(&format!("o\u{1}\n1\n{ROOT_BASE64}\n")), (1, "origin"));
    }

    #[test]
    fn to_text_rejects_unwritable_fields() {
        let mut checkpoint = Checkpoint { origin: "o\n5".into(), size: 1, root: Hash([1; 32]), extensions: vec![] };
        assert!(checkpoint.to_text().is_err());
        checkpoint.origin = String::new();
        assert!(checkpoint.to_text().is_err());
        checkpoint.origin = "o".into();
        checkpoint.extensions = vec![String::new()];
        assert!(checkpoint.to_text().is_err());
        checkpoint.extensions = vec!["a\nb".into()];
        assert!(checkpoint.to_text().is_err());
        checkpoint.extensions = vec!["a b".into()];
        assert_eq!(checkpoint.to_text().unwrap(), format!("o\n1\n{}\na b\n", BASE64.encode([1u8; 32])));
    }
}
