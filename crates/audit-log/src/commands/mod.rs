//! One module per subcommand.

pub mod import;
pub mod keys;
pub mod prove;
pub mod read;
pub mod verify;

use std::io::{self, Write};

use audit_logging::format::{RecordBody, StoredRecord};

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status when the log is damaged or input lines could not be imported.
pub const EXIT_PROBLEM: u8 = 1;
/// Exit status when the command could not run.
pub const EXIT_ERROR: u8 = 2;

/// Writes one record, as a JSON line or as a readable line.
pub fn print_record(out: &mut impl Write, record: &StoredRecord, json: bool) -> io::Result<()> {
    if json {
        return writeln!(out, "{}", record.to_json());
    }
    let (actor, resource) = match &record.body {
        RecordBody::Event(event) => (event.actor_id().unwrap_or("-"), event.resource_id().unwrap_or("-")),
        RecordBody::System(_) => ("-", "-"),
    };
    let time = match &record.body {
        RecordBody::Event(event) => event.timestamp(),
        RecordBody::System(_) => record.timestamp,
    };
    writeln!(
        out,
        "{:>8}  {}  {:<26}  actor={}  resource={}",
        record.seq,
        time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        record.body.event_type(),
        actor,
        resource
    )
}
