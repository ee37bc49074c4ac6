//! The log's Merkle tree on disk.
//!
//! Leaf `i` of the tree is the record with sequence number `i`, and its leaf data is the
//! record's stored line without the `\n` (RFC 6962 §2.1: leaf hash = SHA-256(0x00 || line)).
//! Every 1024 records form a chunk. The root of each complete chunk and the place of its first
//! record are kept in the file `merkle-chunks`, so that
//! - the writer resumes its tree after a restart by reading that file and the records after
//!   the last complete chunk, instead of the whole log, and
//! - a reader proves inclusion or consistency in a large log by reading that file and at most
//!   two chunks of records.
//!
//! The file is a cache of what the records already determine. `verify` never trusts it: it
//! recomputes the tree from the records. Opening checks the last chunk entry against the
//! records and rebuilds the file from the records if they disagree.

mod builder;
mod chunk_index;
mod load;
mod raw_lines;
mod reader;

pub(crate) use builder::TreeBuilder;
pub(crate) use chunk_index::CHUNK_INDEX_FILE;
pub use reader::LogTree;
pub(crate) use load::stored_seq;

/// Records per chunk, as a power of two: 2^10 = 1024.
pub(crate) const CHUNK_LEVEL: u32 = crate::merkle::DEFAULT_CHUNK_LEVEL;

/// Records per chunk.
pub(crate) const CHUNK_LEAVES: u64 = 1 << CHUNK_LEVEL;
