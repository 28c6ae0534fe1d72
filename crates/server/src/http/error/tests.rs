//! The error map as a table: every variant's status, body and headers, in
//! plain text and in the REST API's JSON. A new variant that is not listed
//! here fails `every_variant_is_in_the_table`.

use std::sync::Arc;

use http::HeaderMap;
use http_body_util::BodyExt;

use super::*;

/// One row: the error, its status, the text clients see, and the headers
/// beyond the content type and `Cache-Control`.
struct Row {
    error: Error,
    status: u16,
    text: &'static str,
    headers: &'static [(&'static str, &'static str)],
}

fn row(
    error: Error,
    status: u16,
    text: &'static str,
    headers: &'static [(&'static str, &'static str)],
) -> Row {
    Row {
        error,
        status,
        text,
        headers,
    }
}

const RETRY: &[(&str, &str)] = &[("retry-after", "5")];
const CLOSE: &[(&str, &str)] = &[("connection", "close")];

fn table() -> Vec<Row> {
    let io = || std::io::Error::other("disk on fire");
    vec![
        row(
            Error::BadRequest("path has an empty segment".into()),
            400,
            "path has an empty segment",
            &[],
        ),
        row(
            Error::BadOptions(vec!["w=x: bad".into(), "q=0: bad".into()]),
            400,
            "w=x: bad\nq=0: bad",
            &[],
        ),
        row(
            Error::Auth(Failure::Expired),
            403,
            "forbidden: expired key",
            &[("x-auth-result", "expired key")],
        ),
        row(
            Error::Unauthorized("invalid bearer token"),
            401,
            "invalid bearer token",
            &[("www-authenticate", "Bearer realm=\"signet\"")],
        ),
        row(Error::NotFound, 404, "not found", &[]),
        row(
            Error::NoRoute("/v2/x is not part of signet's REST API".into()),
            404,
            "/v2/x is not part of signet's REST API",
            &[],
        ),
        row(
            Error::MethodNotAllowed { allow: "GET, HEAD" },
            405,
            "method not allowed: use GET, HEAD",
            &[("allow", "GET, HEAD")],
        ),
        row(
            Error::PayloadTooLarge("uploads are limited to 5 bytes".into()),
            413,
            "uploads are limited to 5 bytes",
            &[],
        ),
        row(
            Error::Unsupported("/v2/billing: signet is self-hosted".into()),
            501,
            "/v2/billing: signet is self-hosted",
            &[],
        ),
        row(
            Error::Conflict("folder a/ holds more than 10 files".into()),
            409,
            "folder a/ holds more than 10 files",
            &[],
        ),
        row(
            Error::TooManyRequests { retry_after: 3 },
            429,
            "rate limit reached, retry in 3 s",
            &[("retry-after", "3")],
        ),
        row(
            Error::RangeNotSatisfiable { size: 10 },
            416,
            "range not satisfiable",
            &[("content-range", "bytes */10")],
        ),
        row(
            Error::SourceTooBig { size: 9, limit: 8 },
            422,
            "source is 9 bytes, over the limit of 8 bytes",
            &[],
        ),
        row(
            Error::BadProfile {
                name: "p".into(),
                lines: vec!["w=x: bad".into()],
            },
            422,
            "profile `p` is invalid:\nw=x: bad",
            &[],
        ),
        row(
            Error::BadPlaylist("playlist line 3: a `data:` URI is refused".into()),
            422,
            "playlist line 3: a `data:` URI is refused",
            &[],
        ),
        row(
            Error::BadVideo("the video cannot be decoded: png: Invalid image size".into()),
            422,
            "the video cannot be decoded: png: Invalid image size",
            &[],
        ),
        row(
            Error::NoVideoDecoder,
            501,
            "posters need ffmpeg, which this server does not have",
            &[],
        ),
        row(
            Error::Transform(TransformError::NotAnImage("truncated".into())),
            422,
            "source is not a decodable image: truncated",
            &[],
        ),
        row(
            Error::Transform(TransformError::SourceTooLarge {
                width: 2,
                height: 2,
                limit: 3,
            }),
            422,
            "source is 2x2, over the limit of 3 pixels",
            &[],
        ),
        row(
            Error::Transform(TransformError::AnimationTooLarge {
                frames: 2,
                width: 2,
                height: 2,
                limit: 7,
            }),
            422,
            "source is an animation of 2 frames of 2x2, over the limit of 7 pixels",
            &[],
        ),
        row(
            Error::Transform(TransformError::MetadataTooLarge { bytes: 9, limit: 8 }),
            422,
            "source metadata is at least 9 bytes, over the limit of 8 bytes",
            &[],
        ),
        row(
            Error::Transform(TransformError::BadWatermark("empty".into())),
            422,
            "the watermark is not a decodable image: empty",
            &[],
        ),
        row(
            Error::Transform(TransformError::OutputTooLarge {
                width: 9,
                height: 9,
                limit: 80,
            }),
            400,
            "output would be 9x9, over the limit of 80 pixels",
            &[],
        ),
        row(
            Error::Transform(TransformError::Invalid("cx=9: outside the image".into())),
            400,
            "cx=9: outside the image",
            &[],
        ),
        row(
            Error::Transform(TransformError::Encode("libwebp said no".into())),
            500,
            "internal error",
            &[],
        ),
        row(
            Error::Storage(StorageError::NotFound),
            404,
            "not found",
            &[],
        ),
        row(
            Error::Storage(StorageError::InvalidKey("empty segment")),
            400,
            "invalid path: empty segment",
            &[],
        ),
        row(
            Error::Storage(StorageError::AlreadyExists),
            409,
            "already exists",
            &[],
        ),
        row(
            Error::Storage(StorageError::Unavailable("connection refused".into())),
            503,
            "storage unavailable, retry later",
            RETRY,
        ),
        row(
            Error::Storage(StorageError::Timeout),
            504,
            "storage timed out",
            &[],
        ),
        row(
            Error::Storage(StorageError::Io(io())),
            500,
            "internal error",
            &[],
        ),
        row(
            Error::TransformTimeout,
            503,
            "busy transforming, retry later",
            RETRY,
        ),
        row(
            Error::Overloaded,
            503,
            "busy transforming, retry later",
            RETRY,
        ),
        row(
            Error::NotReady("shutting down".into()),
            503,
            "shutting down",
            &[],
        ),
        row(
            Error::UriTooLong { limit: 16 },
            414,
            "request target longer than 16 bytes",
            CLOSE,
        ),
        row(
            Error::HeaderFieldsTooLarge { limit: 32 },
            431,
            "request header fields longer than 32 bytes",
            CLOSE,
        ),
        row(
            Error::AmbiguousFraming,
            400,
            "both Content-Length and Transfer-Encoding: ambiguous framing",
            CLOSE,
        ),
        row(Error::Internal, 500, "internal error", &[]),
        row(
            Error::Shared(Arc::new(Error::Overloaded)),
            503,
            "busy transforming, retry later",
            RETRY,
        ),
    ]
}

