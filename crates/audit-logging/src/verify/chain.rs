//! The per-record chain check shared by `verify` and by recovery at open.

use crate::format::{audit_id, split_line, Hash, RecordFields, SegmentHeader, SystemFields};

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
        let fields: RecordFields<'_> =
            serde_json::from_slice(line).map_err(|e| ProblemKind::Unparsable { reason: e.to_string() })?;
        let computed = Hash::of(hashed);
        if !computed.ct_eq(&stored) || !fields.hash.ct_eq(&stored) {
            return Err(ProblemKind::HashMismatch { stored, computed });
        }
        if fields.seq > self.next_seq {
            return Err(ProblemKind::SequenceGap { expected: self.next_seq, found: fields.seq });
        }
        if fields.seq < self.next_seq {
            return Err(ProblemKind::SequenceRepeat { expected: self.next_seq, found: fields.seq });
        }
        if !fields.prev_hash.ct_eq(&self.prev_hash) {
            return Err(ProblemKind::BrokenLink { expected: self.prev_hash, found: fields.prev_hash });
        }
        if fields.service_id != self.service_id {
            return Err(ProblemKind::Unparsable {
                reason: format!("service_id {:?} differs from the segment header's {:?}", fields.service_id, self.service_id),
            });
        }
        let expected_id = audit_id(&self.service_id, fields.seq);
        if fields.audit_id != expected_id {
            return Err(ProblemKind::Unparsable {
                reason: format!("audit_id {:?} does not match sequence number, expected {expected_id:?}", fields.audit_id),
            });
        }
        // A chain starts at 0 and the writer never assigns u64::MAX (see `SEQ_LIMIT`), so a
        // verified seq is below u64::MAX and adding 1 cannot saturate in a log it wrote.
        self.next_seq = fields.seq.saturating_add(1);
        self.prev_hash = stored;
        Ok((stored, fields.system))
    }
}
