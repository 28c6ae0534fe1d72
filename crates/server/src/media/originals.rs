//! Serving files as stored: streamed, with validators, conditional requests
//! and single byte ranges.

use http::header::HeaderName;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use signet_storage::{guess_content_type, ObjectKey, ObjectMeta, Store};

use crate::http::body::{empty, stream, Body};
use crate::http::conditional::{none_match, requested_range, RangeAsk};
use crate::http::error::Error;

/// The type a file is served as: from its extension, so a bucket object
/// stored with a wrong (or dangerous, e.g. `text/html` on a `.jpg`) type
/// cannot turn into a page on the media domain. The stored type is used only
/// when the extension says nothing, and never when it is an active type.
fn content_type_of(key: &ObjectKey, meta: &ObjectMeta) -> String {
    let guessed = guess_content_type(key.as_str());
    if guessed != "application/octet-stream" {
        return guessed;
    }
    match meta.content_type.as_deref() {
        Some(stored) if !is_active(stored) => stored.to_owned(),
        _ => guessed,
    }
}

/// Types a browser would run or render as a document.
fn is_active(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    let essence = t.split(';').next().unwrap_or("").trim();
    essence.contains("html")
        || essence.contains("xml")
        || essence.contains("javascript")
        || essence.contains("ecmascript")
        || essence.starts_with("image/svg")
}

/// Sandbox for SVGs served as-is: no scripts, no external loads, no forms.
const ACTIVE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/// What the client asked for.
pub(crate) struct Ask<'a> {
    pub(crate) head: bool,
    pub(crate) headers: &'a HeaderMap,
    /// The `Cache-Control` value to send.
    pub(crate) cache_control: String,
}

/// Bytes escaped in a purge tag: separators of `Cache-Tag` (comma) and
/// `Surrogate-Key` (space), and what a header value cannot hold.
const TAG_ESCAPES: &AsciiSet = &CONTROLS.add(b' ').add(b',').add(b'%').add(b'"');

/// Names the source file on a response, for CDN purges by tag after a
/// write (docs/scale-out.md): `Cache-Tag` (Cloudflare, Akamai) and
/// `Surrogate-Key` (Fastly), both `/` and the storage key, percent-escaped.
pub(crate) fn tag_source(headers: &mut HeaderMap, key: &ObjectKey) {
    let tag = format!("/{}", utf8_percent_encode(key.as_str(), TAG_ESCAPES));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        headers.insert(HeaderName::from_static("cache-tag"), v.clone());
        headers.insert(HeaderName::from_static("surrogate-key"), v);
    }
}

/// Serves `key` as stored.
pub(crate) async fn serve(
    store: &dyn Store,
    key: &ObjectKey,
    ask: Ask<'_>,
) -> Result<Response<Body>, Error> {
    let meta = store.stat(key).await?;
    let etag = format!("\"{}\"", meta.etag);
    let mut headers = HeaderMap::new();
    set(&mut headers, header::ETAG, &etag);
    set(
        &mut headers,
        header::LAST_MODIFIED,
        &httpdate::fmt_http_date(meta.modified),
    );
    set(&mut headers, header::CACHE_CONTROL, &ask.cache_control);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    tag_source(&mut headers, key);

    if none_match(ask.headers, &etag) {
        let mut r = Response::new(empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        *r.headers_mut() = headers;
        return Ok(r);
    }

    let content_type = content_type_of(key, &meta);
    if is_active(&content_type) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(ACTIVE_CSP),
        );
    }
    set(&mut headers, header::CONTENT_TYPE, &content_type);

    let range = match requested_range(ask.headers, &etag, meta.modified, meta.size) {
        RangeAsk::Whole => None,
        RangeAsk::Part(r) => Some(r),
        RangeAsk::Unsatisfiable => return Err(Error::RangeNotSatisfiable { size: meta.size }),
    };
    let status = match &range {
        Some(r) => {
            set(
                &mut headers,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size),
            );
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    };
    let len = range.as_ref().map_or(meta.size, |r| r.end - r.start);
    set(&mut headers, header::CONTENT_LENGTH, &len.to_string());

    let body = if ask.head {
        empty()
    } else {
        stream(store.read(key, range).await?.stream)
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    Ok(r)
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}
