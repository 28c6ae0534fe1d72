//! In-process tests of the media request flow (no socket).

use http::StatusCode;
use http_body_util::BodyExt;
use signet_auth::{sign_jwt, sign_md5, KeyKind};
use signet_storage::FsStore;

use super::*;

fn app(dir: &std::path::Path) -> Media {
    let config = crate::config::test_config("");
    let store = Arc::new(FsStore::new(dir).unwrap());
    Media::new(Arc::new(
        Core::with_store(config, store, &|_| None).unwrap(),
    ))
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("private")).unwrap();
    std::fs::write(dir.path().join("hello.txt"), b"hello world").unwrap();
    std::fs::write(dir.path().join("private/secret.txt"), b"secret").unwrap();
    std::fs::write(dir.path().join("photo.jpg"), b"not really a jpeg").unwrap();
    dir
}

async fn get(app: &Media, uri: &str) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let req = Request::get(uri).body(()).unwrap();
    let resp = app.handle(req).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn public_file_is_served_with_headers() {
    let dir = fixture();
    let app = app(dir.path());
    let (status, h, body) = get(&app, "/hello.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"hello world");
    assert_eq!(h["content-length"], "11");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "public, max-age=31536000");
    assert!(h["etag"].to_str().unwrap().starts_with('"'));
}

#[tokio::test]
async fn protected_needs_a_token_and_caps_cache_lifetime() {
    let dir = fixture();
    let app = app(dir.path());
    let (status, h, _) = get(&app, "/private/secret.txt").await;
    assert_eq!(
        (status, h["x-auth-result"].to_str().unwrap()),
        (StatusCode::FORBIDDEN, "missing token")
    );
    let (status, h, _) = get(&app, "/private/missing.txt").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "existence must not leak");
    assert_eq!(h["x-auth-result"], "missing token");

    let key = app.core.ring.signing_key(KeyKind::Jwt, None).unwrap();
    let token = sign_jwt(
        key,
        &["/private/".to_owned()],
        unix_now(),
        120,
        &Default::default(),
    )
    .unwrap();
    let (status, h, body) = get(&app, &format!("/private/secret.txt?jwt={token}")).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"secret"[..]));
    let max_age: u64 = h["cache-control"]
        .to_str()
        .unwrap()
        .trim_start_matches("public, max-age=")
        .parse()
        .unwrap();
    assert!((100..=120).contains(&max_age), "{max_age}");

    let md5 = app.core.ring.signing_key(KeyKind::Md5, None).unwrap();
    let exp = unix_now() + 60;
    let sig = sign_md5(md5, "/private/secret.txt", exp).unwrap();
    let (status, _, _) = get(&app, &format!("/private/secret.txt?exp={exp}&sig={sig}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn options_are_validated_after_auth() {
    let dir = fixture();
    let app = app(dir.path());
    let (status, _, body) = get(&app, "/photo.jpg?w=abc&bogus=1&v=123").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("w=abc: ") && body.contains("bogus=1: unknown option"),
        "{body}"
    );
    assert!(
        !body.contains("v=123"),
        "ignored params never reach validation"
    );
    let (status, h, _) = get(&app, "/private/a.jpg?w=abc").await;
    assert_eq!(
        (status, h["x-auth-result"].to_str().unwrap()),
        (StatusCode::FORBIDDEN, "missing token")
    );
    let (status, _, body) = get(&app, "/photo.jpg?w=100").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a .jpg that is not a JPEG"
    );
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("not a decodable image"));
    let (status, _, _) = get(&app, "/photo.jpg?profile=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a missing profile");
    let (status, _, _) = get(&app, "/hello.txt?w=100").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = get(&app, "/missing.jpg?w=100").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = get(&app, "/hello.txt?v=2").await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, &b"hello world"[..])
    );
}

#[tokio::test]
async fn query_overlays_are_dropped_on_jwt_urls_only() {
    let dir = fixture();
    let app = app(dir.path());
    let key = app.core.ring.signing_key(KeyKind::Jwt, None).unwrap();
    let token = sign_jwt(key, &["/".to_owned()], unix_now(), 60, &Default::default()).unwrap();
    // On a JWT URL a query overlay is dropped silently: nothing left to apply.
    let (status, _, body) = get(&app, &format!("/hello.txt?text=forged&jwt={token}")).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, &b"hello world"[..])
    );
    // On a public URL the same option applies (and is refused on a text file).
    let (status, _, _) = get(&app, "/hello.txt?text=forged").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Non-overlay query options still apply on JWT URLs.
    let (status, _, _) = get(&app, &format!("/hello.txt?w=10&jwt={token}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A build without the `s3` feature (`make bench` makes one) names the
/// missing back end instead of starting with no store.
#[cfg(not(feature = "s3"))]
#[tokio::test]
async fn s3_storage_is_refused_by_a_build_without_it() {
    let storage = crate::config::StorageConfig {
        kind: crate::config::StorageKind::S3,
        bucket: "media".into(),
        ..Default::default()
    };
    let Err(crate::core::StartError::Storage(e)) = crate::core::open_store(&storage).await else {
        panic!("an s3 store opened without the s3 feature");
    };
    assert!(
        e.contains("storage kind `s3` (bucket `media`) is not in this build"),
        "{e}"
    );
}

#[test]
fn variables_are_filled_once_and_unknown_ones_kept() {
    let value = |name: &str| match name {
        "title" => Some("Lake ${tags}".to_owned()),
        "EXIF.Model" => Some(String::new()),
        _ => None,
    };
    assert_eq!(
        super::fill_variables("${title} by ${EXIF.Model}!", value),
        "Lake ${tags} by !",
        "a filled value is not read again"
    );
    assert_eq!(
        super::fill_variables("${other} ${ and $title }", value),
        "${other} ${ and $title }"
    );
    assert_eq!(super::fill_variables("${title", value), "${title");
}
