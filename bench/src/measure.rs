//! Process measurements: the rusage of a child (its peak RSS and CPU time), this process's CPU
//! time, another process's CPU time, a thread's CPU time, and the machine's load.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// What one child process used, from `wait4`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Usage {
    /// Peak resident set size, in MiB: `ru_maxrss` from `wait4`, replaced by the child's own
    /// `VmHWM` when it reports one (see [`own_peak_rss_mib`]).
    pub max_rss_mib: f64,
    pub user_s: f64,
    pub system_s: f64,
    /// Wall time from spawn to exit.
    pub wall_s: f64,
}

impl Usage {
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.system_s
    }
}

fn timeval_s(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

/// A finished child: what it printed and what it used.
pub struct ChildRun {
    pub stdout: String,
    pub success: bool,
    pub usage: Usage,
}

/// Runs `command` to its end with stdout captured and stderr inherited, and reads its rusage
/// with `wait4`, so the figures are this child's alone.
pub fn run_child(mut command: Command) -> std::io::Result<ChildRun> {
    let started = Instant::now();
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: plain libc calls on a zeroed rusage for a child of ours that has not been reaped.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
    if reaped != pid {
        return Err(std::io::Error::last_os_error());
    }
    let wall = started.elapsed();
    // `child` was reaped by wait4; dropping it neither waits nor kills.
    drop(child);
    Ok(ChildRun {
        stdout,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        usage: Usage {
            // Linux reports ru_maxrss in KiB.
            max_rss_mib: rusage.ru_maxrss as f64 / 1024.0,
            user_s: timeval_s(rusage.ru_utime),
            system_s: timeval_s(rusage.ru_stime),
            wall_s: wall.as_secs_f64(),
        },
    })
}

/// CPU time (user + system) of this whole process so far.
pub fn process_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut rusage) };
    Duration::from_secs_f64(timeval_s(rusage.ru_utime) + timeval_s(rusage.ru_stime))
}

/// A child of this process whose command line contains `name`, such as `moto_server`.
pub fn child_pid(name: &str) -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = stat.rsplit_once(')')?.1;
        let ppid: u32 = after_name.split_whitespace().nth(1)?.parse().ok()?;
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).ok()?;
        (ppid == me && cmdline.contains(name)).then_some(pid)
    })
}

/// User + system CPU seconds of a process, from /proc.
pub fn cpu_s_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based) of the full line.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((utime + stime) / ticks)
}

/// This process's peak RSS (`VmHWM`), in MiB. Unlike `ru_maxrss`, it belongs to the program
/// image alone: `ru_maxrss` keeps the high-water mark of the process before `exec`, i.e. of the
/// forked copy of its parent, so a child of a large parent would report the parent's size.
pub fn own_peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time of the calling thread so far.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The 1-minute load average: other work on the machine competes for its two cores.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A short description of the CPU, from /proc/cpuinfo.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_measured_on_its_own() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo hello"]);
        let run = run_child(command).unwrap();
        assert!(run.success);
        assert_eq!(run.stdout.trim(), "hello");
        assert!(run.usage.max_rss_mib > 0.0);
        assert!(run.usage.wall_s > 0.0);

        let mut failing = Command::new("sh");
        failing.args(["-c", "exit 3"]);
        assert!(!run_child(failing).unwrap().success);
    }

    #[test]
    fn own_counters_move() {
        let before = thread_cpu();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(thread_cpu() >= before);
        assert!(process_cpu() > Duration::ZERO);
        assert!(own_peak_rss_mib().unwrap() > 0.0);
    }
}
