//! The tamper matrix on a real imported log with signed, sealed checkpoints: each kind of
//! tampering is detected by `audit-log verify --key … --seal-key …` and located.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use audit_logging::checkpoint::SealingKey;
use audit_logging::format::Hash;
use serde_json::Value;

fn audit_log(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit-log")).args(args).output().unwrap()
}

fn auditd_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/auditd");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "log")).collect();
    files.sort();
    files
}

/// A log imported file by file (one checkpoint at the end of each import), with its keys.
struct Fixture {
    root: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let root = tempfile::tempdir().unwrap();
        let keys = root.path().join("keys");
        assert!(audit_log(&["keygen", "--name", "example.com/audit", "--out", keys.to_str().unwrap()]).status.success());
        let fixture = Fixture { root };
        for file in auditd_files() {
            fixture.import(&file);
        }
        fixture
    }

    fn import(&self, file: &Path) {
        let log = self.log();
        let keys = self.keys();
        let mut args = vec!["import", "--format", "auditd", "--service-id", "sample", "--segment-bytes", "6000"];
        let (signer, seal) = (keys.join("signer.key"), keys.join("seal.key"));
        args.extend(["--signer-key", signer.to_str().unwrap(), "--seal-key", seal.to_str().unwrap()]);
        args.extend(["--dir", log.to_str().unwrap(), file.to_str().unwrap()]);
        let output = audit_log(&args);
        assert!(output.status.code().unwrap() <= 1, "{}", String::from_utf8_lossy(&output.stderr));
    }

    fn log(&self) -> PathBuf {
        self.root.path().join("log")
    }

    fn keys(&self) -> PathBuf {
        self.root.path().join("keys")
    }

    /// Copies the log into a new folder for one tampering case.
    fn copy(&self, name: &str) -> PathBuf {
        let target = self.root.path().join(name);
        copy_dir(&self.log(), &target);
        target
    }

    fn verify(&self, log: &Path, require_seal: bool) -> (i32, Value) {
        let keys = self.keys();
        let (key, seal) = (keys.join("verifier.key"), keys.join("seal-initial.key"));
        let mut args = vec!["verify", "--json", "--key", key.to_str().unwrap(), "--seal-key", seal.to_str().unwrap()];
        if require_seal {
            args.push("--require-seal");
        }
        args.push(log.to_str().unwrap());
        let output = audit_log(&args);
        (output.status.code().unwrap(), serde_json::from_slice(&output.stdout).unwrap())
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn segments(log: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("segment-"))
        .collect();
    paths.sort();
    paths
}

