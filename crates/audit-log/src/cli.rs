//! Command-line arguments.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

/// Import, verify and read tamper-evident audit logs.
#[derive(Debug, Parser)]
#[command(name = "audit-log", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import existing audit trails into a log directory.
    Import {
        /// Format of the input files.
        #[arg(long, value_enum)]
        format: ImportFormat,
        /// Log directory to append to (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Service id stored in every record.
        #[arg(long)]
        service_id: String,
        /// Start a new segment file before one would exceed this many bytes.
        #[arg(long, default_value_t = 64 * 1024 * 1024)]
        segment_bytes: usize,
        /// Input files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check every record's hash and link. Exit status: 0 intact, 1 damaged, 2 could not run.
    Verify {
        /// Log directory.
        dir: PathBuf,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the records that match every given filter.
    Query {
        /// Log directory.
        dir: PathBuf,
        /// Keep this event type (snake_case, such as auth_failure); repeat for several.
        #[arg(long = "type")]
        event_types: Vec<String>,
        /// Keep records whose actor is this user, customer, worker or account.
        #[arg(long)]
        actor: Option<String>,
        /// Keep records about this resource id.
        #[arg(long)]
        resource: Option<String>,
        /// Keep events at or after this time (RFC 3339, such as 2016-12-07T00:00:00Z).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// Keep events before this time (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// Keep sequence numbers at or above this.
        #[arg(long)]
        from_seq: Option<u64>,
        /// Keep sequence numbers at or below this.
        #[arg(long)]
        to_seq: Option<u64>,
        /// Print at most this many records.
        #[arg(long)]
        limit: Option<usize>,
        /// Print records as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Print the last records, and with --follow keep printing new ones.
    Tail {
        /// Log directory.
        dir: PathBuf,
        /// Number of records to print.
        #[arg(short = 'n', default_value_t = 10)]
        count: usize,
        /// Keep running and print records as they are appended.
        #[arg(long)]
        follow: bool,
        /// Print records as JSON lines.
        #[arg(long)]
        json: bool,
    },
}

/// Formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Linux audit daemon text logs (/var/log/audit/audit.log).
    Auditd,
}
