//! Hostile paths, queries and methods: a clear 4xx, never a file outside the
//! root, never a 500.

use crate::harness::{config, Media, Server};

#[test]
fn traversal_never_leaves_the_root() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    let attempts = [
        "/../etc/passwd",
        "/public/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..%2f..%2fetc%2fpasswd",
        "/public/%2e%2e/private/a.jpg",
        "/public/./a.jpg",
        "//etc/passwd",
        "/public//a.jpg",
        "/public%5c..%5cprivate%5ca.jpg",
        "/public\\..\\private\\a.jpg",
        "/public/a.jpg%00.txt",
        "/%00",
        "/public/%0a.jpg",
        "/public/%FF%FE.jpg",
        "/public/",
    ];
    for target in attempts {
        let r = s.get(target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        assert!(r.text().lines().count() <= 1, "{target}: one line at most");
    }
    // Symlinks out of the root look like missing files.
    for target in ["/public/link-out.txt", "/public/dir-out/secret.txt"] {
        let r = s.get(target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!r.text().contains("TOP-SECRET"));
    }
    // A double-encoded dot-dot is a literal file name, which does not exist.
    assert_eq!(s.get("/%252e%252e/etc/passwd").status, 404);
    let long = format!("/{}", "a".repeat(1100));
    assert_eq!(s.get(&long).status, 400);
    assert_eq!(s.get("/").status, 404);
}

#[test]
fn methods_other_than_get_and_head_are_405() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        let r = s.send(method, "/public/a.jpg", &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

#[test]
fn bad_queries_and_options_are_400_with_a_summary() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    let r = s.get("/public/a.jpg?w=abc&h=10&colour=red&q=101");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let lines: Vec<String> = r.text().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("w=abc: "));
    assert_eq!(lines[1], "colour=red: unknown option");
    assert!(lines[2].starts_with("q=101: "));

    assert_eq!(
        s.get("/public/a.jpg?w=%FF").status,
        400,
        "invalid UTF-8 in a value"
    );
    assert_eq!(
        s.get("/public/a.jpg?w=1&w=2").status,
        400,
        "duplicate option"
    );
    assert_eq!(
        s.get("/public/a.jpg?v=123").status,
        200,
        "ignore_params are dropped"
    );

    let r = s.get("/public/notes.txt?w=100");
    assert_eq!(r.status, 400, "options on a non-image");
    assert!(r.text().contains("only to images"));
    let r = s.get("/public/a.jpg?w=100&format=webp");
    assert_eq!(
        r.status, 422,
        "valid options reach the pipeline, which refuses a fake image"
    );
    assert_eq!(s.get("/public/nope.jpg?w=100").status, 404);
    assert_eq!(
        s.get("/private/a.jpg?w=abc").status,
        403,
        "auth before option validation"
    );
}

#[test]
fn garbage_tokens_are_403_not_500() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    let garbage = [
        "jwt=%FF%FE",
        "jwt=....",
        "jwt=a.b.c.d.e",
        "jwt=%7B%7D.%7B%7D.%7B%7D",
        "jwt=eyJhbGciOiJIUzI1NiJ9.%00.x",
        "exp=-1&sig=00000000000000000000000000000000",
        "exp=99999999999999999999999&sig=00",
        "exp=1e9&sig=zz",
        "sig=00000000000000000000000000000000",
        "exp=&sig=",
    ];
    for q in garbage {
        let r = s.get(&format!("/private/a.jpg?{q}"));
        assert!(r.status == 403 || r.status == 400, "{q}: {}", r.status);
        assert_ne!(r.status, 500);
    }
    let r = s.get("/private/a.jpg?jwt=eyJhbGciOiJIUzI1NiJ9.e30.AAAA");
    assert_eq!((r.status, r.auth()), (403, Some("invalid payload")));
    let zeros = "A".repeat(43); // well-formed, wrong
    let r = s.get(&format!(
        "/private/a.jpg?jwt=eyJhbGciOiJIUzI1NiJ9.e30.{zeros}"
    ));
    assert_eq!((r.status, r.auth()), (403, Some("signature mismatch")));
}

#[test]
fn oversized_request_heads_are_refused_cleanly() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    let huge = "x".repeat(64 * 1024);
    let r = s.send("GET", "/public/a.jpg", &[("X-Big", &huge)]);
    assert!(r.status == 431 || r.status == 400, "{}", r.status);
    assert_eq!(s.get("/public/a.jpg").status, 200, "still serving");
}
