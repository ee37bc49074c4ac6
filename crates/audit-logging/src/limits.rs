//! Size bounds applied to every event before it is accepted.
//!
//! The bounds keep one record small enough to write in a single batch and keep a hostile caller
//! from filling memory or disk through one event.

/// Maximum length of one string field, in characters.
pub const MAX_STRING_CHARS: usize = 1024;

/// Maximum number of items in one list field.
pub const MAX_LIST_ITEMS: usize = 256;

/// Maximum number of entries in the `details` map of an `External` event.
pub const MAX_DETAILS: usize = 256;

/// Maximum nesting depth of a JSON value such as `PoolModified::changes`.
pub const MAX_JSON_DEPTH: usize = 16;

/// Maximum size of one event as stored, in bytes (an upper bound computed before encoding).
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
