//! The REST API on the admin listener, on a real S3 store: driven by Sirv's
//! own Python SDK (`sdk/sirv_sdk.py`), and by hand for the edges the SDK
//! cannot reach (expired bearers, body caps, invalidation, JSON errors).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use signet_storage::testing::S3Server;

use crate::harness::{
    config, now, request, request_with_body, s3_config, upload_tree, Media, Resp, Server,
};
use crate::tokens::hs256;

pub const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800
const LOGO: &[u8] = include_bytes!("../../examples/media/logo.png"); // 200×80
pub const CLIENT_ID: &str = "sdk-client";
pub const CLIENT_SECRET: &str = "sdk-client-secret-0123456789";
const TOKEN_SECRET: &str = "api-token-secret-0123456789abcdef";

pub fn api_table(extra: &str) -> String {
    format!(
        "[api]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
         token_secret = \"{TOKEN_SECRET}\"\n{extra}\n"
    )
}

pub fn on_s3(api_extra: &str, top: &str) -> Option<(S3Server, Server)> {
    let s3 = S3Server::start(&["media"])?;
    upload_tree(&s3, &Media::new().root());
    let server = Server::start(&s3_config(&s3, &format!("{top}\n{}", api_table(api_extra))));
    Some((s3, server))
}

/// The test venv's Python when it can import `module` (`make test-deps`
/// installs Sirv's SDKs there), else a skip (or a failure under
/// `SIGNET_REQUIRE_PEERS=1`).
pub fn python_with(module: &str) -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-test/bin/python");
    let ready = venv.is_file()
        && Command::new(&venv)
            .args(["-c", &format!("import {module}")])
            .status()
            .is_ok_and(|s| s.success());
    signet_testkit::require_peer(
        &format!("Python's {module} (.venv-test)"),
        ready,
        "run `make test-deps`",
    )
    .then_some(venv)
}

pub fn token(s: &Server) -> String {
    let r = post_json(
        s,
        "/v2/token",
        None,
        &json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    json_of(&r)["token"].as_str().unwrap().to_owned()
}

pub fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.text()))
}

pub fn post_json(s: &Server, target: &str, bearer: Option<&str>, body: &Value) -> Resp {
    let body = body.to_string();
    let len = body.len().to_string();
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Content-Length", &len),
    ];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    request_with_body(&s.admin, "POST", target, &headers, body.as_bytes())
}

pub fn upload(s: &Server, bearer: &str, filename: &str, bytes: &[u8]) -> Resp {
    let len = bytes.len().to_string();
    let auth = format!("Bearer {bearer}");
    request_with_body(
        &s.admin,
        "POST",
        &format!("/v2/files/upload?filename={filename}"),
        &[("Authorization", &auth), ("Content-Length", &len)],
        bytes,
    )
}

pub fn get(s: &Server, bearer: &str, target: &str) -> Resp {
    let auth = format!("Bearer {bearer}");
    request(&s.admin, "GET", target, &[("Authorization", &auth)])
}

/// The JSON error shape Sirv's SDKs read.
pub fn assert_json_error(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text());
    let v = json_of(r);
    assert_eq!(v["statusCode"], status);
    assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
}

#[test]
fn sirv_python_sdk_works_against_signet_on_s3() {
    let Some(python) = python_with("sirv_rest_api") else {
        return;
    };
    let Some((_s3, s)) = on_s3("", "") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, PHOTO).unwrap();
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/sdk/sirv_sdk.py"))
        .env("SIGNET_API", format!("http://{}", s.admin))
        .env("SIGNET_CLIENT_ID", CLIENT_ID)
        .env("SIGNET_CLIENT_SECRET", CLIENT_SECRET)
        .env("SIGNET_PHOTO", &photo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["listed"], 105);

    // The SDK's signed URL carries its secure params: 150 px wide.
    let url = result["jwt_url"].as_str().unwrap();
    let target = &url[url.find("/private/").unwrap()..];
    let r = s.get(target);
    assert_eq!(r.status, 200);
    let img = image::load_from_memory(&r.body).unwrap();
    assert_eq!(img.width(), 150);
    // …and a query cannot override them.
    let r = s.get(&format!("{target}&w=600"));
    assert_eq!(image::load_from_memory(&r.body).unwrap().width(), 150);
}

