//! Signed, sealed checkpoints written by the logger across restarts, and proofs against them.

mod common;

use std::path::Path;
use std::time::Duration;

use audit_logging::checkpoint::{generate, read_checkpoint_files, SealingKey, VerifierKey};
use audit_logging::proof::{prove_consistency, prove_inclusion};
use audit_logging::tree::LogTree;
use audit_logging::verify::{verify_log, VerifyOptions};
use audit_logging::{CheckpointOptions, FlushMode, LoggerOptions, RotationPolicy};

struct Keys {
    verifier: VerifierKey,
    initial_seal: SealingKey,
    signer_text: String,
}

fn keys(dir: &Path) -> Keys {
    let (signer, verifier) = generate("test.example/audit").unwrap();
    let initial_seal = SealingKey::generate().unwrap();
    std::fs::write(dir.join("seal.key"), initial_seal.to_key_file().as_bytes()).unwrap();
    Keys { verifier, initial_seal, signer_text: signer.to_key_string().to_string() }
}

fn options(dir: &Path, keys: &Keys, every: u64) -> LoggerOptions {
    let signer = audit_logging::checkpoint::SignerKey::parse(&keys.signer_text).unwrap();
    let checkpoints =
        CheckpointOptions::new(signer).seal_key_file(dir.join("seal.key")).interval(every, Duration::from_secs(3600));
    LoggerOptions::default().checkpoints(checkpoints)
}

fn write_runs(log: &Path, keys_dir: &Path, keys: &Keys, runs: usize, per_run: usize) {
    for run in 0..runs {
        let logger = common::open_with(
            log,
            FlushMode::Batched { size: 256, interval_secs: 1 },
            RotationPolicy::SizeLimit(256 * 1024),
            options(keys_dir, keys, 500),
        );
        for index in 0..per_run {
            logger.emit(common::event(run, index)).unwrap();
        }
        logger.shutdown_blocking().unwrap();
    }
}

#[test]
fn checkpoints_verify_across_restarts_and_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let keys = keys(dir.path());
    write_runs(&log, dir.path(), &keys, 3, 1100);

    let options = VerifyOptions { verifier: Some(&keys.verifier), seal_key: Some(&keys.initial_seal), require_seal: true };
    let report = verify_log(&log, options).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.unsealed_records, 0);
    let files = read_checkpoint_files(&log).unwrap();
    // At least one per run (at shutdown); more when a batch ends past a 500-record boundary.
    assert!(files.len() >= 3, "expected a checkpoint at each shutdown, got {}", files.len());
    assert_eq!(files.last().unwrap().name_size, 3300);
    let epochs: Vec<u64> = files.iter().map(|f| f.seal.unwrap().epoch).collect();
    assert_eq!(epochs, (0..files.len() as u64).collect::<Vec<_>>());
    // 3300 records make three complete chunks of 1024 in the index (56 bytes each after 8).
    assert_eq!(std::fs::metadata(log.join("merkle-chunks")).unwrap().len(), 8 + 3 * 56);
}

#[test]
fn chunk_index_is_rebuilt_when_missing_or_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let keys = keys(dir.path());
    write_runs(&log, dir.path(), &keys, 1, 2100);
    let root_before = LogTree::open(&log).unwrap().root_at(2100).unwrap();

    let mut index = std::fs::read(log.join("merkle-chunks")).unwrap();
    index[20] ^= 0xff;
    std::fs::write(log.join("merkle-chunks"), &index).unwrap();
    assert_eq!(LogTree::open(&log).unwrap().root_at(2100).unwrap(), root_before);

    std::fs::remove_file(log.join("merkle-chunks")).unwrap();
    write_runs(&log, dir.path(), &keys, 1, 10);
    let options = VerifyOptions { verifier: Some(&keys.verifier), seal_key: Some(&keys.initial_seal), require_seal: true };
    assert!(verify_log(&log, options).unwrap().is_valid());
    assert_eq!(std::fs::metadata(log.join("merkle-chunks")).unwrap().len(), 8 + 2 * 56);
}

#[test]
fn inclusion_and_consistency_proofs_verify_with_the_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let keys = keys(dir.path());
    write_runs(&log, dir.path(), &keys, 2, 1300);

    for seq in [0, 1, 1023, 1024, 2047, 2599] {
        let proof = prove_inclusion(&log, seq).unwrap();
        let checkpoint = proof.verify(&keys.verifier).unwrap();
        assert!(checkpoint.size > seq);
        let mut forged = proof.clone();
        forged.record = forged.record.replacen("\"action\":\"read\"", "\"action\":\"drop\"", 1);
        assert!(forged.verify(&keys.verifier).is_err(), "a changed record must not verify (seq {seq})");
    }
    let sizes: Vec<u64> = read_checkpoint_files(&log).unwrap().iter().map(|f| f.name_size).collect();
    for pair in sizes.windows(2) {
        let proof = prove_consistency(&log, pair[0], pair[1]).unwrap();
        let (old, new) = proof.verify(&keys.verifier).unwrap();
        assert_eq!((old.size, new.size), (pair[0], pair[1]));
    }
    let (_, other) = generate("test.example/audit").unwrap();
    assert!(prove_inclusion(&log, 5).unwrap().verify(&other).is_err(), "another key must not verify");
    assert!(prove_inclusion(&log, 2600).is_err(), "no checkpoint covers a record past the log");
}

#[test]
fn reopening_rejects_records_rewritten_since_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let keys = keys(dir.path());
    write_runs(&log, dir.path(), &keys, 1, 40);
    // Rewrite record 3 and re-hash the chain after it, as someone without the key could.
    audit_logging_test_rehash(&log, 3);
    assert!(audit_logging::verify(&log).unwrap().is_intact(), "the re-hashed chain should still link");

    let result = audit_logging::AuditLogger::with_options(
        common::config(&log, FlushMode::Immediate, RotationPolicy::SizeLimit(256 * 1024)),
        options(dir.path(), &keys, 500),
    );
    match result {
        Err(audit_logging::AuditError::Corrupt { reason, .. }) => assert!(reason.contains("no longer match"), "{reason}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

/// Changes record `seq` and recomputes every hash and link after it.
fn audit_logging_test_rehash(log: &Path, seq: u64) {
    use audit_logging::format::Hash;
    let mut segments = common::segments(log);
    segments.sort();
    let mut prev: Option<Hash> = None;
    for segment in segments {
        let text = std::fs::read_to_string(&segment).unwrap();
        let mut out = String::new();
        for (index, line) in text.lines().enumerate() {
            if index == 0 {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            let mut body = line[..line.len() - 75].to_owned();
            if body.starts_with(&format!("{{\"seq\":{seq},")) {
                body = body.replacen("\"action\":\"read\"", "\"action\":\"drop\"", 1);
            }
            if let Some(prev) = prev {
                let old_prev = &body[body.rfind("\"prev_hash\":\"").unwrap() + 13..][..64].to_owned();
                body = body.replacen(old_prev.as_str(), &prev.to_hex(), 1);
            }
            let hash = Hash::of(body.as_bytes());
            out.push_str(&format!("{body},\"hash\":\"{}\"}}\n", hash.to_hex()));
            prev = Some(hash);
        }
        std::fs::write(&segment, out).unwrap();
    }
}
