//! Each kind of tampering with a copy of a log is found and located.

mod common;

use std::path::{Path, PathBuf};

use audit_logging::verify::{Problem, ProblemKind, Verdict};
use audit_logging::{FlushMode, LoggerOptions, RotationPolicy};

/// Writes 60 records into segments of about 2 KiB and returns the segment paths.
fn build_log(dir: &Path) -> Vec<PathBuf> {
    let logger = common::open_with(dir, FlushMode::Immediate, RotationPolicy::SizeLimit(2048), LoggerOptions::default());
    for index in 0..60 {
        logger.emit(common::event(index % 3, index)).unwrap();
    }
    logger.shutdown_blocking().unwrap();
    let segments = common::segments(dir);
    assert!(segments.len() >= 4, "need several segments, got {}", segments.len());
    common::assert_intact(dir);
    segments
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn problem(dir: &Path) -> Problem {
    match audit_logging::verify(dir).unwrap() {
        Verdict::Damaged { problem, .. } => problem,
        Verdict::Intact(summary) => panic!("tampering went unnoticed: {summary:?}"),
    }
}

#[test]
fn flipped_byte_is_a_hash_mismatch_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let target = &segments[1];
    let mut bytes = std::fs::read(target).unwrap();
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1)).collect();
    // Change a letter inside the third record (line 4), keeping the JSON well formed.
    let position = line_starts[3] + bytes[line_starts[3]..].windows(6).position(|w| w == b"\"read\"").unwrap() + 1;
    bytes[position] ^= 0x20;
    std::fs::write(target, &bytes).unwrap();

    let found = problem(dir.path());

    assert_eq!(found.file, *target);
    assert_eq!(found.line, 4);
    assert_eq!(found.offset, line_starts[3] as u64);
    assert!(matches!(found.kind, ProblemKind::HashMismatch { .. }), "{found}");
}

#[test]
fn deleted_line_is_a_sequence_gap() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let mut content = lines(&segments[1]);
    content.remove(2);
    write_lines(&segments[1], &content);

    let found = problem(dir.path());

    assert_eq!(found.file, segments[1]);
    assert_eq!(found.line, 3);
    assert!(matches!(found.kind, ProblemKind::SequenceGap { .. }), "{found}");
}

#[test]
fn inserted_line_is_a_sequence_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let mut content = lines(&segments[2]);
    let copy = content[1].clone();
    content.insert(3, copy);
    write_lines(&segments[2], &content);

    let found = problem(dir.path());

    assert_eq!(found.file, segments[2]);
    assert_eq!(found.line, 4);
    assert!(matches!(found.kind, ProblemKind::SequenceRepeat { .. }), "{found}");
}

#[test]
fn swapped_lines_are_found_at_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let mut content = lines(&segments[1]);
    content.swap(2, 3);
    write_lines(&segments[1], &content);

    let found = problem(dir.path());

    assert_eq!(found.file, segments[1]);
    assert_eq!(found.line, 3);
    assert!(matches!(found.kind, ProblemKind::SequenceGap { .. }), "{found}");
}

#[test]
fn deleted_middle_segment_is_reported_at_the_next_header() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    std::fs::remove_file(&segments[1]).unwrap();

    let found = problem(dir.path());

    assert_eq!(found.file, segments[2]);
    assert_eq!(found.line, 1);
    assert!(matches!(found.kind, ProblemKind::MissingRecords { .. }), "{found}");
}

#[test]
fn deleted_first_segment_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    std::fs::remove_file(&segments[0]).unwrap();

    let found = problem(dir.path());

    assert_eq!(found.file, segments[1]);
    assert_eq!(found.kind, ProblemKind::MissingRecords { expected_seq: 0, found_seq: found_first_seq(&segments[1]) });
}

fn found_first_seq(segment: &Path) -> u64 {
    let name = segment.file_name().unwrap().to_string_lossy();
    name.trim_start_matches("segment-").trim_end_matches(".jsonl").parse().unwrap()
}

#[test]
fn edited_header_link_is_a_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let mut content = lines(&segments[2]);
    let previous_hash = content[0].split("\"prev_hash\":\"").nth(1).unwrap()[..64].to_owned();
    content[0] = content[0].replace(&previous_hash, &"0".repeat(64));
    write_lines(&segments[2], &content);

    let found = problem(dir.path());

    assert_eq!(found.file, segments[2]);
    assert_eq!(found.line, 1);
    assert!(matches!(found.kind, ProblemKind::BrokenLink { .. }), "{found}");
}

#[test]
fn garbage_line_is_unparsable() {
    let dir = tempfile::tempdir().unwrap();
    let segments = build_log(dir.path());
    let mut content = lines(&segments[0]);
    content.insert(2, "not json at all".into());
    write_lines(&segments[0], &content);

    let found = problem(dir.path());

    assert_eq!(found.line, 3);
    assert!(matches!(found.kind, ProblemKind::Unparsable { .. }), "{found}");
}

#[test]
fn verify_of_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let result = audit_logging::verify(&dir.path().join("absent"));
    match result {
        Err(audit_logging::AuditError::File { path, .. }) => assert_eq!(path, dir.path().join("absent")),
        other => panic!("expected a file error, got {other:?}"),
    }
}