#[test]
fn bearer_tokens_are_required_checked_and_expire() {
    let Some((_s3, s)) = on_s3("", "") else {
        return;
    };
    // Missing, malformed, forged, expired, or a media token: 401 JSON.
    let r = request(
        &s.admin,
        "GET",
        "/v2/files/stat?filename=/public/a.jpg",
        &[],
    );
    assert_json_error(&r, 401);
    assert!(r.header("www-authenticate").is_some());
    for bad in [
        "Basic abc".to_owned(),
        "Bearer not-a-token".to_owned(),
        format!(
            "Bearer {}",
            hs256(
                json!({"sub": CLIENT_ID, "aud": "signet-api", "exp": now() + 60}),
                "wrong-secret"
            )
        ),
        format!(
            "Bearer {}",
            hs256(
                json!({"sub": CLIENT_ID, "aud": "signet-api", "exp": now() - 1}),
                TOKEN_SECRET
            )
        ),
        format!(
            "Bearer {}",
            hs256(
                json!({"sub": CLIENT_ID, "aud": "/public/a.jpg", "exp": now() + 60}),
                TOKEN_SECRET
            )
        ),
    ] {
        let r = request(
            &s.admin,
            "GET",
            "/v2/files/stat?filename=/public/a.jpg",
            &[("Authorization", &bad)],
        );
        assert_json_error(&r, 401);
    }
    let expired = hs256(
        json!({"sub": CLIENT_ID, "aud": "signet-api", "exp": now() - 1}),
        TOKEN_SECRET,
    );
    let r = get(&s, &expired, "/v2/files/stat?filename=/public/a.jpg");
    assert!(json_of(&r)["message"].as_str().unwrap().contains("expired"));

    // Token requests: wrong secret 401, bad JSON 400, lifetime bounds 400.
    let r = post_json(
        &s,
        "/v2/token",
        None,
        &json!({"clientId": CLIENT_ID, "clientSecret": "nope"}),
    );
    assert_json_error(&r, 401);
    let r = request_with_body(
        &s.admin,
        "POST",
        "/v2/token",
        &[("Content-Length", "5")],
        b"{oops",
    );
    assert_json_error(&r, 400);
    let r = post_json(
        &s,
        "/v2/token",
        None,
        &json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "expiresIn": 1}),
    );
    assert_json_error(&r, 400);
    let r = post_json(
        &s,
        "/v2/token",
        None,
        &json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "expiresIn": 5}),
    );
    let v = json_of(&r);
    assert_eq!(v["expiresIn"], 5);
    let t = v["token"].as_str().unwrap();
    assert_eq!(
        get(&s, t, "/v2/files/stat?filename=/public/a.jpg").status,
        200
    );

    // Unknown endpoints and methods: JSON too; Sirv's routes signet has no
    // counterpart for say so with 501.
    assert_json_error(&get(&s, t, "/v2/nosuch"), 404);
    assert_json_error(&get(&s, t, "/v2/files/delete/a/b"), 404);
    let r = get(&s, t, "/v2/billing/plan");
    assert_json_error(&r, 501);
    assert!(json_of(&r)["message"]
        .as_str()
        .unwrap()
        .contains("self-hosted"));
    assert_json_error(&get(&s, t, "/v2/files/upload?filename=/x"), 405);
    // The API is never on the media listener.
    assert_ne!(s.get("/v2/files/stat?filename=/public/a.jpg").status, 200);
}

