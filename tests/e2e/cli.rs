//! The command line: signing URLs the server accepts, config errors, the
//! zero-config default, and graceful shutdown.

use std::process::Command;

use crate::harness::{config, parse_head, Media, Server, BIN};

fn write_config(media: &Media, extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signet.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n{}",
        config(&media.root(), extra)
    );
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The path and query of a printed URL.
fn target(url: &str) -> String {
    let rest = url.trim().split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_owned()
}

#[test]
fn signed_urls_from_the_cli_are_accepted() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    let (_d, file) = write_config(&media, "public_url = \"https://cdn.example.com\"");
    let file = file.to_str().unwrap();
    let sign = |scheme: &str, args: &[&str]| {
        let mut all = vec!["sign", scheme, "--config", file];
        all.extend_from_slice(args);
        run(&all)
    };

    let (code, url, err) = sign("jwt", &["--path", "/private/a.jpg", "--expires-in", "60"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        url.starts_with("https://cdn.example.com/private/a.jpg?jwt="),
        "{url}"
    );
    assert_eq!(server.get(&target(&url)).status, 200);

    let (_, url, _) = sign("jwt", &["--path", "private/with space.jpg"]);
    assert!(url.contains("/private/with%20space.jpg?jwt="), "{url}");
    assert_eq!(server.get(&target(&url)).status, 200);

    let (_, url, _) = sign(
        "jwt",
        &["--path", "/private/a.jpg", "--audience", "/private/"],
    );
    let other = target(&url).replace("/private/a.jpg", "/private/sub/b.jpg");
    assert_eq!(
        server.get(&other).status,
        200,
        "folder audience covers siblings"
    );

    let (_, url, _) = sign(
        "jwt",
        &[
            "--path",
            "/private/a.jpg",
            "--param",
            "w=400",
            "--secure",
            "text=Hi there",
        ],
    );
    assert!(url.contains("?w=400&jwt="), "{url}");
    assert_eq!(
        server.get(&target(&url)).status,
        422,
        "authorized, then the pipeline refuses the fixture (not a real image)"
    );

    let (_, url, _) = sign("jwt", &["--path", "/private/a.jpg", "--key", "rotated"]);
    assert_eq!(server.get(&target(&url)).status, 200);

    let (code, url, err) = sign("md5", &["--path", "/md5-only/v.mp4"]);
    assert_eq!(code, 0, "{err}");
    assert!(url.contains("/md5-only/v.mp4?exp="), "{url}");
    let r = server.get(&target(&url));
    assert_eq!((r.status, r.body.as_slice()), (200, &b"md5 only video"[..]));

    let (code, _, err) = sign("jwt", &["--path", "/a.jpg", "--param", "w=huge"]);
    assert_eq!(code, 2);
    assert!(err.contains("w=huge"), "{err}");
    let (code, _, err) = sign("jwt", &["--path", "/a.jpg", "--key", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, _) = sign("md5", &["--path", "/../etc/passwd"]);
    assert_eq!(code, 2);
}

#[test]
fn config_errors_name_file_key_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[cache]\nmax_bytes = \"lots\"\n").unwrap();
    let f = file.to_str().unwrap();
    for args in [
        vec!["check-config", "--config", f],
        vec!["serve", "--config", f],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains(f) && err.contains("cache.max_bytes") && err.contains("lots"),
            "{err}"
        );
    }
    let (code, out, err) = run(&["check-config", "--config", "examples/signet.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("[storage]") && !out.contains("topsecret"),
        "{out}"
    );
    assert!(
        err.contains("key `demo` has a secret shorter than 32 bytes"),
        "{err}"
    );

    std::fs::write(
        &file,
        "default_format = \"optimal\"\n[storage]\nroot = \".\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check-config", "--config", f]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "optimal is applied: {err}");
}

#[test]
fn with_nothing_set_serves_media_publicly_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("media")).unwrap();
    std::fs::write(dir.path().join("media/hello.txt"), b"hi").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir.path())
        .env_remove("SIGNET_CONFIG")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ]);
    let server = Server::spawn(cmd, dir);
    assert_eq!(server.get("/hello.txt").body, b"hi");
    assert_eq!(server.admin_get("/health").status, 200);
    assert_eq!(server.admin_get("/ready").status, 200);
    assert_eq!(
        server.admin_get("/hello.txt").status,
        404,
        "no media on the admin listener"
    );
}

