//! `audit-log query` and `audit-log tail`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use audit_logging::query::{query, tail, Query};
use audit_logging::AuditError;

/// How often `tail --follow` looks for new records.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(250);

/// Prints the records matching `filter`.
pub fn run_query(dir: &Path, filter: &Query, json: bool) -> Result<(), AuditError> {
    let records = query(dir, filter)?;
    let mut out = std::io::stdout().lock();
    for record in &records {
        super::print_record(&mut out, record, json)?;
    }
    Ok(())
}

/// Prints the last `count` records, then new ones as they arrive when `follow` is set.
pub fn run_tail(dir: &Path, count: usize, follow: bool, json: bool) -> Result<(), AuditError> {
    let mut next_seq = None;
    {
        let mut out = std::io::stdout().lock();
        for record in tail(dir, count)? {
            super::print_record(&mut out, &record, json)?;
            next_seq = Some(record.seq + 1);
        }
        out.flush()?;
    }
    if !follow {
        return Ok(());
    }
    loop {
        std::thread::sleep(FOLLOW_INTERVAL);
        let new = query(dir, &Query::new().seq_range(next_seq, None))?;
        let mut out = std::io::stdout().lock();
        for record in &new {
            super::print_record(&mut out, record, json)?;
            next_seq = Some(record.seq + 1);
        }
        out.flush()?;
    }
}
