//! What the harness reads about a server from `/proc`: CPU time and memory of a whole process tree.
//!
//! A server is the process the harness started and every descendant it has (sshd forks one or two processes per
//! connection and execs sftp-server; ringway and rclone are one process). CPU time of a process in
//! `/proc/PID/stat` covers all its threads, including the kernel's io_uring workers (`iou-wrk-*`), which are
//! threads of the process that submitted the work; descendants that exited and were reaped count through their
//! parent's `cutime`/`cstime`. So the CPU of a tree is: the root's own and reaped children's time, plus the own
//! and reaped-children time of every live descendant.

use std::collections::HashMap;
use std::fs;

/// Clock ticks per second for `/proc/PID/stat` times.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy)]
struct Stat {
    ppid: u32,
    /// utime + stime + cutime + cstime, in ticks.
    ticks: u64,
    rss_pages: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state); ppid is field 4, utime..cstime are 14..17, rss is 24.
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: u32::try_from(num(1)?).ok()?,
        ticks: num(11)? + num(12)? + num(13)? + num(14)?,
        rss_pages: num(21)?,
    })
}

/// Every process on the machine with its stat, by pid.
fn all() -> HashMap<u32, Stat> {
    let mut map = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok())
                && let Some(s) = stat(pid)
            {
                map.insert(pid, s);
            }
        }
    }
    map
}

/// `root` and its live descendants.
pub(crate) fn tree(root: u32) -> Vec<u32> {
    let procs = all();
    tree_of(root, &procs)
}

fn tree_of(root: u32, procs: &HashMap<u32, Stat>) -> Vec<u32> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            procs
                .iter()
                .filter(|(_, s)| s.ppid == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    out.retain(|p| procs.contains_key(p));
    out
}

/// CPU seconds (user + system) spent so far by the tree under `root`, reaped descendants included.
pub(crate) fn tree_cpu(root: u32) -> f64 {
    let procs = all();
    let ticks: u64 = tree_of(root, &procs)
        .iter()
        .filter_map(|p| procs.get(p))
        .map(|s| s.ticks)
        .sum();
    ticks as f64 / ticks_per_second()
}

/// Resident set of the tree in bytes, each process counted in full (shared pages count once per process).
pub(crate) fn tree_rss(root: u32) -> u64 {
    let procs = all();
    // SAFETY: sysconf has no preconditions.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    tree_of(root, &procs)
        .iter()
        .filter_map(|p| procs.get(p))
        .map(|s| s.rss_pages * page)
        .sum()
}

/// Proportional set size of the tree in bytes (`/proc/PID/smaps_rollup`): pages shared by several processes
/// are split between them, so forking servers are not charged their shared libraries once per connection.
pub(crate) fn tree_pss(root: u32) -> u64 {
    tree(root)
        .iter()
        .filter_map(|p| fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| kib * 1024)
        .sum()
}

/// CPU seconds of this process's reaped children (the clients the harness ran and waited for).
pub(crate) fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &raw mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Raises the open-file limit to its hard maximum (inherited by the servers and clients started later), for
/// the idle-sessions case.
pub(crate) fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit read and write the struct we pass.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &raw const r);
        }
    }
}

/// Whether the harness runs as root (sshd must be started by root to log users in).
pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A thread that samples the tree's RSS every 50 ms and keeps the peak, until dropped.
#[derive(Debug)]
pub(crate) struct PeakRss {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl PeakRss {
    pub(crate) fn start(root: u32) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(tree_rss(root));
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            peak.max(tree_rss(root))
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the peak in bytes.
    pub(crate) fn finish(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

/// The machine: cores, kernel, CPU model and load average, for the report.
pub(crate) fn machine() -> serde_json::Value {
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    serde_json::json!({
        "cores": std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1),
        "cpu": cpu_model,
        "kernel": kernel,
        "memory_gib": mem_total_gib(),
    })
}

fn mem_total_gib() -> f64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| (kib / 1024.0 / 1024.0 * 10.0).round() / 10.0)
}

/// The 1-minute load average.
pub(crate) fn load1() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// Where a server's CPU time is read from.
#[derive(Debug)]
pub(crate) enum CpuMeter {
    /// A cgroup of its own (v2 `cpu.stat` `usage_usec`, or v1 `cpuacct.usage`): exact, every thread and every
    /// descendant, exited ones included. Removed when the meter is dropped (after the server is stopped).
    Cgroup { dir: std::path::PathBuf, v2: bool },
    /// The live process tree from `/proc` (see [`tree_cpu`]); loses descendants their parent does not wait for.
    ProcTree,
}

impl CpuMeter {
    /// Puts `pid` (with all its threads; children it forks later follow) in a new cgroup named `name`, in the
    /// cgroup v2 hierarchy when one is mounted and writable, else the v1 cpuacct one; falls back to
    /// [`CpuMeter::ProcTree`].
    pub(crate) fn attach(pid: u32, name: &str) -> Self {
        let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut candidates: Vec<(std::path::PathBuf, bool)> = Vec::new();
        for line in mounts.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 {
                continue;
            }
            if f[2] == "cgroup2" {
                candidates.insert(0, (f[1].into(), true));
            } else if f[2] == "cgroup" && f[3].split(',').any(|o| o == "cpuacct") {
                candidates.push((f[1].into(), false));
            }
        }
        for (root, v2) in candidates {
            let dir = root.join(format!("ringway-perf-{name}-{}", std::process::id()));
            let _ = fs::remove_dir(&dir);
            if fs::create_dir(&dir).is_err() {
                continue;
            }
            let meter = Self::Cgroup {
                dir: dir.clone(),
                v2,
            };
            if fs::write(dir.join("cgroup.procs"), pid.to_string()).is_ok()
                && meter.read(pid).is_some()
            {
                return meter;
            }
            // Leave nothing behind: move the process back to the root and remove the directory.
            let _ = fs::write(root.join("cgroup.procs"), pid.to_string());
            let _ = fs::remove_dir(&dir);
        }
        Self::ProcTree
    }

    fn read(&self, root: u32) -> Option<f64> {
        match self {
            Self::Cgroup { dir, v2: true } => {
                fs::read_to_string(dir.join("cpu.stat")).ok().and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("usage_usec "))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .map(|us| us / 1e6)
                })
            }
            Self::Cgroup { dir, v2: false } => fs::read_to_string(dir.join("cpuacct.usage"))
                .ok()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .map(|ns| ns / 1e9),
            Self::ProcTree => Some(tree_cpu(root)),
        }
    }

    /// CPU seconds used so far by the server under `root`.
    pub(crate) fn cpu(&self, root: u32) -> f64 {
        self.read(root).unwrap_or(0.0)
    }

    /// How the figure is obtained, for the report.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::Cgroup { v2: true, .. } => "cgroup v2 cpu.stat usage_usec",
            Self::Cgroup { v2: false, .. } => "cgroup v1 cpuacct.usage",
            Self::ProcTree => "/proc process tree (utime+stime+cutime+cstime)",
        }
    }

    /// Removes the cgroup once the server is gone (it must hold no process).
    pub(crate) fn remove(&self) {
        if let Self::Cgroup { dir, .. } = self {
            for _ in 0..50 {
                if fs::remove_dir(dir).is_ok() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}
