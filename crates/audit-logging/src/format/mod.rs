//! The on-disk format: segment file names, segment headers, record lines and the hash chain.
//!
//! `docs/FORMAT.md` describes the same format for people writing their own verifier. Every
//! constant of the format lives in this module.

mod hash;
mod header;
mod record;
mod time;

pub(crate) use time::serialize_rfc3339;

pub use hash::Hash;
pub use header::SegmentHeader;
pub use record::{RecordBody, StoredRecord, SystemEvent};
pub(crate) use record::{encode_record, read_canonical, split_line, RecordFields, SystemFields};

/// Value of the header's `format` field.
pub const FORMAT_NAME: &str = "audit-logging-segment";

/// Version of the segment format written by this crate; other versions are rejected.
pub const FORMAT_VERSION: u32 = 1;

const SEGMENT_PREFIX: &str = "segment-";
const SEGMENT_SUFFIX: &str = ".jsonl";

/// Returns the file name of the segment whose first record has sequence number `first_seq`.
///
/// The number is zero-padded to 20 digits so that names sort in sequence order.
pub fn segment_file_name(first_seq: u64) -> String {
    format!("{SEGMENT_PREFIX}{first_seq:020}{SEGMENT_SUFFIX}")
}

/// Parses a segment file name back into its first sequence number.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(SEGMENT_PREFIX)?.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Returns the `audit_id` of a record: `audit-{service_id}-{seq as 16 lowercase hex digits}`.
pub fn audit_id(service_id: &str, seq: u64) -> String {
    format!("audit-{service_id}-{seq:016x}")
}

/// Maximum length of a service id, in bytes.
pub const MAX_SERVICE_ID_LEN: usize = 128;

/// Checks that a service id can appear in an `audit_id` and a segment header unescaped:
/// 1 to [`MAX_SERVICE_ID_LEN`] ASCII letters, digits, `.`, `_` or `-`.
pub fn check_service_id(service_id: &str) -> Result<(), String> {
    if service_id.is_empty() || service_id.len() > MAX_SERVICE_ID_LEN {
        return Err(format!("must be 1 to {MAX_SERVICE_ID_LEN} characters, got {}", service_id.len()));
    }
    match service_id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        Some(c) => Err(format!("character U+{:04X} is not allowed; use ASCII letters, digits, '.', '_' or '-'", c as u32)),
        None => Ok(()),
    }
}
