//! Serving files as stored: streamed, with validators, conditional requests
//! and single byte ranges.

use std::ops::Range;

use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use signet_storage::{guess_content_type, ObjectKey, ObjectMeta, Store};

use crate::body::{empty, stream, Body};
use crate::reject::Reject;

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

/// Serves `key` as stored.
pub(crate) async fn serve(
    store: &dyn Store,
    key: &ObjectKey,
    ask: Ask<'_>,
) -> Result<Response<Body>, Reject> {
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

    let range = match requested_range(ask.headers, &etag, &meta) {
        RangeAsk::Whole => None,
        RangeAsk::Part(r) => Some(r),
        RangeAsk::Unsatisfiable => return Err(Reject::RangeNotSatisfiable { size: meta.size }),
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

/// Whether `If-None-Match` lists `etag` (weak comparison) or is `*`.
pub(crate) fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

/// The single range asked for, honouring `If-Range`. Malformed or multiple
/// ranges are ignored (the whole file is sent), as RFC 9110 allows.
fn requested_range(headers: &HeaderMap, etag: &str, meta: &ObjectMeta) -> RangeAsk {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeAsk::Whole;
    };
    if let Some(if_range) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        let same_date =
            httpdate::parse_http_date(if_range).is_ok_and(|d| d == truncate_to_secs(meta.modified));
        if if_range.trim() != etag && !same_date {
            return RangeAsk::Whole;
        }
    }
    parse_range(value, meta.size)
}

fn truncate_to_secs(t: std::time::SystemTime) -> std::time::SystemTime {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

fn parse_range(value: &str, size: u64) -> RangeAsk {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match (start.trim(), end.trim()) {
        ("", suffix) => match num(suffix) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(n) if size > 0 => RangeAsk::Part(size.saturating_sub(n)..size),
            Some(_) => RangeAsk::Unsatisfiable,
            None => RangeAsk::Whole,
        },
        (first, "") => match num(first) {
            Some(a) if a < size => RangeAsk::Part(a..size),
            Some(_) => RangeAsk::Unsatisfiable,
            None => RangeAsk::Whole,
        },
        (first, last) => match (num(first), num(last)) {
            (Some(a), Some(b)) if a > b => RangeAsk::Whole,
            (Some(a), Some(_)) if a >= size => RangeAsk::Unsatisfiable,
            (Some(a), Some(b)) => RangeAsk::Part(a..b.saturating_add(1).min(size)),
            _ => RangeAsk::Whole,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_table() {
        use RangeAsk::*;
        let cases: &[(&str, u64, RangeAsk)] = &[
            ("bytes=0-0", 10, Part(0..1)),
            ("bytes=0-9", 10, Part(0..10)),
            ("bytes=2-5", 10, Part(2..6)),
            ("bytes=5-100", 10, Part(5..10)),
            ("bytes=5-", 10, Part(5..10)),
            ("bytes=-3", 10, Part(7..10)),
            ("bytes=-30", 10, Part(0..10)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            ("bytes=5-2", 10, Whole),
            ("bytes=0-1,3-4", 10, Whole),
            ("items=0-1", 10, Whole),
            ("bytes=a-b", 10, Whole),
            ("bytes=+1-2", 10, Whole),
            ("bytes=", 10, Whole),
            ("bytes=-", 10, Whole),
            ("bytes=0-18446744073709551615", 10, Part(0..10)),
        ];
        for (v, size, want) in cases {
            assert_eq!(&parse_range(v, *size), want, "{v} of {size}");
        }
    }

    #[test]
    fn if_none_match_forms() {
        let mut h = HeaderMap::new();
        assert!(!none_match(&h, "\"a\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"a\""),
        );
        assert!(none_match(&h, "\"a\""));
        assert!(!none_match(&h, "\"b\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(none_match(&h, "\"b\""));
    }
}
