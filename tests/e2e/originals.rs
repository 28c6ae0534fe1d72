//! Files served as stored: headers, HEAD, ranges, validators, SVG sandboxing.

use crate::harness::{big_bytes, config, Media, Server, BIG_LEN};

fn server() -> (Media, Server) {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    (media, server)
}

#[test]
fn get_and_head_carry_the_same_headers() {
    let (_m, s) = server();
    let get = s.get("/public/notes.txt");
    assert_eq!(get.status, 200);
    assert_eq!(get.body, b"0123456789abcdefghij");
    for name in [
        "content-type",
        "content-length",
        "etag",
        "last-modified",
        "accept-ranges",
        "cache-control",
    ] {
        assert!(get.header(name).is_some(), "GET lacks {name}");
    }
    assert_eq!(get.header("content-type"), Some("text/plain"));
    assert_eq!(get.header("accept-ranges"), Some("bytes"));
    assert!(get.header("etag").unwrap().starts_with('"'), "strong ETag");
    let head = s.send("HEAD", "/public/notes.txt", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("20"));
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(
        s.get("/public/a.jpg").header("content-type"),
        Some("image/jpeg")
    );
}

#[test]
fn every_response_says_nosniff() {
    let (_m, s) = server();
    for (method, target) in [
        ("GET", "/public/a.jpg"),
        ("GET", "/private/a.jpg"),
        ("GET", "/public/missing.jpg"),
        ("GET", "/public/a.jpg?w=abc"),
        ("POST", "/public/a.jpg"),
        ("GET", "/../x"),
    ] {
        let r = s.send(method, target, &[]);
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {target} ({})",
            r.status
        );
    }
}

#[test]
fn svg_is_sandboxed() {
    let (_m, s) = server();
    let r = s.get("/public/badge.svg");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    let csp = r.header("content-security-policy").expect("CSP on SVG");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(s
        .get("/public/a.jpg")
        .header("content-security-policy")
        .is_none());
}

#[test]
fn single_ranges() {
    let (_m, s) = server();
    let big = big_bytes();
    let r = s.send("GET", "/public/big.bin", &[("Range", "bytes=0-9")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &big[0..10]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-9/{BIG_LEN}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("10"));

    let r = s.send("GET", "/public/big.bin", &[("Range", "bytes=-5")]);
    assert_eq!((r.status, r.body.as_slice()), (206, &big[BIG_LEN - 5..]));
    let r = s.send("GET", "/public/big.bin", &[("Range", "bytes=1048576-")]);
    assert_eq!((r.status, r.body.len()), (206, BIG_LEN - 1_048_576));
    assert_eq!(r.body, &big[1_048_576..]);

    let r = s.send(
        "GET",
        "/public/big.bin",
        &[("Range", &format!("bytes={BIG_LEN}-"))],
    );
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{BIG_LEN}").as_str())
    );
    let r = s.send("GET", "/empty.bin", &[("Range", "bytes=0-0")]);
    assert_eq!(r.status, 416);

    let r = s.send("GET", "/public/notes.txt", &[("Range", "bytes=0-1,4-5")]);
    assert_eq!(
        (r.status, r.body.len()),
        (200, 20),
        "multiple ranges: whole file"
    );
    let r = s.send(
        "GET",
        "/public/notes.txt",
        &[("Range", "bytes=2-3"), ("If-Range", "\"stale\"")],
    );
    assert_eq!(
        (r.status, r.body.len()),
        (200, 20),
        "stale If-Range: whole file"
    );
    let etag = s
        .get("/public/notes.txt")
        .header("etag")
        .unwrap()
        .to_owned();
    let r = s.send(
        "GET",
        "/public/notes.txt",
        &[("Range", "bytes=2-3"), ("If-Range", &etag)],
    );
    assert_eq!((r.status, r.body.as_slice()), (206, &b"23"[..]));
}

#[test]
fn whole_large_file_streams_intact() {
    let (_m, s) = server();
    let r = s.get("/public/big.bin");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), BIG_LEN);
    assert!(r.body == big_bytes());
    let empty = s.get("/empty.bin");
    assert_eq!((empty.status, empty.body.len()), (200, 0));
    assert_eq!(empty.header("content-length"), Some("0"));
}

#[test]
fn if_none_match_gives_304() {
    let (_m, s) = server();
    let etag = s.get("/public/a.jpg").header("etag").unwrap().to_owned();
    let r = s.send("GET", "/public/a.jpg", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = s.send("GET", "/public/a.jpg", &[("If-None-Match", "\"other\"")]);
    assert_eq!(r.status, 200);
    let r = s.send(
        "GET",
        "/public/a.jpg",
        &[("If-None-Match", &format!("W/{etag}"))],
    );
    assert_eq!(r.status, 304, "weak comparison for If-None-Match");
}

#[test]
fn a_changed_file_gets_a_new_etag() {
    let (m, s) = server();
    let before = s
        .get("/public/notes.txt")
        .header("etag")
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(m.root().join("public/notes.txt"), b"changed content").unwrap();
    let after = s.get("/public/notes.txt");
    assert_eq!(after.body, b"changed content");
    assert_ne!(after.header("etag").unwrap(), before);
}
