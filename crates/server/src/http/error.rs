//! Every way a request can fail, and the one place that says what each
//! failure answers: its status, its one-line text, its `Retry-After` and its
//! other headers. The media and admin listeners render an [`Error`] as plain
//! text, the REST API as Sirv's JSON; no handler sets an error status itself.

use std::sync::Arc;

use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::json;
use signet_auth::Failure;
use signet_storage::StorageError;
use signet_transform::TransformError;

use crate::http::body::{json, plain, Body};

/// Why a request was not served.
#[derive(Debug)]
pub(crate) enum Error {
    /// A malformed path, query, header or body field (one line saying what).
    BadRequest(String),
    /// Options that failed validation, one `name=value: reason` per entry.
    BadOptions(Vec<String>),
    /// A media token was refused.
    Auth(Failure),
    /// The REST API's bearer token is missing, malformed or expired.
    Unauthorized(&'static str),
    /// No such file, folder, profile or watermark (after auth).
    NotFound,
    /// No such route on this listener (the text says what there is).
    NoRoute(String),
    /// The route exists but not for this method; `allow` lists the methods.
    MethodNotAllowed {
        allow: &'static str,
    },
    /// A request body over its cap (the text names the cap).
    PayloadTooLarge(String),
    /// A write that would clash with what is there, or an operation past a
    /// cap (a folder too large to delete at once); the text says which.
    Conflict(String),
    /// The client went past the admin API's rate limit (`[api.rate_limit]`).
    TooManyRequests {
        retry_after: u32,
    },
    RangeNotSatisfiable {
        size: u64,
    },
    /// The source is larger than `limits.max_source_bytes`.
    SourceTooBig {
        size: u64,
        limit: u64,
    },
    /// A profile in storage that is not a valid option set.
    BadProfile {
        name: String,
        lines: Vec<String>,
    },
    /// An HLS playlist that signet will not sign (one line saying why).
    BadPlaylist(String),
    /// A video that no poster can be taken from (one line saying why).
    BadVideo(String),
    /// `poster` on a server without ffmpeg (or prlimit).
    NoVideoDecoder,
    /// A Sirv feature signet does not have (the text says why).
    Unsupported(String),
    Transform(TransformError),
    Storage(StorageError),
    TransformTimeout,
    /// Every transform slot and queue place is taken.
    Overloaded,
    /// `/ready` while draining or while storage is unreachable.
    NotReady(String),
    /// A request target over the server's bound (the connection is closed).
    UriTooLong {
        limit: usize,
    },
    /// Request header fields over the server's bound (the connection is closed).
    HeaderFieldsTooLarge {
        limit: usize,
    },
    /// `Content-Length` with `Transfer-Encoding` (the connection is closed).
    AmbiguousFraming,
    /// A bug: logged where it happened, reported without detail.
    Internal,
    /// One failure shared by requests that waited on the same work.
    Shared(Arc<Error>),
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Error {
        Error::Storage(e)
    }
}

impl From<TransformError> for Error {
    /// A deadline the pipeline saw pass is the same timeout as the server's
    /// wait for the transform giving up.
    fn from(e: TransformError) -> Error {
        match e {
            TransformError::TimedOut => Error::TransformTimeout,
            other => Error::Transform(other),
        }
    }
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: u32 = 5;

const INTERNAL: &str = "internal error";

impl Error {
    /// The failure itself, through any sharing.
    fn inner(&self) -> &Error {
        match self {
            Error::Shared(inner) => inner.inner(),
            other => other,
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_)
            | Error::BadOptions(_)
            | Error::AmbiguousFraming
            | Error::Storage(StorageError::InvalidKey(_)) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Auth(_) => StatusCode::FORBIDDEN,
            Error::NotFound | Error::NoRoute(_) | Error::Storage(StorageError::NotFound) => {
                StatusCode::NOT_FOUND
            }
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::Storage(StorageError::AlreadyExists) | Error::Conflict(_) => {
                StatusCode::CONFLICT
            }
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Error::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::HeaderFieldsTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::SourceTooBig { .. }
            | Error::BadProfile { .. }
            | Error::BadPlaylist(_)
            | Error::BadVideo(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NoVideoDecoder | Error::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            Error::Transform(e) => match e {
                TransformError::NotAnImage(_)
                | TransformError::SourceTooLarge { .. }
                | TransformError::AnimationTooLarge { .. }
                | TransformError::TooManyFrames { .. }
                | TransformError::MetadataTooLarge { .. }
                | TransformError::BadWatermark(_)
                | TransformError::BadFont(_) => StatusCode::UNPROCESSABLE_ENTITY,
                TransformError::OutputTooLarge { .. }
                | TransformError::AnimationOutputTooLarge { .. }
                | TransformError::Invalid(_) => StatusCode::BAD_REQUEST,
                TransformError::TimedOut => StatusCode::SERVICE_UNAVAILABLE,
                TransformError::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Error::Storage(StorageError::Unavailable(_))
            | Error::TransformTimeout
            | Error::Overloaded
            | Error::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Storage(StorageError::Timeout) => StatusCode::GATEWAY_TIMEOUT,
            Error::Storage(StorageError::Io(_)) | Error::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Error::Shared(e) => e.status(),
        }
    }

    /// What the client is told: what is wrong for a 4xx, only that something
    /// failed for a 5xx (the cause is logged, see [`Error::log`]).
    pub(crate) fn text(&self) -> String {
        match self {
            Error::BadRequest(why)
            | Error::NoRoute(why)
            | Error::PayloadTooLarge(why)
            | Error::Conflict(why)
            | Error::Unsupported(why)
            | Error::BadPlaylist(why)
            | Error::BadVideo(why) => why.clone(),
            Error::NoVideoDecoder => {
                "posters need ffmpeg, which this server does not have".to_owned()
            }
            Error::BadOptions(lines) => lines.join("\n"),
            Error::Auth(failure) => format!("forbidden: {}", failure.reason()),
            Error::Unauthorized(why) => (*why).to_owned(),
            Error::NotFound | Error::Storage(StorageError::NotFound) => "not found".to_owned(),
            Error::MethodNotAllowed { allow } => format!("method not allowed: use {allow}"),
            Error::RangeNotSatisfiable { .. } => "range not satisfiable".to_owned(),
            Error::SourceTooBig { size, limit } => {
                format!("source is {size} bytes, over the limit of {limit} bytes")
            }
            Error::BadProfile { name, lines } => {
                format!("profile `{name}` is invalid:\n{}", lines.join("\n"))
            }
            Error::Transform(TransformError::Encode(_))
            | Error::Storage(StorageError::Io(_))
            | Error::Internal => INTERNAL.to_owned(),
            Error::Transform(e) => e.to_string(),
            Error::Storage(StorageError::InvalidKey(why)) => format!("invalid path: {why}"),
            Error::Storage(StorageError::AlreadyExists) => "already exists".to_owned(),
            Error::Storage(StorageError::Unavailable(_)) => {
                "storage unavailable, retry later".to_owned()
            }
            Error::Storage(StorageError::Timeout) => "storage timed out".to_owned(),
            Error::TransformTimeout | Error::Overloaded => {
                "busy transforming, retry later".to_owned()
            }
            Error::NotReady(why) => why.clone(),
            Error::TooManyRequests { retry_after } => {
                format!("rate limit reached, retry in {retry_after} s")
            }
            Error::UriTooLong { limit } => format!("request target longer than {limit} bytes"),
            Error::HeaderFieldsTooLarge { limit } => {
                format!("request header fields longer than {limit} bytes")
            }
            Error::AmbiguousFraming => {
                "both Content-Length and Transfer-Encoding: ambiguous framing".to_owned()
            }
            Error::Shared(e) => e.text(),
        }
    }

    /// Seconds after which a retry may succeed, for `Retry-After`.
    pub(crate) fn retry_after(&self) -> Option<u32> {
        match self.inner() {
            Error::Storage(StorageError::Unavailable(_))
            | Error::TransformTimeout
            | Error::Overloaded => Some(RETRY_AFTER_SECS),
            Error::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether the connection is closed after this answer (its head was
    /// refused, so the rest of the stream cannot be trusted).
    pub(crate) fn closes(&self) -> bool {
        matches!(
            self.inner(),
            Error::UriTooLong { .. } | Error::HeaderFieldsTooLarge { .. } | Error::AmbiguousFraming
        )
    }

    /// The headers that go with the status: `x-auth-result`, `Allow`,
    /// `Content-Range`, `WWW-Authenticate`, `Retry-After`, `Connection`.
    fn headers(&self, h: &mut HeaderMap) {
        match self.inner() {
            Error::Auth(failure) => {
                h.insert("x-auth-result", HeaderValue::from_static(failure.reason()));
            }
            Error::MethodNotAllowed { allow } => {
                h.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Error::RangeNotSatisfiable { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    h.insert(header::CONTENT_RANGE, v);
                }
            }
            Error::Unauthorized(_) => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"signet\""),
                );
            }
            _ => {}
        }
        if let Some(secs) = self.retry_after() {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.closes() {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }

    /// Logs the cause of a server-side failure (never a client's mistake).
    fn log(&self) {
        match self.inner() {
            Error::Transform(TransformError::Encode(cause)) => {
                tracing::error!(%cause, "encoder failed");
            }
            Error::Storage(StorageError::Unavailable(cause)) => {
                tracing::warn!(%cause, "storage unavailable");
            }
            Error::Storage(StorageError::Io(cause)) => {
                tracing::error!(%cause, "storage I/O error");
            }
            _ => {}
        }
    }

    /// The short label of an auth failure, for logs and metrics.
    pub(crate) fn auth_label(&self) -> Option<&'static str> {
        match self.inner() {
            Error::Auth(f) => Some(f.reason()),
            Error::Unauthorized(_) => Some("api"),
            _ => None,
        }
    }

    /// The kind of storage failure behind this, for metrics (`None` when
    /// storage did not fail; a missing file is not a failure).
    pub(crate) fn storage_failure(&self) -> Option<&'static str> {
        match self.inner() {
            Error::Storage(StorageError::Unavailable(_)) => Some("unavailable"),
            Error::Storage(StorageError::Timeout) => Some("timeout"),
            Error::Storage(StorageError::Io(_)) => Some("io"),
            _ => None,
        }
    }

    /// The plain-text answer of the media and admin listeners.
    pub(crate) fn to_plain(&self) -> Response<Body> {
        self.log();
        let mut r = plain(&self.text());
        *r.status_mut() = self.status();
        self.headers(r.headers_mut());
        r
    }

    /// The REST API's answer, in Sirv's shape: `{statusCode, error, message}`.
    pub(crate) fn to_json(&self) -> Response<Body> {
        self.log();
        let status = self.status();
        let mut r = json(&json!({
            "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": self.text(),
        }));
        *r.status_mut() = status;
        self.headers(r.headers_mut());
        r
    }
}

/// For the command line: the client's text, or the cause of a server-side
/// failure (the person running the command is the operator).
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inner() {
            Error::Transform(e) => write!(f, "{e}"),
            Error::Storage(e) => write!(f, "{e}"),
            Error::TransformTimeout => f.write_str("the transform timed out"),
            other => f.write_str(&other.text()),
        }
    }
}

#[cfg(test)]
mod tests;
