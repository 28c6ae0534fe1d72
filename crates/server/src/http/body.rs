//! The response body type, its constructors, and the two small response
//! shapes every listener uses: plain text and JSON.

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{header, HeaderValue, Response};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use signet_storage::ByteStream;

/// Every response body: in memory or streamed from storage.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub(crate) fn stream(s: ByteStream) -> Body {
    BodyExt::boxed_unsync(StreamBody::new(s.map_ok(Frame::data)))
}

/// A 200 of one line of text, never cached (`/health`, `/ready`, errors).
pub(crate) fn plain(text: &str) -> Response<Body> {
    let mut r = Response::new(full(format!("{text}\n")));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A 200 of JSON, never cached (the REST API).
pub(crate) fn json(value: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(full(value.to_string()));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
