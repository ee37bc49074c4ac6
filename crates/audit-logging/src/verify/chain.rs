//! The per-record chain check shared by `verify` and by recovery at open.

use std::borrow::Cow;

use crate::format::{audit_id as audit_id_text, read_canonical, split_line, Hash, RecordFields, SegmentHeader, SystemFields};

use super::ProblemKind;

/// Position in the chain: the sequence number and `prev_hash` the next record must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainCursor {
    /// Sequence number the next record must have.
    pub next_seq: u64,
    /// Hash the next record's `prev_hash` must equal.
    pub prev_hash: Hash,
    /// Service id from the current segment header; every record must carry it.
    pub service_id: String,
}

impl ChainCursor {
    /// Starts a cursor at a segment header, trusting the header.
    pub(crate) fn from_header(header: &SegmentHeader) -> ChainCursor {
        ChainCursor { next_seq: header.first_seq, prev_hash: header.prev_hash, service_id: header.service_id.clone() }
    }

    /// Checks that `header` continues the chain at this cursor's position, then adopts its
    /// service id.
    pub(crate) fn enter_segment(&mut self, header: &SegmentHeader) -> Result<(), ProblemKind> {
        if header.first_seq != self.next_seq {
            return Err(ProblemKind::MissingRecords { expected_seq: self.next_seq, found_seq: header.first_seq });
        }
        if !header.prev_hash.ct_eq(&self.prev_hash) {
            return Err(ProblemKind::BrokenLink { expected: self.prev_hash, found: header.prev_hash });
        }
        self.service_id.clone_from(&header.service_id);
        Ok(())
    }

    /// Checks one record line (without `\n`) and advances past it. Returns the record's hash
    /// and, for a writer record, its description.
    ///
    /// The hash is computed over the bytes as stored; the parsed fields are only compared
    /// with what the chain expects.
    pub(crate) fn check_record(&mut self, line: &[u8]) -> Result<(Hash, Option<SystemFields>), ProblemKind> {
        let (hashed, stored) = split_line(line).map_err(|reason| ProblemKind::Unparsable { reason: reason.into() })?;
        let computed = Hash::of(hashed);
        let (seq, audit_id, service_id, prev_hash, system) = match read_canonical(hashed) {
            Some(fields) if computed.ct_eq(&stored) => {
                (fields.seq, Cow::Borrowed(fields.audit_id), Cow::Borrowed(fields.service_id), fields.prev_hash, None)
            }
            _ => {
                let fields: RecordFields<'_> =
                    serde_json::from_slice(line).map_err(|e| ProblemKind::Unparsable { reason: e.to_string() })?;
                if !computed.ct_eq(&stored) || !fields.hash.ct_eq(&stored) {
                    return Err(ProblemKind::HashMismatch { stored, computed });
                }
                let audit_id = Cow::Owned(fields.audit_id.as_bytes().to_vec());
                let service_id = Cow::Owned(fields.service_id.as_bytes().to_vec());
                (fields.seq, audit_id, service_id, fields.prev_hash, fields.system)
            }
        };
        if seq > self.next_seq {
            return Err(ProblemKind::SequenceGap { expected: self.next_seq, found: seq });
        }
        if seq < self.next_seq {
            return Err(ProblemKind::SequenceRepeat { expected: self.next_seq, found: seq });
        }
        if !prev_hash.ct_eq(&self.prev_hash) {
            return Err(ProblemKind::BrokenLink { expected: self.prev_hash, found: prev_hash });
        }
        if *service_id != *self.service_id.as_bytes() {
            return Err(ProblemKind::Unparsable {
                reason: format!(
                    "service_id {:?} differs from the segment header's {:?}",
                    String::from_utf8_lossy(&service_id),
                    self.service_id
                ),
            });
        }
        if !is_expected_id(&audit_id, &self.service_id, seq) {
            return Err(ProblemKind::Unparsable {
                reason: format!(
                    "audit_id {:?} does not match sequence number, expected {:?}",
                    String::from_utf8_lossy(&audit_id),
                    audit_id_text(&self.service_id, seq)
                ),
            });
        }
        // A chain starts at 0 and the writer never assigns u64::MAX (see `SEQ_LIMIT`), so a
        // verified seq is below u64::MAX and adding 1 cannot saturate in a log it wrote.
        self.advance(seq, stored);
        Ok((stored, system))
    }

    /// Moves past a checked record.
    pub(crate) fn advance(&mut self, seq: u64, hash: Hash) {
        self.next_seq = seq.saturating_add(1);
        self.prev_hash = hash;
    }

}

/// Compares `audit-{service_id}-{seq:016x}` with `found` without allocating.
pub(crate) fn is_expected_id(found: &[u8], service_id: &str, seq: u64) -> bool {
    let Some(rest) = found.strip_prefix(b"audit-") else { return false };
    let Some(rest) = rest.strip_prefix(service_id.as_bytes()) else { return false };
    let Some(hex) = rest.strip_prefix(b"-") else { return false };
    let mut buf = [0u8; 16];
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (index, digit) in buf.iter_mut().enumerate() {
        *digit = DIGITS[((seq >> ((15 - index) * 4)) & 0xf) as usize];
    }
    hex == buf
}
