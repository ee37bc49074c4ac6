//! Crash harness: a child process emits with durable acknowledgements from several threads and
//! is killed with SIGKILL at a random moment; the parent reopens the log (recovery), verifies
//! it, and checks that every acknowledged sequence number contains the acknowledged event,
//! exactly once.
//!
//! The child is this same test binary, re-run with `AUDIT_CRASH_CHILD_DIR` set. CI runs
//! [`crash_kills_keep_every_acknowledged_event`] with 50 kills (`AUDIT_CRASH_KILLS` changes
//! that); `cargo test --release --test crash -- --ignored crash_kills_1000` runs 1000 and
//! prints the tally.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use audit_logging::format::RecordBody;
use audit_logging::query::{query, Query};
use audit_logging::{AuditEvent, FlushMode, LoggerOptions, RotationPolicy};

const CHILD_DIR_VAR: &str = "AUDIT_CRASH_CHILD_DIR";
const CHILD_RUN_VAR: &str = "AUDIT_CRASH_RUN";
const CHILD_THREADS: usize = 4;
/// The child stops by itself after this long if it is not killed.
const CHILD_LIFETIME: Duration = Duration::from_secs(20);

fn open_log(dir: &Path) -> audit_logging::AuditLogger {
    common::open_with(dir, FlushMode::Immediate, RotationPolicy::SizeLimit(1 << 20), LoggerOptions::default())
}

/// The child's body. Ignored unless run by the parent with the directory set.
#[test]
#[ignore = "run as a child process by the crash tests"]
fn crash_child_entry() {
    let Ok(dir) = std::env::var(CHILD_DIR_VAR) else { return };
    let run: usize = std::env::var(CHILD_RUN_VAR).unwrap().parse().unwrap();
    let logger = Arc::new(open_log(Path::new(&dir)));
    let started = Instant::now();
    let threads: Vec<_> = (0..CHILD_THREADS)
        .map(|thread| {
            let logger = Arc::clone(&logger);
            std::thread::spawn(move || {
                let mut index = 0;
                while started.elapsed() < CHILD_LIFETIME {
                    let id = format!("c{run}-t{thread}-{index}");
                    let event = AuditEvent::SealVerified { timestamp: chrono::Utc::now(), shard_id: id.clone(), worker_id: "crash".into() };
                    let seq = logger.emit_durable(event).unwrap().wait().unwrap().unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {seq} {id}").unwrap();
                    out.flush().unwrap();
                    index += 1;
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// A small deterministic generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Spawns the child, kills it after a random number of acknowledgements, and returns them.
fn run_child_and_kill(dir: &Path, run: usize, rng: &mut Rng) -> Vec<(u64, String)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child_entry", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_VAR, dir)
        .env(CHILD_RUN_VAR, run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let kill_after = rng.below(120) as usize;
    let mut acks = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    if kill_after > 0 {
        for line in lines.by_ref() {
            if let Some(ack) = parse_ack(&line.unwrap()) {
                acks.push(ack);
                if acks.len() >= kill_after {
                    break;
                }
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Acknowledgements printed before the kill are still in the pipe.
    acks.extend(lines.map_while(Result::ok).filter_map(|l| parse_ack(&l)));
    acks
}

fn parse_ack(line: &str) -> Option<(u64, String)> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    Some((parts.next()?.parse().ok()?, parts.next()?.to_owned()))
}

struct Tally {
    kills: usize,
    acknowledged: usize,
    torn_tails: usize,
}

fn crash_loop(kills: usize, seed: u64) -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed);
    let mut tally = Tally { kills: 0, acknowledged: 0, torn_tails: 0 };
    for run in 0..kills {
        let acks = run_child_and_kill(dir.path(), run, &mut rng);

        // Reopening recovers a torn tail, if the kill left one.
        let logger = open_log(dir.path());
        let report = logger.shutdown_blocking().unwrap();
        let first_seq = acks.iter().map(|(seq, _)| *seq).min().unwrap_or(0);
        let records = query(dir.path(), &Query::new().seq_range(Some(first_seq.saturating_sub(CHILD_THREADS as u64 * 2)), None)).unwrap();
        let mut seen: HashMap<&str, Vec<u64>> = HashMap::new();
        for record in &records {
            match &record.body {
                RecordBody::Event(AuditEvent::SealVerified { shard_id, .. }) => seen.entry(shard_id.as_str()).or_default().push(record.seq),
                RecordBody::System(_) => tally.torn_tails += usize::from(record.body.event_type() == "torn_tail_recovered" && record.seq >= first_seq),
                other => panic!("unexpected record {other:?}"),
            }
        }
        for (seq, id) in &acks {
            assert_eq!(seen.get(id.as_str()), Some(&vec![*seq]), "run {run}: acknowledged {id} at seq {seq} (last seq {:?})", report.last_seq);
        }
        if run % 10 == 9 || run + 1 == kills {
            common::assert_intact(dir.path());
        }
        tally.kills += 1;
        tally.acknowledged += acks.len();
    }
    tally
}

#[test]
fn crash_kills_keep_every_acknowledged_event() {
    if std::env::var(CHILD_DIR_VAR).is_ok() {
        return;
    }
    let kills = std::env::var("AUDIT_CRASH_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(50);
    let tally = crash_loop(kills, 0x9e37_79b9_7f4a_7c15);
    assert_eq!(tally.kills, kills);
    assert!(tally.acknowledged > 0, "the child acknowledged nothing in {kills} runs");
}

#[test]
#[ignore = "1000 kills take minutes; run by scripts/crash-soak.sh"]
fn crash_kills_1000() {
    let tally = crash_loop(1000, 0x2545_f491_4f6c_dd1d);
    eprintln!(
        "crash tally: {} kills, {} acknowledged events, all present exactly once; {} torn tails recovered; every log verified",
        tally.kills, tally.acknowledged, tally.torn_tails
    );
}
