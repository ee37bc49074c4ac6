//! The real `audit-log` binary on the bundled auditd trails, in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn audit_log(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit-log")).args(args).output().unwrap()
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/auditd")
}

fn auditd_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Imports every bundled file into `dir`, in segments of at most `segment_bytes`.
fn import_all(dir: &Path, segment_bytes: usize) -> Output {
    let mut args: Vec<String> = ["import", "--format", "auditd", "--service-id", "sample", "--segment-bytes"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(segment_bytes.to_string());
    args.push("--dir".into());
    args.push(dir.display().to_string());
    args.extend(auditd_files().iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    audit_log(&refs)
}

fn number_after(text: &str, prefix: &str) -> usize {
    let start = text.find(prefix).unwrap_or_else(|| panic!("{prefix:?} not in {text}")) + prefix.len();
    text[start..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[test]
fn each_auditd_file_imports_with_every_line_accounted_for() {
    for file in auditd_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let output = audit_log(&["import", "--format", "auditd", "--dir", log.to_str().unwrap(), "--service-id", "s", file.to_str().unwrap()]);
        let out = stdout(&output);
        let err = stderr(&output);
        let lines = std::fs::read_to_string(&file).unwrap().lines().filter(|l| !l.trim().is_empty()).count();

        let records = number_after(&out, "events from ");
        let skipped = number_after(&out, "separator lines skipped: ");
        let problems = number_after(&out, "lines not imported (reported above): ");
        assert_eq!(records + skipped + problems, lines, "{}: {out}", file.display());
        assert_eq!(err.lines().count(), problems, "{}: each problem is reported: {err}", file.display());
        assert_eq!(output.status.code(), Some(if problems == 0 { 0 } else { 1 }), "{}", file.display());
        let events = number_after(&out, "imported ");
        let verified = audit_log(&["verify", log.to_str().unwrap()]);
        assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
        assert!(stdout(&verified).starts_with(&format!("intact: {events} records")), "{}", stdout(&verified));
    }
}

#[test]
fn unparsable_line_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = import_all(&dir.path().join("log"), 1 << 26);

    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("golibaudit-audit-rhel7.log:31: "), "{err}");
    assert!(stdout(&output).contains("lines not imported (reported above): 1"), "{}", stdout(&output));
}

#[test]
fn query_filters_by_type_actor_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    import_all(&log, 1 << 26);
    let log = log.to_str().unwrap();

    let failures = stdout(&audit_log(&["query", log, "--type", "auth_failure", "--json"]));
    assert_eq!(failures.lines().count(), 1, "{failures}");
    let record: serde_json::Value = serde_json::from_str(failures.lines().next().unwrap()).unwrap();
    assert_eq!(record["event"]["event_type"], "auth_failure");
    assert_eq!(record["event"]["ip"], "179.38.151.221");

    let root = stdout(&audit_log(&["query", log, "--type", "auth_success", "--actor", "root"]));
    assert!(root.lines().count() >= 1);
    assert!(root.lines().all(|l| l.contains("actor=root")), "{root}");

    let limited = stdout(&audit_log(&["query", log, "--limit", "5"]));
    assert_eq!(limited.lines().count(), 5);

    let range = stdout(&audit_log(&["query", log, "--from-seq", "10", "--to-seq", "12", "--json"]));
    let seqs: Vec<u64> = range.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [10, 11, 12]);

    let tail = stdout(&audit_log(&["tail", log, "-n", "3"]));
    assert_eq!(tail.lines().count(), 3);
    assert!(tail.lines().next().unwrap().trim_start().starts_with("87 "), "{tail}");
}

/// Copies the imported log into a fresh directory and applies `damage` to it.
fn damaged_copy(source: &Path, damage: impl FnOnce(&[PathBuf])) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut segments: Vec<PathBuf> = std::fs::read_dir(copy.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("segment-"))
        .collect();
    segments.sort();
    damage(&segments);
    copy
}

fn edit_lines(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let mut lines: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect();
    edit(&mut lines);
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// Runs `verify --json` and returns (exit status, file name, line, reason).
fn verify_json(dir: &Path) -> (i32, String, u64, String) {
    let output = audit_log(&["verify", "--json", dir.to_str().unwrap()]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["status"], "damaged", "{value}");
    let problem = &value["problem"];
    let file = Path::new(problem["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
    (output.status.code().unwrap(), file, problem["line"].as_u64().unwrap(), problem["reason"].as_str().unwrap().to_owned())
}

#[test]
fn tampering_with_an_imported_log_is_found_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    import_all(&log, 8 * 1024);
    let segment_count = std::fs::read_dir(&log).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("segment-")).count();
    assert!(segment_count >= 4, "need several segments, got {segment_count}");
    let name = |segments: &[PathBuf], i: usize| segments[i].file_name().unwrap().to_string_lossy().into_owned();
    let mut names = Vec::new();

    let flipped = damaged_copy(&log, |s| {
        names = vec![name(s, 1), name(s, 2)];
        let mut bytes = std::fs::read(&s[1]).unwrap();
        let second_line = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        // Every record carries "service_id":"sample"; change its case in the first record.
        let target = second_line + bytes[second_line..].windows(8).position(|w| w == b"\"sample\"").unwrap() + 1;
        bytes[target] ^= 0x20;
        std::fs::write(&s[1], bytes).unwrap();
    });
    let (status, file, line, reason) = verify_json(flipped.path());
    assert_eq!((status, file.as_str(), line), (1, names[0].as_str(), 2));
    assert!(reason.starts_with("hash mismatch"), "{reason}");

    let deleted = damaged_copy(&log, |s| edit_lines(&s[1], |l| drop(l.remove(2))));
    let (status, file, line, reason) = verify_json(deleted.path());
    assert_eq!((status, file.as_str(), line), (1, names[0].as_str(), 3));
    assert!(reason.starts_with("sequence gap"), "{reason}");

    let inserted = damaged_copy(&log, |s| {
        let extra = std::fs::read_to_string(&s[0]).unwrap().lines().nth(1).unwrap().to_owned();
        edit_lines(&s[1], |l| l.insert(2, extra));
    });
    let (status, file, line, reason) = verify_json(inserted.path());
    assert_eq!((status, file.as_str(), line), (1, names[0].as_str(), 3));
    assert!(reason.starts_with("sequence repeat"), "{reason}");

    let swapped = damaged_copy(&log, |s| edit_lines(&s[1], |l| l.swap(1, 2)));
    let (status, file, line, reason) = verify_json(swapped.path());
    assert_eq!((status, file.as_str(), line), (1, names[0].as_str(), 2));
    assert!(reason.starts_with("sequence gap"), "{reason}");

    let missing = damaged_copy(&log, |s| std::fs::remove_file(&s[1]).unwrap());
    let (status, file, line, reason) = verify_json(missing.path());
    assert_eq!((status, file.as_str(), line), (1, names[1].as_str(), 1));
    assert!(reason.starts_with("segment missing"), "{reason}");
}

#[test]
fn verify_of_missing_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = audit_log(&["verify", dir.path().join("absent").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("audit-log: "), "{}", stderr(&output));
}

#[test]
fn unreadable_input_file_is_reported_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.log");
    let log = dir.path().join("log");
    let output = audit_log(&["import", "--format", "auditd", "--dir", log.to_str().unwrap(), "--service-id", "s", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("missing.log: cannot read"), "{}", stderr(&output));
    assert!(stdout(&output).contains("files that could not be read: 1"));
}
