//! `audit-log`: import, verify, query and tail tamper-evident audit logs.
#![forbid(unsafe_code)]
// The workspace warns on println! for library code; a command-line tool prints its results.
#![allow(clippy::print_stdout)]

mod cli;
mod commands;

use std::process::ExitCode;

use audit_logging::query::Query;
use clap::Parser;

use cli::{Cli, Command};
use commands::{EXIT_ERROR, EXIT_OK};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Import { format, dir, service_id, segment_bytes, signer_key, seal_key, checkpoint_every, files } => {
            let settings = commands::import::Settings {
                segment_bytes,
                signer_key: signer_key.as_deref(),
                seal_key: seal_key.as_deref(),
                checkpoint_every,
            };
            commands::import::run(format, &dir, &service_id, &settings, &files)
        }
        Command::Verify { dir, key, seal_key, require_seal, json } => {
            let keys = commands::verify::KeyFiles { key: key.as_deref(), seal_key: seal_key.as_deref(), require_seal };
            commands::verify::run(&dir, &keys, json)
        }
        Command::Keygen { name, out } => commands::keys::run_keygen(&name, &out),
        Command::Prove { proof } => commands::prove::run_prove(&proof),
        Command::VerifyProof { proof, key } => commands::prove::run_verify_proof(&proof, &key),
        Command::Query { dir, event_types, actor, resource, since, until, from_seq, to_seq, limit, json } => {
            let mut filter = Query::new().time_range(since, until).seq_range(from_seq, to_seq);
            filter.event_types = event_types;
            filter.actor = actor;
            filter.resource_id = resource;
            filter.limit = limit;
            report(&dir, commands::read::run_query(&dir, &filter, json))
        }
        Command::Tail { dir, count, follow, json } => report(&dir, commands::read::run_tail(&dir, count, follow, json)),
    };
    ExitCode::from(status)
}

/// Prints an error as `audit-log: DIR: message` and returns the exit status.
fn report(dir: &std::path::Path, result: Result<(), audit_logging::AuditError>) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        // A closed pipe (`audit-log query … | head`) is not an error worth reporting.
        Err(audit_logging::AuditError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", dir.display());
            EXIT_ERROR
        }
    }
}
