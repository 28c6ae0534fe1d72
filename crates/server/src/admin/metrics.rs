//! `/metrics` (admin listener): Prometheus series kept with the Prometheus
//! project's `prometheus-client` crate, rendered in the OpenMetrics text
//! format. Cheap to update from any task.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A request's route (`original`, `variant`, `api`, …) and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) route: &'static str,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReasonLabels {
    pub(crate) reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OutcomeLabels {
    pub(crate) outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms … about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Every series signet exports.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub(crate) transforms: Counter,
    pub(crate) transform_failures: Counter,
    pub(crate) transform_seconds: Histogram,
    pub(crate) cache_hits: Counter,
    pub(crate) cache_misses: Counter,
    pub(crate) cache_evictions: Counter,
    pub(crate) cache_bytes: Gauge,
    pub(crate) cache_entries: Gauge,
    pub(crate) memory_allocated: Gauge,
    pub(crate) memory_active: Gauge,
    pub(crate) memory_resident: Gauge,
    pub(crate) storage_reads: Counter,
    pub(crate) storage_errors: Family<ReasonLabels, Counter>,
    pub(crate) auth_failures: Family<ReasonLabels, Counter>,
    pub(crate) overloaded: Counter,
    pub(crate) results: Family<OutcomeLabels, Counter>,
    pub(crate) results_bytes: Counter,
    pub(crate) cluster: Family<OutcomeLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("signet");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            transforms: Counter::default(),
            transform_failures: Counter::default(),
            transform_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            cache_evictions: Counter::default(),
            cache_bytes: Gauge::default(),
            cache_entries: Gauge::default(),
            memory_allocated: Gauge::default(),
            memory_active: Gauge::default(),
            memory_resident: Gauge::default(),
            storage_reads: Counter::default(),
            storage_errors: Family::default(),
            auth_failures: Family::default(),
            overloaded: Counter::default(),
            results: Family::default(),
            results_bytes: Counter::default(),
            cluster: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "requests",
            "Requests answered, by route and status",
            m.requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to the response head, by route",
            m.latency.clone(),
        );
        registry.register(
            "transforms",
            "Transforms run (cache misses that reached the pipeline)",
            m.transforms.clone(),
        );
        registry.register(
            "transform_failures",
            "Variant misses that failed (bad sources, limits, timeouts, storage)",
            m.transform_failures.clone(),
        );
        registry.register(
            "transform_duration_seconds",
            "Time spent in the pipeline per transform (decode to encode)",
            m.transform_seconds.clone(),
        );
        registry.register(
            "cache_hits",
            "Variant requests served from the cache",
            m.cache_hits.clone(),
        );
        registry.register(
            "cache_misses",
            "Variant requests not in the cache",
            m.cache_misses.clone(),
        );
        registry.register(
            "cache_evictions",
            "Variants dropped to stay within cache.max_bytes",
            m.cache_evictions.clone(),
        );
        registry.register(
            "cache_bytes",
            "Bytes held by the variant cache",
            m.cache_bytes.clone(),
        );
        registry.register(
            "cache_entries",
            "Variants held by the cache",
            m.cache_entries.clone(),
        );
        registry.register(
            "memory_allocated_bytes",
            "Heap bytes the process holds, by the allocator's count",
            m.memory_allocated.clone(),
        );
        registry.register(
            "memory_active_bytes",
            "Heap pages in use: allocated bytes plus size-class rounding",
            m.memory_active.clone(),
        );
        registry.register(
            "memory_resident_bytes",
            "Resident heap pages: active plus allocator metadata and freed pages not yet returned",
            m.memory_resident.clone(),
        );
        registry.register(
            "storage_reads",
            "Whole-object reads of sources, profiles and watermarks",
            m.storage_reads.clone(),
        );
        registry.register(
            "storage_errors",
            "Requests that failed on storage, by kind (unavailable, timeout, io)",
            m.storage_errors.clone(),
        );
        registry.register(
            "auth_failures",
            "Requests refused by the auth gate or the API, by reason",
            m.auth_failures.clone(),
        );
        registry.register(
            "overloaded",
            "Requests refused with 503 because the transform queue was full",
            m.overloaded.clone(),
        );
        registry.register(
            "results",
            "Shared result tier lookups and writes, by outcome (hit, miss, error, \
             corrupt; stored, exists, put_failure)",
            m.results.clone(),
        );
        registry.register(
            "results_read_bytes",
            "Variant bytes served from the shared result tier",
            m.results_bytes.clone(),
        );
        registry.register(
            "cluster_messages",
            "Cluster invalidation over Redis, by outcome (subscribed, published, \
             publish_failure, dropped, received, malformed, resync, redis_error)",
            m.cluster.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn request(&self, route: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// The OpenMetrics text of every series.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot render metrics");
        }
        out
    }

    /// Counts one cluster-invalidation outcome.
    pub(crate) fn cluster(&self, outcome: &'static str) {
        self.cluster.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts one result-tier outcome.
    pub(crate) fn result(&self, outcome: &'static str) {
        self.results.get_or_create(&OutcomeLabels { outcome }).inc();
    }
}

pub(crate) fn bump(counter: &Counter) {
    counter.inc();
}
