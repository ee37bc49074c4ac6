//! Readings from `/proc` and `/sys` (Linux only): per-thread CPU time, peak resident memory, and
//! a description of the machine for the report.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// Name the library gives its writer thread.
pub const WRITER_THREAD_NAME: &str = "audit-writer";

/// Returns the ids of this process's threads named `name`.
pub fn threads_named(name: &str) -> HashSet<u32> {
    let Ok(entries) = fs::read_dir("/proc/self/task") else { return HashSet::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|tid| fs::read_to_string(format!("/proc/self/task/{tid}/comm")).is_ok_and(|comm| comm.trim_end() == name))
        .collect()
}

/// Returns the one writer thread that is not in `before`, waiting up to a second for it to
/// appear. `None` if none or several appeared.
///
/// The wait is needed because a new thread sets its own name after it starts, so right after
/// `AuditLogger::new` returns the writer may not carry its name yet.
pub fn new_writer_thread(before: &HashSet<u32>) -> Option<u32> {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let new: Vec<u32> = threads_named(WRITER_THREAD_NAME).into_iter().filter(|tid| !before.contains(tid)).collect();
        match new[..] {
            [tid] => return Some(tid),
            [] if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            _ => return None,
        }
    }
}

/// Returns the CPU time in nanoseconds that thread `tid` of this process has run, from the
/// first field of `/proc/self/task/TID/schedstat` (user and kernel time together).
pub fn thread_cpu_ns(tid: u32) -> Option<u64> {
    thread_schedstat(tid).map(|(running, _)| running)
}

/// Returns (time on a CPU, time runnable but waiting for a CPU) of thread `tid`, in
/// nanoseconds, from `/proc/self/task/TID/schedstat`. The second shows how much other
/// processes on a shared machine delayed the thread.
pub fn thread_schedstat(tid: u32) -> Option<(u64, u64)> {
    let text = fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let mut fields = text.split_whitespace().map(|field| field.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
}

/// Clock ticks per second of the `utime` and `stime` fields in `/proc/*/stat`. Linux fixes
/// `USER_HZ` at 100 on every architecture this harness runs on.
const TICKS_PER_SEC: u64 = 100;

/// User and kernel CPU time in nanoseconds, at 10 ms resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Time in user space.
    pub user_ns: u64,
    /// Time in the kernel on the thread's behalf (system calls, page faults).
    pub system_ns: u64,
}

impl CpuTimes {
    /// User and kernel time together.
    pub fn total_ns(&self) -> u64 {
        self.user_ns + self.system_ns
    }

    /// Returns the time spent between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            user_ns: self.user_ns.saturating_sub(earlier.user_ns),
            system_ns: self.system_ns.saturating_sub(earlier.system_ns),
        }
    }
}

/// Reads `utime` and `stime` from a `/proc/.../stat` file.
fn stat_times(path: &str) -> Option<CpuTimes> {
    let stat = fs::read_to_string(path).ok()?;
    // The command name in brackets may contain spaces, so fields are counted after the last
    // closing bracket, where field 3 (the state) starts. Fields 14 and 15 are utime and stime.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let to_ns = |ticks: u64| ticks * (1_000_000_000 / TICKS_PER_SEC);
    let user = fields.next()?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some(CpuTimes { user_ns: to_ns(user), system_ns: to_ns(system) })
}

/// Returns the CPU times of thread `tid` of this process.
pub fn thread_times(tid: u32) -> Option<CpuTimes> {
    stat_times(&format!("/proc/self/task/{tid}/stat"))
}

/// Returns the CPU times of the whole process, exited threads included.
pub fn process_times() -> Option<CpuTimes> {
    stat_times("/proc/self/stat")
}

/// Returns the calling thread's voluntary and involuntary context switches so far.
pub fn own_context_switches() -> Option<(u64, u64)> {
    context_switches("/proc/thread-self/status")
}

/// Returns the voluntary and involuntary context switches of thread `tid` of this process.
pub fn thread_context_switches(tid: u32) -> Option<(u64, u64)> {
    context_switches(&format!("/proc/self/task/{tid}/status"))
}

