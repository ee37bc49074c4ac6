//! `audit-log prove` and `audit-log verify-proof`.

use std::path::Path;

use audit_logging::proof::{prove_consistency, prove_inclusion, ConsistencyProof, InclusionProof};
use audit_logging::AuditError;

use super::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEM};
use crate::cli::ProveCommand;

/// Runs `prove` and returns the exit status.
pub fn run_prove(command: &ProveCommand) -> u8 {
    let (dir, result) = match command {
        ProveCommand::Inclusion { dir, seq } => (dir, prove_inclusion(dir, *seq).map(|p| serde_json::to_string_pretty(&p))),
        ProveCommand::Consistency { dir, old, new } => {
            (dir, prove_consistency(dir, *old, *new).map(|p| serde_json::to_string_pretty(&p)))
        }
    };
    match result {
        Ok(Ok(json)) => {
            println!("{json}");
            EXIT_OK
        }
        Ok(Err(error)) => {
            eprintln!("audit-log: cannot encode the proof: {error}");
            EXIT_ERROR
        }
        Err(error) => {
            eprintln!("audit-log: {}: {error}", dir.display());
            EXIT_ERROR
        }
    }
}

/// Runs `verify-proof` and returns the exit status: 0 valid, 1 invalid, 2 could not run.
pub fn run_verify_proof(proof_path: &Path, key_path: &Path) -> u8 {
    let key = match super::keys::read_verifier(key_path) {
        Ok(key) => key,
        Err(error) => {
            eprintln!("audit-log: {}: {error}", key_path.display());
            return EXIT_ERROR;
        }
    };
    let text = match std::fs::read_to_string(proof_path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("audit-log: {}: cannot read: {error}", proof_path.display());
            return EXIT_ERROR;
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => {
            eprintln!("audit-log: {}: not a proof: {error}", proof_path.display());
            return EXIT_ERROR;
        }
    };
    let outcome = if value.get("record").is_some() {
        parse::<InclusionProof>(value).and_then(|proof| {
            let checkpoint = proof.verify(&key)?;
            Ok(format!("valid: record {} is leaf {} of the tree of size {} signed by {}", proof.seq, proof.seq, checkpoint.size, key.name()))
        })
    } else {
        parse::<ConsistencyProof>(value).and_then(|proof| {
            let (old, new) = proof.verify(&key)?;
            Ok(format!("valid: the tree of size {} signed by {} extends the tree of size {}", new.size, key.name(), old.size))
        })
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            EXIT_OK
        }
        Err(error) => {
            println!("invalid: {error}");
            EXIT_PROBLEM
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, AuditError> {
    serde_json::from_value(value).map_err(|e| AuditError::ProofInvalid { reason: format!("malformed proof: {e}") })
}
