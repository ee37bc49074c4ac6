//! Logger configuration: where the log lives, when it is made durable, and when segments rotate.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::AuditError;

/// Configuration accepted by [`AuditLogger::new`](crate::AuditLogger::new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Whether and where events are recorded.
    pub mode: AuditMode,
    /// Identifier of the emitting service, used in every record's `audit_id`.
    pub service_id: String,
    /// When a new segment file is started.
    pub rotation_policy: RotationPolicy,
    /// How long records are kept. Stored for the operator; deleting old segments is not yet
    /// implemented, so nothing is removed.
    pub retention_policy: RetentionPolicy,
    /// When written records are made durable with fsync.
    pub flush_mode: FlushMode,
}

/// Whether and where events are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditMode {
    /// Every call is a no-op: no thread, no files.
    Disabled,
    /// The log is a directory on local disk.
    Local {
        /// The log directory, created with mode 0700 if missing.
        base_dir: PathBuf,
    },
}

/// When records are made durable.
///
/// In every mode the writer thread, not the caller, does the work: one `write` per batch of
/// queued events, then at most one fsync for that batch (group commit).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FlushMode {
    /// Every batch is fsynced before the writer takes the next one. An event is durable a few
    /// hundred microseconds after `emit` returns; a crash loses only events not yet fsynced.
    #[default]
    Immediate,
    /// Fsync once `size` events are pending or `interval_secs` seconds after the oldest pending
    /// write, whichever comes first (and in any case once 8 MiB are unsynced). A crash can
    /// lose up to that many events or seconds.
    Batched {
        /// Pending events that trigger an fsync.
        size: usize,
        /// Maximum age in seconds of a written but not yet fsynced event.
        interval_secs: u64,
    },
    /// Like `Batched`, but a batch containing a critical event is fsynced at once when
    /// `critical_immediate` is set.
    Hybrid {
        /// Pending events that trigger an fsync.
        batch_size: usize,
        /// Maximum age in seconds of a written but not yet fsynced event.
        batch_interval_secs: u64,
        /// Whether critical events are made durable at once.
        critical_immediate: bool,
    },
}

/// When the writer starts a new segment file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RotationPolicy {
    /// At the first write after midnight UTC.
    #[default]
    Daily,
    /// Before a write that would take the segment past this many bytes.
    SizeLimit(usize),
    /// Both rules, each optional.
    Both {
        /// Whether to rotate daily.
        daily: bool,
        /// Size limit in bytes.
        size_limit: usize,
    },
}

/// How long records are kept, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Minimum age before a record may be deleted.
    pub min_retention_days: u32,
    /// Age at which records may move to archive storage.
    pub archive_after_days: u32,
    /// Age at which records may be deleted.
    pub delete_after_days: u32,
}

impl Default for RetentionPolicy {
    /// Seven years, the figure SOC 2 auditors commonly expect; archive after 90 days.
    fn default() -> Self {
        RetentionPolicy { min_retention_days: 2555, archive_after_days: 90, delete_after_days: 2555 }
    }
}

/// Default capacity of the queue between callers and the writer thread, in events.
pub const DEFAULT_QUEUE_CAPACITY: usize = 16 * 1024;

/// Default capacity of the queue in bytes (an upper bound of the events' encoded size).
pub const DEFAULT_QUEUE_BYTES: usize = 10 * 1024 * 1024;

/// Default time a dropped logger waits for its writer to drain.
pub const DEFAULT_DROP_TIMEOUT: Duration = Duration::from_secs(5);

/// Default wait between attempts to recover from a write or fsync error.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Default free space below which the writer logs a warning.
pub const DEFAULT_DISK_WARN_BELOW: u64 = 1024 * 1024 * 1024;

/// Default free space below which `emit` rejects events, keeping room for what is queued and
/// for the records that report the refusals.
pub const DEFAULT_DISK_RESERVE: u64 = 64 * 1024 * 1024;

