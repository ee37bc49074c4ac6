//! Checking the record lines of one segment, with the hashing spread over the CPU's cores.
//!
//! The segment is read in blocks of whole lines. Worker threads hash each line's stored bytes
//! and read its fixed fields (all independent per line); the calling thread then walks the
//! lines in order and checks the links, which is cheap. A line the workers could not read in
//! the writer's exact shape, or whose link does not fit, goes through
//! [`ChainCursor::check_record`], which gives the precise problem.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::chain::ChainCursor;
use super::{Declared, Problem, ProblemKind, VerifySummary};
use crate::error::AuditError;
use crate::format::{read_canonical, split_line, Hash};

/// Bytes read per block; a longer line makes the block grow until it fits.
const BLOCK_BYTES: usize = 8 << 20;

/// Most worker threads used.
const MAX_WORKERS: usize = 4;

/// What a worker found for a line in the writer's exact shape with a matching hash.
#[derive(Clone, Copy)]
struct Prepared {
    seq: u64,
    prev_hash: Hash,
    hash: Hash,
}

/// Checks every record line from `start` (just after the header) to the end of the file.
pub(super) fn check_records(
    path: &Path,
    start: u64,
    chain: &mut ChainCursor,
    summary: &mut VerifySummary,
    observe: &mut dyn FnMut(u64, &[u8]),
) -> Result<Result<(), Problem>, AuditError> {
    let problem = |line: u64, offset: u64, kind: ProblemKind| Problem { file: path.to_path_buf(), line, offset, kind };
    let mut file = File::open(path).map_err(|e| AuditError::file(path, "open", e))?;
    file.seek(SeekFrom::Start(start)).map_err(|e| AuditError::file(path, "seek", e))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS);
    let file_len = file.metadata().map_err(|e| AuditError::file(path, "stat", e))?.len();
    let mut block: Vec<u8> = Vec::new();
    let mut offset = start;
    let mut line_number = 2;
    loop {
        let kept = block.len();
        // Small segments get a small buffer; one byte more than what is left detects the end.
        let left = usize::try_from(file_len.saturating_sub(offset + kept as u64)).unwrap_or(BLOCK_BYTES);
        block.resize(kept + BLOCK_BYTES.min(left + 1), 0);
        let read = read_up_to(&mut file, &mut block[kept..]).map_err(|e| AuditError::file(path, "read", e))?;
        block.truncate(kept + read);
        let end_of_file = read == 0;
        let complete = block.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        if end_of_file && complete == 0 {
            if !block.is_empty() {
                let kind = ProblemKind::IncompleteLine { length: block.len() as u64 };
                return Ok(Err(problem(line_number, offset, kind)));
            }
            return Ok(Ok(()));
        }
        if complete == 0 {
            continue;
        }

        let prepared = prepare(&block[..complete], &chain.service_id, workers);
        for (range, fast) in prepared {
            let line = &block[range.0..range.1];
            let seq = chain.next_seq;
            let checked = match fast {
                Some(fast) if chain.follows(&fast) => {
                    chain.advance(fast.seq, fast.hash);
                    Ok((fast.hash, None))
                }
                _ => chain.check_record(line),
            };
            match checked {
                Ok((hash, system)) => {
                    observe(seq, line);
                    summary.records += 1;
                    summary.last_seq = Some(seq);
                    summary.last_hash = hash;
                    if let Some(system) = system {
                        let count = system.count.or(system.events_refused).or(system.length).unwrap_or(0);
                        summary.declared.push(Declared { seq, kind: system.event_type, count, reason: system.reason });
                    }
                }
                Err(kind) => return Ok(Err(problem(line_number, offset + range.0 as u64, kind))),
            }
            line_number += 1;
        }
        offset += complete as u64;
        block.drain(..complete);
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A line's start and end (before the `\n`) in its block, and what a worker found in it.
type PreparedLine = ((usize, usize), Option<Prepared>);

/// Splits a block that ends with `\n` into about `workers` parts at line ends, and hashes and
/// reads the lines of each part on its own thread.
fn prepare(block: &[u8], service_id: &str, workers: usize) -> Vec<PreparedLine> {
    let mut parts = Vec::with_capacity(workers);
    let mut start = 0;
    for worker in 1..=workers {
        let target = block.len() * worker / workers;
        let end = if worker == workers {
            block.len()
        } else {
            match block[target.max(start)..].iter().position(|&b| b == b'\n') {
                Some(found) => target.max(start) + found + 1,
                None => block.len(),
            }
        };
        if end > start {
            parts.push((start, end));
        }
        start = end;
    }
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next();
        let handles: Vec<_> = parts.map(|part| scope.spawn(move || prepare_part(block, part, service_id))).collect();
        let mut prepared = first.map(|part| prepare_part(block, part, service_id)).unwrap_or_default();
        for handle in handles {
            // A worker only panics if `prepare_part` has a bug. Its lines then take the slow
            // path, which needs their ranges, so recompute those without preparing.
            match handle.join() {
                Ok(part) => prepared.extend(part),
                Err(_) => return unprepared(block),
            }
        }
        prepared
    })
}