#[test]
fn uploads_are_capped_checked_and_invalidate_variants() {
    let Some((_s3, s)) = on_s3(
        "max_upload_bytes = \"1MiB\"",
        "[cache]\nrevalidate_after = \"1h\"\n",
    ) else {
        return;
    };
    let t = token(&s);

    // Variants of a file are dropped as soon as it is replaced (the cache
    // would otherwise trust it for an hour).
    assert_eq!(upload(&s, &t, "/up/pic.jpg", PHOTO).status, 200);
    let before = s.get("/up/pic.jpg?w=100");
    assert_eq!(before.status, 200);
    let img = image::load_from_memory(&before.body).unwrap();
    assert_eq!((img.width(), img.height()), (100, 67));
    assert_eq!(upload(&s, &t, "/up/pic.jpg", LOGO).status, 200);
    let after = s.get("/up/pic.jpg?w=100");
    let img = image::load_from_memory(&after.body).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (100, 40),
        "the new file, at once"
    );
    assert_ne!(before.header("etag"), after.header("etag"));
    // Originals too.
    assert_eq!(s.get("/up/pic.jpg").body, LOGO);
    // Deleting drops them as well.
    let auth = format!("Bearer {t}");
    let r = request(
        &s.admin,
        "POST",
        "/v2/files/delete?filename=/up/pic.jpg",
        &[("Authorization", &auth), ("Content-Length", "0")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.get("/up/pic.jpg?w=100").status, 404);

    // Declared too large: 413 before reading the body.
    let r = request(
        &s.admin,
        "POST",
        "/v2/files/upload?filename=/up/huge.bin",
        &[("Authorization", &auth), ("Content-Length", "5000000000")],
    );
    assert_json_error(&r, 413);
    // Chunked past the cap: 413, and nothing is stored.
    let chunk = vec![b'x'; 256 * 1024];
    let mut body = Vec::new();
    for _ in 0..6 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let r = request_with_body(
        &s.admin,
        "POST",
        "/v2/files/upload?filename=/up/chunked.bin",
        &[("Authorization", &auth), ("Transfer-Encoding", "chunked")],
        &body,
    );
    assert_json_error(&r, 413);
    assert_json_error(&get(&s, &t, "/v2/files/stat?filename=/up/chunked.bin"), 404);

    // Names that leave the store or are not names: 400.
    for bad in ["/up/../../etc/passwd", "/up/%2E%2E/x", "/up//x", "", "/"] {
        let r = upload(&s, &t, bad, b"x");
        assert_json_error(&r, 400);
    }
    let r = request(
        &s.admin,
        "GET",
        "/v2/files/stat",
        &[("Authorization", &auth)],
    );
    assert_json_error(&r, 400);

    // Signed URLs: bad params, nested values and unknown keys are 400.
    let r = post_json(
        &s,
        "/v2/files/jwt",
        Some(&t),
        &json!({"filename": "/private/a.jpg", "secureParams": {"w": "wide"}}),
    );
    assert_json_error(&r, 400);
    let r = post_json(
        &s,
        "/v2/files/jwt",
        Some(&t),
        &json!({"filename": "/private/a.jpg", "secureParams": {"w": {"deep": 1}}}),
    );
    assert_json_error(&r, 400);
    let r = post_json(
        &s,
        "/v2/files/jwt",
        Some(&t),
        &json!({"filename": "/private/a.jpg", "key": "nope"}),
    );
    assert_json_error(&r, 400);
    assert!(!r.text().contains("nope"), "a wrong key is not echoed");
    // Sirv's callers send the key itself, and may name an account alias:
    // the secret picks its key (by id in the token's header), and the URL
    // loads.
    let r = post_json(
        &s,
        "/v2/files/jwt",
        Some(&t),
        &json!({"filename": "/private/a.jpg", "expiresIn": 60,
                "key": crate::harness::LONG_SECRET, "alias": "myaccount"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let token = json_of(&r)["token"].as_str().unwrap().to_owned();
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], "rotated");
    let url = json_of(&r)["url"].as_str().unwrap().to_owned();
    let target = &url[url.find("/private/").unwrap()..];
    assert_eq!(request(&s.media, "GET", target, &[]).status, 200);
    assert!(!r.text().contains(crate::harness::LONG_SECRET));
    let r = post_json(
        &s,
        "/v2/files/jwt",
        Some(&t),
        &json!({"filename": "/private/a.jpg", "expiresIn": 60, "insecureParams": {"v": 2}}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let url = json_of(&r)["url"].as_str().unwrap().to_owned();
    assert!(url.contains("v=2&jwt="), "{url}");
    let target = &url[url.find("/private/").unwrap()..];
    assert_eq!(s.get(target).body, b"private jpeg bytes");
}

#[test]
fn the_api_is_off_without_credentials() {
    let media = Media::new();
    let s = Server::start(&config(&media.root(), ""));
    let r = post_json(
        &s,
        "/v2/token",
        None,
        &json!({"clientId": "", "clientSecret": ""}),
    );
    assert_json_error(&r, 404);
    assert!(json_of(&r)["message"]
        .as_str()
        .unwrap()
        .contains("disabled"));
}

#[test]
fn srcset_and_sign_endpoints_make_urls_that_load() {
    let Some((_s3, s)) = on_s3("", "") else {
        return;
    };
    let t = token(&s);
    assert_eq!(upload(&s, &t, "/rs/photo.jpg", PHOTO).status, 200);
    let path_of = |url: &str| url[url.find("/rs/").unwrap()..].to_owned();
    let width_of = |target: &str| {
        let r = s.get(target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        image::load_from_memory(&r.body).unwrap().width()
    };

    // Listed widths, JWT-signed with a secure overlay: capped at the source's
    // 1200 px, each URL loads at its width.
    let r = post_json(
        &s,
        "/v2/files/srcset",
        Some(&t),
        &json!({
            "filename": "/rs/photo.jpg",
            "widths": [1920, 320, 640, 1280],
            "sign": "jwt",
            "secureParams": {"text": "Hi"},
            "insecureParams": {"format": "png"},
            "expiresIn": 600,
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = json_of(&r);
    let urls = body["urls"].as_array().unwrap();
    let widths: Vec<u64> = urls.iter().map(|u| u["width"].as_u64().unwrap()).collect();
    assert_eq!(widths, [320, 640, 1200]);
    let srcset = body["srcset"].as_str().unwrap();
    assert_eq!(srcset.matches(", ").count(), 2, "{srcset}");
    assert!(srcset.ends_with(" 1200w"), "{srcset}");
    for u in urls {
        let url = u["url"].as_str().unwrap();
        assert!(url.contains("?w=") && url.contains("&jwt="), "{url}");
        assert!(
            srcset.contains(&format!("{url} {}w", u["width"])),
            "{srcset}"
        );
        assert_eq!(
            u64::from(width_of(&path_of(url))),
            u["width"].as_u64().unwrap()
        );
    }

    // A range stepped by the tolerance; explicit upscaling lifts the cap.
    let r = post_json(
        &s,
        "/v2/files/srcset",
        Some(&t),
        &json!({
            "filename": "/rs/photo.jpg", "minWidth": 400, "maxWidth": 1600,
            "tolerance": 0.2, "sign": "none", "insecureParams": {"scale.option": "fit"},
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let urls = json_of(&r)["urls"].as_array().unwrap().clone();
    let widths: Vec<u64> = urls.iter().map(|u| u["width"].as_u64().unwrap()).collect();
    assert_eq!(widths, [400, 560, 784, 1098, 1536, 1600]);
    let last = urls.last().unwrap()["url"].as_str().unwrap();
    assert!(!last.contains("jwt="), "{last}");
    assert_eq!(width_of(&path_of(last)), 1600);

    // MD5-signed candidates load on an MD5-only path.
    assert_eq!(upload(&s, &t, "/md5-only/p.jpg", PHOTO).status, 200);
    let r = post_json(
        &s,
        "/v2/files/srcset",
        Some(&t),
        &json!({"filename": "/md5-only/p.jpg", "widths": [300], "sign": "md5"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let url = json_of(&r)["urls"][0]["url"].as_str().unwrap().to_owned();
    assert!(url.contains("&exp=") && url.contains("&sig="), "{url}");
    assert_eq!(width_of(&url[url.find("/md5-only/").unwrap()..]), 300);

    // /v2/files/sign: auto picks JWT here (a JWT key exists); md5 and none on request.
    for (sign, marker) in [("auto", "jwt="), ("md5", "sig="), ("none", "w=50")] {
        let r = post_json(
            &s,
            "/v2/files/sign",
            Some(&t),
            &json!({"filename": "/rs/photo.jpg", "sign": sign, "insecureParams": {"w": 50}}),
        );
        assert_eq!(r.status, 200, "{sign}: {}", r.text());
        let url = json_of(&r)["url"].as_str().unwrap().to_owned();
        assert!(url.contains(marker), "{sign}: {url}");
        assert_eq!(width_of(&path_of(&url)), 50);
    }

    // Bad requests.
    let bad: &[(Value, u16)] = &[
        (json!({"filename": "/rs/photo.jpg"}), 400),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "minWidth": 100, "maxWidth": 200}),
            400,
        ),
        (json!({"filename": "/rs/photo.jpg", "widths": []}), 400),
        (json!({"filename": "/rs/photo.jpg", "widths": [0]}), 400),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "tolerance": 0.1}),
            400,
        ),
        (json!({"filename": "/rs/photo.jpg", "widths": [-5]}), 400),
        (json!({"filename": "/rs/photo.jpg", "minWidth": 100}), 400),
        (
            json!({"filename": "/rs/photo.jpg", "minWidth": 1, "maxWidth": 9000, "tolerance": 0.01}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "minWidth": 1, "maxWidth": 9, "tolerance": 3}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "insecureParams": {"w": 5}}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "secureParams": {"width": 5}}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "sign": "md5", "secureParams": {"text": "x"}}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "sign": "rsa"}),
            400,
        ),
        (
            json!({"filename": "/rs/photo.jpg", "widths": [320], "minwidth": 3}),
            400,
        ),
        (
            json!({"filename": "/rs/../etc/passwd", "widths": [320]}),
            400,
        ),
        (json!({"filename": "/rs/missing.jpg", "widths": [320]}), 404),
        (
            json!({"filename": "/private/doc.txt", "widths": [320]}),
            422,
        ),
    ];
    for (body, status) in bad {
        let r = post_json(&s, "/v2/files/srcset", Some(&t), body);
        assert_eq!(r.status, *status, "{body}: {}", r.text());
        assert_json_error(&r, *status);
    }
    // The one-URL endpoints refuse srcset fields; Sirv's /jwt refuses `sign`.
    let one_url: &[(&str, Value)] = &[
        (
            "/v2/files/sign",
            json!({"filename": "/rs/photo.jpg", "widths": [320]}),
        ),
        (
            "/v2/files/sign",
            json!({"filename": "/rs/photo.jpg", "tolerance": 0.1}),
        ),
        (
            "/v2/files/jwt",
            json!({"filename": "/rs/photo.jpg", "minWidth": 3}),
        ),
        (
            "/v2/files/jwt",
            json!({"filename": "/rs/photo.jpg", "sign": "md5"}),
        ),
        (
            "/v2/files/sign",
            json!({"filename": "/rs/photo.jpg", "sign": "md5", "secureParams": {"text": "x"}}),
        ),
    ];
    for (endpoint, body) in one_url {
        let r = post_json(&s, endpoint, Some(&t), body);
        assert_eq!(r.status, 400, "{endpoint} {body}: {}", r.text());
        assert_json_error(&r, 400);
    }
    let r = post_json(
        &s,
        "/v2/files/srcset",
        None,
        &json!({"filename": "/rs/photo.jpg"}),
    );
    assert_json_error(&r, 401);
}

/// Sirv's PHP SDK (`sirv/sirv-rest-api-php`, `src/HttpClient.php` and
/// `src/Resources/Files.php`): its package registry is out of reach here,
/// so its requests are replayed byte for byte as Guzzle sends them — every
/// call a bearer, `Content-Type: application/json` on all but uploads,
/// query parameters where the SDK puts them, JSON bodies where it does.
#[test]
fn sirv_php_sdk_requests_work_against_signet_on_s3() {
    let Some((_s3, s)) = on_s3("", "") else {
        return;
    };
    let bearer = token(&s);
    let auth = format!("Bearer {bearer}");
    let php = |method: &str, target: &str, body: Option<&Value>| {
        let body = body.map(Value::to_string).unwrap_or_default();
        let len = body.len().to_string();
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        if !body.is_empty() || method == "POST" {
            headers.push(("Content-Length", &len));
        }
        request_with_body(&s.admin, method, target, &headers, body.as_bytes())
    };
    // getInfo(): GET with the (encoded) filename in the query.
    let stat = |name: &str| {
        let target = format!("/v2/files/stat?filename={}", name.replace('/', "%2F"));
        php("GET", &target, None)
    };

    // uploadContent(): POST, raw body, its own Content-Type, filename in the query.
    let len = PHOTO.len().to_string();
    let r = request_with_body(
        &s.admin,
        "POST",
        "/v2/files/upload?filename=%2Fphp%2Fphoto.jpg",
        &[
            ("Authorization", &auth),
            ("Content-Type", "image/jpeg"),
            ("Content-Length", &len),
        ],
        PHOTO,
    );
    assert_eq!(r.status, 200, "upload: {}", r.text());
    // getInfo(), list(), download().
    let r = stat("/php/photo.jpg");
    assert_eq!(r.status, 200, "stat: {}", r.text());
    assert_eq!(json_of(&r)["size"], PHOTO.len());
    assert_eq!(json_of(&r)["meta"], json!({"width": 1200, "height": 800}));
    let r = stat("/public/notes.txt");
    assert_eq!(json_of(&r)["meta"], json!({}), "not an image: no size");
    let r = php("GET", "/v2/files/readdir?dirname=%2Fphp", None);
    assert_eq!(r.status, 200, "readdir: {}", r.text());
    let r = php(
        "GET",
        "/v2/files/download?filename=%2Fphp%2Fphoto.jpg",
        None,
    );
    assert!(r.status == 200 && r.body == PHOTO, "download");
    // mkdir(): POST with the dirname in the query and an empty JSON array.
    let r = php(
        "POST",
        "/v2/files/mkdir?dirname=%2Fphp%2Fsub",
        Some(&json!([])),
    );
    assert_eq!(r.status, 200, "mkdir: {}", r.text());
    // copy() and rename(): POST with {"from", "to"} as a JSON body.
    let r = php(
        "POST",
        "/v2/files/copy",
        Some(&json!({"from": "/php/photo.jpg", "to": "/php/sub/copy.jpg"})),
    );
    assert_eq!(r.status, 200, "copy: {}", r.text());
    let r = php(
        "POST",
        "/v2/files/rename",
        Some(&json!({"from": "/php/sub/copy.jpg", "to": "/php/sub/moved.jpg"})),
    );
    assert_eq!(r.status, 200, "rename: {}", r.text());
    assert_eq!(stat("/php/sub/moved.jpg").status, 200);
    assert_json_error(&stat("/php/sub/copy.jpg"), 404);
    // getJwtUrl(): GET with filename and expiry in the query; the URL loads.
    let r = php(
        "GET",
        "/v2/files/jwt?filename=%2Fphp%2Fphoto.jpg&expiry=600",
        None,
    );
    assert_eq!(r.status, 200, "jwt: {}", r.text());
    let url = json_of(&r)["url"].as_str().unwrap().to_owned();
    let target = &url[url.find("/php/").unwrap()..];
    assert!(target.contains("jwt="), "{url}");
    assert_eq!(request(&s.media, "GET", target, &[]).status, 200);
    assert_json_error(
        &php(
            "GET",
            "/v2/files/jwt?filename=%2Fphp%2Fphoto.jpg&expiry=soon",
            None,
        ),
        400,
    );
    // delete(): DELETE with the filename in the query.
    let r = php(
        "DELETE",
        "/v2/files/delete?filename=%2Fphp%2Fsub%2Fmoved.jpg",
        None,
    );
    assert_eq!(r.status, 200, "delete: {}", r.text());
    assert_json_error(&stat("/php/sub/moved.jpg"), 404);
    // A body that is neither: a clear 400, nothing copied.
    assert_json_error(
        &php(
            "POST",
            "/v2/files/copy",
            Some(&json!({"from": "/php/photo.jpg"})),
        ),
        400,
    );
    let r = php("PUT", "/v2/files/delete?filename=%2Fphp%2Fphoto.jpg", None);
    assert_json_error(&r, 405);
    assert_eq!(r.header("allow"), Some("POST, DELETE"));

    // The metadata calls: post($path, $data, ['filename' => …]) sends the
    // data as JSON and the file in the query; get() and delete() only the
    // query.
    let q = "filename=%2Fphp%2Fphoto.jpg";
    let ok = |r: Resp, what: &str| {
        assert_eq!(r.status, 200, "{what}: {}", r.text());
        if r.body.is_empty() {
            Value::Null
        } else {
            json_of(&r)
        }
    };
    ok(
        php(
            "POST",
            &format!("/v2/files/meta?{q}"),
            Some(&json!({"title": "PHP", "tags": ["a", "b"]})),
        ),
        "setMeta",
    );
    assert_eq!(
        ok(php("GET", &format!("/v2/files/meta?{q}"), None), "getMeta")["tags"],
        json!(["a", "b"])
    );
    ok(
        php(
            "POST",
            &format!("/v2/files/meta/approval?{q}"),
            Some(&json!({"approved": false})),
        ),
        "setApproval",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/approval?{q}"), None),
            "getApproval"
        )["approved"],
        false
    );
    ok(
        php(
            "POST",
            &format!("/v2/files/meta/description?{q}"),
            Some(&json!({"description": "d"})),
        ),
        "setDescription",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/description?{q}"), None),
            "getDescription"
        ),
        json!({"description": "d"})
    );
    ok(
        php(
            "POST",
            &format!("/v2/files/meta/title?{q}"),
            Some(&json!({"title": "T"})),
        ),
        "setTitle",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/title?{q}"), None),
            "getTitle"
        ),
        json!({"title": "T"})
    );
    ok(
        php(
            "POST",
            &format!("/v2/files/meta/product?{q}"),
            Some(&json!({"id": "P1", "brand": "B"})),
        ),
        "setProductMeta",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/product?{q}"), None),
            "getProductMeta"
        ),
        json!({"id": "P1", "brand": "B"})
    );
    ok(
        php(
            "POST",
            &format!("/v2/files/meta/tags?{q}"),
            Some(&json!({"tags": ["c"]})),
        ),
        "setTags",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/tags?{q}"), None),
            "getTags"
        ),
        json!({"tags": ["a", "b", "c"]})
    );
    ok(
        php("DELETE", &format!("/v2/files/meta/tags?{q}"), None),
        "deleteTags",
    );
    assert_eq!(
        ok(
            php("GET", &format!("/v2/files/meta/tags?{q}"), None),
            "getTags"
        ),
        json!({"tags": []})
    );
    // Points of interest: deletePoi() names none, so all go.
    ok(
        php(
            "POST",
            &format!("/v2/files/poi?{q}"),
            Some(&json!({"name": "p", "x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4})),
        ),
        "setPoi",
    );
    assert_eq!(
        ok(php("GET", &format!("/v2/files/poi?{q}"), None), "getPoi")["p"]["height"],
        0.4
    );
    ok(
        php("DELETE", &format!("/v2/files/poi?{q}"), None),
        "deletePoi",
    );
    assert_eq!(
        ok(php("GET", &format!("/v2/files/poi?{q}"), None), "getPoi"),
        json!({})
    );
    // search() and searchScroll().
    let found = ok(
        php(
            "POST",
            "/v2/files/search",
            Some(&json!({"query": "title:t", "size": 10, "scroll": true})),
        ),
        "search",
    );
    assert_eq!(found["total"], 1);
    let id = found["scrollId"].as_str().unwrap();
    let next = ok(
        php(
            "POST",
            "/v2/files/search/scroll",
            Some(&json!({"scrollId": id})),
        ),
        "searchScroll",
    );
    assert_eq!(next["hits"], json!([]));
    // zip() and getZipResult(), deleteBatch() and getDeleteBatchResult():
    // the SDK's own paths, the job id as `token`.
    let z = ok(
        php(
            "POST",
            "/v2/files/zip",
            Some(&json!({"filenames": ["/php/photo.jpg"], "zipFilename": "p.zip"})),
        ),
        "zip",
    );
    let z = ok(
        php(
            "GET",
            &format!("/v2/files/zip/result?token={}", z["id"].as_str().unwrap()),
            None,
        ),
        "getZipResult",
    );
    assert_eq!(z["result"][0]["filename"], "p.zip");
    let b = ok(
        php(
            "POST",
            "/v2/files/delete/batch",
            Some(&json!({"filenames": ["/php/sub/"]})),
        ),
        "deleteBatch",
    );
    let target = format!(
        "/v2/files/delete/batch/result?token={}",
        b["id"].as_str().unwrap()
    );
    let started = std::time::Instant::now();
    while ok(php("GET", &target, None), "getDeleteBatchResult")["status"] != "completed" {
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Account: get(), getLimits(), getStorage(); what signet has no
    // counterpart for answers 501 (update(), users, billing, events, stats,
    // user, folder options, fetch, spins and their exports).
    ok(php("GET", "/v2/account", None), "account");
    ok(php("GET", "/v2/account/limits", None), "getLimits");
    ok(php("GET", "/v2/account/storage", None), "getStorage");
    for (method, target, body) in [
        (
            "POST",
            "/v2/account",
            Some(json!({"minify": {"enabled": true}})),
        ),
        ("GET", "/v2/account/users", None),
        ("GET", "/v2/billing/plan", None),
        ("POST", "/v2/account/events/search", Some(json!({}))),
        ("POST", "/v2/account/events/seen", Some(json!(["e"]))),
        (
            "GET",
            "/v2/stats/http?from=2026-01-01T00:00:00.000&to=2026-01-02T00:00:00.000",
            None,
        ),
        ("GET", "/v2/stats/spins/views?from=a&to=b", None),
        ("GET", "/v2/stats/storage?from=a&to=b", None),
        ("GET", "/v2/user", None),
        ("GET", "/v2/files/folder/options?dirname=%2Fphp", None),
        (
            "POST",
            "/v2/files/folder/options?dirname=%2Fphp",
            Some(json!({"scanSpins": false})),
        ),
        (
            "POST",
            "/v2/files/fetch?filename=%2Fphp%2Ff.jpg",
            Some(json!({"url": "http://127.0.0.1/"})),
        ),
        (
            "POST",
            "/v2/files/spin2video?filename=%2Fphp%2Fa.spin",
            Some(json!([])),
        ),
        (
            "POST",
            "/v2/files/video2spin?filename=%2Fphp%2Fa.mp4",
            Some(json!([])),
        ),
        (
            "POST",
            "/v2/files/export/amazon?filename=%2Fphp%2Fa.spin",
            Some(json!([])),
        ),
        (
            "POST",
            "/v2/files/export/lowes?filename=%2Fphp%2Fa.spin",
            Some(json!([])),
        ),
    ] {
        let r = php(method, target, body.as_ref());
        assert_json_error(&r, 501);
    }
}
