//! Watching the process under attack: its memory (sampled for the peak), CPU and sockets;
//! and a normal client on the same server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sse_conformance::client::{observe, Limits, Target};

use crate::proc;

const MIB: f64 = 1024.0 * 1024.0;

/// Samples a process's memory every 50 ms until stopped, keeping the peak.
pub(crate) struct Sampler {
    pid: u32,
    peak: Arc<AtomicU64>,
    peak_files: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    before_rss: f64,
    before_cpu: f64,
    before_files: usize,
}

/// What a [`Sampler`] saw.
pub(crate) struct Sampled {
    /// MiB before, at the peak, and after.
    pub(crate) memory: (f64, f64, f64),
    pub(crate) cpu_seconds: f64,
    pub(crate) files_before: usize,
    pub(crate) files_peak: usize,
    pub(crate) files_after: usize,
}

impl Sampler {
    pub(crate) fn start(pid: u32) -> Self {
        let before_rss = proc::rss_bytes(pid).unwrap_or(0.0);
        let peak = Arc::new(AtomicU64::new(before_rss as u64));
        let peak_files = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let peak = peak.clone();
            let peak_files = peak_files.clone();
            async move {
                loop {
                    if let Some(rss) = proc::rss_bytes(pid) {
                        peak.fetch_max(rss as u64, Ordering::Relaxed);
                    }
                    if let Some(files) = proc::open_files(pid) {
                        peak_files.fetch_max(files as u64, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
        Self {
            pid,
            peak,
            peak_files,
            task,
            before_rss,
            before_cpu: proc::cpu_seconds(pid).unwrap_or(0.0),
            before_files: proc::open_files(pid).unwrap_or(0),
        }
    }

    /// Stops sampling after `settle` (the "after" reading is taken then).
    pub(crate) async fn finish(self, settle: Duration) -> Sampled {
        tokio::time::sleep(settle).await;
        self.task.abort();
        let after = proc::rss_bytes(self.pid).unwrap_or(0.0);
        let peak = (self.peak.load(Ordering::Relaxed) as f64).max(after);
        Sampled {
            memory: (self.before_rss / MIB, peak / MIB, after / MIB),
            cpu_seconds: proc::cpu_seconds(self.pid).unwrap_or(0.0) - self.before_cpu,
            files_before: self.before_files,
            files_peak: self.peak_files.load(Ordering::Relaxed) as usize,
            files_after: proc::open_files(self.pid).unwrap_or(0),
        }
    }
}

/// A normal client: the ticker at `interval_ms` for `duration`; `Ok` with a summary when
/// every event came on time (no gap over `max_gap_ms`, the count about right).
pub(crate) async fn normal_client(
    base: &str,
    interval_ms: u64,
    duration: Duration,
    max_gap_ms: f64,
) -> Result<String, String> {
    let target = Target::get(&format!("{base}/events?interval_ms={interval_ms}"))
        .map_err(|e| e.to_string())?;
    let limits = Limits {
        duration,
        ..Limits::default()
    };
    let transcript = observe(&target, &limits, &mut |_| {})
        .await
        .map_err(|e| format!("could not connect: {e}"))?;
    let analysis = transcript.analyze();
    let times: Vec<f64> = analysis.events().map(|(at, _)| at).collect();
    let expected = duration.as_millis() as f64 / interval_ms as f64;
    let mut gaps = times.windows(2).map(|pair| pair[1] - pair[0]);
    let worst = gaps
        .by_ref()
        .fold(times.first().copied().unwrap_or(f64::MAX), f64::max);
    let summary = format!("{} events, worst gap {:.0} ms", times.len(), worst);
    if (times.len() as f64) < expected * 0.7 || worst > max_gap_ms {
        Err(summary)
    } else {
        Ok(summary)
    }
}