/// Behaviour of `emit` when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// Return [`AuditError::BufferFull`] at once.
    #[default]
    Reject,
    /// Wait up to `timeout` for room, then return [`AuditError::BufferFull`]. Blocks the caller.
    Block {
        /// Longest wait.
        timeout: Duration,
    },
    /// Return [`AuditError::Dropped`] at once. For callers that choose availability over
    /// completeness and may ignore that error: the log still records how many were dropped.
    DropAndRecord,
}

/// Behaviour of the logger after a write or fsync error, while the writer retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Reject new events with [`AuditError::WriterFailed`] until the writer recovers.
    #[default]
    FailClosed,
    /// Keep accepting events into the queue (until it is full) while the writer retries.
    KeepAccepting,
}

/// Tuning that the interface's [`AuditConfig`] does not carry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoggerOptions {
    /// Events the queue holds.
    pub queue_capacity: usize,
    /// Bytes the queue holds, counted as an upper bound of each event's encoded size.
    pub queue_bytes: usize,
    /// Behaviour of `emit` when the queue is full.
    pub overflow: OverflowPolicy,
    /// Behaviour of the logger after a write or fsync error.
    pub on_failure: FailurePolicy,
    /// Wait between recovery attempts after a write or fsync error.
    pub retry_interval: Duration,
    /// Free space below which the writer logs a warning, in bytes.
    pub disk_warn_below: u64,
    /// Free space below which `emit` rejects events with [`AuditError::DiskSpaceLow`].
    pub disk_reserve: u64,
    /// How long dropping the logger without `shutdown` waits for the writer to drain.
    pub drop_timeout: Duration,
    /// Signed checkpoints of the log's Merkle tree; off when `None`.
    pub checkpoints: Option<CheckpointOptions>,
    /// Makes chosen file operations fail, for tests.
    #[cfg(feature = "fault-injection")]
    pub faults: Option<std::sync::Arc<dyn crate::faults::FaultInjector>>,
}

impl Default for LoggerOptions {
    fn default() -> Self {
        LoggerOptions {
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            overflow: OverflowPolicy::default(),
            on_failure: FailurePolicy::default(),
            retry_interval: DEFAULT_RETRY_INTERVAL,
            disk_warn_below: DEFAULT_DISK_WARN_BELOW,
            disk_reserve: DEFAULT_DISK_RESERVE,
            drop_timeout: DEFAULT_DROP_TIMEOUT,
            checkpoints: None,
            #[cfg(feature = "fault-injection")]
            faults: None,
        }
    }
}

impl LoggerOptions {
    /// Sets the queue capacity in events.
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events;
        self
    }

    /// Sets the queue capacity in bytes.
    pub fn queue_bytes(mut self, bytes: usize) -> Self {
        self.queue_bytes = bytes;
        self
    }

    /// Sets what `emit` does when the queue is full.
    pub fn overflow(mut self, policy: OverflowPolicy) -> Self {
        self.overflow = policy;
        self
    }

    /// Sets what the logger does after a write or fsync error.
    pub fn on_failure(mut self, policy: FailurePolicy) -> Self {
        self.on_failure = policy;
        self
    }

    /// Sets the wait between recovery attempts.
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Sets the free-space thresholds in bytes: warn below `warn_below`, reject below `reserve`.
    pub fn disk_thresholds(mut self, warn_below: u64, reserve: u64) -> Self {
        self.disk_warn_below = warn_below;
        self.disk_reserve = reserve;
        self
    }

    /// Sets how long a dropped logger waits for its writer to drain.
    pub fn drop_timeout(mut self, timeout: Duration) -> Self {
        self.drop_timeout = timeout;
        self
    }

    /// Turns on signed checkpoints.
    pub fn checkpoints(mut self, checkpoints: CheckpointOptions) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// Sets the fault injector (tests only).
    #[cfg(feature = "fault-injection")]
    pub fn faults(mut self, injector: std::sync::Arc<dyn crate::faults::FaultInjector>) -> Self {
        self.faults = Some(injector);
        self
    }
}

/// Default number of records between checkpoints.
pub const DEFAULT_CHECKPOINT_RECORDS: u64 = 10_000;

