//! What `/proc` says about a process: memory, CPU time, open files.

/// Resident memory (`VmRSS`), in bytes.
pub(crate) fn rss_bytes(pid: u32) -> Option<f64> {
    status_kib(pid, "VmRSS:").map(|kib| kib * 1024.0)
}

/// The peak of resident memory so far (`VmHWM`), in bytes.
pub(crate) fn peak_rss_bytes(pid: u32) -> Option<f64> {
    status_kib(pid, "VmHWM:").map(|kib| kib * 1024.0)
}

fn status_kib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) of a process, in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// How many file descriptors the process has open.
pub(crate) fn open_files(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}