#[test]
fn env_shortcuts_configure_root_and_keys() {
    let media = Media::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env("SIGNET_ROOT", media.root())
        .env("SIGNET_LISTEN", "127.0.0.1:0")
        .env("SIGNET_ADMIN_LISTEN", "127.0.0.1:0")
        .env("SIGNET_JWT_KEY", "env-secret-env-secret-env-secret")
        .arg("serve");
    let server = Server::spawn(cmd, dir);
    assert_eq!(server.get("/public/a.jpg").status, 200);
    let token = crate::tokens::hs256(
        serde_json::json!({"aud": "/", "exp": crate::harness::now() + 60}),
        "env-secret-env-secret-env-secret",
    );
    assert_eq!(
        server.get(&format!("/public/a.jpg?jwt={token}")).status,
        200
    );
    let forged = crate::tokens::hs256(
        serde_json::json!({"aud": "/", "exp": crate::harness::now() + 60}),
        "topsecret",
    );
    assert_eq!(
        server.get(&format!("/public/a.jpg?jwt={forged}")).auth(),
        Some("signature mismatch")
    );
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    use std::io::{Read, Write};
    // Far larger than loopback socket buffers: the server must still be
    // writing when the signal arrives.
    const HUGE: usize = 64 << 20;
    let media = Media::new();
    std::fs::write(media.root().join("public/huge.bin"), vec![7u8; HUGE]).unwrap();
    let server = Server::start(&config(&media.root(), ""));
    let mut conn = std::net::TcpStream::connect(&server.media).unwrap();
    conn.write_all(b"GET /public/huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 4096];
    let mut got = conn.read(&mut first).unwrap();
    let (status, _, head_len) = parse_head(&first[..got]).expect("the head in the first read");
    assert_eq!(status, 200);

    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0usize;
        loop {
            std::thread::sleep(std::time::Duration::from_micros(200));
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    });
    // The body is in flight (its head was read): terminate now.
    let status = server.terminate_async();
    let rest = reader.join().unwrap();
    got += rest;
    assert_eq!(got - head_len, HUGE, "the in-flight body was cut short");
    assert!(status.wait().success());
}