/// Default time between checkpoints while records arrive.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);

/// Signed checkpoints: when the writer signs the Merkle tree's root, with which key, and
/// whether it also seals each checkpoint with a forward-secure key.
///
/// A checkpoint is written after an fsync once [`every_records`](Self::every_records) records
/// or [`every`](Self::every) time have passed since the last one, after a segment rotation,
/// and at shutdown; it covers only durable records.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckpointOptions {
    /// Key that signs every checkpoint note.
    pub signer: std::sync::Arc<crate::checkpoint::SignerKey>,
    /// Origin line of the checkpoints; defaults to the signer's key name.
    pub origin: String,
    /// File holding the current forward-secure sealing key (`AUDIT-SEAL-KEY+…`). The writer
    /// seals each checkpoint with it, then evolves it and replaces the file. No sealing when
    /// `None`.
    pub seal_key_file: Option<PathBuf>,
    /// Records between checkpoints.
    pub every_records: u64,
    /// Time between checkpoints.
    pub every: Duration,
}

impl CheckpointOptions {
    /// Checkpoints signed by `signer`, with the default origin and intervals and no sealing.
    pub fn new(signer: crate::checkpoint::SignerKey) -> CheckpointOptions {
        let origin = signer.name().to_owned();
        CheckpointOptions {
            signer: std::sync::Arc::new(signer),
            origin,
            seal_key_file: None,
            every_records: DEFAULT_CHECKPOINT_RECORDS,
            every: DEFAULT_CHECKPOINT_INTERVAL,
        }
    }

    /// Seals every checkpoint with the evolving key in `path`.
    pub fn seal_key_file(mut self, path: impl Into<PathBuf>) -> CheckpointOptions {
        self.seal_key_file = Some(path.into());
        self
    }

    /// Sets the records and time between checkpoints.
    pub fn interval(mut self, every_records: u64, every: Duration) -> CheckpointOptions {
        self.every_records = every_records;
        self.every = every;
        self
    }
}

/// Fsync triggers derived from a [`FlushMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncPolicy {
    /// Pending events that trigger an fsync; 1 means every batch.
    pub max_pending: usize,
    /// Maximum age of a written, unsynced event.
    pub max_delay: Duration,
    /// Whether a batch with a critical event is fsynced at once.
    pub critical_immediate: bool,
}

impl FlushMode {
    pub(crate) fn sync_policy(&self) -> Result<SyncPolicy, AuditError> {
        let (max_pending, secs, critical_immediate) = match *self {
            FlushMode::Immediate => return Ok(SyncPolicy { max_pending: 1, max_delay: Duration::ZERO, critical_immediate: true }),
            FlushMode::Batched { size, interval_secs } => (size, interval_secs, false),
            FlushMode::Hybrid { batch_size, batch_interval_secs, critical_immediate } => {
                (batch_size, batch_interval_secs, critical_immediate)
            }
        };
        if max_pending == 0 {
            return Err(AuditError::InvalidConfig { field: "flush_mode", reason: "batch size must be at least 1".into() });
        }
        if secs == 0 {
            return Err(AuditError::InvalidConfig { field: "flush_mode", reason: "batch interval must be at least 1 second".into() });
        }
        Ok(SyncPolicy { max_pending, max_delay: Duration::from_secs(secs), critical_immediate })
    }
}

impl RotationPolicy {
    /// Returns (rotate daily, size limit in bytes).
    pub(crate) fn rules(&self) -> Result<(bool, Option<u64>), AuditError> {
        let (daily, limit) = match *self {
            RotationPolicy::Daily => (true, None),
            RotationPolicy::SizeLimit(limit) => (false, Some(limit)),
            RotationPolicy::Both { daily, size_limit } => (daily, Some(size_limit)),
        };
        if limit == Some(0) {
            return Err(AuditError::InvalidConfig { field: "rotation_policy", reason: "size limit must be greater than 0".into() });
        }
        Ok((daily, limit.map(|l| l as u64)))
    }
}
