//! Faults under load, on a real S3 server: the store killed while requests
//! run, a store that turns slow (a delaying proxy in front of s3s-fs), and a
//! stampede of identical misses.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_storage::testing::S3Server;

use crate::harness::{put_object, s3_config, wait_until, Server};

/// How long the store is down in the kill-and-restart scenario.
const OUTAGE: Duration = Duration::from_secs(3);

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800

/// A loopback TCP proxy that holds every upstream→client chunk back by a
/// settable delay: a store that answers, slowly.
pub struct SlowProxy {
    pub addr: String,
    delay_ms: Arc<AtomicU64>,
    /// When above 0, each connection is cut after this many bytes from upstream.
    pub cut_after: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl SlowProxy {
    pub fn start(upstream: &str) -> SlowProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let delay_ms = Arc::new(AtomicU64::new(0));
        let cut_after = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_owned();
        let (delay, cut, stopped) = (delay_ms.clone(), cut_after.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client, server, None, None));
                let (delay, cut) = (delay.clone(), cut.clone());
                std::thread::spawn(move || pump(s2, c2, Some(delay), Some(cut)));
            }
        });
        SlowProxy {
            addr,
            delay_ms,
            cut_after,
            stop,
        }
    }

    pub fn set_delay(&self, d: Duration) {
        self.delay_ms
            .store(u64::try_from(d.as_millis()).unwrap(), Ordering::SeqCst);
    }
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Option<Arc<AtomicU64>>,
    cut: Option<Arc<AtomicU64>>,
) {
    let mut buf = [0u8; 16 * 1024];
    let mut sent = 0u64;
    loop {
        let limit = cut.as_ref().map_or(0, |c| c.load(Ordering::SeqCst));
        if limit > 0 && sent >= limit {
            // A store dying mid-response: reset both sides.
            let _ = from.shutdown(std::net::Shutdown::Both);
            let _ = to.shutdown(std::net::Shutdown::Both);
            return;
        }
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(d) = &delay {
            std::thread::sleep(Duration::from_millis(d.load(Ordering::SeqCst)));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n as u64;
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// Timeouts tight enough for a test: one attempt of at most 1 s.
fn tight(config: String) -> String {
    config
        .replace("attempt_timeout = \"3s\"", "attempt_timeout = \"1s\"")
        .replace("operation_timeout = \"5s\"", "operation_timeout = \"2s\"")
        .replace("max_attempts = 2", "max_attempts = 1")
}

#[test]
fn a_slow_store_is_bounded_by_timeouts_and_leaks_no_permits() {
    let Some(s3) = S3Server::start(&["media"]) else {
        return;
    };
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    let proxy = SlowProxy::start(s3.endpoint().trim_start_matches("http://"));
    let config = tight(s3_config(
        &s3,
        "[limits]\nmax_concurrent_transforms = 1\nmax_queued_transforms = 2\n\
         [cache]\nrevalidate_after = \"1h\"\n",
    ))
    .replace(&s3.endpoint(), &format!("http://{}", proxy.addr));
    let s = Server::start(&config);
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);

    // The store now takes 4 s per chunk: every miss fails within the
    // timeouts, with Retry-After; the cached variant still answers at once.
    proxy.set_delay(Duration::from_secs(4));
    let results: Vec<(u16, bool, Duration)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let started = Instant::now();
                    let r = s.get(&format!("/public/photo.jpg?w={}", 200 + i));
                    (
                        r.status,
                        r.header("retry-after").is_some(),
                        started.elapsed(),
                    )
                })
            })
            .collect();
        let hit_started = Instant::now();
        let hit = s.get("/public/photo.jpg?w=100");
        assert_eq!(hit.status, 200);
        assert!(hit_started.elapsed() < Duration::from_millis(500));
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, retry, took) in &results {
        assert!(
            matches!(status, 503 | 504),
            "a miss on a slow store: {status}"
        );
        assert!(*status == 504 || *retry, "503 without Retry-After");
        assert!(*took < Duration::from_secs(4), "a miss took {took:?}");
    }

    // The store is fast again: with one transform slot and a queue of two,
    // any permit or queue place leaked above would now refuse these.
    proxy.set_delay(Duration::ZERO);
    for i in 0..6 {
        let r = s.get(&format!("/public/photo.jpg?w={}", 300 + i));
        assert_eq!(r.status, 200, "after the slow spell: {}", r.text());
    }
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let s = &s;
                scope.spawn(move || s.get(&format!("/public/photo.jpg?w={}", 400 + i)).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, [200, 200, 200], "queue places leaked");

    // The store breaks off mid-body (new connections, cut after 64 KiB of a
    // 261 KB source): a retryable 503/504, never a 500; then it recovers.
    proxy.cut_after.store(64 * 1024, Ordering::SeqCst);
    for i in 0..4 {
        let r = s.get(&format!("/public/photo.jpg?w={}", 500 + i));
        assert!(
            matches!(r.status, 200 | 503 | 504),
            "a source read that broke off: {} {}",
            r.status,
            r.text()
        );
    }
    proxy.cut_after.store(0, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.get("/public/photo.jpg?w=600").status != 200 {
        assert!(Instant::now() < deadline, "no recovery after the cut");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn killing_the_store_under_load_keeps_hits_serving_and_recovers() {
    let Some(mut s3) = S3Server::start(&["media"]) else {
        return;
    };
    if !s3.is_local() {
        return; // an external store cannot be stopped from here
    }
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    let s = Server::start(&tight(s3_config(
        &s3,
        "[cache]\nrevalidate_after = \"1h\"\n",
    )));
    for w in [100, 110, 120] {
        assert_eq!(s.get(&format!("/public/photo.jpg?w={w}")).status, 200);
    }

    let running = AtomicBool::new(true);
    let misses = AtomicU64::new(0);
    let (hits_ok, miss_statuses) = std::thread::scope(|scope| {
        // Hits in a loop: they must never fail.
        let hitters: Vec<_> = (0..4)
            .map(|i| {
                let (s, running) = (&s, &running);
                scope.spawn(move || {
                    let mut served = 0;
                    while running.load(Ordering::SeqCst) {
                        let w = [100, 110, 120][i % 3];
                        let r = s.get(&format!("/public/photo.jpg?w={w}"));
                        assert_eq!(r.status, 200, "a cached variant failed during the outage");
                        served += 1;
                    }
                    served
                })
            })
            .collect();
        // Misses in a loop: 200 while the store is up, fast 503/504 while down.
        let missers: Vec<_> = (0..2)
            .map(|i| {
                let (s, running, misses) = (&s, &running, &misses);
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    while running.load(Ordering::SeqCst) {
                        let n = misses.fetch_add(1, Ordering::SeqCst);
                        let started = Instant::now();
                        let r = s.get(&format!(
                            "/public/photo.jpg?w={}",
                            200 + (n * 2 + i as u64) % 1000
                        ));
                        let took = started.elapsed();
                        assert!(
                            matches!(r.status, 200 | 503 | 504),
                            "a miss during the outage: {} {}",
                            r.status,
                            r.text()
                        );
                        if r.status == 503 {
                            assert!(r.header("retry-after").is_some());
                        }
                        assert!(took < Duration::from_secs(4), "a miss took {took:?}");
                        seen.push(r.status);
                    }
                    seen
                })
            })
            .collect();
        // The load is running (hits and misses answered) before the fault.
        let hits = s.metric("signet_cache_hits_total");
        wait_until(Duration::from_secs(10), "hits before the outage", || {
            s.metric("signet_cache_hits_total") >= hits + 10
        });
        s3.stop();
        // The outage itself: a fixed length is the scenario, not a wait.
        std::thread::sleep(OUTAGE);
        s3.restart();
        // Keep going until misses succeed again.
        let deadline = Instant::now() + Duration::from_secs(15);
        while s.get(&format!("/public/photo.jpg?w={}", 900)).status != 200 {
            assert!(Instant::now() < deadline, "signet did not recover");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Load goes on after the recovery before the threads stop.
        let hits = s.metric("signet_cache_hits_total");
        wait_until(Duration::from_secs(10), "hits after the recovery", || {
            s.metric("signet_cache_hits_total") >= hits + 10
        });
        running.store(false, Ordering::SeqCst);
        let hits: u64 = hitters.into_iter().map(|h| h.join().unwrap()).sum();
        let statuses: Vec<u16> = missers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        (hits, statuses)
    });
    assert!(hits_ok > 20, "only {hits_ok} hits served");
    let failed = miss_statuses.iter().filter(|s| **s != 200).count();
    assert!(failed > 0, "no miss saw the outage: {miss_statuses:?}");
    assert_eq!(miss_statuses.last(), Some(&200), "{miss_statuses:?}");
    assert_eq!(s.admin_get("/ready").status, 200);
}

#[test]
fn a_stampede_of_identical_misses_reads_and_transforms_once() {
    let Some(s3) = S3Server::start(&["media"]) else {
        return;
    };
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    let s = Server::start(&s3_config(&s3, ""));
    let transforms = s.metric("signet_transforms_total");
    let reads = s.metric("signet_storage_reads_total");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..500)
            .map(|_| {
                let s = &s;
                scope.spawn(move || s.get("/public/photo.jpg?w=640&q=85").status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|st| *st == 200), "{statuses:?}");
    assert_eq!(s.metric("signet_transforms_total"), transforms + 1);
    assert_eq!(s.metric("signet_storage_reads_total"), reads + 1);
}
