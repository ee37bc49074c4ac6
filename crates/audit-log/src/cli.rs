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
        /// Sign checkpoints of the log's Merkle tree with this signer key file (see keygen).
        #[arg(long)]
        signer_key: Option<PathBuf>,
        /// Also seal each checkpoint with the evolving key in this file (see keygen); the file
        /// is replaced by the next epoch's key after each checkpoint.
        #[arg(long, requires = "signer_key")]
        seal_key: Option<PathBuf>,
        /// Records between checkpoints.
        #[arg(long, default_value_t = 10_000)]
        checkpoint_every: u64,
        /// Input files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check every record's hash and link, and with --key every checkpoint. Exit status: 0
    /// valid, 1 damaged or tampered, 2 could not run.
    Verify {
        /// Log directory.
        dir: PathBuf,
        /// Verifier key file: check every checkpoint's signature, root and consistency.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Initial sealing key file (epoch 0, kept off the logging host): check every seal.
        #[arg(long, requires = "key")]
        seal_key: Option<PathBuf>,
        /// Fail when the log has no checkpoint or records follow the last one.
        #[arg(long, requires = "key")]
        require_seal: bool,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Make a checkpoint signing key pair and an initial sealing key.
    Keygen {
        /// Key name, which is also the checkpoints' origin line, such as example.com/audit/web1.
        #[arg(long)]
        name: String,
        /// Folder to write the key files into (created if missing). Fails, writing nothing, if
        /// any of the four files exists.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a proof, as JSON, relative to a signed checkpoint.
    Prove {
        #[command(subcommand)]
        proof: ProveCommand,
    },
    /// Check a proof printed by `prove` against its checkpoint, without the log.
    VerifyProof {
        /// The proof file (JSON).
        proof: PathBuf,
        /// Verifier key file.
        #[arg(long)]
        key: PathBuf,
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

/// The proofs `prove` makes.
#[derive(Debug, Subcommand)]
pub enum ProveCommand {
    /// Prove that record SEQ is in the tree of the newest checkpoint covering it.
    Inclusion {
        /// Log directory.
        dir: PathBuf,
        /// Sequence number of the record.
        seq: u64,
    },
    /// Prove that the checkpoint of tree size NEW extends the one of tree size OLD.
    Consistency {
        /// Log directory.
        dir: PathBuf,
        /// Tree size of the older checkpoint.
        old: u64,
        /// Tree size of the newer checkpoint.
        new: u64,
    },
}

/// Formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Linux audit daemon text logs (/var/log/audit/audit.log).
    Auditd,
}