#[test]
fn logs_name_weak_keys_and_never_show_tokens_or_secrets() {
    use std::io::Read;
    let media = Media::new();
    let (_d, file) = write_config(&media, "");
    let mut child = Command::new(BIN)
        .args(["serve", "--config", file.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let media_addr = line
        .split(' ')
        .find_map(|kv| kv.strip_prefix("media=http://"))
        .unwrap()
        .to_owned();
    let token = crate::tokens::hs256(
        crate::tokens::claims(serde_json::json!("/"), crate::harness::now()),
        "topsecret",
    );
    let r = crate::harness::request(
        &media_addr,
        "GET",
        &format!("/private/a.jpg?jwt={token}"),
        &[],
    );
    assert_eq!(r.status, 200);
    let r = crate::harness::request(
        &media_addr,
        "GET",
        "/private/a.jpg?jwt=forged.token.here",
        &[],
    );
    // The access line is written before the response is sent.
    assert_eq!(r.status, 403);
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child.wait().unwrap();

    assert!(
        logs.contains("shorter than 32 bytes") && logs.contains("main"),
        "{logs}"
    );
    assert!(
        logs.contains("/private/a.jpg") && logs.contains("200") && logs.contains("403"),
        "{logs}"
    );
    assert!(
        logs.contains("jwt") && logs.contains("invalid payload"),
        "auth outcome is logged: {logs}"
    );
    for secret in [
        token.as_str(),
        "forged.token.here",
        "topsecret",
        "scoped-secret",
        "jwsecret",
    ] {
        assert!(!logs.contains(secret), "log leaks {secret:?}: {logs}");
    }
}

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800

#[test]
fn transform_runs_the_pipeline_on_local_files() {
    let media = Media::new();
    let root = media.root();
    std::fs::create_dir_all(root.join("Profiles")).unwrap();
    std::fs::write(
        root.join("Profiles/small.json"),
        r#"{"w": 64, "format": "png"}"#,
    )
    .unwrap();
    let (dir, file) = write_config(&media, "");
    let file = file.to_str().unwrap();
    let input = dir.path().join("in.jpg");
    std::fs::write(&input, PHOTO).unwrap();
    let output = dir.path().join("out.img");
    let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());

    let (code, _, err) = run(&["transform", i, "--param", "w=300", "-o", o]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("300x200 jpeg"), "{err}");
    let img = image::load_from_memory(&std::fs::read(&output).unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (300, 200));

    // Profiles come from the configured storage; optimal follows --accept.
    let (code, _, err) = run(&[
        "transform",
        i,
        "--config",
        file,
        "--param",
        "profile=small",
        "-o",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("64x43 png"), "{err}");
    let (code, _, err) = run(&[
        "transform",
        i,
        "--param",
        "w=50",
        "--param",
        "format=optimal",
        "--accept",
        "image/avif,image/webp",
        "-o",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("avif"), "{err}");

    // stdin to stdout.
    let mut child = Command::new(BIN)
        .args([
            "transform",
            "-",
            "--param",
            "w=40",
            "--param",
            "format=png",
            "-o",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(PHOTO).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.starts_with(&[0x89, b'P', b'N', b'G']));

    // Bad input: a clear message and a non-zero exit, never a panic.
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, b"not an image").unwrap();
    let (code, _, err) = run(&[
        "transform",
        text.to_str().unwrap(),
        "--param",
        "w=10",
        "-o",
        o,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a decodable image"), "{err}");
    let (code, _, err) = run(&["transform", i, "--param", "w=huge", "-o", o]);
    assert_eq!(code, 2);
    assert!(err.contains("w=huge"), "{err}");
}

#[test]
fn srcset_prints_signed_candidates_capped_at_the_source_width() {
    let media = Media::new();
    std::fs::write(media.root().join("private/photo.jpg"), PHOTO).unwrap();
    let server = Server::start(&config(&media.root(), ""));
    let (_d, file) = write_config(&media, "");
    let file = file.to_str().unwrap();
    let srcset = |args: &[&str]| {
        let mut all = vec!["srcset", "--config", file, "--path", "/private/photo.jpg"];
        all.extend_from_slice(args);
        run(&all)
    };

    let (code, out, err) = srcset(&[
        "--widths",
        "320,640,2400",
        "--secure",
        "text=Hi",
        "--param",
        "format=optimal",
    ]);
    assert_eq!(code, 0, "{err}");
    let candidates: Vec<&str> = out.trim().split(", ").collect();
    assert_eq!(candidates.len(), 3, "{out}");
    for (candidate, width) in candidates.iter().zip([320, 640, 1200]) {
        let (url, descriptor) = candidate.rsplit_once(' ').unwrap();
        assert_eq!(
            descriptor,
            format!("{width}w"),
            "capped at the source's 1200"
        );
        let r = server.get(&target(url));
        assert_eq!(r.status, 200, "{url}: {}", r.text());
        let img = image::load_from_memory(&r.body).unwrap();
        assert_eq!(img.width(), width);
    }

    let (code, out, _) = srcset(&["--widths", "100", "--sign", "md5"]);
    assert_eq!(code, 0);
    let url = out.trim().strip_suffix(" 100w").unwrap();
    assert_eq!(server.get(&target(url)).status, 200);

    // A generated range: 320 × 1.5 = 480, then the maximum.
    let (code, out, err) = srcset(&[
        "--min-width",
        "320",
        "--max-width",
        "640",
        "--tolerance",
        "0.25",
        "--sign",
        "none",
    ]);
    assert_eq!(code, 0, "{err}");
    let widths: Vec<&str> = out
        .trim()
        .split(", ")
        .map(|c| c.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(widths, ["320w", "480w", "640w"]);

    for (args, says) in [
        (
            &["--widths", "100", "--sign", "md5", "--secure", "text=x"][..],
            "needs --sign jwt",
        ),
        (&["--widths", "100", "--param", "w=5"][..], "same width"),
        (&["--widths", "0"][..], "from 1 to"),
        (
            &["--min-width", "500", "--max-width", "100"][..],
            "minWidth ≤ maxWidth",
        ),
    ] {
        let (code, _, err) = srcset(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