fn prepare_part(block: &[u8], (start, end): (usize, usize), service_id: &str) -> Vec<PreparedLine> {
    let mut lines = Vec::with_capacity((end - start) / 256);
    let part = &block[..end];
    let mut line_start = start;
    while let Some(line_end) = find_newline(part, line_start) {
        lines.push(((line_start, line_end), prepare_line(&block[line_start..line_end], service_id)));
        line_start = line_end + 1;
    }
    lines
}

/// Returns the index of the first `\n` at or after `from`, testing eight bytes at a time.
fn find_newline(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let mut index = from;
    while index + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[index..index + 8]);
        // A zero byte in `x` marks a newline. The lowest flagged byte is always a real zero
        // (borrows only add flags above it), and the words are read little-endian.
        let x = u64::from_le_bytes(word) ^ NEWLINES;
        let flags = x.wrapping_sub(ONES) & !x & HIGH;
        if flags != 0 {
            return Some(index + (flags.trailing_zeros() / 8) as usize);
        }
        index += 8;
    }
    bytes[index.min(bytes.len())..].iter().position(|&b| b == b'\n').map(|p| index + p)
}

fn unprepared(block: &[u8]) -> Vec<PreparedLine> {
    prepare_part(block, (0, block.len()), "\0")
        .into_iter()
        .map(|(range, _)| (range, None))
        .collect()
}

fn prepare_line(line: &[u8], service_id: &str) -> Option<Prepared> {
    let (hashed, stored) = split_line(line).ok()?;
    let fields = read_canonical(hashed)?;
    if fields.service_id != service_id.as_bytes() || !super::chain::is_expected_id(fields.audit_id, service_id, fields.seq) {
        return None;
    }
    let computed = Hash::of(hashed);
    computed.ct_eq(&stored).then_some(Prepared { seq: fields.seq, prev_hash: fields.prev_hash, hash: stored })
}

impl ChainCursor {
    /// Returns true if a prepared line is the next record of the chain.
    fn follows(&self, prepared: &Prepared) -> bool {
        prepared.seq == self.next_seq && prepared.prev_hash.ct_eq(&self.prev_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::find_newline;

    #[test]
    fn find_newline_matches_a_plain_scan() {
        let text: Vec<u8> = (0..200u32).map(|i| if i % 13 == 5 || i % 29 == 0 { b'\n' } else { b'a' + (i % 26) as u8 }).collect();
        for from in 0..text.len() {
            let expected = text[from..].iter().position(|&b| b == b'\n').map(|p| from + p);
            assert_eq!(find_newline(&text, from), expected, "from {from}");
        }
        assert_eq!(find_newline(b"\x0a\x0b\x09\x8a\x00\xff\x0a\x0a\x0a", 1), Some(6));
    }
}
