//! RFC 6962 Merkle trees over the log's records.
