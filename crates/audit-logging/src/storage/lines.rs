//! Reads a segment file line by line, keeping each line's number and byte offset.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::AuditError;

/// One line of a segment file, without its `\n`.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// The bytes, without the terminating `\n`.
    pub bytes: &'a [u8],
    /// False for a last line with no `\n`: a write that was cut short or is still in progress.
    pub terminated: bool,
}

/// Streams the lines of one file.
pub(crate) struct LineReader {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    next_number: u64,
    next_offset: u64,
}

impl LineReader {
    /// Opens `path` for reading.
    pub(crate) fn open(path: &Path) -> Result<LineReader, AuditError> {
        let file = File::open(path).map_err(|e| AuditError::file(path, "open", e))?;
        Ok(LineReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(256 * 1024, file),
            buf: Vec::new(),
            next_number: 1,
            next_offset: 0,
        })
    }

    /// Opens `path` positioned at byte `offset`, which must be the start of a line. Line
    /// numbers then count from `first_number`.
    pub(crate) fn open_at(path: &Path, offset: u64, first_number: u64) -> Result<LineReader, AuditError> {
        use std::io::{Seek, SeekFrom};
        let mut file = File::open(path).map_err(|e| AuditError::file(path, "open", e))?;
        file.seek(SeekFrom::Start(offset)).map_err(|e| AuditError::file(path, "seek", e))?;
        Ok(LineReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(256 * 1024, file),
            buf: Vec::new(),
            next_number: first_number,
            next_offset: offset,
        })
    }

    /// Returns the next line, or `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_>>, AuditError> {
        self.buf.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| AuditError::file(&self.path, "read", e))?;
        if read == 0 {
            return Ok(None);
        }
        let terminated = self.buf.last() == Some(&b'\n');
        let len = if terminated { self.buf.len() - 1 } else { self.buf.len() };
        let line = Line { number: self.next_number, offset: self.next_offset, bytes: &self.buf[..len], terminated };
        self.next_number += 1;
        self.next_offset += read as u64;
        Ok(Some(line))
    }
}
