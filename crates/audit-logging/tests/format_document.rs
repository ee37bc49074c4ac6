//! Cross-check: `docs/verify_format.py`, written from `docs/FORMAT.md` alone, must reach the
//! same verdict as the crate on clean and damaged logs. Skipped where `python3` is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use audit_logging::verify::Verdict;
use audit_logging::{FlushMode, LoggerOptions, RotationPolicy};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify_format.py")
}

/// Runs the script; `None` when python3 is not installed.
fn run_script(dir: &Path) -> Option<(i32, String)> {
    let output = Command::new("python3").arg(script()).arg(dir).output().ok()?;
    Some((output.status.code().unwrap_or(-1), String::from_utf8(output.stdout).unwrap()))
}

fn build_log(dir: &Path) {
    for run in 0..2 {
        let logger = common::open_with(dir, FlushMode::Immediate, RotationPolicy::SizeLimit(2048), LoggerOptions::default());
        for index in 0..25 {
            logger.emit(common::event(run, index)).unwrap();
        }
        logger.shutdown_blocking().unwrap();
    }
}

#[test]
fn python_verifier_agrees_with_crate() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path());
    let Some((status, out)) = run_script(dir.path()) else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    assert_eq!(status, 0, "{out}");
    assert_eq!(out.trim(), format!("intact: {} records", common::assert_intact(dir.path())));

    let segment = common::segments(dir.path())[2].clone();
    let mut bytes = std::fs::read(&segment).unwrap();
    let second_line = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let target = second_line + bytes[second_line..].windows(6).position(|w| w == b"\"read\"").unwrap() + 1;
    bytes[target] = b'R';
    std::fs::write(&segment, bytes).unwrap();

    let (status, out) = run_script(dir.path()).unwrap();
    let Verdict::Damaged { problem, .. } = audit_logging::verify(dir.path()).unwrap() else { panic!("damage not found") };
    assert_eq!(status, 1, "{out}");
    let location = format!("{}:{}:", problem.file.file_name().unwrap().to_string_lossy(), problem.line);
    assert!(out.contains(&location), "python reported {out:?}, the crate {problem}");
    assert!(out.contains("HashMismatch"), "{out}");
}