fn checkpoints(log: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(log.join("checkpoints")).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn edit_lines(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let mut lines: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect();
    edit(&mut lines);
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// Returns the first segment problem as (file name, line, reason).
fn segment_problem(report: &Value) -> (String, u64, String) {
    let segment = report["segments"].as_array().unwrap().iter().find(|s| !s["problem"].is_null()).expect("no segment problem");
    let file = Path::new(segment["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
    (file, segment["problem"]["line"].as_u64().unwrap(), segment["problem"]["reason"].as_str().unwrap().to_owned())
}

/// Returns the checkpoint problems as (file name, reason).
fn checkpoint_problems(report: &Value) -> Vec<(String, String)> {
    report["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["problem"].is_null())
        .map(|c| (name(Path::new(c["file"].as_str().unwrap())), c["problem"].as_str().unwrap().to_owned()))
        .collect()
}

/// Rewrites the chain from record `seq` on: changes that record, then recomputes every hash,
/// link and segment header after it, as anyone with write access but no key could.
fn rewrite_and_rehash(log: &Path, seq: u64) {
    let mut prev: Option<Hash> = None;
    for segment in segments(log) {
        let text = std::fs::read_to_string(&segment).unwrap();
        let mut out = String::new();
        for (index, line) in text.lines().enumerate() {
            let mut line = line.to_owned();
            if let Some(prev) = prev {
                let at = line.rfind("\"prev_hash\":\"").unwrap() + 13;
                line.replace_range(at..at + 64, &prev.to_hex());
            }
            if index == 0 {
                out.push_str(&line);
                out.push('\n');
                continue;
            }
            let mut body = line[..line.len() - 75].to_owned();
            if body.starts_with(&format!("{{\"seq\":{seq},")) {
                body = body.replacen("auditd", "AUDITD", 1);
            }
            let hash = Hash::of(body.as_bytes());
            out.push_str(&format!("{body},\"hash\":\"{}\"}}\n", hash.to_hex()));
            prev = Some(hash);
        }
        std::fs::write(&segment, out).unwrap();
    }
}

#[test]
fn tamper_matrix_is_detected_and_located() {
    let fixture = Fixture::new();
    let (status, report) = fixture.verify(&fixture.log(), true);
    assert_eq!(status, 0, "{report:#}");
    let all_segments = segments(&fixture.log());
    let all_checkpoints = checkpoints(&fixture.log());
    assert!(all_segments.len() >= 6, "{} segments", all_segments.len());
    assert!(all_checkpoints.len() >= 8, "{} checkpoints", all_checkpoints.len());

    // A flipped byte: hash mismatch at its line.
    let log = fixture.copy("flip");
    let target = &segments(&log)[2];
    let mut bytes = std::fs::read(target).unwrap();
    let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let at = second + bytes[second..].windows(8).position(|w| w == b"\"sample\"").unwrap() + 1;
    bytes[at] ^= 0x20;
    std::fs::write(target, bytes).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let (file, line, reason) = segment_problem(&report);
    assert_eq!((file.as_str(), line), (name(&all_segments[2]).as_str(), 2));
    assert!(reason.starts_with("hash mismatch"), "{reason}");

    // A deleted, an inserted and a reordered line.
    for (case, edit, expected_line, expected) in [
        ("delete", 0, 3, "sequence gap"),
        ("insert", 1, 3, "sequence repeat"),
        ("swap", 2, 2, "sequence gap"),
    ] {
        let log = fixture.copy(case);
        let source_line = std::fs::read_to_string(&segments(&log)[0]).unwrap().lines().nth(1).unwrap().to_owned();
        edit_lines(&segments(&log)[3], |lines| match edit {
            0 => drop(lines.remove(2)),
            1 => lines.insert(2, source_line),
            _ => lines.swap(1, 2),
        });
        let (status, report) = fixture.verify(&log, true);
        assert_eq!(status, 1, "{case}");
        let (file, line, reason) = segment_problem(&report);
        assert_eq!((file.as_str(), line), (name(&all_segments[3]).as_str(), expected_line), "{case}");
        assert!(reason.starts_with(expected), "{case}: {reason}");
    }

    // A whole middle segment deleted: found at the next segment's header.
    let log = fixture.copy("segment-deleted");
    std::fs::remove_file(&segments(&log)[2]).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let (file, line, reason) = segment_problem(&report);
    assert_eq!((file.as_str(), line), (name(&all_segments[3]).as_str(), 1));
    assert!(reason.starts_with("segment missing"), "{reason}");

    // Two segments swapped (contents exchanged under the same names).
    let log = fixture.copy("segments-swapped");
    let (a, b) = (segments(&log)[1].clone(), segments(&log)[2].clone());
    let (text_a, text_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::write(&a, text_b).unwrap();
    std::fs::write(&b, text_a).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let (file, line, reason) = segment_problem(&report);
    assert_eq!((file.as_str(), line), (name(&all_segments[1]).as_str(), 1));
    assert!(reason.starts_with("bad segment header"), "{reason}");

    // The chain rewritten and re-hashed without the key: the chain links, the roots do not.
    let log = fixture.copy("rehashed");
    rewrite_and_rehash(&log, 5);
    assert_eq!(audit_log(&["verify", log.to_str().unwrap()]).status.code(), Some(0), "the keyless chain should still link");
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let problems = checkpoint_problems(&report);
    assert!(!problems.is_empty());
    assert!(problems.iter().all(|(_, reason)| reason.contains("records were rewritten")), "{problems:?}");
    assert_eq!(problems.len(), all_checkpoints.len(), "every checkpoint covers record 5");

    // Tail cut before the last checkpoint: the last segment removed.
    let log = fixture.copy("tail-cut-before");
    std::fs::remove_file(segments(&log).last().unwrap()).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let problems = checkpoint_problems(&report);
    assert!(problems.iter().any(|(file, _)| *file == name(all_checkpoints.last().unwrap())), "{problems:?}");
    assert!(problems.iter().all(|(_, reason)| reason.contains("records were removed from the end")), "{problems:?}");

    // Tail cut after the last checkpoint: records appended without a checkpoint are unsealed,
    // and cutting them cannot be distinguished from never having written them; --require-seal fails.
    let log = fixture.copy("tail-cut-after");
    let files = auditd_files();
    let appended = audit_log(&[
        "import", "--format", "auditd", "--service-id", "sample", "--segment-bytes", "6000",
        "--dir", log.to_str().unwrap(), files[0].to_str().unwrap(),
    ]);
    assert!(appended.status.success());
    edit_lines(segments(&log).last().unwrap(), |lines| drop(lines.pop()));
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    assert!(report["unsealed_records"].as_u64().unwrap() > 0, "{report:#}");
    assert!(report["problems"][0].as_str().unwrap().contains("not sealed"), "{report:#}");
    let (status, _) = fixture.verify(&log, false);
    assert_eq!(status, 0, "without --require-seal unsealed records are reported, not failed");

    // A checkpoint rolled back: the newest file replaced by an older checkpoint.
    let log = fixture.copy("rolled-back");
    let files = checkpoints(&log);
    std::fs::copy(&files[files.len() - 2], &files[files.len() - 1]).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let problems = checkpoint_problems(&report);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, name(files.last().unwrap()));
    assert!(problems[0].1.contains("the file was replaced"), "{}", problems[0].1);

    // The newest checkpoint deleted: its records become unsealed.
    let log = fixture.copy("newest-deleted");
    std::fs::remove_file(checkpoints(&log).last().unwrap()).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    assert!(report["unsealed_records"].as_u64().unwrap() > 0);

    // A middle checkpoint deleted: its epoch has no seal.
    let log = fixture.copy("middle-deleted");
    std::fs::remove_file(&checkpoints(&log)[3]).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    assert!(report["problems"][0].as_str().unwrap().contains("epochs 3..=3"), "{report:#}");

    // A seal redone with a later epoch's key (as after a break-in at that later epoch).
    let log = fixture.copy("resealed");
    let files = checkpoints(&log);
    let target = &files[2];
    let text = std::fs::read_to_string(target).unwrap();
    let note_end = text.rfind("seal ").unwrap();
    let checkpoint_text = &text[..text.find("\n\n").unwrap() + 1];
    let mut later = SealingKey::from_key_file(&std::fs::read_to_string(fixture.keys().join("seal-initial.key")).unwrap()).unwrap();
    for _ in 0..5 {
        later.evolve().unwrap();
    }
    let forged = later.seal(checkpoint_text.as_bytes());
    let relabelled = format!("seal 2 {}", forged.to_string().split(' ').nth(2).unwrap());
    std::fs::write(target, format!("{}{relabelled}\n", &text[..note_end])).unwrap();
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let problems = checkpoint_problems(&report);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, name(target));
    assert!(problems[0].1.contains("seal of epoch 2 does not verify"), "{}", problems[0].1);

    // Seals stripped from every checkpoint: the signatures still verify, the seals are missing.
    let log = fixture.copy("stripped");
    for file in checkpoints(&log) {
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, &text[..text.rfind("seal ").unwrap()]).unwrap();
    }
    let (status, report) = fixture.verify(&log, true);
    assert_eq!(status, 1);
    let problems = checkpoint_problems(&report);
    assert_eq!(problems.len(), all_checkpoints.len());
    assert!(problems.iter().all(|(_, reason)| reason.contains("no seal")), "{problems:?}");
}
