//! The first line of every segment file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Hash, FORMAT_NAME, FORMAT_VERSION};

/// Segment header: one JSON line that ties the segment into the chain.
///
/// The header is not itself hashed. Its `first_seq` and `prev_hash` must equal the sequence
/// number and hash that follow the previous segment's last record, so a deleted, reordered or
/// swapped segment breaks the chain at the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Always [`FORMAT_VERSION`].
    pub version: u32,
    /// Service that wrote the segment.
    pub service_id: String,
    /// Sequence number of the segment's first record.
    pub first_seq: u64,
    /// Hash of the previous segment's last record ([`Hash::GENESIS`] for the first segment).
    pub prev_hash: Hash,
    /// When the segment was created.
    pub created: DateTime<Utc>,
}

impl SegmentHeader {
    /// Builds the header of a new segment.
    pub fn new(service_id: &str, first_seq: u64, prev_hash: Hash, created: DateTime<Utc>) -> Self {
        SegmentHeader {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            service_id: service_id.to_owned(),
            first_seq,
            prev_hash,
            created,
        }
    }

    /// Encodes the header as one line ending in `\n`.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising a struct of strings, integers and a timestamp into a Vec cannot fail.
        let mut line = serde_json::to_vec(self).expect("segment header serialises");
        line.push(b'\n');
        line
    }

    /// Decodes a header line (without its `\n`), rejecting other formats and versions.
    pub fn decode(line: &[u8]) -> Result<SegmentHeader, String> {
        let header: SegmentHeader =
            serde_json::from_slice(line).map_err(|e| format!("invalid segment header: {e}"))?;
        if header.format != FORMAT_NAME {
            return Err(format!("invalid segment header: format {:?}, expected {FORMAT_NAME:?}", header.format));
        }
        if header.version != FORMAT_VERSION {
            return Err(format!("unsupported segment format version {}, expected {FORMAT_VERSION}", header.version));
        }
        Ok(header)
    }
}
