//! A real full disk: a size-limited tmpfs. Skipped, with a message, where mounting is not
//! permitted (mount needs root or CAP_SYS_ADMIN).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use audit_logging::format::{RecordBody, SystemEvent};
use audit_logging::query::{query, Query};
use audit_logging::{AuditError, FlushMode, LoggerOptions, RotationPolicy};

const FS_BYTES: u64 = 8 * 1024 * 1024;
const RESERVE: u64 = 3 * 1024 * 1024;

/// Unmounts the tmpfs when dropped.
struct Tmpfs {
    mount_point: PathBuf,
}

impl Tmpfs {
    fn mount(mount_point: &Path) -> Option<Tmpfs> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={FS_BYTES},mode=0700"), "tmpfs"])
            .arg(mount_point)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs { mount_point: mount_point.to_path_buf() })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount_point).status();
    }
}

#[test]
fn full_tmpfs_rejects_below_reserve_and_records_the_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_tmpfs) = Tmpfs::mount(dir.path()) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        return;
    };
    let log = dir.path().join("log");
    let options = LoggerOptions::default().queue_bytes(256 * 1024).disk_thresholds(2 * RESERVE, RESERVE);
    let logger = common::open_with(&log, FlushMode::Batched { size: 256, interval_secs: 1 }, RotationPolicy::Daily, options);

    let mut accepted = 0u64;
    let mut refused = 0u64;
    let mut index = 0;
    // Enough events to fill the file system twice over; stop after a run of refusals.
    while refused < 100 && index < 100_000 {
        match logger.emit(common::event(0, index)) {
            Ok(()) => accepted += 1,
            Err(AuditError::DiskSpaceLow { free, required, path }) => {
                assert!(free < required, "free {free} should be below the reserve {required}");
                assert_eq!(path, log);
                refused += 1;
            }
            Err(AuditError::BufferFull) => {
                logger.flush_blocking().unwrap();
            }
            Err(other) => panic!("unexpected error after {accepted} events: {other}"),
        }
        index += 1;
    }
    let report = logger.shutdown_blocking().unwrap();

    assert_eq!(refused, 100, "the disk reserve was never reached");
    common::assert_intact(&log);
    let records = query(&log, &Query::new()).unwrap();
    let events = records.iter().filter(|r| matches!(r.body, RecordBody::Event(_))).count() as u64;
    let lost: u64 = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::System(SystemEvent::EventsLost { count, reason, .. }) if reason == "disk_space_low" => Some(*count),
            _ => None,
        })
        .sum();
    assert_eq!(events, accepted);
    assert_eq!(lost, refused, "every refusal must be counted in the log");
    assert!(report.refused >= refused);
}
