//! Tokens made by the libraries users really use (Node `jsonwebtoken`, PyJWT)
//! verify as those libraries' users expect. The committed vectors always run;
//! fresh ones are generated when node and PyJWT are installed (`make test`
//! installs them and sets `SIGNET_REQUIRE_PEERS=1`, which makes them mandatory).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use signet_auth::{verify_jwt, JwtOptions, Key, KeyKind, KeyRing};

fn ring() -> KeyRing {
    KeyRing::new(vec![
        Key::new("main", KeyKind::Jwt, b"topsecret".to_vec(), "/").unwrap(),
        Key::new(
            "2024",
            KeyKind::Jwt,
            b"0123456789abcdef0123456789abcdef".to_vec(),
            "/",
        )
        .unwrap(),
    ])
    .unwrap()
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn check_all(vectors: &str) -> usize {
    let vectors: Vec<Value> = serde_json::from_str(vectors).expect("vectors are JSON");
    assert!(vectors.len() >= 10, "too few vectors");
    let ring = ring();
    for v in &vectors {
        let name = format!("{} / {}", v["lib"], v["name"]);
        let got = verify_jwt(
            &ring,
            v["token"].as_str().unwrap(),
            v["path"].as_str().unwrap(),
            v["now"].as_i64().unwrap(),
            JwtOptions::default(),
        );
        match (&got, v["want"].as_str().unwrap()) {
            (Ok(grant), "ok") => {
                let want: Vec<(String, String)> = v["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().to_owned(),
                            p[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                assert_eq!(grant.args, want, "{name}: args");
            }
            (Err(f), want) => assert_eq!(f.reason(), want, "{name}"),
            (Ok(_), want) => panic!("{name}: accepted, wanted {want}"),
        }
    }
    vectors.len()
}

#[test]
fn committed_node_vectors() {
    check_all(include_str!("vectors/node.json"));
}

#[test]
fn committed_pyjwt_vectors() {
    check_all(include_str!("vectors/pyjwt.json"));
}

/// Runs a generator; `None` when its tool is absent and not required.
fn generate(program: &Path, script: &str, ready: bool) -> Option<String> {
    let what = program.display().to_string();
    if !signet_testkit::require_peer(&what, ready, "run `make test-deps`") {
        return None;
    }
    let out = Command::new(program)
        .arg(script)
        .arg("--fresh")
        .current_dir(dir())
        .output()
        .expect("generator runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn fresh_node_vectors() {
    let ready = dir().join("node_modules/jsonwebtoken").is_dir();
    if let Some(v) = generate(Path::new("node"), "node.js", ready) {
        check_all(&v);
    }
}

#[test]
fn fresh_pyjwt_vectors() {
    let python = std::env::var_os("SIGNET_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/python")
        });
    let ready = python.is_file();
    if let Some(v) = generate(&python, "pyjwt.py", ready) {
        check_all(&v);
    }
}
