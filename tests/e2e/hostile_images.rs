//! The hostile image corpus (`scripts/hostile-images.py`) through the real
//! server with its default limits: every file gets its 4xx in under 2 s,
//! memory stays bounded, and the next normal request is served.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{config, Media, Server};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg");

/// Resident memory of a process, from `/proc/<pid>/status`.
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kib * 1024
}

/// Runs the generator into `dir` and returns its manifest.
fn generate(dir: &Path) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hostile-images.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .status()
        .expect("python3 runs the generator");
    assert!(status.success(), "{} failed", script.display());
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    serde_json::from_slice(&manifest).unwrap()
}

#[test]
fn every_hostile_image_gets_its_4xx_fast_and_memory_stays_bounded() {
    let media = Media::new();
    let root = media.root();
    std::fs::write(root.join("public/photo.jpg"), PHOTO).unwrap();
    let manifest = generate(&root.join("public/hostile"));
    assert!(
        manifest.len() >= 15,
        "the corpus shrank: {}",
        manifest.len()
    );
    let s = Server::start(&config(&root, ""));

    // Warm up the allocator and the decoders with normal work first.
    for w in [64, 200, 640] {
        assert_eq!(s.get(&format!("/public/photo.jpg?w={w}")).status, 200);
    }
    let baseline = rss_bytes(s.pid());
    let mut peak = baseline;

    for (i, case) in manifest.iter().enumerate() {
        let file = case["file"].as_str().unwrap();
        let query = case["query"].as_str().unwrap();
        let want = case["status"].as_u64().unwrap();
        let target = format!("/public/hostile/{file}?{query}");
        let started = Instant::now();
        let r = s.get(&target);
        let took = started.elapsed();
        assert_eq!(u64::from(r.status), want, "{target}: {}", r.text());
        assert!(took < Duration::from_secs(2), "{target} took {took:?}");
        if want != 200 {
            assert!(
                r.text().len() < 300 && !r.text().is_empty(),
                "{target}: a short reason, got {:?}",
                r.text()
            );
        }
        peak = peak.max(rss_bytes(s.pid()));
        // A new variant each time, so the next request really transforms.
        let next = format!("/public/photo.jpg?w={}", 100 + i);
        assert_eq!(s.get(&next).status, 200, "serving after {target}");
        eprintln!(
            "{file:<24} {} in {:>4} ms  rss {:>4} MiB  ({})",
            r.status,
            took.as_millis(),
            rss_bytes(s.pid()) >> 20,
            case["why"].as_str().unwrap()
        );
    }
    let growth = peak.saturating_sub(baseline);
    eprintln!("baseline {} MiB, peak {} MiB", baseline >> 20, peak >> 20);
    assert!(
        growth < 64 << 20,
        "RSS grew by {} MiB over the corpus",
        growth >> 20
    );
}
