//! Counters for `/metrics` (Prometheus text format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters. Cheap to bump from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) transforms: AtomicU64,
    pub(crate) transform_failures: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) cache_misses: AtomicU64,
    pub(crate) storage_reads: AtomicU64,
    pub(crate) overloaded: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Transforms run so far (for tests and `/metrics`).
    pub fn transforms(&self) -> u64 {
        self.transforms.load(Ordering::Relaxed)
    }

    /// Renders every series; `gauges` are (name, help, value) computed by the caller.
    pub(crate) fn render(&self, gauges: &[(&str, &str, u64)]) -> String {
        let mut out = String::new();
        let counters = [
            (
                "signet_transforms_total",
                "Transforms run (cache misses that reached the pipeline).",
                &self.transforms,
            ),
            (
                "signet_transform_failures_total",
                "Transforms that failed (bad sources, limits, timeouts).",
                &self.transform_failures,
            ),
            (
                "signet_cache_hits_total",
                "Variant requests served from the cache.",
                &self.cache_hits,
            ),
            (
                "signet_cache_misses_total",
                "Variant requests not in the cache.",
                &self.cache_misses,
            ),
            (
                "signet_storage_reads_total",
                "Whole-object reads of sources, profiles and watermarks.",
                &self.storage_reads,
            ),
            (
                "signet_overloaded_total",
                "Requests refused with 503 because the transform queue was full.",
                &self.overloaded,
            ),
        ];
        for (name, help, value) in counters {
            let v = value.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
