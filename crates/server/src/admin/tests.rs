//! In-process tests of the admin listener's routes (no socket).

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use signet_storage::FsStore;

use super::*;

fn admin(dir: &std::path::Path) -> Admin {
    let config = crate::config::test_config("");
    let store = Arc::new(FsStore::new(dir).unwrap());
    Admin::new(Arc::new(
        Core::with_store(config, store, &|_| None).unwrap(),
    ))
}

async fn get(admin: &Admin, method: Method, path: &str) -> (StatusCode, HeaderMapText) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let r = admin.handle(req).await;
    let status = r.status();
    let content_type = r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let cache = r
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = r.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body).into_owned();
    (
        status,
        HeaderMapText {
            content_type,
            cache,
            body,
        },
    )
}

struct HeaderMapText {
    content_type: String,
    cache: Option<String>,
    body: String,
}

#[tokio::test]
async fn health_ready_and_draining() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin(dir.path());
    assert_eq!(get(&admin, Method::GET, "/health").await.0, StatusCode::OK);
    assert_eq!(get(&admin, Method::HEAD, "/ready").await.0, StatusCode::OK);
    admin.core.stop_accepting();
    let (status, r) = get(&admin, Method::GET, "/ready").await;
    assert_eq!(
        (status, r.body.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    );
}

#[tokio::test]
async fn unknown_routes_and_media_paths_are_plain_404s() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), b"hi").unwrap();
    let admin = admin(dir.path());
    for (method, path) in [
        (Method::GET, "/hello.txt"),
        (Method::POST, "/health"),
        (Method::GET, "/console/nope.js"),
    ] {
        let (status, r) = get(&admin, method, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.content_type, "text/plain; charset=utf-8", "{path}");
        assert_eq!(r.cache.as_deref(), Some("no-store"), "{path}");
    }
}

/// Was: the console's 404 and 405 went out as application/octet-stream
/// without `no-store`, bypassing the error map.
#[tokio::test]
async fn console_errors_go_through_the_error_map() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin(dir.path());
    let (status, r) = get(&admin, Method::POST, "/console").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type, "text/plain; charset=utf-8");
    assert_eq!(r.cache.as_deref(), Some("no-store"));
    let (status, r) = get(&admin, Method::GET, "/console/missing.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(r.content_type, "text/plain; charset=utf-8");
}

#[tokio::test]
async fn the_api_answers_json_even_when_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin(dir.path());
    let (status, r) = get(&admin, Method::GET, "/v2/files/stat").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(r.content_type, "application/json; charset=utf-8");
    assert!(r.body.contains("the REST API is disabled"), "{}", r.body);
}

#[tokio::test]
async fn metrics_are_openmetrics_text() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin(dir.path());
    let (status, r) = get(&admin, Method::GET, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(r.content_type.starts_with("application/openmetrics-text"));
    assert!(r.body.contains("signet_cache_bytes"), "{}", r.body);
}
