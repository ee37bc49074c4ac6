//! Inclusion proofs in a log of 10 million records. Ignored by default: it writes about 3 GB.
//! Run with `scripts/prove-10m.sh` (or `AUDIT_LARGE_RECORDS=N` for another size); it prints
//! the time of `prove_inclusion` (open the tree, read the chunks, build the proof) and of
//! verifying the proof, and asserts only that every proof verifies. `AUDIT_LARGE_KEEP=1` keeps
//! the log for other measurements.

mod common;

use std::time::{Duration, Instant};

use audit_logging::checkpoint::generate;
use audit_logging::proof::prove_inclusion;
use audit_logging::{AuditEvent, CheckpointOptions, FlushMode, LoggerOptions, RotationPolicy};

#[test]
#[ignore = "writes about 3 GB; run by scripts/prove-10m.sh"]
fn inclusion_proofs_in_a_large_log() {
    let records: u64 = std::env::var("AUDIT_LARGE_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let base = std::env::var("AUDIT_LARGE_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let dir = tempfile::tempdir_in(base).unwrap();
    let (signer, verifier) = generate("large.example/audit").unwrap();
    let options = LoggerOptions::default().checkpoints(CheckpointOptions::new(signer).interval(100_000, Duration::from_secs(3600)));
    let logger = common::open_with(
        dir.path(),
        FlushMode::Batched { size: 65_536, interval_secs: 5 },
        RotationPolicy::SizeLimit(256 << 20),
        options,
    );
    let started = Instant::now();
    for index in 0..records {
        let event = AuditEvent::SealVerified { timestamp: chrono::Utc::now(), shard_id: format!("shard-{index}"), worker_id: "w".into() };
        while let Err(audit_logging::AuditError::BufferFull) = logger.emit(event.clone()) {
            logger.flush_blocking().unwrap();
        }
    }
    logger.shutdown_blocking().unwrap();
    eprintln!("wrote {records} records in {:.1?}", started.elapsed());

    let mut times = Vec::new();
    let mut verify_times = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let seq = state % records;
        let start = Instant::now();
        let proof = prove_inclusion(dir.path(), seq).unwrap();
        times.push(start.elapsed());
        let start = Instant::now();
        proof.verify(&verifier).unwrap();
        verify_times.push(start.elapsed());
    }
    times.sort();
    verify_times.sort();
    eprintln!(
        "prove_inclusion over {records} records, 200 random records: median {:?}, p99 {:?}, max {:?}; verify median {:?}",
        times[100], times[198], times[199], verify_times[100]
    );
    if std::env::var_os("AUDIT_LARGE_KEEP").is_some() {
        eprintln!("kept the log in {}", dir.keep().display());
    }
}
