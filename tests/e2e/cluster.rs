//! Replicas sharing work through the result tier (`[results]`): several
//! real signet processes over one s3s-fs, media in one bucket and results
//! in another. A variant is made once for all of them, a new replica starts
//! warm, and a result object that is damaged or stands for another variant
//! is never served.

use std::path::{Path, PathBuf};
use std::time::Duration;

use signet_storage::testing::S3Server;

use crate::harness::{put_object, s3_config, wait_until, Resp, Server, BIN};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800
const LOGO: &[u8] = include_bytes!("../../examples/media/logo.png"); // 200×80

const RESULTS: &str = "[results]\nbucket = \"results\"\nprefix = \"\"\ntimeout = \"2s\"\n";

fn setup() -> Option<S3Server> {
    let s3 = S3Server::start(&["media", "results"])?;
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    put_object(&s3, "public/logo.png", LOGO, Some("image/png"));
    Some(s3)
}

fn replica(s3: &S3Server, results: &str) -> Server {
    Server::start(&s3_config(s3, results))
}

/// A labelled counter, 0 while the series does not exist yet.
fn counter(s: &Server, series: &str) -> u64 {
    let text = s.admin_get("/metrics").text();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

fn outcome(s: &Server, outcome: &str) -> u64 {
    counter(s, &format!("signet_results_total{{outcome=\"{outcome}\"}}"))
}

/// The result objects s3s-fs holds, by file path.
fn objects(s3: &S3Server) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![s3.data_dir().unwrap().join("results")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn stored(s: &Server, s3: &S3Server, want: usize) {
    wait_until(Duration::from_secs(10), "the result is stored", || {
        outcome(s, "stored") as usize >= want && objects(s3).len() >= want
    });
}

fn same(a: &Resp, b: &Resp) {
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_eq!(a.header("content-type"), b.header("content-type"));
    assert_eq!(a.header("content-length"), b.header("content-length"));
    assert_eq!(a.header("cache-control"), b.header("cache-control"));
    assert!(a.body == b.body, "same bytes from every replica");
}

#[test]
fn a_variant_is_made_once_for_every_replica() {
    let Some(s3) = setup() else { return };
    let replicas: Vec<Server> = (0..3).map(|_| replica(&s3, RESULTS)).collect();
    let url = "/public/photo.jpg?w=300&format=webp";
    let first = replicas[0].get(url);
    assert_eq!(first.status, 200);
    stored(&replicas[0], &s3, 1);
    for r in &replicas[1..] {
        same(&first, &r.get(url));
        assert_eq!(outcome(r, "hit"), 1);
    }
    let transforms: u64 = replicas
        .iter()
        .map(|r| r.metric("signet_transforms_total"))
        .sum();
    assert_eq!(transforms, 1, "one transform across three replicas");
    // A replica started after the fact is warm: no transform at all.
    let late = replica(&s3, RESULTS);
    same(&first, &late.get(url));
    assert_eq!(late.metric("signet_transforms_total"), 0);
    assert!(counter(&late, "signet_results_read_bytes_total") > 0);
    // A second request on it comes from its memory cache, not the tier.
    same(&first, &late.get(url));
    assert_eq!(outcome(&late, "hit"), 1);
    // Auth runs before the tier: a protected path without a token is 403
    // whatever the tier holds.
    assert_eq!(late.get("/private/a.jpg?w=300&format=webp").status, 403);
}

#[test]
fn damaged_or_misplaced_result_objects_are_remade_never_served() {
    let Some(s3) = setup() else { return };
    let maker = replica(&s3, RESULTS);
    let photo = maker.get("/public/photo.jpg?w=120&format=png");
    stored(&maker, &s3, 1);
    let logo = maker.get("/public/logo.png?w=120&format=png");
    stored(&maker, &s3, 2);
    assert_ne!(photo.body, logo.body);

    // The logo's object replaced by the photo's: sound framing, wrong key.
    let [a, b] = <[PathBuf; 2]>::try_from(objects(&s3)).unwrap();
    let (photo_object, logo_object) = if contains(&a, b"public/photo.jpg") {
        (a, b)
    } else {
        (b, a)
    };
    std::fs::copy(&photo_object, &logo_object).unwrap();
    let fresh = replica(&s3, RESULTS);
    same(&logo, &fresh.get("/public/logo.png?w=120&format=png"));
    assert_eq!(outcome(&fresh, "corrupt"), 1);
    assert_eq!(fresh.metric("signet_transforms_total"), 1);

    // The photo's object cut short: dropped, made again, stored again.
    let whole = std::fs::read(&photo_object).unwrap();
    std::fs::write(&photo_object, &whole[..whole.len() / 2]).unwrap();
    let fresh = replica(&s3, RESULTS);
    same(&photo, &fresh.get("/public/photo.jpg?w=120&format=png"));
    assert_eq!(outcome(&fresh, "corrupt"), 1);
    assert_eq!(fresh.metric("signet_transforms_total"), 1);
    wait_until(Duration::from_secs(10), "the object is made again", || {
        std::fs::read(&photo_object).is_ok_and(|b| b == whole)
    });
}

#[test]
fn an_unreachable_result_store_only_costs_transforms() {
    let Some(s3) = setup() else { return };
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let s = replica(
        &s3,
        &format!("{RESULTS}endpoint = \"{endpoint}\"\n")
            .replace("timeout = \"2s\"", "timeout = \"300ms\""),
    );
    let r = s.get("/public/photo.jpg?w=200");
    assert_eq!(r.status, 200);
    assert_eq!(s.metric("signet_transforms_total"), 1);
    assert_eq!(outcome(&s, "error"), 1);
    wait_until(
        Duration::from_secs(10),
        "the failed write is counted",
        || outcome(&s, "put_failure") == 1,
    );
    assert_eq!(s.admin_get("/ready").status, 200);
}

#[test]
fn prune_deletes_old_result_objects() {
    let Some(s3) = setup() else { return };
    let s = replica(&s3, RESULTS);
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);
    stored(&s, &s3, 1);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("signet.toml");
    std::fs::write(&config, s3_config(&s3, RESULTS)).unwrap();
    let prune = |age: &str| {
        let out = std::process::Command::new(BIN)
            .args(["results", "prune", "--config"])
            .arg(&config)
            .args(["--older-than", age])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(prune("1h"), "deleted 0 result objects, kept 1\n");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(prune("1s"), "deleted 1 result objects, kept 0\n");
    assert!(objects(&s3).is_empty());
}

fn contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .unwrap()
        .windows(needle.len())
        .any(|w| w == needle)
}
