//! In-process tests of the REST API routes (no socket): credentials and
//! bearer tokens, routing, the file routes over a local folder, and the URL
//! makers. The end-to-end suite drives the same routes with Sirv's SDK.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use signet_auth::{authenticate_jwt, authorize_jwt, JwtOptions};
use signet_storage::FsStore;
use signet_transform::pipeline::{stages, Format};

use crate::admin::Admin;
use crate::core::Core;

struct Fixture {
    admin: Admin,
    core: Arc<Core>,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
    // A real 640x480 PNG, made by the pipeline's own encoder.
    let png = stages::encode(&stages::synthetic(640, 480), Format::Png, 80).unwrap();
    std::fs::write(dir.path().join("photo.png"), png).unwrap();
    let config = crate::config::test_config(
        "[api]\nclient_id = \"id\"\nclient_secret = \"secret\"\nmax_upload_bytes = 16\n",
    );
    let store = Arc::new(FsStore::new(dir.path()).unwrap());
    let core = Arc::new(Core::with_store(config, store, &|_| None).unwrap());
    Fixture {
        admin: Admin::new(core.clone()),
        core,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn call(
    f: &Fixture,
    method: &str,
    target: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut req = Request::builder().method(method).uri(target);
    if let Some(token) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
    let r = f.admin.handle(req).await;
    let (status, headers) = (r.status(), r.headers().clone());
    let body = r.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

async fn token(f: &Fixture) -> String {
    let body = json!({"clientId": "id", "clientSecret": "secret"}).to_string();
    let a = call(f, "POST", "/v2/token", None, body.as_bytes()).await;
    assert_eq!(a.status, StatusCode::OK);
    a.json()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn credentials_and_bearer_tokens() {
    let f = fixture();
    let wrong = json!({"clientId": "id", "clientSecret": "nope"}).to_string();
    let a = call(&f, "POST", "/v2/token", None, wrong.as_bytes()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.headers[header::WWW_AUTHENTICATE],
        "Bearer realm=\"signet\""
    );
    assert_eq!(a.json()["statusCode"], 401);

    let t = token(&f).await;
    let cases: &[(Option<&str>, StatusCode, &str)] = &[
        (None, StatusCode::UNAUTHORIZED, "missing Authorization"),
        (
            Some("not-a-token"),
            StatusCode::UNAUTHORIZED,
            "invalid bearer token",
        ),
        (Some(&t), StatusCode::OK, ""),
    ];
    for (bearer, status, message) in cases {
        let a = call(
            &f,
            "GET",
            "/v2/files/stat?filename=/notes.txt",
            *bearer,
            b"",
        )
        .await;
        assert_eq!(a.status, *status, "{bearer:?}");
        let got = a.json()["message"].as_str().unwrap_or("").to_owned();
        assert!(got.contains(message), "{bearer:?}: {got}");
    }
    let req = Request::get("/v2/files/stat?filename=/notes.txt")
        .header(header::AUTHORIZATION, format!("Basic {t}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = f.admin.handle(req).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "not a Bearer scheme");
}

#[tokio::test]
async fn routes_and_methods() {
    let f = fixture();
    let t = token(&f).await;
    let a = call(&f, "GET", "/v2/files/nope", Some(&t), b"").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["message"]
        .as_str()
        .unwrap()
        .contains("not part of"));
    let a = call(&f, "PUT", "/v2/files/delete?filename=/x", Some(&t), b"").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.headers[header::ALLOW], "POST, DELETE");
    let a = call(&f, "DELETE", "/v2/files/copy?from=/x&to=/y", Some(&t), b"").await;
    assert_eq!(a.headers[header::ALLOW], "POST");
    let a = call(&f, "POST", "/v2/files/stat?filename=/x", Some(&t), b"").await;
    assert_eq!(a.headers[header::ALLOW], "GET, HEAD");
    let a = call(&f, "GET", "/v2/files/stat", Some(&t), b"").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["message"], "`filename` is required");
}

#[tokio::test]
async fn file_routes_read_and_write_the_store() {
    let f = fixture();
    let t = token(&f).await;
    let stat = call(
        &f,
        "GET",
        "/v2/files/stat?filename=/notes.txt",
        Some(&t),
        b"",
    )
    .await;
    assert_eq!(stat.json()["size"], 5);
    assert_eq!(stat.json()["isDirectory"], false);
    let missing = call(
        &f,
        "GET",
        "/v2/files/stat?filename=/gone.txt",
        Some(&t),
        b"",
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("not found"))
    );
    let bad = call(&f, "GET", "/v2/files/stat?filename=/a/../b", Some(&t), b"").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let up = call(
        &f,
        "POST",
        "/v2/files/upload?filename=/new.txt",
        Some(&t),
        b"fresh",
    )
    .await;
    assert_eq!(up.status, StatusCode::OK);
    let down = call(
        &f,
        "GET",
        "/v2/files/download?filename=/new.txt",
        Some(&t),
        b"",
    )
    .await;
    assert_eq!(&down.body[..], b"fresh");
    let big = call(
        &f,
        "POST",
        "/v2/files/upload?filename=/big.txt",
        Some(&t),
        &[b'x'; 17],
    )
    .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let gone = call(&f, "GET", "/v2/files/stat?filename=/big.txt", Some(&t), b"").await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "nothing written past the cap"
    );

    for target in [
        "/v2/files/mkdir?dirname=/folder",
        "/v2/files/copy?from=/new.txt&to=/folder/copy.txt",
        "/v2/files/rename?from=/folder/copy.txt&to=/folder/moved.txt",
        "/v2/files/delete?filename=/new.txt",
    ] {
        assert_eq!(
            call(&f, "POST", target, Some(&t), b"").await.status,
            StatusCode::OK,
            "{target}"
        );
    }
    let list = call(
        &f,
        "GET",
        "/v2/files/readdir?dirname=/folder",
        Some(&t),
        b"",
    )
    .await;
    let contents = list.json()["contents"].clone();
    let names: Vec<&str> = contents
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["moved.txt"]);
}