/// Every header a rendered error may carry beyond its content type.
const OPTIONAL: [&str; 6] = [
    "x-auth-result",
    "www-authenticate",
    "allow",
    "content-range",
    "retry-after",
    "connection",
];

async fn body_of(r: Response<Body>) -> String {
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn check_headers(h: &HeaderMap, want: &[(&str, &str)], what: &str) {
    for name in OPTIONAL {
        let expected = want.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let got = h.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(got, expected, "{what}: header {name}");
    }
    assert_eq!(
        h["cache-control"], "no-store",
        "{what}: errors are never cached"
    );
}

#[tokio::test]
async fn every_error_renders_its_status_text_and_headers() {
    for Row {
        error,
        status,
        text,
        headers,
    } in table()
    {
        let what = format!("{error:?}");
        assert_eq!(error.status().as_u16(), status, "{what}");

        let plain = error.to_plain();
        assert_eq!(plain.status().as_u16(), status, "{what}");
        assert_eq!(plain.headers()["content-type"], "text/plain; charset=utf-8");
        check_headers(plain.headers(), headers, &what);
        assert_eq!(body_of(plain).await, format!("{text}\n"), "{what}");

        let json = error.to_json();
        assert_eq!(json.status().as_u16(), status, "{what}");
        assert_eq!(
            json.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        check_headers(json.headers(), headers, &what);
        let value: serde_json::Value = serde_json::from_str(&body_of(json).await).unwrap();
        assert_eq!(value["statusCode"], status, "{what}");
        assert_eq!(value["message"], text, "{what}");
        let reason = StatusCode::from_u16(status)
            .unwrap()
            .canonical_reason()
            .unwrap();
        assert_eq!(value["error"], reason, "{what}");
    }
}

#[test]
fn server_failures_tell_clients_nothing_of_their_cause() {
    for Row { error, .. } in table() {
        if error.status().is_server_error() {
            let text = error.text();
            for secret in ["libwebp", "disk on fire", "connection refused"] {
                assert!(!text.contains(secret), "{error:?} shows {secret:?}");
            }
        }
    }
    // The command line shows the operator the cause.
    let e = Error::Storage(StorageError::Io(std::io::Error::other("disk on fire")));
    assert!(e.to_string().contains("disk on fire"));
}

#[test]
fn labels_for_metrics() {
    assert_eq!(
        Error::Auth(Failure::AudienceMismatch).auth_label(),
        Some("audience mismatch")
    );
    assert_eq!(Error::Unauthorized("x").auth_label(), Some("api"));
    assert_eq!(Error::NotFound.auth_label(), None);
    let shared = Error::Shared(Arc::new(Error::Storage(StorageError::Timeout)));
    assert_eq!(shared.storage_failure(), Some("timeout"));
    assert_eq!(
        Error::Storage(StorageError::NotFound).storage_failure(),
        None
    );
}

/// Fails to compile when a variant is added without a row above: the match
/// must name every variant, and each arm points at the table.
#[test]
fn every_variant_is_in_the_table() {
    let listed: Vec<&'static str> = table().iter().map(|r| variant(&r.error)).collect();
    for name in [
        "BadRequest",
        "BadOptions",
        "Auth",
        "Unauthorized",
        "NotFound",
        "NoRoute",
        "MethodNotAllowed",
        "PayloadTooLarge",
        "Conflict",
        "TooManyRequests",
        "Unsupported",
        "RangeNotSatisfiable",
        "SourceTooBig",
        "BadProfile",
        "BadPlaylist",
        "BadVideo",
        "NoVideoDecoder",
        "Transform",
        "Storage",
        "TransformTimeout",
        "Overloaded",
        "NotReady",
        "UriTooLong",
        "HeaderFieldsTooLarge",
        "AmbiguousFraming",
        "Internal",
        "Shared",
    ] {
        assert!(listed.contains(&name), "{name} has no row");
    }
}

fn variant(e: &Error) -> &'static str {
    match e {
        Error::BadRequest(_) => "BadRequest",
        Error::BadOptions(_) => "BadOptions",
        Error::Auth(_) => "Auth",
        Error::Unauthorized(_) => "Unauthorized",
        Error::NotFound => "NotFound",
        Error::NoRoute(_) => "NoRoute",
        Error::MethodNotAllowed { .. } => "MethodNotAllowed",
        Error::PayloadTooLarge(_) => "PayloadTooLarge",
        Error::Conflict(_) => "Conflict",
        Error::Unsupported(_) => "Unsupported",
        Error::TooManyRequests { .. } => "TooManyRequests",
        Error::RangeNotSatisfiable { .. } => "RangeNotSatisfiable",
        Error::SourceTooBig { .. } => "SourceTooBig",
        Error::BadProfile { .. } => "BadProfile",
        Error::BadPlaylist(_) => "BadPlaylist",
        Error::BadVideo(_) => "BadVideo",
        Error::NoVideoDecoder => "NoVideoDecoder",
        Error::Transform(_) => "Transform",
        Error::Storage(_) => "Storage",
        Error::TransformTimeout => "TransformTimeout",
        Error::Overloaded => "Overloaded",
        Error::NotReady(_) => "NotReady",
        Error::UriTooLong { .. } => "UriTooLong",
        Error::HeaderFieldsTooLarge { .. } => "HeaderFieldsTooLarge",
        Error::AmbiguousFraming => "AmbiguousFraming",
        Error::Internal => "Internal",
        Error::Shared(_) => "Shared",
    }
}