fn context_switches(path: &str) -> Option<(u64, u64)> {
    let text = fs::read_to_string(path).ok()?;
    let field = |name: &str| {
        let line = text.lines().find(|line| line.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    };
    Some((field("voluntary_ctxt_switches:")?, field("nonvoluntary_ctxt_switches:")?))
}

/// Returns a field of `/proc/self/status` given in kB, such as `VmHWM` (peak resident set)
/// or `VmRSS`.
pub fn status_kib(field: &str) -> Option<u64> {
    let text = fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|line| line.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The machine a run happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cpus: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Whether the CPU has the SHA extensions (`sha_ni`).
    pub sha_ni: bool,
    /// Kernel release.
    pub kernel: String,
    /// Total memory in MiB.
    pub memory_mib: u64,
    /// Load average over one minute when the run started.
    pub load_average: String,
    /// Device, filesystem type and mount point holding the benchmark directory.
    pub filesystem: String,
    /// Whether the block device reports itself as rotational (`None` when unknown).
    pub rotational: Option<bool>,
}

impl Machine {
    /// Describes this machine and the filesystem holding `dir`.
    pub fn describe(dir: &Path) -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_field = |name: &str| {
            cpuinfo
                .lines()
                .find(|line| line.split(':').next().is_some_and(|key| key.trim() == name))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_owned())
        };
        let sha_ni = cpu_field("flags").is_some_and(|flags| flags.split_whitespace().any(|flag| flag == "sha_ni"));
        let (filesystem, device) = mount_of(dir).unwrap_or_else(|| ("unknown".into(), String::new()));
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_field("model name").unwrap_or_else(|| "unknown".into()),
            sha_ni,
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            memory_mib: meminfo_kib("MemTotal").map_or(0, |kib| kib / 1024),
            load_average: read_trimmed("/proc/loadavg")
                .and_then(|text| text.split_whitespace().next().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into()),
            filesystem,
            rotational: rotational(&device),
        }
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|text| text.trim().to_owned())
}

fn meminfo_kib(field: &str) -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Returns ("DEVICE FSTYPE on MOUNTPOINT", DEVICE) for the mount holding `dir`: the entry of
/// `/proc/self/mounts` with the longest mount point that is a prefix of the path.
fn mount_of(dir: &Path) -> Option<(String, String)> {
    let dir = dir.canonicalize().ok()?;
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    let (device, mount_point, fs_type) = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
        .filter(|(_, mount_point, _)| dir.starts_with(mount_point))
        .max_by_key(|(_, mount_point, _)| mount_point.len())?;
    Some((format!("{device} {fs_type} on {mount_point}"), device.to_owned()))
}

/// Reads `/sys/block/NAME/queue/rotational` for a device path such as `/dev/vda` or
/// `/dev/nvme0n1p2` (a partition is looked up through its parent disk).
fn rotational(device: &str) -> Option<bool> {
    let name = device.strip_prefix("/dev/")?;
    let block = fs::read_dir("/sys/block").ok()?.filter_map(Result::ok).find_map(|entry| {
        let disk = entry.file_name().into_string().ok()?;
        let owns = disk == name || Path::new("/sys/block").join(&disk).join(name).exists();
        owns.then_some(disk)
    })?;
    match read_trimmed(&format!("/sys/block/{block}/queue/rotational"))?.as_str() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_readable() {
        assert!(status_kib("VmHWM").is_some_and(|kib| kib > 0));
    }

    #[test]
    fn process_and_thread_times_are_readable() {
        let busy_until = Instant::now() + Duration::from_millis(30);
        while Instant::now() < busy_until {
            std::hint::black_box(0);
        }
        assert!(process_times().is_some_and(|times| times.total_ns() > 0));
        assert!(own_context_switches().is_some());
    }

    #[test]
    fn own_thread_cpu_time_is_readable() {
        let tid = fs::read_link("/proc/thread-self").ok().and_then(|link| link.file_name()?.to_str()?.parse().ok());
        assert!(tid.and_then(thread_cpu_ns).is_some());
    }
}