#[tokio::test]
async fn signed_urls_open_their_file() {
    let f = fixture();
    let t = token(&f).await;
    let body =
        json!({"filename": "/private/a.jpg", "expiresIn": 60, "secureParams": {"text": "Hi"}});
    let a = call(
        &f,
        "POST",
        "/v2/files/jwt",
        Some(&t),
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.json());
    let jwt = a.json()["token"].as_str().unwrap().to_owned();
    let verified = authenticate_jwt(&f.core.ring, &jwt).unwrap();
    let grant = authorize_jwt(
        &verified,
        "/private/a.jpg",
        crate::core::unix_now(),
        JwtOptions { leeway: 0 },
    )
    .unwrap();
    assert_eq!(grant.args, [("text".to_owned(), "Hi".to_owned())]);

    let md5 = json!({"filename": "/a.jpg", "sign": "md5", "secureParams": {"text": "Hi"}});
    let a = call(
        &f,
        "POST",
        "/v2/files/sign",
        Some(&t),
        md5.to_string().as_bytes(),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["message"]
        .as_str()
        .unwrap()
        .contains("need sign \"jwt\""));
    let odd = json!({"filename": "/a.jpg", "sign": "rsa"});
    let a = call(
        &f,
        "POST",
        "/v2/files/sign",
        Some(&t),
        odd.to_string().as_bytes(),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

/// Was: `scale.option=NOUP` passed validation but lifted the source-width
/// cap, because srcset compared the raw value with `noup`.
#[tokio::test]
async fn srcset_caps_widths_at_the_source_for_noup_in_any_case() {
    let f = fixture();
    let t = token(&f).await;
    for noup in ["noup", "NOUP", "NoUp"] {
        let body = json!({
            "filename": "/photo.png",
            "sign": "none",
            "widths": [320, 640, 1280],
            "insecureParams": {"scale.option": noup},
        });
        let a = call(
            &f,
            "POST",
            "/v2/files/srcset",
            Some(&t),
            body.to_string().as_bytes(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{noup}: {:?}", a.json());
        let widths: Vec<u64> = a.json()["urls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["width"].as_u64().unwrap())
            .collect();
        assert_eq!(widths, [320, 640], "{noup}: capped at the 640 px source");
    }
    let fill = json!({
        "filename": "/photo.png",
        "sign": "none",
        "widths": [320, 1280],
        "insecureParams": {"scale.option": "FILL"},
    });
    let a = call(
        &f,
        "POST",
        "/v2/files/srcset",
        Some(&t),
        fill.to_string().as_bytes(),
    )
    .await;
    assert_eq!(
        a.json()["urls"][1]["width"],
        1280,
        "upscaling lifts the cap"
    );
    let text = json!({"filename": "/notes.txt", "sign": "none", "widths": [320]});
    let a = call(
        &f,
        "POST",
        "/v2/files/srcset",
        Some(&t),
        text.to_string().as_bytes(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "not an image");
}
