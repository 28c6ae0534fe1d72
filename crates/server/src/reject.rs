//! Every way a request can fail, and the one place that turns a failure into
//! an HTTP response.

use std::sync::Arc;

use http::{header, HeaderValue, Response, StatusCode};
use signet_auth::Failure;
use signet_storage::StorageError;
use signet_transform::TransformError;

use crate::body::{full, Body};

/// Why a request was not served.
#[derive(Debug)]
pub(crate) enum Reject {
    /// A malformed path or query (one line saying what).
    BadRequest(String),
    /// Options that failed validation, one `name=value: reason` per entry.
    BadOptions(Vec<String>),
    Auth(Failure),
    NotFound,
    MethodNotAllowed,
    RangeNotSatisfiable {
        size: u64,
    },
    Storage(StorageError),
    Transform(TransformError),
    /// The source is larger than `limits.max_source_bytes`.
    SourceTooBig {
        size: u64,
        limit: u64,
    },
    TransformTimeout,
    Overloaded,
    /// A bug: logged where it happened, reported without detail.
    Internal,
    /// A profile in storage that is not a valid option set.
    BadProfile {
        name: String,
        lines: Vec<String>,
    },
    /// One failure shared by requests that waited on the same transform.
    Shared(Arc<Reject>),
}

impl From<StorageError> for Reject {
    fn from(e: StorageError) -> Reject {
        Reject::Storage(e)
    }
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "5";

impl Reject {
    /// The short label used in logs for auth outcomes.
    pub(crate) fn auth_label(&self) -> Option<&'static str> {
        match self {
            Reject::Auth(f) => Some(f.reason()),
            _ => None,
        }
    }

    /// The kind of storage failure behind this, for metrics (`None` when
    /// storage did not fail; a missing file is not a failure).
    pub(crate) fn storage_failure(&self) -> Option<&'static str> {
        match self {
            Reject::Shared(inner) => inner.storage_failure(),
            Reject::Storage(e) => match e {
                StorageError::Unavailable(_) => Some("unavailable"),
                StorageError::Timeout => Some("timeout"),
                StorageError::Io(_) => Some("io"),
                _ => None,
            },
            _ => None,
        }
    }

    /// A one-paragraph description for the command line.
    pub(crate) fn describe(&self) -> String {
        match self {
            Reject::Shared(inner) => inner.describe(),
            Reject::BadRequest(why) => why.clone(),
            Reject::BadOptions(lines) => lines.join("\n"),
            Reject::BadProfile { name, lines } => {
                format!("profile `{name}` is invalid:\n{}", lines.join("\n"))
            }
            Reject::NotFound => "not found".to_owned(),
            Reject::Storage(e) => e.to_string(),
            Reject::Transform(e) => e.to_string(),
            Reject::SourceTooBig { size, limit } => {
                format!("source is {size} bytes, over the limit of {limit} bytes")
            }
            Reject::TransformTimeout => "the transform timed out".to_owned(),
            other => format!("{other:?}"),
        }
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        self.to_response()
    }

    pub(crate) fn to_response(&self) -> Response<Body> {
        let (status, text) = match self {
            Reject::Shared(inner) => return inner.to_response(),
            Reject::BadRequest(why) => (StatusCode::BAD_REQUEST, why.clone()),
            Reject::BadProfile { name, lines } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("profile `{name}` is invalid:\n{}", lines.join("\n")),
            ),
            Reject::BadOptions(lines) => (StatusCode::BAD_REQUEST, lines.join("\n")),
            Reject::Auth(failure) => {
                let mut r = plain(
                    StatusCode::FORBIDDEN,
                    &format!("forbidden: {}", failure.reason()),
                );
                r.headers_mut()
                    .insert("x-auth-result", HeaderValue::from_static(failure.reason()));
                return r;
            }
            Reject::NotFound => (StatusCode::NOT_FOUND, "not found".to_owned()),
            Reject::MethodNotAllowed => {
                let mut r = plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed: use GET or HEAD",
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                return r;
            }
            Reject::RangeNotSatisfiable { size } => {
                let mut r = plain(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable");
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return r;
            }
            Reject::Transform(e) => match e {
                TransformError::NotAnImage(_)
                | TransformError::SourceTooLarge { .. }
                | TransformError::AnimationTooLarge { .. }
                | TransformError::MetadataTooLarge { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                }
                TransformError::OutputTooLarge { .. } => (StatusCode::BAD_REQUEST, e.to_string()),
                TransformError::Invalid(_) => (StatusCode::BAD_REQUEST, e.to_string()),
                TransformError::BadWatermark(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                }
                TransformError::Encode(cause) => {
                    tracing::error!(%cause, "encoder failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error".to_owned(),
                    )
                }
            },
            Reject::SourceTooBig { size, limit } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("source is {size} bytes, over the limit of {limit} bytes"),
            ),
            Reject::TransformTimeout | Reject::Overloaded => {
                let mut r = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy transforming, retry later",
                );
                r.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECS),
                );
                return r;
            }
            Reject::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_owned(),
            ),
            Reject::Storage(e) => match e {
                StorageError::NotFound => (StatusCode::NOT_FOUND, "not found".to_owned()),
                StorageError::InvalidKey(why) => {
                    (StatusCode::BAD_REQUEST, format!("invalid path: {why}"))
                }
                StorageError::AlreadyExists => (StatusCode::CONFLICT, "already exists".to_owned()),
                StorageError::Unavailable(cause) => {
                    tracing::warn!(%cause, "storage unavailable");
                    let mut r = plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage unavailable, retry later",
                    );
                    r.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from_static(RETRY_AFTER_SECS),
                    );
                    return r;
                }
                StorageError::Timeout => {
                    (StatusCode::GATEWAY_TIMEOUT, "storage timed out".to_owned())
                }
                StorageError::Io(cause) => {
                    tracing::error!(%cause, "storage I/O error");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error".to_owned(),
                    )
                }
            },
        };
        plain(status, &text)
    }
}

/// A plain-text response; error responses are never cached.
pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(full(format!("{text}\n")));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
