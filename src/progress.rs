//! A progress line on stderr for long scans: blobs and bytes scanned, rate,
//! findings so far. Shown on a terminal, or when `--progress` asks; never
//! written to pipes or CI logs otherwise.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::stats::Counters;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);
/// Scans shorter than this never show a line.
const QUIET_FOR: Duration = Duration::from_millis(750);

/// Runs `work` while a scoped thread redraws the progress line; `findings`
/// reports how many findings there are so far.
pub fn with_progress<T>(
    enabled: bool,
    counters: &Counters,
    findings: &(dyn Fn() -> usize + Sync),
    work: impl FnOnce() -> T,
) -> T {
    if !enabled {
        return work();
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let ticker = s.spawn(|| {
            let started = Instant::now();
            let mut shown = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                if started.elapsed() < QUIET_FOR {
                    continue;
                }
                shown = true;
                draw(counters, findings(), started.elapsed());
            }
            if shown {
                // Clear the line so the report starts on a clean one.
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        let _ = ticker.join();
        out
    })
}

fn draw(counters: &Counters, findings: usize, elapsed: Duration) {
    let files = counters.files.load(Ordering::Relaxed);
    let bytes = counters.bytes.load(Ordering::Relaxed);
    let rate = bytes as f64 / elapsed.as_secs_f64().max(1e-3) / 1_048_576.0;
    let _ = write!(
        std::io::stderr(),
        "\r\x1b[2Kkeyhound: {files} blobs, {:.1} MiB scanned ({rate:.0} MiB/s), {findings} findings",
        bytes as f64 / 1_048_576.0
    );
}
