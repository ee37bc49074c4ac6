//! [`IoGate`]: a fault injector that fails nothing, counts the writer's writes and fsyncs, and
//! can block one kind of operation until opened again (an artificial disk stall).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use audit_logging::faults::{Fault, FaultInjector, IoOperation};

/// Maximum time an operation waits at the gate. Past it the gate lets the writer go on by
/// itself, so a harness that fails to open the gate still finishes.
pub const MAX_HOLD: Duration = Duration::from_secs(120);

/// The start of the most recent segment write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteMark {
    /// When the writer was about to write.
    pub at: Instant,
    /// Bytes written before this write.
    pub bytes_before: u64,
    /// Bytes in this write.
    pub len: u64,
}

/// Counts of the operations the writer performed since the gate was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoCounts {
    /// Segment writes.
    pub writes: u64,
    /// Bytes in those writes.
    pub bytes: u64,
    /// Fsyncs of segments (segment creation's own fsync is not counted).
    pub syncs: u64,
    /// The most recent write.
    pub last_write: Option<WriteMark>,
}

#[derive(Debug, Default)]
struct Hold {
    /// The operation being held, if any.
    operation: Option<IoOperation>,
    /// Operations waiting at the gate now.
    waiting: usize,
}

/// A [`FaultInjector`] that never injects a fault. It counts writes and fsyncs and, while
/// closed, blocks the chosen operation until [`IoGate::open`] (or for at most [`MAX_HOLD`]).
#[derive(Debug, Default)]
pub struct IoGate {
    closed: AtomicBool,
    hold: Mutex<Hold>,
    changed: Condvar,
    writes: AtomicU64,
    bytes: AtomicU64,
    syncs: AtomicU64,
    last_write: Mutex<Option<WriteMark>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IoGate {
    /// Returns an open gate.
    pub fn new() -> Arc<IoGate> {
        Arc::new(IoGate::default())
    }

    /// Blocks every later `operation` until [`open`](Self::open).
    pub fn close(&self, operation: IoOperation) {
        lock(&self.hold).operation = Some(operation);
        self.closed.store(true, Ordering::Release);
    }

    /// Releases held operations and stops holding.
    pub fn open(&self) {
        self.closed.store(false, Ordering::Release);
        lock(&self.hold).operation = None;
        self.changed.notify_all();
    }

    /// Waits until an operation is held at the gate, for at most `timeout`. Returns whether one is.
    pub fn wait_until_held(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut hold = lock(&self.hold);
        while hold.waiting == 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            hold = self.changed.wait_timeout(hold, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }

    /// Returns the counts so far.
    pub fn counts(&self) -> IoCounts {
        IoCounts {
            writes: self.writes.load(Ordering::Acquire),
            bytes: self.bytes.load(Ordering::Acquire),
            syncs: self.syncs.load(Ordering::Acquire),
            last_write: *lock(&self.last_write),
        }
    }

    fn wait_if_held(&self, operation: IoOperation) {
        let deadline = Instant::now() + MAX_HOLD;
        let mut hold = lock(&self.hold);
        if hold.operation != Some(operation) {
            return;
        }
        hold.waiting += 1;
        self.changed.notify_all();
        while hold.operation == Some(operation) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
            hold = self.changed.wait_timeout(hold, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        hold.waiting -= 1;
    }
}

impl FaultInjector for IoGate {
    fn inject(&self, operation: IoOperation, _path: &Path, len: usize) -> Option<Fault> {
        if self.closed.load(Ordering::Acquire) {
            self.wait_if_held(operation);
        }
        match operation {
            IoOperation::Write => {
                let len = len as u64;
                let bytes_before = self.bytes.fetch_add(len, Ordering::AcqRel);
                self.writes.fetch_add(1, Ordering::AcqRel);
                *lock(&self.last_write) = Some(WriteMark { at: Instant::now(), bytes_before, len });
            }
            IoOperation::Sync => {
                self.syncs.fetch_add(1, Ordering::AcqRel);
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_gate_counts_writes_and_syncs() {
        let gate = IoGate::new();
        assert!(gate.inject(IoOperation::Write, Path::new("a"), 10).is_none());
        assert!(gate.inject(IoOperation::Write, Path::new("a"), 5).is_none());
        assert!(gate.inject(IoOperation::Sync, Path::new("a"), 0).is_none());
        let counts = gate.counts();
        assert_eq!(counts.writes, 2);
        assert_eq!(counts.bytes, 15);
        assert_eq!(counts.syncs, 1);
        let last = counts.last_write.unwrap();
        assert_eq!(last.bytes_before, 10);
        assert_eq!(last.len, 5);
    }

    #[test]
    fn closed_gate_blocks_until_opened() {
        let gate = IoGate::new();
        gate.close(IoOperation::Sync);
        // A write passes a gate that blocks fsyncs.
        assert!(gate.inject(IoOperation::Write, Path::new("a"), 1).is_none());
        let injector = Arc::clone(&gate);
        let thread = std::thread::spawn(move || injector.inject(IoOperation::Sync, Path::new("a"), 0).is_none());
        assert!(gate.wait_until_held(Duration::from_secs(30)));
        assert_eq!(gate.counts().syncs, 0);
        gate.open();
        assert!(thread.join().unwrap());
        assert_eq!(gate.counts().syncs, 1);
    }
}
