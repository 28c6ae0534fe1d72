//! The whole server on a real S3 store (s3s-fs started here): originals with
//! ranges, odd keys, auth, transforms and the cache, an outage and recovery,
//! and wrong credentials. `make test-minio` runs these against MinIO.

use std::time::{Duration, Instant};

use signet_storage::testing::S3Server;

use crate::harness::{big_bytes, put_object, s3_config, upload_tree, Media, Server, BIN};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800

/// s3s-fs holding the standard media plus a photo and odd keys, and signet
/// over it. `None` when s3s-fs is not installed outside `make test`.
fn setup(extra: &str) -> Option<(S3Server, Server)> {
    let s3 = S3Server::start(&["media"])?;
    let media = Media::new();
    upload_tree(&s3, &media.root());
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    for name in ["with space.txt", "ünïcödé.txt", "plus+sign.txt"] {
        put_object(&s3, &format!("odd/{name}"), name.as_bytes(), None);
    }
    // Stored with a wrong, dangerous type: served by its extension.
    put_object(&s3, "public/typed.jpg", PHOTO, Some("text/html"));
    put_object(&s3, "public/untyped", b"<b>hi</b>", Some("text/html"));
    let server = Server::start(&s3_config(&s3, extra));
    Some((s3, server))
}

#[test]
fn originals_ranges_and_odd_keys_on_s3() {
    let Some((_s3, s)) = setup("") else { return };
    assert_eq!(s.admin_get("/ready").status, 200);

    let r = s.get("/public/notes.txt");
    assert_eq!((r.status, r.text().as_str()), (200, "0123456789abcdefghij"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let etag = r.header("etag").unwrap().to_owned();
    let r = s.send("GET", "/public/notes.txt", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);

    let r = s.send("GET", "/public/notes.txt", &[("Range", "bytes=2-5")]);
    assert_eq!((r.status, r.text().as_str()), (206, "2345"));
    assert_eq!(r.header("content-range"), Some("bytes 2-5/20"));
    let r = s.send("GET", "/public/notes.txt", &[("Range", "bytes=-3")]);
    assert_eq!((r.status, r.text().as_str()), (206, "hij"));
    let r = s.send("GET", "/public/notes.txt", &[("Range", "bytes=50-60")]);
    assert_eq!(r.status, 416);

    let r = s.get("/public/big.bin");
    assert_eq!(r.status, 200);
    assert!(
        r.body == big_bytes(),
        "a multi-megabyte object streams intact"
    );
    let r = s.send(
        "GET",
        "/public/big.bin",
        &[("Range", "bytes=3000000-3000009")],
    );
    assert_eq!(r.body, &big_bytes()[3_000_000..3_000_010]);

    for (url, body) in [
        ("/odd/with%20space.txt", "with space.txt"),
        ("/odd/%C3%BCn%C3%AFc%C3%B6d%C3%A9.txt", "ünïcödé.txt"),
        ("/odd/plus+sign.txt", "plus+sign.txt"),
        ("/odd/plus%2Bsign.txt", "plus+sign.txt"),
    ] {
        let r = s.get(url);
        assert_eq!((r.status, r.text().as_str()), (200, body), "{url}");
    }

    let r = s.get("/empty.bin");
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(r.header("content-length"), Some("0"));

    let r = s.get("/public/typed.jpg");
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    let r = s.get("/public/untyped");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(s.get("/public/missing.jpg").status, 404);

    // Protection works the same on S3.
    assert_eq!(s.get("/private/a.jpg").status, 403);
}

#[test]
fn transforms_and_cache_on_s3() {
    let Some((_s3, s)) = setup("") else { return };
    let r = s.get("/public/photo.jpg?w=120");
    assert_eq!(r.status, 200, "{}", r.text());
    let img = image::load_from_memory(&r.body).unwrap();
    assert_eq!((img.width(), img.height()), (120, 80));
    // The stored type does not matter to the pipeline: bytes are sniffed.
    let r = s.get("/public/typed.jpg?w=60&format=png");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));

    let reads = s.metric("signet_storage_reads_total");
    assert_eq!(s.get("/public/photo.jpg?w=120").status, 200);
    assert_eq!(
        s.metric("signet_storage_reads_total"),
        reads,
        "a hit reads nothing"
    );
    assert_eq!(s.get("/public/missing.jpg?w=10").status, 404);
}

#[test]
fn an_s3_outage_gives_fast_503s_and_heals_by_itself() {
    let Some((mut s3, s)) = setup("") else { return };
    if !s3.is_local() {
        return; // an external server cannot be stopped from here
    }
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);

    s3.stop();
    let started = Instant::now();
    let r = s.get("/public/photo.jpg?w=101");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let r = s.get("/public/notes.txt");
    assert_eq!(r.status, 503);
    // Cached variants keep serving.
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);
    let ready = s.admin_get("/ready");
    assert_eq!(ready.status, 503);
    assert!(
        ready.text().contains("storage unreachable"),
        "{}",
        ready.text()
    );

    let text = s.admin_get("/metrics").text();
    assert!(
        text.contains("signet_storage_errors_total{reason=\"unavailable\"} 2"),
        "{text}"
    );

    s3.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.get("/public/photo.jpg?w=101").status != 200 {
        assert!(Instant::now() < deadline, "signet did not recover");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.admin_get("/ready").status, 200);
}

#[test]
fn wrong_s3_credentials_are_reported_clearly() {
    let Some((s3, _good)) = setup("") else { return };
    let config = s3_config(&s3, "").replace(s3.secret_key(), "not-the-secret-key-at-all");
    let bad = Server::start(&config);
    let ready = bad.admin_get("/ready");
    assert_eq!(ready.status, 503);
    assert!(ready.text().contains("credentials"), "{}", ready.text());
    let r = bad.get("/public/notes.txt");
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());

    // check-config names the problem and fails.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signet.toml");
    std::fs::write(&file, &config).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("credentials"), "{err}");
    assert!(!err.contains("not-the-secret-key"), "secrets never printed");
}
