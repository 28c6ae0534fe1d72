//! What operators see: `/metrics` series (SPEC §10) and structured logs.

use serde_json::{json, Value};

use crate::harness::{config, now, Media, Server};
use crate::tokens::{claims, hs256};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg");

/// The value of the series line that starts with `series` exactly.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn metrics_cover_requests_latency_cache_transforms_and_auth() {
    let media = Media::new();
    std::fs::write(media.root().join("public/photo.jpg"), PHOTO).unwrap();
    // A cache that holds about three of these variants: later ones evict.
    let s = Server::start(&config(&media.root(), "[cache]\nmax_bytes = \"5KB\"\n"));
    assert_eq!(s.get("/public/notes.txt").status, 200);
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);
    for w in 101..=105 {
        assert_eq!(s.get(&format!("/public/photo.jpg?w={w}")).status, 200);
    }
    assert_eq!(s.get("/public/nope.jpg").status, 404);
    assert_eq!(s.get("/private/a.jpg").status, 403);
    let expired = hs256(claims(json!("/private/a.jpg"), now() - 7200), "topsecret");
    assert_eq!(s.get(&format!("/private/a.jpg?jwt={expired}")).status, 403);

    let r = s.admin_get("/metrics");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().contains("openmetrics"));
    let text = r.text();
    let want = [
        (
            "signet_requests_total{route=\"original\",status=\"200\"}",
            1.0,
        ),
        (
            "signet_requests_total{route=\"variant\",status=\"200\"}",
            7.0,
        ),
        (
            "signet_requests_total{route=\"original\",status=\"404\"}",
            1.0,
        ),
        (
            "signet_request_duration_seconds_count{route=\"variant\"}",
            7.0,
        ),
        ("signet_cache_hits_total", 1.0),
        ("signet_cache_misses_total", 6.0),
        ("signet_transforms_total", 6.0),
        ("signet_transform_duration_seconds_count", 6.0),
        ("signet_auth_failures_total{reason=\"missing token\"}", 1.0),
        ("signet_auth_failures_total{reason=\"expired key\"}", 1.0),
    ];
    for (series, value) in want {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    assert!(
        sample(&text, "signet_cache_evictions_total").unwrap() >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "signet_cache_bytes").unwrap() <= 5_000.0,
        "{text}"
    );
    assert!(
        sample(&text, "signet_cache_entries").unwrap() >= 1.0,
        "{text}"
    );
    // The allocator's account: what the heap holds ≤ its pages ≤ resident,
    // all non-zero in the real binary (jemalloc with statistics).
    let allocated = sample(&text, "signet_memory_allocated_bytes").unwrap();
    let active = sample(&text, "signet_memory_active_bytes").unwrap();
    let resident = sample(&text, "signet_memory_resident_bytes").unwrap();
    assert!(
        0.0 < allocated && allocated <= active && active <= resident,
        "{text}"
    );
    assert!(
        text.contains("signet_request_duration_seconds_bucket{le="),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

#[test]
fn json_logs_are_one_object_per_line_without_tokens() {
    let media = Media::new();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("signet.log");
    let s = Server::start_logged(&config(&media.root(), "log_format = \"json\"\n"), &log);
    let token = hs256(claims(json!("/private/a.jpg"), now()), "topsecret");
    assert_eq!(s.get(&format!("/private/a.jpg?jwt={token}")).status, 200);
    assert_eq!(s.get("/private/a.jpg").status, 403);
    drop(s);
    let text = std::fs::read_to_string(log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|v| v["target"] == "signet::access")
        .collect();
    assert_eq!(access.len(), 2, "{text}");
    assert_eq!(access[0]["fields"]["status"], 200);
    assert_eq!(access[0]["fields"]["auth"], "jwt");
    assert_eq!(access[1]["fields"]["auth"], "missing token");
    assert!(!text.contains(&token), "tokens are never logged");
}
